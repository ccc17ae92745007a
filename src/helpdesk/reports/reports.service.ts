/**
 * The reports dashboard (decisions 0156, 0157): the caller's scope for reports.read decides, in
 * SQL, which tickets count (own → assigned to me, team → my teams' and mine, org → all). Every
 * read is audited, with the range and filters only: no customer data is read or recorded.
 */
import { sql } from 'kysely';
import { scopeOf } from '../../identity/auth/access.js';
import { AppError } from '../../platform/errors.js';
import { REPORT_MAX_DAYS, type ReportDashboardView, type ReportName } from '../../platform/http/schemas/reports.js';
import { actingFromAgent, type AgentContext, type HelpdeskDeps } from '../tickets/context.js';
import {
  backlogAnchor, backlogSeries, channelMix, createdPerDay, csatPerDay, daysBetween, firstResponsePercentiles, phishingVerdicts,
  quarantineVolume, resolutionPercentiles, slaAttainment, solvedPerDay, type ReportFilter,
} from './queries.js';
import { reportCsv } from './export.js';
import { enforceDataEgress } from '../../identity/devices/egress.js';
import { watermarkCsv } from '../../identity/devices/watermark.js';

export interface ReportInput {
  from: string;
  to: string;
  timeZone?: string | undefined;
  teamId?: string | undefined;
  agentId?: string | undefined;
}

function checkTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw new AppError('validation_failed', `Unknown time zone ${JSON.stringify(tz.slice(0, 64))}.`);
  }
}

/** The caller's filter: scope from their permission, range as instants in the time zone. */
export async function reportFilter(deps: HelpdeskDeps, ctx: AgentContext, input: ReportInput, now = new Date()): Promise<ReportFilter> {
  const p = ctx.principal;
  const scope = scopeOf(p, 'reports.read');
  if (!scope) throw new AppError('forbidden', 'You may not read reports.');
  const tz = input.timeZone ?? 'UTC';
  checkTimeZone(tz);
  const days = (Date.parse(`${input.to}T00:00:00Z`) - Date.parse(`${input.from}T00:00:00Z`)) / 86_400_000 + 1;
  if (!Number.isFinite(days) || days < 1) throw new AppError('validation_failed', 'The range must start on or before its last day.');
  if (days > REPORT_MAX_DAYS) throw new AppError('validation_failed', `A report covers at most ${REPORT_MAX_DAYS} days.`);
  const r = await sql<{ start: Date; end: Date }>`
    SELECT ((${input.from}::date)::timestamp AT TIME ZONE ${tz}) AS start, ((${input.to}::date + 1)::timestamp AT TIME ZONE ${tz}) AS end`.execute(deps.db);
  const row = r.rows[0] as { start: Date; end: Date };
  return { orgId: p.orgId, scope, userId: p.userId, teamIds: p.teamIds, teamId: input.teamId, agentId: input.agentId, start: new Date(row.start), end: new Date(row.end), timeZone: tz, now };
}

async function filterOptions(deps: HelpdeskDeps, f: ReportFilter): Promise<ReportDashboardView['filters']> {
  if (f.scope === 'own') return { teams: [], agents: [] };
  let teams = deps.db.selectFrom('teams').where('org_id', '=', f.orgId).select(['id', 'name']).orderBy('name').orderBy('id');
  let agents = deps.db.selectFrom('users').where('users.org_id', '=', f.orgId).where('users.status', '=', 'active').select(['users.id', 'users.name']).orderBy('users.name').orderBy('users.id');
  if (f.scope === 'team') {
    if (f.teamIds.length === 0) return { teams: [], agents: [] };
    teams = teams.where('id', 'in', [...f.teamIds]);
    agents = agents.where((eb) => eb.exists(eb.selectFrom('team_members').whereRef('team_members.user_id', '=', 'users.id').where('team_members.team_id', 'in', [...f.teamIds]).select('team_members.user_id')));
  } else {
    agents = agents.where((eb) =>
      eb.exists(eb.selectFrom('user_roles').innerJoin('role_permissions', 'role_permissions.role_id', 'user_roles.role_id').whereRef('user_roles.user_id', '=', 'users.id').where('role_permissions.permission', '=', 'tickets.write').select('user_roles.user_id')),
    );
  }
  return { teams: await teams.limit(500).execute(), agents: await agents.limit(1000).execute() };
}

async function audit(deps: HelpdeskDeps, ctx: AgentContext, f: ReportFilter, input: ReportInput, report: string): Promise<void> {
  await deps.audit.record({
    ...actingFromAgent(ctx),
    action: 'report.read',
    result: 'success',
    details: { report, scope: f.scope, from: input.from, to: input.to, timeZone: f.timeZone, teamId: input.teamId ?? null, agentId: input.agentId ?? null },
  });
}

/** Every section of the dashboard for one range and filter. */
export async function computeDashboard(deps: HelpdeskDeps, f: ReportFilter, input: { from: string; to: string }): Promise<Omit<ReportDashboardView, 'filters'>> {
  const db = deps.db;
  const [created, solved, anchor, firstResponse, resolution, sla, csatDays, channels, verdicts, quarantined] = await Promise.all([
    createdPerDay(db, f), solvedPerDay(db, f), backlogAnchor(db, f), firstResponsePercentiles(db, f), resolutionPercentiles(db, f),
    slaAttainment(db, f), csatPerDay(db, f), channelMix(db, f), phishingVerdicts(db, f), quarantineVolume(db, f),
  ]);
  const days = daysBetween(input.from, input.to);
  const backlog = backlogSeries(days, created, solved, anchor);
  const good = csatDays.reduce((s, d) => s + d.good, 0);
  const bad = csatDays.reduce((s, d) => s + d.bad, 0);
  return {
    scope: f.scope,
    range: { from: input.from, to: input.to, timeZone: f.timeZone },
    volume: days.map((day, i) => ({ day, created: created.get(day) ?? 0, solved: solved.get(day) ?? 0, backlog: backlog[i] ?? 0 })),
    times: { firstResponse, resolution },
    sla,
    csat: { good, bad, score: good + bad === 0 ? null : Math.round((good / (good + bad)) * 1000) / 10, days: csatDays },
    channels,
    threats: { verdicts, quarantined },
  };
}

export async function readReportDashboard(deps: HelpdeskDeps, ctx: AgentContext, input: ReportInput): Promise<ReportDashboardView> {
  const f = await reportFilter(deps, ctx, input);
  const dashboard = await computeDashboard(deps, f, input);
  const filters = await filterOptions(deps, f);
  await audit(deps, ctx, f, input, 'dashboard');
  return { ...dashboard, filters };
}

export async function exportReport(deps: HelpdeskDeps, ctx: AgentContext, input: ReportInput & { report: ReportName }): Promise<{ filename: string; body: string }> {
  const f = await reportFilter(deps, ctx, input);
  // Only where the data egress policy allows (audited either way, with the device); the file says who, when, where.
  const watermark = await enforceDataEgress(deps, ctx, { channel: `report_export:${input.report}` });
  const dashboard = await computeDashboard(deps, f, input);
  await audit(deps, ctx, f, input, `export:${input.report}`);
  return { filename: `trustdesk-${input.report}-${input.from}-${input.to}.csv`, body: watermarkCsv(reportCsv(input.report, dashboard), watermark) };
}
