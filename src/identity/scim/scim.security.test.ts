/**
 * SCIM's attacker tests and its one promise that matters most: a SCIM token opens nothing under /api and an API
 * token or staff session opens nothing under /scim/v2; revoked, expired, malformed and suspended-organisation
 * tokens are refused; another organisation's users and groups are "not found" (and cannot be made members);
 * deprovisioning a signed-in agent refuses their very next request, by session and by API token, audited, and
 * shows them in the next access review; the last administrator is kept; a role mapping to a role that does not
 * exist changes nothing, and a mapped group gives and takes back its role. PGlite always; PostgreSQL with
 * TEST_DATABASE_URL (the deprovisioning test is the one the issue asks on both).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { accessReviewRoutes } from '../access-reviews/access-reviews.routes.js';
import { buildOrg, buildTeam, buildUser, signIn, signInAs, type SignedIn } from '../auth/testing.js';
import { createApiToken } from '../auth/tokens.service.js';
import { buildScimApp, buildScimOrg, scimClient, type ScimOrg } from './testing.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
describe.each(testDatabaseKinds)('SCIM security on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let orgA: ScimOrg;
  let orgB: ScimOrg;
  let adminA: SignedIn;
  let scimA: ReturnType<typeof scimClient>;
  let scimB: ReturnType<typeof scimClient>;
  const client = { ip: '127.0.0.1', userAgent: null, requestId: 'test' };

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildScimApp(services, [accessReviewRoutes]);
    orgA = await buildScimOrg(services);
    orgB = await buildScimOrg(services);
    scimA = scimClient(app, orgA.token);
    scimB = scimClient(app, orgB.token);
    adminA = await signIn(app, orgA, { roles: ['administrator', 'security_officer'] });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('a SCIM token opens nothing under /api; an API token or a staff session opens nothing under /scim/v2', async () => {
    for (const url of ['/api/users', '/api/auth/me', '/api/teams', '/api/scim/tokens']) {
      const res = await app.inject({ url, headers: { authorization: `Bearer ${orgA.token}` } });
      expect(res.statusCode, url).toBe(401);
    }
    const { token: apiToken } = await createApiToken({ db: services.database.db, audit: services.audit }, null, client, { ownerId: adminA.userId, name: 'broad', scopes: ['users.read', 'users.manage', 'tokens.manage'], expiresInDays: 1, kind: 'personal' });
    expect((await app.inject({ url: '/api/users', headers: { authorization: `Bearer ${apiToken}` } })).statusCode).toBe(200);
    for (const [method, url] of [['GET', '/scim/v2/Users'], ['POST', '/scim/v2/Users'], ['GET', '/scim/v2/ServiceProviderConfig'], ['GET', '/scim/v2/Groups'], ['DELETE', `/scim/v2/Users/${adminA.userId}`]] as const) {
      const withToken = await app.inject({ method, url, headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/scim+json' }, ...(method === 'POST' ? { payload: JSON.stringify({ schemas: [USER], userName: 'x@y.example' }) } : {}) });
      expect(withToken.statusCode, `${method} ${url}`).toBe(401);
      expect(withToken.headers['content-type']).toMatch(/scim\+json/);
      expect(withToken.headers['www-authenticate']).toMatch(/Bearer/);
      const withSession = await app.inject({ method, url, headers: adminA.headers });
      expect(withSession.statusCode, `${method} ${url}`).toBe(401);
      expect((await app.inject({ method, url })).statusCode).toBe(401);
    }
    // The admin still exists: nothing above acted.
    expect((await app.inject({ url: '/api/auth/me', headers: adminA.headers })).statusCode).toBe(200);
  });

  it('revoked, expired, malformed and suspended-organisation SCIM tokens are refused alike', async () => {
    const org = await buildScimOrg(services);
    const scim = scimClient(app, org.token);
    expect((await scim('GET', '/Users')).status).toBe(200);
    for (const bad of ['tdp_nope', `${org.token}x`, org.token.replace('tdp_', 'tdt_'), `${'tdp_'.padEnd(48, 'A')}`]) {
      expect((await scimClient(app, bad)('GET', '/Users')).status, bad.slice(0, 8)).toBe(401);
    }
    await services.database.db.updateTable('organizations').set({ status: 'suspended' }).where('id', '=', org.orgId).execute();
    expect((await scim('GET', '/Users')).status).toBe(401);
    await services.database.db.updateTable('organizations').set({ status: 'active' }).where('id', '=', org.orgId).execute();
    await services.database.db.updateTable('scim_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', org.tokenId).execute();
    expect((await scim('GET', '/Users')).status).toBe(401);
    await services.database.db.updateTable('scim_tokens').set({ expires_at: new Date(Date.now() + 86_400_000) }).where('id', '=', org.tokenId).execute();
    expect((await scim('GET', '/Users')).status).toBe(200);
    const revoke = await app.inject({ method: 'DELETE', url: `/api/scim/tokens/${org.tokenId}`, headers: adminA.headers });
    expect(revoke.statusCode, 'another organisation’s token is not found').toBe(404);
    await services.database.db.updateTable('scim_tokens').set({ revoked_at: new Date() }).where('id', '=', org.tokenId).execute();
    expect((await scim('GET', '/Users')).status).toBe(401);
  });

  it('another organisation’s users and groups are not found, not listed, and cannot be made members', async () => {
    const user = await scimA('POST', '/Users', { schemas: [USER], userName: 'only.in.a@a.example' });
    const group = await scimA('POST', '/Groups', { schemas: [GROUP], displayName: 'Only in A' });
    const uid = user.body.id as string;
    const gid = group.body.id as string;
    for (const [method, url, body] of [
      ['GET', `/Users/${uid}`, undefined],
      ['PUT', `/Users/${uid}`, { schemas: [USER], userName: 'stolen@b.example' }],
      ['PATCH', `/Users/${uid}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] }],
      ['DELETE', `/Users/${uid}`, undefined],
      ['GET', `/Groups/${gid}`, undefined],
      ['PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'x' }] }],
      ['PUT', `/Groups/${gid}`, { schemas: [GROUP], displayName: 'x' }],
      ['DELETE', `/Groups/${gid}`, undefined],
    ] as const) {
      const res = await scimB(method, url, body);
      expect(res.status, `${method} ${url}`).toBe(404);
    }
    expect((await scimB('GET', '/Users?filter=userName%20eq%20%22only.in.a%40a.example%22')).body.totalResults).toBe(0);
    expect((await scimB('GET', '/Users')).body.Resources!.map((r) => r.id)).not.toContain(uid);
    expect((await scimB('GET', '/Groups')).body.Resources!.map((r) => r.id)).not.toContain(gid);
    expect((await scimB('POST', '/Groups', { schemas: [GROUP], displayName: 'Steal', members: [{ value: uid }] })).body.scimType).toBe('invalidValue');
    expect((await scimB('GET', '/Groups?filter=displayName%20eq%20%22Steal%22')).body.totalResults).toBe(0);
    // Organisation A is as it was.
    const still = await scimA('GET', `/Users/${uid}`);
    expect(still.body).toMatchObject({ userName: 'only.in.a@a.example', active: true });
    // The same address in another organisation is refused without saying whose it is.
    const clash = await scimB('POST', '/Users', { schemas: [USER], userName: 'only.in.a@a.example' });
    expect(clash.status).toBe(409);
    expect(clash.body.detail).not.toMatch(/organi[sz]ation/i);
  });

  it('deprovisioning a signed-in agent refuses their next request at once (session and API token), audited, flagged in the next access review', async () => {
    const team = await buildTeam(services, orgA);
    const agent = await buildUser(services, orgA, { roles: ['agent'], teamIds: [team] });
    const session = await signInAs(app, agent);
    const { token } = await createApiToken({ db: services.database.db, audit: services.audit }, null, client, { ownerId: agent.userId, name: 'agent', scopes: ['tickets.read'], expiresInDays: 1, kind: 'personal' });
    expect((await app.inject({ url: '/api/auth/me', headers: session.headers })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    // The provider finds the existing person by userName and deactivates them (Okta's form).
    const found = await scimA('GET', `/Users?filter=${encodeURIComponent(`userName eq "${agent.email}"`)}`);
    expect(found.body.totalResults).toBe(1);
    const started = Date.now();
    const off = await scimA('PATCH', `/Users/${agent.userId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    const me = await app.inject({ url: '/api/auth/me', headers: session.headers });
    const byToken = await app.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.statusCode).toBe(401);
    expect(byToken.statusCode).toBe(401);
    expect(Date.now() - started).toBeLessThan(1_000);
    const sessions = await services.database.db.selectFrom('sessions').where('user_id', '=', agent.userId).select(['revoked_at', 'revoked_reason']).execute();
    expect(sessions.every((s) => s.revoked_at !== null && s.revoked_reason === 'deprovisioned')).toBe(true);
    await services.audit.flush();
    const entry = await services.database.db.selectFrom('audit_log').where('action', '=', 'user.deprovision').where('object_id', '=', agent.userId).select(['actor_type', 'actor_id', 'details']).executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ actor_type: 'token', actor_id: orgA.tokenId });
    expect(JSON.stringify(entry.details)).toMatch(/"sessionsEnded":1/);
    expect(JSON.stringify(entry.details)).toMatch(/"tokensRevoked":1/);
    // DELETE of another signed-in person does the same.
    const other = await buildUser(services, orgA, { roles: ['agent'] });
    const otherSession = await signInAs(app, other);
    expect((await scimA('DELETE', `/Users/${other.userId}`)).status).toBe(204);
    expect((await app.inject({ url: '/api/auth/me', headers: otherSession.headers })).statusCode).toBe(401);
    // The next organisation-wide access review shows them, flagged; the one after does not.
    const deadline = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const review = await app.inject({ method: 'POST', url: '/api/access-reviews', headers: adminA.headers, payload: { name: 'After deprovisioning', deadline } });
    expect(review.statusCode, review.body).toBe(201);
    const items = (review.json() as { items: Array<{ userId: string; deprovisioned: boolean; kind: string }> }).items;
    const flagged = items.filter((i) => i.deprovisioned);
    expect(new Set(flagged.map((i) => i.userId))).toEqual(new Set([agent.userId, other.userId]));
    expect(items.filter((i) => i.userId === agent.userId).map((i) => i.kind).sort()).toEqual(['role', 'team']);
    const next = await app.inject({ method: 'POST', url: '/api/access-reviews', headers: adminA.headers, payload: { name: 'Next quarter', deadline } });
    expect((next.json() as { items: Array<{ userId: string }> }).items.map((i) => i.userId)).not.toContain(agent.userId);
  });

  it('the organisation’s last active administrator is not deprovisioned, and nothing changes', async () => {
    const org = await buildScimOrg(services);
    const admin = await signIn(app, org, { roles: ['administrator'] });
    const scim = scimClient(app, org.token);
    const res = await scim('PATCH', `/Users/${admin.userId}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] });
    expect(res.status).toBe(409);
    expect((await scim('DELETE', `/Users/${admin.userId}`)).status).toBe(409);
    expect((await app.inject({ url: '/api/auth/me', headers: admin.headers })).statusCode).toBe(200);
  });

  it('SCIM administration: only administrators issue tokens (shown once, hashed); a mapping to a missing role changes nothing; a mapped group gives and takes back its role', async () => {
    const agent = await signIn(app, orgA, { roles: ['agent'] });
    const supervisor = await signIn(app, orgA, { roles: ['supervisor'] });
    for (const who of [agent, supervisor]) {
      expect((await app.inject({ method: 'POST', url: '/api/scim/tokens', headers: who.headers, payload: { name: 'x', expiresInDays: 30 } })).statusCode).toBe(403);
      expect((await app.inject({ method: 'PUT', url: '/api/scim/role-mappings', headers: who.headers, payload: { mappings: [] } })).statusCode).toBe(403);
    }
    const issued = await app.inject({ method: 'POST', url: '/api/scim/tokens', headers: adminA.headers, payload: { name: 'Entra ID', expiresInDays: 365 } });
    expect(issued.statusCode, issued.body).toBe(201);
    const { token, id, baseUrl } = issued.json() as { token: string; id: string; baseUrl: string };
    expect(token).toMatch(/^tdp_/);
    expect(baseUrl).toMatch(/\/scim\/v2$/);
    const listed = await app.inject({ url: '/api/scim/tokens', headers: adminA.headers });
    expect(listed.body).not.toContain(token);
    expect(listed.json().tokens.map((t: { id: string }) => t.id)).toContain(id);
    const row = await services.database.db.selectFrom('scim_tokens').where('id', '=', id).selectAll().executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(token.slice(4));

    const scim = scimClient(app, token);
    const group = await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'Supervisors (IdP)' });
    const gid = group.body.id as string;
    const before = await app.inject({ url: '/api/scim/role-mappings', headers: adminA.headers });
    const bad = await app.inject({ method: 'PUT', url: '/api/scim/role-mappings', headers: adminA.headers, payload: { mappings: [{ teamId: gid, roleKey: 'supervisor' }, { teamId: gid, roleKey: 'no_such_role' }] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toMatch(/no_such_role/);
    expect((await app.inject({ url: '/api/scim/role-mappings', headers: adminA.headers })).body).toBe(before.body);
    const otherOrgTeam = await buildTeam(services, await buildOrg(services));
    expect((await app.inject({ method: 'PUT', url: '/api/scim/role-mappings', headers: adminA.headers, payload: { mappings: [{ teamId: otherOrgTeam, roleKey: 'supervisor' }] } })).statusCode).toBe(400);
    const ok = await app.inject({ method: 'PUT', url: '/api/scim/role-mappings', headers: adminA.headers, payload: { mappings: [{ teamId: gid, roleKey: 'supervisor' }] } });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().mappings).toEqual([expect.objectContaining({ teamId: gid, roleKey: 'supervisor' })]);

    const person = await scim('POST', '/Users', { schemas: [USER], userName: 'mapped.person@a.example' });
    const pid = person.body.id as string;
    const roles = async () => (await services.database.db.selectFrom('user_roles').innerJoin('roles', 'roles.id', 'user_roles.role_id').where('user_roles.user_id', '=', pid).select('roles.key').execute()).map((r) => r.key);
    expect(await roles()).toEqual([]);
    await scim('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: pid }] }] });
    expect(await roles()).toEqual(['supervisor']);
    await scim('PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${pid}"]` }] });
    expect(await roles()).toEqual([]);
    const revoked = await app.inject({ method: 'DELETE', url: `/api/scim/tokens/${id}`, headers: adminA.headers });
    expect(revoked.statusCode).toBe(200);
    expect((await scim('GET', '/Users')).status).toBe(401);
  });
});
