/**
 * Contract of the awareness routes (src/threats/awareness/awareness.routes.ts; docs/awareness.md, decision 0196).
 * Everyone may read their own page (/api/awareness/me). The dashboard, another person's page and the CSV
 * export need awareness.read (team leads: their teams' members) or simulations.read / organisation-wide
 * awareness.read (everyone); a person outside the caller's scope is not found.
 */
import { Type } from 'typebox';
import { IdParams, Literals, Nullable, Timestamp, Uuid } from './common.js';

export const AWARENESS_SIGNAL_KINDS = [
  'sim_clicked', 'sim_attachment_opened', 'sim_data_entered', 'sim_reported', 'sim_ignored', 'real_report_confirmed', 'training_passed', 'training_overdue', 'training_failed',
] as const;
export const AWARENESS_OUTCOMES = ['reported', 'data_entered', 'attachment_opened', 'clicked', 'opened', 'no_action', 'pending', 'skipped'] as const;
export const AWARENESS_EXPORT_TABLES = ['people', 'campaigns'] as const;

/** A share from 0 to 1 (null when nothing was delivered). */
const Rate = Nullable(Type.Number());

const SimFigures = {
  delivered: Type.Integer(), clicked: Type.Integer(), attachmentOpened: Type.Integer(), dataEntered: Type.Integer(), reported: Type.Integer(), noAction: Type.Integer(),
  clickRate: Rate, attachmentOpenRate: Rate, dataEntryRate: Rate, reportRate: Rate,
  /** Median minutes from delivery to the report, over those who reported. */
  medianMinutesToReport: Nullable(Type.Number()),
};

export const TrainingFigures = Type.Object({
  assigned: Type.Integer(), passed: Type.Integer(), due: Type.Integer(), overdue: Type.Integer(), failed: Type.Integer(), completionRate: Rate,
});

export const AwarenessPersonRow = Type.Object({
  userId: Uuid, name: Type.String(), teams: Type.Array(Type.String()), roles: Type.Array(Type.String()), score: Type.Integer(),
  delivered: Type.Integer(), clicked: Type.Integer(), attachmentOpened: Type.Integer(), dataEntered: Type.Integer(), reported: Type.Integer(), noAction: Type.Integer(),
  trainingAssigned: Type.Integer(), trainingPassed: Type.Integer(), trainingOverdue: Type.Integer(),
});

export const AwarenessCampaignRow = Type.Object({
  campaignId: Uuid, name: Type.String(), templateId: Type.String(), template: Type.String(), startsAt: Timestamp, status: Literals(['scheduled', 'ended'] as const),
  ...SimFigures,
});

export const AwarenessGroupRow = Type.Object({
  id: Type.String(), name: Type.String(), people: Type.Integer(),
  /** Mean score of the group's active members. */
  score: Nullable(Type.Number()),
  ...SimFigures,
  training: TrainingFigures,
});

export const AwarenessDashboard = Type.Object({
  /** `team`: the caller's teams' members and the caller; `org`: everyone. */
  scope: Literals(['team', 'org'] as const),
  generatedAt: Timestamp,
  overall: Type.Object({ score: Nullable(Type.Number()), people: Type.Integer() }),
  people: Type.Array(AwarenessPersonRow),
  campaigns: Type.Array(AwarenessCampaignRow),
  /** By month of delivery (YYYY-MM, UTC). */
  months: Type.Array(Type.Object({ month: Type.String(), ...SimFigures })),
  teams: Type.Array(AwarenessGroupRow),
  roles: Type.Array(AwarenessGroupRow),
  training: TrainingFigures,
});

export const AwarenessContribution = Type.Object({
  kind: Literals(AWARENESS_SIGNAL_KINDS),
  at: Timestamp,
  /** Points when it happened. */
  points: Type.Number(),
  /** What it adds today, after the recency decay. */
  current: Type.Number(),
  /** The simulation's template or the module's title. */
  subject: Nullable(Type.String()),
  minutes: Nullable(Type.Number()),
  onTime: Nullable(Type.Boolean()),
  firstAttempt: Nullable(Type.Boolean()),
  quizScore: Nullable(Type.Integer()),
});

export const AwarenessPerson = Type.Object({
  person: Type.Object({ userId: Uuid, name: Type.String(), active: Type.Boolean(), teams: Type.Array(Type.Object({ id: Uuid, name: Type.String() })), roles: Type.Array(Type.String()) }),
  score: Type.Integer({ minimum: 0, maximum: 100 }),
  /** The score just after each signal, then today's; oldest first. */
  history: Type.Array(Type.Object({ at: Timestamp, score: Type.Integer() })),
  /** What moved the score, newest first. */
  explanation: Type.Array(AwarenessContribution),
  simulations: Type.Array(Type.Object({
    campaignId: Uuid, campaignName: Type.String(), template: Type.String(), deliveredAt: Nullable(Timestamp), outcome: Literals(AWARENESS_OUTCOMES), minutesToReport: Nullable(Type.Number()),
  })),
  training: Type.Array(Type.Object({
    assignmentId: Uuid, moduleKey: Type.String(), title: Type.String(), status: Literals(['due', 'overdue', 'passed', 'failed'] as const), dueAt: Timestamp,
    completedAt: Nullable(Timestamp), attemptsUsed: Type.Integer(), bestScore: Nullable(Type.Integer()),
  })),
  realReports: Type.Object({ confirmed: Type.Integer(), pending: Type.Integer(), falsePositive: Type.Integer() }),
});

export const AwarenessExportQuery = Type.Object({ table: Literals(AWARENESS_EXPORT_TABLES) }, { additionalProperties: false });

export const awarenessEndpoints = {
  me: { method: 'GET', url: '/api/awareness/me', response: AwarenessPerson },
  dashboard: { method: 'GET', url: '/api/awareness/dashboard', response: AwarenessDashboard },
  person: { method: 'GET', url: '/api/awareness/people/:id', params: IdParams, response: AwarenessPerson },
  /** CSV (text/csv): the dashboard's per-person or per-campaign table; cells a spreadsheet would evaluate are neutralised. */
  export: { method: 'GET', url: '/api/awareness/export', querystring: AwarenessExportQuery },
} as const;
