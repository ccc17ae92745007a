/**
 * Data-subject requests through the API (decision 0198): who may record, verify, approve; the second-approver
 * rule; erasure that leaves nothing of the customer to decrypt or match in the database dump, blob store,
 * search index, outbox, webhook queue and quarantine; a failure mid-way that leaves the customer whole; an
 * erasure racing the customer's new email; the certificate. The access export (decision 0205): asked for in the
 * portal (a repeat answers the open request), approved by staff, downloaded with the emailed link and a code; what
 * it holds and leaves out; tampered links, wrong codes, expiry, and an erasure that wins over the export.
 */
import { randomInt } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, scratchRoot, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { normalizers } from '../../protection/crypto/normalize.js';
import { dumpAllTables, dumpContains } from '../../platform/db/dump.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { KeyDestroyedError } from '../../platform/errors.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { writeOutboxMessage } from '../../platform/notify/outbox.js';
import { enqueueWebhookEvent } from '../../platform/webhooks/events.js';
import { findCustomerIdsByEmail, readCustomer } from '../customers/customers.service.js';
import { createDefaultHooks } from '../ingest/hooks.js';
import { ingestInboundEmail, type IngestOutcome } from '../ingest/pipeline.js';
import { enqueueOutboundMail } from '../mail/outbound-queue.js';
import { searchTokensFor } from '../search/search-index.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../tickets/context.js';
import { buildPrincipal, seedMailbox } from '../tickets/testing.js';
import { insertMessage } from '../tickets/records.js';
import type { ErasureCertificate } from './certificate.js';
import { lastCode, portalSignIn, type PortalSignedIn } from '../portal/testing.js';
import type { MemoryMailer } from '../../platform/notify/mailer.js';
import { unzipSync, strFromU8 } from 'fflate';
import type { AccessExport } from './bundle.js';
import { createPrivacyRoutes, privacyRoutes } from './privacy.routes.js';
import { approvePrivacyRequest } from './requests.service.js';

const ADDRESS = 'help@privacy-test.example';
const ALICE = { name: 'Alicia Quintessa', email: 'alicia.quintessa@customer.example', word: 'zanzibarquokka' };

function mail(from: string, subject: string, body: string, attachment?: { name: string; text: string }): Buffer {
  const head = [`From: ${from}`, `To: ${ADDRESS}`, `Subject: ${subject}`, `Message-ID: <${randomUUID()}@customer.example>`, 'MIME-Version: 1.0'];
  if (!attachment) return Buffer.from([...head, 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'));
  return Buffer.from([...head, 'Content-Type: multipart/mixed; boundary="B"', '', '--B', 'Content-Type: text/plain; charset=utf-8', '', body,
    '--B', `Content-Type: text/plain; name="${attachment.name}"`, `Content-Disposition: attachment; filename="${attachment.name}"`, '', attachment.text, '--B--', ''].join('\r\n'));
}

describe.each(testDatabaseKinds)('data-subject requests on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let deps: HelpdeskDeps;
  let org: TestOrg;
  let otherOrg: TestOrg;
  let agent: SignedIn;
  let admin: SignedIn;
  let officer: SignedIn;
  let auditor: SignedIn;
  let intruder: SignedIn;
  let route: Array<{ id: string; orgId: string; address: string; teamId: string }>;
  const blobs = new MemoryBlobStore();
  let dataDir: string;

  async function ingest(raw: Buffer, hooks = createDefaultHooks()): Promise<IngestOutcome> {
    const [o] = await ingestInboundEmail(deps, { hooks, blobs, maxAttachmentBytes: 1_000_000 }, { raw, mailFrom: 'x@customer.example', rcptTo: [ADDRESS] }, route);
    return o!;
  }

  /** A customer with a ticket, as their own email made them; verified by the agent on that ticket. */
  async function customerWithTicket(name: string, email: string, body: string): Promise<{ customerId: string; ticketId: string; messageId: string; verificationId: string }> {
    const o = await ingest(mail(`${name} <${email}>`, `Question from ${name}`, body));
    const { ticketId, messageId } = o as { ticketId: string; messageId: string };
    const t = await services.database.db.selectFrom('tickets').where('id', '=', ticketId).select('requester_id').executeTakeFirstOrThrow();
    const verificationId = randomUUID();
    await services.database.db
      .insertInto('customer_verifications')
      .values({ id: verificationId, org_id: org.orgId, ticket_id: ticketId, customer_id: t.requester_id!, channel: 'email', code_hmac: Buffer.alloc(32), status: 'verified', verified_via: 'agent', requested_by: agent.userId, expires_at: new Date(Date.now() + 600_000), decided_at: new Date() })
      .execute();
    return { customerId: t.requester_id!, ticketId, messageId, verificationId };
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(scratchRoot, 'privacy-'));
    services = await createTestServices(kind, { config: { TRUSTDESK_DATA_DIR: dataDir } });
    app = await buildApp({ services, schemaCache: testSchemaCache, routes: [...appRoutes.filter((r) => r !== privacyRoutes), createPrivacyRoutes({ blobs })] });
    await app.ready();
    deps = await createHelpdeskDeps(services);
    org = await buildOrg(services);
    otherOrg = await buildOrg(services);
    const team = await buildTeam(services, org);
    const mailbox = await seedMailbox(services.database.db, org.orgId, ADDRESS, team);
    route = [{ id: mailbox, orgId: org.orgId, address: ADDRESS, teamId: team }];
    agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    admin = await signIn(app, org, { roles: ['administrator'] });
    officer = await signIn(app, org, { roles: ['security_officer'] });
    auditor = await signIn(app, org, { roles: ['auditor'] });
    intruder = await signIn(app, otherOrg, { roles: ['administrator'] });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  const post = (who: SignedIn, url: string, payload: object = {}) => app.inject({ method: 'POST', url, headers: who.headers, payload });
  const get = (who: SignedIn, url: string) => app.inject({ url, headers: who.headers });

  it('an agent records a request only after verifying the customer, cannot see the queue or approve; repeats and strangers are refused', async () => {
    const c = await customerWithTicket('Rhea Example', 'rhea@customer.example', 'Please delete my data');
    const unverified = await post(agent, '/api/privacy/requests', { customerId: c.customerId, kind: 'erasure' });
    expect(unverified.statusCode).toBe(400);
    expect(unverified.headers['content-type']).toMatch(/problem\+json/);
    const created = await post(agent, '/api/privacy/requests', { customerId: c.customerId, kind: 'erasure', verificationId: c.verificationId });
    expect(created.statusCode, created.body).toBe(200);
    const req = created.json();
    expect(req).toMatchObject({ status: 'verified', via: 'agent', verification: 'code', requestedBy: agent.userId, overdue: false });
    // Due one calendar month after receipt.
    const received = new Date(req.receivedAt);
    expect(new Date(req.dueAt).getUTCMonth()).toBe((received.getUTCMonth() + 1) % 12);
    // Repeated: conflict, naming the open request.
    const again = await post(agent, '/api/privacy/requests', { customerId: c.customerId, kind: 'erasure', verificationId: c.verificationId });
    expect(again.statusCode).toBe(409);
    expect(again.json().requestId).toBe(req.id);
    expect((await post(agent, `/api/privacy/requests/${req.id}/approve`)).statusCode).toBe(403);
    expect((await get(agent, '/api/privacy/requests')).statusCode).toBe(403);
    // The auditor reads the queue but changes nothing.
    expect((await get(auditor, '/api/privacy/requests')).json().items.map((i: { id: string }) => i.id)).toContain(req.id);
    expect((await post(auditor, `/api/privacy/requests/${req.id}/reject`, { reason: 'not me' })).statusCode).toBe(403);
    // Another organisation's administrator: not found, for the customer and for the request.
    expect((await post(intruder, '/api/privacy/requests', { customerId: c.customerId, kind: 'access' })).statusCode).toBe(404);
    expect((await get(intruder, `/api/privacy/requests/${req.id}`)).statusCode).toBe(404);
    expect((await post(intruder, `/api/privacy/requests/${req.id}/approve`)).statusCode).toBe(404);
    expect((await post(admin, '/api/privacy/requests', { customerId: randomUUID(), kind: 'erasure' })).statusCode).toBe(404);
    // A verification of someone else does not verify this customer.
    const other = await customerWithTicket('Sol Other', 'sol@customer.example', 'Hello');
    expect((await post(admin, '/api/privacy/requests', { customerId: c.customerId, kind: 'access', verificationId: other.verificationId })).statusCode).toBe(400);
    const rejected = await post(admin, `/api/privacy/requests/${req.id}/reject`, { reason: 'The customer withdrew the request' });
    expect(rejected.json()).toMatchObject({ status: 'rejected', rejectedReason: 'The customer withdrew the request', decidedBy: admin.userId });
    const actions = await services.database.db.selectFrom('audit_log').where('object_id', '=', req.id).select('action').orderBy('seq').execute();
    await services.audit.flush();
    expect(actions.map((a) => a.action)).toEqual(['privacy.request.create', 'privacy.request.reject']);
  });

  it('with the second-approver setting on, whoever recorded or verified a request cannot approve it', async () => {
    expect((await app.inject({ method: 'PUT', url: '/api/privacy/settings', headers: officer.headers, payload: { secondApprover: true } })).statusCode).toBe(403);
    const set = await app.inject({ method: 'PUT', url: '/api/privacy/settings', headers: admin.headers, payload: { secondApprover: true } });
    expect(set.json()).toEqual({ secondApprover: true, exportStaffNames: false, exportDays: 30 });
    const c = await customerWithTicket('Tam Access', 'tam@customer.example', 'What do you hold about me?');
    const created = (await post(admin, '/api/privacy/requests', { customerId: c.customerId, kind: 'access' })).json();
    expect(created.status).toBe('new');
    expect((await post(admin, `/api/privacy/requests/${created.id}/approve`)).statusCode).toBe(409);
    const verified = await post(admin, `/api/privacy/requests/${created.id}/verify`, { reason: 'Photo ID checked at the counter' });
    expect(verified.json()).toMatchObject({ status: 'verified', verification: 'staff', verifiedBy: admin.userId });
    const self = await post(admin, `/api/privacy/requests/${created.id}/approve`);
    expect(self.statusCode).toBe(403);
    expect(self.json().secondApprover).toBe(true);
    const second = await post(officer, `/api/privacy/requests/${created.id}/approve`);
    // An access request's export is built on approval: it ends done.
    expect(second.json()).toMatchObject({ status: 'done', decidedBy: officer.userId });
  });

  it('erases everything of the customer, or nothing when a step fails, and certifies what it destroyed', async () => {
    const db = services.database.db;
    // Alicia: a ticket with a file, a queued reply, an undelivered webhook, a quarantined message, a sealed outbox file.
    const o = await ingest(mail(`${ALICE.name} <${ALICE.email}>`, `Order ${ALICE.word}`, `My address is 12 ${ALICE.word} Lane`, { name: 'receipt.txt', text: `receipt ${ALICE.word}` }));
    const { ticketId, messageId } = o as { ticketId: string; messageId: string };
    const customerId = (await db.selectFrom('tickets').where('id', '=', ticketId).select('requester_id').executeTakeFirstOrThrow()).requester_id!;
    const verificationId = randomUUID();
    await db.insertInto('customer_verifications').values({ id: verificationId, org_id: org.orgId, ticket_id: ticketId, customer_id: customerId, channel: 'email', code_hmac: Buffer.alloc(32), status: 'verified', verified_via: 'agent', requested_by: agent.userId, expires_at: new Date(Date.now() + 600_000), decided_at: new Date() }).execute();
    await db.transaction().execute((trx) => enqueueOutboundMail(trx, deps, { orgId: org.orgId, ticketId, messageId, customerId, smtpMessageId: `<${randomUUID()}@privacy-test.example>` }));
    await db.insertInto('webhook_subscriptions').values({ id: randomUUID(), org_id: org.orgId, url: 'https://hooks.example/x', events: ['ticket.updated'], secret_enc: Buffer.alloc(40) }).execute();
    await enqueueWebhookEvent(db, { orgId: org.orgId, type: 'ticket.updated', data: { ticketId } });
    const phishing = { ...createDefaultHooks(), analyzeThreats: async () => ({ score: 96, verdict: 'phishing' as const, reasons: [] }) };
    const held = (await ingest(mail(`${ALICE.name} <${ALICE.email}>`, 'Verify now', `held ${ALICE.word}`), phishing)) as { quarantineId: string };
    const strangerHeld = (await ingest(mail('Someone <someone@sender.example>', 'Verify now', 'held stranger'), phishing)) as { quarantineId: string };
    const outbox = path.join(dataDir, 'outbox');
    await writeOutboxMessage(outbox, services.outboxKey, Buffer.from(`From: help@privacy-test.example\nTo: ${ALICE.name} <${ALICE.email}>\nSubject: Re: ${ALICE.word}\n\nHello\n`));
    await writeOutboxMessage(outbox, services.outboxKey, Buffer.from('From: help@privacy-test.example\nTo: someone@else.example\nSubject: Other\n\nHello\n'));
    const emailIndex = await deps.keyring.blindIndex(org.orgId, { table: 'customers', column: 'email', domain: 'email' }, normalizers.email(ALICE.email));
    const [wordToken] = await searchTokensFor(deps.keyring, org.orgId, [ALICE.word]);
    expect((await db.selectFrom('search_tokens').where('token', '=', wordToken!).select('ticket_id').execute()).length).toBeGreaterThan(0);
    expect(blobs.blobs.size).toBeGreaterThan(0);
    const blobsBefore = blobs.blobs.size;

    await app.inject({ method: 'PUT', url: '/api/privacy/settings', headers: admin.headers, payload: { secondApprover: true } });
    const req = (await post(agent, '/api/privacy/requests', { customerId, kind: 'erasure', verificationId })).json();
    // A step-up is needed to approve an erasure.
    const stale = await signIn(app, org, { roles: ['security_officer'], stepUp: false });
    expect((await post(stale, `/api/privacy/requests/${req.id}/approve`)).json().code).toBe('step_up_required');

    // A failure after the keys were destroyed rolls everything back: the customer is whole, the request still verified.
    const p = buildPrincipal({ orgId: org.orgId, userId: officer.userId, role: 'security_officer' });
    await expect(approvePrivacyRequest(deps, p, { ip: '127.0.0.1', userAgent: null, requestId: 'fault' }, { id: req.id }, { afterStep: (s) => { if (s === 'recorded') throw new Error('injected failure'); } })).rejects.toThrow('injected failure');
    expect(await readCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { customerId, purpose: 'test' })).toMatchObject({ erased: false, email: ALICE.email });
    expect((await get(admin, `/api/privacy/requests/${req.id}`)).json().status).toBe('verified');
    expect(await db.selectFrom('outbound_mail').where('customer_id', '=', customerId).where('status', '=', 'queued').select('id').execute()).toHaveLength(1);
    expect((await db.selectFrom('quarantine').where('id', '=', held.quarantineId).select('status').executeTakeFirstOrThrow()).status).toBe('held');
    expect(await findCustomerIdsByEmail(deps, { orgId: org.orgId, actor: { type: 'system' } }, ALICE.email)).toEqual([customerId]);

    const published = vi.spyOn(app.bus, 'publish');
    const forgotten = vi.spyOn(services.keyring, 'forget');
    const approved = await post(officer, `/api/privacy/requests/${req.id}/approve`);
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'done', decidedBy: officer.userId, hasCertificate: true });
    // Approving again, or asking again: conflict.
    expect((await post(officer, `/api/privacy/requests/${req.id}/approve`)).statusCode).toBe(409);
    expect((await post(admin, '/api/privacy/requests', { customerId, kind: 'erasure' })).statusCode).toBe(409);

    // Nothing of Alicia in a raw dump of every table: no name, address, words, blind index or search token.
    const dump = await dumpAllTables(db);
    for (const needle of [ALICE.name, ALICE.email, ALICE.word, 'Alicia']) expect(dumpContains(dump, needle), needle).toBe(false);
    expect(dump.toLowerCase()).not.toContain(emailIndex.toString('hex'));
    expect(dump.toLowerCase()).not.toContain(wordToken!.toString('hex'));
    expect(await findCustomerIdsByEmail(deps, { orgId: org.orgId, actor: { type: 'system' } }, ALICE.email)).toEqual([]);
    // What is left cannot be decrypted.
    const msg = await db.selectFrom('messages').where('id', '=', messageId).select('body_enc').executeTakeFirstOrThrow();
    await expect(deps.keyring.decrypt({ table: 'messages', column: 'body_enc', rowId: messageId }, msg.body_enc!)).rejects.toBeInstanceOf(KeyDestroyedError);
    // The queue, webhooks, quarantine, blobs and outbox hold nothing of hers; the stranger's quarantined message stays.
    expect(await db.selectFrom('outbound_mail').where('ticket_id', '=', ticketId).where('status', 'in', ['queued', 'sending']).select('id').execute()).toHaveLength(0);
    expect(await db.selectFrom('webhook_deliveries').where('org_id', '=', org.orgId).where('status', '=', 'queued').select('id').execute()).toHaveLength(0);
    expect(await db.selectFrom('quarantine').where('id', 'in', [held.quarantineId, strangerHeld.quarantineId]).select(['id', 'status', 'raw_size']).orderBy('raw_size').execute()).toEqual([
      { id: held.quarantineId, status: 'deleted', raw_size: 0 },
      { id: strangerHeld.quarantineId, status: 'held', raw_size: expect.any(Number) },
    ]);
    expect(blobs.blobs.size).toBe(blobsBefore - 1);
    expect(readdirSync(outbox).filter((n) => n.endsWith('.eml.enc'))).toHaveLength(1);

    // The certificate: what went, the audit entries that say so, what remains.
    const json = await get(admin, `/api/privacy/requests/${req.id}/certificate`);
    expect(json.headers['content-disposition']).toContain(`erasure-certificate-${req.id}.json`);
    const cert = json.json() as ErasureCertificate;
    expect(cert).toMatchObject({ requestId: req.id, customerId, approvedBy: officer.userId, requestedBy: agent.userId, verification: { method: 'code', verificationId }, incomplete: [] });
    expect(cert.destroyed.counts).toMatchObject({ customerRecords: 1, queuedMail: 1, pendingWebhooks: 1, quarantinedMessages: 1, outboxFiles: 1, attachmentBlobs: 1 });
    expect(cert.destroyed.counts.searchTokens).toBeGreaterThan(0);
    expect(cert.destroyed.counts.blindIndexes).toBeGreaterThan(0);
    const keys = await db.selectFrom('data_keys').where('owner_id', '=', customerId).select(['id', 'destroyed_at']).execute();
    expect(cert.destroyed.dataKeyIds.sort()).toEqual(keys.map((k) => k.id).sort());
    // Every instance is told to drop the keys (the bus, through Redis with REDIS_URL), and this one does.
    expect(published).toHaveBeenCalledWith({ k: 'keys-destroyed', orgId: org.orgId, keyIds: expect.arrayContaining(cert.destroyed.dataKeyIds) });
    forgotten.mockClear();
    app.bus.publish({ k: 'keys-destroyed', orgId: org.orgId, keyIds: [cert.destroyed.dataKeyIds[0]!] });
    expect(forgotten).toHaveBeenCalledWith([cert.destroyed.dataKeyIds[0]]);
    published.mockRestore();
    forgotten.mockRestore();
    expect(keys.every((k) => k.destroyed_at !== null)).toBe(true);
    const entries = await db.selectFrom('audit_log').where('seq', 'in', cert.auditEntries.map((e) => e.seq)).select(['seq', 'action', 'id']).orderBy('seq').execute();
    expect(entries.map((e) => ({ action: e.action, seq: Number(e.seq), id: e.id }))).toEqual(cert.auditEntries);
    expect(entries.map((e) => e.action)).toEqual(['customer.erase', 'privacy.request.complete']);
    expect(cert.remains.map((r) => r.kind)).toEqual(['ticket shells', 'customer record shells', 'audit entries']);
    const text = await get(admin, `/api/privacy/requests/${req.id}/certificate?format=text`);
    expect(text.headers['content-type']).toMatch(/^text\/plain/);
    expect(text.body).toContain('CERTIFICATE OF ERASURE');
    expect(text.body).toContain(cert.destroyed.dataKeyIds[0]);
    expect(text.body).not.toContain(ALICE.email);
    expect((await get(intruder, `/api/privacy/requests/${req.id}/certificate`)).statusCode).toBe(404);
    expect((await get(agent, `/api/privacy/requests/${req.id}/certificate`)).statusCode).toBe(403);
  });

  it('an erasure racing the customer’s new email: stored first → erased with them; after → a new customer record', async () => {
    await app.inject({ method: 'PUT', url: '/api/privacy/settings', headers: admin.headers, payload: { secondApprover: false } });
    const c = await customerWithTicket('Bo Racer', 'bo.racer@customer.example', 'First message');
    const req = (await post(agent, '/api/privacy/requests', { customerId: c.customerId, kind: 'erasure', verificationId: c.verificationId })).json();
    const [approved, inbound] = await Promise.all([
      post(officer, `/api/privacy/requests/${req.id}/approve`),
      ingest(mail('Bo Racer <bo.racer@customer.example>', 'Second message', 'racing words')),
    ]);
    expect(approved.json().status).toBe('done');
    const stored = inbound as { messageId: string };
    const row = await services.database.db.selectFrom('messages').where('id', '=', stored.messageId).select(['customer_id', 'body_enc']).executeTakeFirstOrThrow();
    const now = await findCustomerIdsByEmail(deps, { orgId: org.orgId, actor: { type: 'system' } }, 'bo.racer@customer.example');
    if (row.customer_id === c.customerId) {
      // The message committed first: it was erased with the customer.
      await expect(deps.keyring.decrypt({ table: 'messages', column: 'body_enc', rowId: stored.messageId }, row.body_enc!)).rejects.toBeInstanceOf(KeyDestroyedError);
      expect(now).toEqual([]);
    } else {
      // The erasure committed first: the message made a new customer record, readable, which the erasure does not cover.
      expect(now).toEqual([row.customer_id]);
      expect(await deps.keyring.decrypt({ table: 'messages', column: 'body_enc', rowId: stored.messageId }, row.body_enc!)).toContain('racing words');
    }
    // Either way the erased record itself stays unreadable.
    expect(await readCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { customerId: c.customerId, purpose: 'test' })).toEqual({ id: c.customerId, erased: true });
  });

  /** The export link mailed to the customer, and a download with a fresh code. */
  const mailer = () => services.mailer as MemoryMailer;
  const exportLink = (email: string) => {
    const token = /\/portal\/export\?token=(tdx_[A-Za-z0-9_-]+)/.exec(mailer().last(email)?.text ?? '')?.[1];
    if (!token) throw new Error(`no export link mailed to ${email}`);
    return token;
  };
  const pub = (url: string, payload: object) => app.inject({ method: 'POST', url, payload, remoteAddress: `10.77.${randomInt(250)}.${randomInt(1, 251)}` });
  async function openAndCode(token: string, email: string): Promise<{ challengeId: string; code: string }> {
    const opened = await pub('/api/portal/privacy-export/open', { token });
    expect(opened.statusCode, opened.body).toBe(202);
    return { challengeId: opened.json().challengeId, code: lastCode(mailer(), email) };
  }
  const portalPost = (who: PortalSignedIn, url: string, payload: object) => app.inject({ method: 'POST', url, headers: who.headers, payload, remoteAddress: '10.78.0.1' });

  it('access export: asked in the portal once, approved by staff, downloaded with the link and a code; holds the customer’s data and the staff accesses, nothing of another customer', async () => {
    const db = services.database.db;
    await app.inject({ method: 'PUT', url: '/api/privacy/settings', headers: admin.headers, payload: { secondApprover: false, exportStaffNames: true } });
    const email = 'petra.export@customer.example';
    const o = await ingest(mail(`Petra Exportova <${email}>`, 'Invoice quokkaberry', 'My reference is quokkaberry-42', { name: 'scan.txt', text: 'scanned quokkaberry' }));
    const { ticketId } = o as { ticketId: string };
    const customerId = (await db.selectFrom('tickets').where('id', '=', ticketId).select('requester_id').executeTakeFirstOrThrow()).requester_id!;
    // Another customer of the same organisation, with a copied message on Petra's ticket: neither may show.
    const olaf = await customerWithTicket('Olaf Elsewhere', 'olaf.elsewhere@customer.example', 'olaf private words');
    await db.transaction().execute((trx) => insertMessage(trx, deps, { orgId: org.orgId, ticketId, kind: 'inbound_email', authorType: 'customer', customerId: olaf.customerId, body: 'olaf copied on this thread' }));
    // A staff access with a purpose, from the audit trail.
    expect((await get(agent, `/api/tickets/${ticketId}`)).statusCode).toBe(200);

    const customer = await portalSignIn(app, { orgId: org.orgId, email });
    const first = await portalPost(customer, '/api/portal/privacy-requests', { kind: 'access' });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ created: true, request: { kind: 'access', status: 'new' } });
    // Pressed again while open: the same request, not a second one.
    const again = await portalPost(customer, '/api/portal/privacy-requests', { kind: 'access' });
    expect(again.json()).toMatchObject({ created: false, request: { id: first.json().request.id } });
    expect(await db.selectFrom('privacy_requests').where('customer_id', '=', customerId).select('via').execute()).toEqual([{ via: 'portal' }]);
    expect((await portalPost(customer, '/api/portal/privacy-requests', { kind: 'something' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/api/portal/privacy-requests', payload: { kind: 'access' } })).statusCode).toBe(401);
    const id = first.json().request.id as string;

    // Another organisation cannot verify or approve it; approval needs the identity check first.
    expect((await post(intruder, `/api/privacy/requests/${id}/verify`, { reason: 'Checked by phone' })).statusCode).toBe(404);
    expect((await post(officer, `/api/privacy/requests/${id}/approve`)).statusCode).toBe(409);
    expect((await post(officer, `/api/privacy/requests/${id}/verify`, { reason: 'Signed in to the portal and confirmed by phone' })).statusCode).toBe(200);
    expect((await post(agent, `/api/privacy/requests/${id}/approve`)).statusCode).toBe(403);
    const approved = await post(officer, `/api/privacy/requests/${id}/approve`);
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'done', kind: 'access' });
    expect(approved.body).not.toContain('tdx_');
    const token = exportLink(email);
    expect(mailer().last(email)!.text).not.toContain('quokkaberry');
    // The bundle at rest: encrypted, nothing of the customer in the clear.
    const stored = await db.selectFrom('privacy_exports').where('request_id', '=', id).select(['bundle_enc', 'expires_at', 'counts']).executeTakeFirstOrThrow();
    expect(Buffer.from(stored.bundle_enc).includes('quokkaberry')).toBe(false);
    expect(Math.round((stored.expires_at.getTime() - Date.now()) / 86_400_000)).toBe(30);
    // One audit event for the build, with counts.
    const build = await db.selectFrom('audit_log').where('object_id', '=', id).where('action', '=', 'privacy.export.build').select(['details', 'actor_id']).execute();
    expect(build).toHaveLength(1);
    expect(build[0]!.details).toMatchObject({ tickets: 1, attachments: 1, customerRecords: 1 });

    // Tampered token: gone, like an unknown one; the link alone gives nothing.
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    expect((await pub('/api/portal/privacy-export/check', { token })).json()).toEqual({ state: 'usable' });
    expect((await pub('/api/portal/privacy-export/check', { token: tampered })).json()).toEqual({ state: 'spent' });
    expect((await pub('/api/portal/privacy-export/open', { token: tampered })).statusCode).toBe(410);
    const { challengeId, code } = await openAndCode(token, email);
    const wrong = code === '000000' ? '111111' : '000000';
    expect((await pub('/api/portal/privacy-export/download', { token, challengeId, code: wrong })).statusCode).toBe(401);
    expect((await pub('/api/portal/privacy-export/download', { token: tampered, challengeId, code })).statusCode).toBe(410);
    // Where the organisation requires a customer second factor (decision 0220), the link and the code are not
    // enough: the customer has none, so they are told to add one; the code stays usable.
    const orgRow = await db.selectFrom('organizations').where('id', '=', org.orgId).select('settings').executeTakeFirstOrThrow();
    const setMfa = (customerMfa: string) => db.updateTable('organizations').set({ settings: JSON.stringify({ ...(orgRow.settings ?? {}), customerMfa }) }).where('id', '=', org.orgId).execute();
    await setMfa('sensitive');
    const guarded = await pub('/api/portal/privacy-export/download', { token, challengeId, code });
    expect(guarded.statusCode).toBe(403);
    expect(guarded.json()).toMatchObject({ code: 'customer_mfa_required', enrolled: false });
    await setMfa('never');
    const dl = await pub('/api/portal/privacy-export/download', { token, challengeId, code });
    expect(dl.statusCode, dl.body).toBe(200);
    expect(dl.headers['content-type']).toBe('application/zip');
    // The code was used up with the download.
    expect((await pub('/api/portal/privacy-export/download', { token, challengeId, code })).statusCode).toBe(401);

    const files = unzipSync(new Uint8Array(dl.rawPayload));
    const doc = JSON.parse(strFromU8(files['data.json']!)) as AccessExport;
    expect(doc.format).toBe('trustdesk-access-export/v1');
    expect(doc.customer).toMatchObject({ id: customerId, name: 'Petra Exportova', email });
    expect(doc.tickets).toHaveLength(1);
    expect(doc.tickets[0]!.subject).toBe('Invoice quokkaberry');
    expect(doc.tickets[0]!.messages.map((m) => m.body).join('\n')).toContain('quokkaberry-42');
    const file = doc.tickets[0]!.messages.flatMap((m) => m.attachments).find((a) => a.filename === 'scan.txt')!;
    expect(strFromU8(files[file.path!]!)).toContain('scanned quokkaberry');
    const reads = doc.staffAccesses.filter((a) => a.action === 'ticket.read');
    expect(reads.length).toBeGreaterThan(0);
    expect(reads[0]!.roles.join(' ').toLowerCase()).toContain('agent');
    expect(reads[0]!.name).not.toBeNull();
    expect(doc.staffAccesses.some((a) => a.action === 'privacy.request.verify' && a.purpose?.includes('confirmed by phone'))).toBe(true);
    const html = strFromU8(files['index.html']!);
    expect(html).toContain('quokkaberry-42');
    expect(html).not.toMatch(/<script/i);
    const everything = Object.values(files).map((f) => Buffer.from(f).toString('utf8')).join('\n');
    expect(everything).not.toContain('olaf');
    // The download is audited as the customer's.
    expect(await db.selectFrom('audit_log').where('action', '=', 'privacy.export.download').where('actor_id', '=', customerId).select('id').execute()).toHaveLength(1);

    // Wrong codes are counted and limited: after the challenge's attempts are spent, even the right code fails.
    const second = await openAndCode(token, email);
    for (let i = 0; i < 5; i++) await pub('/api/portal/privacy-export/download', { token, challengeId: second.challengeId, code: wrong });
    expect((await pub('/api/portal/privacy-export/download', { token, ...second })).statusCode).toBe(401);
    // And codes per link are capped.
    for (let i = 0; i < 3; i++) await openAndCode(token, email);
    expect((await pub('/api/portal/privacy-export/open', { token })).statusCode).toBe(429);

    // Expired: gone, with a clear answer.
    await db.updateTable('privacy_exports').set({ expires_at: new Date(Date.now() - 1000) }).where('request_id', '=', id).execute();
    const expired = await pub('/api/portal/privacy-export/check', { token });
    expect(expired.json()).toEqual({ state: 'spent' });
    await db.deleteFrom('portal_challenges').where('purpose', '=', 'privacy_export').execute();
    const late = await pub('/api/portal/privacy-export/open', { token });
    expect(late.statusCode).toBe(410);
    expect(late.json().detail).toMatch(/expired|erased/);
  });

  it('access export: unknown and other organisations’ customers are the same 404; an erasure wins over the export and takes the bundle', async () => {
    const db = services.database.db;
    const random = await post(admin, '/api/privacy/requests', { customerId: randomUUID(), kind: 'access' });
    const c = await customerWithTicket('Quinn Racer', 'quinn.racer@customer.example', 'quinn words');
    const foreign = await post(intruder, '/api/privacy/requests', { customerId: c.customerId, kind: 'access' });
    expect([random.statusCode, foreign.statusCode]).toEqual([404, 404]);
    expect(foreign.json().detail).toBe(random.json().detail);

    // Export delivered, then the customer is erased before the download: the bundle is gone.
    const access = (await post(agent, '/api/privacy/requests', { customerId: c.customerId, kind: 'access', verificationId: c.verificationId })).json();
    expect((await post(officer, `/api/privacy/requests/${access.id}/approve`)).json().status).toBe('done');
    const token = exportLink('quinn.racer@customer.example');
    const { challengeId, code } = await openAndCode(token, 'quinn.racer@customer.example');
    const erasure = (await post(agent, '/api/privacy/requests', { customerId: c.customerId, kind: 'erasure', verificationId: c.verificationId })).json();
    const erased = await post(officer, `/api/privacy/requests/${erasure.id}/approve`);
    expect(erased.json().status).toBe('done');
    const cert = (await get(officer, `/api/privacy/requests/${erasure.id}/certificate`)).json() as ErasureCertificate;
    expect(cert.destroyed.counts.exportBundles).toBe(1);
    expect(await db.selectFrom('privacy_exports').where('customer_id', '=', c.customerId).select('id').execute()).toEqual([]);
    const gone = await pub('/api/portal/privacy-export/download', { token, challengeId, code });
    expect([401, 410]).toContain(gone.statusCode);
    expect((await pub('/api/portal/privacy-export/open', { token })).statusCode).toBe(410);

    // Both approved at once: the erasure wins; whatever the order, no bundle of the customer survives.
    const d = await customerWithTicket('Dana Concurrent', 'dana.concurrent@customer.example', 'dana words');
    const a2 = (await post(agent, '/api/privacy/requests', { customerId: d.customerId, kind: 'access', verificationId: d.verificationId })).json();
    const e2 = (await post(agent, '/api/privacy/requests', { customerId: d.customerId, kind: 'erasure', verificationId: d.verificationId })).json();
    const [ra, re] = await Promise.all([post(officer, `/api/privacy/requests/${a2.id}/approve`), post(officer, `/api/privacy/requests/${e2.id}/approve`)]);
    expect(re.json().status).toBe('done');
    expect([200, 409]).toContain(ra.statusCode);
    expect(await db.selectFrom('privacy_exports').where('customer_id', '=', d.customerId).select('id').execute()).toEqual([]);
    // Asked again after the erasure: refused, nothing left to export.
    if (ra.statusCode === 409) expect(ra.json().detail).toMatch(/erased/);
  });
});
