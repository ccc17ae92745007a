/**
 * WebAuthn passkeys and security keys through @simplewebauthn/server. The
 * relying party is the public URL's host and origin. Challenges live in
 * mfa_challenges: single-use, five minutes, bound to the session that asked;
 * each is consumed before the response is checked, so a response can be
 * tried once. Signature counters only move forward (compare-and-swap).
 */
import { randomUUID } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransportFuture,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

/** Loaded on the first passkey ceremony, not at every start (decision 0233). */
const webauthn = () => import('@simplewebauthn/server');
import type { Executor } from '../../../protection/crypto/keyring.js';
import { AppError } from '../../../platform/errors.js';
import { assertMayEnrol, auditEvent, completeIfUnverified, lockUser, notifyOwner, refuse, settle, type Caller, type Check, type Enrolled, type MfaDeps } from './context.js';
import { issueRecoveryCodes } from './recovery.js';

export const WEBAUTHN_TTL_MS = 5 * 60_000;
/** ES256 and RS256 cover every authenticator in use; EdDSA joins when browsers agree on it. */
const ALGORITHMS = [-7, -257];

const userHandle = (userId: string) => Buffer.from(userId.replace(/-/g, ''), 'hex');

async function storeChallenge(trx: Executor, caller: Caller, kind: 'webauthn-register' | 'webauthn-auth', challenge: string): Promise<string> {
  const id = randomUUID();
  const now = Date.now();
  await trx.deleteFrom('mfa_challenges').where('user_id', '=', caller.principal.userId).where('expires_at', '<', new Date(now - WEBAUTHN_TTL_MS)).execute();
  await trx
    .insertInto('mfa_challenges')
    .values({ id, user_id: caller.principal.userId, kind, purpose: kind === 'webauthn-register' ? 'enrol' : 'verify', challenge, secret_hash: null, expires_at: new Date(now + WEBAUTHN_TTL_MS), used_at: null, session_hash: caller.sessionHash, payload_enc: null })
    .execute();
  return id;
}

/** Marks the caller's own live challenge used and returns its value, or null. Consume first, then act. */
async function consumeChallenge(trx: Executor, caller: Caller, kind: 'webauthn-register' | 'webauthn-auth', challengeId: string): Promise<string | null> {
  const row = await trx
    .updateTable('mfa_challenges')
    .set({ used_at: new Date() })
    .where('id', '=', challengeId)
    .where('user_id', '=', caller.principal.userId)
    .where('session_hash', '=', caller.sessionHash)
    .where('kind', '=', kind)
    .where('used_at', 'is', null)
    .where('expires_at', '>', new Date())
    .returning('challenge')
    .executeTakeFirst();
  return row?.challenge ?? null;
}

async function credentialsOf(exec: Executor, userId: string) {
  return exec.selectFrom('webauthn_credentials').where('user_id', '=', userId).select(['id', 'credential_id', 'public_key', 'counter', 'transports']).execute();
}

export async function startWebAuthnRegistration(deps: MfaDeps, caller: Caller): Promise<{ challengeId: string; options: PublicKeyCredentialCreationOptionsJSON }> {
  const p = caller.principal;
  return settle(deps, async (trx) => {
    await lockUser(trx, p.userId);
    await assertMayEnrol(trx, caller);
    const existing = await credentialsOf(trx, p.userId);
    const options = await (await webauthn()).generateRegistrationOptions({
      rpName: deps.rp.name,
      rpID: deps.rp.id,
      userName: p.email,
      userDisplayName: p.name,
      userID: userHandle(p.userId),
      attestationType: 'none',
      timeout: WEBAUTHN_TTL_MS,
      excludeCredentials: existing.map((c) => ({ id: c.credential_id, transports: c.transports as AuthenticatorTransportFuture[] })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      supportedAlgorithmIDs: ALGORITHMS,
    });
    const challengeId = await storeChallenge(trx, caller, 'webauthn-register', options.challenge);
    return { challengeId, options };
  });
}

export async function finishWebAuthnRegistration(deps: MfaDeps, caller: Caller, input: { challengeId: string; response: RegistrationResponseJSON; name?: string | undefined }): Promise<Enrolled & { credentialId: string }> {
  const userId = caller.principal.userId;
  const result = await settle(deps, async (trx) => {
    await lockUser(trx, userId);
    const factors = await assertMayEnrol(trx, caller);
    const fail = (reason: string, detail: string) => refuse(trx, deps, caller, { action: 'mfa.enrol', factor: 'webauthn', reason, error: new AppError('forbidden', detail) });
    const expectedChallenge = await consumeChallenge(trx, caller, 'webauthn-register', input.challengeId);
    if (!expectedChallenge) return refuse(trx, deps, caller, { action: 'mfa.enrol', factor: 'webauthn', reason: 'no_live_challenge', error: new AppError('gone', 'This registration expired or was already used; start again.') });
    let verification;
    try {
      verification = await (await webauthn()).verifyRegistrationResponse({ response: input.response, expectedChallenge, expectedOrigin: deps.rp.origin, expectedRPID: deps.rp.id, requireUserVerification: false, supportedAlgorithmIDs: ALGORITHMS });
    } catch {
      return fail('invalid_attestation', 'The passkey or security key response could not be verified.');
    }
    if (!verification.verified) return fail('invalid_attestation', 'The passkey or security key response could not be verified.');
    const info = verification.registrationInfo;
    const id = randomUUID();
    const inserted = await trx
      .insertInto('webauthn_credentials')
      .values({
        id,
        user_id: userId,
        credential_id: info.credential.id,
        public_key: info.credential.publicKey,
        counter: info.credential.counter,
        transports: (input.response.response.transports ?? []).slice(0, 8),
        device_type: info.credentialDeviceType,
        backed_up: info.credentialBackedUp,
        name: input.name?.trim() || (info.credentialDeviceType === 'multiDevice' ? 'Passkey' : 'Security key'),
      })
      .onConflict((oc) => oc.column('credential_id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return fail('duplicate_credential', 'This passkey or security key is already registered.');
    const recoveryCodes = factors.recoveryCodes === 0 ? await issueRecoveryCodes(trx, userId) : null;
    await deps.audit.append(trx, auditEvent(caller, { action: 'mfa.enrol', result: 'success', details: { factor: 'webauthn', credential: id, deviceType: info.credentialDeviceType } }));
    const completion = await completeIfUnverified(trx, deps, caller, 'webauthn');
    return { completion, recoveryCodes, credentialId: id };
  });
  await notifyOwner(deps, caller, 'passkey added', 'A passkey or security key was added to your account.');
  return result;
}

export async function startWebAuthnAuthentication(deps: MfaDeps, caller: Caller): Promise<{ challengeId: string; options: PublicKeyCredentialRequestOptionsJSON }> {
  return settle(deps, async (trx) => {
    await lockUser(trx, caller.principal.userId);
    const creds = await credentialsOf(trx, caller.principal.userId);
    if (creds.length === 0) throw new AppError('bad_request', 'No passkey or security key is registered for this account.');
    const options = await (await webauthn()).generateAuthenticationOptions({
      rpID: deps.rp.id,
      allowCredentials: creds.map((c) => ({ id: c.credential_id, transports: c.transports as AuthenticatorTransportFuture[] })),
      userVerification: 'preferred',
      timeout: WEBAUTHN_TTL_MS,
    });
    const challengeId = await storeChallenge(trx, caller, 'webauthn-auth', options.challenge);
    return { challengeId, options };
  });
}

/** Checks an assertion against the caller's challenge and one of the caller's credentials. */
export async function checkWebAuthnAssertion(trx: Executor, deps: MfaDeps, caller: Caller, input: { challengeId: string; response: AuthenticationResponseJSON }): Promise<Check> {
  const refused = (reason: string, detail = 'The passkey or security key response could not be verified.') => ({ ok: false as const, reason, error: new AppError('forbidden', detail), countFailure: false });
  const expectedChallenge = await consumeChallenge(trx, caller, 'webauthn-auth', input.challengeId);
  if (!expectedChallenge) return { ok: false, reason: 'no_live_challenge', error: new AppError('gone', 'This sign-in request expired or was already used; start again.'), countFailure: false };
  const cred = await trx
    .selectFrom('webauthn_credentials')
    .where('user_id', '=', caller.principal.userId)
    .where('credential_id', '=', input.response.id)
    .select(['id', 'credential_id', 'public_key', 'counter', 'transports'])
    .executeTakeFirst();
  if (!cred) return refused('unknown_credential');
  let verification;
  try {
    verification = await (await webauthn()).verifyAuthenticationResponse({
      response: input.response,
      expectedChallenge,
      expectedOrigin: deps.rp.origin,
      expectedRPID: deps.rp.id,
      credential: { id: cred.credential_id, publicKey: new Uint8Array(cred.public_key), counter: Number(cred.counter), transports: cred.transports as AuthenticatorTransportFuture[] },
      requireUserVerification: false,
    });
  } catch (err) {
    // The library refuses a counter that did not rise; say so in the audit trail (a cloned key looks like this).
    if (err instanceof Error && /counter/i.test(err.message)) return refused('counter_regressed', 'This security key may have been cloned; it was refused.');
    return refused('invalid_assertion');
  }
  if (!verification.verified) return refused('invalid_assertion');
  const next = verification.authenticationInfo.newCounter;
  // Counters only rise; authenticators that keep none (synced passkeys) always send 0.
  const swapped = await trx
    .updateTable('webauthn_credentials')
    .set({ counter: next, last_used_at: new Date() })
    .where('id', '=', cred.id)
    .where('counter', next === 0 ? '=' : '<', next)
    .executeTakeFirst();
  if (Number(swapped.numUpdatedRows) !== 1) return refused('counter_regressed', 'This security key may have been cloned; it was refused.');
  return { ok: true };
}
