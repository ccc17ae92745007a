/**
 * Contract of the security incident routes (src/threats/incidents/incidents.routes.ts):
 * incidents.read lists and reads; incidents.manage creates, changes, contains,
 * hands off to IT and keeps the personal-data breach record (decision 0195).
 */
import { Type } from 'typebox';
import { Email, IdParams, Literals, Nullable, Timestamp, Uuid, type Endpoint } from './common.js';

export const INCIDENT_TYPES = ['phishing_reported', 'phishing_clicked', 'account_compromise', 'data_exposure', 'insider_alert', 'lost_device', 'other'] as const;
export type IncidentType = (typeof INCIDENT_TYPES)[number];
export const INCIDENT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];
export const INCIDENT_STATUSES = ['new', 'triage', 'contained', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
/** Where an incident came from. An insider alert is referred to by its id only. */
export const INCIDENT_SOURCE_KINDS = ['manual', 'phishing_report', 'quarantine', 'simulation', 'insider_alert'] as const;
export type IncidentSourceKind = (typeof INCIDENT_SOURCE_KINDS)[number];
export const EVIDENCE_KINDS = ['ticket', 'quarantine', 'phishing_report', 'insider_alert', 'user', 'customer', 'audit_entry', 'simulation_recipient'] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];
export const INCIDENT_EVENT_KINDS = ['created', 'note', 'status', 'changed', 'evidence', 'containment', 'breach', 'handoff'] as const;
export type IncidentEventKind = (typeof INCIDENT_EVENT_KINDS)[number];
export const CONTAINMENT_ACTIONS = ['end_sessions', 'suspend_account', 'reset_factors', 'revoke_tokens', 'block_sender', 'require_verification'] as const;
export type ContainmentAction = (typeof CONTAINMENT_ACTIONS)[number];

/**
 * The allowed status moves. Each needs a reason; `resolved → triage` reopens.
 * Shared with the web app so it offers only these.
 */
export const INCIDENT_TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = {
  new: ['triage', 'contained', 'resolved'],
  triage: ['contained', 'resolved'],
  contained: ['triage', 'resolved'],
  resolved: ['triage'],
};

/** Whether the data subjects are told (art. 34); a string, not a nullable boolean, so no coercion can turn "undecided" into "no". */
export const SUBJECT_DECISIONS = ['undecided', 'notify', 'do_not_notify'] as const;
export type SubjectDecision = (typeof SUBJECT_DECISIONS)[number];

/** Hours from awareness to the supervisory-authority deadline (GDPR art. 33(1)). */
export const BREACH_DEADLINE_HOURS = 72;

const Reason = Type.String({ minLength: 3, maxLength: 1000 });
const Title = Type.String({ minLength: 3, maxLength: 200 });
const Text = (max: number) => Type.String({ maxLength: max });

export const IncidentSource = Type.Object({ kind: Literals(INCIDENT_SOURCE_KINDS), id: Uuid }, { additionalProperties: false });
export const EvidenceRef = Type.Object({
  kind: Literals(EVIDENCE_KINDS),
  /** A uuid; for `audit_entry`, the entry's tree index. */
  ref: Type.String({ minLength: 1, maxLength: 64, pattern: '^([0-9a-fA-F-]{36}|[0-9]{1,15})$' }),
}, { additionalProperties: false });

export const Evidence = Type.Object({
  id: Uuid,
  kind: Type.String(),
  ref: Type.String(),
  /** A short label with no customer data (ticket number, quarantine reason, an action name…); null when the object is gone. */
  label: Nullable(Type.String()),
  /** Where the object is shown in the app, when it has a page. */
  href: Nullable(Type.String()),
  addedAt: Timestamp,
});

export const TimelineItem = Type.Object({
  id: Uuid,
  kind: Type.String(),
  at: Timestamp,
  actorId: Nullable(Type.String()),
  actorName: Nullable(Type.String()),
  detail: Nullable(Type.Record(Type.String(), Type.Unknown())),
  /** A note or a reason. */
  text: Nullable(Type.String()),
});

export const BreachRecordFields = Type.Object({
  nature: Text(4000),
  subjectCategories: Text(1000),
  approxSubjects: Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
  recordCategories: Text(1000),
  approxRecords: Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
  consequences: Text(4000),
  measures: Text(4000),
  dpoContact: Text(500),
  /** Why data subjects are, or are not, told (art. 34). */
  notifySubjectsReason: Text(2000),
}, { additionalProperties: false });

export const Breach = Type.Object({
  awareAt: Timestamp,
  deadlineAt: Timestamp,
  overdue: Type.Boolean(),
  record: BreachRecordFields,
  notifySubjects: Literals(SUBJECT_DECISIONS),
  authorityNotifiedAt: Nullable(Timestamp),
  subjectsNotifiedAt: Nullable(Timestamp),
  /** Counted from the linked evidence: distinct customers and records touched. */
  computed: Type.Object({ subjects: Type.Integer(), records: Type.Integer() }),
});

export const IncidentSummary = Type.Object({
  id: Uuid,
  number: Type.Integer(),
  title: Type.String(),
  type: Literals(INCIDENT_TYPES),
  severity: Literals(INCIDENT_SEVERITIES),
  status: Literals(INCIDENT_STATUSES),
  ownerId: Nullable(Type.String()),
  ownerName: Nullable(Type.String()),
  sourceKind: Type.String(),
  sourceId: Nullable(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  breachDeadlineAt: Nullable(Timestamp),
  authorityNotifiedAt: Nullable(Timestamp),
});

export const IncidentDetail = Type.Intersect([
  IncidentSummary,
  Type.Object({
    resolvedAt: Nullable(Timestamp),
    handedOffAt: Nullable(Timestamp),
    evidence: Type.Array(Evidence),
    timeline: Type.Array(TimelineItem),
    breach: Nullable(Breach),
    transitions: Type.Array(Type.String()),
  }),
]);

export const IncidentListQuery = Type.Object({
  status: Type.Optional(Literals(INCIDENT_STATUSES)),
  severity: Type.Optional(Literals(INCIDENT_SEVERITIES)),
  type: Type.Optional(Literals(INCIDENT_TYPES)),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
}, { additionalProperties: false });

export const CreateIncidentBody = Type.Object({
  /** Optional with a source: taken from it (a phishing report is `phishing_reported`, a simulation `phishing_clicked`). */
  type: Type.Optional(Literals(INCIDENT_TYPES)),
  severity: Type.Optional(Literals(INCIDENT_SEVERITIES)),
  title: Type.Optional(Title),
  ownerId: Type.Optional(Uuid),
  source: Type.Optional(IncidentSource),
  evidence: Type.Optional(Type.Array(EvidenceRef, { maxItems: 50 })),
}, { additionalProperties: false });

export const UpdateIncidentBody = Type.Object({
  title: Type.Optional(Title),
  type: Type.Optional(Literals(INCIDENT_TYPES)),
  severity: Type.Optional(Literals(INCIDENT_SEVERITIES)),
  ownerId: Type.Optional(Nullable(Uuid)),
}, { additionalProperties: false, minProperties: 1 });

export const NoteBody = Type.Object({ text: Type.String({ minLength: 1, maxLength: 10_000 }) }, { additionalProperties: false });
export const TransitionBody = Type.Object({ to: Literals(INCIDENT_STATUSES), reason: Reason }, { additionalProperties: false });

export const ContainmentBody = Type.Object({
  action: Literals(CONTAINMENT_ACTIONS),
  /** A staff user (sessions, suspension, factors, tokens), a customer (verification) — or none for a block. */
  targetId: Type.Optional(Uuid),
  /** For `block_sender`: a domain (example.com) or an address. */
  value: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
  reason: Reason,
}, { additionalProperties: false });
export const ContainmentResult = Type.Object({ action: Type.String(), outcome: Type.Record(Type.String(), Type.Unknown()) });

export const BreachBody = Type.Object({
  /** When the organisation became aware; defaults to now. It cannot move once set. */
  awareAt: Type.Optional(Type.String({ format: 'date-time' })),
  record: Type.Optional(Type.Partial(BreachRecordFields)),
  notifySubjects: Type.Optional(Literals(SUBJECT_DECISIONS)),
  authorityNotifiedAt: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
  subjectsNotifiedAt: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
}, { additionalProperties: false });

export const BreachRecordQuery = Type.Object({ format: Type.Optional(Literals(['json', 'markdown', 'html'] as const)) }, { additionalProperties: false });

export const IncidentSettings = Type.Object({ itEmail: Nullable(Email), dpoContact: Nullable(Type.String({ maxLength: 500 })) }, { additionalProperties: false });

export const Handoff = Type.Object({ emailedTo: Nullable(Type.String()), webhookQueued: Type.Boolean() });

export const incidentEndpoints = {
  list: { method: 'GET', url: '/api/incidents', querystring: IncidentListQuery, response: Type.Object({ items: Type.Array(IncidentSummary) }) },
  create: { method: 'POST', url: '/api/incidents', body: CreateIncidentBody, response: IncidentDetail, status: 201 },
  read: { method: 'GET', url: '/api/incidents/:id', params: IdParams, response: IncidentDetail },
  update: { method: 'PATCH', url: '/api/incidents/:id', params: IdParams, body: UpdateIncidentBody, response: IncidentDetail },
  note: { method: 'POST', url: '/api/incidents/:id/notes', params: IdParams, body: NoteBody, response: IncidentDetail },
  transition: { method: 'POST', url: '/api/incidents/:id/transition', params: IdParams, body: TransitionBody, response: IncidentDetail },
  addEvidence: { method: 'POST', url: '/api/incidents/:id/evidence', params: IdParams, body: EvidenceRef, response: IncidentDetail },
  contain: { method: 'POST', url: '/api/incidents/:id/containment', params: IdParams, body: ContainmentBody, response: ContainmentResult },
  breach: { method: 'PUT', url: '/api/incidents/:id/breach', params: IdParams, body: BreachBody, response: IncidentDetail },
  handoff: { method: 'POST', url: '/api/incidents/:id/handoff', params: IdParams, response: Handoff },
  settings: { method: 'GET', url: '/api/incident-settings', response: IncidentSettings },
  saveSettings: { method: 'PUT', url: '/api/incident-settings', body: IncidentSettings, response: IncidentSettings },
} as const satisfies Record<string, Endpoint>;

/** Downloads (not JSON): the evidence bundle (zip) and the breach notification record. */
export const INCIDENT_BUNDLE_URL = '/api/incidents/:id/bundle';
export const INCIDENT_BREACH_RECORD_URL = '/api/incidents/:id/breach-record';
