/**
 * /api/users, /api/roles, /api/teams, /api/organization/policy, /api/tokens:
 * staff administration and API tokens. Thin handlers: parse, authorize, one
 * service call, present.
 */
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requireFreshFactor, requirePermission, scopeOf } from '../auth/access.js';
import { authDeps, clientOf, requirePrincipal } from '../auth/auth.routes.js';
import { deactivateUser, inviteUser } from '../auth/auth.service.js';
import { ALL_PERMISSIONS } from '../auth/permissions.js';
import { createApiToken, listApiTokens, MAX_TOKEN_DAYS, revokeApiToken } from '../auth/tokens.service.js';
import { AppError } from '../errors.js';
import {
  createRole, createTeam, deleteRole, deleteTeam, listRoles, listTeams, listUsers, revokeSessionsOf, setOrganizationAllowlist, setUserRoles, setUserTeams, updateRole,
} from './users.service.js';

const Id = Type.String({ format: 'uuid' });
const IdParams = Type.Object({ id: Id });
const Ok = Type.Object({ ok: Type.Literal(true) });
const Created = Type.Object({ id: Type.String() });
const Cidrs = Type.Array(Type.String({ maxLength: 50 }), { maxItems: 100 });
const ScopeT = Type.Union([Type.Literal('own'), Type.Literal('team'), Type.Literal('org')]);
const GrantT = Type.Object({ permission: Type.Union(ALL_PERMISSIONS.map((p) => Type.Literal(p))), scope: ScopeT }, { additionalProperties: false });
const NullableString = Type.Union([Type.String(), Type.Null()]);

const UserView = Type.Object({
  id: Type.String(), email: Type.String(), name: Type.String(), status: Type.String(), lastSignInAt: NullableString, createdAt: Type.String(),
  roleIds: Type.Array(Type.String()), roleKeys: Type.Array(Type.String()), teamIds: Type.Array(Type.String()), factors: Type.Array(Type.String()),
});
const RoleView = Type.Object({
  id: Type.String(), key: Type.String(), name: Type.String(), builtIn: Type.Boolean(), requirePhishingResistant: Type.Boolean(), allowedCidrs: Type.Array(Type.String()),
  grants: Type.Array(Type.Object({ permission: Type.String(), scope: Type.String() })),
});
const TokenView = Type.Object({
  id: Type.String(), userId: Type.String(), kind: Type.String(), name: Type.String(), prefix: Type.String(), scopes: Type.Array(Type.String()),
  expiresAt: Type.String(), createdAt: Type.String(), lastUsedAt: NullableString, lastUsedIp: NullableString, revoked: Type.Boolean(),
});

export async function userRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = () => ({ db: app.services.database.db, audit: app.services.audit });
  const tags = ['staff'];

  r.get('/api/users', { preHandler: requirePermission('users.read'), schema: { tags, summary: 'Staff accounts with roles, teams and factors', response: { 200: Type.Object({ users: Type.Array(UserView) }) } } },
    async (request) => ({ users: await listUsers(app.services.database.db, requirePrincipal(request).orgId) }));

  r.post('/api/users/invitations', {
    preHandler: requirePermission('users.manage'),
    schema: {
      tags, summary: 'Invite a person by email (single-use link, 7 days)',
      body: Type.Object({ email: Type.String({ format: 'email', maxLength: 254 }), name: Type.String({ minLength: 1, maxLength: 200 }), roleIds: Type.Array(Id, { maxItems: 20 }), teamIds: Type.Array(Id, { maxItems: 100 }) }, { additionalProperties: false }),
      response: { 201: Created },
    },
  }, async (request, reply) => {
    const p = requirePrincipal(request);
    const { userId } = await inviteUser(authDeps(app), p, clientOf(request), request.body);
    return reply.status(201).send({ id: userId });
  });

  r.post('/api/users/:id/deactivate', { preHandler: requirePermission('users.manage'), schema: { tags, summary: 'Deactivate: ends every session and token at once', params: IdParams, response: { 200: Ok } } },
    async (request) => {
      await deactivateUser(authDeps(app), requirePrincipal(request), clientOf(request), request.params.id);
      return { ok: true as const };
    });

  r.put('/api/users/:id/roles', {
    preHandler: requirePermission('users.manage'),
    schema: { tags, summary: 'Set a person’s roles (ends their sessions)', params: IdParams, body: Type.Object({ roleIds: Type.Array(Id, { maxItems: 20 }) }, { additionalProperties: false }), response: { 200: Ok } },
  }, async (request) => {
    const p = requirePrincipal(request);
    requireFreshFactor(p, app.auth.stepUpWindowMs);
    await setUserRoles(deps(), p, clientOf(request), { userId: request.params.id, roleIds: request.body.roleIds });
    return { ok: true as const };
  });

  r.put('/api/users/:id/teams', {
    preHandler: requirePermission('users.manage'),
    schema: { tags, summary: 'Set a person’s teams', params: IdParams, body: Type.Object({ teamIds: Type.Array(Id, { maxItems: 100 }) }, { additionalProperties: false }), response: { 200: Ok } },
  }, async (request) => {
    await setUserTeams(deps(), requirePrincipal(request), clientOf(request), { userId: request.params.id, teamIds: request.body.teamIds });
    return { ok: true as const };
  });

  r.delete('/api/users/:id/sessions', { preHandler: requirePermission('sessions.manage'), schema: { tags, summary: 'End every session of a person', params: IdParams, response: { 200: Type.Object({ ended: Type.Integer() }) } } },
    async (request) => ({ ended: await revokeSessionsOf(deps(), requirePrincipal(request), clientOf(request), request.params.id) }));

  r.get('/api/roles', { preHandler: requirePermission('users.read'), schema: { tags, summary: 'Roles and their permissions', response: { 200: Type.Object({ roles: Type.Array(RoleView), permissions: Type.Array(Type.String()) }) } } },
    async (request) => ({ roles: await listRoles(app.services.database.db, requirePrincipal(request).orgId), permissions: ALL_PERMISSIONS }));

  const RoleBody = {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    grants: Type.Array(GrantT, { maxItems: ALL_PERMISSIONS.length }),
    requirePhishingResistant: Type.Boolean({ default: false }),
    allowedCidrs: Type.Optional(Cidrs),
  };
  r.post('/api/roles', {
    preHandler: requirePermission('roles.manage'),
    schema: { tags, summary: 'Create a custom role', body: Type.Object({ key: Type.String({ pattern: '^[a-z][a-z0-9_]{1,40}$' }), ...RoleBody }, { additionalProperties: false }), response: { 201: Created } },
  }, async (request, reply) => {
    const id = await createRole(deps(), requirePrincipal(request), clientOf(request), { ...request.body, allowedCidrs: request.body.allowedCidrs ?? [] });
    return reply.status(201).send({ id });
  });

  r.put('/api/roles/:id', {
    preHandler: requirePermission('roles.manage'),
    schema: { tags, summary: 'Change a custom role (its members sign in again)', params: IdParams, body: Type.Object(RoleBody, { additionalProperties: false }), response: { 200: Ok } },
  }, async (request) => {
    await updateRole(deps(), requirePrincipal(request), clientOf(request), request.params.id, { ...request.body, allowedCidrs: request.body.allowedCidrs ?? [] });
    return { ok: true as const };
  });

  r.delete('/api/roles/:id', { preHandler: requirePermission('roles.manage'), schema: { tags, summary: 'Delete a custom role', params: IdParams, response: { 200: Ok } } },
    async (request) => {
      await deleteRole(deps(), requirePrincipal(request), clientOf(request), request.params.id);
      return { ok: true as const };
    });

  r.get('/api/teams', { preHandler: requirePermission('users.read'), schema: { tags, summary: 'Teams and members', response: { 200: Type.Object({ teams: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), memberIds: Type.Array(Type.String()) })) }) } } },
    async (request) => ({ teams: await listTeams(app.services.database.db, requirePrincipal(request).orgId) }));

  r.post('/api/teams', { preHandler: requirePermission('teams.manage'), schema: { tags, summary: 'Create a team', body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }), response: { 201: Created } } },
    async (request, reply) => reply.status(201).send({ id: await createTeam(deps(), requirePrincipal(request), clientOf(request), request.body.name) }));

  r.delete('/api/teams/:id', { preHandler: requirePermission('teams.manage'), schema: { tags, summary: 'Delete a team', params: IdParams, response: { 200: Ok } } },
    async (request) => {
      await deleteTeam(deps(), requirePrincipal(request), clientOf(request), request.params.id);
      return { ok: true as const };
    });

  r.put('/api/organization/allowlist', {
    preHandler: requirePermission('policies.manage'),
    schema: { tags, summary: 'Addresses staff may sign in from (empty: anywhere)', body: Type.Object({ allowedCidrs: Cidrs }, { additionalProperties: false }), response: { 200: Ok } },
  }, async (request) => {
    await setOrganizationAllowlist(deps(), requirePrincipal(request), clientOf(request), request.body.allowedCidrs);
    return { ok: true as const };
  });

  // ---------------------------------------------------------------- API tokens
  r.get('/api/tokens', { schema: { tags: ['tokens'], summary: 'My tokens (all of the organisation’s with tokens.manage)', querystring: Type.Object({ all: Type.Optional(Type.Boolean()) }), response: { 200: Type.Object({ tokens: Type.Array(TokenView) }) } } },
    async (request) => {
      const p = requirePrincipal(request);
      const all = request.query.all === true && scopeOf(p, 'tokens.manage') !== null;
      return { tokens: await listApiTokens(app.services.database.db, p.orgId, all ? null : p.userId) };
    });

  r.post('/api/tokens', {
    schema: {
      tags: ['tokens'],
      summary: 'Create an API token (shown once)',
      body: Type.Object({
        name: Type.String({ minLength: 1, maxLength: 100 }),
        scopes: Type.Array(Type.String({ maxLength: 50 }), { minItems: 1, maxItems: ALL_PERMISSIONS.length }),
        expiresInDays: Type.Integer({ minimum: 1, maximum: MAX_TOKEN_DAYS }),
        kind: Type.Optional(Type.Union([Type.Literal('personal'), Type.Literal('service')])),
        userId: Type.Optional(Id),
      }, { additionalProperties: false }),
      response: { 201: Type.Object({ id: Type.String(), token: Type.String(), expiresAt: Type.String() }) },
    },
  }, async (request, reply) => {
    const p = requirePrincipal(request);
    if (p.kind !== 'session') throw new AppError('forbidden', 'Tokens are created from a signed-in session, not with another token.');
    requireFreshFactor(p, app.auth.stepUpWindowMs);
    const b = request.body;
    const created = await createApiToken(deps(), { userId: p.userId, orgId: p.orgId, canManageTokens: scopeOf(p, 'tokens.manage') !== null }, clientOf(request), {
      ownerId: b.userId ?? p.userId, name: b.name, scopes: b.scopes, expiresInDays: b.expiresInDays, kind: b.kind ?? 'personal',
    });
    return reply.status(201).send({ id: created.id, token: created.token, expiresAt: created.expiresAt.toISOString() });
  });

  r.delete('/api/tokens/:id', { schema: { tags: ['tokens'], summary: 'Revoke a token', params: IdParams, response: { 200: Ok } } },
    async (request) => {
      const p = requirePrincipal(request);
      await revokeApiToken(deps(), { userId: p.userId, orgId: p.orgId, canManageTokens: scopeOf(p, 'tokens.manage') !== null }, clientOf(request), request.params.id);
      return { ok: true as const };
    });
}
