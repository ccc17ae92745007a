/**
 * Invariant 1 for files arriving by email: a card number in an attachment's
 * name, inside a PDF, an Office document or a zip is not kept — not in the
 * attachment's name, not in its bytes, not in the raw copy of the message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, type TestOrg } from '../../identity/auth/testing.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { buildDocx, buildPdf, buildZip } from '../../protection/file-scan/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { seedMailbox } from '../tickets/testing.js';
import { createDefaultHooks } from './hooks.js';
import { ingestInboundEmail } from './pipeline.js';

const CARD = '4297 2559 4628 5297';
const DIGITS = CARD.replace(/\D/g, '');

function part(name: string, type: string, bytes: Buffer): string[] {
  return [`--B`, `Content-Type: ${type}; name="${name}"`, `Content-Disposition: attachment; filename="${name}"`, 'Content-Transfer-Encoding: base64', '', bytes.toString('base64').replace(/.{76}/g, '$&\r\n')];
}

describe.each(testDatabaseKinds)('attachments holding card numbers, on %s', (kind) => {
  let services: Services;
  let org: TestOrg;
  beforeAll(async () => {
    services = await createTestServices(kind);
    org = await buildOrg(services);
  });
  afterAll(async () => {
    await services?.close();
  });

  it('withholds documents and archives holding one, masks it in names, and rebuilds the raw copy without them', { timeout: 60_000 }, async () => {
    const teamId = await buildTeam(services, org);
    const address = `files-${kind}@files.example`;
    const mailboxId = await seedMailbox(services.database.db, org.orgId, address, teamId);
    const deps = await createHelpdeskDeps(services);
    const blobs = new MemoryBlobStore();
    const raw = Buffer.from([
      'From: Ann <ann@customer.example>', `To: ${address}`, 'Subject: My documents', `Message-ID: <files-${kind}@customer.example>`, 'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="B"', '', '--B', 'Content-Type: text/plain; charset=utf-8', '', 'Please see the attached files.',
      ...part('statement.pdf', 'application/pdf', buildPdf(['Statement', `Card ${CARD}`])),
      ...part('form.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', buildDocx(`Card number ${CARD}`)),
      ...part('docs.zip', 'application/zip', buildZip({ 'notes.txt': `card ${CARD}` })),
      ...part(`card ${CARD}.png`, 'image/png', Buffer.from('89504e470d0a1a0a0000', 'hex')),
      ...part('letter.pdf', 'application/pdf', buildPdf(['Dear Sir, thank you.'])),
      '--B--', '',
    ].join('\r\n'));
    const [o] = await ingestInboundEmail(deps, { hooks: createDefaultHooks(), blobs, maxAttachmentBytes: 1_000_000 }, { raw, mailFrom: 'ann@customer.example', rcptTo: [address] }, [{ id: mailboxId, orgId: org.orgId, address, teamId }]);
    expect(o?.outcome).toBe('ticket_created');
    const messageId = (o as { messageId: string }).messageId;
    const rows = await services.database.db.selectFrom('attachments').where('message_id', '=', messageId).selectAll().execute();
    const named = await Promise.all(rows.map(async (r) => ({ name: await deps.keyring.decrypt({ table: 'attachments', column: 'filename_enc', rowId: r.id }, r.filename_enc as Uint8Array), status: r.status, blob: r.blob_key !== null, reasons: r.danger_reasons })));
    const byName = Object.fromEntries(named.map((n) => [n.name, n]));
    expect(byName['statement.pdf']).toMatchObject({ status: 'withheld', blob: false, reasons: ['sensitive:payment_card'] });
    expect(byName['form.docx']).toMatchObject({ status: 'withheld', blob: false });
    expect(byName['docs.zip']).toMatchObject({ status: 'withheld', blob: false });
    expect(byName['letter.pdf']).toMatchObject({ status: 'stored', blob: true });
    expect(byName['card 4297 25** **** 5297.png']).toMatchObject({ status: 'stored' });
    expect(named.some((n) => n.name.replace(/\D/g, '').includes(DIGITS))).toBe(false);

    const m = await services.database.db.selectFrom('messages').where('id', '=', messageId).select(['raw_enc', 'redactions']).executeTakeFirstOrThrow();
    const stored = Buffer.from(await deps.keyring.decrypt({ table: 'messages', column: 'raw_enc', rowId: messageId }, m.raw_enc as Uint8Array), 'base64').toString('latin1');
    expect(stored).toContain('X-Trustdesk-Rebuilt');
    expect(stored).toContain(Buffer.from('Please see the attached files.').toString('base64'));
    expect(stored).not.toContain('JVBERi0'); // no PDF left in the raw copy
    expect(stored.replace(/\D/g, '')).not.toContain(DIGITS);
    expect(m.redactions.filter((r) => r.field === 'attachment').map((r) => `${r.type}:${r.action}`)).toEqual(expect.arrayContaining(['payment_card:redact']));
  });
});
