/**
 * Contract of the verify-customer routes (src/helpdesk/verification/verification.routes.ts).
 * Agent side: send a one-time code to the requester's registered email or
 * phone, enter the code the customer reads back, list a ticket's outcomes; the
 * organisation's policy. Customer side (portal session): verifications waiting
 * for a code, and entering it.
 */
import { Type } from 'typebox';
import { IdParams, Nullable, Timestamp, Uuid, type Endpoint } from './common.js';
import { OneTimeCode } from './portal.js';

export const VERIFICATION_CHANNELS = ['email', 'sms'] as const;
export const VERIFICATION_STATUSES = ['pending', 'verified', 'failed'] as const;

// Type.Enum with the explicit tuple keeps the union type (Literals() currently widens readonly tuples to string).
export const VerificationChannel = Type.Enum<[...typeof VERIFICATION_CHANNELS]>(VERIFICATION_CHANNELS);
export const VerificationStatus = Type.Enum<[...typeof VERIFICATION_STATUSES]>(VERIFICATION_STATUSES);

export const StartVerificationBody = Type.Object({ channel: VerificationChannel }, { additionalProperties: false });
export const VerificationStarted = Type.Object({
  verificationId: Uuid,
  channel: Type.String(),
  /** The masked address or number the code went to. */
  sentTo: Type.String(),
  expiresAt: Timestamp,
});
export const CheckVerificationParams = Type.Object({ id: Uuid, verificationId: Uuid });
export const VerificationCodeBody = Type.Object({ code: OneTimeCode }, { additionalProperties: false });
export const VerificationOutcome = Type.Object({ status: VerificationStatus });

export const Verification = Type.Object({
  id: Uuid,
  ticketId: Uuid,
  channel: Type.String(),
  status: VerificationStatus,
  verifiedVia: Nullable(Type.String()),
  attempts: Type.Integer(),
  expiresAt: Timestamp,
  decidedAt: Nullable(Timestamp),
  createdAt: Timestamp,
});
export const VerificationList = Type.Object({ items: Type.Array(Verification) });

export const VerificationPolicyBody = Type.Object(
  { requireBeforeReveal: Type.Boolean(), validMinutes: Type.Integer({ minimum: 1, maximum: 1440 }) },
  { additionalProperties: false },
);

export const PendingPortalVerification = Type.Object({ id: Uuid, ticketId: Uuid, expiresAt: Timestamp });

export const verificationEndpoints = {
  /** Agent (customers.verify): send a code; 201. */
  start: { method: 'POST', url: '/api/tickets/:id/verifications', params: IdParams, body: StartVerificationBody, response: VerificationStarted, status: 201 },
  /** Agent (customers.verify): the code the customer read back; the outcome is recorded on the ticket. */
  check: { method: 'POST', url: '/api/tickets/:id/verifications/:verificationId/check', params: CheckVerificationParams, body: VerificationCodeBody, response: VerificationOutcome },
  /** Agent (tickets.read): a ticket's verification outcomes. */
  list: { method: 'GET', url: '/api/tickets/:id/verifications', params: IdParams, response: VerificationList },
  /** Admin (policies.manage): require a recent verification before customer fields are revealed. */
  setPolicy: { method: 'PUT', url: '/api/organization/verification-policy', body: VerificationPolicyBody, response: Type.Object({ ok: Type.Literal(true) }) },
  /** Customer (portal session): verifications waiting for my code. */
  portalPending: { method: 'GET', url: '/api/portal/verifications', response: Type.Object({ items: Type.Array(PendingPortalVerification) }) },
  /** Customer (portal session, X-Portal-CSRF): enter the code. */
  portalSubmit: { method: 'POST', url: '/api/portal/verifications/:id', params: IdParams, body: VerificationCodeBody, response: VerificationOutcome },
} as const satisfies Record<string, Endpoint>;
