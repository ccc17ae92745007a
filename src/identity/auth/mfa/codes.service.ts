/**
 * One-time codes by email or SMS: six digits, stored as an HMAC bound to the
 * challenge, valid ten minutes, five attempts, single-use, and only usable
 * from the session that asked for them. Sending is capped per user. Both
 * channels are opt-in factors: a code is sent only to an address or phone
 * the user confirmed by entering a code.
 */
import { randomUUID } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { Executor } from '../../../protection/crypto/keyring.js';
import { AppError } from '../../../platform/errors.js';
import { hashOneTimeCode, maskEmail, maskPhone, newOneTimeCode } from './codes.js';
import { assertMayEnrol, auditEvent, completeIfUnverified, lockUser, notifyOwner, refuse, settle, type Caller, type Check, type Enrolled, type MfaDeps } from './context.js';
import { issueRecoveryCodes } from './recovery.js';
import type { ChallengePurpose } from './schema.js';
import { sameSecret } from '../secrets.js';

export type CodeChannel = 'email' | 'sms';
export const CODE_TTL_MS = 10 * 60_000;
export const CODE_MAX_ATTEMPTS = 5;
/** Codes one user may be sent per window, all channels and purposes together. */
export const CODE_SENDS_PER_WINDOW = 5;
export const CODE_SEND_WINDOW_MS = 15 * 60_000;

const kindOf = (channel: CodeChannel) => (channel === 'email' ? 'email-code' : 'sms-code') as 'email-code' | 'sms-code';
const phoneContext = (userId: string) => ({ table: 'user_phones', column: 'phone_enc', rowId: userId });
const payloadContext = (challengeId: string) => ({ table: 'mfa_challenges', column: 'payload_enc', rowId: challengeId });

export interface CodeSent {
  challengeId: string;
  expiresAt: Date;
  /** Where it went, masked. */
  destination: string;
}

/** E.164 for a phone number typed by a person, or a clear 400. */
export function parseStaffPhone(input: string): string {
  const parsed = parsePhoneNumberFromString(input.trim());
  if (!parsed || !parsed.isValid()) throw new AppError('validation_failed', 'Enter the phone number in international form, e.g. +44 7911 123456.', { extra: { errors: [{ field: 'phone', message: 'not a valid phone number' }] } });
  return parsed.number;
}

async function createCodeChallenge(
  trx: Executor,
  deps: MfaDeps,
  caller: Caller,
  input: { channel: CodeChannel; purpose: ChallengePurpose; payload?: string },
): Promise<{ id: string; code: string; expiresAt: Date }> {
  const userId = caller.principal.userId;
  const now = Date.now();
  const recent = await trx
    .selectFrom('mfa_challenges')
    .where('user_id', '=', userId)
    .where('kind', 'in', ['email-code', 'sms-code'])
    .where('created_at', '>', new Date(now - CODE_SEND_WINDOW_MS))
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  if (Number(recent.n) >= CODE_SENDS_PER_WINDOW) {
    throw new AppError('rate_limited', 'Too many codes were sent; wait a few minutes before asking for another.', { extra: { retryAfterSeconds: CODE_SEND_WINDOW_MS / 1000 } });
  }
  const kind = kindOf(input.channel);
  // One live code per channel and purpose: asking again retires the older one.
  await trx.updateTable('mfa_challenges').set({ used_at: new Date(now) }).where('user_id', '=', userId).where('kind', '=', kind).where('purpose', '=', input.purpose).where('used_at', 'is', null).execute();
  await trx.deleteFrom('mfa_challenges').where('user_id', '=', userId).where('expires_at', '<', new Date(now - CODE_SEND_WINDOW_MS)).execute();
  const id = randomUUID();
  const code = newOneTimeCode();
  const expiresAt = new Date(now + CODE_TTL_MS);
  const payloadEnc = input.payload === undefined ? null : await deps.keyring.encrypt({ type: 'organization', id: caller.principal.orgId }, payloadContext(id), input.payload, trx);
  await trx
    .insertInto('mfa_challenges')
    .values({ id, user_id: userId, kind, purpose: input.purpose, secret_hash: hashOneTimeCode(deps.codeKey, id, code), challenge: null, expires_at: expiresAt, used_at: null, session_hash: caller.sessionHash, payload_enc: payloadEnc })
    .execute();
  return { id, code, expiresAt };
}

async function deliver(deps: MfaDeps, caller: Caller, input: { channel: CodeChannel; to: string; code: string; purpose: ChallengePurpose }): Promise<void> {
  const what = input.purpose === 'enrol' ? 'confirmation' : 'sign-in';
  const text = `Your Trustdesk ${what} code is ${input.code}. It expires in ${CODE_TTL_MS / 60_000} minutes. Never share it: Trustdesk staff will never ask for it.`;
  try {
    if (input.channel === 'email') await deps.mailer.send({ to: input.to, subject: `Trustdesk ${what} code`, text: `Hello ${caller.principal.name},\n\n${text}\n` });
    else await deps.sms.send({ orgId: caller.principal.orgId, to: input.to, body: text });
  } catch (err) {
    throw new AppError('unavailable', 'The code could not be sent; try again or use another factor.', { cause: err, internal: `${input.channel} delivery failed` });
  }
}

/** Sends a sign-in (or step-up) code to an email address or phone the user confirmed. */
export async function sendVerificationCode(deps: MfaDeps, caller: Caller, channel: CodeChannel): Promise<CodeSent> {
  const { userId, email } = caller.principal;
  const made = await settle(deps, async (trx) => {
    await lockUser(trx, userId);
    let to: string;
    if (channel === 'email') {
      const on = await trx.selectFrom('mfa_email').where('user_id', '=', userId).select('user_id').executeTakeFirst();
      if (!on) throw new AppError('bad_request', 'Email codes are not turned on for this account.');
      to = email;
    } else {
      const phone = await trx.selectFrom('user_phones').where('user_id', '=', userId).where('verified_at', 'is not', null).select('phone_enc').executeTakeFirst();
      if (!phone) throw new AppError('bad_request', 'No confirmed phone number for this account.');
      to = await deps.keyring.decrypt(phoneContext(userId), phone.phone_enc, trx);
    }
    const challenge = await createCodeChallenge(trx, deps, caller, { channel, purpose: 'verify' });
    await deps.audit.append(trx, auditEvent(caller, { action: 'mfa.code.send', result: 'success', details: { factor: channel, purpose: 'verify' } }));
    return { ...challenge, to };
  });
  await deliver(deps, caller, { channel, to: made.to, code: made.code, purpose: 'verify' });
  return { challengeId: made.id, expiresAt: made.expiresAt, destination: channel === 'email' ? maskEmail(made.to) : maskPhone(made.to) };
}

/** Starts turning on a channel: a code to the account's address, or to the phone number given. */
export async function startCodeEnrolment(deps: MfaDeps, caller: Caller, input: { channel: CodeChannel; phone?: string | undefined }): Promise<CodeSent> {
  const { userId, email } = caller.principal;
  const to = input.channel === 'email' ? email : parseStaffPhone(input.phone ?? '');
  const made = await settle(deps, async (trx) => {
    await lockUser(trx, userId);
    const factors = await assertMayEnrol(trx, caller);
    if (input.channel === 'email' && factors.email) throw new AppError('conflict', 'Email codes are already turned on.');
    const challenge = await createCodeChallenge(trx, deps, caller, { channel: input.channel, purpose: 'enrol', ...(input.channel === 'sms' ? { payload: to } : {}) });
    await deps.audit.append(trx, auditEvent(caller, { action: 'mfa.enrol.start', result: 'success', details: { factor: input.channel } }));
    return challenge;
  });
  await deliver(deps, caller, { channel: input.channel, to, code: made.code, purpose: 'enrol' });
  return { challengeId: made.id, expiresAt: made.expiresAt, destination: input.channel === 'email' ? maskEmail(to) : maskPhone(to) };
}

/**
 * Checks a code against the caller's own live challenge. The attempt is
 * counted first (atomically, capped), then the code compared, then the
 * challenge consumed: a wrong guess burns an attempt even if the request dies.
 */
export async function checkCodeChallenge(
  trx: Executor,
  deps: MfaDeps,
  caller: Caller,
  input: { channel: CodeChannel; purpose: ChallengePurpose; challengeId: string; code: string },
): Promise<Check & { payloadEnc?: Uint8Array | null }> {
  const now = new Date();
  const row = await trx
    .updateTable('mfa_challenges')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('id', '=', input.challengeId)
    .where('user_id', '=', caller.principal.userId)
    .where('session_hash', '=', caller.sessionHash)
    .where('kind', '=', kindOf(input.channel))
    .where('purpose', '=', input.purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .where('attempts', '<', CODE_MAX_ATTEMPTS)
    .returning(['secret_hash', 'payload_enc'])
    .executeTakeFirst();
  if (!row?.secret_hash) {
    return { ok: false, reason: 'no_live_challenge', error: new AppError('gone', 'This code expired, was used, or had too many wrong tries; ask for a new one.'), countFailure: true };
  }
  const code = input.code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(code) || !sameSecret(row.secret_hash, hashOneTimeCode(deps.codeKey, input.challengeId, code))) {
    return { ok: false, reason: 'wrong_code', error: new AppError('forbidden', 'That code is not correct.'), countFailure: true };
  }
  const used = await trx.updateTable('mfa_challenges').set({ used_at: now }).where('id', '=', input.challengeId).where('used_at', 'is', null).returning('id').executeTakeFirst();
  if (!used) return { ok: false, reason: 'no_live_challenge', error: new AppError('gone', 'This code was already used.'), countFailure: false };
  return { ok: true, payloadEnc: row.payload_enc };
}

/** Finishes turning on a channel with the code that was sent. */
export async function confirmCodeEnrolment(deps: MfaDeps, caller: Caller, input: { channel: CodeChannel; challengeId: string; code: string }): Promise<Enrolled> {
  const { userId, orgId } = caller.principal;
  const result = await settle(deps, async (trx) => {
    await lockUser(trx, userId);
    const factors = await assertMayEnrol(trx, caller);
    const check = await checkCodeChallenge(trx, deps, caller, { ...input, purpose: 'enrol' });
    if (!check.ok) return refuse(trx, deps, caller, { action: 'mfa.enrol', factor: input.channel, reason: check.reason, error: check.error, countFailure: check.countFailure });
    if (input.channel === 'email') {
      await trx.insertInto('mfa_email').values({ user_id: userId }).onConflict((oc) => oc.column('user_id').doNothing()).execute();
    } else {
      if (!check.payloadEnc) throw new AppError('internal', 'The phone number of this confirmation is missing.');
      const phone = await deps.keyring.decrypt(payloadContext(input.challengeId), check.payloadEnc, trx);
      const phoneEnc = await deps.keyring.encrypt({ type: 'organization', id: orgId }, phoneContext(userId), phone, trx);
      const verifiedAt = new Date();
      await trx
        .insertInto('user_phones')
        .values({ user_id: userId, phone_enc: phoneEnc, verified_at: verifiedAt })
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ phone_enc: phoneEnc, verified_at: verifiedAt }))
        .execute();
      // The pending copy has done its job.
      await trx.updateTable('mfa_challenges').set({ payload_enc: null }).where('id', '=', input.challengeId).execute();
    }
    const recoveryCodes = factors.recoveryCodes === 0 ? await issueRecoveryCodes(trx, userId) : null;
    await deps.audit.append(trx, auditEvent(caller, { action: 'mfa.enrol', result: 'success', details: { factor: input.channel } }));
    const completion = await completeIfUnverified(trx, deps, caller, input.channel);
    return { completion, recoveryCodes };
  });
  await notifyOwner(deps, caller, `${input.channel === 'email' ? 'email' : 'SMS'} codes turned on`, `Sign-in codes by ${input.channel === 'email' ? 'email' : 'SMS'} were turned on for your account.`);
  return result;
}
