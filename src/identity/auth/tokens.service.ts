/**
 * API tokens: personal (act as me, within scopes) and service (owned by a
 * dedicated account, created by someone holding tokens.manage). The raw token
 * is shown once; the database keeps its hash, a short prefix for recognition,
 * last use time and address. A token can never do more than its owner.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import { MAX_TOKEN_DAYS } from '../../platform/http/schemas/users.js';
import type { ClientInfo } from './auth.service.js';
import { SUSPENDED_MESSAGE } from '../organizations/status.js';
import { isPermission } from './permissions.js';
import { loadUserAccess } from './principals.js';
import { hashSecret, newSecret } from './secrets.js';

export { MAX_TOKEN_DAYS };

export interface TokenDeps {
  db: Kysely<Database>;
  audit: AuditLog;
}

export interface CreateTokenInput {
  ownerId: string;
  name: string;
  scopes: string[];
  expiresInDays: number;
  kind: 'personal' | 'service';
}

/** Creates a token; `actor` is who asks (null for the CLI run by the operator). Returns the raw token once. */
export async function createApiToken(
  deps: TokenDeps,
  actor: { userId: string; orgId: string; canManageTokens: boolean } | null,
  client: ClientInfo,
  input: CreateTokenInput,
): Promise<{ id: string; token: string; expiresAt: Date }> {
  if (!Number.isInteger(input.expiresInDays) || input.expiresInDays < 1 || input.expiresInDays > MAX_TOKEN_DAYS) {
    throw new AppError('validation_failed', `Tokens expire after 1 to ${MAX_TOKEN_DAYS} days.`);
  }
  const unknown = input.scopes.filter((s) => !isPermission(s));
  if (unknown.length || input.scopes.length === 0) throw new AppError('validation_failed', `Unknown or missing scopes: ${unknown.join(', ') || '(none)'}.`);
  const owner = await loadUserAccess(deps.db, input.ownerId);
  if (!owner || owner.status !== 'active' || owner.orgStatus === 'deleted') throw new AppError('not_found', 'No such active user.');
  if (owner.orgStatus !== 'active') throw new AppError('forbidden', SUSPENDED_MESSAGE);
  if (actor) {
    if (owner.orgId !== actor.orgId) throw new AppError('not_found', 'No such active user.');
    if ((input.ownerId !== actor.userId || input.kind === 'service') && !actor.canManageTokens) {
      throw new AppError('forbidden', 'Only token managers create service tokens or tokens for others.');
    }
  }
  const missing = input.scopes.filter((s) => !owner.permissions.has(s as never));
  if (missing.length) throw new AppError('forbidden', `The owner does not hold: ${missing.join(', ')}.`);
  const token = newSecret('tdt');
  const id = randomUUID();
  const expiresAt = new Date(Date.now() + input.expiresInDays * 86_400_000);
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('api_tokens')
      .values({ id, org_id: owner.orgId, user_id: owner.userId, kind: input.kind, name: input.name, token_hash: hashSecret(token), prefix: token.slice(0, 10), scopes: input.scopes, expires_at: expiresAt, created_by: actor?.userId ?? null })
      .execute();
    await deps.audit.append(trx, {
      orgId: owner.orgId,
      actor: actor ? { type: 'user', id: actor.userId } : { type: 'system', id: 'cli' },
      action: 'token.create',
      object: { type: 'token', id },
      result: 'success',
      details: { owner: owner.userId, kind: input.kind, scopes: input.scopes, expiresAt: expiresAt.toISOString() },
      requestId: client.requestId,
      sourceIp: client.ip,
    });
  });
  return { id, token, expiresAt };
}

export async function listApiTokens(db: Kysely<Database>, orgId: string, ownerId: string | null) {
  let q = db.selectFrom('api_tokens').where('org_id', '=', orgId).orderBy('created_at', 'desc');
  if (ownerId) q = q.where('user_id', '=', ownerId);
  const rows = await q.select(['id', 'user_id', 'kind', 'name', 'prefix', 'scopes', 'expires_at', 'created_at', 'last_used_at', 'last_used_ip', 'revoked_at']).execute();
  return rows.map((t) => ({
    id: t.id,
    userId: t.user_id,
    kind: t.kind,
    name: t.name,
    prefix: t.prefix,
    scopes: t.scopes,
    expiresAt: t.expires_at.toISOString(),
    createdAt: t.created_at.toISOString(),
    lastUsedAt: t.last_used_at?.toISOString() ?? null,
    lastUsedIp: t.last_used_ip,
    revoked: t.revoked_at !== null,
  }));
}

export async function revokeApiToken(deps: TokenDeps, actor: { userId: string; orgId: string; canManageTokens: boolean }, client: ClientInfo, tokenId: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const t = await trx.selectFrom('api_tokens').where('id', '=', tokenId).where('org_id', '=', actor.orgId).select(['user_id', 'revoked_at']).executeTakeFirst();
    if (!t || (t.user_id !== actor.userId && !actor.canManageTokens)) throw new AppError('not_found', 'No such token.');
    if (!t.revoked_at) await trx.updateTable('api_tokens').set({ revoked_at: new Date() }).where('id', '=', tokenId).execute();
    await deps.audit.append(trx, { orgId: actor.orgId, actor: { type: 'user', id: actor.userId }, action: 'token.revoke', object: { type: 'token', id: tokenId }, result: 'success', requestId: client.requestId, sourceIp: client.ip });
  });
}

/**
 * Revokes every live token a staff member owns (an incident's containment, or
 * an administrator's). Another organisation's user is "not found".
 */
export async function revokeUserApiTokens(deps: TokenDeps, actor: { userId: string; orgId: string; tokenId?: string | undefined }, client: ClientInfo, ownerId: string): Promise<number> {
  return deps.db.transaction().execute(async (trx) => {
    const owner = await trx.selectFrom('users').where('id', '=', ownerId).where('org_id', '=', actor.orgId).select('id').executeTakeFirst();
    if (!owner) throw new AppError('not_found', 'No such user.');
    const r = await trx.updateTable('api_tokens').set({ revoked_at: new Date() }).where('user_id', '=', ownerId).where('org_id', '=', actor.orgId).where('revoked_at', 'is', null).executeTakeFirst();
    const revoked = Number(r.numUpdatedRows);
    await deps.audit.append(trx, { orgId: actor.orgId, actor: actor.tokenId ? { type: 'token', id: actor.tokenId } : { type: 'user', id: actor.userId }, action: 'token.revoke_all', object: { type: 'user', id: ownerId }, result: 'success', details: { revoked }, requestId: client.requestId, sourceIp: client.ip });
    return revoked;
  });
}
