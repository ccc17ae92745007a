/** Builders for tests and the benchmark: plain messages and contexts, no files. */
import type { AnalysisContext, ParsedMessage } from './types.js';

export function buildContext(over: Partial<AnalysisContext> = {}): AnalysisContext {
  return {
    orgDomains: ['example-shop.com'],
    staff: [
      { name: 'Alice Martin', email: 'alice.martin@example-shop.com', executive: true },
      { name: 'Chloe Dubois', email: 'chloe.dubois@example-shop.com' },
    ],
    brandNames: ['Example Shop'],
    knownCustomerDomains: ['acme-corp.com'],
    partnerDomains: ['fastship-logistics.com'],
    allowList: [],
    blockList: [],
    ...over,
  };
}

export function buildMessage(over: Partial<ParsedMessage> = {}): ParsedMessage {
  return {
    from: { name: 'Jane Customer', address: 'jane@acme-corp.com' },
    replyTo: [],
    subject: 'Question about my order 1234',
    text: 'Hello, my parcel has not arrived yet. Could you check the tracking for order 1234? Thanks, Jane',
    html: '',
    headers: new Map([['to', ['support@example-shop.com']]]),
    attachments: [],
    ...over,
  };
}

/** A stored-only ZIP with the given names and declared sizes (no real content). */
export function buildZip(entries: Array<{ name: string; size?: number; encrypted?: boolean }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(e.encrypted ? 0x801 : 0x800, 6);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(e.encrypted ? 0x801 : 0x800, 8);
    central.writeUInt32LE(0, 20);
    central.writeUInt32LE(e.size ?? 0, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name);
    centrals.push(central, name);
    offset += local.length + name.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
