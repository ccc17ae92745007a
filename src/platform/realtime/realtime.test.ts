/**
 * The console's live socket, end to end: real upgrades through app.listen on an
 * ephemeral port, a real `ws` client, changes made through the HTTP API, events
 * carried by the database's NOTIFY. On PGlite always, on PostgreSQL when
 * TEST_DATABASE_URL is set.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { hashSecret } from '../../identity/auth/secrets.js';
import { revokeSession } from '../../identity/auth/sessions.js';
import { createApiToken } from '../../identity/auth/tokens.service.js';
import { createCustomer } from '../../helpdesk/customers/customers.service.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { insertTicket } from '../../helpdesk/tickets/records.js';
import type { Services } from '../app/services.js';
import { createTestServices, testSchemaCache } from '../app/testing.js';
import { testDatabaseKinds } from '../db/testing.js';
import { buildApp } from '../http/app.js';
import { appRoutes } from '../http/routes.js';
import { publishTicketChange } from './events.js';
import { realtimeRoutes, realtimeRoutesWith } from './realtime.routes.js';
import { connectSocket, upgradeStatus, type Client } from './testing.js';

describe.each(testDatabaseKinds)('realtime console on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let url: string;
  let origin: string;
  let org: TestOrg;
  let otherOrg: TestOrg;
  let teamA: string;
  let teamB: string;
  let ticketA: string;
  let ticketA2: string;
  let ticketB: string;
  let otherOrgTicket: string;
  let lead: SignedIn;
  const open: Client[] = [];

  const connect = async (who: SignedIn, headers: Record<string, string> = {}) => {
    const c = await connectSocket(url, { cookie: who.headers.cookie, origin, ...headers });
    open.push(c);
    await c.next((m) => m.type === 'ready');
    return c;
  };

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({
      services,
      schemaCache: testSchemaCache,
      routes: [...appRoutes.filter((r) => r !== realtimeRoutes), realtimeRoutesWith({ recheckMs: 150, maxSocketsPerUser: 3 })],
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    url = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api/realtime`;
    origin = new URL(services.config.publicUrl).origin;
    org = await buildOrg(services);
    otherOrg = await buildOrg(services);
    teamA = await buildTeam(services, org);
    teamB = await buildTeam(services, org);
    const deps = await createHelpdeskDeps(services);
    const mk = async (o: TestOrg, teamId: string | null) => {
      const { id: customerId } = await createCustomer(deps, { orgId: o.orgId, actor: { type: 'system' } }, { name: 'Ottilie Brandreth', email: `c-${randomUUID().slice(0, 8)}@example.org` });
      return (await deps.db.transaction().execute((trx) => insertTicket(trx, deps, { orgId: o.orgId, subject: 'A question', channel: 'web', requesterId: customerId, teamId }))).id;
    };
    ticketA = await mk(org, teamA);
    ticketA2 = await mk(org, teamA);
    ticketB = await mk(org, teamB);
    otherOrgTicket = await mk(otherOrg, await buildTeam(services, otherOrg));
    lead = await signIn(app, org, { roles: ['supervisor'], teamIds: [teamA, teamB] });
  });
  afterAll(async () => {
    for (const c of open) c.ws.terminate();
    await app?.close();
    await services?.close();
  });

  it('refuses an upgrade without a session (401), with a password-only session (401) and with an API token (403)', async () => {
    expect(await upgradeStatus(url, { origin })).toBe(401);
    const pwOnly = await signIn(app, org, { roles: ['agent'], teamIds: [teamA], mfa: false });
    expect(await upgradeStatus(url, { origin, cookie: pwOnly.headers.cookie })).toBe(401);
    const owner = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    const { token } = await createApiToken({ db: services.database.db, audit: services.audit }, null, { ip: '127.0.0.1', userAgent: null, requestId: 'test' }, { ownerId: owner.userId, name: 't', scopes: ['tickets.read'], expiresInDays: 1, kind: 'personal' });
    expect(await upgradeStatus(url, { origin, authorization: `Bearer ${token}` })).toBe(403);
  });

  it('refuses a session whose Origin is not the app’s own (the socket’s CSRF defence)', async () => {
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    expect(await upgradeStatus(url, { cookie: agent.headers.cookie, origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(url, { cookie: agent.headers.cookie, origin: origin.replace('http:', 'https:') })).toBe(403);
    expect(await upgradeStatus(url, { cookie: agent.headers.cookie })).toBe(403);
    expect(await upgradeStatus(url, { cookie: agent.headers.cookie, origin })).toBe(101);
  });

  it('answers a plain GET (no upgrade) with 400', async () => {
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    const res = await app.inject({ url: '/api/realtime', headers: { ...agent.headers, origin } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('problem+json');
  });

  it('tells an agent of their team’s ticket changes (reply, assignment, status) and nothing of another team’s or organisation’s', async () => {
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    const c = await connect(agent);
    const outsider = await signIn(app, otherOrg, { roles: ['administrator'] });
    // Another team's ticket and another organisation's ticket change first.
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${ticketB}/replies`, headers: lead.headers, payload: { body: 'For team B.' } })).statusCode).toBe(201);
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${otherOrgTicket}/notes`, headers: outsider.headers, payload: { body: 'Elsewhere.' } })).statusCode).toBe(201);
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${ticketA}/replies`, headers: lead.headers, payload: { body: 'Here is the answer.' } })).statusCode).toBe(201);
    await c.next((m) => m.type === 'ticket' && m.ticketId === ticketA);
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${ticketA2}/assignment`, headers: lead.headers, payload: { assigneeId: lead.userId } })).statusCode).toBe(200);
    await c.next((m) => m.type === 'ticket' && m.ticketId === ticketA2);
    c.messages.length = 0;
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${ticketA}/status`, headers: lead.headers, payload: { status: 'open' } })).statusCode).toBe(200);
    await c.next((m) => m.type === 'ticket' && m.ticketId === ticketA);
    await new Promise((r) => setTimeout(r, 300));
    const all = c.seen.filter((m) => m.type === 'ticket').map((m) => m.ticketId);
    expect(all).not.toContain(ticketB);
    expect(all).not.toContain(otherOrgTicket);
    // seq increases by one per message on this socket.
    expect(c.seen.map((m) => m.seq)).toEqual(c.seen.map((_, i) => i + 1));
    // Ids only: no subject, body or name ever crosses the socket.
    expect(JSON.stringify(c.seen)).not.toMatch(/answer|question|Ottilie/i);
  });

  it('folds a burst of changes to one ticket into a frame at once and one trailing frame', async () => {
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    const c = await connect(agent);
    const notes = await Promise.all([0, 1, 2, 3].map((i) => app.inject({ method: 'POST', url: `/api/tickets/${ticketA}/notes`, headers: lead.headers, payload: { body: `Burst ${i}.` } })));
    expect(notes.map((r) => r.statusCode)).toEqual([201, 201, 201, 201]);
    await c.next((m) => m.type === 'ticket' && m.ticketId === ticketA);
    // The trailing frame says "changed again" after the first: nothing of the burst is lost, and it is not four frames.
    await c.next((m) => m.type === 'ticket' && m.ticketId === ticketA, 2_000);
    await new Promise((r) => setTimeout(r, 400));
    const frames = c.seen.filter((m) => m.type === 'ticket' && m.ticketId === ticketA).length;
    expect(frames).toBeGreaterThanOrEqual(2);
    expect(frames).toBeLessThan(4);
  });

  it('sends a notification event only to the person notified', async () => {
    const alice = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    const bob = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    const a = await connect(alice);
    const b = await connect(bob);
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${ticketA}/assignment`, headers: lead.headers, payload: { assigneeId: alice.userId } })).statusCode).toBe(200);
    await a.next((m) => m.type === 'notifications');
    // Bob hears of the ticket (his team's) but not of Alice's notification.
    await b.next((m) => m.type === 'ticket' && m.ticketId === ticketA);
    await new Promise((r) => setTimeout(r, 300));
    expect(b.seen.some((m) => m.type === 'notifications')).toBe(false);
  });

  it('sends nothing for a change that rolls back', async () => {
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    const c = await connect(agent);
    await services.database.db
      .transaction()
      .execute(async (trx) => {
        await publishTicketChange(trx, { orgId: org.orgId, ticketId: ticketA, kind: 'ticket.updated' });
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await services.database.db.transaction().execute((trx) => publishTicketChange(trx, { orgId: org.orgId, ticketId: ticketA2, kind: 'ticket.updated' }));
    await c.next((m) => m.type === 'ticket' && m.ticketId === ticketA2);
    await new Promise((r) => setTimeout(r, 200));
    expect(c.seen.filter((m) => m.type === 'ticket').map((m) => m.ticketId)).toEqual([ticketA2]);
  });

  it('closes the socket (4401) once its session is revoked, and once its user is deactivated', async () => {
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    const c = await connect(agent);
    await revokeSession(services.database.db, hashSecret(agent.token), 'test');
    expect((await c.closed).code).toBe(4401);
    const other = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    const d = await connect(other);
    await services.database.db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', other.userId).execute();
    expect((await d.closed).code).toBe(4401);
  });

  it('closes the socket on binary, oversized, invalid or flooding client frames; tolerates a tiny keep-alive', async () => {
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    const cases: Array<[string, (ws: WebSocket) => void, number]> = [
      ['binary', (ws) => ws.send(Buffer.from([1, 2, 3]), { binary: true }), 1008],
      ['oversized', (ws) => ws.send('x'.repeat(200)), 1009],
      ['huge', (ws) => ws.send('x'.repeat(100_000)), 1009],
      ['invalid UTF-8', (ws) => ws.send(Buffer.from([0xc3, 0x28]), { binary: false }), 1007],
      ['flood', (ws) => { for (let i = 0; i < 20; i++) ws.send('{}'); }, 1008],
    ];
    for (const [name, act, code] of cases) {
      const c = await connect(agent);
      act(c.ws);
      expect((await c.closed).code, name).toBe(code);
    }
    const c = await connect(agent);
    c.ws.send('ping');
    await services.database.db.transaction().execute((trx) => publishTicketChange(trx, { orgId: org.orgId, ticketId: ticketA, kind: 'ticket.updated' }));
    await c.next((m) => m.type === 'ticket' && m.ticketId === ticketA);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    c.ws.close();
  });

  it('holds at most the configured number of sockets per person', async () => {
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    const held = [await connect(agent), await connect(agent), await connect(agent)];
    const extra = await connectSocket(url, { cookie: agent.headers.cookie, origin });
    open.push(extra);
    expect((await extra.closed).code).toBe(4429);
    for (const h of held) expect(h.ws.readyState).toBe(WebSocket.OPEN);
    for (const h of held) h.ws.close();
  });
});
