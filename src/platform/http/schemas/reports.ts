/**
 * Contract of the reports routes (src/helpdesk/reports/reports.routes.ts, reports.read). Every
 * figure is computed from metadata columns only (times, statuses, channels, teams, assignees,
 * verdicts, ratings), never from decrypted customer data, and scoped in SQL: agents see their own
 * tickets, team leads their teams', organisation-wide roles the organisation's (decision 0156).
 */
import { Type, type Static } from 'typebox';
import { Nullable, Uuid, type Endpoint } from './common.js';

/** The longest range one request may cover. */
export const REPORT_MAX_DAYS = 366;
export const REPORT_NAMES = ['volume', 'times', 'sla', 'csat', 'channels', 'threats'] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

const Day = Type.String({ format: 'date', description: 'YYYY-MM-DD in the report’s time zone' });

export const ReportQuery = Type.Object({
  /** First day, inclusive. */
  from: Day,
  /** Last day, inclusive. */
  to: Day,
  /** IANA time zone the days are counted in (default UTC). */
  timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  teamId: Type.Optional(Uuid),
  /** Tickets assigned to this person. */
  agentId: Type.Optional(Uuid),
}, { additionalProperties: false });

export const ReportExportQuery = Type.Object({ ...ReportQuery.properties, report: Type.Union(REPORT_NAMES.map((n) => Type.Literal(n))) }, { additionalProperties: false });

const Count = Type.Integer({ minimum: 0 });
/** Minutes; null when no ticket qualifies. */
export const Percentiles = Type.Object({ count: Count, p50: Nullable(Type.Number()), p90: Nullable(Type.Number()) });
export const SlaFigures = Type.Object({ met: Count, breached: Count, pending: Count, /** Per cent of met among met + breached. */ attainment: Nullable(Type.Number()) });

export const ReportDashboard = Type.Object({
  scope: Type.Union([Type.Literal('own'), Type.Literal('team'), Type.Literal('org')]),
  range: Type.Object({ from: Type.String(), to: Type.String(), timeZone: Type.String() }),
  /** One row per day of the range: tickets created, solved, and open at the day's end. */
  volume: Type.Array(Type.Object({ day: Type.String(), created: Count, solved: Count, backlog: Type.Integer() })),
  /** First response of tickets created in the range; resolution of tickets solved in it. */
  times: Type.Object({ firstResponse: Percentiles, resolution: Percentiles }),
  /** Tickets created in the range that had SLA due times. */
  sla: Type.Object({ firstResponse: SlaFigures, resolution: SlaFigures }),
  csat: Type.Object({
    good: Count,
    bad: Count,
    /** Per cent good among all ratings; null without ratings. */
    score: Nullable(Type.Number()),
    days: Type.Array(Type.Object({ day: Type.String(), good: Count, bad: Count })),
  }),
  channels: Type.Array(Type.Object({ channel: Type.String(), count: Count })),
  threats: Type.Object({
    /** Inbound messages on the scope's tickets, by phishing verdict. */
    verdicts: Type.Array(Type.Object({ verdict: Type.String(), count: Count })),
    /** Messages quarantined, by reason; null where the scope has no mailboxes (an agent's own figures, one agent). */
    quarantined: Nullable(Type.Array(Type.Object({ reason: Type.String(), count: Count }))),
  }),
  /** What the filters may choose from, within the caller's scope. */
  filters: Type.Object({
    teams: Type.Array(Type.Object({ id: Uuid, name: Type.String() })),
    agents: Type.Array(Type.Object({ id: Uuid, name: Type.String() })),
  }),
});
export type ReportDashboardView = Static<typeof ReportDashboard>;

export const reportEndpoints = {
  dashboard: { method: 'GET', url: '/api/reports', querystring: ReportQuery, response: ReportDashboard },
  /** One report as CSV (a download, opened as a link rather than through `call`). */
  export: { method: 'GET', url: '/api/reports/export', querystring: ReportExportQuery },
} as const satisfies Record<string, Endpoint>;
