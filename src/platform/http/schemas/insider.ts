/**
 * Contract of the insider-threat routes (src/threats/insider/insider.routes.ts): alerts with their
 * explanation and evidence, acknowledge and dismiss, suppressions, thresholds, scheduled deactivations.
 */
import { Type } from 'typebox';
import { IdParams, Literals, Nullable, Timestamp, Uuid } from './common.js';

export const INSIDER_RULES = ['volume', 'unrelated', 'off_hours', 'exports', 'denied', 'new_network', 'dormant', 'grant_use', 'leaver'] as const;
export const ALERT_STATUSES = ['open', 'acknowledged', 'dismissed'] as const;

const Rule = Literals(INSIDER_RULES);
const Reason = Type.String({ minLength: 3, maxLength: 1000 });

export const EvidenceRef = Type.Object({ id: Type.String(), idx: Type.Integer({ minimum: 0 }) });

export const InsiderAlert = Type.Object({
  id: Uuid,
  rule: Rule,
  ruleTitle: Type.String(),
  userId: Uuid,
  userName: Type.String(),
  explanation: Type.String(),
  /** The audit entries the alert rests on (their ids and positions in the trail). */
  evidence: Type.Array(EvidenceRef),
  facts: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String(), Type.Boolean(), Type.Null()])),
  since: Timestamp,
  raisedAt: Timestamp,
  status: Literals(ALERT_STATUSES),
  statusReason: Nullable(Type.String()),
  statusBy: Nullable(Type.String()),
  statusAt: Nullable(Timestamp),
  /** The incident the alert was escalated to, when there is one. */
  incidentId: Nullable(Uuid),
});

export const AlertListQuery = Type.Object({
  status: Type.Optional(Literals(ALERT_STATUSES)),
  rule: Type.Optional(Rule),
  userId: Type.Optional(Uuid),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
}, { additionalProperties: false });

export const Suppression = Type.Object({
  id: Uuid, rule: Rule, userId: Uuid, userName: Type.String(), reason: Type.String(), expiresAt: Timestamp, createdBy: Nullable(Type.String()), createdAt: Timestamp,
});
export const CreateSuppressionBody = Type.Object({
  rule: Rule,
  userId: Uuid,
  reason: Reason,
  /** How long the rule stays quiet for this person (at most 90 days). */
  days: Type.Integer({ minimum: 1, maximum: 90 }),
}, { additionalProperties: false });

const Bool = Type.Boolean();
const Num = Type.Number();
const Int = Type.Integer();
/** Every rule's thresholds (the server validates bounds and returns problem+json naming each bad field). */
export const Thresholds = Type.Object({
  volume: Type.Object({ enabled: Bool, minCount: Int, sigmas: Num, minRatio: Num, learningWeeks: Int }),
  unrelated: Type.Object({ enabled: Bool, minDistinct: Int, windowMinutes: Int, relationDays: Int }),
  off_hours: Type.Object({ enabled: Bool, timeZone: Type.String(), days: Type.Array(Int), startHour: Int, endHour: Int, minEvents: Int, usualDays: Int }),
  exports: Type.Object({ enabled: Bool, maxRecordsPerHour: Int, personalFactor: Num }),
  denied: Type.Object({ enabled: Bool, count: Int, windowMinutes: Int }),
  new_network: Type.Object({ enabled: Bool, withinMinutes: Int, minReveals: Int, minSignins: Int }),
  dormant: Type.Object({ enabled: Bool, days: Int }),
  grant_use: Type.Object({ enabled: Bool, withinMinutes: Int, minHistoryDays: Int }),
  leaver: Type.Object({ enabled: Bool, minEvents: Int, factor: Num, sigmas: Num }),
});
export const ThresholdsView = Type.Object({
  thresholds: Thresholds,
  defaults: Thresholds,
  rules: Type.Array(Type.Object({ key: Rule, title: Type.String() })),
  updatedAt: Nullable(Timestamp),
});
/** Any subset of rules and settings; merged over the organisation's current thresholds. */
export const ThresholdsBody = Type.Record(Type.String({ maxLength: 40 }), Type.Unknown(), { maxProperties: 20 });

export const DeactivationParams = Type.Object({ userId: Uuid });
export const DeactivationBody = Type.Object({ at: Nullable(Type.String({ format: 'date-time' })) }, { additionalProperties: false });

export const insiderEndpoints = {
  alerts: { method: 'GET', url: '/api/insider/alerts', querystring: AlertListQuery, response: Type.Object({ items: Type.Array(InsiderAlert) }) },
  alert: { method: 'GET', url: '/api/insider/alerts/:id', params: IdParams, response: InsiderAlert },
  acknowledge: { method: 'POST', url: '/api/insider/alerts/:id/acknowledge', params: IdParams, body: Type.Object({ note: Type.Optional(Reason) }, { additionalProperties: false }), response: InsiderAlert },
  dismiss: { method: 'POST', url: '/api/insider/alerts/:id/dismiss', params: IdParams, body: Type.Object({ reason: Reason }, { additionalProperties: false }), response: InsiderAlert },
  suppressions: { method: 'GET', url: '/api/insider/suppressions', response: Type.Object({ items: Type.Array(Suppression) }) },
  suppress: { method: 'POST', url: '/api/insider/suppressions', body: CreateSuppressionBody, response: Suppression, status: 201 },
  unsuppress: { method: 'DELETE', url: '/api/insider/suppressions/:id', params: IdParams, response: Type.Object({ ok: Type.Literal(true) }) },
  thresholds: { method: 'GET', url: '/api/insider/thresholds', response: ThresholdsView },
  setThresholds: { method: 'PUT', url: '/api/insider/thresholds', body: ThresholdsBody, response: ThresholdsView },
  scheduleDeactivation: { method: 'PUT', url: '/api/insider/people/:userId/deactivation', params: DeactivationParams, body: DeactivationBody, response: Type.Object({ userId: Uuid, at: Nullable(Timestamp) }) },
} as const;
