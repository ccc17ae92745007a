/**
 * Contract of the phishing-defence routes (src/threats/phishing-reports/phishing-reports.routes.ts):
 * allow and block lists, "report phishing", the awareness record and the link
 * warning check (decisions 0035–0037).
 */
import { Type } from 'typebox';
import { Nullable, Uuid, type Endpoint } from './common.js';

/**
 * One of a constant list of strings, typed as their union. common.ts's
 * `Literals` infers plain `string` (Type.Enum's Static), which would untype the
 * handlers; this keeps the enum schema and gives it the union type.
 */
export function OneOf<const T extends readonly string[]>(values: T) {
  return Type.Unsafe<T[number]>(Type.Enum(values));
}

export const SENDER_LIST_KINDS = ['allow', 'block'] as const;
export const SENDER_LIST_STATUSES = ['active', 'pending'] as const;
export const SENDER_LIST_SOURCES = ['admin', 'report'] as const;
export const REPORT_OUTCOMES = ['pending', 'confirmed', 'false_positive'] as const;
/** The outcomes an officer may record (a report starts as `pending`). */
export const REPORT_DECISIONS = ['confirmed', 'false_positive'] as const;
export const LINK_LEVELS = ['ok', 'warn', 'block'] as const;

export const SenderListKind = OneOf(SENDER_LIST_KINDS);
export const SenderListStatus = OneOf(SENDER_LIST_STATUSES);
/** Why an entry is added, approved or removed, or why a report was decided (kept in the audit trail). */
export const DecisionReason = Type.String({ minLength: 3, maxLength: 500 });

export const SenderListEntry = Type.Object({
  id: Type.String(),
  kind: SenderListKind,
  value: Type.String(),
  status: SenderListStatus,
  source: OneOf(SENDER_LIST_SOURCES),
  reason: Type.String(),
  addedBy: Nullable(Type.String()),
  approvedBy: Nullable(Type.String()),
  createdAt: Type.String(),
});

export const PhishingReport = Type.Object({
  id: Type.String(),
  reporterId: Type.String(),
  ticketId: Type.String(),
  messageId: Type.String(),
  quarantineId: Type.String(),
  outcome: OneOf(REPORT_OUTCOMES),
  decidedAt: Nullable(Type.String()),
  createdAt: Type.String(),
});

export const SenderListQuery = Type.Object({ kind: Type.Optional(SenderListKind), status: Type.Optional(SenderListStatus) });
export const SenderListAddBody = Type.Object({ kind: SenderListKind, value: Type.String({ minLength: 3, maxLength: 254 }), reason: DecisionReason }, { additionalProperties: false });
export const ReasonBody = Type.Object({ reason: DecisionReason }, { additionalProperties: false });

export const ReportPhishingParams = Type.Object({ ticketId: Uuid, messageId: Uuid });
export const ReportPhishingBody = Type.Object({ comment: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false });
export const ReportPhishingResult = Type.Object({
  reportId: Type.String(),
  /** Null when the message was a phishing simulation (nothing is quarantined, decision 0192). */
  quarantineId: Nullable(Type.String()),
  blockSuggestionId: Nullable(Type.String()),
  /** Present and true when the message was a phishing simulation: the report counted as a success. */
  simulation: Type.Optional(Type.Literal(true)),
});

export const PhishingReportQuery = Type.Object({ mine: Type.Optional(Type.Boolean()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) });
export const ReportOutcomeBody = Type.Object({ outcome: OneOf(REPORT_DECISIONS), reason: DecisionReason }, { additionalProperties: false });

export const LinkCheckQuery = Type.Object({ u: Type.String({ minLength: 1, maxLength: 4096 }), m: Uuid, t: Type.Optional(Type.String({ maxLength: 500 })) });
export const LinkCheckResult = Type.Object({
  scheme: Type.String(),
  host: Type.String(),
  /** Registrable domain ('' for IP literals and non-web links). */
  domain: Type.String(),
  /** 'block': never open; 'warn': show the reasons first; 'ok': nothing found. */
  level: OneOf(LINK_LEVELS),
  reasons: Type.Array(Type.Object({ code: Type.String(), evidence: Type.String() })),
  message: Type.Object({ verdict: Nullable(Type.String()), score: Nullable(Type.Integer()), codes: Type.Array(Type.String()), reported: Type.Boolean() }),
  /** True when the link or the message it is in is suspicious or reported. */
  warn: Type.Boolean(),
});

export const senderListEndpoints = {
  list: { method: 'GET', url: '/api/sender-lists', querystring: SenderListQuery, response: Type.Object({ items: Type.Array(SenderListEntry) }) },
  add: { method: 'POST', url: '/api/sender-lists', body: SenderListAddBody, response: SenderListEntry, status: 201 },
  approve: { method: 'POST', url: '/api/sender-lists/:id/approve', params: Type.Object({ id: Uuid }), body: ReasonBody, response: SenderListEntry },
  remove: { method: 'POST', url: '/api/sender-lists/:id/remove', params: Type.Object({ id: Uuid }), body: ReasonBody, response: Type.Object({ ok: Type.Literal(true) }) },
} as const satisfies Record<string, Endpoint>;

export const phishingReportEndpoints = {
  report: { method: 'POST', url: '/api/tickets/:ticketId/messages/:messageId/report-phishing', params: ReportPhishingParams, body: ReportPhishingBody, response: ReportPhishingResult, status: 201 },
  list: { method: 'GET', url: '/api/phishing-reports', querystring: PhishingReportQuery, response: Type.Object({ items: Type.Array(PhishingReport) }) },
  outcome: { method: 'POST', url: '/api/phishing-reports/:id/outcome', params: Type.Object({ id: Uuid }), body: ReportOutcomeBody, response: PhishingReport },
} as const satisfies Record<string, Endpoint>;

export const linkCheckEndpoints = {
  check: { method: 'GET', url: '/api/links/check', querystring: LinkCheckQuery, response: LinkCheckResult },
} as const satisfies Record<string, Endpoint>;
