/**
 * Awareness scores and the dashboard (docs/awareness.md, decision 0196). Computed on read from the logs that
 * already exist — simulation recipients and their typed events (0192), reports of real phishing and their
 * confirmation (0036), training assignments (0191) — so a score never disagrees with the results it comes from.
 *
 * Who sees what: everyone their own; `awareness.read` with team scope (team leads) the members of their teams
 * and themselves; `awareness.read` or `simulations.read` with organisation scope (security officers) everyone.
 * A person outside the caller's scope is not found. Reads of other people are audited.
 */
import type { Kysely } from 'kysely';
import { scopeOf, type Principal } from '../../identity/auth/access.js';
import type { Scope } from '../../identity/auth/permissions.js';
import { statusView, type TrainingStatusView } from '../../identity/training/assignments.service.js';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import { findTemplate } from '../simulations/shipped-templates.js';
import { loadAwarenessData, type EventRow, type Loaded, type Outcome, type SimRow, type TrainingRow, type Who } from './load.js';
import { computeScore, meanScore, median, reportPoints, WEIGHTS, type Signal } from './score.js';

export interface AwarenessDeps {
  db: Kysely<Database>;
  audit: AuditLog;
}

export interface AwarenessActor {
  principal: Principal;
  requestId?: string | null;
}

const acting = (a: AwarenessActor) => ({
  orgId: a.principal.orgId,
  actor: { type: a.principal.kind === 'token' ? ('token' as const) : ('user' as const), id: a.principal.kind === 'token' ? (a.principal.tokenId ?? a.principal.userId) : a.principal.userId },
  requestId: a.requestId ?? null,
  sourceIp: a.principal.ip ?? null,
});

/** How far the caller sees other people: the wider of awareness.read and simulations.read; `own` without either. */
export function awarenessScope(p: Principal): Scope {
  const scopes = [scopeOf(p, 'awareness.read'), scopeOf(p, 'simulations.read')];
  if (scopes.includes('org')) return 'org';
  if (scopes.includes('team')) return 'team';
  return 'own';
}

// ---- outcomes and signals ---------------------------------------------------------------------------------------

interface SimView {
  sim: SimRow;
  outcome: Outcome;
  clickedAt: Date | null;
  attachmentOpenedAt: Date | null;
  dataEnteredAt: Date | null;
  reportedAt: Date | null;
  minutesToReport: number | null;
  over: boolean;
}

/** A recipient's outcome, derived exactly as the campaign's results derive it (counted events only). */
function viewSim(sim: SimRow, events: readonly EventRow[], now: Date): SimView {
  const first = (type: string) => events.find((e) => e.type === type)?.at ?? null;
  const clickedAt = first('clicked');
  const attachmentOpenedAt = first('attachment_opened');
  const dataEnteredAt = first('data_entered');
  const reportedAt = first('reported');
  const opened = first('opened');
  const outcome: Outcome = sim.status === 'skipped' || sim.status === 'failed' ? 'skipped' : sim.status !== 'delivered' ? 'pending'
    : reportedAt ? 'reported' : dataEnteredAt ? 'data_entered' : attachmentOpenedAt ? 'attachment_opened' : clickedAt ? 'clicked' : opened ? 'opened' : 'no_action';
  const minutesToReport = reportedAt && sim.deliveredAt ? Math.max(0, Math.round((reportedAt.getTime() - sim.deliveredAt.getTime()) / 6_000) / 10) : null;
  const over = sim.campaignStatus === 'ended' || sim.endsAt.getTime() <= now.getTime();
  return { sim, outcome, clickedAt, attachmentOpenedAt, dataEnteredAt, reportedAt, minutesToReport, over };
}

const templateName = (s: SimRow) => findTemplate(s.templateId)?.name ?? s.campaignName;

function simSignals(v: SimView, now: Date): Signal[] {
  if (v.outcome === 'pending' || v.outcome === 'skipped') return [];
  const subject = templateName(v.sim);
  const out: Signal[] = [];
  if (v.clickedAt) out.push({ kind: 'sim_clicked', at: v.clickedAt, points: WEIGHTS.simClicked, subject });
  if (v.attachmentOpenedAt) out.push({ kind: 'sim_attachment_opened', at: v.attachmentOpenedAt, points: WEIGHTS.simAttachmentOpened, subject });
  if (v.dataEnteredAt) out.push({ kind: 'sim_data_entered', at: v.dataEnteredAt, points: WEIGHTS.simDataEntered, subject });
  if (v.reportedAt) out.push({ kind: 'sim_reported', at: v.reportedAt, points: reportPoints(v.minutesToReport ?? 0), subject, minutes: v.minutesToReport });
  if (!v.clickedAt && !v.attachmentOpenedAt && !v.dataEnteredAt && !v.reportedAt && v.over) {
    out.push({ kind: 'sim_ignored', at: new Date(Math.min(v.sim.endsAt.getTime(), now.getTime())), points: WEIGHTS.simIgnored, subject });
  }
  return out;
}

function trainingSignals(a: TrainingRow, now: Date): Signal[] {
  if (a.status === 'passed' && a.completedAt) {
    const onTime = a.completedAt.getTime() <= a.dueAt.getTime();
    const firstAttempt = a.attemptsUsed === 1;
    return [{
      kind: 'training_passed', at: a.completedAt, subject: a.title, onTime, firstAttempt, quizScore: a.bestScore,
      points: (onTime ? WEIGHTS.trainingOnTime : WEIGHTS.trainingLate) + (firstAttempt ? WEIGHTS.quizFirstAttempt : 0),
    }];
  }
  if (a.status === 'failed') return [{ kind: 'training_failed', at: a.completedAt ?? a.dueAt, points: WEIGHTS.trainingFailed, subject: a.title, quizScore: a.bestScore }];
  if (a.dueAt.getTime() < now.getTime()) return [{ kind: 'training_overdue', at: a.dueAt, points: WEIGHTS.trainingOverdue, subject: a.title }];
  return [];
}

interface Person {
  id: string;
  name: string;
  active: boolean;
  teams: Array<{ id: string; name: string }>;
  roles: Array<{ key: string; name: string }>;
  sims: SimView[];
  training: Array<TrainingRow & { view: TrainingStatusView }>;
  reports: { confirmed: number; pending: number; falsePositive: number };
  signals: Signal[];
}

function people(data: Loaded, now: Date): Map<string, Person> {
  const out = new Map<string, Person>();
  for (const u of data.people) {
    out.set(u.id, { id: u.id, name: u.name, active: u.status === 'active', teams: data.teams.get(u.id) ?? [], roles: data.roles.get(u.id) ?? [], sims: [], training: [], reports: { confirmed: 0, pending: 0, falsePositive: 0 }, signals: [] });
  }
  for (const s of data.sims) {
    const p = out.get(s.userId);
    if (!p) continue;
    const v = viewSim(s, data.events.get(s.recipientId) ?? [], now);
    p.sims.push(v);
    p.signals.push(...simSignals(v, now));
  }
  for (const a of data.training) {
    const p = out.get(a.userId);
    if (!p) continue;
    p.training.push({ ...a, view: statusView(a.status, a.dueAt, now) });
    p.signals.push(...trainingSignals(a, now));
  }
  for (const r of data.reports) {
    const p = out.get(r.userId);
    if (!p) continue;
    if (r.outcome === 'confirmed') {
      p.reports.confirmed += 1;
      p.signals.push({ kind: 'real_report_confirmed', at: r.at, points: WEIGHTS.realReportConfirmed, subject: null });
    } else if (r.outcome === 'false_positive') p.reports.falsePositive += 1;
    else p.reports.pending += 1;
  }
  return out;
}

// ---- aggregates -------------------------------------------------------------------------------------------------

interface Tally { delivered: number; clicked: number; attachmentOpened: number; dataEntered: number; reported: number; noAction: number; minutes: number[] }
const emptyTally = (): Tally => ({ delivered: 0, clicked: 0, attachmentOpened: 0, dataEntered: 0, reported: 0, noAction: 0, minutes: [] });

/** Counts as the campaign's results count them: delivered, counted clicks, attachment opens, data entries and reports, no action (opened or nothing). */
function add(t: Tally, v: SimView): void {
  if (v.sim.status === 'delivered') t.delivered += 1;
  if (v.clickedAt) t.clicked += 1;
  if (v.attachmentOpenedAt) t.attachmentOpened += 1;
  if (v.dataEnteredAt) t.dataEntered += 1;
  if (v.reportedAt) t.reported += 1;
  if (v.outcome === 'no_action' || v.outcome === 'opened') t.noAction += 1;
  if (v.minutesToReport !== null) t.minutes.push(v.minutesToReport);
}

const rate = (n: number, of: number) => (of === 0 ? null : Math.round((n / of) * 10_000) / 10_000);

function rates(t: Tally) {
  return {
    delivered: t.delivered, clicked: t.clicked, attachmentOpened: t.attachmentOpened, dataEntered: t.dataEntered, reported: t.reported, noAction: t.noAction,
    clickRate: rate(t.clicked, t.delivered), attachmentOpenRate: rate(t.attachmentOpened, t.delivered), dataEntryRate: rate(t.dataEntered, t.delivered), reportRate: rate(t.reported, t.delivered),
    medianMinutesToReport: median(t.minutes),
  };
}

interface TrainingTally { assigned: number; passed: number; due: number; overdue: number; failed: number }
const emptyTraining = (): TrainingTally => ({ assigned: 0, passed: 0, due: 0, overdue: 0, failed: 0 });
function addTraining(t: TrainingTally, p: Person): void {
  for (const a of p.training) {
    t.assigned += 1;
    t[a.view] += 1;
  }
}
const trainingView = (t: TrainingTally) => ({ ...t, completionRate: rate(t.passed, t.assigned) });

function personRow(p: Person, now: Date) {
  const t = emptyTally();
  for (const v of p.sims) add(t, v);
  const tr = emptyTraining();
  addTraining(tr, p);
  return {
    userId: p.id, name: p.name, teams: p.teams.map((x) => x.name), roles: p.roles.map((x) => x.key), score: computeScore(p.signals, now).score,
    delivered: t.delivered, clicked: t.clicked, attachmentOpened: t.attachmentOpened, dataEntered: t.dataEntered, reported: t.reported, noAction: t.noAction,
    trainingAssigned: tr.assigned, trainingPassed: tr.passed, trainingOverdue: tr.overdue,
  };
}

/** The people a scope covers: the organisation, or the caller and the members of their teams. */
async function whoFor(db: Kysely<Database>, p: Principal, scope: Scope): Promise<Who> {
  if (scope === 'org') return { kind: 'org' };
  const members = scope === 'team' && p.teamIds.length > 0
    ? await db.selectFrom('team_members').innerJoin('teams', 'teams.id', 'team_members.team_id').where('teams.org_id', '=', p.orgId).where('team_members.team_id', 'in', [...p.teamIds]).select('team_members.user_id').execute()
    : [];
  return { kind: 'users', userIds: [...new Set([p.userId, ...members.map((m) => m.user_id)])] };
}

/** The dashboard: organisation (or team) score, per person, per campaign, per month, by team and by role, training. */
export async function buildDashboard(deps: AwarenessDeps, p: Principal, now = new Date()) {
  const scope = awarenessScope(p);
  if (scope === 'own') throw new AppError('forbidden', 'Your role does not allow this.', { internal: 'missing awareness.read' });
  const data = await loadAwarenessData(deps.db, p.orgId, await whoFor(deps.db, p, scope));
  const all = people(data, now);
  const active = [...all.values()].filter((x) => x.active);
  const rows = active.map((x) => personRow(x, now));
  const scoreOf = new Map(rows.map((r) => [r.userId, r.score]));

  // Campaigns and months count every recipient in scope (a deactivated person's results stay in the campaign's figures).
  const campaigns = new Map<string, { id: string; name: string; templateId: string; template: string; startsAt: Date; status: string; tally: Tally }>();
  const months = new Map<string, Tally>();
  for (const person of all.values()) {
    for (const v of person.sims) {
      const c = campaigns.get(v.sim.campaignId) ?? campaigns.set(v.sim.campaignId, { id: v.sim.campaignId, name: v.sim.campaignName, templateId: v.sim.templateId, template: templateName(v.sim), startsAt: v.sim.startsAt, status: v.sim.campaignStatus, tally: emptyTally() }).get(v.sim.campaignId)!;
      add(c.tally, v);
      if (v.sim.deliveredAt) {
        const month = v.sim.deliveredAt.toISOString().slice(0, 7);
        add(months.get(month) ?? months.set(month, emptyTally()).get(month)!, v);
      }
    }
  }

  const groups = (keyOf: (p: Person) => Array<{ id: string; name: string }>) => {
    const out = new Map<string, { id: string; name: string; members: Person[] }>();
    for (const x of active) for (const g of keyOf(x)) (out.get(g.id) ?? out.set(g.id, { id: g.id, name: g.name, members: [] }).get(g.id)!).members.push(x);
    return [...out.values()].sort((a, b) => a.name.localeCompare(b.name)).map((g) => {
      const t = emptyTally();
      const tr = emptyTraining();
      for (const m of g.members) {
        for (const v of m.sims) add(t, v);
        addTraining(tr, m);
      }
      return { id: g.id, name: g.name, people: g.members.length, score: meanScore(g.members.map((m) => scoreOf.get(m.id)!)), ...rates(t), training: trainingView(tr) };
    });
  };
  // A lead sees their own teams only, not the other teams their members happen to be in.
  const teamFilter = scope === 'team' ? new Set(p.teamIds) : null;
  const training = emptyTraining();
  for (const x of active) addTraining(training, x);

  return {
    scope,
    generatedAt: now.toISOString(),
    overall: { score: meanScore(rows.map((r) => r.score)), people: rows.length },
    people: rows,
    campaigns: [...campaigns.values()].sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime()).map((c) => ({
      campaignId: c.id, name: c.name, templateId: c.templateId, template: c.template, startsAt: c.startsAt.toISOString(), status: c.status === 'ended' ? 'ended' as const : 'scheduled' as const, ...rates(c.tally),
    })),
    months: [...months.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([month, t]) => ({ month, ...rates(t) })),
    teams: groups((x) => (teamFilter ? x.teams.filter((tm) => teamFilter.has(tm.id)) : x.teams)),
    roles: groups((x) => x.roles.map((r) => ({ id: r.key, name: r.name }))),
    training: trainingView(training),
  };
}

export type Dashboard = Awaited<ReturnType<typeof buildDashboard>>;

/** Audits a read of other people's awareness data (one's own is not). */
async function auditRead(deps: AwarenessDeps, actor: AwarenessActor, action: string, object: { type: string; id: string } | null, details: Record<string, unknown>): Promise<void> {
  await deps.db.transaction().execute((trx) => deps.audit.append(trx, { ...acting(actor), action, object, result: 'success', details }));
}

export async function readDashboard(deps: AwarenessDeps, actor: AwarenessActor, now = new Date()): Promise<Dashboard> {
  const d = await buildDashboard(deps, actor.principal, now);
  await auditRead(deps, actor, 'awareness.dashboard.read', null, { scope: d.scope, people: d.people.length });
  return d;
}

/**
 * One person's page: the score with its history and explanation, the simulations they received with the
 * outcome, their training. One's own always; another person only within the caller's scope (not found otherwise).
 */
export async function readPerson(deps: AwarenessDeps, actor: AwarenessActor, userId: string, now = new Date()) {
  const p = actor.principal;
  const own = userId === p.userId;
  const scope = own ? 'own' : awarenessScope(p);
  const notFound = () => new AppError('not_found', 'No such person.', { internal: 'outside the awareness scope' });
  if (scope === 'own' && !own) throw notFound();
  if (scope === 'team') {
    const member = p.teamIds.length > 0 && await deps.db.selectFrom('team_members').innerJoin('teams', 'teams.id', 'team_members.team_id')
      .where('teams.org_id', '=', p.orgId).where('team_members.user_id', '=', userId).where('team_members.team_id', 'in', [...p.teamIds]).select('team_members.user_id').executeTakeFirst();
    if (!member) throw notFound();
  }
  const data = await loadAwarenessData(deps.db, p.orgId, { kind: 'users', userIds: [userId] });
  const person = people(data, now).get(userId);
  if (!person) throw notFound();
  const result = computeScore(person.signals, now);
  if (!own) await auditRead(deps, actor, 'awareness.person.read', { type: 'user', id: userId }, { scope });
  return {
    person: { userId: person.id, name: person.name, active: person.active, teams: person.teams, roles: person.roles.map((r) => r.key) },
    score: result.score,
    history: result.history.map((h) => ({ at: h.at.toISOString(), score: h.score })),
    explanation: result.explanation.map((c) => ({
      kind: c.kind, at: c.at.toISOString(), points: c.points, current: c.current, subject: c.subject,
      minutes: c.minutes ?? null, onTime: c.onTime ?? null, firstAttempt: c.firstAttempt ?? null, quizScore: c.quizScore ?? null,
    })),
    simulations: [...person.sims].reverse().map((v) => ({
      campaignId: v.sim.campaignId, campaignName: v.sim.campaignName, template: templateName(v.sim), deliveredAt: v.sim.deliveredAt?.toISOString() ?? null,
      outcome: v.outcome, minutesToReport: v.minutesToReport,
    })),
    training: person.training.map((a) => ({
      assignmentId: a.id, moduleKey: a.moduleKey, title: a.title, status: a.view, dueAt: a.dueAt.toISOString(), completedAt: a.completedAt?.toISOString() ?? null,
      attemptsUsed: a.attemptsUsed, bestScore: a.bestScore,
    })),
    realReports: person.reports,
  };
}
