/**
 * Contract of the customer portal routes (src/helpdesk/portal/portal.routes.ts): sign-in
 * by emailed code or magic link, the customer's own tickets, replies and
 * uploads, attachment downloads and the public request form. Portal writes
 * carry `X-Portal-CSRF` (PORTAL_CSRF_HEADER), never the staff header.
 */
import { Type } from 'typebox';
import { Nullable, Timestamp, Uuid, type Endpoint } from './common.js';

/** The portal's CSRF header; its value comes from sign-in or GET /api/portal/me. */
export const PORTAL_CSRF_HEADER = 'x-portal-csrf';
/** The public form's honeypot: hidden from people, filled in by naive bots. */
export const HONEYPOT_FIELD = 'website';

/** A six-digit one-time code as people type it (spaces allowed). */
export const OneTimeCode = Type.String({ pattern: '^[0-9 ]{6,8}$' });
/** A `tdm_` link token from an email (checked on the server; the length only bounds the input). */
export const LinkToken = Type.String({ maxLength: 100 });

export const PortalStarted = Type.Object({ csrfToken: Type.String(), expiresAt: Type.String() });

export const PortalOrganization = Type.Object({ id: Uuid, name: Type.String() });
export const PortalOrganizationQuery = Type.Object({ organizationId: Type.Optional(Uuid) });

export const PortalSignInBody = Type.Object({ organizationId: Uuid, email: Type.String({ format: 'email', maxLength: 254 }) }, { additionalProperties: false });
export const PortalSignInStarted = Type.Object({ challengeId: Uuid });
export const PortalCodeBody = Type.Object({ challengeId: Type.String({ maxLength: 64 }), code: OneTimeCode }, { additionalProperties: false });
export const PortalLinkBody = Type.Object({ token: LinkToken }, { additionalProperties: false });

export const PortalMe = Type.Object({ customerId: Uuid, organizationId: Uuid, organizationName: Type.String(), method: Type.String(), csrfToken: Type.String(), maxUploadBytes: Type.Integer() });

export const PortalTicketSummary = Type.Object({
  id: Uuid,
  number: Type.Integer(),
  subject: Nullable(Type.String()),
  status: Type.String(),
  createdAt: Timestamp,
  lastMessageAt: Timestamp,
});

export const PortalAttachment = Type.Object({
  id: Uuid,
  filename: Nullable(Type.String()),
  size: Type.Integer(),
  type: Type.String(),
  /** Executables, macros, double extensions, type mismatches: downloading needs `confirm=1`. */
  dangerous: Type.Boolean(),
});

export const PortalMessage = Type.Object({
  id: Uuid,
  from: Type.Union([Type.Literal('you'), Type.Literal('support')]),
  body: Nullable(Type.String()),
  secure: Type.Boolean(),
  attachments: Type.Array(PortalAttachment),
  createdAt: Timestamp,
});

export const PortalTicket = Type.Object({ ...PortalTicketSummary.properties, messages: Type.Array(PortalMessage) });

export const PortalTicketParams = Type.Object({ id: Uuid });
export const PortalAttachmentParams = Type.Object({ id: Uuid, attachmentId: Uuid });
export const PortalDownloadQuery = Type.Object({ confirm: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('0')])) });

export const PORTAL_REPLY_MAX_CHARS = 50_000;
export const PortalReplyBody = Type.Object({ body: Type.String({ minLength: 1, maxLength: PORTAL_REPLY_MAX_CHARS }) }, { additionalProperties: false });
export const PortalReplyResult = Type.Object({ messageId: Uuid, redactions: Type.Integer() });

/** Uploads are the raw file (application/octet-stream); the name and the browser's idea of its type ride in the query. */
export const PortalUploadQuery = Type.Object({
  filename: Type.String({ minLength: 1, maxLength: 255 }),
  type: Type.Optional(Type.String({ maxLength: 200 })),
  /** Add the file to this message of the customer's own, sent within PORTAL_ATTACH_WINDOW_MINUTES (a reply and its files read as one message); otherwise the file is a message of its own. */
  messageId: Type.Optional(Uuid),
});
/** How long after sending a message the customer may still add files to it. */
export const PORTAL_ATTACH_WINDOW_MINUTES = 15;
/** Files one message may carry. */
export const PORTAL_MAX_FILES_PER_MESSAGE = 10;
export const PortalUploadResult = Type.Object({ messageId: Uuid, attachmentId: Uuid, sniffedType: Type.String(), dangerous: Type.Boolean() });

export const RequestFormQuery = Type.Object({ organizationId: Type.Optional(Uuid) });
export const RequestForm = Type.Object({ formToken: Type.String(), honeypotField: Type.String(), minFillSeconds: Type.Integer() });
export const NewRequestBody = Type.Object({
  organizationId: Uuid,
  name: Type.String({ minLength: 1, maxLength: 200 }),
  email: Type.String({ format: 'email', maxLength: 254 }),
  subject: Type.String({ minLength: 1, maxLength: 300 }),
  body: Type.String({ minLength: 1, maxLength: 50_000 }),
  [HONEYPOT_FIELD]: Type.Optional(Type.String({ maxLength: 500 })),
  formToken: Type.String({ maxLength: 200 }),
}, { additionalProperties: false });
export const RequestReceived = Type.Object({ received: Type.Literal(true) });

export const portalEndpoints = {
  organization: { method: 'GET', url: '/api/portal/organization', querystring: PortalOrganizationQuery, response: PortalOrganization },
  signIn: { method: 'POST', url: '/api/portal/signin', body: PortalSignInBody, response: PortalSignInStarted, status: 202 },
  signInCode: { method: 'POST', url: '/api/portal/signin/code', body: PortalCodeBody, response: PortalStarted },
  signInLink: { method: 'POST', url: '/api/portal/signin/link', body: PortalLinkBody, response: PortalStarted },
  signOut: { method: 'POST', url: '/api/portal/signout', response: Type.Object({ ok: Type.Literal(true) }) },
  me: { method: 'GET', url: '/api/portal/me', response: PortalMe },
  tickets: { method: 'GET', url: '/api/portal/tickets', response: Type.Object({ items: Type.Array(PortalTicketSummary) }) },
  ticket: { method: 'GET', url: '/api/portal/tickets/:id', params: PortalTicketParams, response: PortalTicket },
  reply: { method: 'POST', url: '/api/portal/tickets/:id/replies', params: PortalTicketParams, body: PortalReplyBody, response: PortalReplyResult, status: 201 },
  /** Raw body; call with `raw` (a Blob typed application/octet-stream). */
  upload: { method: 'POST', url: '/api/portal/tickets/:id/attachments', params: PortalTicketParams, querystring: PortalUploadQuery, response: PortalUploadResult, status: 201 },
  /** The file itself (Content-Disposition: attachment); open it as a link, not with `call`. */
  download: { method: 'GET', url: '/api/portal/tickets/:id/attachments/:attachmentId', params: PortalAttachmentParams, querystring: PortalDownloadQuery },
  requestForm: { method: 'GET', url: '/api/portal/request-form', querystring: RequestFormQuery, response: RequestForm },
  submitRequest: { method: 'POST', url: '/api/portal/requests', body: NewRequestBody, response: RequestReceived, status: 202 },
} as const satisfies Record<string, Endpoint>;

/** The download address of one attachment (for `<a href>`; same path as `portalEndpoints.download`). */
export function portalAttachmentUrl(ticketId: string, attachmentId: string, confirm = false): string {
  return `/api/portal/tickets/${encodeURIComponent(ticketId)}/attachments/${encodeURIComponent(attachmentId)}${confirm ? '?confirm=1' : ''}`;
}
