import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { createDefaultHooks } from '../../helpdesk/ingest/hooks.js';
import { ingestInboundEmail, type IngestOutcome } from '../../helpdesk/ingest/pipeline.js';
import type { MemoryMailer } from '../../platform/notify/mailer.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { seedMailbox } from '../../helpdesk/tickets/testing.js';
import { dumpAllTables, dumpContains } from '../../platform/db/dump.js';
import { phishingReportRoutes } from './phishing-reports.routes.js';
import { sealSenderDataAtRest } from './seal.js';

const ADDRESS = 'support@reports-test.example';

function message(from: string, subject: string, body: string): Buffer {
  return Buffer.from([`From: ${from}`, `To: ${ADDRESS}`, `Subject: ${subject}`, `Message-ID: <${randomUUID()}@sender.example>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'));
}

describe.each(testDatabaseKinds)('phishing reports and sender lists on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let team: string;
  let agent: SignedIn;
  let officer: SignedIn;
  let admin: SignedIn;
  let ingest: (raw: Buffer) => Promise<IngestOutcome>;

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: [...appRoutes, phishingReportRoutes] });
    await app.ready();
    org = await buildOrg(services);
    team = await buildTeam(services, org);
    const mailbox = await seedMailbox(services.database.db, org.orgId, ADDRESS, team);
    agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    officer = await signIn(app, org, { roles: ['security_officer'] });
    admin = await signIn(app, org, { roles: ['administrator'] });
    const deps = await createHelpdeskDeps(services);
    const hooks = createDefaultHooks({ db: services.database.db, keyring: services.keyring, mailer: services.mailer });
    const route = [{ id: mailbox, orgId: org.orgId, address: ADDRESS, teamId: team }];
    ingest = async (raw) => (await ingestInboundEmail(deps, { hooks, blobs: new MemoryBlobStore(), maxAttachmentBytes: 1_000_000 }, { raw, mailFrom: 'x@sender.example', rcptTo: [ADDRESS] }, route))[0]!;
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  const mailer = () => services.mailer as MemoryMailer;
  const report = (who: SignedIn, ticketId: string, messageId: string, comment?: string) =>
    app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/messages/${messageId}/report-phishing`, headers: who.headers, payload: comment ? { comment } : {} });

  it('requires a session on every route', async () => {
    const id = randomUUID();
    for (const [method, url] of [['GET', '/api/sender-lists'], ['POST', '/api/sender-lists'], ['POST', `/api/tickets/${id}/messages/${id}/report-phishing`], ['GET', '/api/phishing-reports'], ['GET', `/api/links/check?u=https://a.example&m=${id}`]] as const) {
      expect((await app.inject({ method, url, payload: method === 'POST' ? {} : undefined })).statusCode, url).toBe(401);
    }
    // As the route matrix probes them: no query, a password-only session.
    expect((await app.inject({ url: '/api/links/check' })).statusCode).toBe(401);
    const pwOnly = await signIn(app, org, { roles: ['administrator'], mfa: false });
    for (const [method, url] of [['GET', '/api/links/check'], ['GET', '/api/sender-lists'], ['POST', `/api/sender-lists/${id}/approve`], ['POST', `/api/phishing-reports/${id}/outcome`]] as const) {
      expect((await app.inject({ method, url, headers: pwOnly.headers, payload: method === 'POST' ? {} : undefined })).json().code, url).toBe('mfa_required');
    }
    const auditor = await signIn(app, org, { roles: ['auditor'] });
    expect((await app.inject({ url: '/api/phishing-reports', headers: auditor.headers })).statusCode).toBe(403);
  });

  it('lets administrators manage the lists, security officers read them, and refuses agents', async () => {
    const add = await app.inject({ method: 'POST', url: '/api/sender-lists', headers: admin.headers, payload: { kind: 'allow', value: 'Partner.Example', reason: 'our logistics partner' } });
    expect(add.statusCode).toBe(201);
    expect(add.json()).toMatchObject({ kind: 'allow', value: 'partner.example', status: 'active', addedBy: admin.userId });
    expect((await app.inject({ method: 'POST', url: '/api/sender-lists', headers: admin.headers, payload: { kind: 'allow', value: 'partner.example', reason: 'again' } })).statusCode).toBe(409);
    expect((await app.inject({ method: 'POST', url: '/api/sender-lists', headers: admin.headers, payload: { kind: 'block', value: 'partner.example', reason: 'contradiction' } })).statusCode).toBe(409);
    expect((await app.inject({ method: 'POST', url: '/api/sender-lists', headers: admin.headers, payload: { kind: 'block', value: 'not a domain', reason: 'bad' } })).statusCode).toBe(400);
    expect((await app.inject({ url: '/api/sender-lists', headers: officer.headers })).json().items.map((e: { value: string }) => e.value)).toContain('partner.example');
    expect((await app.inject({ url: '/api/sender-lists', headers: agent.headers })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/api/sender-lists', headers: officer.headers, payload: { kind: 'block', value: 'x.example', reason: 'not mine' } })).statusCode).toBe(403);
    const removed = await app.inject({ method: 'POST', url: `/api/sender-lists/${add.json().id}/remove`, headers: admin.headers, payload: { reason: 'contract ended' } });
    expect(removed.statusCode).toBe(200);
    const audit = await services.database.db.selectFrom('audit_log').where('object_id', '=', add.json().id).select(['action', 'actor_id']).orderBy('ts').execute();
    expect(audit.map((a) => a.action)).toEqual(['sender_list.add', 'sender_list.remove']);
    // Another organisation's administrator cannot touch this entry.
    const stranger = await signIn(app, await buildOrg(services), { roles: ['administrator'] });
    expect((await app.inject({ url: '/api/sender-lists', headers: stranger.headers })).json().items).toEqual([]);
  });

  it('reports a message: quarantined, hidden, suggested for blocking, recorded, audited, security told', async () => {
    const got = await ingest(message('Mallory <mallory@lure.example>', 'Invoice', 'Please see the attached invoice.'));
    expect(got.outcome).toBe('ticket_created');
    const { ticketId, messageId } = got as { ticketId: string; messageId: string };
    const before = mailer().sent.length;
    const res = await report(agent, ticketId, messageId, 'asked me for my password');
    expect(res.statusCode).toBe(201);
    const { reportId, quarantineId, blockSuggestionId } = res.json();
    const db = services.database.db;
    // The ticket shows the message as reported, with its body withheld so nobody clicks its links.
    const ticketView = await app.inject({ url: `/api/tickets/${ticketId}`, headers: agent.headers });
    const shown = (ticketView.json().messages as Array<{ id: string; reported: boolean; body: string | null }>).find((m) => m.id === messageId);
    expect(shown).toMatchObject({ reported: true, body: null });
    expect(await db.selectFrom('quarantine').where('id', '=', quarantineId).select(['reason', 'status', 'org_id']).executeTakeFirst()).toEqual({ reason: 'reported', status: 'held', org_id: org.orgId });
    expect((await db.selectFrom('messages').where('id', '=', messageId).select('reported_at').executeTakeFirstOrThrow()).reported_at).not.toBeNull();
    expect(await db.selectFrom('sender_lists').where('id', '=', blockSuggestionId).select(['kind', 'value', 'entry_type', 'status', 'source']).executeTakeFirst()).toEqual({ kind: 'block', value: null, entry_type: 'address', status: 'pending', source: 'report' });
    expect((await app.inject({ url: '/api/sender-lists?status=pending', headers: admin.headers })).json().items).toEqual(expect.arrayContaining([expect.objectContaining({ id: blockSuggestionId, value: 'mallory@lure.example' })]));
    expect(await db.selectFrom('phishing_reports').where('id', '=', reportId).select(['reporter_id', 'message_id', 'outcome']).executeTakeFirst()).toEqual({ reporter_id: agent.userId, message_id: messageId, outcome: 'pending' });
    const events = await db.selectFrom('audit_log').where('actor_id', '=', agent.userId).where('action', 'in', ['message.report_phishing', 'email.quarantine']).select(['action', 'object_id']).execute();
    expect(events).toEqual(expect.arrayContaining([{ action: 'message.report_phishing', object_id: messageId }, { action: 'email.quarantine', object_id: quarantineId }]));
    const notices = mailer().sent.slice(before);
    expect(notices.map((n) => n.to)).toEqual([officer.email]);
    expect(notices[0]!.text).toContain(quarantineId);
    expect(notices[0]!.text).not.toContain('mallory');
    // The officer reads it through the quarantine routes.
    const read = await app.inject({ url: `/api/quarantine/${quarantineId}`, headers: officer.headers });
    expect(read.json()).toMatchObject({ reason: 'reported', codes: expect.arrayContaining(['reported']) });
    expect(read.json().source).toContain('Please see the attached invoice.');
    // The awareness record: the agent sees their own report.
    expect((await app.inject({ url: '/api/phishing-reports', headers: agent.headers })).json().items.map((r: { id: string }) => r.id)).toEqual([reportId]);
    // Reporting twice is a conflict.
    expect((await report(agent, ticketId, messageId)).statusCode).toBe(409);
    // An officer's verdict: a false positive shows the message again.
    const decided = await app.inject({ method: 'POST', url: `/api/phishing-reports/${reportId}/outcome`, headers: officer.headers, payload: { outcome: 'false_positive', reason: 'a genuine invoice' } });
    expect(decided.json()).toMatchObject({ outcome: 'false_positive' });
    expect((await db.selectFrom('messages').where('id', '=', messageId).select('reported_at').executeTakeFirstOrThrow()).reported_at).toBeNull();
    expect((await app.inject({ method: 'POST', url: `/api/phishing-reports/${reportId}/outcome`, headers: agent.headers, payload: { outcome: 'confirmed', reason: 'mine' } })).statusCode).toBe(403);
  });

  it('hides other teams’ and organisations’ tickets (404) and refuses roles without tickets.read (403)', async () => {
    const got = (await ingest(message('Eve <eve@lure2.example>', 'Hello', 'Just a question.'))) as { ticketId: string; messageId: string };
    const otherTeam = await signIn(app, org, { roles: ['agent'], teamIds: [await buildTeam(services, org)] });
    expect((await report(otherTeam, got.ticketId, got.messageId)).statusCode).toBe(404);
    const stranger = await signIn(app, await buildOrg(services), { roles: ['administrator'] });
    expect((await report(stranger, got.ticketId, got.messageId)).statusCode).toBe(404);
    const auditor = await signIn(app, org, { roles: ['auditor'] });
    expect((await report(auditor, got.ticketId, got.messageId)).statusCode).toBe(403);
    // A message id from another ticket is not found under this one.
    const other = (await ingest(message('Eve <eve@lure2.example>', 'Second', 'Another question.'))) as { ticketId: string; messageId: string };
    expect((await report(agent, got.ticketId, other.messageId)).statusCode).toBe(404);
    // The link check is authorised the same way.
    const link = (who: SignedIn) => app.inject({ url: `/api/links/check?u=${encodeURIComponent('https://paypal.com@10.0.0.1/x')}&m=${got.messageId}&t=paypal.com`, headers: who.headers });
    expect((await link(otherTeam)).statusCode).toBe(404);
    expect((await link(stranger)).statusCode).toBe(404);
    expect((await link(auditor)).statusCode).toBe(403);
    const ok = await link(agent);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ host: '10.0.0.1', level: 'warn', warn: true });
    expect(ok.json().reasons.map((r: { code: string }) => r.code).sort()).toEqual(['link.ip_host', 'link.text_mismatch', 'link.userinfo']);
  });

  it('a blocked sender’s next message is phishing: quarantined, and security officers are mailed ids and codes only', async () => {
    const first = await ingest(message('Trent <trent@repeat.example>', 'Order 1', 'Where is my order?'));
    expect(first.outcome).toBe('ticket_created');
    const { ticketId, messageId } = first as { ticketId: string; messageId: string };
    const reported = (await report(agent, ticketId, messageId)).json();
    // A pending suggestion is not applied …
    expect((await ingest(message('Trent <trent@repeat.example>', 'Order 2', 'Where is my order?'))).outcome).not.toBe('quarantined');
    // … until an administrator approves it.
    const approved = await app.inject({ method: 'POST', url: `/api/sender-lists/${reported.blockSuggestionId}/approve`, headers: admin.headers, payload: { reason: 'confirmed phishing' } });
    expect(approved.json()).toMatchObject({ status: 'active', approvedBy: admin.userId });
    const before = mailer().sent.length;
    const next = await ingest(message('Trent <trent@repeat.example>', 'Order 3', 'Where is my order?'));
    expect(next).toMatchObject({ outcome: 'quarantined', reason: 'phishing' });
    expect((next as { codes: string[] }).codes).toContain('sender.blocked');
    const notices = mailer().sent.slice(before);
    expect(notices.map((n) => n.to)).toEqual([officer.email]);
    expect(notices[0]!.text).toContain((next as { quarantineId: string }).quarantineId);
    expect(notices[0]!.text).toContain('sender.blocked');
    expect(notices[0]!.text).not.toMatch(/trent|Order 3|Where is my order/i);
  });

  it('keeps list values and known sender domains out of a database dump, and still matches them', async () => {
    const add = (kind: 'allow' | 'block', value: string) => app.inject({ method: 'POST', url: '/api/sender-lists', headers: admin.headers, payload: { kind, value, reason: 'test of sealed values' } });
    expect((await add('block', 'Quentin.Ashdown@sealed-customer.example')).statusCode).toBe(201);
    expect((await add('block', 'grimwade-lures.example')).statusCode).toBe(201);
    // A clean message makes its domain known.
    expect((await ingest(message('Olwen <olwen@hollyfield-bakery.example>', 'Bread order', 'Two loaves for Friday, thanks.'))).outcome).toBe('ticket_created');
    const dump = await dumpAllTables(services.database.db);
    for (const needle of ['quentin.ashdown', 'sealed-customer.example', 'grimwade-lures.example', 'hollyfield-bakery.example']) {
      expect(dumpContains(dump, needle), needle).toBe(false);
    }
    expect(await services.database.db.selectFrom('known_sender_domains').where('org_id', '=', org.orgId).where('domain', 'is not', null).select('org_id').execute()).toEqual([]);
    // Matching still works on the keyed hashes: the address, and a subdomain of a blocked domain (From and Reply-To).
    expect(await ingest(message('Q <quentin.ashdown@sealed-customer.example>', 'Hi', 'Hello there.'))).toMatchObject({ outcome: 'quarantined' });
    expect(await ingest(message('G <billing@mail.grimwade-lures.example>', 'Invoice', 'See invoice.'))).toMatchObject({ outcome: 'quarantined' });
    const withReplyTo = Buffer.from(message('Olwen <olwen@hollyfield-bakery.example>', 'Reply here', 'Please answer the other address.').toString().replace('MIME-Version', 'Reply-To: x@grimwade-lures.example\r\nMIME-Version'));
    expect(await ingest(withReplyTo)).toMatchObject({ outcome: 'quarantined' });
    const listed = await app.inject({ url: '/api/sender-lists?kind=block', headers: officer.headers });
    expect(listed.json().items.map((e: { value: string }) => e.value)).toEqual(expect.arrayContaining(['quentin.ashdown@sealed-customer.example', 'grimwade-lures.example']));
    // Showing addresses is a read of customer data: audited (who, how many), the values themselves never.
    const reads = await services.database.db.selectFrom('audit_log').where('actor_id', '=', officer.userId).where('action', '=', 'sender_list.list').select(['details']).execute();
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.at(-1)!.details).toMatchObject({ kind: 'block', addresses: expect.any(Number) });
    expect(JSON.stringify(reads)).not.toContain('quentin');
  });

  it('seals list values and known domains written in clear before migration 0012', async () => {
    const db = services.database.db;
    const id = randomUUID();
    await db.insertInto('sender_lists').values({ id, org_id: org.orgId, kind: 'block', value: 'legacy.person@old-release.example', status: 'active', source: 'admin', reason: 'from the old release', added_by: admin.userId }).execute();
    await db.insertInto('known_sender_domains').values({ org_id: org.orgId, domain: 'old-release-partner.example', messages: 4 }).execute();
    expect(dumpContains(await dumpAllTables(db), 'legacy.person@old-release.example')).toBe(true);
    expect(await sealSenderDataAtRest(db, services.keyring)).toMatchObject({ entries: 1, domains: 1 });
    const dump = await dumpAllTables(db);
    expect(dumpContains(dump, 'legacy.person')).toBe(false);
    expect(dumpContains(dump, 'old-release-partner.example')).toBe(false);
    expect(await sealSenderDataAtRest(db, services.keyring)).toEqual({ entries: 0, domains: 0 });
    // Still listed (decrypted for the officer) and still matched.
    expect((await app.inject({ url: '/api/sender-lists', headers: officer.headers })).json().items).toEqual(expect.arrayContaining([expect.objectContaining({ id, value: 'legacy.person@old-release.example' })]));
    expect(await ingest(message('L <legacy.person@old-release.example>', 'Hi', 'Hello.'))).toMatchObject({ outcome: 'quarantined' });
    expect(Number((await db.selectFrom('known_sender_domains').where('org_id', '=', org.orgId).where('domain_hash', 'is not', null).select((eb) => eb.fn.sum<number>('messages').as('n')).executeTakeFirstOrThrow()).n)).toBeGreaterThanOrEqual(4);
  });

  it('feeds staff names into the analyzer: a stranger using an agent’s name is flagged', async () => {
    await services.database.db.updateTable('users').set({ name: 'Philippa Grantham-Oakes' }).where('id', '=', admin.userId).execute();
    const hooks = createDefaultHooks({ db: services.database.db, keyring: services.keyring });
    const { parseRawMessage } = await import('../phishing/index.js');
    const parsed = await parseRawMessage(message('Philippa Grantham-Oakes <philippa.go@freemail-lookalike.example>', 'Urgent', 'Please buy gift cards for the team today.'));
    const analysis = await hooks.analyzeThreats({ parsed, raw: Buffer.alloc(0), orgId: org.orgId, orgName: 'Acme', orgDomains: ['reports-test.example'], envelope: { mailFrom: '' } });
    const without = await createDefaultHooks().analyzeThreats({ parsed, raw: Buffer.alloc(0), orgId: org.orgId, orgName: 'Acme', orgDomains: ['reports-test.example'], envelope: { mailFrom: '' } });
    expect(analysis!.reasons.map((r) => r.code).filter((c) => c.includes('impersonat') || c.includes('staff'))).not.toEqual([]);
    expect(analysis!.score).toBeGreaterThan(without!.score);
  });
});
