/**
 * Contract of the second-factor routes (src/identity/auth/mfa/mfa.routes.ts): enrol,
 * verify, step up, manage and reset factors. The response schemas are also
 * what keeps anything else (a secret hash, a public key) from leaving the server.
 * WebAuthn options travel as the JSON @simplewebauthn produces; the server
 * module converts validated bodies to its library's types (src/identity/auth/mfa/mfa.schemas.ts).
 */
import { Type } from 'typebox';
import { Nullable, Uuid, type Endpoint } from './common.js';

const B64 = (maxLength: number) => Type.String({ maxLength, pattern: '^[A-Za-z0-9_-]*={0,2}$' });
const CredentialId = Type.String({ minLength: 1, maxLength: 1400, pattern: '^[A-Za-z0-9_-]+={0,2}$' });
const Extensions = Type.Optional(Type.Record(Type.String(), Type.Unknown()));
const Attachment = Type.Optional(Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')]));


/** A WebAuthn assertion (navigator.credentials.get) as JSON. */
export const AssertionSchema = Type.Object({
  id: CredentialId,
  rawId: CredentialId,
  type: Type.Literal('public-key'),
  response: Type.Object({ clientDataJSON: B64(8192), authenticatorData: B64(8192), signature: B64(2048), userHandle: Type.Optional(B64(512)) }),
  clientExtensionResults: Extensions,
  authenticatorAttachment: Attachment,
});

/** A WebAuthn attestation (navigator.credentials.create) as JSON. */
export const AttestationSchema = Type.Object({
  id: CredentialId,
  rawId: CredentialId,
  type: Type.Literal('public-key'),
  response: Type.Object({
    clientDataJSON: B64(8192),
    attestationObject: B64(32768),
    transports: Type.Optional(Type.Array(Type.Union([Type.Literal('ble'), Type.Literal('cable'), Type.Literal('hybrid'), Type.Literal('internal'), Type.Literal('nfc'), Type.Literal('smart-card'), Type.Literal('usb')]), { maxItems: 8 })),
  }),
  clientExtensionResults: Extensions,
  authenticatorAttachment: Attachment,
});

export const Code = Type.String({ minLength: 1, maxLength: 32 });
export const ChallengeId = Type.String({ format: 'uuid' });
export const Channel = Type.Union([Type.Literal('email'), Type.Literal('sms')]);
export const FactorName = Type.Union([Type.Literal('totp'), Type.Literal('recovery'), Type.Literal('email'), Type.Literal('sms'), Type.Literal('webauthn')]);

/** One body for every way of proving a factor; which fields are needed depends on `factor`. */
export const ProofBody = Type.Object(
  { factor: FactorName, code: Type.Optional(Code), challengeId: Type.Optional(ChallengeId), response: Type.Optional(AssertionSchema) },
  { additionalProperties: false },
);

export const CompletionSchema = Type.Object({
  /** The session now passes the gate. */
  mfaComplete: Type.Boolean(),
  method: Type.String(),
  /** CSRF token for the (possibly new) session. */
  csrfToken: Type.String(),
  /** Set when the role requires WebAuthn and none is registered yet ('enrol_webauthn'). */
  next: Nullable(Type.String()),
});

export const EnrolledSchema = Type.Object({
  factor: Type.String(),
  mfaComplete: Type.Boolean(),
  csrfToken: Type.String(),
  next: Nullable(Type.String()),
  /** Shown once, when this enrolment gave the account its recovery codes. */
  recoveryCodes: Nullable(Type.Array(Type.String())),
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

/** PublicKeyCredentialCreationOptionsJSON / RequestOptionsJSON: passed as-is to @simplewebauthn/browser. */
export interface WebAuthnOptionsJSON {
  challenge: string;
}
export const CreationOptions = Type.Unsafe<WebAuthnOptionsJSON>({ type: 'object', additionalProperties: true });
export const RequestOptions = Type.Unsafe<WebAuthnOptionsJSON>({ type: 'object', additionalProperties: true });
export const Ok = Type.Object({ ok: Type.Literal(true) });

export const StepUpResult = Type.Object({ stepUpUntil: Type.String(), method: Type.String() });
export const WebAuthnChallenge = Type.Object({ challengeId: Type.String(), options: RequestOptions });
export const WebAuthnRegistrationChallenge = Type.Object({ challengeId: Type.String(), options: CreationOptions });
export const SendCodeBody = Type.Object({ channel: Channel }, { additionalProperties: false });
export const TotpStarted = Type.Object({ secret: Type.String(), uri: Type.String() });
export const TotpConfirmBody = Type.Object({ code: Code }, { additionalProperties: false });
export const PasskeyName = Type.String({ minLength: 1, maxLength: 60 });
export const RegisterPasskeyBody = Type.Object({ challengeId: ChallengeId, response: AttestationSchema, name: Type.Optional(PasskeyName) }, { additionalProperties: false });
export const PasskeyRegistered = Type.Object({ ...EnrolledSchema.properties, credentialId: Type.String() });
export const CodeEnrolBody = Type.Object({ channel: Channel, phone: Type.Optional(Type.String({ minLength: 4, maxLength: 32 })) }, { additionalProperties: false });
export const CodeConfirmBody = Type.Object({ channel: Channel, challengeId: ChallengeId, code: Code }, { additionalProperties: false });
export const CredentialList = Type.Object({ credentials: Type.Array(CredentialSchema) });
export const CredentialParams = Type.Object({ id: Uuid });
export const RenamePasskeyBody = Type.Object({ name: PasskeyName }, { additionalProperties: false });
export const ChannelParams = Type.Object({ channel: Channel });
export const RecoveryCodes = Type.Object({ recoveryCodes: Type.Array(Type.String()) });
export const ResetParams = Type.Object({ userId: Uuid });
export const ResetResult = Type.Object({ removed: Type.Record(Type.String(), Type.Integer()), sessionsEnded: Type.Integer() });
export const SmsOutbox = Type.Object({ driver: Type.String(), messages: Type.Array(Type.Object({ id: Type.String(), to: Type.String(), body: Type.String(), createdAt: Type.String() })) });

export const mfaEndpoints = {
  overview: { method: 'GET', url: '/api/auth/mfa', response: OverviewSchema },
  verify: { method: 'POST', url: '/api/auth/mfa/verify', body: ProofBody, response: CompletionSchema },
  stepUp: { method: 'POST', url: '/api/auth/step-up', body: ProofBody, response: StepUpResult },
  webauthnAuthOptions: { method: 'POST', url: '/api/auth/mfa/webauthn/authenticate/options', response: WebAuthnChallenge },
  sendCode: { method: 'POST', url: '/api/auth/mfa/codes/send', body: SendCodeBody, response: CodeSentSchema },
  totpEnrol: { method: 'POST', url: '/api/auth/mfa/totp/enrol', response: TotpStarted },
  totpConfirm: { method: 'POST', url: '/api/auth/mfa/totp/confirm', body: TotpConfirmBody, response: EnrolledSchema },
  webauthnRegisterOptions: { method: 'POST', url: '/api/auth/mfa/webauthn/register/options', response: WebAuthnRegistrationChallenge },
  webauthnRegister: { method: 'POST', url: '/api/auth/mfa/webauthn/register/verify', body: RegisterPasskeyBody, response: PasskeyRegistered },
  codesEnrol: { method: 'POST', url: '/api/auth/mfa/codes/enrol', body: CodeEnrolBody, response: CodeSentSchema },
  codesConfirm: { method: 'POST', url: '/api/auth/mfa/codes/confirm', body: CodeConfirmBody, response: EnrolledSchema },
  credentials: { method: 'GET', url: '/api/auth/mfa/webauthn/credentials', response: CredentialList },
  renameCredential: { method: 'PATCH', url: '/api/auth/mfa/webauthn/credentials/:id', params: CredentialParams, body: RenamePasskeyBody, response: Ok },
  deleteCredential: { method: 'DELETE', url: '/api/auth/mfa/webauthn/credentials/:id', params: CredentialParams, response: Ok },
  deleteTotp: { method: 'DELETE', url: '/api/auth/mfa/totp', response: Ok },
  deleteCodes: { method: 'DELETE', url: '/api/auth/mfa/codes/:channel', params: ChannelParams, response: Ok },
  recoveryCodes: { method: 'POST', url: '/api/auth/mfa/recovery-codes', response: RecoveryCodes },
  reset: { method: 'POST', url: '/api/auth/mfa/reset/:userId', params: ResetParams, response: ResetResult },
  smsOutbox: { method: 'GET', url: '/api/auth/mfa/sms-outbox', response: SmsOutbox },
} as const satisfies Record<string, Endpoint>;
