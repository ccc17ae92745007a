/**
 * Contract of the secure-message routes (src/helpdesk/secure-messages/secure-messages.routes.ts).
 * Agent side: send a reply as a secure message (the email carries only a
 * notice and a single-use link) and list a ticket's secure messages. Customer
 * side: open the emailed link (a code goes to the registered address), enter
 * the code (starts a portal session), read the message (audited).
 */
import { Type } from 'typebox';
import { IdParams, Nullable, Timestamp, Uuid, type Endpoint } from './common.js';
import { LinkToken, OneTimeCode, PortalStarted } from './portal.js';
import { TICKET_STATUSES } from './tickets.js';

export const SECURE_MESSAGE_MAX_CHARS = 200_000;

export const SecureReplyBody = Type.Object({
  body: Type.String({ minLength: 1, maxLength: SECURE_MESSAGE_MAX_CHARS }),
  /** The ticket's status afterwards; by default new/open tickets become pending. */
  status: Type.Optional(Type.Enum(TICKET_STATUSES)),
}, { additionalProperties: false });
export const SecureReplySent = Type.Object({ secureMessageId: Uuid, messageId: Uuid, expiresAt: Timestamp });

export const SecureMessageState = Type.Object({
  id: Uuid,
  messageId: Uuid,
  expiresAt: Timestamp,
  linkUsedAt: Nullable(Timestamp),
  firstReadAt: Nullable(Timestamp),
  readCount: Type.Integer(),
  createdAt: Timestamp,
});

export const SecureOpenBody = Type.Object({ token: LinkToken }, { additionalProperties: false });
/** Whether the link can still start a session: `spent` covers used, expired and unknown alike. */
export const SecureLinkState = Type.Object({ state: Type.Union([Type.Literal('usable'), Type.Literal('spent')]) });
export const SecureOpened = Type.Object({ challengeId: Uuid, expiresAt: Timestamp });
export const SecureVerifyBody = Type.Object({ challengeId: Type.String({ maxLength: 64 }), code: OneTimeCode }, { additionalProperties: false });
export const SecureVerified = Type.Object({ ...PortalStarted.properties, secureMessageId: Uuid, ticketId: Uuid });

export const SecureMessage = Type.Object({
  id: Uuid,
  ticketId: Uuid,
  ticketNumber: Type.Integer(),
  /** Null when the customer's data was erased. */
  body: Nullable(Type.String()),
  createdAt: Timestamp,
});

export const secureMessageEndpoints = {
  /** Agent: reply as a secure message (tickets.write). */
  send: { method: 'POST', url: '/api/tickets/:id/secure-replies', params: IdParams, body: SecureReplyBody, response: SecureReplySent, status: 201 },
  /** Agent: a ticket's secure messages with expiry, link use and reads (tickets.read). */
  list: { method: 'GET', url: '/api/tickets/:id/secure-messages', params: IdParams, response: Type.Object({ items: Type.Array(SecureMessageState) }) },
  /** Customer: whether the emailed link is still usable, so a spent link offers no "Send me a code"; sends nothing. */
  check: { method: 'POST', url: '/api/portal/secure/check', body: SecureOpenBody, response: SecureLinkState },
  /** Customer: open the emailed link; answers 202 once a code is on its way to the registered address. */
  open: { method: 'POST', url: '/api/portal/secure/open', body: SecureOpenBody, response: SecureOpened, status: 202 },
  /** Customer: the code starts a portal session and uses up the link. */
  verify: { method: 'POST', url: '/api/portal/secure/verify', body: SecureVerifyBody, response: SecureVerified },
  /** Customer (portal session): read one secure message; every read is audited. */
  read: { method: 'GET', url: '/api/portal/secure-messages/:id', params: IdParams, response: SecureMessage },
} as const satisfies Record<string, Endpoint>;
