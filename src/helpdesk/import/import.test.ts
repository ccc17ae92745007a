/**
 * Imports through the protection pipeline: generated Zendesk and FreeScout exports land as tickets with public
 * messages and internal notes, customers matched by email (not duplicated), files stored and scanned, the card
 * number inside a comment (and inside a text file, a PDF, HTML) redacted on the way in and found nowhere in a raw
 * dump of every table, one audit entry per ticket. A dry run writes nothing; a second run skips what the first
 * imported; a truncated or hostile file imports what is complete and sound and says what it left.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { dumpAllTables, dumpContains } from '../../platform/db/dump.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildOrg, buildUser, type TestOrg, type TestUser } from '../../identity/auth/testing.js';
import { openAttachment } from '../../protection/blobs/attachments.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { createCustomer } from '../customers/customers.service.js';
import { searchTickets } from '../search/search.service.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../tickets/context.js';
import { buildPrincipal, seedMailbox } from '../tickets/testing.js';
import { openFreeScoutExport } from './freescout.js';
import { emptyReport, runImport, type ImportReport } from './importer.js';
import { CARD, CARD_DIGITS, EXISTING_EMAIL, MAILBOX, STAFF_EMAIL, writeFreeScoutExport, writeZendeskExport } from './testing.js';
import { openZendeskExport } from './zendesk.js';

const root = mkdtempSync(path.join(tmpdir(), 'td-import-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.each(testDatabaseKinds)('import from other helpdesks, on %s', (kind) => {
  let services: Services;
  let deps: HelpdeskDeps;
  let org: TestOrg;
  let staff: TestUser;
  let existingCustomer: string;
  let mailboxId: string;
  const blobs = new MemoryBlobStore();

  async function run(source: 'zendesk' | 'freescout', dir: string, options: { orgId?: string; dryRun?: boolean; maxAttachmentBytes?: number } = {}): Promise<ImportReport> {
    const report = emptyReport(source, options.dryRun ?? false);
    const problem = (m: string) => report.problems.push(m);
    const exportSource = source === 'zendesk' ? await openZendeskExport(dir, problem) : await openFreeScoutExport(dir, problem);
    return runImport(deps, { orgId: options.orgId ?? org.orgId, source: exportSource, dryRun: options.dryRun ?? false, blobs, maxAttachmentBytes: options.maxAttachmentBytes ?? 1024 * 1024 }, report);
  }

  const decrypt = (table: string, column: string, rowId: string, value: Uint8Array) => deps.keyring.decrypt({ table, column, rowId }, value);

  async function ticketByTag(orgId: string, tag: string) {
    return services.database.db.selectFrom('tickets').where('org_id', '=', orgId).where(sql<boolean>`${tag} = ANY(tags)`).selectAll().executeTakeFirstOrThrow();
  }

  async function messagesOf(ticketId: string) {
    const rows = await services.database.db.selectFrom('messages').where('ticket_id', '=', ticketId).orderBy('created_at').selectAll().execute();
    return Promise.all(rows.map(async (m) => ({ ...m, body: await decrypt('messages', 'body_enc', m.id, m.body_enc as Uint8Array) })));
  }

  beforeAll(async () => {
    services = await createTestServices(kind);
    deps = await createHelpdeskDeps(services);
    org = await buildOrg(services);
    staff = await buildUser(services, org, { email: STAFF_EMAIL, name: 'Anna Berg' });
    existingCustomer = (await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system', id: 'test' } }, { name: 'Maria L.', email: EXISTING_EMAIL })).id;
    mailboxId = await seedMailbox(services.database.db, org.orgId, MAILBOX, null);
  });
  afterAll(async () => {
    await services?.close();
  });

  it('imports a Zendesk export: tickets, public and internal messages, customers matched, files scanned, the card redacted', { timeout: 120_000 }, async () => {
    const dir = path.join(root, `zendesk-${kind}`);
    writeZendeskExport(dir);
    const report = await run('zendesk', dir);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ imported: 3, alreadyImported: 0, leftOut: 1, failed: 0, messages: { public: 4, internal: 1 }, customers: { new: 2, matched: 1 }, attachments: { stored: 1, withheld: 1, tooLarge: 0, missing: 0 }, stoppedEarly: null });
    expect(report.redactions).toBeGreaterThanOrEqual(3);

    const db = services.database.db;
    const t1 = await ticketByTag(org.orgId, 'zendesk:1001');
    // The existing customer is matched by email, not duplicated; the known agent is the assignee; times and status kept.
    expect(t1).toMatchObject({ requester_id: existingCustomer, assignee_id: staff.userId, status: 'solved', priority: 'high', channel: 'email' });
    expect(t1.tags).toEqual(expect.arrayContaining(['zendesk:1001', 'billing', 'refund']));
    expect(new Date(t1.created_at).toISOString()).toBe('2024-03-01T09:00:00.000Z');
    expect(t1.solved_at).not.toBeNull();
    expect(await decrypt('tickets', 'subject_enc', t1.id, t1.subject_enc as Uint8Array)).toBe('Charged twice for my order');
    expect(await db.selectFrom('customers').where('org_id', '=', org.orgId).where('email_bidx', 'is not', null).select('id').execute()).toHaveLength(2);

    const m1 = await messagesOf(t1.id);
    expect(m1.map((m) => [m.kind, m.author_type])).toEqual([['public_reply', 'customer'], ['internal_note', 'user'], ['public_reply', 'user']]);
    expect(m1[0]!.body).toContain('5297');
    expect(m1[0]!.body).not.toContain(CARD);
    expect(m1[0]!.body.replace(/\D/g, '')).not.toContain(CARD_DIGITS);
    expect(m1[0]!.redactions.some((r) => r.type === 'payment_card' && r.action === 'redact')).toBe(true);
    // Hostile HTML became text; a staff member with no account here keeps their name on the note.
    expect(m1[1]!.body).toMatch(/^Zed Former \(Zendesk\):/);
    expect(m1[1]!.body).toContain('Refund approved');
    expect(m1[1]!.body).not.toMatch(/<script|alert|onerror/);
    expect(m1[2]!.author_user_id).toBe(staff.userId);
    expect(t1.first_response_at).not.toBeNull();

    // Files: the text file stored with the card redacted inside, the PDF holding one withheld (no bytes kept).
    const files = await db.selectFrom('attachments').where('message_id', 'in', m1.map((m) => m.id)).selectAll().execute();
    const byStatus = Object.fromEntries(files.map((f) => [f.status, f]));
    expect(Object.keys(byStatus).sort()).toEqual(['stored', 'withheld']);
    const stored = byStatus.stored!;
    const bytes = Buffer.from(await openAttachment({ store: blobs, keyring: deps.keyring, attachmentId: stored.id, blobKey: stored.blob_key as string, contentKeyEnc: stored.content_key_enc as Uint8Array })).toString('utf8');
    expect(bytes).toContain('5297');
    expect(bytes.replace(/\D/g, '')).not.toContain(CARD_DIGITS);
    expect(byStatus.withheld!.blob_key).toBeNull();

    // Comments from comments/<id>.json; a requester with no email becomes a customer by name; the deleted ticket is left out.
    const t2 = await ticketByTag(org.orgId, 'zendesk:1002');
    expect((await messagesOf(t2.id)).map((m) => m.body)).toEqual(['Tracking says delivered, but nothing here.']);
    expect(t2.channel).toBe('web');
    const t4 = await ticketByTag(org.orgId, 'zendesk:1004');
    const phoneOnly = await db.selectFrom('customers').where('id', '=', t4.requester_id as string).selectAll().executeTakeFirstOrThrow();
    expect(phoneOnly.email_enc).toBeNull();
    expect(await db.selectFrom('tickets').where(sql<boolean>`'zendesk:1003' = ANY(tags)`).select('id').execute()).toEqual([]);

    // Searchable by keyed tokens, as live mail is.
    const principal = buildPrincipal({ orgId: org.orgId, userId: staff.userId, role: 'administrator' });
    expect((await searchTickets(deps, { principal }, { q: 'delivered' })).map((t) => t.id)).toEqual([t2.id]);

    // One audit entry per ticket, new customers created by the import, one for the run; none for the left-out one.
    const audit = await db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('actor_id', '=', 'import').select(['action', 'object_id']).execute();
    expect(audit.filter((a) => a.action === 'ticket.import').map((a) => a.object_id).sort()).toEqual([t1.id, t2.id, t4.id].sort());
    expect(audit.filter((a) => a.action === 'customer.create')).toHaveLength(2);
    expect(audit.filter((a) => a.action === 'import.run')).toHaveLength(1);

    // Re-run: everything is skipped, nothing doubles.
    const before = await db.selectFrom('messages').where('org_id', '=', org.orgId).select(db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const again = await run('zendesk', dir);
    expect(again).toMatchObject({ imported: 0, alreadyImported: 3, leftOut: 1, failed: 0 });
    const after = await db.selectFrom('messages').where('org_id', '=', org.orgId).select(db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('imports a FreeScout export: threads in order, notes internal, status lines and spam left out, the same customer matched', { timeout: 120_000 }, async () => {
    const dir = path.join(root, `freescout-${kind}`);
    writeFreeScoutExport(dir);
    const report = await run('freescout', dir);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ imported: 2, leftOut: 1, failed: 0, messages: { public: 3, internal: 1 }, customers: { new: 1, matched: 1 }, attachments: { stored: 1, withheld: 1 } });
    const t = await ticketByTag(org.orgId, 'freescout:57');
    expect(t).toMatchObject({ requester_id: existingCustomer, assignee_id: staff.userId, status: 'closed', mailbox_id: mailboxId });
    expect(t.tags).toContain('payments');
    const ms = await messagesOf(t.id);
    expect(ms.map((m) => [m.kind, m.author_type])).toEqual([['public_reply', 'customer'], ['public_reply', 'user'], ['internal_note', 'user']]);
    expect(ms[0]!.body).toMatch(/My card\s4297-25\*\*-\*\*\*\*-5297 was declined/);
    expect(ms[0]!.body.replace(/\D/g, '')).not.toContain(CARD_DIGITS);
    expect(ms[1]!.author_user_id).toBe(staff.userId);
    expect(ms[2]!.body).toMatch(/^Olle Gone \(FreeScout\):/);
    // Markup is gone; a link is written out as text ("bank [url]"), never stored as a live element.
    expect(ms[2]!.body).toContain('Checked with bank [');
    expect(ms[2]!.body).not.toMatch(/<a|<style|p\{\}/);
    const chat = await ticketByTag(org.orgId, 'freescout:58');
    expect(chat.channel).toBe('web');
    expect(chat.status).toBe('open');

    // Nothing anywhere in the database holds the card, the comment text, a name or an address in clear.
    const dump = await dumpAllTables(services.database.db);
    for (const needle of [CARD, CARD_DIGITS, CARD.replace(/ /g, '-'), 'charged twice', 'Lindqvist', 'bertil.okonkwo', 'chidi.eze', 'Tracking says', 'Refund approved', 'receipt.txt']) {
      expect(dumpContains(dump, needle), needle).toBe(false);
    }
  });

  it('writes nothing in a dry run, and reports what it would do', { timeout: 120_000 }, async () => {
    const other = await buildOrg(services);
    await createCustomer(deps, { orgId: other.orgId, actor: { type: 'system', id: 'test' } }, { name: 'Maria', email: EXISTING_EMAIL });
    const dir = path.join(root, `dry-${kind}`);
    writeZendeskExport(dir);
    const blobCount = blobs.blobs.size;
    const before = await dumpAllTables(services.database.db);
    const report = await run('zendesk', dir, { orgId: other.orgId, dryRun: true });
    expect(report).toMatchObject({ dryRun: true, imported: 3, failed: 0, customers: { new: 2, matched: 1 }, messages: { public: 4, internal: 1 }, attachments: { stored: 1, withheld: 1 } });
    expect(await dumpAllTables(services.database.db)).toBe(before);
    expect(blobs.blobs.size).toBe(blobCount);
    // And the real run afterwards works (no key or number was left behind by the dry run).
    const real = await run('zendesk', dir, { orgId: other.orgId });
    expect(real).toMatchObject({ imported: 3, customers: { new: 2, matched: 1 } });
    expect((await ticketByTag(other.orgId, 'zendesk:1001')).number).toBe(1);
  });

  it('imports a ticket once when two runs race, and streams a 20,000-ticket file in bounded memory', { timeout: 180_000 }, async () => {
    const target = await buildOrg(services);
    const dir = path.join(root, `race-${kind}`);
    writeZendeskExport(dir);
    const [a, b] = await Promise.all([run('zendesk', dir, { orgId: target.orgId }), run('zendesk', dir, { orgId: target.orgId })]);
    expect(a.imported + b.imported).toBe(3);
    expect(a.alreadyImported + b.alreadyImported).toBe(3);
    expect(a.failed + b.failed).toBe(0);
    const rows = await services.database.db.selectFrom('tickets').where('org_id', '=', target.orgId).select('number').orderBy('number').execute();
    expect(rows.map((r) => Number(r.number))).toEqual([1, 2, 3]);

    // 20,000 tickets (all but a handful deleted in Zendesk, so the run stays quick): every record is read and mapped,
    // the sound ones imported, and the heap never holds the file.
    const huge = path.join(root, `huge-${kind}`);
    mkdirSync(huge, { recursive: true });
    writeFileSync(path.join(huge, 'users.json'), JSON.stringify({ users: [{ id: 1, name: 'Hugo Many', email: 'hugo@many.example', role: 'end-user' }] }));
    const body = 'A long question about an order. '.repeat(60);
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      lines.push(JSON.stringify({ id: i + 1, subject: `Question ${i}`, status: i % 4000 === 0 ? 'open' : 'deleted', requester_id: 1, comments: [{ id: 1_000_000 + i, author_id: 1, public: true, plain_body: body }] }));
    }
    writeFileSync(path.join(huge, 'tickets.json'), lines.join('\n'));
    lines.length = 0;
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let peak = 0;
    const report = emptyReport('zendesk', false);
    const source = await openZendeskExport(huge, (m) => report.problems.push(m));
    await runImport(deps, { orgId: target.orgId, source, dryRun: false, blobs, maxAttachmentBytes: 1024, onProgress: () => (peak = Math.max(peak, process.memoryUsage().heapUsed - heapBefore)) }, report);
    expect(report).toMatchObject({ imported: 5, leftOut: 19_995, failed: 0, problems: [] });
    expect(source.bytesRead).toBeGreaterThan(40_000_000);
    // The file is over 40 MB; a loose bound well under it shows it was streamed.
    expect(peak).toBeLessThan(32 * 1024 * 1024);
  });

  it('imports what is complete and sound from a truncated, hostile file, says what it left, and resumes', { timeout: 120_000 }, async () => {
    const target = await buildOrg(services);
    const dir = path.join(root, `hostile-${kind}`);
    mkdirSync(path.join(dir, 'attachments', '9101'), { recursive: true });
    mkdirSync(path.join(dir, 'attachments', '9102'), { recursive: true });
    writeFileSync(path.join(dir, 'users.json'), JSON.stringify({ users: [{ id: 1, name: 'Ann Customer', email: 'ann@hostile.example', role: 'end-user' }] }));
    symlinkSync('/etc/hostname', path.join(dir, 'attachments', '9101', 'link.txt'));
    symlinkSync('/etc', path.join(dir, 'attachments', '9103'));
    const comment = (id: number, extra: object = {}) => ({ id, author_id: 1, public: true, plain_body: `text of ${id}`, ...extra });
    const lines = [
      // Path traversal, a link out of the folder, a folder that is a link, a huge file, base64 that is not: the ticket imports without them.
      {
        id: 1,
        requester_id: 1,
        subject: 'Files',
        comments: [
          comment(11, {
            attachments: [
              { id: 9100, file_name: '../../../../etc/passwd', content_type: 'text/plain' },
              { id: 9101, file_name: 'link.txt', content_type: 'text/plain' },
              { id: 9103, file_name: 'hostname', content_type: 'text/plain' },
              { id: 9102, file_name: 'big.bin', content_type: 'application/octet-stream', data: Buffer.alloc(4096).toString('base64') },
              { id: 9104, file_name: 'x.txt', content_type: 'text/plain', data: '@@not base64@@' },
            ],
          }),
        ],
      },
      // Wrong types: named in the problem, the record not imported, the others are.
      { id: 2, requester_id: 1, subject: 'Bad', comments: 'not a list' },
      { id: { $gt: 1 }, requester_id: 1, comments: [] },
      { id: 3, requester_id: 1, subject: 'Bad date', created_at: 'yesterday', comments: [] },
      { id: 4, requester_id: 1, subject: 'Deep', comments: [comment(41, { metadata: JSON.parse(`${'['.repeat(80)}${']'.repeat(80)}`) as unknown })] },
      { id: 5, requester_id: 1, subject: '<b>Sound</b> one', comments: [comment(51)] },
      { id: 6, requester_id: 1, subject: 'Cut short', comments: [comment(61)] },
    ];
    const text = lines.map((l) => JSON.stringify(l)).join('\n');
    const cut = text.length - 10;
    writeFileSync(path.join(dir, 'tickets.json'), text.slice(0, cut));
    const report = await run('zendesk', dir, { orgId: target.orgId, maxAttachmentBytes: 1024 });
    expect(report).toMatchObject({ imported: 2, failed: 4, attachments: { stored: 0, tooLarge: 1, missing: 4 } });
    expect(report.stoppedEarly).toMatch(/inside record 7/);
    const problems = report.problems.join('\n');
    expect(problems).toMatch(/Record 2: comments must be a list/);
    expect(problems).toMatch(/Record 3: id must be a number or a short id/);
    expect(problems).toMatch(/Record 4: created_at must be a date/);
    expect(problems).toMatch(/Record 5 is nested too deeply/);
    expect(problems).toMatch(/attachment 9100 has a file name that is not a plain file name/);
    expect(problems).toMatch(/attachment 9101 is not a regular file/);
    expect(problems).toMatch(/attachment 9103 points outside the attachments folder/);
    expect(problems).toMatch(/attachment 9104 carries data that is not base64/);
    // Problems name ids and fields, never file names or contents.
    expect(problems).not.toMatch(/passwd|link\.txt|text of/);
    const hostname = readFileSync('/etc/hostname', 'utf8').trim();
    const dump = await dumpAllTables(services.database.db);
    if (hostname.length > 3) expect(dumpContains(dump, hostname)).toBe(false);
    const files = await services.database.db.selectFrom('attachments').where('org_id', '=', target.orgId).select(['status', 'size']).execute();
    expect(files).toEqual([{ status: 'too_large', size: 4096 }]);
    // HTML in a subject is text, kept as written.
    const sound = await ticketByTag(target.orgId, 'zendesk:5');
    expect(await decrypt('tickets', 'subject_enc', sound.id, sound.subject_enc as Uint8Array)).toBe('<b>Sound</b> one');

    // The rest of the file arrives: the second run imports only the ticket that was cut off.
    appendFileSync(path.join(dir, 'tickets.json'), text.slice(cut));
    const resumed = await run('zendesk', dir, { orgId: target.orgId, maxAttachmentBytes: 1024 });
    expect(resumed).toMatchObject({ imported: 1, alreadyImported: 2, failed: 4, stoppedEarly: null });
    expect((await ticketByTag(target.orgId, 'zendesk:6')).number).toBe(3);
  });

  it('stops at the organisation’s storage limit with what was imported and how to resume; the ticket it stopped at leaves nothing', { timeout: 120_000 }, async () => {
    const target = await buildOrg(services);
    await seedMailbox(services.database.db, target.orgId, `limit-${kind}@import.example`, null);
    await services.database.db.updateTable('organizations').set({ limit_storage_bytes: 0 }).where('id', '=', target.orgId).execute();
    const dir = path.join(root, `zendesk-limit-${kind}`);
    writeZendeskExport(dir);
    const stopped = await run('zendesk', dir, { orgId: target.orgId });
    expect(stopped.limitReached).toMatch(/would exceed this organisation's attachment storage: 0 B used of 0 B\. Ask the operator/);
    expect(stopped.imported).toBeLessThan(3);
    const db = services.database.db;
    const tickets = await db.selectFrom('tickets').where('org_id', '=', target.orgId).select('id').execute();
    expect(tickets).toHaveLength(stopped.imported);
    expect(await db.selectFrom('attachments').where('org_id', '=', target.orgId).select('id').execute()).toEqual([]);
    const runs = await db.selectFrom('audit_log').where('org_id', '=', target.orgId).where('action', '=', 'import.run').select(['result', 'details']).execute();
    expect(runs[0]).toMatchObject({ result: 'failure', details: expect.objectContaining({ limitReached: true }) });

    await db.updateTable('organizations').set({ limit_storage_bytes: null }).where('id', '=', target.orgId).execute();
    const resumed = await run('zendesk', dir, { orgId: target.orgId });
    expect(resumed).toMatchObject({ imported: 3 - stopped.imported, alreadyImported: stopped.imported, limitReached: null });
  });
});
