import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../app/services.js';
import { createTestServices } from '../app/testing.js';
import { buildOrg, buildTeam, signIn, type TestOrg } from '../auth/testing.js';
import { createCustomer } from '../customers/customers.service.js';
import { testDatabaseKinds } from '../db/testing.js';
import { buildApp } from '../http/app.js';
import { appRoutes } from '../http/routes.js';
import { createHelpdeskDeps } from './context.js';
import { insertTicket } from './records.js';
import { ticketRoutes } from './tickets.routes.js';

describe.each(testDatabaseKinds)('ticket routes on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let teamA: string;
  let teamB: string;
  let ticketA: string;
  let ticketB: string;

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: [...appRoutes, ticketRoutes] });
    org = await buildOrg(services);
    teamA = await buildTeam(services, org);
    teamB = await buildTeam(services, org);
    const deps = await createHelpdeskDeps(services);
    const { id: customerId } = await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Ottilie Brandreth', email: 'ottilie@example.org' });
    const mk = (teamId: string, subject: string) =>
      deps.db.transaction().execute((trx) => insertTicket(trx, deps, { orgId: org.orgId, subject, channel: 'web', requesterId: customerId, teamId }));
    ticketA = (await mk(teamA, 'Team A question')).id;
    ticketB = (await mk(teamB, 'Team B question')).id;
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('requires a session', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/tickets' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('refuses a role without tickets.read', async () => {
    const auditor = await signIn(app, org, { roles: ['auditor'] });
    const res = await app.inject({ method: 'GET', url: '/api/tickets', headers: auditor.headers });
    expect(res.statusCode).toBe(403);
  });

  it('an agent lists and reads their team’s tickets only; another team’s ticket is not found', async () => {
    const a = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    const list = await app.inject({ method: 'GET', url: '/api/tickets', headers: a.headers });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((t: { id: string }) => t.id)).toEqual([ticketA]);
    const read = await app.inject({ method: 'GET', url: `/api/tickets/${ticketA}`, headers: a.headers });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ subject: 'Team A question', abilities: { 'tickets.write': true, 'tickets.assign': false } });
    const other = await app.inject({ method: 'GET', url: `/api/tickets/${ticketB}`, headers: a.headers });
    expect(other.statusCode).toBe(404);
    const replyOther = await app.inject({ method: 'POST', url: `/api/tickets/${ticketB}/replies`, headers: a.headers, payload: { body: 'hi' } });
    expect(replyOther.statusCode).toBe(404);
  });

  it('replies and notes redact card numbers; status and assignment follow permissions', async () => {
    const a = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    const reply = await app.inject({ method: 'POST', url: `/api/tickets/${ticketA}/replies`, headers: a.headers, payload: { body: 'Card 4111 1111 1111 1111 noted' } });
    expect(reply.statusCode).toBe(201);
    expect(reply.json()).toMatchObject({ queued: false, redactions: 1 });
    const note = await app.inject({ method: 'POST', url: `/api/tickets/${ticketA}/notes`, headers: a.headers, payload: { body: 'internal' } });
    expect(note.statusCode).toBe(201);
    const assign = await app.inject({ method: 'POST', url: `/api/tickets/${ticketA}/assignment`, headers: a.headers, payload: { assigneeId: a.userId } });
    expect(assign.statusCode).toBe(403);
    const lead = await signIn(app, org, { roles: ['supervisor'], teamIds: [teamA] });
    const ok = await app.inject({ method: 'POST', url: `/api/tickets/${ticketA}/assignment`, headers: lead.headers, payload: { assigneeId: lead.userId } });
    expect(ok.statusCode).toBe(200);
    const status = await app.inject({ method: 'POST', url: `/api/tickets/${ticketA}/status`, headers: a.headers, payload: { status: 'bogus' } });
    expect(status.statusCode).toBe(400);
    const read = await app.inject({ method: 'GET', url: `/api/tickets/${ticketA}`, headers: a.headers });
    expect(JSON.stringify(read.json().messages)).not.toContain('4111 1111 1111 1111');
  });
});
