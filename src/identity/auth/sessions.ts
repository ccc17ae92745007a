/**
 * Server-side staff sessions. The cookie holds a random token; the database
 * holds only its hash. A session expires after an idle period and at an
 * absolute lifetime; it gets a new id at sign-in and whenever its privileges
 * change (second factor verified), so a fixated or stolen pre-MFA id is worthless.
 */
import { createHmac } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Executor } from '../../protection/crypto/keyring.js';
import type { Database, SessionsTable } from '../../platform/db/schema.js';
import { hashSecret, looksLikeSecret, newSecret } from './secrets.js';

export const SESSION_COOKIE = 'td_session';

export interface SessionPolicy {
  idleMs: number;
  absoluteMs: number;
}

export interface NewSession {
  token: string;
  idHash: Buffer;
  expiresAt: Date;
}

export type SessionRow = Omit<Selectable<SessionsTable>, 'csrf_hash' | 'revoked_at' | 'revoked_reason'>;

export async function createSession(
  exec: Executor,
  input: { userId: string; orgId: string; ip: string | null; userAgent: string | null; policy: SessionPolicy; mfa?: { at: Date; method: string } | null; createdAt?: Date; signinMethod?: 'password' | 'sso' },
): Promise<NewSession> {
  const token = newSecret('tds');
  const idHash = hashSecret(token);
  const now = new Date();
  const createdAt = input.createdAt ?? now;
  const expiresAt = new Date(createdAt.getTime() + input.policy.absoluteMs);
  await exec
    .insertInto('sessions')
    .values({
      id_hash: idHash,
      user_id: input.userId,
      org_id: input.orgId,
      csrf_hash: hashSecret(`csrf:${token}`),
      created_at: createdAt,
      last_seen_at: now,
      expires_at: expiresAt,
      mfa_at: input.mfa?.at ?? null,
      mfa_method: input.mfa?.method ?? null,
      ip: input.ip?.slice(0, 100) ?? null,
      user_agent: input.userAgent?.slice(0, 300) ?? null,
      signin_method: input.signinMethod ?? 'password',
    })
    .execute();
  return { token, idHash, expiresAt };
}

/** The live session for a raw token, or null (unknown, revoked, idle too long, past its lifetime). */
export async function findLiveSession(db: Kysely<Database>, token: unknown, policy: SessionPolicy, now = new Date()): Promise<SessionRow | null> {
  if (!looksLikeSecret(token, 'tds')) return null;
  const row = await db
    .selectFrom('sessions')
    .where('id_hash', '=', hashSecret(token))
    .where('revoked_at', 'is', null)
    .select(['id_hash', 'user_id', 'org_id', 'created_at', 'last_seen_at', 'expires_at', 'mfa_at', 'mfa_method', 'step_up_at', 'ip', 'user_agent', 'signin_method', 'device_id'])
    .executeTakeFirst();
  if (!row) return null;
  if (row.expires_at.getTime() <= now.getTime()) return null;
  if (now.getTime() - row.last_seen_at.getTime() > policy.idleMs) return null;
  return row;
}

/** Marks activity, at most once a minute per session so reads stay cheap. */
export async function touchSession(db: Kysely<Database>, row: SessionRow, now = new Date()): Promise<void> {
  if (now.getTime() - row.last_seen_at.getTime() < 60_000) return;
  await db.updateTable('sessions').set({ last_seen_at: now }).where('id_hash', '=', Buffer.from(row.id_hash)).execute();
}

/**
 * Replaces a session with a new id carrying the same lifetime (privilege
 * change: second factor verified, roles changed). The old id stops working.
 */
export async function rotateSession(
  exec: Executor,
  old: SessionRow,
  input: { ip: string | null; userAgent: string | null; policy: SessionPolicy; mfa?: { at: Date; method: string } | null; reason: string },
): Promise<NewSession> {
  await exec
    .updateTable('sessions')
    .set({ revoked_at: new Date(), revoked_reason: input.reason })
    .where('id_hash', '=', Buffer.from(old.id_hash))
    .execute();
  const mfa = input.mfa !== undefined ? input.mfa : old.mfa_at ? { at: old.mfa_at, method: old.mfa_method ?? 'unknown' } : null;
  const created = await createSession(exec, { userId: old.user_id, orgId: old.org_id, ip: input.ip, userAgent: input.userAgent, policy: input.policy, mfa, createdAt: old.created_at, signinMethod: old.signin_method === 'sso' ? 'sso' : 'password' });
  // Keep the original absolute expiry: rotation must not extend a session's life; and the device it proved.
  await exec.updateTable('sessions').set({ expires_at: old.expires_at, device_id: old.device_id }).where('id_hash', '=', created.idHash).execute();
  return { ...created, expiresAt: old.expires_at };
}

export async function markStepUp(exec: Executor, idHash: Uint8Array, at = new Date()): Promise<void> {
  await exec.updateTable('sessions').set({ step_up_at: at }).where('id_hash', '=', Buffer.from(idHash)).execute();
}

export async function revokeSession(exec: Executor, idHash: Uint8Array, reason: string): Promise<boolean> {
  const r = await exec
    .updateTable('sessions')
    .set({ revoked_at: new Date(), revoked_reason: reason })
    .where('id_hash', '=', Buffer.from(idHash))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Ends every session of a user at once (deactivation, password reset, admin action). */
export async function revokeUserSessions(exec: Executor, userId: string, reason: string): Promise<number> {
  const r = await exec.updateTable('sessions').set({ revoked_at: new Date(), revoked_reason: reason }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * A public, non-secret handle for a session (for lists and revocation URLs):
 * derived from the id hash, so the id itself never leaves the server.
 */
export function sessionHandle(idHash: Uint8Array): string {
  return createHmac('sha256', 'trustdesk/session-handle/v1').update(idHash).digest('base64url').slice(0, 22);
}

/** CSRF token for a session: bound to the session token, so it cannot be reused with another cookie. */
export function csrfTokenFor(sessionToken: string, key: Uint8Array): string {
  return createHmac('sha256', key).update(`csrf:${sessionToken}`).digest('base64url');
}
