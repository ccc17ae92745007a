import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../app/services.js';
import { createTestServices } from '../app/testing.js';
import { buildOrg, buildTeam, signIn, type TestOrg } from '../auth/testing.js';
import { testDatabaseKinds } from '../db/testing.js';
import type { MemoryMailer } from '../notify/mailer.js';
import { buildCustomerWithTicket, buildPortalApp, lastCode, nextIp, portalSignIn, sessionFrom } from '../portal/testing.js';

describe.each(testDatabaseKinds)('secure messages on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let team: string;
  const mailer = () => services.mailer as MemoryMailer;
  const SECRET = 'Your new account PIN letter was posted on Monday.';

  beforeAll(async () => {
    services = await createTestServices(kind);
    ({ app } = await buildPortalApp(services));
    org = await buildOrg(services);
    team = await buildTeam(services, org);
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  async function send(email: string) {
    const c = await buildCustomerWithTicket(services, { orgId: org.orgId, email, teamId: team });
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    const res = await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/secure-replies`, headers: agent.headers, payload: { body: SECRET } });
    expect(res.statusCode).toBe(201);
    const notice = await services.database.db.selectFrom('messages').where('ticket_id', '=', c.ticketId).where('author_type', '=', 'system').select(['id', 'body_enc']).executeTakeFirstOrThrow();
    const text = await services.keyring.decrypt({ table: 'messages', column: 'body_enc', rowId: notice.id }, notice.body_enc as Uint8Array);
    const token = /token=(tdm_[A-Za-z0-9_-]+)/.exec(text)?.[1] as string;
    return { ...c, agent, secureMessageId: res.json().secureMessageId as string, notice: text, token };
  }

  it('requires a session and tickets.write', async () => {
    const c = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'auth@customer.example', teamId: team });
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/secure-replies`, payload: { body: 'x' } })).statusCode).toBe(401);
    const auditor = await signIn(app, org, { roles: ['auditor'] });
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/secure-replies`, headers: auditor.headers, payload: { body: 'x' } })).statusCode).toBe(403);
    const otherTeam = await signIn(app, org, { roles: ['agent'], teamIds: [await buildTeam(services, org)] });
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/secure-replies`, headers: otherTeam.headers, payload: { body: 'x' } })).statusCode).toBe(404);
  });

  it('queues a notice without the content; link + code start a session; the read is audited; the link then dies', async () => {
    const s = await send('sec@customer.example');
    expect(s.notice).not.toContain(SECRET);
    expect(s.token).toBeTruthy();
    const queued = await services.database.db.selectFrom('outbound_mail').where('ticket_id', '=', s.ticketId).select('message_id').execute();
    expect(queued).toHaveLength(1);
    const row = await services.database.db.selectFrom('secure_messages').where('id', '=', s.secureMessageId).select('link_hash').executeTakeFirstOrThrow();
    expect(Buffer.from(row.link_hash).toString('latin1')).not.toContain(s.token);

    const open = await app.inject({ method: 'POST', url: '/api/portal/secure/open', remoteAddress: nextIp(), payload: { token: s.token } });
    expect(open.statusCode).toBe(202);
    const code = lastCode(mailer(), 'sec@customer.example');
    const wrong = await app.inject({ method: 'POST', url: '/api/portal/secure/verify', remoteAddress: nextIp(), payload: { challengeId: open.json().challengeId, code: code === '111111' ? '222222' : '111111' } });
    expect(wrong.statusCode).toBe(401);
    const ok = await app.inject({ method: 'POST', url: '/api/portal/secure/verify', remoteAddress: nextIp(), payload: { challengeId: open.json().challengeId, code } });
    expect(ok.statusCode).toBe(200);
    const session = sessionFrom(ok);
    const read = await app.inject({ method: 'GET', url: `/api/portal/secure-messages/${s.secureMessageId}`, headers: session.headers });
    expect(read.statusCode).toBe(200);
    expect(read.json().body).toBe(SECRET);
    const audit = await services.database.db.selectFrom('audit_log').where('action', '=', 'secure_message.read').where('object_id', '=', s.secureMessageId).select('actor_type').execute();
    expect(audit.map((a) => a.actor_type)).toEqual(['customer']);

    // In the portal the secure message is marked, and its email notice (with the link) is not shown.
    const ticket = await app.inject({ method: 'GET', url: `/api/portal/tickets/${s.ticketId}`, headers: session.headers });
    expect(ticket.statusCode).toBe(200);
    expect(ticket.json().messages.filter((m: { secure: boolean }) => m.secure).map((m: { body: string }) => m.body)).toEqual([SECRET]);
    expect(ticket.body).not.toContain('tdm_');
    expect(ticket.body).not.toContain('new secure message');

    const replay = await app.inject({ method: 'POST', url: '/api/portal/secure/open', remoteAddress: nextIp(), payload: { token: s.token } });
    expect(replay.statusCode).toBe(410);
    const list = await app.inject({ method: 'GET', url: `/api/tickets/${s.ticketId}/secure-messages`, headers: s.agent.headers });
    // Two reads: the message itself, then the ticket page that shows it.
    expect(list.json().items[0]).toMatchObject({ readCount: 2 });
    expect(list.json().items[0].linkUsedAt).not.toBeNull();
  });

  it('an expired link is gone, and another customer cannot read the message', async () => {
    const s = await send('exp@customer.example');
    await services.database.db.updateTable('secure_messages').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', s.secureMessageId).execute();
    expect((await app.inject({ method: 'POST', url: '/api/portal/secure/open', remoteAddress: nextIp(), payload: { token: s.token } })).statusCode).toBe(410);
    await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'intruder@customer.example' });
    const intruder = await portalSignIn(app, { orgId: org.orgId, email: 'intruder@customer.example' });
    expect((await app.inject({ method: 'GET', url: `/api/portal/secure-messages/${s.secureMessageId}`, headers: intruder.headers })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/api/portal/secure-messages/${s.secureMessageId}` })).statusCode).toBe(401);
  });

  it('a link code expires and a garbage token is gone', async () => {
    const s = await send('late2@customer.example');
    const open = await app.inject({ method: 'POST', url: '/api/portal/secure/open', remoteAddress: nextIp(), payload: { token: s.token } });
    const code = lastCode(mailer(), 'late2@customer.example');
    await services.database.db.updateTable('portal_challenges').set({ expires_at: new Date(Date.now() - 1) }).where('id', '=', open.json().challengeId).execute();
    expect((await app.inject({ method: 'POST', url: '/api/portal/secure/verify', remoteAddress: nextIp(), payload: { challengeId: open.json().challengeId, code } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/api/portal/secure/open', remoteAddress: nextIp(), payload: { token: '../../etc' } })).statusCode).toBe(410);
  });
});
