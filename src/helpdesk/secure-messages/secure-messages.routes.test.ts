import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, signIn, type TestOrg } from '../../identity/auth/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import type { MemoryMailer } from '../../platform/notify/mailer.js';
import { processOutboundQueue } from '../mail/outbound-queue.js';
import type { ComposedMail } from '../mail/compose.js';
import { createHelpdeskDeps } from '../tickets/context.js';
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
    // The notice's text (with the link) waits, encrypted, in the outbound queue only.
    const queued = await services.database.db.selectFrom('outbound_mail').where('ticket_id', '=', c.ticketId).select(['id', 'body_enc']).executeTakeFirstOrThrow();
    const text = await services.keyring.decrypt({ table: 'outbound_mail', column: 'body_enc', rowId: queued.id }, queued.body_enc as Uint8Array);
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

  it('keeps the live link out of everything staff can read: the conversation shows a note, the link leaves only by email', async () => {
    const s = await send('nolink@customer.example');
    expect(s.token).toMatch(/^tdm_/);
    const notices = await services.database.db.selectFrom('messages').where('ticket_id', '=', s.ticketId).where('author_type', '=', 'system').select(['id', 'body_enc']).execute();
    expect(notices).toHaveLength(1);
    const stored = await services.keyring.decrypt({ table: 'messages', column: 'body_enc', rowId: notices[0]?.id as string }, notices[0]?.body_enc as Uint8Array);
    expect(stored).not.toContain(s.token);
    expect(stored).toMatch(/^Secure message sent/);

    // Every agent on the ticket, a supervisor and an administrator read the ticket: no link anywhere in it.
    for (const roles of [['agent'], ['supervisor'], ['administrator']] as const) {
      const reader = await signIn(app, org, { roles: [...roles], teamIds: [team] });
      const read = await app.inject({ method: 'GET', url: `/api/tickets/${s.ticketId}`, headers: reader.headers });
      expect(read.statusCode).toBe(200);
      expect(read.body).not.toContain(s.token);
      expect(read.body).not.toContain('/portal/secure');
      const note = read.json().messages.find((m: { id: string }) => m.id === notices[0]?.id);
      expect(note).toMatchObject({ authorType: 'system', hasHtml: false, deliveryStatus: 'queued' });
      expect(note.body).toMatch(/^Secure message sent/);
      const list = await app.inject({ method: 'GET', url: `/api/tickets/${s.ticketId}/secure-messages`, headers: reader.headers });
      expect(list.body).not.toContain(s.token);
    }

    // The worker sends the link by email, then the queue forgets it.
    const sent: ComposedMail[] = [];
    const deps = await createHelpdeskDeps(services);
    await processOutboundQueue(deps, { send: async (mail) => (sent.push(mail), { delivery: 'sent' as const }) }, { limit: 200 });
    const mail = sent.find((m) => m.text.includes(s.token));
    expect(mail?.text).toContain(`/portal/secure?token=${s.token}`);
    const row = await services.database.db.selectFrom('outbound_mail').where('ticket_id', '=', s.ticketId).select(['status', 'body_enc']).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'sent', body_enc: null });
    const after = await app.inject({ method: 'GET', url: `/api/tickets/${s.ticketId}`, headers: s.agent.headers });
    expect(after.json().messages.find((m: { id: string }) => m.id === notices[0]?.id)).toMatchObject({ deliveryStatus: 'sent' });
    expect(after.body).not.toContain(s.token);
  });

  it('tells the page whether a link is still usable, without sending a code: used, expired and unknown look alike', async () => {
    const s = await send('check@customer.example');
    const check = (token: string) => app.inject({ method: 'POST', url: '/api/portal/secure/check', remoteAddress: nextIp(), payload: { token } });
    const mailsBefore = mailer().sent.length;
    expect((await check(s.token)).json()).toEqual({ state: 'usable' });
    expect(mailer().sent.length).toBe(mailsBefore);
    const open = await app.inject({ method: 'POST', url: '/api/portal/secure/open', remoteAddress: nextIp(), payload: { token: s.token } });
    const code = lastCode(mailer(), 'check@customer.example');
    expect((await app.inject({ method: 'POST', url: '/api/portal/secure/verify', remoteAddress: nextIp(), payload: { challengeId: open.json().challengeId, code } })).statusCode).toBe(200);
    expect((await check(s.token)).json()).toEqual({ state: 'spent' });
    const expired = await send('check2@customer.example');
    await services.database.db.updateTable('secure_messages').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', expired.secureMessageId).execute();
    expect((await check(expired.token)).json()).toEqual({ state: 'spent' });
    expect((await check(`tdm_${'A'.repeat(43)}`)).json()).toEqual({ state: 'spent' });
    expect((await app.inject({ method: 'POST', url: '/api/portal/secure/check', payload: { token: 'x'.repeat(5000) } })).statusCode).toBe(400);
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

  it('carries the one-time code and PIN the agent chose to send securely, never a full card number, and says so before sending', async () => {
    const c = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'otp@customer.example', teamId: team });
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    const body = 'Your one-time code is 482913 and your PIN: 7391. Card on file 4111 1111 1111 1111.';
    const check = await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/replies/check`, headers: agent.headers, payload: { body } });
    expect(check.statusCode).toBe(200);
    expect(check.json()).toMatchObject({ removedTypes: expect.arrayContaining(['one_time_code', 'payment_card']), suggestSecureMessage: true });
    expect(check.json().secureMessage.carries).toContain('one_time_code');
    expect(check.json().secureMessage.carries).not.toContain('payment_card');
    expect(check.json().secureMessage.removes).toEqual(['payment_card']);
    // A read-only role may not probe drafts.
    const auditor = await signIn(app, org, { roles: ['auditor'] });
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/replies/check`, headers: auditor.headers, payload: { body } })).statusCode).toBe(403);

    const res = await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/secure-replies`, headers: agent.headers, payload: { body } });
    expect(res.statusCode).toBe(201);
    const row = await services.database.db.selectFrom('messages').where('ticket_id', '=', c.ticketId).where('author_type', '=', 'user').select(['id', 'body_enc']).executeTakeFirstOrThrow();
    const stored = await services.keyring.decrypt({ table: 'messages', column: 'body_enc', rowId: row.id }, row.body_enc as Uint8Array);
    expect(stored).toContain('482913');
    expect(stored).toContain('7391');
    expect(stored).toContain('4111 11** **** 1111');
    expect(stored).not.toContain('[redacted:');
  });

  it('the email of a plain reply shows a readable marker, never the stored token', async () => {
    const { readableRedactionMarkers } = await import('../mail/redaction-markers.js');
    expect(readableRedactionMarkers('Your code: [redacted:one_time_code]. Key [redacted:secret] [redacted:made_up]')).toBe('Your code: [one-time code removed]. Key [secret or key removed] [sensitive data removed]');
  });
});
