/**
 * Secure message end to end: an agent sends a secure reply through the API →
 * the outbound queue composes the email (captured from the transport) with no
 * message body, only the link → the customer opens the link in the portal,
 * receives a code by email, enters it, reads the message, and replies → the
 * reply lands on the ticket, and the audit trail holds the read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../src/platform/app/services.js';
import { createTestServices } from '../src/platform/app/testing.js';
import { buildOrg, buildTeam, signIn } from '../src/identity/auth/testing.js';
import { testDatabaseKinds } from '../src/platform/db/testing.js';
import type { ComposedMail } from '../src/helpdesk/mail/compose.js';
import { processOutboundQueue } from '../src/helpdesk/mail/outbound-queue.js';
import type { MemoryMailer } from '../src/platform/notify/mailer.js';
import { buildCustomerWithTicket, buildPortalApp, lastCode, nextIp, sessionFrom } from '../src/helpdesk/portal/testing.js';
import { createHelpdeskDeps } from '../src/helpdesk/tickets/context.js';

const SECRET = 'Your replacement card ending 0042 was dispatched by courier; the activation phrase is "amber lighthouse".';

describe.each(testDatabaseKinds)('secure message e2e on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;

  beforeAll(async () => {
    services = await createTestServices(kind);
    ({ app } = await buildPortalApp(services));
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('agent → notice email with only a link → portal code → read (audited) → reply on the ticket', async () => {
    const org = await buildOrg(services, 'Lighthouse Bank');
    const team = await buildTeam(services, org);
    const email = 'ada.e2e@customer.example';
    const c = await buildCustomerWithTicket(services, { orgId: org.orgId, email, teamId: team, subject: 'Where is my card?' });
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });

    const sent = await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/secure-replies`, headers: agent.headers, payload: { body: SECRET } });
    expect(sent.statusCode).toBe(201);
    const { secureMessageId } = sent.json();

    // The outbound worker composes the email from the stored rows; capture what it hands the relay.
    const captured: ComposedMail[] = [];
    const deps = await createHelpdeskDeps(services);
    const pass = await processOutboundQueue(deps, { send: async (m) => (captured.push(m), { delivery: 'sent' as const }) });
    expect(pass.sent).toBe(1);
    expect(captured).toHaveLength(1);
    const mail = captured[0] as ComposedMail;
    expect(mail.to).toBe(email);
    expect(mail.text).not.toContain('amber lighthouse');
    expect(mail.text).not.toContain('0042');
    const token = /token=(tdm_[A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
    expect(token).toBeTruthy();

    const open = await app.inject({ method: 'POST', url: '/api/portal/secure/open', remoteAddress: nextIp(), payload: { token } });
    expect(open.statusCode).toBe(202);
    const code = lastCode(services.mailer as MemoryMailer, email);
    const verified = await app.inject({ method: 'POST', url: '/api/portal/secure/verify', remoteAddress: nextIp(), payload: { challengeId: open.json().challengeId, code } });
    expect(verified.statusCode).toBe(200);
    const session = sessionFrom(verified);

    const read = await app.inject({ method: 'GET', url: `/api/portal/secure-messages/${secureMessageId}`, headers: session.headers });
    expect(read.statusCode).toBe(200);
    expect(read.json().body).toBe(SECRET);

    const answer = await app.inject({ method: 'POST', url: `/api/portal/tickets/${c.ticketId}/replies`, headers: session.headers, payload: { body: 'Received, thank you. It arrived today.' } });
    expect(answer.statusCode).toBe(201);

    const ticket = await app.inject({ method: 'GET', url: `/api/tickets/${c.ticketId}`, headers: agent.headers });
    const last = ticket.json().messages.at(-1);
    expect(last).toMatchObject({ authorType: 'customer', body: 'Received, thank you. It arrived today.' });
    expect(ticket.json().status).toBe('open');

    const audit = await services.database.db.selectFrom('audit_log').where('action', 'in', ['secure_message.send', 'secure_message.open', 'portal.signin', 'secure_message.read', 'portal.reply']).where('org_id', '=', org.orgId).select(['action', 'object_id']).execute();
    const actions = audit.map((a) => a.action);
    for (const a of ['secure_message.send', 'secure_message.open', 'portal.signin', 'secure_message.read', 'portal.reply']) expect(actions).toContain(a);
    expect(audit.find((a) => a.action === 'secure_message.read')?.object_id).toBe(secureMessageId);

    // The link started its session: opening it again is refused.
    expect((await app.inject({ method: 'POST', url: '/api/portal/secure/open', remoteAddress: nextIp(), payload: { token } })).statusCode).toBe(410);
  });
});
