/**
 * Request and response schemas of the second-factor routes. Types are derived
 * from these (TypeBox); the response schemas are also what keeps anything
 * else (a secret hash, a public key) from leaving the server.
 */
import { Type, type Static } from '@fastify/type-provider-typebox';
import type { AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { AppError } from '../../errors.js';
import type { Proof } from './verify.service.js';

const B64 = (maxLength: number) => Type.String({ maxLength, pattern: '^[A-Za-z0-9_-]*={0,2}$' });
const CredentialId = Type.String({ minLength: 1, maxLength: 1400, pattern: '^[A-Za-z0-9_-]+={0,2}$' });
const Extensions = Type.Optional(Type.Record(Type.String(), Type.Unknown()));
const Attachment = Type.Optional(Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')]));

export const AssertionSchema = Type.Object({
  id: CredentialId,
  rawId: CredentialId,
  type: Type.Literal('public-key'),
  response: Type.Object({ clientDataJSON: B64(8192), authenticatorData: B64(8192), signature: B64(2048), userHandle: Type.Optional(B64(512)) }),
  clientExtensionResults: Extensions,
  authenticatorAttachment: Attachment,
});

export const AttestationSchema = Type.Object({
  id: CredentialId,
  rawId: CredentialId,
  type: Type.Literal('public-key'),
  response: Type.Object({
    clientDataJSON: B64(8192),
    attestationObject: B64(32768),
    transports: Type.Optional(Type.Array(Type.Union(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'].map((t) => Type.Literal(t))), { maxItems: 8 })),
  }),
  clientExtensionResults: Extensions,
  authenticatorAttachment: Attachment,
});

export function toAssertion(a: Static<typeof AssertionSchema>): AuthenticationResponseJSON {
  return { ...a, clientExtensionResults: a.clientExtensionResults ?? {} } as AuthenticationResponseJSON;
}

export function toAttestation(a: Static<typeof AttestationSchema>): RegistrationResponseJSON {
  return { ...a, clientExtensionResults: a.clientExtensionResults ?? {} } as RegistrationResponseJSON;
}

export const Code = Type.String({ minLength: 1, maxLength: 32 });
export const ChallengeId = Type.String({ format: 'uuid' });
export const Channel = Type.Union([Type.Literal('email'), Type.Literal('sms')]);
export const FactorName = Type.Union(['totp', 'recovery', 'email', 'sms', 'webauthn'].map((f) => Type.Literal(f)));

/** One body for every way of proving a factor; which fields are needed depends on `factor`. */
export const ProofBody = Type.Object(
  { factor: FactorName, code: Type.Optional(Code), challengeId: Type.Optional(ChallengeId), response: Type.Optional(AssertionSchema) },
  { additionalProperties: false },
);

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

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const CompletionSchema = Type.Object({
  /** The session now passes the gate. */
  mfaComplete: Type.Boolean(),
  method: Type.String(),
  /** CSRF token for the (possibly new) session. */
  csrfToken: Type.String(),
  /** Set when the role requires WebAuthn and none is registered yet. */
  next: Nullable(Type.String()),
});

export const EnrolledSchema = Type.Object({
  factor: Type.String(),
  mfaComplete: Type.Boolean(),
  csrfToken: Type.String(),
  next: Nullable(Type.String()),
  /** Shown once, when this enrolment gave the account its recovery codes. */
  recoveryCodes: Type.Union([Type.Array(Type.String()), Type.Null()]),
});

export const CodeSentSchema = Type.Object({ challengeId: Type.String(), expiresAt: Type.String(), destination: Type.String() });

export const CredentialSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  deviceType: Nullable(Type.String()),
  backedUp: Type.Boolean(),
  createdAt: Type.String(),
  lastUsedAt: Nullable(Type.String()),
});

export const OverviewSchema = Type.Object({
  verified: Type.Boolean(),
  method: Nullable(Type.String()),
  phishingResistantRequired: Type.Boolean(),
  factors: Type.Object({
    totp: Type.Boolean(),
    webauthn: Type.Array(CredentialSchema),
    email: Type.Boolean(),
    sms: Type.Object({ enrolled: Type.Boolean(), phone: Nullable(Type.String()) }),
    recoveryCodesLeft: Type.Integer(),
  }),
});

export const CreationOptions = Type.Unsafe<PublicKeyCredentialCreationOptionsJSON>({ type: 'object', additionalProperties: true });
export const RequestOptions = Type.Unsafe<PublicKeyCredentialRequestOptionsJSON>({ type: 'object', additionalProperties: true });
export const Ok = Type.Object({ ok: Type.Literal(true) });
