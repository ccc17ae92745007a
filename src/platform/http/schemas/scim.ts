/**
 * Contract of SCIM provisioning's administration (src/identity/scim/; docs/scim.md, decision 0208): the
 * organisation's SCIM tokens (issued once, listed without their secret, revoked) and the team → role mapping.
 * /scim/v2 itself speaks RFC 7644, outside this table.
 */
import { Type } from 'typebox';
import { IdParams, Nullable, Timestamp, Uuid, type Endpoint } from './common.js';

export const MAX_SCIM_TOKEN_DAYS = 730;

export const ScimTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    expiresInDays: Type.Integer({ minimum: 1, maximum: MAX_SCIM_TOKEN_DAYS }),
  },
  { additionalProperties: false },
);

export const ScimTokenView = Type.Object({
  id: Uuid,
  name: Type.String(),
  prefix: Type.String(),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  lastUsedAt: Nullable(Timestamp),
  revoked: Type.Boolean(),
});

export const ScimTokenCreated = Type.Object({
  id: Uuid,
  /** Shown once. */
  token: Type.String(),
  expiresAt: Timestamp,
  /** The base URL to give the identity provider. */
  baseUrl: Type.String(),
});

export const ScimRoleMapping = Type.Object({ teamId: Uuid, roleKey: Type.String({ minLength: 1, maxLength: 42 }) }, { additionalProperties: false });
export const ScimRoleMappingsBody = Type.Object({ mappings: Type.Array(ScimRoleMapping, { maxItems: 200 }) }, { additionalProperties: false });
export const ScimRoleMappings = Type.Object({ mappings: Type.Array(Type.Object({ teamId: Uuid, teamName: Type.String(), roleKey: Type.String(), roleName: Type.String() })) });

export const scimEndpoints = {
  listTokens: { method: 'GET', url: '/api/scim/tokens', response: Type.Object({ baseUrl: Type.String(), tokens: Type.Array(ScimTokenView) }) },
  createToken: { method: 'POST', url: '/api/scim/tokens', body: ScimTokenBody, response: ScimTokenCreated, status: 201 },
  revokeToken: { method: 'DELETE', url: '/api/scim/tokens/:id', params: IdParams, response: Type.Object({ ok: Type.Literal(true) }) },
  getMappings: { method: 'GET', url: '/api/scim/role-mappings', response: ScimRoleMappings },
  setMappings: { method: 'PUT', url: '/api/scim/role-mappings', body: ScimRoleMappingsBody, response: ScimRoleMappings },
} as const satisfies Record<string, Endpoint>;
