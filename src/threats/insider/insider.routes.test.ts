/**
 * Insider threats in the product: who may read and manage (another
 * organisation's alert is not found), thresholds validated as problem+json,
 * the evaluator's cursor across a restart (nothing skipped, nothing raised
 * twice), suppressions, alert status changes in the audit trail, and reveals
 * through the real routes raising an alert within the loop.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, buildUser, signIn, type RoleKey, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { createApiToken } from '../../identity/auth/tokens.service.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { customerRoutes } from '../../helpdesk/customers/customers.routes.js';
import { buildCustomerWithTicket } from '../../helpdesk/portal/testing.js';
import { createInsiderRoutes } from './insider.routes.js';
import { linkAlertToIncident } from './insider.service.js';
import { InsiderRunner } from './runner.js';

const ROLES: RoleKey[] = ['agent', 'supervisor', 'administrator', 'security_officer', 'auditor'];

describe.each(testDatabaseKinds)('insider threats on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let runner: InsiderRunner;
  let org: TestOrg;
  let otherOrg: TestOrg;
  let team: string;
  let officer: SignedIn;
  let outsider: SignedIn;
  const as: Partial<Record<RoleKey, SignedIn>> = {};
  let customer: { customerId: string };

  const alerts = async (rule: string, userId: string) =>
    services.database.db.selectFrom('insider_alerts').where('org_id', '=', org.orgId).where('rule', '=', rule as 'denied').where('user_id', '=', userId).selectAll().execute();
  const refuse = async (who: SignedIn, n: number) => {
    for (let i = 0; i < n; i++) expect((await app.inject({ url: `/api/customers/${customer.customerId}`, headers: who.headers })).statusCode).toBe(404);
    await services.audit.flush();
  };

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, schemaCache: testSchemaCache, routes: [customerRoutes, createInsiderRoutes({ onRunner: (r) => (runner = r) })] });
    await app.ready();
    org = await buildOrg(services);
    otherOrg = await buildOrg(services);
    team = await buildTeam(services, org);
    for (const role of ROLES) as[role] = await signIn(app, org, { roles: [role], teamIds: [team] });
    officer = as.security_officer!;
    // An agent of another team: every read of this team's customer is refused (not found) and recorded.
    outsider = await signIn(app, org, { roles: ['agent'], teamIds: [await buildTeam(services, org)] });
    customer = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'ada@customer.example', name: 'Ada', teamId: team });
    const put = await app.inject({ method: 'PUT', url: '/api/insider/thresholds', headers: officer.headers, payload: { denied: { count: 3, windowMinutes: 30 }, unrelated: { minDistinct: 3 } } });
    expect(put.statusCode, put.body).toBe(200);
  });
  afterAll(async () => {
    await runner?.stop();
    await app?.close();
    await services?.close();
  });

  it('security officers manage, auditors read, everyone else is refused', async () => {
    for (const role of ROLES) {
      const headers = as[role]!.headers;
      const list = await app.inject({ url: '/api/insider/alerts', headers });
      const thresholds = await app.inject({ method: 'PUT', url: '/api/insider/thresholds', headers, payload: {} });
      const suppress = await app.inject({ method: 'POST', url: '/api/insider/suppressions', headers, payload: { rule: 'dormant', userId: as.supervisor!.userId, reason: 'back from a long leave', days: 1 } });
      const expected = role === 'security_officer' ? [200, 200, 201] : role === 'auditor' ? [200, 403, 403] : [403, 403, 403];
      expect([list.statusCode, thresholds.statusCode, suppress.statusCode], role).toEqual(expected);
    }
  });

  it('refuses malformed thresholds whole, as problem+json naming each field', async () => {
    const res = await app.inject({ method: 'PUT', url: '/api/insider/thresholds', headers: officer.headers, payload: { volume: { sigmas: 0 }, off_hours: { timeZone: 'Nowhere/Land' }, bogus: {} } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['bogus', 'off_hours.timeZone', 'volume.sigmas']);
    const now = (await app.inject({ url: '/api/insider/thresholds', headers: as.auditor!.headers })).json();
    expect(now.thresholds.volume.sigmas).toBe(4);
    expect(now.thresholds.denied.count).toBe(3);
    // More shapes of wrong, each with a good change beside it that must not be applied either.
    for (const [payload, field] of [
      [{ denied: { count: 5 }, volume: 'high' }, 'volume'],
      [{ denied: { count: 5 }, volume: { sigmas: '4' } }, 'volume.sigmas'],
      [{ denied: { count: 5 }, volume: { sigmas: 1e9 } }, 'volume.sigmas'],
      [{ denied: { count: 5 }, off_hours: { startHour: 20, endHour: 8 } }, 'off_hours.endHour'],
      [{ denied: { count: 2.5 } }, 'denied.count'],
    ] as const) {
      const bad = await app.inject({ method: 'PUT', url: '/api/insider/thresholds', headers: officer.headers, payload: payload as object });
      expect(bad.statusCode, JSON.stringify(payload)).toBe(400);
      expect(bad.headers['content-type']).toMatch(/problem\+json/);
      expect(bad.json().errors.map((e: { field: string }) => e.field), JSON.stringify(payload)).toContain(field);
    }
    const array = await app.inject({ method: 'PUT', url: '/api/insider/thresholds', headers: officer.headers, payload: [] as unknown as object });
    expect(array.statusCode).toBe(400);
    expect(array.headers['content-type']).toMatch(/problem\+json/);
    const still = (await app.inject({ url: '/api/insider/thresholds', headers: as.auditor!.headers })).json();
    expect(still.thresholds).toEqual(now.thresholds);
  });

  it('resumes after a restart from its cursor: nothing skipped, nothing raised twice', async () => {
    await runner.drain();
    await refuse(outsider, 2);
    expect(await runner.drain()).toBeGreaterThan(0);
    expect(await alerts('denied', outsider.userId)).toHaveLength(0);
    // A new evaluator (a restart, or another instance) carries on from the stored cursor and state.
    const restarted = new InsiderRunner({ db: services.database.db, audit: services.audit });
    await refuse(outsider, 1);
    await restarted.drain();
    const raised = await alerts('denied', outsider.userId);
    expect(raised).toHaveLength(1);
    expect(raised[0]!.explanation).toContain('was refused 3 times in 30 minutes');
    const refusals = await services.database.db.selectFrom('audit_log').where('action', '=', 'access.denied').where('actor_id', '=', outsider.userId).select(['id', 'idx']).orderBy('idx').execute();
    expect(raised[0]!.evidence).toEqual(refusals.map((r) => ({ id: r.id, idx: r.idx })));
    // The old evaluator's memory is stale: it reloads rather than raising again.
    await runner.drain();
    await restarted.drain();
    expect(await alerts('denied', outsider.userId)).toHaveLength(1);
    const cursor = await services.database.db.selectFrom('insider_cursor').select('last_idx').executeTakeFirstOrThrow();
    const top = await services.database.db.selectFrom('audit_log').select((eb) => eb.fn.max('idx').as('max')).executeTakeFirstOrThrow();
    expect(Number(cursor.last_idx)).toBeGreaterThanOrEqual(Number(top.max) - 1);
    expect(await services.database.db.selectFrom('audit_log').where('action', '=', 'insider.alert.raise').where('object_id', '=', raised[0]!.id).select('id').execute()).toHaveLength(1);
  });

  it('what an API token does counts for its owner: refusals through a token raise the owner\'s alert', async () => {
    await runner.drain();
    const owner = await buildUser(services, org, { roles: ['agent'], teamIds: [await buildTeam(services, org)] });
    const { id: tokenId, token } = await createApiToken({ db: services.database.db, audit: services.audit }, null, { ip: '127.0.0.1', userAgent: null, requestId: 'test' }, { ownerId: owner.userId, name: 'script', scopes: ['customers.read'], expiresInDays: 1, kind: 'personal' });
    for (let i = 0; i < 3; i++) expect((await app.inject({ url: `/api/customers/${customer.customerId}`, headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(404);
    await services.audit.flush();
    await runner.drain();
    const raised = await alerts('denied', owner.userId);
    expect(raised).toHaveLength(1);
    const refusals = await services.database.db.selectFrom('audit_log').where('action', '=', 'access.denied').where('actor_type', '=', 'token').where('actor_id', '=', tokenId).select(['id', 'idx']).orderBy('idx').execute();
    expect(refusals).toHaveLength(3);
    expect(raised[0]!.evidence).toEqual(refusals.map((r) => ({ id: r.id, idx: r.idx })));
  });

  it('a suppression with a reason quiets one rule for one person until it expires', async () => {
    const bad = await app.inject({ method: 'POST', url: '/api/insider/suppressions', headers: officer.headers, payload: { rule: 'denied', userId: outsider.userId, reason: 'x', days: 1 } });
    expect(bad.statusCode).toBe(400);
    const made = await app.inject({ method: 'POST', url: '/api/insider/suppressions', headers: officer.headers, payload: { rule: 'denied', userId: outsider.userId, reason: 'testing the access model this week', days: 2 } });
    expect(made.statusCode, made.body).toBe(201);
    await refuse(outsider, 4);
    await runner.drain();
    expect(await alerts('denied', outsider.userId)).toHaveLength(1);
    const list = (await app.inject({ url: '/api/insider/suppressions', headers: as.auditor!.headers })).json();
    expect(list.items.filter((i: { rule: string }) => i.rule === 'denied')).toMatchObject([{ rule: 'denied', userId: outsider.userId, reason: 'testing the access model this week' }]);
    expect((await app.inject({ method: 'DELETE', url: `/api/insider/suppressions/${made.json().id}`, headers: as.auditor!.headers })).statusCode).toBe(403);
    expect((await app.inject({ method: 'DELETE', url: `/api/insider/suppressions/${made.json().id}`, headers: officer.headers })).statusCode).toBe(200);
    const audited = await services.database.db.selectFrom('audit_log').where('action', 'in', ['insider.suppression.create', 'insider.suppression.remove']).select('action').execute();
    expect(audited.map((a) => a.action).sort()).toEqual(['insider.suppression.create', 'insider.suppression.create', 'insider.suppression.remove']);
  });

  it('acknowledge, then dismiss with a reason, each in the audit trail; another organisation finds nothing', async () => {
    const [alert] = await alerts('denied', outsider.userId);
    const url = `/api/insider/alerts/${alert!.id}`;
    const stranger = await signIn(app, otherOrg, { roles: ['security_officer'] });
    expect((await app.inject({ url, headers: stranger.headers })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: `${url}/acknowledge`, headers: stranger.headers, payload: {} })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: `${url}/acknowledge`, headers: as.auditor!.headers, payload: {} })).statusCode).toBe(403);
    const ack = await app.inject({ method: 'POST', url: `${url}/acknowledge`, headers: officer.headers, payload: { note: 'looking into it' } });
    expect(ack.json()).toMatchObject({ status: 'acknowledged', statusReason: 'looking into it', incidentId: null });
    expect((await app.inject({ method: 'POST', url: `${url}/dismiss`, headers: officer.headers, payload: {} })).statusCode).toBe(400);
    const dismissed = await app.inject({ method: 'POST', url: `${url}/dismiss`, headers: officer.headers, payload: { reason: 'the agent was testing a new team setup' } });
    expect(dismissed.json()).toMatchObject({ status: 'dismissed', statusReason: 'the agent was testing a new team setup' });
    expect((await app.inject({ method: 'POST', url: `${url}/acknowledge`, headers: officer.headers, payload: {} })).statusCode).toBe(409);
    const trail = await services.database.db.selectFrom('audit_log').where('object_id', '=', alert!.id).select('action').orderBy('seq').execute();
    expect(trail.map((t) => t.action)).toEqual(['insider.alert.raise', 'insider.alert.acknowledge', 'insider.alert.dismiss']);
    // The hook the incident feature uses: one step from an alert to its incident.
    const incident = '00000000-0000-4000-8000-0000000000aa';
    await linkAlertToIncident(services.database.db, org.orgId, alert!.id, incident);
    expect((await app.inject({ url, headers: as.auditor!.headers })).json().incidentId).toBe(incident);
    await expect(linkAlertToIncident(services.database.db, otherOrg.orgId, alert!.id, incident)).rejects.toThrow(/No such alert/);
  });

  it('a scheduled deactivation must be in the future and is audited', async () => {
    const url = `/api/insider/people/${as.agent!.userId}/deactivation`;
    expect((await app.inject({ method: 'PUT', url, headers: officer.headers, payload: { at: '2001-01-01T00:00:00Z' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'PUT', url, headers: as.administrator!.headers, payload: { at: null } })).statusCode).toBe(403);
    const at = new Date(Date.now() + 14 * 86_400_000).toISOString();
    expect((await app.inject({ method: 'PUT', url, headers: officer.headers, payload: { at } })).json()).toEqual({ userId: as.agent!.userId, at });
    expect((await app.inject({ method: 'PUT', url: `/api/insider/people/${as.agent!.userId}/deactivation`, headers: (await signIn(app, otherOrg, { roles: ['security_officer'] })).headers, payload: { at } })).statusCode).toBe(404);
  });

  it('reveals through the real routes raise an alert within the evaluation loop', async () => {
    await runner.drain();
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    const customers = [];
    for (let i = 0; i < 3; i++) customers.push(await buildCustomerWithTicket(services, { orgId: org.orgId, email: `c${i}@customer.example`, name: `C ${i}`, teamId: team }));
    for (const c of customers) {
      const res = await app.inject({ method: 'POST', url: `/api/customers/${c.customerId}/reveal`, headers: agent.headers, payload: { field: 'email', reason: 'checking the address' } });
      expect(res.statusCode, res.body).toBe(200);
    }
    runner.start(100);
    try {
      // Within 5 s of the entries being sequenced.
      await services.audit.flush();
      const started = Date.now();
      let found: Awaited<ReturnType<typeof alerts>> = [];
      while (Date.now() - started < 5000 && found.length === 0) {
        await new Promise((r) => setTimeout(r, 50));
        found = await alerts('unrelated', agent.userId);
      }
      expect(found).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(found[0]!.explanation).toMatch(/^Test User read 3 customers in 60 minutes/);
      const reveals = await services.database.db.selectFrom('audit_log').where('action', '=', 'customer.field.reveal').where('actor_id', '=', agent.userId).select(['id', 'idx']).orderBy('idx').execute();
      expect(found[0]!.evidence).toEqual(reveals.map((r) => ({ id: r.id, idx: r.idx })));
      const listed = (await app.inject({ url: '/api/insider/alerts?rule=unrelated', headers: as.auditor!.headers })).json();
      expect(listed.items[0]).toMatchObject({ userId: agent.userId, rule: 'unrelated', status: 'open', ruleTitle: expect.stringContaining('unrelated') });
    } finally {
      await runner.stop();
    }
  });
});
