/**
 * Builds a Principal from the database: a user's roles (merged, widest scope
 * wins), teams and policy flags; for API tokens, the owner's permissions
 * narrowed to the token's scopes. Also creates the built-in roles of a new
 * organisation.
 */
import { randomUUID } from 'node:crypto';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { Kysely } from 'kysely';
import type { Executor } from '../../protection/crypto/keyring.js';
import type { Database } from '../../platform/db/schema.js';
import { mergeGrants, type Principal } from './access.js';
import { BUILT_IN_ROLES, isPermission, type Permission, type Scope } from './permissions.js';

export interface UserAccess {
  userId: string;
  orgId: string;
  email: string;
  name: string;
  status: 'invited' | 'active' | 'deactivated';
  /** The organisation's lifecycle status: only an active organisation's staff and tokens are let in. */
  orgStatus: 'active' | 'suspended' | 'deleted';
  permissions: Map<Permission, Scope>;
  roleKeys: string[];
  teamIds: string[];
  requirePhishingResistant: boolean;
  /** CIDR allowlists that apply (organisation's and every role's); empty = any address. */
  allowlists: string[][];
}

export async function loadUserAccess(db: Executor, userId: string): Promise<UserAccess | null> {
  // Every authenticated request asks this: the four queries go out at once (one round trip's wait, not four;
  // decision 0234), each keeping to the user's own organisation through the users row itself.
  const [user, roles, grants, teams] = await Promise.all([
    db
      .selectFrom('users')
      .innerJoin('organizations', 'organizations.id', 'users.org_id')
      .where('users.id', '=', userId)
      .select(['users.id', 'users.org_id', 'users.email', 'users.name', 'users.status', 'organizations.allowed_cidrs', 'organizations.status as org_status'])
      .executeTakeFirst(),
    db
      .selectFrom('user_roles')
      .innerJoin('users', 'users.id', 'user_roles.user_id')
      .innerJoin('roles', (j) => j.onRef('roles.id', '=', 'user_roles.role_id').onRef('roles.org_id', '=', 'users.org_id'))
      .where('user_roles.user_id', '=', userId)
      .select(['roles.id', 'roles.key', 'roles.require_phishing_resistant', 'roles.allowed_cidrs'])
      .execute(),
    db
      .selectFrom('user_roles')
      .innerJoin('users', 'users.id', 'user_roles.user_id')
      .innerJoin('roles', (j) => j.onRef('roles.id', '=', 'user_roles.role_id').onRef('roles.org_id', '=', 'users.org_id'))
      .innerJoin('role_permissions', 'role_permissions.role_id', 'roles.id')
      .where('user_roles.user_id', '=', userId)
      .select(['role_permissions.permission', 'role_permissions.scope'])
      .execute(),
    db
      .selectFrom('team_members')
      .innerJoin('users', 'users.id', 'team_members.user_id')
      .innerJoin('teams', (j) => j.onRef('teams.id', '=', 'team_members.team_id').onRef('teams.org_id', '=', 'users.org_id'))
      .where('team_members.user_id', '=', userId)
      .select('teams.id')
      .execute(),
  ]);
  if (!user) return null;
  return {
    userId: user.id,
    orgId: user.org_id,
    email: user.email,
    name: user.name,
    status: user.status,
    orgStatus: user.org_status,
    permissions: mergeGrants(grants.filter((g) => isPermission(g.permission)).map((g) => ({ permission: g.permission as Permission, scope: g.scope }))),
    roleKeys: roles.map((r) => r.key),
    teamIds: teams.map((t) => t.id),
    requirePhishingResistant: roles.some((r) => r.require_phishing_resistant),
    allowlists: [user.allowed_cidrs, ...roles.map((r) => r.allowed_cidrs)].filter((l) => l.length > 0),
  };
}

export function principalFrom(access: UserAccess, extra: Omit<Principal, 'userId' | 'orgId' | 'email' | 'name' | 'permissions' | 'roleKeys' | 'teamIds' | 'requirePhishingResistant'>): Principal {
  return {
    userId: access.userId,
    orgId: access.orgId,
    email: access.email,
    name: access.name,
    permissions: access.permissions,
    roleKeys: access.roleKeys,
    teamIds: access.teamIds,
    requirePhishingResistant: access.requirePhishingResistant,
    ...extra,
  };
}

/** A token may do what its owner may, and only within its scopes. */
export function narrowToScopes(permissions: ReadonlyMap<Permission, Scope>, scopes: readonly string[]): Map<Permission, Scope> {
  const out = new Map<Permission, Scope>();
  for (const s of scopes) {
    if (!isPermission(s)) continue;
    const scope = permissions.get(s);
    if (scope) out.set(s, scope);
  }
  return out;
}

/** True when `ip` is allowed by every applicable allowlist (each list: any CIDR matches). */
export function addressAllowed(ip: string, allowlists: string[][]): boolean {
  for (const list of allowlists) {
    const block = new BlockList();
    for (const cidr of list) {
      const [addr, bits] = cidr.split('/');
      if (!addr) continue;
      const type = isIPv6(addr) ? 'ipv6' : isIPv4(addr) ? 'ipv4' : null;
      if (!type) continue;
      if (bits === undefined) block.addAddress(addr, type);
      else block.addSubnet(addr, Number(bits), type);
    }
    const normalized = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
    const type = isIPv6(normalized) ? 'ipv6' : 'ipv4';
    if (!block.check(normalized, type)) return false;
  }
  return true;
}

/** Creates the organisation's built-in roles; returns their ids by key. */
export async function createBuiltInRoles(trx: Executor, orgId: string): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const role of BUILT_IN_ROLES) {
    const id = randomUUID();
    ids[role.key] = id;
    await trx.insertInto('roles').values({ id, org_id: orgId, key: role.key, name: role.name, built_in: true, require_phishing_resistant: role.requirePhishingResistant }).execute();
    await trx.insertInto('role_permissions').values(role.grants.map(([permission, scope]) => ({ role_id: id, permission, scope }))).execute();
  }
  return ids;
}

export async function roleIdByKey(db: Kysely<Database> | Executor, orgId: string, key: string): Promise<string | null> {
  const r = await db.selectFrom('roles').where('org_id', '=', orgId).where('key', '=', key).select('id').executeTakeFirst();
  return r?.id ?? null;
}
