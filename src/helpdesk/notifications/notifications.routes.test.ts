/**
 * /api/notifications over HTTP: only the caller's own (another person's id is
 * 404 and stays unread), paging, unread counts, preferences, a notification
 * about a ticket the caller may no longer read left out, and who may write:
 * an auditor's session marks its own read; a read-only token only reads.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, buildUser, signIn, signInAs, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { READ_ONLY_PERMISSIONS } from '../../identity/auth/permissions.js';
import { createApiToken } from '../../identity/auth/tokens.service.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { createCustomer } from '../customers/customers.service.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../tickets/context.js';
import { insertTicket } from '../tickets/records.js';

describe.each(testDatabaseKinds)('notification routes on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let deps: HelpdeskDeps;
  let org: TestOrg;
  let team: string;
  let lead: SignedIn;
  let agent: SignedIn;
  let colleague: SignedIn;
  const tickets: string[] = [];

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    deps = await createHelpdeskDeps(services);
    org = await buildOrg(services);
    team = await buildTeam(services, org);
    lead = await signIn(app, org, { roles: ['supervisor'], teamIds: [team] });
    agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    colleague = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    for (let i = 0; i < 3; i++) {
      const { id: customerId } = await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Cora', email: `cora-${randomUUID().slice(0, 6)}@example.org` });
      const id = (await deps.db.transaction().execute((trx) => insertTicket(trx, deps, { orgId: org.orgId, subject: 'Secret subject', channel: 'web', requesterId: customerId, teamId: team }))).id;
      tickets.push(id);
      const res = await app.inject({ method: 'POST', url: `/api/tickets/${id}/assignment`, headers: lead.headers, payload: { assigneeId: agent.userId } });
      expect(res.statusCode).toBe(200);
    }
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  const get = (who: { headers: object }, url: string) => app.inject({ url, headers: who.headers as Record<string, string> });

  it('lists the caller’s own notifications, newest first, paged, with the ticket number and no subject', async () => {
    const first = await get(agent, '/api/notifications?limit=2');
    expect(first.statusCode).toBe(200);
    const body = first.json();
    expect(body.unread).toBe(3);
    expect(body.items).toHaveLength(2);
    expect(body.items[0]).toMatchObject({ kind: 'assigned', count: 1, ticket: { id: tickets[2], number: expect.any(Number) }, readAt: null });
    expect(body.items[0].actorName).toBe('Test User');
    expect(first.body).not.toContain('Secret subject');
    const second = (await get(agent, `/api/notifications?limit=2&before=${body.next}`)).json();
    expect(second.items.map((i: { ticket: { id: string } }) => i.ticket.id)).toEqual([tickets[0]]);
    expect(second.next).toBeNull();
    expect((await get(colleague, '/api/notifications')).json()).toMatchObject({ items: [], unread: 0 });
    expect((await get(agent, '/api/notifications/unread-count')).json()).toEqual({ unread: 3 });
    expect((await get(agent, '/api/notifications?before=not-a-cursor')).statusCode).toBe(400);
  });

  it('marks one read; another person’s notification is not found and stays unread; mark all', async () => {
    const items = (await get(agent, '/api/notifications')).json().items as Array<{ id: string }>;
    const id = items[0]!.id;
    const theirs = await app.inject({ method: 'POST', url: `/api/notifications/${id}/read`, headers: colleague.headers });
    expect(theirs.statusCode).toBe(404);
    const intruder = await signIn(app, await buildOrg(services), { roles: ['administrator'] });
    expect((await app.inject({ method: 'POST', url: `/api/notifications/${id}/read`, headers: intruder.headers })).statusCode).toBe(404);
    expect((await get(agent, '/api/notifications/unread-count')).json()).toEqual({ unread: 3 });
    const mine = await app.inject({ method: 'POST', url: `/api/notifications/${id}/read`, headers: agent.headers });
    expect(mine.json()).toEqual({ marked: 1 });
    // Replayed: nothing more to mark.
    expect((await app.inject({ method: 'POST', url: `/api/notifications/${id}/read`, headers: agent.headers })).json()).toEqual({ marked: 0 });
    expect((await get(agent, '/api/notifications/unread-count')).json()).toEqual({ unread: 2 });
    // Colleague's mark-all touches only their own.
    expect((await app.inject({ method: 'POST', url: '/api/notifications/read-all', headers: colleague.headers })).json()).toEqual({ marked: 0 });
    expect((await app.inject({ method: 'POST', url: '/api/notifications/read-all', headers: agent.headers })).json()).toEqual({ marked: 2 });
    expect((await get(agent, '/api/notifications?unread=true')).json().items).toEqual([]);
  });

  it('leaves out a notification about a ticket the caller may no longer read', async () => {
    const other = await buildTeam(services, org);
    const ticketId = tickets[1]!;
    const before = (await get(agent, '/api/notifications')).json().items.length;
    await services.database.db.updateTable('tickets').set({ team_id: other, assignee_id: null }).where('id', '=', ticketId).execute();
    const after = (await get(agent, '/api/notifications')).json().items as Array<{ ticket: { id: string } }>;
    expect(after).toHaveLength(before - 1);
    expect(after.map((i) => i.ticket.id)).not.toContain(ticketId);
  });

  it('reads and saves preferences, per person, and refuses unknown kinds', async () => {
    const defaults = (await get(colleague, '/api/notifications/preferences')).json();
    expect(defaults.items).toContainEqual({ kind: 'assigned', inApp: true, email: true });
    expect(defaults.items).toContainEqual({ kind: 'new_ticket', inApp: true, email: false });
    const saved = await app.inject({ method: 'PUT', url: '/api/notifications/preferences', headers: colleague.headers, payload: { items: [{ kind: 'new_ticket', inApp: false, email: true }] } });
    expect(saved.statusCode).toBe(200);
    expect(saved.json().items).toContainEqual({ kind: 'new_ticket', inApp: false, email: true });
    expect((await get(agent, '/api/notifications/preferences')).json().items).toContainEqual({ kind: 'new_ticket', inApp: true, email: false });
    const bad = await app.inject({ method: 'PUT', url: '/api/notifications/preferences', headers: colleague.headers, payload: { items: [{ kind: 'everything', inApp: true, email: true }] } });
    expect(bad.statusCode).toBe(400);
  });

  it('a read-only token reads but changes nothing; an auditor’s session marks its own read', async () => {
    const { token } = await createApiToken({ db: services.database.db, audit: services.audit }, null, { ip: '127.0.0.1', userAgent: null, requestId: 'test' }, { ownerId: agent.userId, name: 'read', scopes: [...READ_ONLY_PERMISSIONS].filter((p) => p === 'tickets.read' || p === 'customers.read'), expiresInDays: 1, kind: 'personal' });
    const bearer = { authorization: `Bearer ${token}` };
    expect((await app.inject({ url: '/api/notifications', headers: bearer })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/api/notifications/read-all', headers: bearer })).statusCode).toBe(403);
    expect((await app.inject({ method: 'PUT', url: '/api/notifications/preferences', headers: bearer, payload: { items: [{ kind: 'assigned', inApp: false, email: false }] } })).statusCode).toBe(403);
    const auditor = await signInAs(app, await buildUser(services, org, { roles: ['auditor'] }));
    expect((await app.inject({ method: 'POST', url: '/api/notifications/read-all', headers: auditor.headers })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/notifications' })).statusCode).toBe(401);
  });
});
