/**
 * /api/users, /api/roles, /api/teams, /api/organization/allowlist, /api/tokens:
 * staff administration and API tokens. Thin handlers: parse, authorize, one
 * service call, present. Schemas: src/platform/http/schemas/users.ts.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requireFreshFactor, requirePermission, scopeOf } from '../auth/access.js';
import { authDeps, clientOf, requirePrincipal } from '../auth/auth.routes.js';
import { deactivateUser, inviteUser } from '../auth/auth.service.js';
import { ALL_PERMISSIONS, PERMISSIONS, STEP_UP_PERMISSIONS } from '../auth/permissions.js';
import { createApiToken, listApiTokens, revokeApiToken } from '../auth/tokens.service.js';
import { AppError } from '../../platform/errors.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { allowlistEndpoints, roleEndpoints, teamEndpoints, tokenEndpoints, userEndpoints } from '../../platform/http/schemas/users.js';
import {
  assertCanGrantRoles, createRole, createTeam, deleteRole, deleteTeam, listRoles, listTeams, listUsers, renameTeam, revokeSessionsOf, setOrganizationAllowlist, setUserRoles, setUserTeams, updateRole,
} from './users.service.js';
import { listInvitations, resendInvitation, revokeInvitation } from './invitations.js';

const CATALOGUE = ALL_PERMISSIONS.map((permission) => ({ permission, description: PERMISSIONS[permission], stepUp: STEP_UP_PERMISSIONS.has(permission) }));

export async function userRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = () => ({ db: app.services.database.db, audit: app.services.audit });
  const tags = ['staff'];
  const u = userEndpoints;

  r.get(u.list.url, { preHandler: requirePermission('users.read'), schema: routeSchema(u.list, { tags, summary: 'Staff accounts with roles, teams and factors' }) },
    async (request) => ({ users: await listUsers(app.services.database.db, requirePrincipal(request).orgId) }));

  r.post(u.invite.url, { preHandler: requirePermission('users.manage'), schema: routeSchema(u.invite, { tags, summary: 'Invite a person by email (single-use link, 7 days)' }) },
    async (request, reply) => {
      const p = requirePrincipal(request);
      // Inviting with a role grants it: nobody hands out what they could not grant themselves.
      await assertCanGrantRoles(app.services.database.db, p, request.body.roleIds);
      const { userId } = await inviteUser(authDeps(app), p, clientOf(request), request.body);
      return reply.status(201).send({ id: userId });
    });

  r.get(u.invitations.url, { preHandler: requirePermission('users.read'), schema: routeSchema(u.invitations, { tags, summary: 'People invited who have not accepted yet, with the state of their link' }) },
    async (request) => ({ invitations: await listInvitations(app.services.database.db, requirePrincipal(request).orgId) }));

  r.post(u.resendInvitation.url, { preHandler: requirePermission('users.manage'), config: { rateLimit: { max: 20, timeWindow: '10 minutes' } }, schema: routeSchema(u.resendInvitation, { tags, summary: 'Send a new invitation link (the previous one stops working)' }) },
    async (request) => {
      await resendInvitation(authDeps(app), requirePrincipal(request), clientOf(request), request.params.id);
      return { ok: true as const };
    });

  r.delete(u.revokeInvitation.url, { preHandler: requirePermission('users.manage'), schema: routeSchema(u.revokeInvitation, { tags, summary: 'Withdraw an invitation: its link stops working' }) },
    async (request) => {
      await revokeInvitation(deps(), requirePrincipal(request), clientOf(request), request.params.id);
      return { ok: true as const };
    });

  r.post(u.deactivate.url, { preHandler: requirePermission('users.manage'), schema: routeSchema(u.deactivate, { tags, summary: 'Deactivate: ends every session and token at once' }) },
    async (request) => {
      await deactivateUser(authDeps(app), requirePrincipal(request), clientOf(request), request.params.id);
      return { ok: true as const };
    });

  r.put(u.setRoles.url, { preHandler: requirePermission('users.manage'), schema: routeSchema(u.setRoles, { tags, summary: 'Set a person’s roles (ends their sessions)' }) },
    async (request) => {
      const p = requirePrincipal(request);
      requireFreshFactor(p, app.auth.stepUpWindowMs);
      await setUserRoles(deps(), p, clientOf(request), { userId: request.params.id, roleIds: request.body.roleIds });
      return { ok: true as const };
    });

  r.put(u.setTeams.url, { preHandler: requirePermission('users.manage'), schema: routeSchema(u.setTeams, { tags, summary: 'Set a person’s teams' }) },
    async (request) => {
      await setUserTeams(deps(), requirePrincipal(request), clientOf(request), { userId: request.params.id, teamIds: request.body.teamIds });
      return { ok: true as const };
    });

  r.delete(u.revokeSessions.url, { preHandler: requirePermission('sessions.manage'), schema: routeSchema(u.revokeSessions, { tags, summary: 'End every session of a person' }) },
    async (request) => ({ ended: await revokeSessionsOf(deps(), requirePrincipal(request), clientOf(request), request.params.id) }));

  // ---------------------------------------------------------------- roles
  const ro = roleEndpoints;
  r.get(ro.list.url, { preHandler: requirePermission('users.read'), schema: routeSchema(ro.list, { tags, summary: 'Roles, their permissions, and the permission catalogue' }) },
    async (request) => ({ roles: await listRoles(app.services.database.db, requirePrincipal(request).orgId), permissions: ALL_PERMISSIONS, catalogue: CATALOGUE }));

  r.post(ro.create.url, { preHandler: requirePermission('roles.manage'), schema: routeSchema(ro.create, { tags, summary: 'Create a custom role' }) },
    async (request, reply) => {
      const id = await createRole(deps(), requirePrincipal(request), clientOf(request), { ...request.body, allowedCidrs: request.body.allowedCidrs ?? [] });
      return reply.status(201).send({ id });
    });

  r.put(ro.update.url, { preHandler: requirePermission('roles.manage'), schema: routeSchema(ro.update, { tags, summary: 'Change a custom role (its members sign in again)' }) },
    async (request) => {
      await updateRole(deps(), requirePrincipal(request), clientOf(request), request.params.id, { ...request.body, allowedCidrs: request.body.allowedCidrs ?? [] });
      return { ok: true as const };
    });

  r.delete(ro.remove.url, { preHandler: requirePermission('roles.manage'), schema: routeSchema(ro.remove, { tags, summary: 'Delete a custom role' }) },
    async (request) => {
      await deleteRole(deps(), requirePrincipal(request), clientOf(request), request.params.id);
      return { ok: true as const };
    });

  // ---------------------------------------------------------------- teams
  const te = teamEndpoints;
  r.get(te.list.url, { preHandler: requirePermission('users.read'), schema: routeSchema(te.list, { tags, summary: 'Teams and members' }) },
    async (request) => ({ teams: await listTeams(app.services.database.db, requirePrincipal(request).orgId) }));

  r.post(te.create.url, { preHandler: requirePermission('teams.manage'), schema: routeSchema(te.create, { tags, summary: 'Create a team' }) },
    async (request, reply) => reply.status(201).send({ id: await createTeam(deps(), requirePrincipal(request), clientOf(request), request.body.name) }));

  r.put(te.rename.url, { preHandler: requirePermission('teams.manage'), schema: routeSchema(te.rename, { tags, summary: 'Rename a team' }) },
    async (request) => {
      await renameTeam(deps(), requirePrincipal(request), clientOf(request), request.params.id, request.body.name);
      return { ok: true as const };
    });

  r.delete(te.remove.url, { preHandler: requirePermission('teams.manage'), schema: routeSchema(te.remove, { tags, summary: 'Delete a team' }) },
    async (request) => {
      await deleteTeam(deps(), requirePrincipal(request), clientOf(request), request.params.id);
      return { ok: true as const };
    });

  r.put(allowlistEndpoints.update.url, { preHandler: requirePermission('policies.manage'), schema: routeSchema(allowlistEndpoints.update, { tags, summary: 'Addresses staff may sign in from (empty: anywhere)' }) },
    async (request) => {
      await setOrganizationAllowlist(deps(), requirePrincipal(request), clientOf(request), request.body.allowedCidrs);
      return { ok: true as const };
    });

  // ---------------------------------------------------------------- API tokens
  const to = tokenEndpoints;
  const tokenTags = ['tokens'];
  r.get(to.list.url, { schema: routeSchema(to.list, { tags: tokenTags, summary: 'My tokens (all of the organisation’s with tokens.manage)' }) },
    async (request) => {
      const p = requirePrincipal(request);
      const all = request.query.all === true && scopeOf(p, 'tokens.manage') !== null;
      return { tokens: await listApiTokens(app.services.database.db, p.orgId, all ? null : p.userId) };
    });

  r.post(to.create.url, { schema: routeSchema(to.create, { tags: tokenTags, summary: 'Create an API token (shown once)' }) },
    async (request, reply) => {
      const p = requirePrincipal(request);
      if (p.kind !== 'session') throw new AppError('forbidden', 'Tokens are created from a signed-in session, not with another token.');
      requireFreshFactor(p, app.auth.stepUpWindowMs);
      const b = request.body;
      const created = await createApiToken(deps(), { userId: p.userId, orgId: p.orgId, canManageTokens: scopeOf(p, 'tokens.manage') !== null }, clientOf(request), {
        ownerId: b.userId ?? p.userId, name: b.name, scopes: b.scopes, expiresInDays: b.expiresInDays, kind: b.kind ?? 'personal',
      });
      reply.header('cache-control', 'no-store');
      return reply.status(201).send({ id: created.id, token: created.token, expiresAt: created.expiresAt.toISOString() });
    });

  r.delete(to.revoke.url, { schema: routeSchema(to.revoke, { tags: tokenTags, summary: 'Revoke a token' }) },
    async (request) => {
      const p = requirePrincipal(request);
      await revokeApiToken(deps(), { userId: p.userId, orgId: p.orgId, canManageTokens: scopeOf(p, 'tokens.manage') !== null }, clientOf(request), request.params.id);
      return { ok: true as const };
    });
}
