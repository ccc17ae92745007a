/**
 * Staff administration: roles (built-in and custom), role assignment, teams,
 * organisation policy. No one can grant what they do not hold themselves, a
 * privilege change ends the person's sessions, and every change commits with
 * its audit event.
 */
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Principal } from '../auth/access.js';
import type { ClientInfo } from '../auth/auth.service.js';
import { isPermission, SCOPE_RANK, type Permission, type Scope } from '../auth/permissions.js';
import { revokeUserSessions } from '../auth/sessions.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';

export interface UsersDeps {
  db: Kysely<Database>;
  audit: AuditLog;
}

export interface Grant {
  permission: string;
  scope: Scope;
}

const auditBase = (p: Principal, client: ClientInfo) => ({ orgId: p.orgId, actor: { type: 'user' as const, id: p.userId }, requestId: client.requestId, sourceIp: client.ip });

export function validateCidrs(cidrs: string[]): string[] {
  for (const c of cidrs) {
    const [addr, bits, ...rest] = c.split('/');
    const family = addr ? isIP(addr) : 0;
    const max = family === 6 ? 128 : 32;
    if (!family || rest.length || (bits !== undefined && (!/^\d+$/.test(bits) || Number(bits) > max))) {
      throw new AppError('validation_failed', `"${c}" is not an IP address or CIDR range.`, { extra: { errors: [{ field: 'allowedCidrs', message: 'must be addresses or CIDR ranges' }] } });
    }
  }
  return cidrs;
}

/**
 * The actor must hold each granted permission at least as widely, so no one
 * escalates through role assignment. Holders of roles.manage are the root of
 * the permission system (they could edit any role), so the check does not
 * bind them; their grants need step-up and are audited and reviewed instead.
 */
function assertCanGrant(p: Principal, grants: Array<{ permission: Permission; scope: Scope }>): void {
  if (p.permissions.has('roles.manage')) return;
  for (const g of grants) {
    const held = p.permissions.get(g.permission);
    if (!held || SCOPE_RANK[held] < SCOPE_RANK[g.scope]) {
      throw new AppError('forbidden', `You cannot grant ${g.permission} (${g.scope}) because you do not hold it.`);
    }
  }
}

/** Refuses (403) granting roles that carry permissions the actor could not grant themselves. */
export async function assertCanGrantRoles(db: Executor, p: Principal, roleIds: string[]): Promise<void> {
  if (roleIds.length === 0 || p.permissions.has('roles.manage')) return;
  const owned = await db.selectFrom('roles').where('org_id', '=', p.orgId).where('id', 'in', roleIds).select('id').execute();
  assertCanGrant(p, await roleGrants(db, owned.map((r) => r.id)));
}

async function roleGrants(exec: Executor, roleIds: string[]) {
  if (roleIds.length === 0) return [];
  const rows = await exec.selectFrom('role_permissions').where('role_id', 'in', roleIds).select(['permission', 'scope']).execute();
  return rows.filter((r) => isPermission(r.permission)).map((r) => ({ permission: r.permission as Permission, scope: r.scope }));
}

export async function listUsers(db: Kysely<Database>, orgId: string) {
  const users = await db.selectFrom('users').where('org_id', '=', orgId).orderBy('name').select(['id', 'email', 'name', 'status', 'last_signin_at', 'created_at']).execute();
  const roles = await db.selectFrom('user_roles').innerJoin('roles', 'roles.id', 'user_roles.role_id').where('roles.org_id', '=', orgId).select(['user_roles.user_id', 'roles.id', 'roles.key']).execute();
  const teams = await db.selectFrom('team_members').innerJoin('teams', 'teams.id', 'team_members.team_id').where('teams.org_id', '=', orgId).select(['team_members.user_id', 'teams.id']).execute();
  const factors = await db
    .selectFrom('users')
    .leftJoin('mfa_totp', (j) => j.onRef('mfa_totp.user_id', '=', 'users.id').on('mfa_totp.confirmed_at', 'is not', null))
    .where('users.org_id', '=', orgId)
    .select(['users.id', 'mfa_totp.user_id as totp'])
    .execute();
  const passkeys = await db.selectFrom('webauthn_credentials').innerJoin('users', 'users.id', 'webauthn_credentials.user_id').where('users.org_id', '=', orgId).select('webauthn_credentials.user_id').execute();
  return users.map((u) => ({
    id: u.id,
    email: u.email,
    name: u.name,
    status: u.status,
    lastSignInAt: u.last_signin_at?.toISOString() ?? null,
    createdAt: u.created_at.toISOString(),
    roleIds: roles.filter((r) => r.user_id === u.id).map((r) => r.id),
    roleKeys: roles.filter((r) => r.user_id === u.id).map((r) => r.key),
    teamIds: teams.filter((t) => t.user_id === u.id).map((t) => t.id),
    factors: [...(factors.some((f) => f.id === u.id && f.totp) ? ['totp'] : []), ...(passkeys.some((k) => k.user_id === u.id) ? ['webauthn'] : [])],
  }));
}

export async function setUserRoles(deps: UsersDeps, p: Principal, client: ClientInfo, input: { userId: string; roleIds: string[] }): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').where('id', '=', input.userId).where('org_id', '=', p.orgId).select('id').executeTakeFirst();
    if (!user) throw new AppError('not_found', 'No such user.');
    const roles = input.roleIds.length ? await trx.selectFrom('roles').where('org_id', '=', p.orgId).where('id', 'in', input.roleIds).select('id').execute() : [];
    if (roles.length !== new Set(input.roleIds).size) throw new AppError('validation_failed', 'Unknown role.');
    const current = (await trx.selectFrom('user_roles').where('user_id', '=', input.userId).select('role_id').execute()).map((r) => r.role_id);
    const added = input.roleIds.filter((r) => !current.includes(r));
    const removed = current.filter((r) => !input.roleIds.includes(r));
    assertCanGrant(p, await roleGrants(trx, added));
    if (input.userId === p.userId && removed.length) throw new AppError('conflict', 'You cannot remove your own roles; ask another administrator.');
    if (removed.length) await trx.deleteFrom('user_roles').where('user_id', '=', input.userId).where('role_id', 'in', removed).execute();
    for (const roleId of added) await trx.insertInto('user_roles').values({ user_id: input.userId, role_id: roleId, granted_by: p.userId }).execute();
    if (added.length || removed.length) {
      // A privilege change starts a new session: the person signs in again under the new roles.
      if (input.userId !== p.userId) await revokeUserSessions(trx, input.userId, 'roles changed');
      await deps.audit.append(trx, { ...auditBase(p, client), action: 'user.roles_change', object: { type: 'user', id: input.userId }, result: 'success', details: { added, removed } });
    }
  });
}

export async function setUserTeams(deps: UsersDeps, p: Principal, client: ClientInfo, input: { userId: string; teamIds: string[] }): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').where('id', '=', input.userId).where('org_id', '=', p.orgId).select('id').executeTakeFirst();
    if (!user) throw new AppError('not_found', 'No such user.');
    const teams = input.teamIds.length ? await trx.selectFrom('teams').where('org_id', '=', p.orgId).where('id', 'in', input.teamIds).select('id').execute() : [];
    if (teams.length !== new Set(input.teamIds).size) throw new AppError('validation_failed', 'Unknown team.');
    const current = (await trx.selectFrom('team_members').where('user_id', '=', input.userId).select('team_id').execute()).map((r) => r.team_id);
    const added = input.teamIds.filter((t) => !current.includes(t));
    const removed = current.filter((t) => !input.teamIds.includes(t));
    if (removed.length) await trx.deleteFrom('team_members').where('user_id', '=', input.userId).where('team_id', 'in', removed).execute();
    for (const teamId of added) await trx.insertInto('team_members').values({ team_id: teamId, user_id: input.userId, added_by: p.userId }).execute();
    if (added.length || removed.length) {
      await deps.audit.append(trx, { ...auditBase(p, client), action: 'user.teams_change', object: { type: 'user', id: input.userId }, result: 'success', details: { added, removed } });
    }
  });
}

export async function listRoles(db: Kysely<Database>, orgId: string) {
  const roles = await db.selectFrom('roles').where('org_id', '=', orgId).orderBy('built_in', 'desc').orderBy('name').selectAll().execute();
  const grants = roles.length ? await db.selectFrom('role_permissions').where('role_id', 'in', roles.map((r) => r.id)).selectAll().execute() : [];
  return roles.map((r) => ({
    id: r.id,
    key: r.key,
    name: r.name,
    builtIn: r.built_in,
    requirePhishingResistant: r.require_phishing_resistant,
    allowedCidrs: r.allowed_cidrs,
    grants: grants.filter((g) => g.role_id === r.id).map((g) => ({ permission: g.permission, scope: g.scope })),
  }));
}

export interface RoleInput {
  key: string;
  name: string;
  grants: Grant[];
  requirePhishingResistant: boolean;
  allowedCidrs: string[];
}

function checkGrants(grants: Grant[]): Array<{ permission: Permission; scope: Scope }> {
  const seen = new Set<string>();
  return grants.map((g) => {
    if (!isPermission(g.permission)) throw new AppError('validation_failed', `Unknown permission ${g.permission}.`);
    if (seen.has(g.permission)) throw new AppError('validation_failed', `Permission ${g.permission} is listed twice.`);
    seen.add(g.permission);
    return { permission: g.permission, scope: g.scope };
  });
}

export async function createRole(deps: UsersDeps, p: Principal, client: ClientInfo, input: RoleInput): Promise<string> {
  const grants = checkGrants(input.grants);
  assertCanGrant(p, grants);
  validateCidrs(input.allowedCidrs);
  const id = randomUUID();
  await deps.db.transaction().execute(async (trx) => {
    const clash = await trx.selectFrom('roles').where('org_id', '=', p.orgId).where('key', '=', input.key).select('id').executeTakeFirst();
    if (clash) throw new AppError('conflict', 'A role with this key exists.');
    await trx.insertInto('roles').values({ id, org_id: p.orgId, key: input.key, name: input.name, built_in: false, require_phishing_resistant: input.requirePhishingResistant, allowed_cidrs: input.allowedCidrs }).execute();
    if (grants.length) await trx.insertInto('role_permissions').values(grants.map((g) => ({ role_id: id, ...g }))).execute();
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'role.create', object: { type: 'role', id }, result: 'success', details: { grants } });
  });
  return id;
}

export async function updateRole(deps: UsersDeps, p: Principal, client: ClientInfo, roleId: string, input: Omit<RoleInput, 'key'>): Promise<void> {
  const grants = checkGrants(input.grants);
  assertCanGrant(p, grants);
  validateCidrs(input.allowedCidrs);
  await deps.db.transaction().execute(async (trx) => {
    const role = await trx.selectFrom('roles').where('id', '=', roleId).where('org_id', '=', p.orgId).select(['id', 'built_in']).executeTakeFirst();
    if (!role) throw new AppError('not_found', 'No such role.');
    if (role.built_in) throw new AppError('conflict', 'Built-in roles cannot be changed; create a custom role instead.');
    await trx.updateTable('roles').set({ name: input.name, require_phishing_resistant: input.requirePhishingResistant, allowed_cidrs: input.allowedCidrs }).where('id', '=', roleId).execute();
    await trx.deleteFrom('role_permissions').where('role_id', '=', roleId).execute();
    if (grants.length) await trx.insertInto('role_permissions').values(grants.map((g) => ({ role_id: roleId, ...g }))).execute();
    const members = await trx.selectFrom('user_roles').where('role_id', '=', roleId).select('user_id').execute();
    for (const m of members) if (m.user_id !== p.userId) await revokeUserSessions(trx, m.user_id, 'role changed');
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'role.update', object: { type: 'role', id: roleId }, result: 'success', details: { grants } });
  });
}

export async function deleteRole(deps: UsersDeps, p: Principal, client: ClientInfo, roleId: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const role = await trx.selectFrom('roles').where('id', '=', roleId).where('org_id', '=', p.orgId).select(['id', 'built_in']).executeTakeFirst();
    if (!role) throw new AppError('not_found', 'No such role.');
    if (role.built_in) throw new AppError('conflict', 'Built-in roles cannot be deleted.');
    const members = await trx.selectFrom('user_roles').where('role_id', '=', roleId).select('user_id').execute();
    for (const m of members) await revokeUserSessions(trx, m.user_id, 'role deleted');
    await trx.deleteFrom('roles').where('id', '=', roleId).execute();
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'role.delete', object: { type: 'role', id: roleId }, result: 'success' });
  });
}

export async function listTeams(db: Kysely<Database>, orgId: string) {
  const teams = await db.selectFrom('teams').where('org_id', '=', orgId).orderBy('name').select(['id', 'name']).execute();
  const members = teams.length ? await db.selectFrom('team_members').where('team_id', 'in', teams.map((t) => t.id)).select(['team_id', 'user_id']).execute() : [];
  return teams.map((t) => ({ id: t.id, name: t.name, memberIds: members.filter((m) => m.team_id === t.id).map((m) => m.user_id) }));
}

export async function createTeam(deps: UsersDeps, p: Principal, client: ClientInfo, name: string): Promise<string> {
  const id = randomUUID();
  await deps.db.transaction().execute(async (trx) => {
    const clash = await trx.selectFrom('teams').where('org_id', '=', p.orgId).where('name', '=', name).select('id').executeTakeFirst();
    if (clash) throw new AppError('conflict', 'A team with this name exists.');
    await trx.insertInto('teams').values({ id, org_id: p.orgId, name }).execute();
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'team.create', object: { type: 'team', id }, result: 'success' });
  });
  return id;
}

export async function renameTeam(deps: UsersDeps, p: Principal, client: ClientInfo, teamId: string, name: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const team = await trx.selectFrom('teams').where('id', '=', teamId).where('org_id', '=', p.orgId).select(['id', 'name']).executeTakeFirst();
    if (!team) throw new AppError('not_found', 'No such team.');
    if (team.name === name) return;
    const clash = await trx.selectFrom('teams').where('org_id', '=', p.orgId).where('name', '=', name).where('id', '<>', teamId).select('id').executeTakeFirst();
    if (clash) throw new AppError('conflict', 'A team with this name exists.');
    await trx.updateTable('teams').set({ name }).where('id', '=', teamId).execute();
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'team.rename', object: { type: 'team', id: teamId }, result: 'success' });
  });
}

/**
 * Deletes a team nothing else points at. Tickets, mailboxes and access reviews
 * of the team would otherwise lose who may see them, so those refuse (409)
 * until they are moved; memberships and routing-rule targets go with the team.
 */
export async function deleteTeam(deps: UsersDeps, p: Principal, client: ClientInfo, teamId: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const team = await trx.selectFrom('teams').where('id', '=', teamId).where('org_id', '=', p.orgId).select('id').executeTakeFirst();
    if (!team) throw new AppError('not_found', 'No such team.');
    const ticket = await trx.selectFrom('tickets').where('team_id', '=', teamId).select('id').limit(1).executeTakeFirst();
    const mailbox = await trx.selectFrom('mailboxes').where('team_id', '=', teamId).select('id').limit(1).executeTakeFirst();
    const review = await trx.selectFrom('access_review_campaigns').where('team_id', '=', teamId).select('id').limit(1).executeTakeFirst();
    if (ticket || mailbox || review) {
      const what = [ticket ? 'tickets' : '', mailbox ? 'inbound addresses' : '', review ? 'access reviews' : ''].filter(Boolean).join(', ');
      throw new AppError('conflict', `This team still has ${what}; move them to another team first.`);
    }
    await trx.deleteFrom('teams').where('id', '=', teamId).execute();
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'team.delete', object: { type: 'team', id: teamId }, result: 'success' });
  });
}

export async function setOrganizationAllowlist(deps: UsersDeps, p: Principal, client: ClientInfo, allowedCidrs: string[]): Promise<void> {
  validateCidrs(allowedCidrs);
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('organizations').set({ allowed_cidrs: allowedCidrs }).where('id', '=', p.orgId).execute();
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'policy.allowlist_change', object: { type: 'organization', id: p.orgId }, result: 'success', details: { allowedCidrs } });
  });
}

export async function revokeSessionsOf(deps: UsersDeps, p: Principal, client: ClientInfo, userId: string): Promise<number> {
  return deps.db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').where('id', '=', userId).where('org_id', '=', p.orgId).select('id').executeTakeFirst();
    if (!user) throw new AppError('not_found', 'No such user.');
    const n = await revokeUserSessions(trx, userId, 'revoked by administrator');
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'session.revoke_all', object: { type: 'user', id: userId }, result: 'success', details: { sessions: n } });
    return n;
  });
}
