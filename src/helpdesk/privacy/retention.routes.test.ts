/**
 * Retention and legal hold through the API (decision 0207): who may read, change the policy, start a run and set or
 * lift a hold; another organisation's customers, tickets, holds and runs answer 404; a read-only token changes
 * nothing; an erasure of a customer on hold is refused with a problem+json that says so; a run started through the
 * API deletes what the dry run counted, and its progress reads back.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildUser, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { READ_ONLY_PERMISSIONS } from '../../identity/auth/permissions.js';
import { createApiToken } from '../../identity/auth/tokens.service.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { createCustomer } from '../customers/customers.service.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../tickets/context.js';
import { monthsBefore } from './retention-policy.js';
import { createRetentionRoutes, retentionRoutes } from './retention.routes.js';
import { nextOccurrence, startScheduledRuns } from './retention-schedule.js';

describe.each(testDatabaseKinds)('retention and legal hold routes on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let deps: HelpdeskDeps;
  let org: TestOrg;
  let otherOrg: TestOrg;
  let admin: SignedIn;
  let officer: SignedIn;
  let auditor: SignedIn;
  let agent: SignedIn;
  let intruder: SignedIn;
  let readOnly: { authorization: string };
  let customerId: string;
  let ticketId: string;

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, schemaCache: testSchemaCache, routes: [...appRoutes.filter((r) => r !== retentionRoutes), createRetentionRoutes({ blobs: new MemoryBlobStore(), worker: { batchSize: 3, pauseMs: 0 } })] });
    await app.ready();
    deps = await createHelpdeskDeps(services);
    org = await buildOrg(services);
    otherOrg = await buildOrg(services);
    admin = await signIn(app, org, { roles: ['administrator'] });
    officer = await signIn(app, org, { roles: ['security_officer'] });
    auditor = await signIn(app, org, { roles: ['auditor'] });
    agent = await signIn(app, org, { roles: ['agent'] });
    intruder = await signIn(app, otherOrg, { roles: ['administrator'] });
    const owner = await buildUser(services, org, { roles: ['administrator', 'security_officer'] });
    const { token } = await createApiToken({ db: services.database.db, audit: services.audit }, null, { ip: '127.0.0.1', userAgent: null, requestId: 'test' }, { ownerId: owner.userId, name: 'read-only', scopes: [...READ_ONLY_PERMISSIONS].filter((s) => s !== 'simulations.read'), expiresInDays: 1, kind: 'personal' });
    readOnly = { authorization: `Bearer ${token}` };
    customerId = (await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system', id: 'test' } }, { name: 'Held Person', email: 'held@customer.example' })).id;
    ticketId = randomUUID();
    await services.database.db.insertInto('tickets').values({ id: ticketId, org_id: org.orgId, number: 1, status: 'solved', channel: 'chat', requester_id: customerId, solved_at: monthsBefore(new Date(), 30) }).execute();
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  const call = (who: SignedIn | { authorization: string }, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    app.inject({ method, url, headers: 'headers' in who ? who.headers : who, ...(payload ? { payload } : {}) });

  it('refuses the wrong role, a read-only token and another organisation; holds are set once, listed, lifted with a reason', async () => {
    const hold = { objectType: 'customer', objectId: customerId, reason: 'Litigation hold, case 2026-17' };
    for (const who of [agent, auditor]) expect((await call(who, 'POST', '/api/privacy/holds', hold)).statusCode).toBe(403);
    expect((await call(readOnly, 'POST', '/api/privacy/holds', hold)).statusCode).toBe(403);
    expect((await call(agent, 'GET', '/api/privacy/holds')).statusCode).toBe(403);
    // Another organisation's administrator: our customer and ticket do not exist for them.
    const foreign = await call(intruder, 'POST', '/api/privacy/holds', hold);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.headers['content-type']).toMatch(/problem\+json/);
    expect((await call(intruder, 'POST', '/api/privacy/holds', { ...hold, objectType: 'ticket', objectId: ticketId })).statusCode).toBe(404);

    const set = await call(officer, 'POST', '/api/privacy/holds', hold);
    expect(set.statusCode, set.body).toBe(200);
    const h = set.json();
    expect(h).toMatchObject({ objectType: 'customer', objectId: customerId, active: true, setBy: officer.userId });
    expect((await call(admin, 'POST', '/api/privacy/holds', hold)).statusCode).toBe(409);
    expect((await call(auditor, 'GET', `/api/privacy/holds?active=true&objectId=${customerId}`)).json().items.map((x: { id: string }) => x.id)).toEqual([h.id]);
    expect((await call(intruder, 'GET', '/api/privacy/holds')).json().items).toEqual([]);
    expect((await call(intruder, 'POST', `/api/privacy/holds/${h.id}/lift`, { reason: 'not yours' })).statusCode).toBe(404);
    expect((await call(readOnly, 'POST', `/api/privacy/holds/${h.id}/lift`, { reason: 'read only' })).statusCode).toBe(403);
    expect((await call(admin, 'POST', `/api/privacy/holds/${h.id}/lift`, {})).statusCode).toBe(400);

    // While held, the erasure refuses with a problem that names the hold; the customer stays whole.
    const req = await call(admin, 'POST', '/api/privacy/requests', { customerId, kind: 'erasure' });
    await call(admin, 'POST', `/api/privacy/requests/${req.json().id}/verify`, { reason: 'Known caller, checked by phone' });
    const refused = await call(admin, 'POST', `/api/privacy/requests/${req.json().id}/approve`);
    expect(refused.statusCode).toBe(409);
    expect(refused.headers['content-type']).toMatch(/problem\+json/);
    expect(refused.json()).toMatchObject({ code: 'conflict', legalHold: true, holdIds: [h.id] });
    expect(refused.json().detail).toMatch(/legal hold/);
    expect((await call(admin, 'GET', `/api/privacy/requests/${req.json().id}`)).json().status).toBe('verified');
    const keys = await services.database.db.selectFrom('data_keys').where('owner_id', '=', customerId).select('destroyed_at').execute();
    expect(keys.every((k) => k.destroyed_at === null)).toBe(true);

    const lifted = await call(admin, 'POST', `/api/privacy/holds/${h.id}/lift`, { reason: 'Case settled' });
    expect(lifted.json()).toMatchObject({ active: false, liftedBy: admin.userId, liftReason: 'Case settled' });
    expect((await call(admin, 'POST', `/api/privacy/holds/${h.id}/lift`, { reason: 'Again' })).statusCode).toBe(409);
    const audit = await services.database.db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', 'in', ['privacy.hold.set', 'privacy.hold.lift']).select('action').execute();
    expect(audit.map((a) => a.action).sort()).toEqual(['privacy.hold.lift', 'privacy.hold.set']);
    await call(admin, 'POST', `/api/privacy/requests/${req.json().id}/reject`, { reason: 'Test over' });
  });

  it('policy, dry run and a run: permissions, step-up, progress, and the count deleted equals the dry run', async () => {
    const policy = { tickets: { months: 12, channels: ['chat'], tags: [], teamIds: [] }, quarantineDays: null, exportDays: null, inactiveCustomerMonths: null };
    expect((await call(admin, 'GET', '/api/privacy/retention/policy')).json()).toMatchObject({ tickets: { months: null }, inactiveCustomerMonths: null });
    for (const who of [officer, auditor, agent]) expect((await call(who, 'PUT', '/api/privacy/retention/policy', policy)).statusCode).toBe(403);
    expect((await call(readOnly, 'PUT', '/api/privacy/retention/policy', policy)).statusCode).toBe(403);
    expect((await call(admin, 'PUT', '/api/privacy/retention/policy', { ...policy, quarantineDays: -5 })).statusCode).toBe(400);
    expect((await call(admin, 'PUT', '/api/privacy/retention/policy', policy)).statusCode).toBe(200);
    expect((await call(intruder, 'GET', '/api/privacy/retention/policy')).json().tickets.months).toBeNull();

    // A ticket on hold is not counted; then the run deletes exactly the dry run's count.
    const db = services.database.db;
    const more = Array.from({ length: 7 }, (_, i) => ({ id: randomUUID(), org_id: org.orgId, number: 10 + i, status: 'closed' as const, channel: 'chat' as const, closed_at: monthsBefore(new Date(), 14) }));
    await db.insertInto('tickets').values(more).execute();
    const heldTicket = (await call(admin, 'POST', '/api/privacy/holds', { objectType: 'ticket', objectId: more[0]!.id, reason: 'Chargeback dispute' })).json();
    expect(heldTicket.active).toBe(true);
    const dry = await call(auditor, 'GET', '/api/privacy/retention/dry-run');
    expect(dry.statusCode).toBe(200);
    expect(dry.json().counts).toEqual({ tickets: 7, quarantine: 0, exports: 0, customers: 0 });

    for (const who of [auditor, agent]) expect((await call(who, 'POST', '/api/privacy/retention/runs')).statusCode).toBe(403);
    expect((await call(readOnly, 'POST', '/api/privacy/retention/runs')).statusCode).toBe(403);
    const stale = await signIn(app, org, { roles: ['administrator'], stepUp: false });
    expect((await call(stale, 'POST', '/api/privacy/retention/runs')).json().code).toBe('step_up_required');
    const started = await call(admin, 'POST', '/api/privacy/retention/runs');
    expect(started.statusCode, started.body).toBe(200);
    expect(started.json()).toMatchObject({ status: 'queued', planned: dry.json().counts });
    await services.deferred.drain();
    const run = (await call(auditor, 'GET', `/api/privacy/retention/runs/${started.json().id}`)).json();
    expect(run).toMatchObject({ status: 'done', percent: 100, deleted: dry.json().counts });
    expect((await call(intruder, 'GET', `/api/privacy/retention/runs/${started.json().id}`)).statusCode).toBe(404);
    expect((await call(admin, 'GET', '/api/privacy/retention/runs')).json().items[0].id).toBe(started.json().id);
    const left = (await db.selectFrom('tickets').where('org_id', '=', org.orgId).select('id').execute()).map((t) => t.id).sort();
    expect(left).toEqual([more[0]!.id].sort());
    // The customer's own chat, solved 30 months ago, went too; the held one stayed.
  });

  it('a schedule: set only with the right to start a run, runs once per occurrence across sweeps, stops when its approver may no longer', async () => {
    const db = services.database.db;
    const schedule = { frequency: 'daily', hour: 3 };
    for (const who of [auditor, agent]) expect((await call(who, 'PUT', '/api/privacy/retention/schedule', { schedule })).statusCode).toBe(403);
    expect((await call(readOnly, 'PUT', '/api/privacy/retention/schedule', { schedule })).statusCode).toBe(403);
    const stale = await signIn(app, org, { roles: ['administrator'], stepUp: false });
    expect((await call(stale, 'PUT', '/api/privacy/retention/schedule', { schedule })).json().code).toBe('step_up_required');
    for (const bad of [{ frequency: 'weekly', hour: 3 }, { frequency: 'daily', hour: 3, weekday: 2 }, { frequency: 'daily', hour: 24 }, { frequency: 'hourly', hour: 1 }]) {
      const r = await call(admin, 'PUT', '/api/privacy/retention/schedule', { schedule: bad });
      expect(r.statusCode, JSON.stringify(bad)).toBe(400);
      expect(r.headers['content-type']).toMatch(/problem\+json/);
    }
    expect((await call(admin, 'GET', '/api/privacy/retention/schedule')).json().schedule).toBeNull();

    const approver = await signIn(app, org, { roles: ['administrator'] });
    await call(approver, 'PUT', '/api/privacy/retention/policy', { tickets: { months: 12, channels: [], tags: [], teamIds: [] }, quarantineDays: null, exportDays: null, inactiveCustomerMonths: null });
    const set = await call(approver, 'PUT', '/api/privacy/retention/schedule', { schedule: { frequency: 'weekly', hour: 3, weekday: 0 } });
    expect(set.statusCode, set.body).toBe(200);
    const s = set.json().schedule;
    expect(s).toMatchObject({ frequency: 'weekly', hour: 3, weekday: 0, enabledBy: approver.userId, lastOutcome: null });
    expect(new Date(s.nextRunAt).getUTCDay()).toBe(0);
    expect(new Date(s.nextRunAt).getUTCHours()).toBe(3);
    expect((await call(intruder, 'GET', '/api/privacy/retention/schedule')).json().schedule).toBeNull();
    expect((await call(auditor, 'GET', '/api/privacy/retention/schedule')).json().schedule.nextRunAt).toBe(s.nextRunAt);

    // Not due yet: nothing starts. Due: two sweeps at once start exactly one run, planned as the dry run counts.
    await db.insertInto('tickets').values({ id: randomUUID(), org_id: org.orgId, number: 40, status: 'closed', channel: 'email', closed_at: monthsBefore(new Date(), 20) }).execute();
    expect(await startScheduledRuns(deps, new Date(Date.parse(s.nextRunAt) - 1000))).toEqual([]);
    const at = new Date(Date.parse(s.nextRunAt) + 30_000);
    const [a, b] = await Promise.all([startScheduledRuns(deps, at), startScheduledRuns(deps, at)]);
    const started = [...a, ...b];
    expect(started).toHaveLength(1);
    const run = (await call(auditor, 'GET', `/api/privacy/retention/runs/${started[0]}`)).json();
    expect(run).toMatchObject({ via: 'schedule', status: 'queued', requestedBy: approver.userId });
    expect(run.planned.tickets).toBeGreaterThanOrEqual(1);
    const after = (await call(admin, 'GET', '/api/privacy/retention/schedule')).json().schedule;
    expect(after).toMatchObject({ lastOutcome: 'started', lastRunId: started[0], nextRunAt: nextOccurrence({ frequency: 'weekly', hour: 3, weekday: 0 }, at).toISOString() });
    expect(Date.parse(after.nextRunAt) - Date.parse(s.nextRunAt)).toBe(7 * 86_400_000);

    // The next occurrence while that run is unfinished is not added to it.
    const next = new Date(Date.parse(after.nextRunAt) + 1000);
    expect(await startScheduledRuns(deps, next)).toEqual([]);
    expect((await call(admin, 'GET', '/api/privacy/retention/schedule')).json().schedule.lastOutcome).toBe('run_unfinished');
    await db.updateTable('retention_runs').set({ status: 'done', finished_at: new Date() }).where('id', '=', started[0]!).execute();

    // The approver is deactivated: the schedule stays, its occurrences start nothing, and the trail says why.
    await db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', approver.userId).execute();
    const later = new Date(Date.parse(next.toISOString()) + 7 * 86_400_000);
    expect(await startScheduledRuns(deps, later)).toEqual([]);
    expect((await call(admin, 'GET', '/api/privacy/retention/schedule')).json().schedule.lastOutcome).toBe('approver_lacks_permission');
    const skip = await db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', '=', 'retention.schedule.skip').select(['result', 'details']).executeTakeFirstOrThrow();
    expect(skip.result).toBe('failure');

    // Removing it needs privacy.manage only, and is audited with what it was.
    expect((await call(stale, 'PUT', '/api/privacy/retention/schedule', { schedule: null })).json().schedule).toBeNull();
    expect((await call(admin, 'GET', '/api/privacy/retention/schedule')).json().schedule).toBeNull();
    const changes = await db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', '=', 'policy.retention.schedule').select('details').orderBy('seq').execute();
    expect(changes).toHaveLength(2);
    expect(changes[1]!.details).toMatchObject({ before: { frequency: 'weekly', enabledBy: approver.userId }, after: null });
  });
});
