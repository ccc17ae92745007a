import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, buildUser, signIn, signInAs, type TestOrg } from '../../identity/auth/testing.js';
import { createCustomer } from '../customers/customers.service.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
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
    app = await buildApp({ services, routes: [...appRoutes, ticketRoutes], schemaCache: testSchemaCache });
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

  it('lists who a ticket can go to (its team, people who work tickets), refuses the rest, and names the assignee on the ticket', async () => {
    const lead = await signIn(app, org, { roles: ['supervisor'], teamIds: [teamA] });
    const ana = await buildUser(services, org, { roles: ['agent'], teamIds: [teamA], name: 'Ana Agent' });
    const bo = await buildUser(services, org, { roles: ['agent'], teamIds: [teamB], name: 'Bo Other-Team' });
    const sec = await buildUser(services, org, { roles: ['security_officer'], teamIds: [teamA], name: 'Sol Security' });
    const res = await app.inject({ method: 'GET', url: `/api/tickets/${ticketA}/assignees`, headers: lead.headers });
    expect(res.statusCode).toBe(200);
    const ids = res.json().items.map((x: { id: string }) => x.id);
    expect(ids).toContain(ana.userId);
    expect(ids).toContain(lead.userId);
    expect(ids).not.toContain(bo.userId);
    expect(ids).not.toContain(sec.userId);
    expect(res.json().items.find((x: { id: string }) => x.id === ana.userId).name).toBe('Ana Agent');
    // An agent cannot assign, so cannot list; another team's ticket is not found; a bad id is a 400.
    const a = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    expect((await app.inject({ method: 'GET', url: `/api/tickets/${ticketA}/assignees`, headers: a.headers })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: `/api/tickets/${ticketB}/assignees`, headers: lead.headers })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/api/tickets/nope/assignees', headers: lead.headers })).statusCode).toBe(400);
    // The server holds the same line as the list: not another team's member, not someone who does not work tickets.
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${ticketA}/assignment`, headers: lead.headers, payload: { assigneeId: bo.userId } })).statusCode).toBe(409);
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${ticketA}/assignment`, headers: lead.headers, payload: { assigneeId: sec.userId } })).statusCode).toBe(409);
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${ticketA}/assignment`, headers: lead.headers, payload: { assigneeId: ana.userId } })).statusCode).toBe(200);
    const read = (await app.inject({ method: 'GET', url: `/api/tickets/${ticketA}`, headers: (await signInAs(app, ana)).headers })).json();
    expect(read.assigneeId).toBe(ana.userId);
    expect(read.staff).toContainEqual({ id: ana.userId, name: 'Ana Agent' });
  });

  it('PATCH edits priority and tags under tickets.write (audited); moving team also needs tickets.assign; another team’s ticket is not found', async () => {
    const a = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    const res = await app.inject({ method: 'PATCH', url: `/api/tickets/${ticketA}`, headers: a.headers, payload: { priority: 'urgent', tags: ['Billing', 'vip', 'billing'] } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: ticketA, priority: 'urgent', tags: ['billing', 'vip'] });
    const again = await app.inject({ method: 'PATCH', url: `/api/tickets/${ticketA}`, headers: a.headers, payload: { tags: ['vip'] } });
    expect(again.json().tags).toEqual(['vip']);
    const audit = await services.database.db.selectFrom('audit_log').where('action', '=', 'ticket.update').where('object_id', '=', ticketA).select('id').execute();
    expect(audit.length).toBe(2);
    expect((await app.inject({ method: 'PATCH', url: `/api/tickets/${ticketA}`, headers: a.headers, payload: { teamId: teamB } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'PATCH', url: `/api/tickets/${ticketB}`, headers: a.headers, payload: { priority: 'low' } })).statusCode).toBe(404);
    expect((await app.inject({ method: 'PATCH', url: `/api/tickets/${ticketA}`, headers: a.headers, payload: {} })).statusCode).toBe(400);
    expect((await app.inject({ method: 'PATCH', url: `/api/tickets/${ticketA}`, headers: a.headers, payload: { priority: 'whenever' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'PATCH', url: `/api/tickets/${ticketA}`, headers: a.headers, payload: { status: 'closed' } })).statusCode).toBe(400);
    const auditor = await signIn(app, org, { roles: ['auditor'] });
    expect((await app.inject({ method: 'PATCH', url: `/api/tickets/${ticketA}`, headers: auditor.headers, payload: { priority: 'low' } })).statusCode).toBe(403);
    const admin = await signIn(app, org, { roles: ['administrator'] });
    const moved = await app.inject({ method: 'PATCH', url: `/api/tickets/${ticketA}`, headers: admin.headers, payload: { teamId: teamB } });
    expect(moved.statusCode).toBe(200);
    expect(moved.json().teamId).toBe(teamB);
    await app.inject({ method: 'PATCH', url: `/api/tickets/${ticketA}`, headers: admin.headers, payload: { teamId: teamA } });
  });

  it('counts open tickets per view among those the caller may see', async () => {
    const a = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    const res = await app.inject({ method: 'GET', url: '/api/tickets/counts', headers: a.headers });
    expect(res.statusCode).toBe(200);
    const before = res.json();
    expect(before).toMatchObject({ mine: 0, breaching: 0 });
    const lead = await signIn(app, org, { roles: ['supervisor'], teamIds: [teamA] });
    await app.inject({ method: 'POST', url: `/api/tickets/${ticketA}/assignment`, headers: lead.headers, payload: { assigneeId: a.userId } });
    const after = (await app.inject({ method: 'GET', url: '/api/tickets/counts', headers: a.headers })).json();
    expect(after.mine).toBe(1);
    expect(after.my_team).toBe(before.my_team);
    // Team B's ticket is never counted for a team A agent.
    const admin = await signIn(app, org, { roles: ['administrator'] });
    const all = (await app.inject({ method: 'GET', url: '/api/tickets/counts', headers: admin.headers })).json();
    expect(all.unassigned).toBeGreaterThan(after.unassigned);
    const auditor = await signIn(app, org, { roles: ['auditor'] });
    expect((await app.inject({ method: 'GET', url: '/api/tickets/counts', headers: auditor.headers })).statusCode).toBe(403);
  });

  it('an agent opens a ticket for an email address or a customer they may see; another team’s requester is not found', async () => {
    const a = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    const byEmail = await app.inject({ method: 'POST', url: '/api/tickets', headers: a.headers, payload: { email: 'new.person@example.org', name: 'New Person', subject: 'Call back', body: 'Customer phoned about card 4111 1111 1111 1111', teamId: teamA } });
    expect(byEmail.statusCode).toBe(201);
    const created = (await app.inject({ method: 'GET', url: `/api/tickets/${byEmail.json().id}`, headers: a.headers })).json();
    expect(created).toMatchObject({ subject: 'Call back', teamId: teamA, channel: 'email' });
    expect(JSON.stringify(created)).not.toContain('4111 1111 1111 1111');
    const requester = created.requesterId as string;
    const again = await app.inject({ method: 'POST', url: '/api/tickets', headers: a.headers, payload: { email: 'NEW.person@example.org', subject: 'Second', body: 'again', teamId: teamA } });
    expect((await app.inject({ method: 'GET', url: `/api/tickets/${again.json().id}`, headers: a.headers })).json().requesterId).toBe(requester);
    const byId = await app.inject({ method: 'POST', url: '/api/tickets', headers: a.headers, payload: { requesterId: requester, subject: 'Third', body: 'x', teamId: teamA } });
    expect(byId.statusCode).toBe(201);
    const b = await signIn(app, org, { roles: ['agent'], teamIds: [teamB] });
    expect((await app.inject({ method: 'POST', url: '/api/tickets', headers: b.headers, payload: { requesterId: requester, subject: 'Sneaky', body: 'x', teamId: teamB } })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/api/tickets', headers: b.headers, payload: { email: 'x@example.org', subject: 'Other team', body: 'x', teamId: teamA } })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/api/tickets', headers: a.headers, payload: { subject: 'Nobody', body: 'x' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/api/tickets', headers: a.headers, payload: { email: 'not an email', subject: 'x', body: 'x' } })).statusCode).toBe(400);
    const auditor = await signIn(app, org, { roles: ['auditor'] });
    expect((await app.inject({ method: 'POST', url: '/api/tickets', headers: auditor.headers, payload: { email: 'y@example.org', subject: 'x', body: 'x' } })).statusCode).toBe(403);
  });
});
