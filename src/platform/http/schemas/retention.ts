/**
 * Contract of the retention and legal-hold routes (src/helpdesk/privacy/retention.routes.ts, decision 0207): the
 * organisation's retention policy, the dry run, runs with their progress, and legal holds on customers and tickets.
 */
import { Type, type Static } from 'typebox';
import { Literals, Nullable, Uuid, type Endpoint } from './common.js';

export const RETENTION_CHANNELS = ['email', 'web', 'portal', 'api', 'phone', 'chat'] as const;
const Channel = Literals(RETENTION_CHANNELS);
const Months = Nullable(Type.Integer({ minimum: 1, maximum: 600 }));
const Days = Nullable(Type.Integer({ minimum: 1, maximum: 3650 }));

export const RetentionPolicy = Type.Object(
  {
    /** Solved or closed tickets, `months` after they were solved (null: kept). Empty lists: every channel, tag, team. */
    tickets: Type.Object(
      {
        months: Months,
        channels: Type.Array(Channel, { maxItems: 6 }),
        tags: Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 50 }),
        teamIds: Type.Array(Uuid, { maxItems: 100 }),
      },
      { additionalProperties: false },
    ),
    /** Quarantined messages, this many days after they arrived (null: kept). */
    quarantineDays: Days,
    /** Access-export bundles, this many days after they were built, or once expired (null: kept). */
    exportDays: Days,
    /** Customers with no open ticket and nothing new for this many months are erased (null: kept). */
    inactiveCustomerMonths: Months,
  },
  { additionalProperties: false },
);

export type RetentionPolicyValue = Static<typeof RetentionPolicy>;

export const RetentionCounts = Type.Object({ tickets: Type.Integer(), quarantine: Type.Integer(), exports: Type.Integer(), customers: Type.Integer() });
export const RetentionCutoffs = Type.Object({ asOf: Type.String(), tickets: Nullable(Type.String()), quarantine: Nullable(Type.String()), exports: Nullable(Type.String()), customers: Nullable(Type.String()) });
export const RetentionDryRun = Type.Object({ asOf: Type.String(), cutoffs: RetentionCutoffs, counts: RetentionCounts });

export const RetentionRun = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]),
  via: Type.Union([Type.Literal('api'), Type.Literal('cli'), Type.Literal('schedule')]),
  asOf: Type.String(),
  policy: RetentionPolicy,
  cutoffs: RetentionCutoffs,
  /** What the run planned to delete (the dry run at its start). */
  planned: RetentionCounts,
  deleted: RetentionCounts,
  /** Planned but no longer selected when their batch came (a hold set, a ticket reopened, a customer back). */
  skipped: RetentionCounts,
  percent: Type.Integer({ minimum: 0, maximum: 100 }),
  requestedBy: Nullable(Type.String()),
  createdAt: Type.String(),
  startedAt: Nullable(Type.String()),
  finishedAt: Nullable(Type.String()),
  error: Nullable(Type.String()),
});

const ObjectType = Type.Union([Type.Literal('customer'), Type.Literal('ticket')]);
const Reason = Type.String({ minLength: 3, maxLength: 500 });

export const LegalHold = Type.Object({
  id: Type.String(),
  objectType: ObjectType,
  objectId: Type.String(),
  reason: Type.String(),
  setBy: Nullable(Type.String()),
  setAt: Type.String(),
  liftedBy: Nullable(Type.String()),
  liftedAt: Nullable(Type.String()),
  liftReason: Nullable(Type.String()),
  active: Type.Boolean(),
});

export const HoldListQuery = Type.Object(
  { active: Type.Optional(Type.Boolean()), objectType: Type.Optional(ObjectType), objectId: Type.Optional(Uuid), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) },
  { additionalProperties: false },
);

/** When the policy runs by itself (UTC); null: only when someone starts a run. */
export const RetentionScheduleInput = Nullable(
  Type.Object(
    {
      frequency: Type.Union([Type.Literal('daily'), Type.Literal('weekly')]),
      hour: Type.Integer({ minimum: 0, maximum: 23 }),
      /** Weekly only: 0 = Sunday … 6 = Saturday. */
      weekday: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 6 }))),
    },
    { additionalProperties: false },
  ),
);

export const RetentionSchedule = Type.Object({
  schedule: Nullable(
    Type.Object({
      frequency: Type.Union([Type.Literal('daily'), Type.Literal('weekly')]),
      hour: Type.Integer(),
      weekday: Nullable(Type.Integer()),
      /** The person whose approval each run starts on; runs are skipped while they lack the right to start one. */
      enabledBy: Nullable(Type.String()),
      enabledAt: Type.String(),
      nextRunAt: Type.String(),
      lastRunAt: Nullable(Type.String()),
      lastRunId: Nullable(Type.String()),
      lastOutcome: Nullable(Type.Union([Type.Literal('started'), Type.Literal('run_unfinished'), Type.Literal('approver_lacks_permission')])),
    }),
  ),
});

export const retentionEndpoints = {
  policy: { method: 'GET', url: '/api/privacy/retention/policy', response: RetentionPolicy },
  savePolicy: { method: 'PUT', url: '/api/privacy/retention/policy', body: RetentionPolicy, response: RetentionPolicy },
  dryRun: { method: 'GET', url: '/api/privacy/retention/dry-run', response: RetentionDryRun },
  runs: { method: 'GET', url: '/api/privacy/retention/runs', response: Type.Object({ items: Type.Array(RetentionRun) }) },
  startRun: { method: 'POST', url: '/api/privacy/retention/runs', response: RetentionRun },
  run: { method: 'GET', url: '/api/privacy/retention/runs/:id', params: Type.Object({ id: Uuid }), response: RetentionRun },
  schedule: { method: 'GET', url: '/api/privacy/retention/schedule', response: RetentionSchedule },
  saveSchedule: { method: 'PUT', url: '/api/privacy/retention/schedule', body: Type.Object({ schedule: RetentionScheduleInput }, { additionalProperties: false }), response: RetentionSchedule },
  holds: { method: 'GET', url: '/api/privacy/holds', querystring: HoldListQuery, response: Type.Object({ items: Type.Array(LegalHold) }) },
  setHold: { method: 'POST', url: '/api/privacy/holds', body: Type.Object({ objectType: ObjectType, objectId: Uuid, reason: Reason }, { additionalProperties: false }), response: LegalHold },
  liftHold: { method: 'POST', url: '/api/privacy/holds/:id/lift', params: Type.Object({ id: Uuid }), body: Type.Object({ reason: Reason }, { additionalProperties: false }), response: LegalHold },
} as const satisfies Record<string, Endpoint>;
