/**
 * SCIM administration (docs/scim.md, decision 0208). Schemas: src/platform/http/schemas/scim.ts.
 *  - /api/scim/tokens: the organisation's SCIM tokens; issuing and revoking need tokens.manage and users.manage
 *    (with step-up): a SCIM token creates and deprovisions staff.
 *  - /api/scim/role-mappings: which team gives which role (roles.manage, with step-up).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requirePermission } from '../auth/access.js';
import { requirePrincipal } from '../auth/auth.routes.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { scimEndpoints as e } from '../../platform/http/schemas/scim.js';
import { createScimToken, getRoleMappings, listScimTokens, revokeScimToken, setRoleMappings, type AdminDeps } from './admin.service.js';
import { SCIM_PREFIX } from './scim.routes.js';

const tags = ['scim'];

export async function scimAdminRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const s = app.services;
  const deps: AdminDeps = { db: s.database.db, audit: s.audit };
  const baseUrl = `${s.config.publicUrl.replace(/\/$/, '')}${SCIM_PREFIX}`;
  const manageTokens = [requirePermission('tokens.manage'), requirePermission('users.manage')];
  const actorOf = (request: FastifyRequest) => {
    const p = requirePrincipal(request);
    return { orgId: p.orgId, userId: p.userId, requestId: String(request.id), ip: request.ip };
  };

  r.get(e.listTokens.url, { preHandler: requirePermission('users.manage'), schema: routeSchema(e.listTokens, { tags, summary: 'The organisation’s SCIM tokens (never their secret) and the base URL for the identity provider' }) }, async (request) => ({
    baseUrl,
    tokens: await listScimTokens(s.database.db, requirePrincipal(request).orgId),
  }));

  r.post(e.createToken.url, { preHandler: manageTokens, schema: routeSchema(e.createToken, { tags, summary: 'Issue a SCIM token for /scim/v2 of this organisation, shown once (audited)' }) }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const created = await createScimToken(deps, actorOf(request), request.body);
    reply.code(201);
    return { id: created.id, token: created.token, expiresAt: created.expiresAt.toISOString(), baseUrl };
  });

  r.delete(e.revokeToken.url, { preHandler: manageTokens, schema: routeSchema(e.revokeToken, { tags, summary: 'Revoke a SCIM token at once (audited)' }) }, async (request) => {
    await revokeScimToken(deps, actorOf(request), request.params.id);
    return { ok: true as const };
  });

  r.get(e.getMappings.url, { preHandler: requirePermission('users.read'), schema: routeSchema(e.getMappings, { tags, summary: 'Which provisioned team gives which role' }) }, async (request) =>
    getRoleMappings(s.database.db, requirePrincipal(request).orgId),
  );

  r.put(e.setMappings.url, { preHandler: requirePermission('roles.manage'), schema: routeSchema(e.setMappings, { tags, summary: 'Replace the team → role mapping; an unknown role or team refuses the whole change (audited)' }) }, async (request) =>
    setRoleMappings(deps, actorOf(request), request.body.mappings),
  );
}
