/**
 * The second-factor contract lives in src/platform/http/schemas/mfa.ts (shared with the
 * web app); this module turns its validated bodies into the types the services
 * and @simplewebauthn/server take.
 */
import type { Static } from 'typebox';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { AppError } from '../../../platform/errors.js';
import type { AssertionSchema, AttestationSchema, ProofBody } from '../../../platform/http/schemas/mfa.js';
import type { Proof } from './verify.service.js';

export function toAssertion(a: Static<typeof AssertionSchema>): AuthenticationResponseJSON {
  return { ...a, clientExtensionResults: a.clientExtensionResults ?? {} } as AuthenticationResponseJSON;
}

export function toAttestation(a: Static<typeof AttestationSchema>): RegistrationResponseJSON {
  return { ...a, clientExtensionResults: a.clientExtensionResults ?? {} } as RegistrationResponseJSON;
}

export function toProof(body: Static<typeof ProofBody>): Proof {
  const missing = (field: string) => new AppError('validation_failed', `The ${body.factor} factor needs '${field}'.`, { extra: { errors: [{ field, message: 'required' }] } });
  switch (body.factor) {
    case 'totp':
    case 'recovery':
      if (!body.code) throw missing('code');
      return { factor: body.factor, code: body.code };
    case 'email':
    case 'sms':
      if (!body.challengeId) throw missing('challengeId');
      if (!body.code) throw missing('code');
      return { factor: body.factor, challengeId: body.challengeId, code: body.code };
    default:
      if (!body.challengeId) throw missing('challengeId');
      if (!body.response) throw missing('response');
      return { factor: 'webauthn', challengeId: body.challengeId, response: toAssertion(body.response) };
  }
}
