/**
 * All SQL for access reviews: the snapshot of who holds what, the permissions
 * people exercised according to the audit trail, campaigns and items, and the
 * removal of access. Returns rows; the service turns them into views.
 */
import { sql, type Expression, type ExpressionBuilder, type Selectable, type SqlBool } from 'kysely';
import { scopeOf, type Principal } from '../auth/access.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import type { AccessReviewCampaignsTable, AccessReviewItemsTable, Database } from '../../platform/db/schema.js';
import './schema.js';
import '../scim/schema.js';
import { ACTION_PERMISSIONS } from './usage.js';

export type CampaignRow = Selectable<AccessReviewCampaignsTable>;
export type ItemRow = Selectable<AccessReviewItemsTable>;

/**
 * People in a campaign's scope: the organisation's staff (or one team's members), deactivated accounts excepted,
 * unless they were deprovisioned over SCIM since the last review (they are shown, flagged, once: decision 0208).
 */
function scopedUsers(orgId: string, teamId: string | null) {
  return sql`SELECT u.id FROM users u
    WHERE u.org_id = ${orgId}
      AND (u.status <> 'deactivated' OR EXISTS (SELECT 1 FROM scim_deprovisionings d WHERE d.user_id = u.id AND d.org_id = ${orgId} AND d.campaign_id IS NULL))
      AND (${teamId}::uuid IS NULL OR EXISTS (SELECT 1 FROM team_members tm WHERE tm.user_id = u.id AND tm.team_id = ${teamId}::uuid))`;
}

export interface AccessSnapshot {
  users: Array<{ id: string; email: string; name: string; last_signin_at: Date | null; deprovisioned: boolean }>;
  roles: Array<{ user_id: string; role_id: string; key: string; name: string }>;
  grants: Array<{ role_id: string; permission: string }>;
  teams: Array<{ user_id: string; team_id: string; name: string }>;
}

/**
 * Who holds which role and team membership in scope. A team campaign covers
 * that team's memberships and the roles whose every grant reaches no further
 * than a team (decision 0060): roles with organisation-wide reach are reviewed
 * in an organisation-wide campaign.
 */
export async function loadAccessSnapshot(db: Executor, options: { orgId: string; teamId: string | null }): Promise<AccessSnapshot> {
  const { orgId, teamId } = options;
  const scoped = scopedUsers(orgId, teamId);
  const users = await db
    .selectFrom('users')
    .where('id', 'in', sql<string>`(${scoped})`)
    .select(['id', 'email', 'name', 'last_signin_at'])
    .select(sql<boolean>`EXISTS (SELECT 1 FROM scim_deprovisionings d WHERE d.user_id = users.id AND d.org_id = ${orgId} AND d.campaign_id IS NULL)`.as('deprovisioned'))
    .orderBy('email')
    .execute();
  let rolesQuery = db
    .selectFrom('user_roles')
    .innerJoin('roles', 'roles.id', 'user_roles.role_id')
    .where('roles.org_id', '=', orgId)
    .where('user_roles.user_id', 'in', sql<string>`(${scoped})`)
    .select(['user_roles.user_id', 'user_roles.role_id', 'roles.key', 'roles.name']);
  if (teamId) {
    rolesQuery = rolesQuery.where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('role_permissions').whereRef('role_permissions.role_id', '=', 'roles.id').where('role_permissions.scope', '=', 'org').select('role_permissions.role_id'))),
    );
  }
  const roles = await rolesQuery.execute();
  const roleIds = [...new Set(roles.map((r) => r.role_id))];
  const grants = roleIds.length
    ? await db.selectFrom('role_permissions').where('role_id', 'in', roleIds).select(['role_id', 'permission']).orderBy('permission').execute()
    : [];
  let teamsQuery = db
    .selectFrom('team_members')
    .innerJoin('teams', 'teams.id', 'team_members.team_id')
    .where('teams.org_id', '=', orgId)
    .where('team_members.user_id', 'in', sql<string>`(${scoped})`)
    .select(['team_members.user_id', 'team_members.team_id', 'teams.name']);
  if (teamId) teamsQuery = teamsQuery.where('team_members.team_id', '=', teamId);
  const teams = await teamsQuery.execute();
  return { users, roles, grants, teams };
}

/**
 * (person, permission) pairs exercised since `since`, matched in SQL from the
 * audit trail: successful events whose actor is the person, or one of their
 * API tokens, mapped to permissions by ACTION_PERMISSIONS.
 */
export async function findExercisedPermissions(db: Executor, options: { orgId: string; teamId: string | null; since: Date }): Promise<Array<{ user_id: string; permission: string }>> {
  const mapping = sql.join(ACTION_PERMISSIONS.map(([pattern, permission]) => sql`(${pattern}::text, ${permission}::text)`));
  const result = await sql<{ user_id: string; permission: string }>`
    WITH scoped AS (${scopedUsers(options.orgId, options.teamId)}),
    actors AS (
      SELECT 'user'::text AS actor_type, s.id::text AS actor_id, s.id AS user_id FROM scoped s
      UNION ALL
      SELECT 'token'::text, t.id::text, t.user_id FROM api_tokens t JOIN scoped s ON s.id = t.user_id
    ),
    mapping (pattern, permission) AS (VALUES ${mapping})
    SELECT DISTINCT actors.user_id::text AS user_id, mapping.permission
    FROM audit_log a
    JOIN actors ON a.actor_id = actors.actor_id AND a.actor_type = actors.actor_type
    JOIN mapping ON a.action = mapping.pattern
      OR (right(mapping.pattern, 1) = '.' AND left(a.action, length(mapping.pattern)) = mapping.pattern)
    WHERE a.org_id = ${options.orgId} AND a.ts >= ${options.since} AND a.result = 'success'`.execute(db);
  return result.rows;
}

export async function insertItems(trx: Executor, items: Array<Parameters<typeof insertItemValues>[0]>): Promise<void> {
  for (let i = 0; i < items.length; i += 500) {
    await trx.insertInto('access_review_items').values(items.slice(i, i + 500).map(insertItemValues)).execute();
  }
}

function insertItemValues(v: {
  id: string; campaign_id: string; user_id: string; kind: 'role' | 'team'; role_id: string | null; team_id: string | null;
  dormant: boolean; unused_permissions: string[]; subject_email: string; subject_name: string; role_key: string | null;
  role_name: string | null; team_name: string | null; last_signin_at: Date | null; granted_permissions: string[]; deprovisioned: boolean;
}) {
  return { ...v, decision: null, decided_by: null, decided_at: null, comment: null, applied_at: null };
}

export async function findCampaign(db: Executor, id: string, options: { lock?: 'share' | 'update' } = {}): Promise<CampaignRow | undefined> {
  let q = db.selectFrom('access_review_campaigns').where('id', '=', id).selectAll();
  if (options.lock === 'share') q = q.forShare();
  if (options.lock === 'update') q = q.forUpdate();
  return q.executeTakeFirst();
}

/** The campaigns `p` may see, as a WHERE condition (mirrors canViewCampaign in policy.ts). */
export function visibleCampaigns(p: Principal) {
  return (eb: ExpressionBuilder<Database, 'access_review_campaigns'>): Expression<SqlBool> => {
    const manage = scopeOf(p, 'reviews.manage');
    const either: Array<Expression<SqlBool>> = [];
    if (manage === 'org') either.push(sql<SqlBool>`true`);
    if (manage === 'team' && p.teamIds.length > 0) either.push(eb('access_review_campaigns.team_id', 'in', [...p.teamIds]));
    if (scopeOf(p, 'reviews.decide')) either.push(eb('access_review_campaigns.reviewer_id', '=', p.userId));
    if (either.length === 0) return sql<SqlBool>`false`;
    return eb.and([eb('access_review_campaigns.org_id', '=', p.orgId), eb.or(either)]);
  };
}

export async function listVisibleCampaigns(db: Executor, p: Principal, options: { status?: 'open' | 'closed' | undefined; limit: number }): Promise<CampaignRow[]> {
  let q = db.selectFrom('access_review_campaigns').where(visibleCampaigns(p)).selectAll().orderBy('created_at', 'desc').orderBy('id').limit(options.limit);
  if (options.status) q = q.where('status', '=', options.status);
  return q.execute();
}

export interface ItemCounts { total: number; certified: number; revoked: number; undecided: number }

export async function countItems(db: Executor, campaignIds: string[]): Promise<Map<string, ItemCounts>> {
  const out = new Map<string, ItemCounts>(campaignIds.map((id) => [id, { total: 0, certified: 0, revoked: 0, undecided: 0 }]));
  if (campaignIds.length === 0) return out;
  const rows = await db
    .selectFrom('access_review_items')
    .where('campaign_id', 'in', campaignIds)
    .select(['campaign_id', 'decision', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy(['campaign_id', 'decision'])
    .execute();
  for (const r of rows) {
    const c = out.get(r.campaign_id);
    if (!c) continue;
    const n = Number(r.n);
    c.total += n;
    if (r.decision === 'certify') c.certified += n;
    else if (r.decision === 'revoke') c.revoked += n;
    else c.undecided += n;
  }
  return out;
}

export async function teamNames(db: Executor, teamIds: Array<string | null>): Promise<Map<string, string>> {
  const ids = [...new Set(teamIds.filter((t): t is string => t !== null))];
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('teams').where('id', 'in', ids).select(['id', 'name']).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

export async function listItems(db: Executor, campaignId: string, options: { undecidedOnly?: boolean } = {}): Promise<ItemRow[]> {
  let q = db.selectFrom('access_review_items').where('campaign_id', '=', campaignId).selectAll().orderBy('subject_email').orderBy('kind').orderBy('role_key').orderBy('team_name').orderBy('id');
  if (options.undecidedOnly) q = q.where('decision', 'is', null);
  return q.execute();
}

/** Records a decision once: a second attempt (or a concurrent one) finds nothing to update. */
export async function claimDecision(trx: Executor, v: { itemId: string; campaignId: string; decision: 'certify' | 'revoke'; decidedBy: string | null; comment: string; now: Date }): Promise<ItemRow | undefined> {
  return trx
    .updateTable('access_review_items')
    .set({ decision: v.decision, decided_by: v.decidedBy, decided_at: v.now, comment: v.comment })
    .where('id', '=', v.itemId)
    .where('campaign_id', '=', v.campaignId)
    .where('decision', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/** Removes the role or team membership an item stands for. False if it was already gone. */
export async function removeAccess(trx: Executor, item: Pick<ItemRow, 'kind' | 'user_id' | 'role_id' | 'team_id'>): Promise<boolean> {
  if (item.kind === 'role') {
    if (!item.role_id) return false;
    const r = await trx.deleteFrom('user_roles').where('user_id', '=', item.user_id).where('role_id', '=', item.role_id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
  if (!item.team_id) return false;
  const r = await trx.deleteFrom('team_members').where('user_id', '=', item.user_id).where('team_id', '=', item.team_id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function markApplied(trx: Executor, itemId: string, now: Date): Promise<ItemRow> {
  return trx.updateTable('access_review_items').set({ applied_at: now }).where('id', '=', itemId).returningAll().executeTakeFirstOrThrow();
}

/**
 * Would removing this role from this person leave the organisation with no
 * active member of staff who can manage roles? Then nobody could repair it.
 */
export async function isLastRoleManager(trx: Executor, v: { orgId: string; userId: string; roleId: string }): Promise<boolean> {
  // Two revocations checking at once could each see the other's role manager and both proceed: serialise them per organisation.
  await sql`SELECT pg_advisory_xact_lock(7470060, hashtext(${v.orgId}))`.execute(trx);
  const row = await trx
    .selectFrom('user_roles')
    .innerJoin('users', 'users.id', 'user_roles.user_id')
    .innerJoin('role_permissions', 'role_permissions.role_id', 'user_roles.role_id')
    .where('users.org_id', '=', v.orgId)
    .where('users.status', '=', 'active')
    .where('role_permissions.permission', '=', 'roles.manage')
    .where('role_permissions.scope', '=', 'org')
    .where((eb) => eb.not(eb.and([eb('user_roles.user_id', '=', v.userId), eb('user_roles.role_id', '=', v.roleId)])))
    .select('user_roles.user_id')
    .limit(1)
    .executeTakeFirst();
  if (row) return false;
  // Nobody else holds it: the removal matters only if this role is what gives it.
  const grants = await trx.selectFrom('role_permissions').where('role_id', '=', v.roleId).where('permission', '=', 'roles.manage').where('scope', '=', 'org').select('role_id').executeTakeFirst();
  return Boolean(grants);
}

/** Closes an open campaign once; undefined if it was already closed (by a person or another instance). */
export async function markClosed(trx: Executor, v: { id: string; closedBy: string | null; reason: 'manual' | 'deadline'; now: Date }): Promise<CampaignRow | undefined> {
  return trx
    .updateTable('access_review_campaigns')
    .set({ status: 'closed', closed_at: v.now, closed_by: v.closedBy, close_reason: v.reason })
    .where('id', '=', v.id)
    .where('status', '=', 'open')
    .returningAll()
    .executeTakeFirst();
}

export async function findDueCampaigns(db: Executor, now: Date): Promise<CampaignRow[]> {
  return db.selectFrom('access_review_campaigns').where('status', '=', 'open').where('deadline', '<=', now).selectAll().orderBy('deadline').limit(100).execute();
}

/** Open campaigns with undecided items whose reviewer was not reminded in the last `intervalMs`. */
export async function findCampaignsToRemind(db: Executor, v: { now: Date; intervalMs: number }): Promise<CampaignRow[]> {
  const before = new Date(v.now.getTime() - v.intervalMs);
  return db
    .selectFrom('access_review_campaigns')
    .where('status', '=', 'open')
    .where('deadline', '>', v.now)
    .where('reviewer_id', 'is not', null)
    .where((eb) => eb.or([eb('last_reminder_at', 'is', null), eb('last_reminder_at', '<=', before)]))
    .where(({ exists, selectFrom }) => exists(selectFrom('access_review_items').whereRef('access_review_items.campaign_id', '=', 'access_review_campaigns.id').where('access_review_items.decision', 'is', null).select('access_review_items.id')))
    .selectAll()
    .limit(100)
    .execute();
}

/** Claims today's reminder for a campaign; false if another run (or instance) already sent it. */
export async function claimReminder(trx: Executor, v: { id: string; now: Date; intervalMs: number }): Promise<boolean> {
  const before = new Date(v.now.getTime() - v.intervalMs);
  const r = await trx
    .updateTable('access_review_campaigns')
    .set({ last_reminder_at: v.now })
    .where('id', '=', v.id)
    .where('status', '=', 'open')
    .where((eb) => eb.or([eb('last_reminder_at', 'is', null), eb('last_reminder_at', '<=', before)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
