/**
 * Staff administration over HTTP: invitations (list, resend, revoke), team
 * rename, the permission catalogue and API tokens — with the attacker's view:
 * the wrong role gets 403, another organisation gets 404, and no answer
 * carries a secret it should not.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, buildUser, signIn, signInAs, type SignedIn, type TestOrg } from '../auth/testing.js';
import { MAX_TOKEN_DAYS as SERVICE_MAX_TOKEN_DAYS } from '../auth/tokens.service.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { MAX_TOKEN_DAYS, PERMISSION_SCOPES } from '../../platform/http/schemas/users.js';
import type { MemoryMailer } from '../../platform/notify/mailer.js';

const linkIn = (text: string | undefined) => /token=(tdl_[A-Za-z0-9_-]+)/.exec(text ?? '')?.[1];

describe.each(testDatabaseKinds)('staff administration routes on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let otherOrg: TestOrg;
  let admin: SignedIn;
  let supervisor: SignedIn;
  let agent: SignedIn;
  let intruder: SignedIn;
  const mailer = () => services.mailer as MemoryMailer;

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    org = await buildOrg(services);
    otherOrg = await buildOrg(services);
    admin = await signIn(app, org, { roles: ['administrator'] });
    supervisor = await signIn(app, org, { roles: ['supervisor'] });
    agent = await signIn(app, org, { roles: ['agent'] });
    intruder = await signIn(app, otherOrg, { roles: ['administrator'] });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  const invite = async (as: SignedIn, body: { email: string; name: string; roleIds?: string[]; teamIds?: string[] }) =>
    app.inject({ method: 'POST', url: '/api/users/invitations', headers: as.headers, payload: { roleIds: [], teamIds: [], ...body } });

  describe('invitations', () => {
    it('lists a pending invitation; a resend replaces the link; a revoke withdraws it', async () => {
      const email = `invitee-${randomUUID().slice(0, 8)}@staff.example`;
      const created = await invite(admin, { email, name: 'Perpetua Inkwell', roleIds: [org.roleIds.agent as string] });
      expect(created.statusCode).toBe(201);
      const userId = created.json().id as string;
      const first = linkIn(mailer().last(email)?.text);
      expect(first).toBeDefined();

      const list = await app.inject({ url: '/api/users/invitations', headers: admin.headers });
      expect(list.statusCode).toBe(200);
      const mine = list.json().invitations.find((i: { userId: string }) => i.userId === userId);
      expect(mine).toMatchObject({ email, name: 'Perpetua Inkwell', state: 'pending', invitedBy: admin.userId });
      expect(new Date(mine.expiresAt).getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
      // The list never carries the link or its hash.
      expect(list.body).not.toContain(first);
      expect(list.body).not.toMatch(/tdl_|token/i);

      const resent = await app.inject({ method: 'POST', url: `/api/users/invitations/${userId}/resend`, headers: admin.headers });
      expect(resent.statusCode).toBe(200);
      const second = linkIn(mailer().last(email)?.text);
      expect(second).toBeDefined();
      expect(second).not.toBe(first);
      // The roles of the first invitation stay.
      const users = (await app.inject({ url: '/api/users', headers: admin.headers })).json().users as Array<{ id: string; roleIds: string[] }>;
      expect(users.find((u) => u.id === userId)?.roleIds).toEqual([org.roleIds.agent]);
      // The first link no longer works.
      const old = await app.inject({ method: 'POST', url: '/api/auth/accept-invite', payload: { token: first, password: 'a perfectly fine passphrase 7' } });
      expect(old.statusCode).toBe(410);

      const revoked = await app.inject({ method: 'DELETE', url: `/api/users/invitations/${userId}`, headers: admin.headers });
      expect(revoked.statusCode).toBe(200);
      const after = (await app.inject({ url: '/api/users/invitations', headers: admin.headers })).json().invitations.find((i: { userId: string }) => i.userId === userId);
      expect(after.state).toBe('revoked');
      const late = await app.inject({ method: 'POST', url: '/api/auth/accept-invite', payload: { token: second, password: 'a perfectly fine passphrase 7' } });
      expect(late.statusCode).toBe(410);

      const actions = await services.database.db.selectFrom('audit_log').where('org_id', '=', org.orgId).select('action').execute();
      expect(actions.map((a) => a.action)).toEqual(expect.arrayContaining(['user.invite', 'user.invite_revoke']));
      expect(actions.filter((a) => a.action === 'user.invite').length).toBeGreaterThanOrEqual(2);

      // Revoked, it can be invited again.
      expect((await invite(admin, { email, name: 'Perpetua Inkwell' })).statusCode).toBe(201);
      const again = (await app.inject({ url: '/api/users/invitations', headers: admin.headers })).json().invitations.find((i: { userId: string }) => i.userId === userId);
      expect(again.state).toBe('pending');
    });

    it('an accepted or active account is no pending invitation (404 on resend and revoke)', async () => {
      for (const method of ['POST', 'DELETE'] as const) {
        const url = method === 'POST' ? `/api/users/invitations/${agent.userId}/resend` : `/api/users/invitations/${agent.userId}`;
        expect((await app.inject({ method, url, headers: admin.headers })).statusCode).toBe(404);
      }
    });

    it('the wrong role gets 403; another organisation gets 404 and sees none of them', async () => {
      const email = `target-${randomUUID().slice(0, 8)}@staff.example`;
      const userId = (await invite(admin, { email, name: 'Target' })).json().id as string;
      expect((await app.inject({ url: '/api/users/invitations', headers: agent.headers })).statusCode).toBe(403);
      expect((await app.inject({ url: '/api/users/invitations', headers: supervisor.headers })).statusCode).toBe(200);
      for (const as of [agent, supervisor]) {
        expect((await app.inject({ method: 'POST', url: `/api/users/invitations/${userId}/resend`, headers: as.headers })).statusCode).toBe(403);
        expect((await app.inject({ method: 'DELETE', url: `/api/users/invitations/${userId}`, headers: as.headers })).statusCode).toBe(403);
      }
      const theirs = await app.inject({ url: '/api/users/invitations', headers: intruder.headers });
      expect(theirs.statusCode).toBe(200);
      expect(theirs.body).not.toContain(email);
      expect((await app.inject({ method: 'POST', url: `/api/users/invitations/${userId}/resend`, headers: intruder.headers })).statusCode).toBe(404);
      expect((await app.inject({ method: 'DELETE', url: `/api/users/invitations/${userId}`, headers: intruder.headers })).statusCode).toBe(404);
      const still = (await app.inject({ url: '/api/users/invitations', headers: admin.headers })).json().invitations.find((i: { userId: string }) => i.userId === userId);
      expect(still.state).toBe('pending');
    });

    it('inviting with a role is granting it: a staff manager without roles.manage cannot hand out administrator', async () => {
      const db = services.database.db;
      const roleId = randomUUID();
      await db.insertInto('roles').values({ id: roleId, org_id: org.orgId, key: `people_${roleId.slice(0, 6)}`, name: 'People manager', built_in: false, require_phishing_resistant: false, allowed_cidrs: [] }).execute();
      await db.insertInto('role_permissions').values([{ role_id: roleId, permission: 'users.read', scope: 'org' }, { role_id: roleId, permission: 'users.manage', scope: 'org' }, { role_id: roleId, permission: 'tickets.read', scope: 'team' }]).execute();
      const manager = await buildUser(services, org, { roles: [] });
      await db.insertInto('user_roles').values({ user_id: manager.userId, role_id: roleId, granted_by: null }).execute();
      const signed = await signInAs(app, manager);
      const escalate = await invite(signed, { email: `esc-${randomUUID().slice(0, 8)}@staff.example`, name: 'Escalation', roleIds: [org.roleIds.administrator as string] });
      expect(escalate.statusCode).toBe(403);
      expect(escalate.json().code).toBe('forbidden');
      // Granting only what they hold works.
      const fine = await invite(signed, { email: `ok-${randomUUID().slice(0, 8)}@staff.example`, name: 'Fine', roleIds: [roleId] });
      expect(fine.statusCode).toBe(201);
    });
  });

  describe('teams', () => {
    it('an administrator renames a team; a name in use is a conflict', async () => {
      const team = await buildTeam(services, org, `Billing ${randomUUID().slice(0, 6)}`);
      const other = await buildTeam(services, org, `Returns ${randomUUID().slice(0, 6)}`);
      const name = `Payments ${randomUUID().slice(0, 6)}`;
      const res = await app.inject({ method: 'PUT', url: `/api/teams/${team}`, headers: admin.headers, payload: { name } });
      expect(res.statusCode).toBe(200);
      const teams = (await app.inject({ url: '/api/teams', headers: admin.headers })).json().teams as Array<{ id: string; name: string }>;
      expect(teams.find((t) => t.id === team)?.name).toBe(name);
      const otherName = teams.find((t) => t.id === other)?.name as string;
      const clash = await app.inject({ method: 'PUT', url: `/api/teams/${team}`, headers: admin.headers, payload: { name: otherName } });
      expect(clash.statusCode).toBe(409);
      const audit = await services.database.db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', '=', 'team.rename').select('object_id').execute();
      expect(audit.map((a) => a.object_id)).toContain(team);
    });

    it('deletes an unused team; a team with an inbound address is refused in words (409), not a server error', async () => {
      const unused = await buildTeam(services, org);
      expect((await app.inject({ method: 'DELETE', url: `/api/teams/${unused}`, headers: admin.headers })).statusCode).toBe(200);
      const used = await buildTeam(services, org);
      await services.database.db.insertInto('mailboxes').values({ id: randomUUID(), org_id: org.orgId, address: `team-${randomUUID().slice(0, 6)}@help.example`, name: 'Help', team_id: used }).execute();
      const res = await app.inject({ method: 'DELETE', url: `/api/teams/${used}`, headers: admin.headers });
      expect(res.statusCode).toBe(409);
      expect(res.json().detail).toContain('inbound addresses');
      expect((await app.inject({ method: 'DELETE', url: `/api/teams/${used}`, headers: intruder.headers })).statusCode).toBe(404);
    });

    it('refuses the wrong role (403), another organisation (404) and an empty name (400)', async () => {
      const team = await buildTeam(services, org);
      for (const as of [agent, supervisor]) expect((await app.inject({ method: 'PUT', url: `/api/teams/${team}`, headers: as.headers, payload: { name: 'Mine now' } })).statusCode).toBe(403);
      expect((await app.inject({ method: 'PUT', url: `/api/teams/${team}`, headers: intruder.headers, payload: { name: 'Mine now' } })).statusCode).toBe(404);
      const empty = await app.inject({ method: 'PUT', url: `/api/teams/${team}`, headers: admin.headers, payload: { name: '' } });
      expect(empty.statusCode).toBe(400);
      expect(empty.json().code).toBe('validation_failed');
    });
  });

  describe('roles and tokens', () => {
    it('the roles list carries the permission catalogue with descriptions and step-up flags', async () => {
      const res = await app.inject({ url: '/api/roles', headers: supervisor.headers });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { permissions: string[]; catalogue: Array<{ permission: string; description: string; stepUp: boolean }> };
      expect(body.catalogue.map((c) => c.permission)).toEqual(body.permissions);
      expect(body.catalogue.find((c) => c.permission === 'roles.manage')).toMatchObject({ stepUp: true });
      expect(body.catalogue.find((c) => c.permission === 'tickets.read')).toMatchObject({ stepUp: false });
      expect(body.catalogue.every((c) => c.description.length > 5)).toBe(true);
      expect(PERMISSION_SCOPES).toEqual(['own', 'team', 'org']);
      expect((await app.inject({ url: '/api/roles', headers: agent.headers })).statusCode).toBe(403);
    });

    it('an unknown permission in a role is refused by the server', async () => {
      const res = await app.inject({ method: 'POST', url: '/api/roles', headers: admin.headers, payload: { key: 'odd_role', name: 'Odd', grants: [{ permission: 'tickets.fly', scope: 'org' }], requirePhishingResistant: false } });
      expect(res.statusCode).toBe(400);
    });

    it('the token bound in the contract is the one the service enforces', () => {
      expect(MAX_TOKEN_DAYS).toBe(SERVICE_MAX_TOKEN_DAYS);
    });

    it('a token is shown once, never in the list, and not to be cached', async () => {
      const created = await app.inject({ method: 'POST', url: '/api/tokens', headers: admin.headers, payload: { name: 'CI export', scopes: ['tickets.read'], expiresInDays: 30 } });
      expect(created.statusCode).toBe(201);
      expect(created.headers['cache-control']).toBe('no-store');
      const { token, id } = created.json() as { token: string; id: string };
      expect(token).toMatch(/^tdt_/);
      const list = await app.inject({ url: '/api/tokens', headers: admin.headers });
      expect(list.json().tokens.map((t: { id: string }) => t.id)).toContain(id);
      expect(list.body).not.toContain(token);
      const tooLong = await app.inject({ method: 'POST', url: '/api/tokens', headers: admin.headers, payload: { name: 'x', scopes: ['tickets.read'], expiresInDays: MAX_TOKEN_DAYS + 1 } });
      expect(tooLong.statusCode).toBe(400);
    });
  });
});
