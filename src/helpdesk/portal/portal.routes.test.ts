import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, type TestOrg } from '../../identity/auth/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import type { MemoryMailer } from '../../platform/notify/mailer.js';
import type { MemoryBlobStore } from '../../protection/blobs/store.js';
import { buildCustomerWithTicket, buildPortalApp, lastCode, nextIp, portalSignIn, sessionFrom } from './testing.js';
import { PORTAL_CSRF_HEADER } from './sessions.js';

describe.each(testDatabaseKinds)('customer portal on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let blobs: MemoryBlobStore;
  let org: TestOrg;
  let mine: Awaited<ReturnType<typeof buildCustomerWithTicket>>;
  let theirs: Awaited<ReturnType<typeof buildCustomerWithTicket>>;
  const mailer = () => services.mailer as MemoryMailer;

  beforeAll(async () => {
    services = await createTestServices(kind);
    ({ app, blobs } = await buildPortalApp(services, { policy: { maxUploadBytes: 64 * 1024 } }));
    org = await buildOrg(services);
    const team = await buildTeam(services, org);
    mine = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'mina@customer.example', teamId: team, subject: 'Broken kettle', note: 'INTERNAL: customer sounds annoyed' });
    theirs = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'other@customer.example', teamId: team, subject: 'Someone else' });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('portal routes refuse requests without a portal session', async () => {
    for (const url of ['/api/portal/me', '/api/portal/tickets', `/api/portal/tickets/${mine.ticketId}`]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(401);
    }
  });

  it('signs in by code, lists only own tickets, never shows internal notes, and another customer’s ticket is not found', async () => {
    const s = await portalSignIn(app, { orgId: org.orgId, email: 'mina@customer.example' });
    const me = await app.inject({ method: 'GET', url: '/api/portal/me', headers: s.headers });
    expect(me.json()).toMatchObject({ customerId: mine.customerId, method: 'code' });
    const list = await app.inject({ method: 'GET', url: '/api/portal/tickets', headers: s.headers });
    expect(list.json().items.map((t: { id: string }) => t.id)).toEqual([mine.ticketId]);
    const read = await app.inject({ method: 'GET', url: `/api/portal/tickets/${mine.ticketId}`, headers: s.headers });
    expect(read.statusCode).toBe(200);
    expect(read.json().subject).toBe('Broken kettle');
    expect(read.body).not.toContain('INTERNAL');
    const other = await app.inject({ method: 'GET', url: `/api/portal/tickets/${theirs.ticketId}`, headers: s.headers });
    expect(other.statusCode).toBe(404);
    const replyOther = await app.inject({ method: 'POST', url: `/api/portal/tickets/${theirs.ticketId}/replies`, headers: s.headers, payload: { body: 'hi' } });
    expect(replyOther.statusCode).toBe(404);
    const audit = await services.database.db.selectFrom('audit_log').where('action', '=', 'portal.ticket.read').where('object_id', '=', mine.ticketId).select('id').execute();
    expect(audit.length).toBeGreaterThan(0);
    // The list showed the customer's subjects: a recorded read under their keyed hash, with the ticket ids.
    const listed = await services.database.db.selectFrom('audit_log').where('action', '=', 'portal.ticket.list').where('subject', '=', services.audit.subject(mine.customerId)).select(['actor_type', 'details']).execute();
    expect(listed).toEqual([{ actor_type: 'customer', details: { count: 1, ticketIds: [mine.ticketId] } }]);
  });

  it('replies pass the DLP stage and need the portal CSRF token', async () => {
    const s = await portalSignIn(app, { orgId: org.orgId, email: 'mina@customer.example' });
    const noCsrf = await app.inject({ method: 'POST', url: `/api/portal/tickets/${mine.ticketId}/replies`, headers: { cookie: s.headers.cookie }, payload: { body: 'x' } });
    expect(noCsrf.statusCode).toBe(403);
    const res = await app.inject({ method: 'POST', url: `/api/portal/tickets/${mine.ticketId}/replies`, headers: s.headers, payload: { body: 'My card is 4111 1111 1111 1111, please refund.' } });
    expect(res.statusCode).toBe(201);
    expect(res.json().redactions).toBe(1);
    const read = await app.inject({ method: 'GET', url: `/api/portal/tickets/${mine.ticketId}`, headers: s.headers });
    expect(read.body).not.toContain('4111 1111 1111 1111');
    expect(read.json().messages.at(-1).from).toBe('you');
  });

  it('an unknown address gets the same answer and no mail; a capped address gets no more mail', async () => {
    const before = mailer().sent.length;
    const res = await app.inject({ method: 'POST', url: '/api/portal/signin', remoteAddress: nextIp(), payload: { organizationId: org.orgId, email: 'nobody@customer.example' } });
    expect(res.statusCode).toBe(202);
    expect(res.json().challengeId).toMatch(/^[0-9a-f-]{36}$/);
    await services.deferred.drain();
    expect(mailer().sent.length).toBe(before);
    const bad = await app.inject({ method: 'POST', url: '/api/portal/signin/code', remoteAddress: nextIp(), payload: { challengeId: res.json().challengeId, code: '123456' } });
    expect(bad.statusCode).toBe(401);
  });

  it('caps code guesses: after five wrong codes the right one fails too', async () => {
    const c = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'guess@customer.example' });
    const ip = nextIp();
    const start = await app.inject({ method: 'POST', url: '/api/portal/signin', remoteAddress: ip, payload: { organizationId: org.orgId, email: 'guess@customer.example' } });
    await services.deferred.drain();
    const code = lastCode(mailer(), 'guess@customer.example');
    const wrong = code === '000000' ? '000001' : '000000';
    for (let i = 0; i < 5; i++) {
      const r = await app.inject({ method: 'POST', url: '/api/portal/signin/code', remoteAddress: nextIp(), payload: { challengeId: start.json().challengeId, code: wrong } });
      expect(r.statusCode).toBe(401);
    }
    const right = await app.inject({ method: 'POST', url: '/api/portal/signin/code', remoteAddress: nextIp(), payload: { challengeId: start.json().challengeId, code } });
    expect(right.statusCode).toBe(401);
    expect(c.customerId).toBeTruthy();
  });

  it('an expired code is refused', async () => {
    await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'late@customer.example' });
    const start = await app.inject({ method: 'POST', url: '/api/portal/signin', remoteAddress: nextIp(), payload: { organizationId: org.orgId, email: 'late@customer.example' } });
    await services.deferred.drain();
    const code = lastCode(mailer(), 'late@customer.example');
    await services.database.db.updateTable('portal_challenges').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', start.json().challengeId).execute();
    const res = await app.inject({ method: 'POST', url: '/api/portal/signin/code', remoteAddress: nextIp(), payload: { challengeId: start.json().challengeId, code } });
    expect(res.statusCode).toBe(401);
  });

  it('the magic link signs in once; a replay is gone', async () => {
    await app.inject({ method: 'POST', url: '/api/portal/signin', remoteAddress: nextIp(), payload: { organizationId: org.orgId, email: 'mina@customer.example' } });
    await services.deferred.drain();
    const token = /link=(tdm_[A-Za-z0-9_-]+)/.exec(mailer().last('mina@customer.example')?.text ?? '')?.[1];
    expect(token).toBeTruthy();
    const first = await app.inject({ method: 'POST', url: '/api/portal/signin/link', remoteAddress: nextIp(), payload: { token } });
    expect(first.statusCode).toBe(200);
    const s = sessionFrom(first);
    expect((await app.inject({ method: 'GET', url: '/api/portal/me', headers: s.headers })).json().method).toBe('link');
    const replay = await app.inject({ method: 'POST', url: '/api/portal/signin/link', remoteAddress: nextIp(), payload: { token } });
    expect(replay.statusCode).toBe(410);
    const row = await services.database.db.selectFrom('portal_challenges').where('customer_id', '=', mine.customerId).select(['code_hmac', 'link_hash']).execute();
    for (const r of row) expect(Buffer.from(r.link_hash ?? []).toString('latin1')).not.toContain('tdm_');
  });

  it('sign-out ends the session', async () => {
    const s = await portalSignIn(app, { orgId: org.orgId, email: 'mina@customer.example' });
    expect((await app.inject({ method: 'POST', url: '/api/portal/signout', headers: s.headers })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/portal/tickets', headers: s.headers })).statusCode).toBe(401);
  });

  it('uploads: sniffed type, path tricks stripped, executables flagged, oversized refused with 413', async () => {
    const s = await portalSignIn(app, { orgId: org.orgId, email: 'mina@customer.example' });
    const up = (filename: string, body: Buffer) =>
      app.inject({ method: 'POST', url: `/api/portal/tickets/${mine.ticketId}/attachments?filename=${encodeURIComponent(filename)}`, headers: { ...s.headers, 'content-type': 'application/octet-stream', 'x-file-type': 'image/png' }, payload: body });
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100)]);
    const ok = await up('../../../etc/passwd', png);
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ sniffedType: 'image/png', dangerous: false });
    const exe = await up('invoice.pdf.exe', Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200)]));
    expect(exe.json()).toMatchObject({ sniffedType: 'application/x-msdownload', dangerous: true });
    const big = await up('big.bin', Buffer.alloc(64 * 1024 + 1));
    expect(big.statusCode).toBe(413);
    const read = await app.inject({ method: 'GET', url: `/api/portal/tickets/${mine.ticketId}`, headers: s.headers });
    const names = read.json().messages.flatMap((m: { attachments: Array<{ filename: string }> }) => m.attachments.map((a) => a.filename));
    expect(names).toContain('passwd');
    expect(names.join(' ')).not.toContain('..');
    expect(blobs.blobs.size).toBeGreaterThanOrEqual(2);
  });

  describe('public request form', () => {
    const submit = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/portal/requests', remoteAddress: nextIp(), payload });
    const form = async () => (await app.inject({ method: 'GET', url: `/api/portal/request-form?organizationId=${org.orgId}`, remoteAddress: nextIp() })).json().formToken as string;
    const count = async () => Number((await services.database.db.selectFrom('tickets').where('org_id', '=', org.orgId).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const base = { name: 'Form Person', email: 'form@customer.example', subject: 'Help', body: 'Card 4111 1111 1111 1111 was charged twice' };

    it('stores a real request with the card number redacted', async () => {
      const token = await form();
      await new Promise((r) => setTimeout(r, 80));
      const before = await count();
      const res = await submit({ organizationId: org.orgId, ...base, formToken: token });
      expect(res.statusCode).toBe(202);
      expect(await count()).toBe(before + 1);
      const s = await portalSignIn(app, { orgId: org.orgId, email: 'form@customer.example' });
      const list = (await app.inject({ method: 'GET', url: '/api/portal/tickets', headers: s.headers })).json().items;
      const read = await app.inject({ method: 'GET', url: `/api/portal/tickets/${list[0].id}`, headers: s.headers });
      expect(read.body).not.toContain('4111 1111 1111 1111');
    });

    it('a filled honeypot or a too-fast submission is answered the same and stores nothing', async () => {
      const before = await count();
      const token = await form();
      const fast = await submit({ organizationId: org.orgId, ...base, formToken: token });
      await new Promise((r) => setTimeout(r, 80));
      const honey = await submit({ organizationId: org.orgId, ...base, website: 'http://spam.example', formToken: token });
      expect([fast.statusCode, honey.statusCode]).toEqual([202, 202]);
      expect(fast.body).toBe(honey.body);
      expect(await count()).toBe(before);
    });

    it('a forged or foreign token is refused', async () => {
      const token = await form();
      const forged = token.replace(/\.(\d+)\./, (_m, n: string) => `.${Number(n) - 60_000}.`);
      expect((await submit({ organizationId: org.orgId, ...base, formToken: forged })).statusCode).toBe(400);
      const other = await buildOrg(services);
      expect((await submit({ organizationId: other.orgId, ...base, formToken: token })).statusCode).toBe(400);
    });
  });

  it('CSRF header name is the portal’s own', () => {
    expect(PORTAL_CSRF_HEADER).toBe('x-portal-csrf');
  });
});
