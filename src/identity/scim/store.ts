/**
 * All SQL for SCIM resources: staff and teams of one organisation as StoredUser
 * and StoredGroup, read under a row lock when they are about to change.
 * Service accounts (…@….service.invalid) are not staff the provider manages,
 * and people deleted over SCIM are gone from SCIM (they stay, deactivated).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import type { StoredGroup, StoredUser } from './present.js';
import './schema.js';

type Db = Kysely<Database>;
const SERVICE_ACCOUNTS = '%.service.invalid';

export interface UserNarrowing {
  id?: string;
  userName?: string;
  externalId?: string;
  email?: string;
}

export async function loadUsers(db: Db, orgId: string, narrow: UserNarrowing = {}, options: { lock?: boolean } = {}): Promise<StoredUser[]> {
  let q = db
    .selectFrom('users')
    .leftJoin('scim_users', 'scim_users.user_id', 'users.id')
    .where('users.org_id', '=', orgId)
    .where('users.email', 'not like', SERVICE_ACCOUNTS)
    .where('scim_users.deleted_at', 'is', null)
    .select([
      'users.id', 'users.email', 'users.name', 'users.status', 'users.created_at',
      'scim_users.user_name', 'scim_users.external_id', 'scim_users.given_name', 'scim_users.family_name', 'scim_users.display_name', 'scim_users.updated_at',
    ]);
  if (narrow.id !== undefined) q = q.where('users.id', '=', narrow.id);
  if (narrow.userName !== undefined) q = q.where(sql<string>`lower(coalesce(scim_users.user_name, users.email))`, '=', narrow.userName.toLowerCase());
  if (narrow.externalId !== undefined) q = q.where('scim_users.external_id', '=', narrow.externalId);
  if (narrow.email !== undefined) q = q.where('users.email', '=', narrow.email.toLowerCase());
  if (options.lock) q = q.forUpdate('users');
  const rows = await q.execute();
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const groups = await db
    .selectFrom('team_members')
    .innerJoin('teams', 'teams.id', 'team_members.team_id')
    .where('team_members.user_id', 'in', ids)
    .where('teams.org_id', '=', orgId)
    .select(['team_members.user_id', 'teams.id', 'teams.name'])
    .orderBy('teams.name')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    name: r.name,
    status: r.status,
    createdAt: r.created_at,
    userName: r.user_name,
    externalId: r.external_id,
    givenName: r.given_name,
    familyName: r.family_name,
    displayName: r.display_name,
    updatedAt: r.updated_at,
    groups: groups.filter((g) => g.user_id === r.id).map((g) => ({ id: g.id, name: g.name })),
  }));
}

export interface GroupNarrowing {
  id?: string;
  displayName?: string;
  externalId?: string;
}

export async function loadGroups(db: Db, orgId: string, narrow: GroupNarrowing = {}, options: { lock?: boolean; members?: boolean } = {}): Promise<StoredGroup[]> {
  let q = db
    .selectFrom('teams')
    .leftJoin('scim_groups', 'scim_groups.team_id', 'teams.id')
    .where('teams.org_id', '=', orgId)
    .where('scim_groups.deleted_at', 'is', null)
    .select(['teams.id', 'teams.name', 'teams.created_at', 'scim_groups.external_id', 'scim_groups.updated_at']);
  if (narrow.id !== undefined) q = q.where('teams.id', '=', narrow.id);
  if (narrow.displayName !== undefined) q = q.where(sql<string>`lower(teams.name)`, '=', narrow.displayName.toLowerCase());
  if (narrow.externalId !== undefined) q = q.where('scim_groups.external_id', '=', narrow.externalId);
  if (options.lock) q = q.forUpdate('teams');
  const rows = await q.execute();
  if (rows.length === 0) return [];
  const members = options.members === false
    ? []
    : await db
        .selectFrom('team_members')
        .innerJoin('users', 'users.id', 'team_members.user_id')
        .leftJoin('scim_users', 'scim_users.user_id', 'users.id')
        .where('team_members.team_id', 'in', rows.map((r) => r.id))
        .where('users.org_id', '=', orgId)
        .where('users.email', 'not like', SERVICE_ACCOUNTS)
        .where('scim_users.deleted_at', 'is', null)
        .select(['team_members.team_id', 'users.id', 'users.name'])
        .orderBy('users.id')
        .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    externalId: r.external_id,
    updatedAt: r.updated_at,
    members: members.filter((m) => m.team_id === r.id).map((m) => ({ id: m.id, name: m.name })),
  }));
}

/** Of `ids`, those that are SCIM-visible staff of the organisation. */
export async function existingUserIds(db: Db, orgId: string, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('users')
    .leftJoin('scim_users', 'scim_users.user_id', 'users.id')
    .where('users.id', 'in', ids)
    .where('users.org_id', '=', orgId)
    .where('users.email', 'not like', SERVICE_ACCOUNTS)
    .where('scim_users.deleted_at', 'is', null)
    .select('users.id')
    .execute();
  return new Set(rows.map((r) => r.id));
}
