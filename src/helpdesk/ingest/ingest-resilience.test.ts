/**
 * Invariant 8 for inbound mail: whatever a message contains, it ends as a ticket
 * or in quarantine, exactly once, and a failed attempt leaves nothing behind
 * (no rows, no blobs).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import type { MailboxRoute } from '../mail/mailboxes.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../tickets/context.js';
import { seedMailbox, seedOrganization, seedTeam } from '../tickets/testing.js';
import { readTicket } from '../tickets/tickets.service.js';
import { buildPrincipal, seedStaff } from '../tickets/testing.js';
import { createDefaultHooks } from './hooks.js';
import { crlfLineEndings, storableText } from './normalize.js';
import { ingestInboundEmail } from './pipeline.js';

const ADDRESS = 'help@resilient.example';

describe('storableText', () => {
  it('replaces lone surrogates, removes NUL, and keeps real pairs and ordinary text', () => {
    expect(storableText('a\uD800b')).toBe('a\uFFFDb');
    expect(storableText('\uDC00x\uD83D')).toBe('\uFFFDx\uFFFD');
    expect(storableText('pdf\u0000;x')).toBe('pdf;x');
    expect(storableText('parcel 📦 ok')).toBe('parcel 📦 ok');
    expect(storableText('Grüße, 東京')).toBe('Grüße, 東京');
  });
  it('crlfLineEndings turns every bare CR into CRLF and leaves CRLF and LF alone', () => {
    const crlf = Buffer.from('A: 1\r\nB: 2\r\n\r\nbody\nmore\r\n');
    expect(crlfLineEndings(crlf)).toBe(crlf);
    expect(crlfLineEndings(Buffer.from('A: 1\rB: 2\r\rbody\r')).toString()).toBe('A: 1\r\nB: 2\r\n\r\nbody\r\n');
    expect(crlfLineEndings(Buffer.from('A: 1\r\nB: 2\rC: 3\n')).toString()).toBe('A: 1\r\nB: 2\r\nC: 3\n');
  });
});

describe.each(testDatabaseKinds)('ingest resilience on %s', (kind) => {
  let s: Services;
  let deps: HelpdeskDeps;
  let route: MailboxRoute;
  let blobs: MemoryBlobStore;
  let agent: ReturnType<typeof buildPrincipal>;

  beforeAll(async () => {
    s = await createTestServices(kind);
    deps = await createHelpdeskDeps(s);
    const orgId = await seedOrganization(s.database.db, 'Resilient');
    const team = await seedTeam(s.database.db, orgId, 'Support');
    const mailboxId = await seedMailbox(s.database.db, orgId, ADDRESS, team);
    route = { id: mailboxId, orgId, address: ADDRESS, teamId: team };
    agent = buildPrincipal({ orgId, userId: await seedStaff(s.database.db, orgId, { teamIds: [team], role: 'supervisor' }), role: 'supervisor', teamIds: [team] });
  });
  afterAll(async () => {
    await s?.close();
  });

  const ingest = (raw: string | Buffer, hooks = createDefaultHooks(), store = (blobs = new MemoryBlobStore())) =>
    ingestInboundEmail(deps, { hooks, blobs: store, maxAttachmentBytes: 1_000_000 }, { raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'latin1'), mailFrom: 'cust@shop.example', rcptTo: [ADDRESS] }, [route]);

  const countOf = async (table: 'messages' | 'quarantine' | 'attachments' | 'tickets') =>
    (await s.database.db.selectFrom(table).where('org_id', '=', route.orgId).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;

  it('stores a subject that decodes to an unpaired surrogate, normalised, with a note', async () => {
    const raw = `From: Cust <cust@shop.example>\r\nTo: ${ADDRESS}\r\nSubject: =?UTF-16BE?B?2AA=?= order\r\nMessage-ID: <surrogate-${kind}@shop.example>\r\n\r\nHello, where is my order?\r\n`;
    const [o] = await ingest(raw);
    expect(o?.outcome).toBe('ticket_created');
    const t = await readTicket(deps, { principal: agent }, { ticketId: (o as { ticketId: string }).ticketId });
    expect(t.subject).toContain('\uFFFD');
    expect(t.subject).not.toMatch(/[\uD800-\uDFFF]/);
    const audit = await s.database.db.selectFrom('audit_log').where('action', '=', 'email.receive').where('object_id', '=', (o as { messageId: string }).messageId).select('details').executeTakeFirstOrThrow();
    expect(JSON.stringify(audit.details)).toContain('text_normalized');
  });

  it('stores a message with a NUL byte in a part Content-Type, and keeps its attachment', async () => {
    const raw = [
      'From: Cust <cust@shop.example>',
      `To: ${ADDRESS}`,
      'Subject: Invoice attached',
      `Message-ID: <nul-${kind}@shop.example>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Please see the attached invoice.',
      '--b1',
      'Content-Type: application/pdf\u0000; name="invoice.pdf"',
      'Content-Disposition: attachment; filename="invoice\u0000.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('%PDF-1.4 invoice body').toString('base64'),
      '--b1--',
      '',
    ].join('\r\n');
    const [o] = await ingest(raw);
    expect(o?.outcome).toBe('ticket_created');
    const messageId = (o as { messageId: string }).messageId;
    const rows = await s.database.db.selectFrom('attachments').where('message_id', '=', messageId).select(['declared_type', 'blob_key']).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.declared_type).toMatch(/^application\/pdf/);
    expect(rows[0]!.declared_type).not.toContain('\u0000');
    expect(blobs.blobs.size).toBe(1);
    const audit = await s.database.db.selectFrom('audit_log').where('action', '=', 'email.receive').where('object_id', '=', messageId).select('details').executeTakeFirstOrThrow();
    expect(JSON.stringify(audit.details)).toContain('text_normalized');
  });

  it('quarantines, rather than refusing forever, content the database still refuses; a database outage still defers', async () => {
    const raw = `From: Cust <cust@shop.example>\r\nTo: ${ADDRESS}\r\nSubject: Odd one\r\nMessage-ID: <refused-${kind}@shop.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b3"\r\n\r\n--b3\r\nContent-Type: text/plain\r\n\r\nSee file.\r\n--b3\r\nContent-Type: text/csv; name="a.csv"\r\n\r\nx,y\r\n--b3--\r\n`;
    const withAppend = (error: Error) => {
      const audit = Object.create(deps.audit) as typeof deps.audit;
      audit.append = async (trx, event) => {
        if (event.action === 'email.receive') throw error;
        return deps.audit.append(trx, event);
      };
      return { ...deps, audit };
    };
    const store = new MemoryBlobStore();
    const run = (d: HelpdeskDeps) => ingestInboundEmail(d, { hooks: createDefaultHooks(), blobs: store, maxAttachmentBytes: 1_000_000 }, { raw: Buffer.from(raw), mailFrom: 'cust@shop.example', rcptTo: [ADDRESS] }, [route]);
    const quarantinedBefore = await countOf('quarantine');
    // The database going away is temporary: the sender must retry (451), nothing is quarantined.
    await expect(run(withAppend(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })))).rejects.toThrow('administrator command');
    expect(await countOf('quarantine')).toBe(quarantinedBefore);
    expect(store.blobs.size).toBe(0);
    // A value the database refuses (SQLSTATE 22021) is about the content: kept in quarantine, not refused forever.
    const [o] = await run(withAppend(Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' })));
    expect(o).toMatchObject({ outcome: 'quarantined', reason: 'malformed', codes: ['unstorable_content'] });
    expect(await countOf('quarantine')).toBe(quarantinedBefore + 1);
    expect(store.blobs.size).toBe(0);
  });

  it('deletes the blobs a failed attempt wrote, and the retry stores the message once', async () => {
    const raw = [
      'From: Cust <cust@shop.example>',
      `To: ${ADDRESS}`,
      'Subject: Photo of the damage',
      `Message-ID: <blob-cleanup-${kind}@shop.example>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b2"',
      '',
      '--b2',
      'Content-Type: text/plain',
      '',
      'Photo attached.',
      '--b2',
      'Content-Type: image/png; name="damage.png"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('\x89PNG\r\n\x1a\n not really a png', 'latin1').toString('base64'),
      '--b2--',
      '',
    ].join('\r\n');
    const store = new MemoryBlobStore();
    const before = { messages: await countOf('messages'), attachments: await countOf('attachments') };
    // The store fails after the attachment was sealed: the audit append is the last write of the transaction.
    const failing = Object.create(deps.audit) as typeof deps.audit;
    let fail = true;
    failing.append = async (trx, event) => {
      if (fail && event.action === 'email.receive') throw new Error('disk full');
      return deps.audit.append(trx, event);
    };
    const failingDeps = { ...deps, audit: failing };
    await expect(ingestInboundEmail(failingDeps, { hooks: createDefaultHooks(), blobs: store, maxAttachmentBytes: 1_000_000 }, { raw: Buffer.from(raw, 'latin1'), mailFrom: 'cust@shop.example', rcptTo: [ADDRESS] }, [route])).rejects.toThrow('disk full');
    expect(store.blobs.size).toBe(0);
    expect(await countOf('messages')).toBe(before.messages);
    expect(await countOf('attachments')).toBe(before.attachments);
    fail = false;
    const [o] = await ingest(raw, createDefaultHooks(), store);
    expect(o?.outcome).toBe('ticket_created');
    expect(store.blobs.size).toBe(1);
  });

  it('stores one copy when the same message arrives on ten connections at once, and every delivery succeeds', async () => {
    const raw = `From: Parallel <parallel@shop.example>\r\nTo: ${ADDRESS}\r\nSubject: Sent ten times\r\nMessage-ID: <ten-at-once-${kind}@shop.example>\r\n\r\nHello from a retrying server\r\n`;
    const before = { messages: await countOf('messages'), tickets: await countOf('tickets') };
    const results = await Promise.all(Array.from({ length: 10 }, () => ingest(raw)));
    const outcomes = results.map((r) => r[0]!);
    expect(outcomes.filter((o) => o.outcome === 'ticket_created')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'duplicate')).toHaveLength(9);
    expect(new Set(outcomes.map((o) => (o as { messageId: string }).messageId)).size).toBe(1);
    expect(await countOf('messages')).toBe(before.messages + 1);
    expect(await countOf('tickets')).toBe(before.tickets + 1);
  });

  it('holds the one-copy rule in the database itself', async () => {
    const [o] = await ingest(`From: Cust <cust@shop.example>\r\nTo: ${ADDRESS}\r\nSubject: Once\r\nMessage-ID: <constraint-${kind}@shop.example>\r\n\r\nHi\r\n`);
    const row = await s.database.db.selectFrom('messages').where('id', '=', (o as { messageId: string }).messageId).selectAll().executeTakeFirstOrThrow();
    const copy = { ...row, id: crypto.randomUUID() };
    const err = await s.database.db.insertInto('messages').values(copy as never).execute().catch((e: unknown) => e as { code?: string });
    expect(err).toMatchObject({ code: '23505' });
    // Our own replies and notes are not inbound copies: the rule does not touch them.
    await s.database.db.insertInto('messages').values({ ...copy, kind: 'public_reply' } as never).execute();
  });

  it('reads mail with bare-CR line endings as mail: From, Subject and Message-ID survive', async () => {
    const lines = ['From: Cora Return <cora@shop.example>', `To: ${ADDRESS}`, 'Subject: Old Mac mail client', `Message-ID: <bare-cr-${kind}@shop.example>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'First line.', 'Second line.', ''];
    const [o] = await ingest(lines.join('\r'));
    expect(o?.outcome).toBe('ticket_created');
    const t = await readTicket(deps, { principal: agent }, { ticketId: (o as { ticketId: string }).ticketId });
    expect(t.subject).toBe('Old Mac mail client');
    expect(t.messages[0]?.body).toContain('First line.');
    expect(t.messages[0]?.body).toContain('Second line.');
    const sender = await s.database.db.selectFrom('tickets').where('id', '=', t.id).select('requester_id').executeTakeFirstOrThrow();
    expect(sender.requester_id).not.toBeNull();
    // The Message-ID was read: the same message again is recognised as a copy.
    const [again] = await ingest(lines.join('\r'));
    expect(again?.outcome).toBe('duplicate');
    // Mixed endings: a CR not followed by LF ends a line too.
    const [mixed] = await ingest(['From: Mixed <mixed@shop.example>', `To: ${ADDRESS}`, 'Subject: Mixed endings', `Message-ID: <mixed-${kind}@shop.example>`, '', 'Body'].join('\r').replace('\rTo:', '\r\nTo:'));
    expect(mixed?.outcome).toBe('ticket_created');
  });
});
