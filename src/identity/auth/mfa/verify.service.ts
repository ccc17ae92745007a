/**
 * Proving a second factor, for sign-in (the session is rotated and carries
 * the factor) or step-up (the session is marked fresh for sensitive actions).
 * One transaction per attempt: lock the user, check the lock-out, apply the
 * role's policy, check the proof (consuming it), then rotate or mark, with the
 * audit event in the same commit. A refused proof commits what it consumed.
 */
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { AppError } from '../../../platform/errors.js';
import { sessionHasRequiredFactor } from '../access.js';
import { markStepUp } from '../sessions.js';
import { checkCodeChallenge } from './codes.service.js';
import {
  assertNotLocked,
  auditEvent,
  clearFailures,
  completeFactor,
  loadFactors,
  lockSession,
  lockUser,
  refuse,
  settle,
  type Caller,
  type Check,
  type Completion,
  type FactorKind,
  type MfaDeps,
} from './context.js';
import { checkRecoveryCode } from './recovery.js';
import { checkTotp } from './totp.service.js';
import { checkWebAuthnAssertion } from './webauthn.service.js';

/** The outcome of checking one proof. */
export type { Check };

export type Proof =
  | { factor: 'totp'; code: string }
  | { factor: 'recovery'; code: string }
  | { factor: 'email' | 'sms'; challengeId: string; code: string }
  | { factor: 'webauthn'; challengeId: string; response: AuthenticationResponseJSON };

export type VerifyPurpose = 'signin' | 'step-up';

export type Verified = { purpose: 'signin'; completion: Completion } | { purpose: 'step-up'; stepUpAt: Date; method: FactorKind };

const PHISHING_RESISTANT_ONLY = 'Your role requires a passkey or security key; codes and authenticator apps are not accepted.';

export async function verifySecondFactor(deps: MfaDeps, caller: Caller, proof: Proof, purpose: VerifyPurpose): Promise<Verified> {
  const p = caller.principal;
  if (purpose === 'step-up' && !sessionHasRequiredFactor(p)) {
    throw new AppError('mfa_required', 'Verify your second factor to continue.', { extra: { phishingResistantRequired: p.requirePhishingResistant } });
  }
  const action = purpose === 'signin' ? 'mfa.verify' : 'auth.step_up';
  return settle(deps, async (trx) => {
    await lockUser(trx, p.userId);
    await assertNotLocked(trx, p.userId);
    const session = await lockSession(trx, caller);
    if (p.requirePhishingResistant && proof.factor !== 'webauthn') {
      // Without any WebAuthn credential yet, another factor may open the way to
      // registering one (the session stays closed to everything else).
      const hasWebAuthn = (await loadFactors(trx, p.userId)).webauthn > 0;
      if (purpose === 'step-up' || hasWebAuthn) {
        return refuse(trx, deps, caller, { action, factor: proof.factor, reason: 'phishing_resistant_required', result: 'denied', error: new AppError('forbidden', PHISHING_RESISTANT_ONLY, { extra: { phishingResistantRequired: true } }), purpose });
      }
    }
    let check: Check;
    switch (proof.factor) {
      case 'totp': check = await checkTotp(trx, deps, caller, proof.code); break;
      case 'recovery': check = await checkRecoveryCode(trx, caller, proof.code); break;
      case 'email':
      case 'sms': check = await checkCodeChallenge(trx, deps, caller, { channel: proof.factor, purpose: 'verify', challengeId: proof.challengeId, code: proof.code }); break;
      case 'webauthn': check = await checkWebAuthnAssertion(trx, deps, caller, { challengeId: proof.challengeId, response: proof.response }); break;
    }
    if (!check.ok) return refuse(trx, deps, caller, { action, factor: proof.factor, reason: check.reason, error: check.error, countFailure: check.countFailure, purpose });
    await clearFailures(trx, p.userId);
    await deps.audit.append(trx, auditEvent(caller, { action, result: 'success', details: { factor: proof.factor, purpose } }));
    if (purpose === 'step-up') {
      const stepUpAt = new Date();
      await markStepUp(trx, session.id_hash, stepUpAt);
      return { purpose, stepUpAt, method: proof.factor };
    }
    return { purpose, completion: await completeFactor(trx, deps, caller, session, proof.factor) };
  });
}
