/**
 * What every second-factor operation shares: its dependencies, the caller
 * (a cookie session, never an API token), the per-user lock and failure
 * throttle, the rule for who may enrol, and completing a sign-in by rotating
 * the session. A refused step still commits what it consumed (an attempt, a
 * challenge) and its audit event, then throws: see `settle`.
 */
import { sql, type Kysely } from 'kysely';
import type { AuditLog } from '../../../protection/audit/audit-log.js';
import type { AuditEvent } from '../../../protection/audit/entry.js';
import type { Executor, Keyring } from '../../../protection/crypto/keyring.js';
import type { Database } from '../../../platform/db/schema.js';
import { AppError } from '../../../platform/errors.js';
import type { Mailer } from '../../../platform/notify/mailer.js';
import { PHISHING_RESISTANT_METHODS, type Principal } from '../access.js';
import type { ClientInfo } from '../auth.service.js';
import { rotateSession, type NewSession, type SessionPolicy, type SessionRow } from '../sessions.js';
import type { SmsSender } from './sms.js';
import './schema.js';

export interface MfaDeps {
  db: Kysely<Database>;
  audit: AuditLog;
  keyring: Keyring;
  mailer: Mailer;
  sms: SmsSender;
  /** HMAC key for one-time codes (a system secret wrapped by the KEK). */
  codeKey: Uint8Array;
  rp: { id: string; name: string; origin: string };
  policy: SessionPolicy;
  stepUpWindowMs: number;
}

export interface Caller {
  principal: Principal;
  sessionHash: Buffer;
  client: ClientInfo;
}

export type FactorKind = 'totp' | 'webauthn' | 'recovery' | 'email' | 'sms';

/** Only cookie sessions own second factors; an API token can neither enrol nor verify. */
export function callerFrom(principal: Principal | null, client: ClientInfo): Caller {
  if (!principal) throw new AppError('unauthenticated', 'Sign in to continue.');
  if (principal.kind !== 'session' || !principal.sessionIdHash) {
    throw new AppError('forbidden', 'Second factors are managed from a signed-in browser session, not with an API token.');
  }
  return { principal, sessionHash: Buffer.from(principal.sessionIdHash), client };
}

// ------------------------------------------------------------ refusals

/** A refusal decided inside a transaction: its effects and audit event commit, then `error` is thrown. */
export class Refused {
  constructor(readonly error: AppError) {}
}

/** Runs `work` in a transaction; a returned Refused commits, then throws. */
export async function settle<T>(deps: MfaDeps, work: (trx: Executor) => Promise<T | Refused>): Promise<T> {
  const out = await deps.db.transaction().execute(work);
  if (out instanceof Refused) throw out.error;
  return out;
}

export function auditEvent(caller: Caller, event: Omit<AuditEvent, 'orgId' | 'actor' | 'requestId' | 'sourceIp'>): AuditEvent {
  return {
    orgId: caller.principal.orgId,
    actor: { type: 'user', id: caller.principal.userId },
    object: { type: 'user', id: caller.principal.userId },
    requestId: caller.client.requestId,
    sourceIp: caller.client.ip,
    ...event,
  };
}

/** Audits the refusal (and counts it towards the lock when it was a wrong guess), in `trx`. */
export async function refuse(
  trx: Executor,
  deps: MfaDeps,
  caller: Caller,
  input: { action: string; factor: FactorKind; reason: string; error: AppError; result?: 'failure' | 'denied'; countFailure?: boolean; purpose?: string },
): Promise<Refused> {
  const lockedUntil = input.countFailure ? await countFailure(trx, caller.principal.userId) : null;
  await deps.audit.append(trx, auditEvent(caller, {
    action: input.action,
    result: input.result ?? 'failure',
    details: { factor: input.factor, reason: input.reason, ...(input.purpose ? { purpose: input.purpose } : {}), ...(lockedUntil ? { locked: true } : {}) },
  }));
  return new Refused(lockedUntil ? lockedError(lockedUntil) : input.error);
}

// ------------------------------------------------------------ throttle

/** Wrong codes a user may enter before verification locks; each further one doubles the lock, up to an hour. */
export const FACTOR_FREE_FAILURES = 10;
const FACTOR_MAX_LOCK_MS = 3_600_000;
const throttleKey = (userId: string) => `mfa:${userId}`;

function lockedError(until: Date): AppError {
  const minutes = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 60_000));
  return new AppError('rate_limited', `Too many wrong codes. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, { extra: { retryAfterSeconds: minutes * 60 } });
}

/**
 * Serialises every factor operation of one user (row lock on the user), so
 * attempt counters, last-used steps and "is this the first factor" checks
 * cannot be raced from parallel requests or sessions.
 */
export async function lockUser(trx: Executor, userId: string): Promise<void> {
  const row = await trx.selectFrom('users').where('id', '=', userId).where('status', '=', 'active').select('id').forUpdate().executeTakeFirst();
  if (!row) throw new AppError('unauthenticated', 'Sign in to continue.');
}

export async function assertNotLocked(trx: Executor, userId: string, now = new Date()): Promise<void> {
  const row = await trx.selectFrom('signin_throttle').where('key', '=', throttleKey(userId)).select('locked_until').executeTakeFirst();
  if (row?.locked_until && row.locked_until.getTime() > now.getTime()) throw lockedError(row.locked_until);
}

async function countFailure(trx: Executor, userId: string): Promise<Date | null> {
  const key = throttleKey(userId);
  const row = await trx
    .insertInto('signin_throttle')
    .values({ key, failures: 1 })
    .onConflict((oc) => oc.column('key').doUpdateSet({ failures: sql<number>`signin_throttle.failures + 1` }))
    .returning('failures')
    .executeTakeFirstOrThrow();
  if (row.failures < FACTOR_FREE_FAILURES) return null;
  const until = new Date(Date.now() + Math.min(FACTOR_MAX_LOCK_MS, 60_000 * 2 ** (row.failures - FACTOR_FREE_FAILURES)));
  await trx.updateTable('signin_throttle').set({ locked_until: until }).where('key', '=', key).execute();
  return until;
}

export async function clearFailures(trx: Executor, userId: string): Promise<void> {
  await trx.deleteFrom('signin_throttle').where('key', '=', throttleKey(userId)).execute();
}

// ------------------------------------------------------------ factors on file

export interface FactorInventory {
  totp: boolean;
  webauthn: number;
  email: boolean;
  sms: boolean;
  recoveryCodes: number;
}

export async function loadFactors(exec: Executor, userId: string): Promise<FactorInventory> {
  const [totp, webauthn, email, phone, recovery] = await Promise.all([
    exec.selectFrom('mfa_totp').where('user_id', '=', userId).where('confirmed_at', 'is not', null).select('user_id').executeTakeFirst(),
    exec.selectFrom('webauthn_credentials').where('user_id', '=', userId).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    exec.selectFrom('mfa_email').where('user_id', '=', userId).select('user_id').executeTakeFirst(),
    exec.selectFrom('user_phones').where('user_id', '=', userId).where('verified_at', 'is not', null).select('user_id').executeTakeFirst(),
    exec.selectFrom('recovery_codes').where('user_id', '=', userId).where('used_at', 'is', null).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { totp: Boolean(totp), webauthn: Number(webauthn.n), email: Boolean(email), sms: Boolean(phone), recoveryCodes: Number(recovery.n) };
}

export function primaryFactorCount(f: FactorInventory): number {
  return (f.totp ? 1 : 0) + f.webauthn + (f.email ? 1 : 0) + (f.sms ? 1 : 0);
}

/**
 * Who may add a factor: a session that verified one, or, when the account has
 * no factor at all (first sign-in, or after an administrator's reset), the
 * password session. Anyone else first proves an existing factor, so a stolen
 * password cannot add the thief's authenticator. Call inside `lockUser`.
 */
export async function assertMayEnrol(exec: Executor, caller: Caller): Promise<FactorInventory> {
  const factors = await loadFactors(exec, caller.principal.userId);
  if (caller.principal.mfaAt) return factors;
  if (primaryFactorCount(factors) > 0 || factors.recoveryCodes > 0) {
    throw new AppError('mfa_required', 'Verify one of your existing factors before adding another.', { extra: { phishingResistantRequired: caller.principal.requirePhishingResistant } });
  }
  return factors;
}

// ------------------------------------------------------------ completing the factor

export interface Completion {
  /** The rotated session (set the cookie, send the new CSRF token), or null when the session already had a factor. */
  session: NewSession | null;
  method: FactorKind;
  /** The session now passes the gate (WebAuthn where a role requires it). */
  complete: boolean;
}

/** The caller's live session row, locked; a revoked or unknown session ends here. */
export async function lockSession(trx: Executor, caller: Caller): Promise<SessionRow> {
  const row = await trx
    .selectFrom('sessions')
    .where('id_hash', '=', caller.sessionHash)
    .where('revoked_at', 'is', null)
    .select(['id_hash', 'user_id', 'org_id', 'created_at', 'last_seen_at', 'expires_at', 'mfa_at', 'mfa_method', 'step_up_at', 'ip', 'user_agent', 'signin_method', 'device_id'])
    .forUpdate()
    .executeTakeFirst();
  if (!row || row.user_id !== caller.principal.userId) throw new AppError('unauthenticated', 'Sign in to continue.');
  return row;
}

export function satisfiesPolicy(caller: Caller, method: string): boolean {
  return !caller.principal.requirePhishingResistant || PHISHING_RESISTANT_METHODS.has(method);
}

/**
 * A factor was verified: a new session id carrying it (privilege change), the
 * old id dead. A verified-but-insufficient factor (TOTP where WebAuthn is
 * required) is recorded too: the gate still refuses everything but enrolment.
 */
export async function completeFactor(trx: Executor, deps: MfaDeps, caller: Caller, session: SessionRow, method: FactorKind): Promise<Completion> {
  const next = await rotateSession(trx, session, {
    ip: caller.client.ip,
    userAgent: caller.client.userAgent,
    policy: deps.policy,
    mfa: { at: new Date(), method },
    reason: 'second factor verified',
  });
  return { session: next, method, complete: satisfiesPolicy(caller, method) };
}

/**
 * After enrolment: completes the session if it had no factor yet (first
 * sign-in), or if the new factor satisfies a policy the session's factor did
 * not (a passkey registered after a TOTP code, where the role requires one).
 * Registration is origin-bound like an assertion, so it counts as one.
 */
export async function completeIfUnverified(trx: Executor, deps: MfaDeps, caller: Caller, method: FactorKind): Promise<Completion> {
  const session = await lockSession(trx, caller);
  if (session.mfa_at) {
    const current = (session.mfa_method ?? 'totp') as FactorKind;
    if (satisfiesPolicy(caller, current) || !satisfiesPolicy(caller, method)) return { session: null, method: current, complete: satisfiesPolicy(caller, current) };
  }
  return completeFactor(trx, deps, caller, session, method);
}

/** Security notices to the account owner; failures to send never undo the change. */
export async function notifyOwner(deps: MfaDeps, caller: { principal: Pick<Principal, 'email' | 'name'> }, subject: string, text: string): Promise<void> {
  await deps.mailer.send({ to: caller.principal.email, subject: `Trustdesk: ${subject}`, text: `Hello ${caller.principal.name},\n\n${text}\n\nIf this was not you, tell your security officer at once.\n` }).catch(() => undefined);
}

/** The outcome of checking one proof: a refusal says why (for the audit) and whether it counts towards the lockout. */
export type Check = { ok: true } | { ok: false; reason: string; error: AppError; countFailure: boolean };

/** A finished enrolment. */
export interface Enrolled {
  completion: Completion;
  /** Ten recovery codes, when this enrolment gave the user their first ones (shown once). */
  recoveryCodes: string[] | null;
}
