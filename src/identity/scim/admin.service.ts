/**
 * SCIM administration: the organisation's provisioning tokens (tdp_…, hashed,
 * shown once, scoped to /scim/v2 of one organisation) and the team → role
 * mapping. Issuing a token and changing the mapping are audited in the same
 * transaction; a mapping naming a role or team that does not exist is refused
 * whole, before anything changes.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import { MAX_SCIM_TOKEN_DAYS } from '../../platform/http/schemas/scim.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import { SUSPENDED_MESSAGE } from '../organizations/status.js';
import { hashSecret, looksLikeSecret, newSecret, sameSecret } from '../auth/secrets.js';
import './schema.js';

export interface AdminDeps {
  db: Kysely<Database>;
  audit: AuditLog;
}

/** Who asks: an administrator (userId) or the operator at the CLI (null). */
export interface AdminActor {
  orgId: string;
  userId: string | null;
  requestId: string;
  ip: string | null;
}

const actorOf = (a: AdminActor) => (a.userId ? { type: 'user' as const, id: a.userId } : { type: 'system' as const, id: 'cli' });

export async function createScimToken(deps: AdminDeps, actor: AdminActor, input: { name: string; expiresInDays: number }): Promise<{ id: string; token: string; expiresAt: Date }> {
  if (!Number.isInteger(input.expiresInDays) || input.expiresInDays < 1 || input.expiresInDays > MAX_SCIM_TOKEN_DAYS) {
    throw new AppError('validation_failed', `SCIM tokens expire after 1 to ${MAX_SCIM_TOKEN_DAYS} days.`);
  }
  const name = input.name.trim();
  if (name.length < 1 || name.length > 100) throw new AppError('validation_failed', 'A token name has 1 to 100 characters.');
  const org = await deps.db.selectFrom('organizations').where('id', '=', actor.orgId).select('status').executeTakeFirst();
  if (!org) throw new AppError('not_found', 'No such organisation.');
  if (org.status !== 'active') throw new AppError('forbidden', SUSPENDED_MESSAGE);
  const token = newSecret('tdp');
  const id = randomUUID();
  const expiresAt = new Date(Date.now() + input.expiresInDays * 86_400_000);
  await deps.db.transaction().execute(async (trx) => {
    await trx.insertInto('scim_tokens').values({ id, org_id: actor.orgId, name, token_hash: hashSecret(token), prefix: token.slice(0, 10), created_by: actor.userId, expires_at: expiresAt }).execute();
    await deps.audit.append(trx, { orgId: actor.orgId, actor: actorOf(actor), action: 'scim.token_create', object: { type: 'token', id }, result: 'success', details: { name, expiresAt: expiresAt.toISOString() }, requestId: actor.requestId, sourceIp: actor.ip });
  });
  return { id, token, expiresAt };
}

export async function listScimTokens(db: Kysely<Database>, orgId: string) {
  const rows = await db.selectFrom('scim_tokens').where('org_id', '=', orgId).orderBy('created_at', 'desc').select(['id', 'name', 'prefix', 'created_at', 'expires_at', 'last_used_at', 'revoked_at']).execute();
  return rows.map((t) => ({ id: t.id, name: t.name, prefix: t.prefix, createdAt: t.created_at.toISOString(), expiresAt: t.expires_at.toISOString(), lastUsedAt: t.last_used_at?.toISOString() ?? null, revoked: t.revoked_at !== null }));
}

export async function revokeScimToken(deps: AdminDeps, actor: AdminActor, tokenId: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const t = await trx.selectFrom('scim_tokens').where('id', '=', tokenId).where('org_id', '=', actor.orgId).select('revoked_at').executeTakeFirst();
    if (!t) throw new AppError('not_found', 'No such token.');
    if (!t.revoked_at) await trx.updateTable('scim_tokens').set({ revoked_at: new Date() }).where('id', '=', tokenId).execute();
    await deps.audit.append(trx, { orgId: actor.orgId, actor: actorOf(actor), action: 'scim.token_revoke', object: { type: 'token', id: tokenId }, result: 'success', requestId: actor.requestId, sourceIp: actor.ip });
  });
}

/**
 * The organisation a SCIM token speaks for, or null (missing, malformed, unknown, expired, revoked, or the
 * organisation is not active). Refusals are audited; use is recorded at most once a minute.
 */
export async function authenticateScimToken(deps: AdminDeps, raw: string | undefined, client: { ip: string; requestId: string }): Promise<{ tokenId: string; orgId: string } | null> {
  if (!looksLikeSecret(raw, 'tdp')) return null;
  const hash = hashSecret(raw);
  const token = await deps.db
    .selectFrom('scim_tokens')
    .innerJoin('organizations', 'organizations.id', 'scim_tokens.org_id')
    .where('scim_tokens.token_hash', '=', hash)
    .select(['scim_tokens.id', 'scim_tokens.org_id', 'scim_tokens.token_hash', 'scim_tokens.expires_at', 'scim_tokens.revoked_at', 'scim_tokens.last_used_at', 'organizations.status'])
    .executeTakeFirst();
  if (!token || token.revoked_at || token.expires_at.getTime() <= Date.now() || !sameSecret(token.token_hash, hash) || token.status !== 'active') {
    await deps.audit.record({ ...(token ? { orgId: token.org_id } : {}), actor: { type: 'anonymous' }, action: 'scim.token_use', result: 'denied', requestId: client.requestId, sourceIp: client.ip });
    return null;
  }
  if (!token.last_used_at || Date.now() - token.last_used_at.getTime() > 60_000) {
    await deps.db.updateTable('scim_tokens').set({ last_used_at: new Date(), last_used_ip: client.ip.slice(0, 100) }).where('id', '=', token.id).execute();
  }
  return { tokenId: token.id, orgId: token.org_id };
}

export async function getRoleMappings(db: Kysely<Database>, orgId: string) {
  const rows = await db
    .selectFrom('scim_role_mappings')
    .innerJoin('teams', 'teams.id', 'scim_role_mappings.team_id')
    .innerJoin('roles', 'roles.id', 'scim_role_mappings.role_id')
    .where('scim_role_mappings.org_id', '=', orgId)
    .select(['teams.id as teamId', 'teams.name as teamName', 'roles.key as roleKey', 'roles.name as roleName'])
    .orderBy('teams.name')
    .orderBy('roles.key')
    .execute();
  return { mappings: rows };
}

/**
 * Replaces the whole mapping. Every team and role is checked first: one that does not exist refuses the
 * request and nothing changes. Current members of a newly mapped team get the role now; a mapping taken
 * away leaves roles already held (an administrator removes them, or the next access review does).
 */
export async function setRoleMappings(deps: AdminDeps, actor: AdminActor & { userId: string }, mappings: Array<{ teamId: string; roleKey: string }>) {
  await deps.db.transaction().execute(async (trx) => {
    const teamIds = [...new Set(mappings.map((m) => m.teamId))];
    const roleKeys = [...new Set(mappings.map((m) => m.roleKey))];
    const teams = teamIds.length ? await trx.selectFrom('teams').where('org_id', '=', actor.orgId).where('id', 'in', teamIds).select('id').execute() : [];
    const roles = roleKeys.length ? await trx.selectFrom('roles').where('org_id', '=', actor.orgId).where('key', 'in', roleKeys).select(['id', 'key']).execute() : [];
    const missingTeams = teamIds.filter((id) => !teams.some((t) => t.id === id));
    const missingRoles = roleKeys.filter((k) => !roles.some((r) => r.key === k));
    if (missingRoles.length) throw new AppError('validation_failed', `No role with the key ${missingRoles.map((k) => `"${k}"`).join(', ')} exists in this organisation; nothing was changed.`);
    if (missingTeams.length) throw new AppError('validation_failed', `No team with the id ${missingTeams.join(', ')} exists in this organisation; nothing was changed.`);
    const roleIdOf = new Map(roles.map((r) => [r.key, r.id]));
    const before = await trx.selectFrom('scim_role_mappings').where('org_id', '=', actor.orgId).select(['team_id', 'role_id']).execute();
    await trx.deleteFrom('scim_role_mappings').where('org_id', '=', actor.orgId).execute();
    const rows = [...new Map(mappings.map((m) => [`${m.teamId}/${m.roleKey}`, { org_id: actor.orgId, team_id: m.teamId, role_id: roleIdOf.get(m.roleKey)! }])).values()];
    if (rows.length) await trx.insertInto('scim_role_mappings').values(rows).execute();
    let granted = 0;
    for (const row of rows) {
      if (before.some((b) => b.team_id === row.team_id && b.role_id === row.role_id)) continue;
      const members = await trx.selectFrom('team_members').innerJoin('users', 'users.id', 'team_members.user_id').where('team_members.team_id', '=', row.team_id).where('users.status', '<>', 'deactivated').select('users.id').execute();
      if (members.length) {
        const r = await trx.insertInto('user_roles').values(members.map((m) => ({ user_id: m.id, role_id: row.role_id, granted_by: actor.userId }))).onConflict((oc) => oc.doNothing()).executeTakeFirst();
        granted += Number(r.numInsertedOrUpdatedRows ?? 0);
      }
    }
    await deps.audit.append(trx, { orgId: actor.orgId, actor: actorOf(actor), action: 'scim.role_mappings', object: { type: 'organization', id: actor.orgId }, result: 'success', details: { mappings: mappings.length, granted }, requestId: actor.requestId, sourceIp: actor.ip });
  });
  return getRoleMappings(deps.db, actor.orgId);
}
