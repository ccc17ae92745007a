/**
 * Contract of the customer second-factor routes (src/helpdesk/portal/portal-mfa.routes.ts, decision 0220):
 * the customer's own factors in the portal (authenticator app, passkeys, step-up), the organisation's
 * requirement (administrators) and an agent's reset after an identity verification.
 */
import { Type } from 'typebox';
import { Nullable, Timestamp, Uuid, type Endpoint } from './common.js';
import { AssertionSchema, AttestationSchema, WebAuthnChallenge, WebAuthnRegistrationChallenge } from './mfa.js';

export const CustomerMfaPolicy = Type.Union([Type.Literal('never'), Type.Literal('sensitive'), Type.Literal('always')]);

export const CustomerMfaStatus = Type.Object({
  /** never; sensitive = before secure messages, downloads and contact changes; always = at sign-in too. */
  policy: CustomerMfaPolicy,
  totp: Type.Boolean(),
  passkeys: Type.Array(Type.Object({ id: Uuid, name: Type.String(), createdAt: Timestamp, lastUsedAt: Nullable(Timestamp) })),
  /** When this portal session last proved a factor, and until when that counts for sensitive actions. */
  verifiedAt: Nullable(Timestamp),
  freshUntil: Nullable(Timestamp),
});

const TotpCode = Type.String({ minLength: 6, maxLength: 8, pattern: '^[0-9 ]{6,8}$' });

export const CustomerProofBody = Type.Union([
  Type.Object({ factor: Type.Literal('totp'), code: TotpCode }, { additionalProperties: false }),
  Type.Object({ factor: Type.Literal('webauthn'), challengeId: Uuid, response: AssertionSchema }, { additionalProperties: false }),
]);

export const portalMfaEndpoints = {
  status: { method: 'GET', url: '/api/portal/mfa', response: CustomerMfaStatus },
  totpStart: { method: 'POST', url: '/api/portal/mfa/totp', response: Type.Object({ secret: Type.String(), uri: Type.String() }) },
  totpConfirm: { method: 'POST', url: '/api/portal/mfa/totp/confirm', body: Type.Object({ code: TotpCode }, { additionalProperties: false }), response: Type.Object({ ok: Type.Literal(true) }) },
  totpRemove: { method: 'DELETE', url: '/api/portal/mfa/totp', response: Type.Object({ ok: Type.Literal(true) }) },
  passkeyOptions: { method: 'POST', url: '/api/portal/mfa/passkeys/options', response: WebAuthnRegistrationChallenge },
  passkeyRegister: { method: 'POST', url: '/api/portal/mfa/passkeys', body: Type.Object({ challengeId: Uuid, response: AttestationSchema, name: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false }), response: Type.Object({ id: Uuid }), status: 201 },
  passkeyRemove: { method: 'DELETE', url: '/api/portal/mfa/passkeys/:id', params: Type.Object({ id: Uuid }), response: Type.Object({ ok: Type.Literal(true) }) },
  verifyOptions: { method: 'POST', url: '/api/portal/mfa/verify/options', response: WebAuthnChallenge },
  verify: { method: 'POST', url: '/api/portal/mfa/verify', body: CustomerProofBody, response: Type.Object({ verifiedAt: Timestamp, freshUntil: Timestamp }) },
  policy: { method: 'GET', url: '/api/settings/customer-mfa', response: Type.Object({ policy: CustomerMfaPolicy }) },
  setPolicy: { method: 'PUT', url: '/api/settings/customer-mfa', body: Type.Object({ policy: CustomerMfaPolicy }, { additionalProperties: false }), response: Type.Object({ policy: CustomerMfaPolicy }) },
  reset: {
    method: 'POST',
    url: '/api/customers/:id/portal-factors/reset',
    params: Type.Object({ id: Uuid }),
    body: Type.Object({ verificationId: Uuid }, { additionalProperties: false }),
    response: Type.Object({ removed: Type.Object({ totp: Type.Boolean(), passkeys: Type.Integer() }) }),
  },
} as const satisfies Record<string, Endpoint>;
