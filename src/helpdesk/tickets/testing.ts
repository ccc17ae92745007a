/**
 * Factories for helpdesk tests: an organisation with teams, staff and a
 * mailbox, and principals built from the built-in roles exactly as the
 * authentication plugin would build them.
 */
import { randomUUID } from 'node:crypto';
import type { Principal } from '../../identity/auth/access.js';
import { mergeGrants } from '../../identity/auth/access.js';
import { BUILT_IN_ROLES } from '../../identity/auth/permissions.js';
import { createBuiltInRoles, roleIdByKey } from '../../identity/auth/principals.js';
import type { Db } from '../../platform/db/database.js';
import './schema.js';

export function buildPrincipal(options: { orgId: string; userId?: string; role: string; teamIds?: string[] }): Principal {
  const role = BUILT_IN_ROLES.find((r) => r.key === options.role);
  if (!role) throw new Error(`no built-in role ${options.role}`);
  const now = new Date();
  return {
    kind: 'session',
    userId: options.userId ?? randomUUID(),
    orgId: options.orgId,
    email: 'staff@example.test',
    name: 'Staff',
    permissions: mergeGrants(role.grants.map(([permission, scope]) => ({ permission, scope }))),
    roleKeys: [role.key],
    teamIds: options.teamIds ?? [],
    mfaAt: now,
    mfaMethod: 'totp',
    stepUpAt: now,
    requirePhishingResistant: false,
    ip: '127.0.0.1',
  };
}

export async function seedOrganization(db: Db, name = 'Acme'): Promise<string> {
  const id = randomUUID();
  await db.insertInto('organizations').values({ id, name }).execute();
  return id;
}

export async function seedTeam(db: Db, orgId: string, name = `Team ${randomUUID().slice(0, 8)}`): Promise<string> {
  const id = randomUUID();
  await db.insertInto('teams').values({ id, org_id: orgId, name }).execute();
  return id;
}

/** A staff member holding a built-in role (agent unless told; the organisation's built-in roles are created on first use). */
export async function seedStaff(db: Db, orgId: string, options: { teamIds?: string[]; name?: string; role?: string } = {}): Promise<string> {
  const id = randomUUID();
  await db.insertInto('users').values({ id, org_id: orgId, email: `staff-${id.slice(0, 8)}@example.test`, name: options.name ?? 'Staff Member', status: 'active' }).execute();
  const key = options.role ?? 'agent';
  let roleId = await roleIdByKey(db, orgId, key);
  if (!roleId) roleId = (await db.transaction().execute((trx) => createBuiltInRoles(trx, orgId)))[key] ?? null;
  if (!roleId) throw new Error(`no built-in role ${key}`);
  await db.insertInto('user_roles').values({ user_id: id, role_id: roleId }).execute();
  for (const teamId of options.teamIds ?? []) await db.insertInto('team_members').values({ team_id: teamId, user_id: id }).execute();
  return id;
}

export async function seedMailbox(db: Db, orgId: string, address: string, teamId: string | null, name = 'Support'): Promise<string> {
  const id = randomUUID();
  await db.insertInto('mailboxes').values({ id, org_id: orgId, address: address.toLowerCase(), name, team_id: teamId }).execute();
  return id;
}
