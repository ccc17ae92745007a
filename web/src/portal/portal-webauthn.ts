/**
 * Customer passkeys through @simplewebauthn/browser against /api/portal/mfa (decision 0220). Loaded on
 * demand (import('./portal-webauthn.js')), like the staff module, so the library stays out of the first load.
 */
import { startAuthentication, startRegistration, type AuthenticationResponseJSON, type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON, type RegistrationResponseJSON } from '@simplewebauthn/browser';
import type { Static } from 'typebox';
import type { AssertionSchema, AttestationSchema } from '../../../src/platform/http/schemas/mfa.js';
import { portalMfaEndpoints as e } from '../../../src/platform/http/schemas/portal-mfa.js';
import { portalCall } from './session.js';

const asAssertion = (r: AuthenticationResponseJSON): Static<typeof AssertionSchema> => ({ ...r, clientExtensionResults: { ...r.clientExtensionResults } });
const asAttestation = (r: RegistrationResponseJSON): Static<typeof AttestationSchema> => ({ ...r, clientExtensionResults: { ...r.clientExtensionResults } });

/** Creates a passkey for the signed-in customer and registers it (this also counts as a step-up). */
export async function addCustomerPasskey(name?: string) {
  const { challengeId, options } = await portalCall(e.passkeyOptions);
  const response = await startRegistration({ optionsJSON: options as unknown as PublicKeyCredentialCreationOptionsJSON });
  return portalCall(e.passkeyRegister, { body: { challengeId, response: asAttestation(response), ...(name ? { name } : {}) } });
}

/** Signs this session's challenge with one of the customer's passkeys and proves it (step-up). */
export async function verifyCustomerPasskey() {
  const { challengeId, options } = await portalCall(e.verifyOptions);
  const response = await startAuthentication({ optionsJSON: options as unknown as PublicKeyCredentialRequestOptionsJSON });
  return portalCall(e.verify, { body: { factor: 'webauthn', challengeId, response: asAssertion(response) } });
}
