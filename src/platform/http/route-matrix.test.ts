/**
 * The access matrix over every route: anonymous callers, password-only
 * sessions, each built-in role, another team and another organisation get
 * exactly the answers they should. New routes are covered by the first three
 * tests automatically: nothing is reachable without a session unless it says
 * it is public, and no write is open to a read-only caller unless listed here.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../app/services.js';
import { createTestServices, testSchemaCache } from '../app/testing.js';
import { buildOrg, buildTeam, buildUser, signIn, signInAs, type RoleKey, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { READ_ONLY_PERMISSIONS } from '../../identity/auth/permissions.js';
import { createApiToken } from '../../identity/auth/tokens.service.js';
import { createScimToken } from '../../identity/scim/admin.service.js';
import { buildApp } from './app.js';
import { appRoutes } from './routes.js';

const ZERO = '00000000-0000-4000-8000-000000000000';
const ROLES: RoleKey[] = ['agent', 'supervisor', 'administrator', 'security_officer', 'auditor'];

/** A test that calls every route: hundreds of requests, each audited; a loaded CI machine takes minutes. */
const SWEEP_TIMEOUT = 180_000;

describe('route access matrix', () => {
  let services: Services;
  let app: FastifyInstance;
  const routes: RouteOptions[] = [];
  let org: TestOrg;
  let otherOrg: TestOrg;
  const as: Partial<Record<RoleKey, SignedIn>> = {};

  beforeAll(async () => {
    services = await createTestServices('pglite');
    app = await buildApp({
      services,
      schemaCache: testSchemaCache,
      routes: [
        async (scope) => {
          scope.addHook('onRoute', (route) => {
            routes.push(route);
          });
          for (const plugin of appRoutes) await scope.register(plugin);
        },
      ],
    });
    await app.ready();
    org = await buildOrg(services);
    otherOrg = await buildOrg(services);
    for (const role of ROLES) as[role] = await signIn(app, org, { roles: [role] });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  const concrete = (url: string) => url.replace(/:[a-zA-Z]+/g, ZERO);
  const methods = (r: RouteOptions) => (Array.isArray(r.method) ? r.method : [r.method]).filter((m) => m !== 'HEAD');

  it('answers 401 to anonymous callers on every route not declared public', async () => {
    const checked: string[] = [];
    for (const route of routes) {
      if ((route.config as { public?: boolean } | undefined)?.public) continue;
      for (const method of methods(route)) {
        const res = await app.inject({ method: method as 'GET', url: concrete(route.url), payload: method === 'GET' || method === 'DELETE' ? undefined : {} });
        expect(res.statusCode, `${method} ${route.url}`).toBe(401);
        checked.push(`${method} ${route.url}`);
      }
    }
    expect(checked.length).toBeGreaterThan(15);
  }, SWEEP_TIMEOUT);

  it('answers mfa_required to a password-only session everywhere but sign-in, enrolment and sign-out', async () => {
    const pwOnly = await signIn(app, org, { roles: ['administrator'], mfa: false });
    for (const route of routes) {
      const config = route.config as { public?: boolean; allowWithoutMfa?: boolean } | undefined;
      if (config?.public || config?.allowWithoutMfa) continue;
      for (const method of methods(route)) {
        const res = await app.inject({ method: method as 'GET', url: concrete(route.url), headers: pwOnly.headers, payload: method === 'GET' || method === 'DELETE' ? undefined : {} });
        expect(res.json().code, `${method} ${route.url}`).toBe('mfa_required');
      }
    }
  }, SWEEP_TIMEOUT);

  it('declares in /api/openapi.json which operations are public (security: []) and what the others need', async () => {
    const doc = (await app.inject('/api/openapi.json')).json() as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    const op = (method: string, url: string) => doc.paths[url.replace(/:([a-zA-Z]+)/g, '{$1}')]?.[method.toLowerCase()];
    for (const [method, url] of [['POST', '/api/auth/signin'], ['POST', '/api/setup'], ['GET', '/api/setup'], ['POST', '/api/portal/signin'], ['POST', '/api/portal/requests'], ['GET', '/api/portal/request-form'], ['GET', '/api/portal/kb/search'], ['POST', '/api/auth/password-reset'], ['GET', '/healthz']] as const) {
      expect(op(method, url)?.security, `${method} ${url}`).toEqual([]);
    }
    expect(op('POST', '/api/teams')?.security).toEqual([{ bearer: [] }, { session: [] }]);
    expect(op('POST', '/api/portal/tickets/:id/replies')?.security).toEqual([{ portalSession: [] }]);
    // The console's live socket takes the session cookie only, never a token.
    expect(op('GET', '/api/realtime')?.security).toEqual([{ session: [] }]);
    // Every documented route says so, from the same config the gate reads.
    let documented = 0;
    for (const route of routes) {
      const config = (route.config ?? {}) as { public?: boolean; portalSession?: boolean; sessionOnly?: boolean };
      for (const method of methods(route)) {
        const o = op(method, route.url);
        if (!o) continue;
        documented++;
        const expected = config.portalSession ? [{ portalSession: [] }] : config.public ? [] : config.sessionOnly ? [{ session: [] }] : [{ bearer: [] }, { session: [] }];
        expect(o.security, `${method} ${route.url}`).toEqual(expected);
      }
    }
    expect(documented).toBeGreaterThan(100);
  });

  it('answers an anonymous call to a protected operation with 401 before validating its body', async () => {
    for (const [url, payload] of [['/api/teams', { name: 42, unexpected: true }], [`/api/portal/tickets/${ZERO}/replies`, { body: 42 }], [`/api/portal/verifications/${ZERO}`, 'not json at all']] as const) {
      const res = await app.inject({ method: 'POST', url, payload: payload as object, headers: { 'content-type': 'application/json' } });
      expect(res.statusCode, `${url} ${res.body}`).toBe(401);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
  });

  // Writes a caller holding only read permissions may make, and why. Every other non-GET route must refuse them.
  const READ_ONLY_MAY: Record<string, { who: 'sessions' | 'all'; why: string }> = {
    'POST /api/audit/verify': { who: 'all', why: 'recomputes the trail and changes nothing (audited)' },
    'POST /api/auth/signout': { who: 'sessions', why: 'ends the caller’s own session' },
    'POST /api/auth/password': { who: 'sessions', why: 'the caller’s own password' },
    'DELETE /api/auth/sessions/:id': { who: 'sessions', why: 'the caller’s own sessions' },
    'POST /api/auth/step-up': { who: 'sessions', why: 'proves the caller’s own factor' },
    'POST /api/auth/mfa/verify': { who: 'sessions', why: 'proves the caller’s own factor' },
    'POST /api/auth/mfa/webauthn/authenticate/options': { who: 'sessions', why: 'proves the caller’s own factor' },
    'POST /api/auth/mfa/codes/send': { who: 'sessions', why: 'a code to the caller’s own address' },
    'POST /api/auth/mfa/totp/enrol': { who: 'sessions', why: 'the caller’s own factors' },
    'POST /api/auth/mfa/totp/confirm': { who: 'sessions', why: 'the caller’s own factors' },
    'POST /api/auth/mfa/webauthn/register/options': { who: 'sessions', why: 'the caller’s own factors' },
    'POST /api/auth/mfa/webauthn/register/verify': { who: 'sessions', why: 'the caller’s own factors' },
    'POST /api/auth/mfa/codes/enrol': { who: 'sessions', why: 'the caller’s own factors' },
    'POST /api/auth/mfa/codes/confirm': { who: 'sessions', why: 'the caller’s own factors' },
    'PATCH /api/auth/mfa/webauthn/credentials/:id': { who: 'sessions', why: 'the caller’s own factors' },
    'DELETE /api/auth/mfa/webauthn/credentials/:id': { who: 'sessions', why: 'the caller’s own factors' },
    'DELETE /api/auth/mfa/totp': { who: 'sessions', why: 'the caller’s own factors' },
    'DELETE /api/auth/mfa/codes/:channel': { who: 'sessions', why: 'the caller’s own factors' },
    'POST /api/auth/mfa/recovery-codes': { who: 'sessions', why: 'the caller’s own recovery codes' },
    'POST /api/notifications/:id/read': { who: 'sessions', why: 'the caller’s own notifications' },
    'POST /api/notifications/read-all': { who: 'sessions', why: 'the caller’s own notifications' },
    'PUT /api/notifications/preferences': { who: 'sessions', why: 'the caller’s own notification preferences' },
    'PUT /api/account/language': { who: 'sessions', why: 'the caller’s own language for simulations' },
    'POST /api/devices/challenge': { who: 'sessions', why: 'proves the caller’s own browser is a registered device' },
    'POST /api/devices/register': { who: 'sessions', why: 'registers the caller’s own browser' },
    'POST /api/devices/assert': { who: 'sessions', why: 'proves the caller’s own browser is a registered device' },
    'DELETE /api/devices/:id': { who: 'sessions', why: 'the caller’s own devices' },
    'POST /api/training/assignments/:id/attempts': { who: 'sessions', why: 'the caller’s own quiz answers' },
    'POST /api/policies/attestations': { who: 'sessions', why: 'the caller’s own confirmation that they read the data-handling policy' },
  };

  it('refuses every write to a read-only token and to the auditor, before reading the body', async () => {
    const owner = await buildUser(services, org, { roles: ['administrator', 'security_officer'] });
    const { token } = await createApiToken({ db: services.database.db, audit: services.audit }, null, { ip: '127.0.0.1', userAgent: null, requestId: 'test' }, { ownerId: owner.userId, name: 'read-only', scopes: [...READ_ONLY_PERMISSIONS], expiresInDays: 1, kind: 'personal' });
    const callers = [
      { name: 'read-only token', kind: 'all' as const, headers: () => ({ authorization: `Bearer ${token}` }) },
      { name: 'auditor', kind: 'sessions' as const, headers: () => as.auditor!.headers },
    ];
    const checked: string[] = [];
    for (const route of routes) {
      if ((route.config as { public?: boolean } | undefined)?.public) continue;
      for (const method of methods(route).filter((m) => m !== 'GET' && m !== 'OPTIONS')) {
        const key = `${method} ${route.url}`;
        const safe = READ_ONLY_MAY[key];
        for (const caller of callers) {
          // A listed route is tried only on callers it is not listed for (the auditor's sign-out would end the session used here).
          if (safe && (safe.who === 'all' || safe.who === caller.kind)) continue;
          const res = await app.inject({ method: method as 'POST', url: concrete(route.url), headers: caller.headers(), payload: method === 'DELETE' ? undefined : {} });
          expect(res.statusCode, `${caller.name}: ${key} ${res.body.slice(0, 200)}`).toBe(403);
          checked.push(`${caller.name} ${key}`);
        }
      }
    }
    expect(checked.length).toBeGreaterThan(100);
    // The listing names only routes that exist, so a renamed route cannot leave a stale exception behind.
    const known = new Set(routes.flatMap((r) => methods(r).map((m) => `${m} ${r.url}`)));
    for (const key of Object.keys(READ_ONLY_MAY)) expect(known.has(key), key).toBe(true);
  }, SWEEP_TIMEOUT);

  it('refuses every write to the caller’s own sign-in with a token, whatever its scopes', async () => {
    const owner = await buildUser(services, org, { roles: ['administrator', 'security_officer'] });
    const { token } = await createApiToken({ db: services.database.db, audit: services.audit }, null, { ip: '127.0.0.1', userAgent: null, requestId: 'test' }, { ownerId: owner.userId, name: 'everything', scopes: ['users.manage', 'tickets.write', 'policies.manage'], expiresInDays: 1, kind: 'personal' });
    const own = routes.filter((r) => (r.config as { ownAccount?: boolean } | undefined)?.ownAccount === true);
    const checked: string[] = [];
    for (const route of own) {
      for (const method of methods(route).filter((m) => m !== 'GET' && m !== 'OPTIONS' && m !== 'HEAD')) {
        const res = await app.inject({ method: method as 'POST', url: concrete(route.url), headers: { authorization: `Bearer ${token}` }, payload: method === 'DELETE' ? undefined : { current: 'whatever-it-is', next: 'a-new-long-passphrase-1' } });
        expect(res.statusCode, `${method} ${route.url} ${res.body.slice(0, 200)}`).toBe(403);
        checked.push(`${method} ${route.url}`);
      }
    }
    expect(checked).toContain('POST /api/auth/password');
    expect(checked.length).toBeGreaterThan(10);
  });

  it('reporting phishing needs tickets.write, not only tickets.read (it quarantines and proposes a block)', async () => {
    const owner = await buildUser(services, org, { roles: ['administrator'] });
    const { token } = await createApiToken({ db: services.database.db, audit: services.audit }, null, { ip: '127.0.0.1', userAgent: null, requestId: 'test' }, { ownerId: owner.userId, name: 'read and macros', scopes: ['tickets.read', 'macros.manage'], expiresInDays: 1, kind: 'personal' });
    const res = await app.inject({ method: 'POST', url: `/api/tickets/${ZERO}/messages/${ZERO}/report-phishing`, headers: { authorization: `Bearer ${token}` }, payload: {} });
    expect(res.statusCode, res.body).toBe(403);
  });

  const cases: Array<{ name: string; method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: () => string; body?: () => unknown; allow: RoleKey[] }> = [
    { name: 'list staff', method: 'GET', url: () => '/api/users', allow: ['supervisor', 'administrator', 'security_officer', 'auditor'] },
    { name: 'audit entries', method: 'GET', url: () => '/api/audit/entries', allow: ['security_officer', 'auditor'] },
    { name: 'audit checkpoint', method: 'GET', url: () => '/api/audit/checkpoint', allow: ['security_officer', 'auditor'] },
    { name: 'verify the audit trail', method: 'POST', url: () => '/api/audit/verify', allow: ['security_officer', 'auditor'] },
    { name: 'list roles', method: 'GET', url: () => '/api/roles', allow: ['supervisor', 'administrator', 'security_officer', 'auditor'] },
    { name: 'list teams', method: 'GET', url: () => '/api/teams', allow: ['supervisor', 'administrator', 'security_officer', 'auditor'] },
    { name: 'invite', method: 'POST', url: () => '/api/users/invitations', body: () => ({ email: `new-${randomUUID().slice(0, 8)}@x.example`, name: 'New', roleIds: [], teamIds: [] }), allow: ['administrator'] },
    { name: 'create team', method: 'POST', url: () => '/api/teams', body: () => ({ name: `T ${randomUUID()}` }), allow: ['administrator'] },
    { name: 'create role', method: 'POST', url: () => '/api/roles', body: () => ({ key: `r_${randomUUID().slice(0, 8).replace(/-/g, '')}`, name: 'R', grants: [{ permission: 'tickets.read', scope: 'team' }] }), allow: ['administrator'] },
    { name: 'allowlist', method: 'PUT', url: () => '/api/organization/allowlist', body: () => ({ allowedCidrs: [] }), allow: ['administrator'] },
    { name: 'list access reviews', method: 'GET', url: () => '/api/access-reviews', allow: ['supervisor', 'security_officer'] },
    { name: 'start an org-wide access review', method: 'POST', url: () => '/api/access-reviews', body: () => ({ name: 'Quarterly', deadline: new Date(Date.now() + 7 * 86_400_000).toISOString() }), allow: ['security_officer'] },
    { name: 'list mailboxes', method: 'GET', url: () => '/api/mailboxes', allow: ['agent', 'supervisor', 'administrator', 'security_officer'] },
    { name: 'add a mailbox', method: 'POST', url: () => '/api/mailboxes', body: () => ({ address: `in-${randomUUID().slice(0, 8)}@x.example`, name: 'In' }), allow: ['administrator'] },
    { name: 'list knowledge-base articles', method: 'GET', url: () => '/api/kb/articles', allow: ['agent', 'supervisor', 'administrator', 'security_officer'] },
    { name: 'write a knowledge-base article', method: 'POST', url: () => '/api/kb/articles', body: () => ({ title: `Article ${randomUUID().slice(0, 8)}`, body: '<p>Text</p>' }), allow: ['supervisor', 'administrator'] },
    { name: 'my training', method: 'GET', url: () => '/api/training/me', allow: ROLES },
    { name: 'training progress', method: 'GET', url: () => '/api/training/progress', allow: ['supervisor', 'administrator', 'security_officer', 'auditor'] },
    { name: 'training modules', method: 'GET', url: () => '/api/training/modules', allow: ['administrator', 'security_officer'] },
    { name: 'add a training rule', method: 'POST', url: () => '/api/training/rules', body: () => ({ moduleKey: 'reporting-incidents', roleKey: null, teamId: null, dueDays: 30, everyMonths: 12 }), allow: ['administrator', 'security_officer'] },
    { name: 'data-handling policies (drafts, history)', method: 'GET', url: () => '/api/policies', allow: ['administrator'] },
    { name: 'the data-handling policy in force for me', method: 'GET', url: () => '/api/policies/me', allow: ROLES },
    { name: 'who has not attested the data-handling policy', method: 'GET', url: () => '/api/policies/attestations/outstanding', allow: ['supervisor', 'administrator', 'security_officer', 'auditor'] },
    { name: 'my awareness score', method: 'GET', url: () => '/api/awareness/me', allow: ROLES },
    { name: 'awareness dashboard (team leads: their teams; security officers: everyone)', method: 'GET', url: () => '/api/awareness/dashboard', allow: ['supervisor', 'security_officer'] },
    { name: 'awareness CSV export', method: 'GET', url: () => '/api/awareness/export?table=campaigns', allow: ['supervisor', 'security_officer'] },
    { name: 'insider-threat alerts', method: 'GET', url: () => '/api/insider/alerts', allow: ['security_officer', 'auditor'] },
    { name: 'insider-threat thresholds', method: 'GET', url: () => '/api/insider/thresholds', allow: ['security_officer', 'auditor'] },
    { name: 'change insider-threat thresholds', method: 'PUT', url: () => '/api/insider/thresholds', body: () => ({ denied: { count: 6 } }), allow: ['security_officer'] },
    { name: 'data-subject requests', method: 'GET', url: () => '/api/privacy/requests', allow: ['administrator', 'security_officer', 'auditor'] },
    { name: 'privacy settings', method: 'PUT', url: () => '/api/privacy/settings', body: () => ({ secondApprover: false }), allow: ['administrator'] },
    { name: 'retention dry run', method: 'GET', url: () => '/api/privacy/retention/dry-run', allow: ['administrator', 'security_officer', 'auditor'] },
    { name: 'retention policy', method: 'PUT', url: () => '/api/privacy/retention/policy', body: () => ({ tickets: { months: null, channels: [], tags: [], teamIds: [] }, quarantineDays: null, exportDays: null, inactiveCustomerMonths: null }), allow: ['administrator'] },
    { name: 'legal holds', method: 'GET', url: () => '/api/privacy/holds', allow: ['administrator', 'security_officer', 'auditor'] },
    { name: 'my sessions', method: 'GET', url: () => '/api/auth/sessions', allow: ROLES },
    { name: 'my tokens', method: 'GET', url: () => '/api/tokens', allow: ROLES },
    { name: 'my devices', method: 'GET', url: () => '/api/devices', allow: ROLES },
    { name: 'data egress policy', method: 'GET', url: () => '/api/devices/policy', allow: ['administrator'] },
    { name: 'the organisation’s limits and usage', method: 'GET', url: () => '/api/organization/limits', allow: ['supervisor', 'administrator', 'security_officer', 'auditor'] },
  ];

  for (const c of cases) {
    it(`${c.method} ${c.name}: allowed for ${c.allow.join(', ')} only`, async () => {
      for (const role of ROLES) {
        const res = await app.inject({ method: c.method, url: c.url(), headers: as[role]!.headers, payload: c.body?.() as object | undefined });
        const allowed = res.statusCode < 400;
        expect(allowed, `${role}: ${res.statusCode} ${res.body.slice(0, 200)}`).toBe(c.allow.includes(role));
        if (!allowed) expect(res.statusCode).toBe(403);
      }
    });
  }

  it('an administrator of another organisation cannot touch this one (not found, never forbidden)', async () => {
    const target = await buildUser(services, org, { roles: ['agent'] });
    const intruder = await signIn(app, otherOrg, { roles: ['administrator'] });
    for (const [method, url, payload] of [
      ['POST', `/api/users/${target.userId}/deactivate`, {}],
      ['PUT', `/api/users/${target.userId}/teams`, { teamIds: [] }],
      ['DELETE', `/api/users/${target.userId}/sessions`, undefined],
    ] as const) {
      const res = await app.inject({ method, url, headers: intruder.headers, payload });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    const list = await app.inject({ url: '/api/users', headers: intruder.headers });
    expect(JSON.stringify(list.json())).not.toContain(target.email);
  });

  it('deactivation ends every session and token of the person at once', async () => {
    const victim = await buildUser(services, org, { roles: ['supervisor'] });
    const session = await signInAs(app, victim);
    const { token } = await createApiToken(services.database ? { db: services.database.db, audit: services.audit } : (undefined as never), null, { ip: '127.0.0.1', userAgent: null, requestId: 'test' }, { ownerId: victim.userId, name: 't', scopes: ['users.read'], expiresInDays: 1, kind: 'personal' });
    expect((await app.inject({ url: '/api/users', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    const res = await app.inject({ method: 'POST', url: `/api/users/${victim.userId}/deactivate`, headers: as.administrator!.headers });
    expect(res.statusCode).toBe(200);
    expect((await app.inject({ url: '/api/auth/me', headers: session.headers })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/users', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
  });

  it('enforces token scopes, expiry, revocation and malformed tokens', async () => {
    const owner = await buildUser(services, org, { roles: ['administrator'] });
    const deps = { db: services.database.db, audit: services.audit };
    const client = { ip: '127.0.0.1', userAgent: null, requestId: 'test' };
    const { token, id } = await createApiToken(deps, null, client, { ownerId: owner.userId, name: 'read-only', scopes: ['users.read'], expiresInDays: 30, kind: 'personal' });
    const bearer = { authorization: `Bearer ${token}` };
    expect((await app.inject({ url: '/api/users', headers: bearer })).statusCode).toBe(200);
    const write = await app.inject({ method: 'POST', url: '/api/teams', headers: bearer, payload: { name: 'Nope' } });
    expect(write.statusCode).toBe(403);
    // A token cannot mint tokens, nor pass step-up.
    expect((await app.inject({ method: 'POST', url: '/api/tokens', headers: bearer, payload: { name: 'x', scopes: ['users.read'], expiresInDays: 1 } })).statusCode).toBe(403);
    // Scopes beyond the owner's permissions are refused at creation.
    const agent = await buildUser(services, org, { roles: ['agent'] });
    await expect(createApiToken(deps, null, client, { ownerId: agent.userId, name: 'x', scopes: ['users.manage'], expiresInDays: 1, kind: 'personal' })).rejects.toThrow(/does not hold/);
    // Last use is recorded, and use is audited.
    const row = await services.database.db.selectFrom('api_tokens').where('id', '=', id).select(['last_used_at', 'last_used_ip']).executeTakeFirstOrThrow();
    expect(row.last_used_at).not.toBeNull();
    await services.audit.flush();
    const uses = await services.database.db.selectFrom('audit_log').where('action', '=', 'token.use').where('actor_id', '=', id).select('result').execute();
    expect(uses.length).toBeGreaterThan(0);
    // Revoked, expired and malformed tokens all get the same 401.
    await services.database.db.updateTable('api_tokens').set({ revoked_at: new Date() }).where('id', '=', id).execute();
    for (const header of [`Bearer ${token}`, 'Bearer tdt_nope', `Bearer ${token}x`, 'Basic abc', `Bearer ${'tdt_'.padEnd(48, 'A')}`]) {
      const res = await app.inject({ url: '/api/users', headers: { authorization: header } });
      expect(res.statusCode, header).toBe(401);
    }
    const expired = await createApiToken(deps, null, client, { ownerId: owner.userId, name: 'old', scopes: ['users.read'], expiresInDays: 1, kind: 'personal' });
    await services.database.db.updateTable('api_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', expired.id).execute();
    expect((await app.inject({ url: '/api/users', headers: { authorization: `Bearer ${expired.token}` } })).statusCode).toBe(401);
  });

  it('refuses to let someone grant a role holding permissions they lack, and role changes end the person’s sessions', async () => {
    const team = await buildTeam(services, org);
    const lead = await signIn(app, org, { roles: ['supervisor'], teamIds: [team] });
    const target = await buildUser(services, org, { roles: ['agent'] });
    const targetSession = await signInAs(app, target);
    // Supervisors hold no users.manage: refused outright.
    const denied = await app.inject({ method: 'PUT', url: `/api/users/${target.userId}/roles`, headers: lead.headers, payload: { roleIds: [org.roleIds.administrator] } });
    expect(denied.statusCode).toBe(403);
    // An administrator may, with a fresh factor; the target must sign in again.
    const ok = await app.inject({ method: 'PUT', url: `/api/users/${target.userId}/roles`, headers: as.administrator!.headers, payload: { roleIds: [org.roleIds.supervisor] } });
    expect(ok.statusCode).toBe(200);
    expect((await app.inject({ url: '/api/auth/me', headers: targetSession.headers })).statusCode).toBe(401);
    // Without a fresh factor the same change needs step-up.
    const stale = await signIn(app, org, { roles: ['administrator'], stepUp: false });
    const needStepUp = await app.inject({ method: 'PUT', url: `/api/users/${target.userId}/roles`, headers: stale.headers, payload: { roleIds: [org.roleIds.agent] } });
    expect(needStepUp.json().code).toBe('step_up_required');
  });

  it('refuses sign-in from outside an organisation’s address allowlist', async () => {
    const res = await app.inject({ method: 'PUT', url: '/api/organization/allowlist', headers: as.administrator!.headers, payload: { allowedCidrs: ['203.0.113.0/24'] } });
    expect(res.statusCode).toBe(200);
    const outside = await app.inject({ url: '/api/auth/me', headers: as.agent!.headers, remoteAddress: '198.51.100.9' });
    expect(outside.statusCode).toBe(403);
    const inside = await app.inject({ url: '/api/auth/me', headers: as.agent!.headers, remoteAddress: '203.0.113.20' });
    expect(inside.statusCode).toBe(200);
    const bad = await app.inject({ method: 'PUT', url: '/api/organization/allowlist', headers: { ...as.administrator!.headers }, remoteAddress: '203.0.113.20', payload: { allowedCidrs: ['not-an-ip'] } });
    expect(bad.statusCode).toBe(400);
    await app.inject({ method: 'PUT', url: '/api/organization/allowlist', headers: as.administrator!.headers, remoteAddress: '203.0.113.20', payload: { allowedCidrs: [] } });
  });

  it('data-subject requests: agents may record one (after verifying), privacy managers verify and approve, others are refused', async () => {
    for (const role of ROLES) {
      const headers = as[role]!.headers;
      const create = await app.inject({ method: 'POST', url: '/api/privacy/requests', headers, payload: { customerId: ZERO, kind: 'erasure' } });
      const approve = await app.inject({ method: 'POST', url: `/api/privacy/requests/${ZERO}/approve`, headers });
      // Allowed past the permission check: no such customer (404), or an agent without a verification (400).
      const expected = { agent: [400, 403], supervisor: [400, 403], administrator: [404, 404], security_officer: [404, 404], auditor: [403, 403] }[role];
      expect([create.statusCode, approve.statusCode], role).toEqual(expected);
      // The customer's own requests need a portal session: a staff session is not one.
      const portal = await app.inject({ method: 'POST', url: '/api/portal/privacy-requests', headers, payload: { kind: 'access' } });
      expect(portal.statusCode, role).toBe(401);
    }
  });

  it('phishing simulations: only security officers create campaigns or read results by default (decision 0192)', async () => {
    const campaign = { name: 'x', templateId: 'shared-document', mailboxId: ZERO, senderDomain: 'share.example', banner: 'none', windowMinutes: 0, durationDays: 1, targets: { roles: ['agent'] } };
    for (const role of ROLES) {
      const headers = as[role]!.headers;
      const create = await app.inject({ method: 'POST', url: '/api/simulations/campaigns', headers, payload: campaign });
      const results = await app.inject({ url: `/api/simulations/campaigns/${ZERO}`, headers });
      const list = await app.inject({ url: '/api/simulations/campaigns', headers });
      const templates = await app.inject({ url: '/api/simulations/custom-templates', headers });
      const template = await app.inject({ method: 'PUT', url: `/api/simulations/custom-templates/${ZERO}`, headers, payload: { name: 'x', scenario: '', difficulty: 1, trainingTopic: 'phishing-in-the-queue', defaultLanguage: 'en', versions: [{ language: 'en', fromName: 'x', fromLocalPart: 'x', subject: 'x', body: '{{link}} a b', redFlags: [{ in: 'body', quote: 'a', explanation: 'x' }, { in: 'body', quote: 'b', explanation: 'x' }] }] } });
      const settings = await app.inject({ url: '/api/simulations/settings', headers });
      const saveSettings = await app.inject({ method: 'PUT', url: '/api/simulations/settings', headers, payload: { scannerRanges: ['bad'], banner: 'none', language: 'en' } });
      const allowed = role === 'security_officer';
      // Allowed: past the permission check (no such mailbox, no such campaign or template, a malformed range). Everyone else: refused.
      expect([create.statusCode, results.statusCode, list.statusCode, templates.statusCode, template.statusCode, settings.statusCode, saveSettings.statusCode], role)
        .toEqual(allowed ? [400, 404, 200, 200, 404, 200, 400] : [403, 403, 403, 403, 403, 403, 403]);
    }
  });

  it('security incidents: security officers manage, auditors read, everyone else is refused (decision 0195)', async () => {
    for (const role of ROLES) {
      const headers = as[role]!.headers;
      const list = await app.inject({ url: '/api/incidents', headers });
      const read = await app.inject({ url: `/api/incidents/${ZERO}`, headers });
      const create = await app.inject({ method: 'POST', url: '/api/incidents', headers, payload: { type: 'other', title: 'matrix probe' } });
      const note = await app.inject({ method: 'POST', url: `/api/incidents/${ZERO}/notes`, headers, payload: { text: 'x' } });
      const expected = role === 'security_officer' ? [200, 404, 201, 404] : role === 'auditor' ? [200, 404, 403, 403] : [403, 403, 403, 403];
      expect([list.statusCode, read.statusCode, create.statusCode, note.statusCode], role).toEqual(expected);
    }
  });

  it('single sign-on connection: only holders of policies.manage (administrators) read or change it (decision 0204)', async () => {
    for (const role of ROLES) {
      const headers = as[role]!.headers;
      const read = await app.inject({ url: '/api/sso/connection', headers });
      const save = await app.inject({ method: 'PUT', url: '/api/sso/connection', headers, payload: { enabled: true, displayName: 'x', issuer: 'http://not-allowed.example', clientId: 'x', emailDomains: ['matrix.example'], trustProviderMfa: false } });
      const remove = await app.inject({ method: 'DELETE', url: '/api/sso/connection', headers });
      // Allowed: past the permission check (an http issuer refused, nothing to remove). Everyone else: refused.
      const expected = role === 'administrator' ? [200, 400, 404] : [403, 403, 403];
      expect([read.statusCode, save.statusCode, remove.statusCode], role).toEqual(expected);
    }
  });

  it('SCIM (decision 0208): /scim/v2 answers only a SCIM token — never a session of any role, an API token or no one — and a SCIM token opens no /api route', async () => {
    const scimRoutes = routes.filter((r) => r.url.startsWith('/scim/v2'));
    expect(scimRoutes.map((r) => r.url)).toEqual(expect.arrayContaining(['/scim/v2/Users', '/scim/v2/Users/:id', '/scim/v2/Groups', '/scim/v2/Groups/:id', '/scim/v2/ServiceProviderConfig', '/scim/v2/ResourceTypes', '/scim/v2/Schemas']));
    const owner = await buildUser(services, org, { roles: ['administrator'] });
    const { token: apiToken } = await createApiToken({ db: services.database.db, audit: services.audit }, null, { ip: '127.0.0.1', userAgent: null, requestId: 'test' }, { ownerId: owner.userId, name: 'everything', scopes: ['users.read', 'users.manage', 'tokens.manage'], expiresInDays: 1, kind: 'personal' });
    const { token: scimToken } = await createScimToken({ db: services.database.db, audit: services.audit }, { orgId: org.orgId, userId: null, requestId: 'test', ip: null }, { name: 'matrix', expiresInDays: 1 });
    const { token: otherScim } = await createScimToken({ db: services.database.db, audit: services.audit }, { orgId: otherOrg.orgId, userId: null, requestId: 'test', ip: null }, { name: 'matrix', expiresInDays: 1 });
    const callers: Array<[string, Record<string, string>]> = [['anonymous', {}], ['API token', { authorization: `Bearer ${apiToken}` }], ...ROLES.map((role): [string, Record<string, string>] => [role, as[role]!.headers])];
    let checked = 0;
    for (const route of scimRoutes) {
      for (const method of methods(route)) {
        const url = concrete(route.url).replace('*', 'Anything');
        for (const [name, headers] of callers) {
          const res = await app.inject({ method: method as 'GET', url, headers: { ...headers, 'content-type': 'application/scim+json' }, payload: method === 'GET' || method === 'DELETE' ? undefined : '{}' });
          expect(res.statusCode, `${name}: ${method} ${route.url}`).toBe(401);
          checked++;
        }
        // With a SCIM token: never 401; an id of nothing (or of another organisation) is not found.
        const own = await app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' }, payload: method === 'GET' || method === 'DELETE' ? undefined : '{}' });
        expect(own.statusCode, `SCIM token: ${method} ${route.url}`).not.toBe(401);
      }
    }
    expect(checked).toBeGreaterThan(100);
    const intruder = await app.inject({ url: `/scim/v2/Users/${owner.userId}`, headers: { authorization: `Bearer ${otherScim}` } });
    expect(intruder.statusCode).toBe(404);
    let api = 0;
    for (const route of routes) {
      if ((route.config as { public?: boolean } | undefined)?.public || !route.url.startsWith('/api/')) continue;
      for (const method of methods(route)) {
        const res = await app.inject({ method: method as 'GET', url: concrete(route.url), headers: { authorization: `Bearer ${scimToken}` }, payload: method === 'GET' || method === 'DELETE' ? undefined : {} });
        expect(res.statusCode, `SCIM token: ${method} ${route.url}`).toBe(401);
        api++;
      }
    }
    expect(api).toBeGreaterThan(100);
  });

  it('SCIM administration: administrators issue and revoke SCIM tokens and map teams to roles; the rest are refused (decision 0208)', async () => {
    for (const role of ROLES) {
      const headers = as[role]!.headers;
      const list = await app.inject({ url: '/api/scim/tokens', headers });
      const create = await app.inject({ method: 'POST', url: '/api/scim/tokens', headers, payload: { name: 'matrix', expiresInDays: 1 } });
      const revoke = await app.inject({ method: 'DELETE', url: `/api/scim/tokens/${ZERO}`, headers });
      const mappings = await app.inject({ method: 'PUT', url: '/api/scim/role-mappings', headers, payload: { mappings: [{ teamId: ZERO, roleKey: 'agent' }] } });
      // Allowed: past the permission check (a token issued, no such token, an unknown team refused).
      const expected = role === 'administrator' ? [200, 201, 404, 400] : [403, 403, 403, 403];
      expect([list.statusCode, create.statusCode, revoke.statusCode, mappings.statusCode], role).toEqual(expected);
    }
  });

  it('SIEM destinations: security officers and administrators manage them, auditors only read their status (decision 0193)', async () => {
    const destination = { name: 'x', transport: 'tcp', host: 'not a host', port: 6514, format: 'cef' };
    for (const role of ROLES) {
      const headers = as[role]!.headers;
      const create = await app.inject({ method: 'POST', url: '/api/siem/destinations', headers, payload: destination });
      const test = await app.inject({ method: 'POST', url: `/api/siem/destinations/${ZERO}/test`, headers });
      const read = await app.inject({ url: `/api/siem/destinations/${ZERO}`, headers });
      const list = await app.inject({ url: '/api/siem/destinations', headers });
      const manage = role === 'security_officer' || role === 'administrator';
      const expected = manage ? [400, 404, 404, 200] : role === 'auditor' ? [403, 403, 404, 200] : [403, 403, 403, 403];
      // Allowed: past the permission check (a bad host, no such destination). Everyone else: refused.
      expect([create.statusCode, test.statusCode, read.statusCode, list.statusCode], role).toEqual(expected);
    }
  });

  it('pulled IMAP mailboxes: only channels.manage (administrators) reads or changes them; bad input answers problem+json (decision 0226)', async () => {
    const account = { name: 'x', mailboxId: ZERO, host: 'not a host', username: 'u', auth: 'password', password: 'p' };
    for (const role of ROLES) {
      const headers = as[role]!.headers;
      const create = await app.inject({ method: 'POST', url: '/api/organization/mail/imap', headers, payload: account });
      const test = await app.inject({ method: 'POST', url: `/api/organization/mail/imap/${ZERO}/test`, headers });
      const read = await app.inject({ url: `/api/organization/mail/imap/${ZERO}`, headers });
      const list = await app.inject({ url: '/api/organization/mail/imap', headers });
      const expected = role === 'administrator' ? [400, 404, 404, 200] : [403, 403, 403, 403];
      expect([create.statusCode, test.statusCode, read.statusCode, list.statusCode], role).toEqual(expected);
      if (create.statusCode === 400) expect(create.headers['content-type']).toMatch(/application\/problem\+json/);
    }
  });
});
