/**
 * Sign-in, sign-out, first-run setup, invitations and password resets. Every
 * security step is single-use and atomic (consume the link first, then act),
 * every outcome is audited in the same transaction as its change, and answers
 * never reveal whether an account exists.
 */
import { SIGNIN_LOCKOUT } from '../../platform/http/schemas/organization.js';
import { createHash, randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import type { DeferredTasks } from '../../platform/deferred.js';
import type { Mailer } from '../../platform/notify/mailer.js';
import { passwordSignInAllowed } from '../sso/connection.service.js';
import { assertPasswordAcceptable, dummyPasswordHash, hashPassword, verifyPassword } from './passwords.js';
import { assertSeatsAvailable, holdsSeat } from '../organizations/limits.js';
import { SUSPENDED_MESSAGE } from '../organizations/status.js';
import { createBuiltInRoles } from './principals.js';
import { hashSecret, looksLikeSecret, newSecret } from './secrets.js';
import { createSession, revokeUserSessions, type NewSession, type SessionPolicy } from './sessions.js';

/** The browser a sign-in came from, as a short hash of its user agent (never the string): new-device checks (decision 0194). */
export function deviceOf(userAgent: string | null | undefined): string | null {
  return userAgent ? `ua1:${createHash('sha256').update(userAgent).digest('hex').slice(0, 16)}` : null;
}

export interface AuthDeps {
  db: Kysely<Database>;
  audit: AuditLog;
  mailer: Mailer;
  /** Mail that must not make an answer's timing depend on whether an account exists goes here. */
  deferred: DeferredTasks;
  publicUrl: string;
  policy: SessionPolicy;
}

export interface ClientInfo {
  ip: string;
  userAgent: string | null;
  requestId: string;
}

const SETUP_TTL_MS = 24 * 3_600_000;
const INVITE_TTL_MS = 7 * 24 * 3_600_000;
const RESET_TTL_MS = 30 * 60_000;
/** Failures before an account is locked; each further failure doubles the lock, up to an hour. */
const ACCOUNT_FREE_FAILURES = SIGNIN_LOCKOUT.accountFreeFailures;
const ACCOUNT_MAX_LOCK_MS = SIGNIN_LOCKOUT.accountMaxLockMinutes * 60_000;
/** Failures from one address in a window before that address is refused for a while. */
const ADDRESS_MAX_FAILURES = SIGNIN_LOCKOUT.addressMaxFailures;
const ADDRESS_WINDOW_MS = SIGNIN_LOCKOUT.addressWindowMinutes * 60_000;

const normalizeEmail = (email: string) => email.trim().toLowerCase();
const BAD_CREDENTIALS = 'Email or password is incorrect.';

// ---------------------------------------------------------------- first run

export async function setupNeeded(db: Kysely<Database>): Promise<boolean> {
  const any = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  return !any;
}

/** A new one-time setup link (older unused ones stop working). Returns the raw token, shown once. */
export async function createSetupLink(db: Kysely<Database>): Promise<string> {
  const token = newSecret('tdl');
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('auth_links').set({ used_at: new Date() }).where('kind', '=', 'setup').where('used_at', 'is', null).execute();
    await trx.insertInto('auth_links').values({ token_hash: hashSecret(token), kind: 'setup', expires_at: new Date(Date.now() + SETUP_TTL_MS) }).execute();
  });
  return token;
}

/** Consumes a single-use link atomically; the caller then acts within the same transaction. */
async function consumeLink(trx: Executor, token: unknown, kind: 'setup' | 'invite' | 'reset') {
  const invalid = new AppError('gone', 'This link is invalid, expired or already used.');
  if (!looksLikeSecret(token, 'tdl')) throw invalid;
  const row = await trx
    .updateTable('auth_links')
    .set({ used_at: new Date() })
    .where('token_hash', '=', hashSecret(token))
    .where('kind', '=', kind)
    .where('used_at', 'is', null)
    .where('expires_at', '>', new Date())
    .returning(['org_id', 'user_id'])
    .executeTakeFirst();
  if (!row) throw invalid;
  return row;
}

export async function completeSetup(
  deps: AuthDeps,
  client: ClientInfo,
  input: { token: string; organizationName: string; name: string; email: string; password: string },
): Promise<{ userId: string; orgId: string; session: NewSession }> {
  const email = normalizeEmail(input.email);
  assertPasswordAcceptable(input.password, [input.name, email.split('@')[0] ?? '', input.organizationName]);
  const passwordHash = await hashPassword(input.password);
  return deps.db.transaction().execute(async (trx) => {
    await consumeLink(trx, input.token, 'setup');
    // Setup happens once: a second attempt finds users and changes nothing.
    await sql`SELECT pg_advisory_xact_lock(7470003)`.execute(trx);
    if (await trx.selectFrom('users').select('id').limit(1).executeTakeFirst()) {
      throw new AppError('conflict', 'Trustdesk is already set up.');
    }
    const orgId = randomUUID();
    const userId = randomUUID();
    await trx.insertInto('organizations').values({ id: orgId, name: input.organizationName }).execute();
    const roles = await createBuiltInRoles(trx, orgId);
    // Setup signs the administrator in: recorded like every other sign-in, or reviews call them dormant.
    const now = new Date();
    await trx.insertInto('users').values({ id: userId, org_id: orgId, email, name: input.name, password_hash: passwordHash, status: 'active', password_changed_at: now, last_signin_at: now }).execute();
    await trx.insertInto('user_roles').values({ user_id: userId, role_id: roles.administrator as string, granted_by: userId }).execute();
    const session = await createSession(trx, { userId, orgId, ip: client.ip, userAgent: client.userAgent, policy: deps.policy });
    await deps.audit.append(trx, { orgId, actor: { type: 'user', id: userId }, action: 'setup.complete', object: { type: 'organization', id: orgId }, result: 'success', requestId: client.requestId, sourceIp: client.ip });
    return { userId, orgId, session };
  });
}

// ---------------------------------------------------------------- sign-in

/**
 * Takes one sign-in attempt for a key, atomically, before the password is checked.
 * The count and the lock check are one statement: parallel guesses queue on the row,
 * each sees the count the previous one left, and none is checked once the lock is in
 * force. The attempt counts as a failure until it succeeds (a success gives it back).
 * Returns null when the key is locked (the attempt is refused, nothing counted), or
 * the count after this attempt and the lock it set, if any.
 */
async function claimAttempt(db: Executor, key: string, kind: 'account' | 'address', now: Date): Promise<{ failures: number; lockedUntil: Date | null } | null> {
  const windowStart = new Date(now.getTime() - ADDRESS_WINDOW_MS);
  // The count this attempt makes: an address's window starts afresh once it has passed.
  const next = kind === 'address' ? sql`CASE WHEN t.window_start < ${windowStart} THEN 1 ELSE t.failures + 1 END` : sql`t.failures + 1`;
  const lockFor = (failures: ReturnType<typeof sql>) =>
    kind === 'address'
      ? sql`CASE WHEN ${failures} >= ${ADDRESS_MAX_FAILURES} THEN ${now}::timestamptz + make_interval(secs => ${ADDRESS_WINDOW_MS / 1000}) END`
      : sql`CASE WHEN ${failures} >= ${ACCOUNT_FREE_FAILURES} THEN ${now}::timestamptz + make_interval(secs => least(${ACCOUNT_MAX_LOCK_MS / 1000}, 60 * power(2, least(${failures} - ${ACCOUNT_FREE_FAILURES}, 20)))) END`;
  const result = await sql<{ failures: number; locked_until: Date | null }>`
    INSERT INTO signin_throttle AS t (key, failures, window_start, locked_until)
    VALUES (${key}, 1, ${now}, ${lockFor(sql`1`)})
    ON CONFLICT (key) DO UPDATE SET
      failures = ${next},
      window_start = ${kind === 'address' ? sql`CASE WHEN t.window_start < ${windowStart} THEN ${now}::timestamptz ELSE t.window_start END` : sql`t.window_start`},
      locked_until = ${lockFor(next)}
    WHERE t.locked_until IS NULL OR t.locked_until <= ${now}
    RETURNING failures, locked_until`.execute(db);
  const row = result.rows[0];
  return row ? { failures: Number(row.failures), lockedUntil: row.locked_until ? new Date(row.locked_until) : null } : null;
}

/** Gives back an address attempt that turned out not to be a failed guess (a success, or refused by the account lock). */
async function releaseAddressAttempt(db: Executor, key: string): Promise<void> {
  await sql`
    UPDATE signin_throttle SET
      failures = greatest(failures - 1, 0),
      locked_until = CASE WHEN failures - 1 >= ${ADDRESS_MAX_FAILURES} THEN locked_until END
    WHERE key = ${key}`.execute(db);
}

async function lockEnd(db: Executor, key: string, now: Date): Promise<Date> {
  const row = await db.selectFrom('signin_throttle').where('key', '=', key).select('locked_until').executeTakeFirst();
  const until = row?.locked_until ? new Date(row.locked_until) : null;
  return until && until.getTime() > now.getTime() ? until : new Date(now.getTime() + 60_000);
}

function lockedError(until: Date): AppError {
  const minutes = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 60_000));
  return new AppError('rate_limited', `Too many failed attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, { extra: { retryAfterSeconds: minutes * 60 } });
}

/**
 * Password sign-in. Success gives a session without a second factor: every
 * route but enrolment and verification stays closed until one is verified.
 * Unknown email, wrong password and deactivated account answer alike; locks
 * count per email (known or not) and per address.
 */
export async function signIn(deps: AuthDeps, client: ClientInfo, input: { email: string; password: string }): Promise<{ session: NewSession; userId: string }> {
  const email = normalizeEmail(input.email);
  const accountKey = `email:${email}`;
  const addressKey = `ip:${client.ip}`;
  const now = new Date();
  // Attempts are taken before the (slow) password check, so a burst cannot outrun the count.
  if (!(await claimAttempt(deps.db, addressKey, 'address', now))) throw lockedError(await lockEnd(deps.db, addressKey, now));
  const claim = await claimAttempt(deps.db, accountKey, 'account', now);
  if (!claim) {
    await releaseAddressAttempt(deps.db, addressKey);
    throw lockedError(await lockEnd(deps.db, accountKey, now));
  }
  const user = await deps.db
    .selectFrom('users')
    .innerJoin('organizations', 'organizations.id', 'users.org_id')
    .where('users.email', '=', email)
    .select(['users.id', 'users.org_id', 'users.password_hash', 'users.status', 'users.name', 'organizations.status as org_status'])
    .executeTakeFirst();
  // Verify against a dummy hash when there is no account, so timing is the same.
  const verified = await verifyPassword(user?.password_hash ?? (await dummyPasswordHash()), input.password);
  const ok = Boolean(user?.password_hash) && verified;
  if (!ok || !user || user.status !== 'active') {
    // The attempt was counted when it was taken; this failure locked the account if it reached the limit.
    const lock = claim.lockedUntil;
    await deps.db.transaction().execute(async (trx) => {
      await deps.audit.append(trx, {
        orgId: user?.org_id ?? null,
        actor: { type: 'anonymous' },
        action: 'auth.signin',
        object: user ? { type: 'user', id: user.id } : null,
        result: 'failure',
        details: { reason: !user ? 'unknown_account' : user.status !== 'active' ? 'inactive_account' : 'bad_password', locked: Boolean(lock) },
        requestId: client.requestId,
        sourceIp: client.ip,
      });
    });
    if (lock && user) {
      // After the answer: a locking failure must take as long for a known account as for an unknown one.
      const name = user.name;
      deps.deferred.run('sign-in lock notice', () =>
        deps.mailer.send({
          to: email,
          subject: 'Trustdesk: sign-in locked after failed attempts',
          text: `Hello ${name},\n\nSomeone tried to sign in to your Trustdesk account several times with a wrong password, from address ${client.ip}. Sign-in is locked until ${lock.toISOString()}.\n\nIf this was not you, tell your security officer. Your password was not accepted.\n`,
        }),
      );
    }
    if (lock) throw lockedError(lock);
    throw new AppError('unauthenticated', BAD_CREDENTIALS);
  }
  if (user.org_status !== 'active') {
    // Told only after the right password: a stranger learns nothing of which organisations are suspended.
    await deps.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('signin_throttle').where('key', '=', accountKey).execute();
      await releaseAddressAttempt(trx, addressKey);
      await deps.audit.append(trx, { orgId: user.org_id, actor: { type: 'user', id: user.id }, action: 'auth.signin', object: { type: 'user', id: user.id }, result: 'denied', details: { reason: `organization_${user.org_status}` }, requestId: client.requestId, sourceIp: client.ip });
    });
    if (user.org_status === 'suspended') throw new AppError('forbidden', SUSPENDED_MESSAGE);
    throw new AppError('unauthenticated', BAD_CREDENTIALS);
  }
  // Single-sign-on-only organisations: the right password is not a guess (its attempts are given back), but only
  // a named break-glass account may go on with it (decision 0204). Asked after the password, so it reveals nothing.
  if (!(await passwordSignInAllowed(deps.db, user.org_id, user.id))) {
    await deps.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('signin_throttle').where('key', '=', accountKey).execute();
      await releaseAddressAttempt(trx, addressKey);
      await deps.audit.append(trx, { orgId: user.org_id, actor: { type: 'user', id: user.id }, action: 'auth.signin', object: { type: 'user', id: user.id }, result: 'denied', details: { factor: 'password', reason: 'sso_required' }, requestId: client.requestId, sourceIp: client.ip });
    });
    throw new AppError('forbidden', 'Your organisation signs in with single sign-on. Use “Continue” with your work email.', { extra: { ssoRequired: true } });
  }
  return deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('signin_throttle').where('key', '=', accountKey).execute();
    await releaseAddressAttempt(trx, addressKey);
    await trx.updateTable('users').set({ last_signin_at: new Date(), failed_signins: 0 }).where('id', '=', user.id).execute();
    const session = await createSession(trx, { userId: user.id, orgId: user.org_id, ip: client.ip, userAgent: client.userAgent, policy: deps.policy });
    await deps.audit.append(trx, { orgId: user.org_id, actor: { type: 'user', id: user.id }, action: 'auth.signin', object: { type: 'user', id: user.id }, result: 'success', details: { factor: 'password', device: deviceOf(client.userAgent) }, requestId: client.requestId, sourceIp: client.ip });
    return { session, userId: user.id };
  });
}

// ---------------------------------------------------------------- passwords

export async function changePassword(deps: AuthDeps, client: ClientInfo, input: { userId: string; current: string; next: string; keepSession: Uint8Array | undefined }): Promise<void> {
  const user = await deps.db.selectFrom('users').where('id', '=', input.userId).select(['password_hash', 'email', 'name', 'org_id']).executeTakeFirstOrThrow();
  if (!(await verifyPassword(user.password_hash, input.current))) throw new AppError('forbidden', 'The current password is not correct.');
  assertPasswordAcceptable(input.next, [user.name, user.email.split('@')[0] ?? '']);
  const hash = await hashPassword(input.next);
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: hash, password_changed_at: new Date() }).where('id', '=', input.userId).execute();
    // Other sessions end: whoever knew the old password is out.
    let q = trx.updateTable('sessions').set({ revoked_at: new Date(), revoked_reason: 'password changed' }).where('user_id', '=', input.userId).where('revoked_at', 'is', null);
    if (input.keepSession) q = q.where('id_hash', '<>', Buffer.from(input.keepSession));
    await q.execute();
    await deps.audit.append(trx, { orgId: user.org_id, actor: { type: 'user', id: input.userId }, action: 'auth.password_change', object: { type: 'user', id: input.userId }, result: 'success', requestId: client.requestId, sourceIp: client.ip });
  });
}

/**
 * Always answers the same, in the same time: both paths read the account and
 * make and hash a link token before answering; writing the link, the audit
 * event and the mail happen after the answer (`deps.deferred`), so neither the
 * database writes nor the relay's speed show whether the account exists.
 */
export async function requestPasswordReset(deps: AuthDeps, client: ClientInfo, input: { email: string }): Promise<void> {
  const email = normalizeEmail(input.email);
  const user = await deps.db.selectFrom('users').where('email', '=', email).where('status', '=', 'active').select(['id', 'org_id', 'name']).executeTakeFirst();
  const token = newSecret('tdl');
  const tokenHash = hashSecret(token);
  deps.deferred.run('password reset', async () => {
    if (!user) {
      await deps.audit.record({ actor: { type: 'anonymous' }, action: 'auth.password_reset_request', result: 'failure', details: { reason: 'unknown_account' }, requestId: client.requestId, sourceIp: client.ip });
      return;
    }
    await deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('auth_links').set({ used_at: new Date() }).where('kind', '=', 'reset').where('user_id', '=', user.id).where('used_at', 'is', null).execute();
      await trx.insertInto('auth_links').values({ token_hash: tokenHash, kind: 'reset', org_id: user.org_id, user_id: user.id, expires_at: new Date(Date.now() + RESET_TTL_MS) }).execute();
      await deps.audit.append(trx, { orgId: user.org_id, actor: { type: 'anonymous' }, action: 'auth.password_reset_request', object: { type: 'user', id: user.id }, result: 'success', requestId: client.requestId, sourceIp: client.ip });
    });
    await deps.mailer.send({
      to: email,
      subject: 'Trustdesk: reset your password',
      text: `Hello ${user.name},\n\nOpen this link within 30 minutes to choose a new password:\n\n${deps.publicUrl}/reset-password#token=${token}\n\nYou will still need your second factor to sign in. If you did not ask for this, ignore this message.\n`,
    });
  });
}

export async function completePasswordReset(deps: AuthDeps, client: ClientInfo, input: { token: string; password: string }): Promise<void> {
  const hashPending = hashPassword(input.password);
  await deps.db.transaction().execute(async (trx) => {
    const link = await consumeLink(trx, input.token, 'reset');
    const user = await trx.selectFrom('users').where('id', '=', link.user_id as string).where('status', '=', 'active').select(['id', 'org_id', 'email', 'name']).executeTakeFirst();
    if (!user) throw new AppError('gone', 'This link is invalid, expired or already used.');
    assertPasswordAcceptable(input.password, [user.name, user.email.split('@')[0] ?? '']);
    await trx.updateTable('users').set({ password_hash: await hashPending, password_changed_at: new Date() }).where('id', '=', user.id).execute();
    await revokeUserSessions(trx, user.id, 'password reset');
    await trx.deleteFrom('signin_throttle').where('key', '=', `email:${user.email}`).execute();
    await deps.audit.append(trx, { orgId: user.org_id, actor: { type: 'user', id: user.id }, action: 'auth.password_reset', object: { type: 'user', id: user.id }, result: 'success', requestId: client.requestId, sourceIp: client.ip });
  });
}

// ---------------------------------------------------------------- invitations

/** Invites (or re-invites) a person; the link sets their password, then they must enrol a factor. */
export async function inviteUser(
  deps: AuthDeps,
  actor: { userId: string; orgId: string },
  client: ClientInfo,
  input: { email: string; name: string; roleIds: string[]; teamIds: string[] },
): Promise<{ userId: string; link: string }> {
  const email = normalizeEmail(input.email);
  const token = newSecret('tdl');
  const userId = await deps.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('users').where('email', '=', email).select(['id', 'org_id', 'status']).executeTakeFirst();
    if (existing && (existing.org_id !== actor.orgId || existing.status !== 'invited')) throw new AppError('conflict', 'This address already has an account.');
    const id = existing?.id ?? randomUUID();
    // A new invitation takes a seat; so does renewing a revoked or expired one (re-inviting a pending one does not).
    if (!existing || !(await holdsSeat(trx, existing.id))) await assertSeatsAvailable(trx, actor.orgId);
    if (!existing) await trx.insertInto('users').values({ id, org_id: actor.orgId, email, name: input.name, status: 'invited' }).execute();
    const roles = input.roleIds.length ? await trx.selectFrom('roles').where('org_id', '=', actor.orgId).where('id', 'in', input.roleIds).select('id').execute() : [];
    if (roles.length !== input.roleIds.length) throw new AppError('validation_failed', 'Unknown role.');
    const teams = input.teamIds.length ? await trx.selectFrom('teams').where('org_id', '=', actor.orgId).where('id', 'in', input.teamIds).select('id').execute() : [];
    if (teams.length !== input.teamIds.length) throw new AppError('validation_failed', 'Unknown team.');
    for (const r of roles) await trx.insertInto('user_roles').values({ user_id: id, role_id: r.id, granted_by: actor.userId }).onConflict((oc) => oc.doNothing()).execute();
    for (const t of teams) await trx.insertInto('team_members').values({ team_id: t.id, user_id: id, added_by: actor.userId }).onConflict((oc) => oc.doNothing()).execute();
    await trx.updateTable('auth_links').set({ used_at: new Date() }).where('kind', '=', 'invite').where('user_id', '=', id).where('used_at', 'is', null).execute();
    await trx.insertInto('auth_links').values({ token_hash: hashSecret(token), kind: 'invite', org_id: actor.orgId, user_id: id, created_by: actor.userId, expires_at: new Date(Date.now() + INVITE_TTL_MS) }).execute();
    await deps.audit.append(trx, { orgId: actor.orgId, actor: { type: 'user', id: actor.userId }, action: 'user.invite', object: { type: 'user', id }, result: 'success', details: { roles: roles.map((r) => r.id), teams: teams.map((t) => t.id) }, requestId: client.requestId, sourceIp: client.ip });
    return id;
  });
  const link = `${deps.publicUrl}/accept-invite#token=${token}`;
  await deps.mailer.send({
    to: email,
    subject: 'You are invited to Trustdesk',
    text: `Hello ${input.name},\n\nYou have been invited to Trustdesk. Open this link within 7 days to choose a password and set up your second factor:\n\n${link}\n`,
  });
  return { userId, link };
}

export async function acceptInvite(deps: AuthDeps, client: ClientInfo, input: { token: string; password: string }): Promise<{ userId: string; session: NewSession }> {
  const pending = hashPassword(input.password);
  return deps.db.transaction().execute(async (trx) => {
    const link = await consumeLink(trx, input.token, 'invite');
    const user = await trx.selectFrom('users').where('id', '=', link.user_id as string).where('status', '=', 'invited').select(['id', 'org_id', 'email', 'name']).executeTakeFirst();
    if (!user) throw new AppError('gone', 'This link is invalid, expired or already used.');
    assertPasswordAcceptable(input.password, [user.name, user.email.split('@')[0] ?? '']);
    await trx.updateTable('users').set({ password_hash: await pending, status: 'active', password_changed_at: new Date(), last_signin_at: new Date() }).where('id', '=', user.id).execute();
    const session = await createSession(trx, { userId: user.id, orgId: user.org_id, ip: client.ip, userAgent: client.userAgent, policy: deps.policy });
    await deps.audit.append(trx, { orgId: user.org_id, actor: { type: 'user', id: user.id }, action: 'user.invite_accept', object: { type: 'user', id: user.id }, result: 'success', requestId: client.requestId, sourceIp: client.ip });
    return { userId: user.id, session };
  });
}

/**
 * Whether this person is the organisation's only active administrator. Locks the organisation's active
 * administrators for the transaction, so two deactivations (by a person or by SCIM) cannot each leave the other last.
 */
export async function isLastActiveAdministrator(trx: Transaction<Database>, orgId: string, userId: string): Promise<boolean> {
  const admins = await trx
    .selectFrom('users')
    .innerJoin('user_roles', 'user_roles.user_id', 'users.id')
    .innerJoin('roles', 'roles.id', 'user_roles.role_id')
    .where('users.org_id', '=', orgId)
    .where('users.status', '=', 'active')
    .where('roles.built_in', '=', true)
    .where('roles.key', '=', 'administrator')
    .select('users.id')
    .forUpdate('users')
    .execute();
  return admins.some((a) => a.id === userId) && admins.length <= 1;
}

/**
 * Deactivation ends every session and token at once. The organisation's last
 * active administrator cannot be deactivated: nobody could undo it.
 */
export async function deactivateUser(deps: AuthDeps, actor: { userId: string; orgId: string }, client: ClientInfo, userId: string): Promise<void> {
  if (userId === actor.userId) throw new AppError('conflict', 'You cannot deactivate your own account.');
  await deps.db.transaction().execute(async (trx) => {
    if (await isLastActiveAdministrator(trx, actor.orgId, userId)) throw new AppError('conflict', 'This is the organisation’s last active administrator; make someone else an administrator first.');
    const r = await trx.updateTable('users').set({ status: 'deactivated', deactivated_at: new Date() }).where('id', '=', userId).where('org_id', '=', actor.orgId).where('status', '<>', 'deactivated').executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new AppError('not_found', 'No such active user.');
    const sessions = await revokeUserSessions(trx, userId, 'deactivated');
    const tokens = await trx.updateTable('api_tokens').set({ revoked_at: new Date() }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
    await deps.audit.append(trx, { orgId: actor.orgId, actor: { type: 'user', id: actor.userId }, action: 'user.deactivate', object: { type: 'user', id: userId }, result: 'success', details: { sessionsEnded: sessions, tokensRevoked: Number(tokens.numUpdatedRows) }, requestId: client.requestId, sourceIp: client.ip });
  });
}
