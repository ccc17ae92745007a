import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, buildUser, signIn, signInAs, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { createApiToken } from '../../identity/auth/tokens.service.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { createCustomer } from '../customers/customers.service.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../tickets/context.js';
import { insertTicket } from '../tickets/records.js';
import type { TicketPriority } from '../tickets/schema.js';
import { routeNewTicket } from '../routing/routing.js';
import { pickAssignee } from '../routing/strategies.js';
import { MAX_VIEWS_PER_USER } from '../../platform/http/schemas/work.js';

describe.each(testDatabaseKinds)('taking and sharing work on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let deps: HelpdeskDeps;
  let org: TestOrg;
  let teamA: string;
  let teamB: string;
  let customerId: string;
  let agentA: SignedIn;
  let agentA2: SignedIn;
  let agentB: SignedIn;
  let leadA: SignedIn;
  let admin: SignedIn;
  let stranger: SignedIn;

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    await app.ready();
    deps = await createHelpdeskDeps(services);
    org = await buildOrg(services);
    teamA = await buildTeam(services, org);
    teamB = await buildTeam(services, org);
    customerId = (await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Wilhelmina Quarry', email: 'wq@example.org' })).id;
    [agentA, agentA2, agentB, leadA, admin] = await Promise.all([
      signIn(app, org, { roles: ['agent'], teamIds: [teamA] }),
      signIn(app, org, { roles: ['agent'], teamIds: [teamA] }),
      signIn(app, org, { roles: ['agent'], teamIds: [teamB] }),
      signIn(app, org, { roles: ['supervisor'], teamIds: [teamA] }),
      signIn(app, org, { roles: ['administrator'] }),
    ]);
    stranger = await signIn(app, await buildOrg(services), { roles: ['administrator'] });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  const mk = (teamId: string | null, over: { priority?: TicketPriority; assigneeId?: string; tags?: string[] } = {}) =>
    deps.db.transaction().execute((trx) => insertTicket(trx, deps, { orgId: org.orgId, subject: `Question ${randomUUID().slice(0, 6)}`, channel: 'web', requesterId: customerId, teamId, ...over }));
  const ticket = (id: string) => deps.db.selectFrom('tickets').where('id', '=', id).select(['assignee_id', 'status', 'team_id']).executeTakeFirstOrThrow();
  const post = (who: { headers: Record<string, string> }, url: string, payload?: object) => app.inject({ method: 'POST', url, headers: who.headers, payload: payload ?? {} });
  const actions = async (id: string) => {
    await services.audit.flush();
    return (await deps.db.selectFrom('audit_log').where('object_id', '=', id).select(['action', 'actor_id']).orderBy('seq').execute());
  };
  const noTickets = () => deps.db.updateTable('tickets').set({ status: 'closed' }).where('org_id', '=', org.orgId).where('status', 'in', ['new', 'open']).execute();

  it('an agent takes a ticket of their team: assigned, opened, audited, webhook; another team, another organisation: not found', async () => {
    const hook = randomUUID();
    await deps.db.insertInto('webhook_subscriptions').values({ id: hook, org_id: org.orgId, url: 'https://hooks.example/x', events: ['ticket.updated'], secret_enc: new Uint8Array([1]) }).execute();
    const t = await mk(teamA);
    expect((await post(agentB, `/api/tickets/${t.id}/take`)).statusCode).toBe(404);
    expect((await post(stranger, `/api/tickets/${t.id}/take`)).statusCode).toBe(404);
    const res = await post(agentA, `/api/tickets/${t.id}/take`);
    expect(res.statusCode, res.body).toBe(200);
    expect(await ticket(t.id)).toMatchObject({ assignee_id: agentA.userId, status: 'open' });
    expect((await actions(t.id)).filter((a) => a.action === 'ticket.take')).toEqual([{ action: 'ticket.take', actor_id: agentA.userId }]);
    const events = await deps.db.selectFrom('webhook_deliveries').where('subscription_id', '=', hook).select('payload').execute();
    expect(events.map((e) => (e.payload as { data: { ticketId: string; assigneeId: string } }).data)).toContainEqual(expect.objectContaining({ ticketId: t.id, assigneeId: agentA.userId, changes: ['assignment'] }));
    // Taking again is a no-op; the page offers the button only to those who may take.
    expect((await post(agentA, `/api/tickets/${t.id}/take`)).statusCode).toBe(200);
    const page = await app.inject({ url: `/api/tickets/${t.id}`, headers: agentA.headers });
    expect(page.json().abilities).toMatchObject({ 'tickets.take': true, 'tickets.assign': false });
  });

  it('a ticket someone else holds: an agent gets 409 and nothing changes; a lead may take it over', async () => {
    const t = await mk(teamA, { assigneeId: agentA.userId });
    const refused = await post(agentA2, `/api/tickets/${t.id}/take`);
    expect(refused.statusCode).toBe(409);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json().detail).toMatch(/someone else/i);
    expect((await ticket(t.id)).assignee_id).toBe(agentA.userId);
    expect((await post(leadA, `/api/tickets/${t.id}/take`)).statusCode).toBe(200);
    expect((await ticket(t.id)).assignee_id).toBe(leadA.userId);
  });

  it('refuses roles and tokens without tickets.take: auditor, security officer, a token scoped to tickets.write only', async () => {
    const t = await mk(teamA);
    for (const role of ['auditor', 'security_officer'] as const) {
      const who = await signIn(app, org, { roles: [role], teamIds: [teamA] });
      expect((await post(who, `/api/tickets/${t.id}/take`)).statusCode, role).toBe(403);
      expect((await post(who, '/api/tickets/take-next')).statusCode, role).toBe(403);
    }
    const owner = await buildUser(services, org, { roles: ['agent'], teamIds: [teamA] });
    const { token } = await createApiToken({ db: deps.db, audit: services.audit }, null, { ip: '127.0.0.1', userAgent: null, requestId: 't' }, { ownerId: owner.userId, name: 'w', scopes: ['tickets.read', 'tickets.write'], expiresInDays: 1, kind: 'personal' });
    const res = await app.inject({ method: 'POST', url: `/api/tickets/${t.id}/take`, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(403);
    expect((await ticket(t.id)).assignee_id).toBeNull();
  });

  it('existing organisations’ built-in roles get tickets.take from the migration', async () => {
    const old = await buildOrg(services);
    await deps.db.deleteFrom('role_permissions').where('permission', '=', 'tickets.take').where('role_id', 'in', Object.values(old.roleIds)).execute();
    const migration = readFileSync(new URL('../../platform/db/migrations/0016_taking_and_sharing_work.sql', import.meta.url), 'utf8');
    const insert = /INSERT INTO role_permissions[\s\S]*?;/.exec(migration)?.[0];
    expect(insert).toBeDefined();
    await sql.raw(insert as string).execute(deps.db);
    const grants = await deps.db.selectFrom('role_permissions').innerJoin('roles', 'roles.id', 'role_permissions.role_id').where('roles.org_id', '=', old.orgId).where('permission', '=', 'tickets.take').select(['roles.key', 'scope']).orderBy('roles.key').execute();
    expect(grants).toEqual([{ key: 'administrator', scope: 'org' }, { key: 'agent', scope: 'team' }, { key: 'supervisor', scope: 'team' }]);
  });

  it('take next: SLA due soonest, then priority, then oldest; skips held and other teams’ tickets; empty says so', async () => {
    await noTickets();
    const later = await mk(teamA, { priority: 'urgent' });
    const oldLow = await mk(teamA, { priority: 'low' });
    const newHigh = await mk(teamA, { priority: 'high' });
    const due = await mk(teamA, { priority: 'low' });
    const otherTeam = await mk(teamB, { priority: 'urgent' });
    await deps.db.updateTable('tickets').set({ first_response_due_at: null, resolution_due_at: null }).where('id', 'in', [later.id, oldLow.id, newHigh.id, otherTeam.id]).execute();
    await deps.db.updateTable('tickets').set({ first_response_due_at: new Date(Date.now() + 60_000) }).where('id', '=', due.id).execute();
    await deps.db.updateTable('tickets').set({ created_at: new Date(Date.now() - 86_400_000) }).where('id', '=', oldLow.id).execute();
    // A ticket whose message stands reported as phishing cannot be answered: never handed out.
    const held = await mk(teamA, { priority: 'urgent' });
    await deps.db.updateTable('tickets').set({ first_response_due_at: new Date(Date.now() - 60_000) }).where('id', '=', held.id).execute();
    await deps.db.insertInto('messages').values({ id: randomUUID(), org_id: org.orgId, ticket_id: held.id, kind: 'inbound_email', author_type: 'customer', reported_at: new Date() } as never).execute();
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await post(agentA, '/api/tickets/take-next', { view: 'my_team' });
      expect(res.statusCode, res.body).toBe(200);
      order.push(res.json().ticket.id);
    }
    expect(order).toEqual([due.id, later.id, newHigh.id, oldLow.id]);
    const empty = await post(agentA, '/api/tickets/take-next', { view: 'my_team' });
    expect(empty.json()).toEqual({ ticket: null });
    expect((await ticket(otherTeam.id)).assignee_id).toBeNull();
    expect((await ticket(held.id)).assignee_id).toBeNull();
  });

  it('take next: two agents pressing at once get different tickets', async () => {
    await noTickets();
    const made = await Promise.all([mk(teamA), mk(teamA), mk(teamA)]);
    const [one, two] = await Promise.all([post(agentA, '/api/tickets/take-next'), post(agentA2, '/api/tickets/take-next')]);
    expect(one.statusCode, one.body).toBe(200);
    expect(two.statusCode, two.body).toBe(200);
    const a = one.json().ticket.id as string;
    const b = two.json().ticket.id as string;
    expect(a).not.toBe(b);
    expect((await ticket(a)).assignee_id).toBe(agentA.userId);
    expect((await ticket(b)).assignee_id).toBe(agentA2.userId);
    expect(made.map((m) => m.id)).toEqual(expect.arrayContaining([a, b]));
  });

  it('replying to an unassigned ticket assigns it to the replier, unless the organisation turned it off (an administrator’s audited setting)', async () => {
    const t = await mk(teamA);
    expect((await post(agentA2, `/api/tickets/${t.id}/replies`, { body: 'On it.' })).statusCode).toBe(201);
    expect(await ticket(t.id)).toMatchObject({ assignee_id: agentA2.userId });
    // Replying to someone else's ticket does not take it.
    expect((await post(agentA, `/api/tickets/${t.id}/replies`, { body: 'Adding a thought.' })).statusCode).toBe(201);
    expect((await ticket(t.id)).assignee_id).toBe(agentA2.userId);

    expect((await app.inject({ method: 'PUT', url: '/api/organization/assignment', headers: agentA.headers, payload: { assignOnReply: false } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'PUT', url: '/api/organization/assignment', headers: admin.headers, payload: { assignOnReply: 'no' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'PUT', url: '/api/organization/assignment', headers: admin.headers, payload: { assignOnReply: false } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/organization/assignment', headers: admin.headers })).json()).toEqual({ assignOnReply: false });
    // Only its own key changed.
    const settings = (await deps.db.selectFrom('organizations').where('id', '=', org.orgId).select('settings').executeTakeFirstOrThrow()).settings as Record<string, unknown>;
    expect(settings.assignment).toEqual({ assignOnReply: false });
    expect((await actions(org.orgId)).map((a) => a.action)).toContain('policy.assignment_change');
    const u = await mk(teamA);
    expect((await post(agentA, `/api/tickets/${u.id}/replies`, { body: 'Hello.' })).statusCode).toBe(201);
    expect((await ticket(u.id)).assignee_id).toBeNull();
    await app.inject({ method: 'PUT', url: '/api/organization/assignment', headers: admin.headers, payload: { assignOnReply: true } });
  });

  it('round robin spreads concurrent new tickets evenly over active, present members who work tickets', async () => {
    const team = await buildTeam(services, org);
    const m1 = await buildUser(services, org, { roles: ['agent'], teamIds: [team] });
    const m2 = await buildUser(services, org, { roles: ['agent'], teamIds: [team] });
    const away = await buildUser(services, org, { roles: ['agent'], teamIds: [team] });
    await buildUser(services, org, { roles: ['auditor'], teamIds: [team] });
    await buildUser(services, org, { roles: ['agent'], teamIds: [team], status: 'deactivated' });
    const awaySession = await signInAs(app, away);
    expect((await app.inject({ url: '/api/auth/me/away', headers: awaySession.headers })).json()).toEqual({ away: false });
    expect((await app.inject({ method: 'PUT', url: '/api/auth/me/away', headers: awaySession.headers, payload: { away: 'yes' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'PUT', url: '/api/auth/me/away', payload: { away: true } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'PUT', url: '/api/auth/me/away', headers: awaySession.headers, payload: { away: true } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/auth/me/away', headers: awaySession.headers })).json()).toEqual({ away: true });
    // Only your own flag: a colleague's session still reads its own.
    expect((await app.inject({ url: '/api/auth/me/away', headers: (await signInAs(app, m1)).headers })).json()).toEqual({ away: false });
    expect((await app.inject({ method: 'PUT', url: `/api/teams/${team}/strategy`, headers: leadA.headers, payload: { strategy: 'round_robin' } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'PUT', url: `/api/teams/${team}/strategy`, headers: stranger.headers, payload: { strategy: 'round_robin' } })).statusCode).toBe(404);
    expect((await app.inject({ method: 'PUT', url: `/api/teams/${team}/strategy`, headers: admin.headers, payload: { strategy: 'sideways' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'PUT', url: `/api/teams/${team}/strategy`, headers: admin.headers, payload: { strategy: 'round_robin' } })).statusCode).toBe(200);
    const picks = await Promise.all(Array.from({ length: 6 }, () => deps.db.transaction().execute((trx) => routeNewTicket(trx, org.orgId, { mailboxId: null, senderAddress: null, subject: 'x', defaultTeamId: team }))));
    const tally = new Map<string, number>();
    for (const p of picks) tally.set(p.assigneeId as string, (tally.get(p.assigneeId as string) ?? 0) + 1);
    expect(Object.fromEntries(tally)).toEqual({ [m1.userId]: 3, [m2.userId]: 3 });
    const listed = (await app.inject({ url: '/api/teams/strategies', headers: admin.headers })).json().teams as Array<{ id: string; strategy: string }>;
    expect(listed).toContainEqual({ id: team, strategy: 'round_robin' });
  });

  it('least busy picks the member with the fewest open and pending tickets; a routing rule’s strategy overrides a manual team', async () => {
    const team = await buildTeam(services, org);
    const busy = await buildUser(services, org, { roles: ['agent'], teamIds: [team] });
    const free = await buildUser(services, org, { roles: ['agent'], teamIds: [team] });
    await mk(team, { assigneeId: busy.userId });
    await mk(team, { assigneeId: busy.userId });
    const solved = await mk(team, { assigneeId: free.userId });
    await mk(team, { assigneeId: free.userId });
    await deps.db.updateTable('tickets').set({ status: 'solved' }).where('id', '=', solved.id).execute();
    expect(await deps.db.transaction().execute((trx) => pickAssignee(trx, org.orgId, team))).toBeNull();
    expect(await deps.db.transaction().execute((trx) => pickAssignee(trx, org.orgId, team, 'least_busy'))).toBe(free.userId);
    const rule = await app.inject({
      method: 'POST', url: '/api/routing-rules', headers: admin.headers,
      payload: { name: 'Spread', position: 0, enabled: true, matchMailboxId: null, matchSenderDomain: null, matchSubjectWords: ['spread'], setTeamId: team, setAssigneeId: null, setPriority: null, addTags: [], assignStrategy: 'least_busy' },
    });
    expect(rule.statusCode, rule.body).toBe(201);
    const listed = (await app.inject({ url: '/api/routing-rules', headers: admin.headers })).json().rules as Array<{ id: string; assignStrategy: string | null }>;
    expect(listed.find((r) => r.id === rule.json().id)?.assignStrategy).toBe('least_busy');
    const routed = await deps.db.transaction().execute((trx) => routeNewTicket(trx, org.orgId, { mailboxId: null, senderAddress: null, subject: 'please spread this', defaultTeamId: teamB }));
    expect(routed).toMatchObject({ teamId: team, assigneeId: free.userId });
    await app.inject({ method: 'DELETE', url: `/api/routing-rules/${rule.json().id}`, headers: admin.headers });
  });

  describe('saved views', () => {
    const body = (over: object = {}) => ({ name: 'Urgent of mine', teamId: null, filters: {}, columns: ['number', 'subject', 'priority'], sort: 'priority', sortDir: 'desc', ...over });

    it('filters in SQL within the caller’s scope, sorts, counts open tickets; validates its filters', async () => {
      await noTickets();
      const urgent = await mk(teamA, { priority: 'urgent', tags: ['vip', 'billing'] });
      const high = await mk(teamA, { priority: 'high', tags: ['vip'] });
      const taggedOnlyOnce = await mk(teamA, { priority: 'urgent', tags: ['billing'] });
      const otherTeam = await mk(teamB, { priority: 'urgent', tags: ['vip'] });
      await deps.db.updateTable('tickets').set({ first_response_due_at: null, resolution_due_at: null }).where('id', 'in', [urgent.id, high.id, taggedOnlyOnce.id, otherTeam.id]).execute();
      const created = await post(agentA, '/api/views', body({ filters: { tags: ['vip'], priority: ['urgent', 'high'], assignee: ['unassigned'], sla: ['ok'] } }));
      expect(created.statusCode, created.body).toBe(201);
      const id = created.json().id as string;
      const list = await app.inject({ url: `/api/views/${id}/tickets`, headers: agentA.headers });
      expect(list.statusCode).toBe(200);
      // Team B's ticket matches the filters but is outside agent A's scope.
      expect(list.json().items.map((t: { id: string }) => t.id)).toEqual([urgent.id, high.id]);
      const views = (await app.inject({ url: '/api/views', headers: agentA.headers })).json().views;
      expect(views).toEqual([expect.objectContaining({ id, name: 'Urgent of mine', count: 2, editable: true, columns: ['number', 'subject', 'priority'], teamId: null })]);
      // SLA states, "me", and dates, all in SQL.
      await deps.db.updateTable('tickets').set({ first_response_due_at: new Date(Date.now() - 60_000) }).where('id', '=', high.id).execute();
      await deps.db.updateTable('tickets').set({ first_response_due_at: new Date(Date.now() + 10 * 60_000) }).where('id', '=', urgent.id).execute();
      const ids = async (filters: object) => {
        // Earlier tests leave closed tickets behind: look at the open ones.
        const v = await post(agentA, '/api/views', body({ name: `f ${randomUUID().slice(0, 4)}`, filters: { status: ['new', 'open', 'pending'], ...filters } }));
        expect(v.statusCode, v.body).toBe(201);
        const r = await app.inject({ url: `/api/views/${v.json().id}/tickets`, headers: agentA.headers });
        await app.inject({ method: 'DELETE', url: `/api/views/${v.json().id}`, headers: agentA.headers });
        return (r.json().items as Array<{ id: string }>).map((t) => t.id).sort();
      };
      expect(await ids({ sla: ['breaching'] })).toEqual([high.id]);
      expect(await ids({ sla: ['due_soon'] })).toEqual([urgent.id]);
      await post(agentA, `/api/tickets/${taggedOnlyOnce.id}/take`);
      expect(await ids({ assignee: ['me'] })).toEqual([taggedOnlyOnce.id]);
      expect(await ids({ createdFrom: new Date(Date.now() + 3_600_000).toISOString() })).toEqual([]);
      expect(await ids({ channel: ['email'] })).toEqual([]);
      expect(await ids({ threat: ['phishing'] })).toEqual([]);
      // Malformed: unknown filter, oversize lists, another organisation's team.
      expect((await post(agentA, '/api/views', body({ filters: { sql: 'drop table' } }))).statusCode).toBe(400);
      expect((await post(agentA, '/api/views', body({ filters: { tags: Array.from({ length: 11 }, (_, i) => `t${i}`) } }))).statusCode).toBe(400);
      expect((await post(agentA, '/api/views', body({ name: 'x'.repeat(81) }))).statusCode).toBe(400);
      expect((await post(agentA, '/api/views', body({ columns: [] }))).statusCode).toBe(400);
      const foreignTeam = await buildTeam(services, await buildOrg(services));
      expect((await post(agentA, '/api/views', body({ filters: { teamIds: [foreignTeam] } }))).statusCode).toBe(400);
    });

    it('shared with a team: only a lead in it may share; team mates see it and its count; another team and organisation get 404', async () => {
      await noTickets();
      await mk(teamA, { tags: ['shared'] });
      await mk(teamA, { tags: ['shared'] });
      const share = body({ name: 'Team A shared', teamId: teamA, filters: { tags: ['shared'] } });
      expect((await post(agentA, '/api/views', share)).statusCode).toBe(403);
      expect((await post(leadA, '/api/views', { ...share, teamId: teamB })).statusCode).toBe(403);
      const created = await post(leadA, '/api/views', share);
      expect(created.statusCode, created.body).toBe(201);
      const id = created.json().id as string;
      const seen = (await app.inject({ url: '/api/views', headers: agentA2.headers })).json().views;
      expect(seen).toContainEqual(expect.objectContaining({ id, count: 2, editable: false }));
      expect((await app.inject({ url: '/api/views', headers: agentB.headers })).json().views.map((v: { id: string }) => v.id)).not.toContain(id);
      for (const who of [agentB, stranger]) {
        expect((await app.inject({ url: `/api/views/${id}/tickets`, headers: who.headers })).statusCode).toBe(404);
        expect((await app.inject({ method: 'PUT', url: `/api/views/${id}`, headers: who.headers, payload: share })).statusCode).toBe(404);
        expect((await app.inject({ method: 'DELETE', url: `/api/views/${id}`, headers: who.headers })).statusCode).toBe(404);
        expect((await post(who, '/api/tickets/take-next', { viewId: id })).statusCode).toBe(404);
      }
      // A team mate sees it but may not change it.
      expect((await app.inject({ method: 'PUT', url: `/api/views/${id}`, headers: agentA2.headers, payload: { ...share, name: 'Mine now' } })).statusCode).toBe(403);
      expect((await app.inject({ method: 'DELETE', url: `/api/views/${id}`, headers: agentA2.headers })).statusCode).toBe(403);
      // Take next from the shared view.
      const next = await post(agentA2, '/api/tickets/take-next', { viewId: id });
      expect(next.json().ticket).not.toBeNull();
      expect((await app.inject({ method: 'PUT', url: `/api/views/${id}`, headers: leadA.headers, payload: { ...share, name: 'Renamed' } })).statusCode).toBe(200);
      expect((await app.inject({ method: 'DELETE', url: `/api/views/${id}`, headers: leadA.headers })).statusCode).toBe(200);
      expect((await app.inject({ url: `/api/views/${id}/tickets`, headers: agentA2.headers })).statusCode).toBe(404);
    });

    it(`limits each person to ${MAX_VIEWS_PER_USER} views`, async () => {
      const who = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
      await deps.db.insertInto('saved_views').values(Array.from({ length: MAX_VIEWS_PER_USER - 1 }, (_, i) => ({ id: randomUUID(), org_id: org.orgId, owner_id: who.userId, team_id: null, name: `v${i}`, filters: '{}', columns: ['number'], sort: 'updated', sort_dir: 'desc' }))).execute();
      const [a, b] = await Promise.all([post(who, '/api/views', body()), post(who, '/api/views', body())]);
      expect([a.statusCode, b.statusCode].sort()).toEqual([201, 409]);
    });
  });
});
