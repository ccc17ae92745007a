/**
 * Contract of the mailbox routes (src/helpdesk/mail/mailboxes.routes.ts): the inbound
 * addresses the built-in SMTP server accepts mail for and the team each routes
 * to (read: tickets.read; change: channels.manage).
 */
import { Type } from 'typebox';
import { IdParams, Nullable, Uuid, type Endpoint } from './common.js';

export const Mailbox = Type.Object({ id: Type.String(), address: Type.String(), name: Type.String(), teamId: Nullable(Type.String()) });
export const MailboxList = Type.Object({ mailboxes: Type.Array(Mailbox) });
export const MailboxBody = Type.Object({
  address: Type.String({ format: 'email', maxLength: 254 }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  teamId: Type.Optional(Nullable(Uuid)),
}, { additionalProperties: false });

export const mailboxEndpoints = {
  list: { method: 'GET', url: '/api/mailboxes', response: MailboxList },
  create: { method: 'POST', url: '/api/mailboxes', body: MailboxBody, response: Type.Object({ id: Type.String() }), status: 201 },
  /** Refused (409) once tickets came through the address. */
  remove: { method: 'DELETE', url: '/api/mailboxes/:id', params: IdParams, response: Type.Object({ ok: Type.Literal(true) }) },
} as const satisfies Record<string, Endpoint>;
