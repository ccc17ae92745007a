/**
 * Contract of the quarantine routes (src/threats/quarantine/quarantine.routes.ts): held
 * messages for security officers — list, audited read, release, delete.
 */
import { Type } from 'typebox';
import { Nullable, Uuid, type Endpoint } from './common.js';
import { DecisionReason } from './phishing-reports.js';

export const QUARANTINE_STATUSES = ['held', 'released', 'deleted'] as const;
export const QuarantineStatus = Type.Union([Type.Literal('held'), Type.Literal('released'), Type.Literal('deleted')]);

export const QuarantineItem = Type.Object({
  id: Type.String(),
  mailboxId: Nullable(Type.String()),
  /** Why it is held: `malformed`, `phishing`, `dangerous_attachment`, `reported`… */
  reason: Type.String(),
  codes: Type.Array(Type.String()),
  threatScore: Nullable(Type.Integer()),
  rawSize: Type.Integer(),
  status: Type.String(),
  createdAt: Type.String(),
  /** The From header (name and address), decoded; null once deleted. Listing is an audited read. */
  from: Nullable(Type.String()),
  /** The Subject header (after sensitive-data redaction), decoded; null once deleted. */
  subject: Nullable(Type.String()),
});

export const QuarantineDetail = Type.Object({
  id: Type.String(),
  reason: Type.String(),
  codes: Type.Array(Type.String()),
  threatScore: Nullable(Type.Integer()),
  status: Type.String(),
  createdAt: Type.String(),
  decidedAt: Nullable(Type.String()),
  /** The phishing engine's explained reasons, as stored when the message was held. */
  reasons: Type.Array(Type.Object({ code: Type.String(), weight: Type.Number(), evidence: Type.String() })),
  /** The message source after sensitive-data redaction, cut to 256 KiB. */
  source: Type.String(),
  truncated: Type.Boolean(),
});

export const QuarantineListQuery = Type.Object({ status: Type.Optional(QuarantineStatus), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) });
/** A release or deletion always carries a reason; it is kept in the audit trail. */
export const QuarantineDecisionBody = Type.Object({ reason: DecisionReason }, { additionalProperties: false });
export const QuarantineParams = Type.Object({ id: Uuid });

export const quarantineEndpoints = {
  list: { method: 'GET', url: '/api/quarantine', querystring: QuarantineListQuery, response: Type.Object({ items: Type.Array(QuarantineItem) }) },
  read: { method: 'GET', url: '/api/quarantine/:id', params: QuarantineParams, response: QuarantineDetail },
  release: { method: 'POST', url: '/api/quarantine/:id/release', params: QuarantineParams, body: QuarantineDecisionBody, response: Type.Object({ outcome: Type.String(), ticketId: Type.Optional(Type.String()) }) },
  delete: { method: 'POST', url: '/api/quarantine/:id/delete', params: QuarantineParams, body: QuarantineDecisionBody, response: Type.Object({ ok: Type.Literal(true) }) },
} as const satisfies Record<string, Endpoint>;
