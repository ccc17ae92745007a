/**
 * The reads behind awareness scores (decision 0196): everything about a set of people — or the whole
 * organisation — from the simulation, report and training logs, one query per table and only the columns used.
 * The shape matters on PGlite, whose planner has no statistics: a join of events to recipients made it scan
 * the events once per recipient, so events are read by recipient id on their index (or all at once).
 */
import type { Kysely } from 'kysely';
import '../../identity/training/schema.js';
import type { Database } from '../../platform/db/schema.js';
import '../phishing-reports/schema.js';
import '../simulations/schema.js';

export type Outcome = 'reported' | 'data_entered' | 'attachment_opened' | 'clicked' | 'opened' | 'no_action' | 'pending' | 'skipped';

export interface PersonRow { id: string; name: string; status: string }
export interface SimRow {
  recipientId: string; userId: string; status: string; deliveredAt: Date | null;
  campaignId: string; campaignName: string; templateId: string; campaignStatus: string; startsAt: Date; endsAt: Date;
}
/** A counted event (discounted ones are not read). */
export interface EventRow { recipientId: string; type: string; at: Date }
export interface TrainingRow {
  id: string; userId: string; moduleKey: string; title: string; status: 'assigned' | 'passed' | 'failed'; dueAt: Date; completedAt: Date | null;
  attemptsUsed: number; bestScore: number | null;
}
export interface ReportRow { userId: string; outcome: string; at: Date }

export interface Loaded {
  people: PersonRow[];
  teams: Map<string, Array<{ id: string; name: string }>>;
  roles: Map<string, Array<{ key: string; name: string }>>;
  sims: SimRow[];
  events: Map<string, EventRow[]>;
  training: TrainingRow[];
  reports: ReportRow[];
}

/** Everyone in the organisation, or these people. */
export type Who = { kind: 'org' } | { kind: 'users'; userIds: string[] };

export const toDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));

/** Everything the scores and the dashboard need, for the people `who` names in the organisation. */
export async function loadAwarenessData(db: Kysely<Database>, orgId: string, who: Who): Promise<Loaded> {
  const ids = who.kind === 'users' ? who.userIds : null;
  if (ids && ids.length === 0) return { people: [], teams: new Map(), roles: new Map(), sims: [], events: new Map(), training: [], reports: [] };
  const people = await db.selectFrom('users as u').where('u.org_id', '=', orgId).$if(ids !== null, (q) => q.where('u.id', 'in', ids!))
    .select(['u.id', 'u.name', 'u.status']).orderBy('u.name').orderBy('u.id').execute();
  const teamRows = await db.selectFrom('team_members as tm').innerJoin('teams as t', 't.id', 'tm.team_id').where('t.org_id', '=', orgId).$if(ids !== null, (q) => q.where('tm.user_id', 'in', ids!))
    .select(['tm.user_id', 't.id', 't.name']).orderBy('t.name').execute();
  const roleRows = await db.selectFrom('user_roles as ur').innerJoin('roles as ro', 'ro.id', 'ur.role_id').where('ro.org_id', '=', orgId).$if(ids !== null, (q) => q.where('ur.user_id', 'in', ids!))
    .select(['ur.user_id', 'ro.key', 'ro.name']).orderBy('ro.name').execute();
  // Recipients alone, then their few campaigns: every column read costs on PGlite, per row.
  const recipients = await db.selectFrom('simulation_recipients as r').where('r.org_id', '=', orgId).$if(ids !== null, (q) => q.where('r.user_id', 'in', ids!))
    .select(['r.id', 'r.user_id', 'r.status', 'r.delivered_at', 'r.campaign_id']).execute();
  const campaignIds = [...new Set(recipients.map((r) => r.campaign_id))];
  const campaigns = new Map(campaignIds.length
    ? (await db.selectFrom('simulation_campaigns').where('org_id', '=', orgId).where('id', 'in', campaignIds).select(['id', 'name', 'template_id', 'status', 'starts_at', 'ends_at']).execute()).map((c) => [c.id, c])
    : []);
  // Only counted events matter (the outcome of a recipient reads nothing else), and `delivered` is the
  // recipient's own status. The organisation's at once, or by recipient id on the events' index: a join or
  // semi-join here let the planner scan the events once per recipient (seconds for one team on PGlite).
  const eventsOf = (recipientIds: string[] | null) => db.selectFrom('simulation_events as e').where('e.org_id', '=', orgId)
    .$if(recipientIds !== null, (q) => q.where('e.recipient_id', 'in', recipientIds!))
    .where('e.type', '!=', 'delivered').where('e.discounted_reason', 'is', null)
    .select(['e.recipient_id', 'e.type', 'e.created_at']).orderBy('e.created_at').execute();
  const events = ids === null ? await eventsOf(null) : [];
  if (ids !== null) for (let i = 0; i < recipients.length; i += 1000) events.push(...await eventsOf(recipients.slice(i, i + 1000).map((r) => r.id)));
  const sims = recipients.flatMap((r) => {
    const c = campaigns.get(r.campaign_id);
    return c ? [{ ...r, name: c.name, template_id: c.template_id, campaign_status: c.status, starts_at: c.starts_at, ends_at: c.ends_at }] : [];
  }).sort((x, y) => toDate(x.starts_at).getTime() - toDate(y.starts_at).getTime() || x.campaign_id.localeCompare(y.campaign_id));
  // Assignments first, then the few modules' titles (a join read the modules, lessons and all, once per row).
  const assignments = await db.selectFrom('training_assignments as a').where('a.org_id', '=', orgId).$if(ids !== null, (q) => q.where('a.user_id', 'in', ids!))
    .select(['a.id', 'a.user_id', 'a.module_id', 'a.module_key', 'a.status', 'a.due_at', 'a.completed_at', 'a.attempts_used', 'a.best_score']).orderBy('a.assigned_at', 'desc').execute();
  const moduleIds = [...new Set(assignments.map((a) => a.module_id))];
  const titles = new Map(moduleIds.length ? (await db.selectFrom('training_modules').where('id', 'in', moduleIds).select(['id', 'title']).execute()).map((m) => [m.id, m.title]) : []);
  const training = assignments.map((a) => ({ ...a, title: titles.get(a.module_id) ?? a.module_key }));
  const reports = await db.selectFrom('phishing_reports as pr').where('pr.org_id', '=', orgId).$if(ids !== null, (q) => q.where('pr.reporter_id', 'in', ids!))
    .select(['pr.reporter_id', 'pr.outcome', 'pr.created_at']).execute();

  const group = <T, V>(rows: T[], key: (r: T) => string, value: (r: T) => V) => {
    const out = new Map<string, V[]>();
    for (const r of rows) (out.get(key(r)) ?? out.set(key(r), []).get(key(r))!).push(value(r));
    return out;
  };
  return {
    people,
    teams: group(teamRows, (r) => r.user_id, (r) => ({ id: r.id, name: r.name })),
    roles: group(roleRows, (r) => r.user_id, (r) => ({ key: r.key, name: r.name })),
    sims: sims.map((r) => ({
      recipientId: r.id, userId: r.user_id, status: r.status, deliveredAt: r.delivered_at ? toDate(r.delivered_at) : null, campaignId: r.campaign_id, campaignName: r.name,
      templateId: r.template_id, campaignStatus: r.campaign_status, startsAt: toDate(r.starts_at), endsAt: toDate(r.ends_at),
    })),
    events: group(events.sort((x, y) => toDate(x.created_at).getTime() - toDate(y.created_at).getTime()), (e) => e.recipient_id, (e) => ({ recipientId: e.recipient_id, type: e.type, at: toDate(e.created_at) })),
    training: training.map((a) => ({
      id: a.id, userId: a.user_id, moduleKey: a.module_key, title: a.title, status: a.status, dueAt: toDate(a.due_at), completedAt: a.completed_at ? toDate(a.completed_at) : null,
      attemptsUsed: a.attempts_used, bestScore: a.best_score,
    })),
    reports: reports.map((r) => ({ userId: r.reporter_id, outcome: r.outcome, at: toDate(r.created_at) })),
  };
}
