/**
 * Passkeys through @simplewebauthn/browser. Loaded on demand (import('./webauthn.js')),
 * so the library stays out of the first-load bundle.
 */
import { startAuthentication, startRegistration, WebAuthnError, type AuthenticationResponseJSON, type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON, type RegistrationResponseJSON } from '@simplewebauthn/browser';
import type { Static } from 'typebox';
import { mfaEndpoints, type AssertionSchema, type AttestationSchema } from '../../../src/platform/http/schemas/mfa.js';
import { call } from '../api.js';

export type Registered = Awaited<ReturnType<typeof registerPasskey>>;

/** The browser's answer in the contract's shape (its extension outputs are a plain record). */
function asAssertion(r: AuthenticationResponseJSON): Static<typeof AssertionSchema> {
  return { ...r, clientExtensionResults: { ...r.clientExtensionResults } };
}

function asAttestation(r: RegistrationResponseJSON): Static<typeof AttestationSchema> {
  return { ...r, clientExtensionResults: { ...r.clientExtensionResults } };
}

/** Asks the authenticator to sign this session's challenge; the caller sends it to verify or step-up. */
export async function passkeyProof(): Promise<{ factor: 'webauthn'; challengeId: string; response: Static<typeof AssertionSchema> }> {
  const { challengeId, options } = await call(mfaEndpoints.webauthnAuthOptions);
  const response = await startAuthentication({ optionsJSON: options as unknown as PublicKeyCredentialRequestOptionsJSON });
  return { factor: 'webauthn', challengeId, response: asAssertion(response) };
}

/** Creates a passkey and registers it; the answer may complete sign-in (first factor, or the required passkey). */
export async function registerPasskey(name?: string) {
  const { challengeId, options } = await call(mfaEndpoints.webauthnRegisterOptions);
  const response = await startRegistration({ optionsJSON: options as unknown as PublicKeyCredentialCreationOptionsJSON });
  return call(mfaEndpoints.webauthnRegister, { body: { challengeId, response: asAttestation(response), ...(name ? { name } : {}) } });
}

/** True for the browser's "cancelled or timed out" answers, which deserve a gentle message rather than an error. */
export function isCancelled(error: unknown): boolean {
  if (error instanceof WebAuthnError) return error.code === 'ERROR_CEREMONY_ABORTED' || error.cause instanceof DOMException && error.cause.name === 'NotAllowedError';
  return error instanceof DOMException && (error.name === 'NotAllowedError' || error.name === 'AbortError');
}
