/**
 * Contract of the signature routes (src/helpdesk/signatures/signatures.routes.ts): a person's own signature
 * (tickets.write: only people who reply have one), a mailbox's (channels.manage), and the signature a reply on
 * a ticket would carry, for the composer's preview. Rich text, sanitised and redacted by the server; placeholders
 * `{{agent.name}}`, `{{mailbox.name}}` and `{{mailbox.address}}` are filled in when a reply is sent. Decision 0149.
 */
import { Type } from 'typebox';
import { IdParams, Nullable, type Endpoint } from './common.js';

/** Longest signature accepted (characters of HTML). */
export const SIGNATURE_MAX_CHARS = 10_000;
export const SIGNATURE_PLACEHOLDERS = ['agent.name', 'mailbox.name', 'mailbox.address'] as const;

/** An empty (or blank) `html` removes the signature. */
export const SignatureBody = Type.Object({ html: Type.String({ maxLength: SIGNATURE_MAX_CHARS }) }, { additionalProperties: false });
/** `html` as stored (sanitised, placeholders kept); empty when there is none. */
export const Signature = Type.Object({ html: Type.String() });
/** What a reply on this ticket would end with, placeholders filled in; null when it ends with no signature (not by email, or none set). */
export const SignaturePreview = Type.Object({ html: Nullable(Type.String()), text: Nullable(Type.String()) });

export const signatureEndpoints = {
  mine: { method: 'GET', url: '/api/account/signature', response: Signature },
  saveMine: { method: 'PUT', url: '/api/account/signature', body: SignatureBody, response: Signature },
  mailbox: { method: 'GET', url: '/api/mailboxes/:id/signature', params: IdParams, response: Signature },
  saveMailbox: { method: 'PUT', url: '/api/mailboxes/:id/signature', params: IdParams, body: SignatureBody, response: Signature },
  forTicket: { method: 'GET', url: '/api/tickets/:id/signature', params: IdParams, response: SignaturePreview },
} as const satisfies Record<string, Endpoint>;
