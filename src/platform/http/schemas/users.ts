/**
 * Contract of the staff administration routes (src/identity/users/users.routes.ts):
 * staff and invitations, roles and their permissions, teams, the organisation's
 * address allowlist, and API tokens. The administration screens build their
 * requests with these schemas (decision 0090 §2).
 */
import { Type } from 'typebox';
import { IdParams, Nullable, Uuid, type Endpoint } from './common.js';

/** How widely a permission is granted: records assigned to me, my teams' records, the whole organisation. */
export const PERMISSION_SCOPES = ['own', 'team', 'org'] as const;
/** The longest an API token may live (src/identity/auth/tokens.service.ts checks the same bound; a test keeps them equal). */
export const MAX_TOKEN_DAYS = 366;
export const TOKEN_KINDS = ['personal', 'service'] as const;
export const USER_STATUSES = ['invited', 'active', 'deactivated'] as const;

export const Ok = Type.Object({ ok: Type.Literal(true) });
export const Created = Type.Object({ id: Type.String() });
/** Addresses or CIDR ranges (checked on the server: IPv4/IPv6, prefix length in range). */
export const Cidrs = Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 100 });
/** A permission name of the catalogue (`catalogue` in the roles list); unknown names are refused by the server. */
export const PermissionName = Type.String({ pattern: '^[a-z]+\\.[a-z]+$', maxLength: 50 });
export const Grant = Type.Object({ permission: PermissionName, scope: Type.Enum(PERMISSION_SCOPES) }, { additionalProperties: false });

// ---------------------------------------------------------------- staff
export const UserView = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  status: Type.String(),
  lastSignInAt: Nullable(Type.String()),
  createdAt: Type.String(),
  roleIds: Type.Array(Type.String()),
  roleKeys: Type.Array(Type.String()),
  teamIds: Type.Array(Type.String()),
  /** Enrolled second factors: totp, webauthn. */
  factors: Type.Array(Type.String()),
});
export const UserList = Type.Object({ users: Type.Array(UserView) });
export const InviteBody = Type.Object({
  email: Type.String({ format: 'email', maxLength: 254 }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  roleIds: Type.Array(Uuid, { maxItems: 20 }),
  teamIds: Type.Array(Uuid, { maxItems: 100 }),
}, { additionalProperties: false });
export const UserRolesBody = Type.Object({ roleIds: Type.Array(Uuid, { maxItems: 20 }) }, { additionalProperties: false });
export const UserTeamsBody = Type.Object({ teamIds: Type.Array(Uuid, { maxItems: 100 }) }, { additionalProperties: false });
export const INVITATION_STATES = ['pending', 'expired', 'revoked'] as const;
export const Invitation = Type.Object({
  /** The invited person's account id (status `invited`). */
  userId: Type.String(),
  email: Type.String(),
  name: Type.String(),
  invitedAt: Nullable(Type.String()),
  expiresAt: Nullable(Type.String()),
  invitedBy: Nullable(Type.String()),
  /** pending: the link works; expired: resend to invite again; revoked: the link was withdrawn. */
  state: Type.Enum(INVITATION_STATES),
});
export const InvitationList = Type.Object({ invitations: Type.Array(Invitation) });
export const SessionsEnded = Type.Object({ ended: Type.Integer() });

// ---------------------------------------------------------------- roles
export const RoleView = Type.Object({
  id: Type.String(),
  key: Type.String(),
  name: Type.String(),
  builtIn: Type.Boolean(),
  /** Members must use a passkey (a phishing-resistant factor). */
  requirePhishingResistant: Type.Boolean(),
  allowedCidrs: Type.Array(Type.String()),
  grants: Type.Array(Type.Object({ permission: Type.String(), scope: Type.String() })),
});
export const PermissionInfo = Type.Object({
  permission: Type.String(),
  description: Type.String(),
  /** Using it needs a fresh second factor (step-up). */
  stepUp: Type.Boolean(),
});
export const RoleList = Type.Object({
  roles: Type.Array(RoleView),
  /** Every permission name. */
  permissions: Type.Array(Type.String()),
  /** The same permissions with what each allows, for the role editor. */
  catalogue: Type.Array(PermissionInfo),
});
const roleFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  grants: Type.Array(Grant, { maxItems: 100 }),
  requirePhishingResistant: Type.Boolean({ default: false }),
  allowedCidrs: Type.Optional(Cidrs),
};
export const RoleCreateBody = Type.Object({ key: Type.String({ pattern: '^[a-z][a-z0-9_]{1,40}$' }), ...roleFields }, { additionalProperties: false });
export const RoleUpdateBody = Type.Object(roleFields, { additionalProperties: false });

// ---------------------------------------------------------------- teams
export const TeamView = Type.Object({ id: Type.String(), name: Type.String(), memberIds: Type.Array(Type.String()) });
export const TeamList = Type.Object({ teams: Type.Array(TeamView) });
export const TeamBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });

// ---------------------------------------------------------------- organisation allowlist
export const AllowlistBody = Type.Object({ allowedCidrs: Cidrs }, { additionalProperties: false });

// ---------------------------------------------------------------- API tokens
export const TokenView = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  kind: Type.String(),
  name: Type.String(),
  /** The first characters, enough to recognise a token; the secret itself is never shown again. */
  prefix: Type.String(),
  scopes: Type.Array(Type.String()),
  expiresAt: Type.String(),
  createdAt: Type.String(),
  lastUsedAt: Nullable(Type.String()),
  lastUsedIp: Nullable(Type.String()),
  revoked: Type.Boolean(),
});
export const TokenList = Type.Object({ tokens: Type.Array(TokenView) });
export const TokenListQuery = Type.Object({ all: Type.Optional(Type.Boolean()) });
export const TokenCreateBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  scopes: Type.Array(Type.String({ maxLength: 50 }), { minItems: 1, maxItems: 100 }),
  expiresInDays: Type.Integer({ minimum: 1, maximum: MAX_TOKEN_DAYS }),
  kind: Type.Optional(Type.Enum(TOKEN_KINDS)),
  userId: Type.Optional(Uuid),
}, { additionalProperties: false });
/** The secret is in this answer only. */
export const TokenCreated = Type.Object({ id: Type.String(), token: Type.String(), expiresAt: Type.String() });

export const userEndpoints = {
  /** users.read */
  list: { method: 'GET', url: '/api/users', response: UserList },
  /** users.manage: single-use link by email, 7 days; roles granted must be the inviter's to grant. */
  invite: { method: 'POST', url: '/api/users/invitations', body: InviteBody, response: Created, status: 201 },
  /** users.read: people invited who have not accepted yet. */
  invitations: { method: 'GET', url: '/api/users/invitations', response: InvitationList },
  /** users.manage: a new link by email (the previous one stops working). */
  resendInvitation: { method: 'POST', url: '/api/users/invitations/:id/resend', params: IdParams, response: Ok },
  /** users.manage: the link stops working; the account stays `invited` and can be invited again. */
  revokeInvitation: { method: 'DELETE', url: '/api/users/invitations/:id', params: IdParams, response: Ok },
  /** users.manage: ends every session and token at once. */
  deactivate: { method: 'POST', url: '/api/users/:id/deactivate', params: IdParams, response: Ok },
  /** users.manage + fresh factor: ends the person's sessions. */
  setRoles: { method: 'PUT', url: '/api/users/:id/roles', params: IdParams, body: UserRolesBody, response: Ok },
  /** users.manage */
  setTeams: { method: 'PUT', url: '/api/users/:id/teams', params: IdParams, body: UserTeamsBody, response: Ok },
  /** sessions.manage */
  revokeSessions: { method: 'DELETE', url: '/api/users/:id/sessions', params: IdParams, response: SessionsEnded },
} as const satisfies Record<string, Endpoint>;

export const roleEndpoints = {
  /** users.read */
  list: { method: 'GET', url: '/api/roles', response: RoleList },
  /** roles.manage (step-up) */
  create: { method: 'POST', url: '/api/roles', body: RoleCreateBody, response: Created, status: 201 },
  /** roles.manage (step-up): members sign in again. */
  update: { method: 'PUT', url: '/api/roles/:id', params: IdParams, body: RoleUpdateBody, response: Ok },
  /** roles.manage (step-up) */
  remove: { method: 'DELETE', url: '/api/roles/:id', params: IdParams, response: Ok },
} as const satisfies Record<string, Endpoint>;

export const teamEndpoints = {
  /** users.read */
  list: { method: 'GET', url: '/api/teams', response: TeamList },
  /** teams.manage */
  create: { method: 'POST', url: '/api/teams', body: TeamBody, response: Created, status: 201 },
  /** teams.manage */
  rename: { method: 'PUT', url: '/api/teams/:id', params: IdParams, body: TeamBody, response: Ok },
  /** teams.manage */
  remove: { method: 'DELETE', url: '/api/teams/:id', params: IdParams, response: Ok },
} as const satisfies Record<string, Endpoint>;

export const allowlistEndpoints = {
  /** policies.manage (step-up): addresses staff may sign in from (empty: anywhere). */
  update: { method: 'PUT', url: '/api/organization/allowlist', body: AllowlistBody, response: Ok },
} as const satisfies Record<string, Endpoint>;

export const tokenEndpoints = {
  /** Any signed-in person: their tokens; `all` with tokens.manage: the organisation's. */
  list: { method: 'GET', url: '/api/tokens', querystring: TokenListQuery, response: TokenList },
  /** From a session with a fresh factor; scopes ⊆ the owner's permissions. */
  create: { method: 'POST', url: '/api/tokens', body: TokenCreateBody, response: TokenCreated, status: 201 },
  /** Own tokens, or any of the organisation's with tokens.manage. */
  revoke: { method: 'DELETE', url: '/api/tokens/:id', params: IdParams, response: Ok },
} as const satisfies Record<string, Endpoint>;

