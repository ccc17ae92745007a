/**
 * The dashboard's queries: SQL over metadata columns only (no *_enc column is read, nothing is
 * decrypted), each filtered by the caller's scope in its WHERE clause. Also run by
 * bench/reports.bench.ts on a million tickets (decision 0157 on the indexes they use).
 */
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import '../csat/schema.js';
import '../sla/schema.js';

type Db = Kysely<Database> | Executor;

export interface ReportFilter {
  orgId: string;
  /** The caller's reports.read scope. */
  scope: 'own' | 'team' | 'org';
  userId: string;
  teamIds: readonly string[];
  teamId?: string | undefined;
  agentId?: string | undefined;
  /** [start, end) in absolute time: the first day's start and the day after the last, in `timeZone`. */
  start: Date;
  end: Date;
  timeZone: string;
  now: Date;
}

const inList = (ids: readonly string[]) => sql.join(ids.map((id) => sql`${id}`));

/** Which columns hold the organisation, team and assignee a report's scope is checked against. */
interface ScopeColumns {
  org: RawBuilder<unknown>;
  team: RawBuilder<unknown>;
  assignee: RawBuilder<unknown>;
}

/** The caller's scope (as `ticketScope` for tickets.read) and the team and agent filters, over the given columns. */
function scopeFilter(f: ReportFilter, c: ScopeColumns): RawBuilder<SqlBool> {
  const parts: RawBuilder<unknown>[] = [sql`${c.org} = ${f.orgId}`];
  if (f.scope === 'team') parts.push(f.teamIds.length ? sql`(${c.assignee} = ${f.userId} OR ${c.team} IN (${inList(f.teamIds)}))` : sql`${c.assignee} = ${f.userId}`);
  if (f.scope === 'own') parts.push(sql`${c.assignee} = ${f.userId}`);
  if (f.teamId) parts.push(sql`${c.team} = ${f.teamId}`);
  if (f.agentId) parts.push(sql`${c.assignee} = ${f.agentId}`);
  return sql<SqlBool>`(${sql.join(parts, sql` AND `)})`;
}

/**
 * Not a phishing simulation's ticket (decision 0192): simulated mail sits in the queue like real mail, so an agent
 * cannot tell, but it is no customer's work — it would add volume, and an ignored simulation (the right response)
 * would count as a breached SLA. The simulation table is small beside tickets (not measured on the report bench yet).
 */
const notSimulated = (ticketId: RawBuilder<unknown>) => sql<SqlBool>`NOT EXISTS (SELECT 1 FROM simulation_recipients sim WHERE sim.ticket_id = ${ticketId})`;

/** The tickets a report may count (alias `t`). */
export function ticketFilter(f: ReportFilter): RawBuilder<SqlBool> {
  return sql<SqlBool>`(${scopeFilter(f, { org: sql`t.org_id`, team: sql`t.team_id`, assignee: sql`t.assignee_id` })} AND ${notSimulated(sql`t.id`)})`;
}

/**
 * The ratings or analysed messages (alias `alias`) a report may count: by the copy of their ticket's
 * team and assignee that triggers keep equal to the ticket's (migration 0024, decision 0163), so
 * they are counted without a join to tickets.
 */
function copiedScopeFilter(f: ReportFilter, alias: 'r' | 'm'): RawBuilder<SqlBool> {
  const col = (name: string) => sql.ref(`${alias}.${name}`);
  return sql<SqlBool>`(${scopeFilter(f, { org: col('org_id'), team: col('ticket_team_id'), assignee: col('ticket_assignee_id') })} AND ${notSimulated(col('ticket_id'))})`;
}

/** The local date of an instant. Queries group by it and format the few groups afterwards: formatting a million rows before grouping doubled a year's count. */
const localDate = (column: RawBuilder<unknown>, tz: string) => sql<string>`(${column} AT TIME ZONE ${tz})::date`;
const RESOLVED = sql`COALESCE(t.solved_at, t.closed_at)`;
const HAS_RESOLVED = sql`(t.solved_at IS NOT NULL OR t.closed_at IS NOT NULL)`;

/** Tickets created per day of the range. */
export async function createdPerDay(db: Db, f: ReportFilter): Promise<Map<string, number>> {
  const r = await sql<{ day: string; n: number }>`
    SELECT to_char(d.day, 'YYYY-MM-DD') AS day, d.n FROM (
      SELECT ${localDate(sql`t.created_at`, f.timeZone)} AS day, count(*)::int AS n
        FROM tickets t
       WHERE ${ticketFilter(f)} AND t.created_at >= ${f.start} AND t.created_at < ${f.end}
       GROUP BY 1) d`.execute(db);
  return new Map(r.rows.map((x) => [x.day, Number(x.n)]));
}

/** Tickets solved (or closed without being solved) per day of the range. */
export async function solvedPerDay(db: Db, f: ReportFilter): Promise<Map<string, number>> {
  const r = await sql<{ day: string; n: number }>`
    SELECT to_char(d.day, 'YYYY-MM-DD') AS day, d.n FROM (
      SELECT ${localDate(RESOLVED, f.timeZone)} AS day, count(*)::int AS n
        FROM tickets t
       WHERE ${ticketFilter(f)} AND ${HAS_RESOLVED} AND ${RESOLVED} >= ${f.start} AND ${RESOLVED} < ${f.end}
       GROUP BY 1) d`.execute(db);
  return new Map(r.rows.map((x) => [x.day, Number(x.n)]));
}

/**
 * What the backlog walk needs besides the per-day counts: tickets open now, and tickets created
 * and resolved after the range. Open at time T = open now + resolved since T − created since T,
 * so only recent rows are read, however old the range (decision 0157).
 */
export async function backlogAnchor(db: Db, f: ReportFilter): Promise<{ openNow: number; createdAfter: number; resolvedAfter: number }> {
  const r = await sql<{ open_now: number; created_after: number; resolved_after: number }>`
    SELECT (SELECT count(*)::int FROM tickets t WHERE ${ticketFilter(f)} AND t.solved_at IS NULL AND t.closed_at IS NULL) AS open_now,
           (SELECT count(*)::int FROM tickets t WHERE ${ticketFilter(f)} AND t.created_at >= ${f.end}) AS created_after,
           (SELECT count(*)::int FROM tickets t WHERE ${ticketFilter(f)} AND ${HAS_RESOLVED} AND ${RESOLVED} >= ${f.end}) AS resolved_after`.execute(db);
  const row = r.rows[0];
  return { openNow: Number(row?.open_now ?? 0), createdAfter: Number(row?.created_after ?? 0), resolvedAfter: Number(row?.resolved_after ?? 0) };
}

export interface PercentileRow {
  count: number;
  p50: number | null;
  p90: number | null;
}

const minutes = (seconds: unknown): number | null => (seconds === null || seconds === undefined ? null : Math.round((Number(seconds) / 60) * 10) / 10);

/**
 * First-response time (minutes) of tickets created in the range that were answered; p50 and p90 interpolated.
 * `date_part` gives double precision; `extract` gives numeric since PostgreSQL 14, and sorting a year's million
 * numerics took 0.9 s against 0.65 s (docs/benchmarks.md, Reports).
 */
export async function firstResponsePercentiles(db: Db, f: ReportFilter): Promise<PercentileRow> {
  const r = await sql<{ n: number; p: Array<number | null> | null }>`
    SELECT count(*)::int AS n,
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY date_part('epoch', t.first_response_at - t.created_at)) AS p
      FROM tickets t
     WHERE ${ticketFilter(f)} AND t.created_at >= ${f.start} AND t.created_at < ${f.end} AND t.first_response_at IS NOT NULL`.execute(db);
  const row = r.rows[0];
  return { count: Number(row?.n ?? 0), p50: minutes(row?.p?.[0]), p90: minutes(row?.p?.[1]) };
}

/** Resolution time (minutes from creation) of tickets solved in the range. */
export async function resolutionPercentiles(db: Db, f: ReportFilter): Promise<PercentileRow> {
  const r = await sql<{ n: number; p: Array<number | null> | null }>`
    SELECT count(*)::int AS n,
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY date_part('epoch', ${RESOLVED} - t.created_at)) AS p
      FROM tickets t
     WHERE ${ticketFilter(f)} AND ${HAS_RESOLVED} AND ${RESOLVED} >= ${f.start} AND ${RESOLVED} < ${f.end}`.execute(db);
  const row = r.rows[0];
  return { count: Number(row?.n ?? 0), p50: minutes(row?.p?.[0]), p90: minutes(row?.p?.[1]) };
}

export interface SlaRow {
  met: number;
  breached: number;
  pending: number;
  attainment: number | null;
}

const attainment = (met: number, breached: number) => (met + breached === 0 ? null : Math.round((met / (met + breached)) * 1000) / 10);

/** SLA targets of tickets created in the range: met, breached (late, or overdue and still waiting), pending. */
export async function slaAttainment(db: Db, f: ReportFilter): Promise<{ firstResponse: SlaRow; resolution: SlaRow }> {
  const r = await sql<Record<'fr_met' | 'fr_breached' | 'fr_pending' | 'res_met' | 'res_breached' | 'res_pending', number>>`
    SELECT count(*) FILTER (WHERE t.first_response_at <= t.first_response_due_at)::int AS fr_met,
           count(*) FILTER (WHERE t.first_response_at > t.first_response_due_at OR (t.first_response_at IS NULL AND t.first_response_due_at <= ${f.now}))::int AS fr_breached,
           count(*) FILTER (WHERE t.first_response_at IS NULL AND t.first_response_due_at > ${f.now})::int AS fr_pending,
           count(*) FILTER (WHERE ${RESOLVED} <= t.resolution_due_at)::int AS res_met,
           count(*) FILTER (WHERE ${RESOLVED} > t.resolution_due_at OR (${RESOLVED} IS NULL AND t.resolution_due_at <= ${f.now}))::int AS res_breached,
           count(*) FILTER (WHERE ${RESOLVED} IS NULL AND t.resolution_due_at > ${f.now})::int AS res_pending
      FROM tickets t
     WHERE ${ticketFilter(f)} AND t.created_at >= ${f.start} AND t.created_at < ${f.end}
       AND (t.first_response_due_at IS NOT NULL OR t.resolution_due_at IS NOT NULL)`.execute(db);
  const x = r.rows[0] ?? { fr_met: 0, fr_breached: 0, fr_pending: 0, res_met: 0, res_breached: 0, res_pending: 0 };
  const fr = { met: Number(x.fr_met), breached: Number(x.fr_breached), pending: Number(x.fr_pending) };
  const res = { met: Number(x.res_met), breached: Number(x.res_breached), pending: Number(x.res_pending) };
  return { firstResponse: { ...fr, attainment: attainment(fr.met, fr.breached) }, resolution: { ...res, attainment: attainment(res.met, res.breached) } };
}

/** Ratings given in the range on the scope's tickets, per day. */
export async function csatPerDay(db: Db, f: ReportFilter): Promise<Array<{ day: string; good: number; bad: number }>> {
  const r = await sql<{ day: string; good: number; bad: number }>`
    SELECT to_char(d.day, 'YYYY-MM-DD') AS day, d.good, d.bad FROM (
      SELECT ${localDate(sql`r.rated_at`, f.timeZone)} AS day,
             count(*) FILTER (WHERE r.rating = 'good')::int AS good,
             count(*) FILTER (WHERE r.rating = 'bad')::int AS bad
        FROM csat_ratings r
       WHERE ${copiedScopeFilter(f, 'r')} AND r.rated_at >= ${f.start} AND r.rated_at < ${f.end}
       GROUP BY 1) d
     ORDER BY d.day`.execute(db);
  return r.rows.map((x) => ({ day: x.day, good: Number(x.good), bad: Number(x.bad) }));
}

/** Tickets created in the range by channel. */
export async function channelMix(db: Db, f: ReportFilter): Promise<Array<{ channel: string; count: number }>> {
  const r = await sql<{ channel: string; n: number }>`
    SELECT t.channel, count(*)::int AS n
      FROM tickets t
     WHERE ${ticketFilter(f)} AND t.created_at >= ${f.start} AND t.created_at < ${f.end}
     GROUP BY 1 ORDER BY 2 DESC, 1`.execute(db);
  return r.rows.map((x) => ({ channel: x.channel, count: Number(x.n) }));
}

/** Inbound messages received in the range on the scope's tickets, by phishing verdict. */
export async function phishingVerdicts(db: Db, f: ReportFilter): Promise<Array<{ verdict: string; count: number }>> {
  const r = await sql<{ verdict: string; n: number }>`
    SELECT m.threat_verdict AS verdict, count(*)::int AS n
      FROM messages m
     WHERE ${copiedScopeFilter(f, 'm')} AND m.threat_verdict IS NOT NULL AND m.created_at >= ${f.start} AND m.created_at < ${f.end}
     GROUP BY 1 ORDER BY 2 DESC, 1`.execute(db);
  return r.rows.map((x) => ({ verdict: x.verdict, count: Number(x.n) }));
}

/**
 * Messages quarantined in the range, by reason: the organisation's, or a team's mailboxes'. Held
 * mail belongs to no ticket or agent, so an agent's own figures (or a one-agent filter) have none.
 */
export async function quarantineVolume(db: Db, f: ReportFilter): Promise<Array<{ reason: string; count: number }> | null> {
  if (f.scope === 'own' || f.agentId) return null;
  const teams = f.teamId ? (f.scope === 'team' && !f.teamIds.includes(f.teamId) ? [] : [f.teamId]) : f.scope === 'team' ? [...f.teamIds] : null;
  if (teams && teams.length === 0) return [];
  const byTeam = teams ? sql`AND q.mailbox_id IN (SELECT b.id FROM mailboxes b WHERE b.org_id = ${f.orgId} AND b.team_id IN (${inList(teams)}))` : sql``;
  const r = await sql<{ reason: string; n: number }>`
    SELECT q.reason, count(*)::int AS n
      FROM quarantine q
     WHERE q.org_id = ${f.orgId} AND q.created_at >= ${f.start} AND q.created_at < ${f.end} ${byTeam}
     GROUP BY 1 ORDER BY 2 DESC, 1`.execute(db);
  return r.rows.map((x) => ({ reason: x.reason, count: Number(x.n) }));
}

/** Every day of [from, to] as YYYY-MM-DD (calendar arithmetic in UTC: these are dates, not instants). */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let d = Date.parse(`${from}T00:00:00Z`); d <= end; d += 86_400_000) out.push(new Date(d).toISOString().slice(0, 10));
  return out;
}

/** Open tickets at the end of each day, walking back from the anchor (see backlogAnchor). */
export function backlogSeries(days: readonly string[], created: ReadonlyMap<string, number>, solved: ReadonlyMap<string, number>, anchor: { openNow: number; createdAfter: number; resolvedAfter: number }): number[] {
  const out = new Array<number>(days.length);
  let open = anchor.openNow + anchor.resolvedAfter - anchor.createdAfter;
  for (let i = days.length - 1; i >= 0; i--) {
    const day = days[i] as string;
    out[i] = open;
    open = open - (created.get(day) ?? 0) + (solved.get(day) ?? 0);
  }
  return out;
}
