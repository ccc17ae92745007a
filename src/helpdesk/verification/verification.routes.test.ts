import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, signIn, type TestOrg } from '../../identity/auth/testing.js';
import { addCustomerContact } from '../customers/customer-fields.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import type { MemoryMailer } from '../../platform/notify/mailer.js';
import { buildCustomerWithTicket, buildPortalApp, lastCode, portalSignIn } from '../portal/testing.js';
import { requireVerificationForReveal } from './verification.service.js';

describe.each(testDatabaseKinds)('verify customer on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let team: string;
  const mailer = () => services.mailer as MemoryMailer;

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

  it('requires a session and customers.verify; another team’s ticket is not found', async () => {
    const c = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'v0@customer.example', teamId: team });
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/verifications`, payload: { channel: 'email' } })).statusCode).toBe(401);
    const auditor = await signIn(app, org, { roles: ['auditor'] });
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/verifications`, headers: auditor.headers, payload: { channel: 'email' } })).statusCode).toBe(403);
    const other = await signIn(app, org, { roles: ['agent'], teamIds: [await buildTeam(services, org)] });
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/verifications`, headers: other.headers, payload: { channel: 'email' } })).statusCode).toBe(404);
  });

  it('agent sends an email code, enters what the customer reads back; the outcome is on the ticket and in the audit trail', async () => {
    const c = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'v1@customer.example', teamId: team });
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    const start = await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/verifications`, headers: agent.headers, payload: { channel: 'email' } });
    expect(start.statusCode).toBe(201);
    expect(start.json().sentTo).toBe('v•••@customer.example');
    const code = lastCode(mailer(), 'v1@customer.example');
    const url = `/api/tickets/${c.ticketId}/verifications/${start.json().verificationId}/check`;
    const wrong = await app.inject({ method: 'POST', url, headers: agent.headers, payload: { code: code === '000000' ? '000001' : '000000' } });
    expect(wrong.json().status).toBe('pending');
    const ok = await app.inject({ method: 'POST', url, headers: agent.headers, payload: { code } });
    expect(ok.json().status).toBe('verified');
    const again = await app.inject({ method: 'POST', url, headers: agent.headers, payload: { code } });
    expect(again.statusCode).toBe(410);
    const list = await app.inject({ method: 'GET', url: `/api/tickets/${c.ticketId}/verifications`, headers: agent.headers });
    expect(list.json().items[0]).toMatchObject({ status: 'verified', verifiedVia: 'agent', attempts: 2 });
    const audit = await services.database.db.selectFrom('audit_log').where('action', '=', 'customer.verify').where('object_id', '=', start.json().verificationId).select('result').execute();
    expect(audit.map((a) => a.result).sort()).toEqual(['failure', 'success']);
  });

  it('caps attempts: five wrong codes fail the verification and the right code no longer works', async () => {
    const c = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'v2@customer.example', teamId: team });
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    const start = await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/verifications`, headers: agent.headers, payload: { channel: 'email' } });
    const code = lastCode(mailer(), 'v2@customer.example');
    const url = `/api/tickets/${c.ticketId}/verifications/${start.json().verificationId}/check`;
    const statuses: string[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await app.inject({ method: 'POST', url, headers: agent.headers, payload: { code: code === '999999' ? '999998' : '999999' } })).json().status);
    expect(statuses).toEqual(['pending', 'pending', 'pending', 'pending', 'failed']);
    expect((await app.inject({ method: 'POST', url, headers: agent.headers, payload: { code } })).statusCode).toBe(410);
  });

  it('sms to the registered phone; the customer enters the code in the portal', async () => {
    const c = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'v3@customer.example', teamId: team });
    await addCustomerContact(await createHelpdeskDeps(services), { orgId: org.orgId, actor: { type: 'system' } }, { customerId: c.customerId, kind: 'phone', value: '+447700900123' });
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    const start = await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/verifications`, headers: agent.headers, payload: { channel: 'sms' } });
    expect(start.json().sentTo).toBe('•••• 0123');
    const sms = await services.database.db.selectFrom('sms_outbox').where('org_id', '=', org.orgId).select('body').orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    const code = /\b(\d{6})\b/.exec(sms.body)?.[1] as string;
    const s = await portalSignIn(app, { orgId: org.orgId, email: 'v3@customer.example' });
    const pending = await app.inject({ method: 'GET', url: '/api/portal/verifications', headers: s.headers });
    expect(pending.json().items.map((i: { id: string }) => i.id)).toEqual([start.json().verificationId]);
    const other = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'v4@customer.example' });
    const os = await portalSignIn(app, { orgId: org.orgId, email: 'v4@customer.example' });
    expect((await app.inject({ method: 'POST', url: `/api/portal/verifications/${start.json().verificationId}`, headers: os.headers, payload: { code } })).statusCode).toBe(404);
    const done = await app.inject({ method: 'POST', url: `/api/portal/verifications/${start.json().verificationId}`, headers: s.headers, payload: { code } });
    expect(done.json().status).toBe('verified');
    expect(other.customerId).toBeTruthy();
  });

  it('the reveal gate follows the organisation policy', async () => {
    const c = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'v5@customer.example', teamId: team });
    const db = services.database.db;
    await expect(requireVerificationForReveal(db, { orgId: org.orgId, customerId: c.customerId, ticketId: c.ticketId })).resolves.toBeUndefined();
    const admin = await signIn(app, org, { roles: ['administrator'] });
    const set = await app.inject({ method: 'PUT', url: '/api/organization/verification-policy', headers: admin.headers, payload: { requireBeforeReveal: true, validMinutes: 30 } });
    expect(set.statusCode).toBe(200);
    await expect(requireVerificationForReveal(db, { orgId: org.orgId, customerId: c.customerId, ticketId: c.ticketId })).rejects.toMatchObject({ code: 'forbidden' });
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    const start = await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/verifications`, headers: agent.headers, payload: { channel: 'email' } });
    await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/verifications/${start.json().verificationId}/check`, headers: agent.headers, payload: { code: lastCode(mailer(), 'v5@customer.example') } });
    await expect(requireVerificationForReveal(db, { orgId: org.orgId, customerId: c.customerId, ticketId: c.ticketId })).resolves.toBeUndefined();
    // Outside the window it no longer counts.
    await expect(requireVerificationForReveal(db, { orgId: org.orgId, customerId: c.customerId, ticketId: c.ticketId, now: new Date(Date.now() + 31 * 60_000) })).rejects.toMatchObject({ code: 'forbidden' });
    const agentPolicy = await app.inject({ method: 'PUT', url: '/api/organization/verification-policy', headers: agent.headers, payload: { requireBeforeReveal: false, validMinutes: 30 } });
    expect(agentPolicy.statusCode).toBe(403);
  });
});
