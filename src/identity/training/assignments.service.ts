/**
 * Who must take which module, and their attempts (decision 0191).
 *
 * - `assignModule` is the one way an assignment is made: by a rule, by a manager, or (later) by a failed
 *   phishing simulation. One open assignment per person and module (a unique index): assigning again while
 *   one is open changes nothing. Each new assignment is audited in the same transaction.
 * - Rules are applied when they are made, when a person opens their training (for them alone), and by the
 *   periodic job for everyone (`applyTrainingRules`). A rule assigns when the person has never had the
 *   module, or, with `every_months`, when their last one closed that many months ago. A failed assignment
 *   (no attempts left) stays failed until a manager assigns the module again or the period comes round.
 * - Attempts are graded here, under the assignment's row lock: the attempt is counted first, then graded,
 *   so two submissions at once cannot both use the last attempt.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Executor } from '../../protection/crypto/keyring.js';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import { scopeOf, type Principal } from '../auth/access.js';
import { gradeAttempt, publicQuiz } from './format.js';
import { actingOf, latestModule, personLanguage, presentModule, versionInLanguage, type ModuleRow, type TrainingActor, type TrainingDeps } from './modules.service.js';
import type { AssignmentSource, AssignmentStatus } from './schema.js';
import './schema.js';

const DAY_MS = 86_400_000;

export type TrainingStatusView = 'due' | 'overdue' | 'passed' | 'failed';

export function statusView(status: AssignmentStatus, dueAt: Date, now = new Date()): TrainingStatusView {
  if (status !== 'assigned') return status;
  return dueAt.getTime() < now.getTime() ? 'overdue' : 'due';
}

export interface AssignModuleInput {
  orgId: string;
  userId: string;
  moduleKey: string;
  dueAt: Date;
  source: AssignmentSource;
  ruleId?: string | null;
  /** The person who assigned it (null: a rule or the system). */
  assignedBy?: string | null;
  requestId?: string | null;
}

/**
 * Assigns the newest version of a module to a person of the organisation, in the caller's transaction.
 * Returns the new assignment's id, or null when one is already open (nothing changes). An unknown module or
 * a person who is not an active member of the organisation is not found.
 */
export async function assignModule(deps: TrainingDeps, trx: Executor, input: AssignModuleInput): Promise<string | null> {
  const person = await trx.selectFrom('users').where('id', '=', input.userId).where('org_id', '=', input.orgId).where('status', '=', 'active').select('id').executeTakeFirst();
  if (!person) throw new AppError('not_found', 'No such person.');
  const module = await latestModule(trx, input.orgId, input.moduleKey);
  if (!module) throw new AppError('not_found', 'No such module.');
  const id = randomUUID();
  const row = await trx
    .insertInto('training_assignments')
    .values({
      id, org_id: input.orgId, user_id: input.userId, module_id: module.id, module_key: module.key, due_at: input.dueAt,
      source: input.source, rule_id: input.ruleId ?? null, assigned_by: input.assignedBy ?? null,
    })
    .onConflict((oc) => oc.columns(['user_id', 'module_key']).where('status', '=', 'assigned').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!row) return null;
  await deps.audit.append(trx, {
    orgId: input.orgId,
    actor: input.assignedBy ? { type: 'user', id: input.assignedBy } : { type: 'system' },
    action: 'training.assign',
    object: { type: 'training_assignment', id },
    result: 'success',
    requestId: input.requestId ?? null,
    details: { userId: input.userId, module: module.key, version: module.version, source: input.source, dueAt: input.dueAt.toISOString(), ...(input.ruleId ? { ruleId: input.ruleId } : {}) },
  });
  return id;
}

/** A manager assigns a module to people now. */
export async function assignToPeople(deps: TrainingDeps, actor: TrainingActor, input: { moduleKey: string; userIds: string[]; dueDays: number }, now = new Date()) {
  return deps.db.transaction().execute(async (trx) => {
    let assigned = 0;
    let alreadyOpen = 0;
    for (const userId of input.userIds) {
      const id = await assignModule(deps, trx, { orgId: actor.principal.orgId, userId, moduleKey: input.moduleKey, dueAt: new Date(now.getTime() + input.dueDays * DAY_MS), source: 'manual', assignedBy: actor.principal.userId, requestId: actor.requestId ?? null });
      if (id) assigned++;
      else alreadyOpen++;
    }
    return { assigned, alreadyOpen };
  });
}

// ---- rules -----------------------------------------------------------------------------------------------------

/**
 * Applies the organisation's rules (to one person, or to every active person) and returns how many assignments
 * were made. Each assignment commits with its audit event; a rule whose module is gone is skipped.
 */
export async function applyTrainingRules(deps: TrainingDeps, input: { orgId: string; userId?: string; ruleId?: string; requestId?: string | null }, now = new Date()): Promise<number> {
  let rulesQ = deps.db.selectFrom('training_rules').where('org_id', '=', input.orgId).selectAll();
  if (input.ruleId) rulesQ = rulesQ.where('id', '=', input.ruleId);
  const rules = await rulesQ.execute();
  if (rules.length === 0) return 0;
  let peopleQ = deps.db.selectFrom('users').where('org_id', '=', input.orgId).where('status', '=', 'active').select('id');
  if (input.userId) peopleQ = peopleQ.where('id', '=', input.userId);
  const people = (await peopleQ.execute()).map((r) => r.id);
  if (people.length === 0) return 0;
  const roles = await deps.db.selectFrom('user_roles as ur').innerJoin('roles as r', 'r.id', 'ur.role_id').where('ur.user_id', 'in', people).select(['ur.user_id', 'r.key']).execute();
  const teams = await deps.db.selectFrom('team_members').where('user_id', 'in', people).select(['user_id', 'team_id']).execute();
  const latest = await deps.db
    .selectFrom('training_assignments')
    .where('org_id', '=', input.orgId)
    .where('user_id', 'in', people)
    .distinctOn(['user_id', 'module_key'])
    .select(['user_id', 'module_key', 'status', 'completed_at'])
    .orderBy('user_id')
    .orderBy('module_key')
    .orderBy('assigned_at', 'desc')
    .execute();
  const roleOf = new Map<string, Set<string>>();
  for (const r of roles) (roleOf.get(r.user_id) ?? roleOf.set(r.user_id, new Set()).get(r.user_id)!).add(r.key);
  const teamOf = new Map<string, Set<string>>();
  for (const t of teams) (teamOf.get(t.user_id) ?? teamOf.set(t.user_id, new Set()).get(t.user_id)!).add(t.team_id);
  const last = new Map(latest.map((a) => [`${a.user_id} ${a.module_key}`, a]));

  let made = 0;
  for (const rule of rules) {
    for (const userId of people) {
      if (rule.role_key && !roleOf.get(userId)?.has(rule.role_key)) continue;
      if (rule.team_id && !teamOf.get(userId)?.has(rule.team_id)) continue;
      const prior = last.get(`${userId} ${rule.module_key}`);
      if (prior) {
        if (prior.status === 'assigned' || !rule.every_months || !prior.completed_at) continue;
        const again = new Date(prior.completed_at);
        again.setUTCMonth(again.getUTCMonth() + rule.every_months);
        if (again.getTime() > now.getTime()) continue;
      }
      const id = await deps.db.transaction().execute(async (trx) => {
        try {
          return await assignModule(deps, trx, { orgId: input.orgId, userId, moduleKey: rule.module_key, dueAt: new Date(now.getTime() + rule.due_days * DAY_MS), source: 'rule', ruleId: rule.id, requestId: input.requestId ?? null });
        } catch (err) {
          if (err instanceof AppError && err.code === 'not_found') return null; // the module or the person went away
          throw err;
        }
      });
      if (id) {
        made++;
        last.set(`${userId} ${rule.module_key}`, { user_id: userId, module_key: rule.module_key, status: 'assigned', completed_at: null });
      }
    }
  }
  return made;
}

/** The periodic job: every organisation's rules, for everyone. */
export async function runTrainingJobs(deps: TrainingDeps, now = new Date()): Promise<number> {
  const orgs = await deps.db.selectFrom('training_rules').select('org_id').distinct().execute();
  let made = 0;
  for (const o of orgs) made += await applyTrainingRules(deps, { orgId: o.org_id }, now);
  return made;
}

export async function listRules(db: Kysely<Database>, orgId: string) {
  const rows = await db
    .selectFrom('training_rules as r')
    .leftJoin('teams as t', 't.id', 'r.team_id')
    .where('r.org_id', '=', orgId)
    .select(['r.id', 'r.module_key', 'r.role_key', 'r.team_id', 'r.due_days', 'r.every_months', 'r.created_at', 't.name as team_name'])
    .orderBy('r.created_at')
    .execute();
  const titles = new Map<string, string>();
  for (const r of rows) if (!titles.has(r.module_key)) titles.set(r.module_key, (await latestModule(db, orgId, r.module_key))?.title ?? '');
  return rows.map((r) => ({
    id: r.id, moduleKey: r.module_key, moduleTitle: titles.get(r.module_key) || null, roleKey: r.role_key, teamId: r.team_id, teamName: r.team_name ?? null,
    dueDays: r.due_days, everyMonths: r.every_months, createdAt: new Date(r.created_at).toISOString(),
  }));
}

export async function createRule(deps: TrainingDeps, actor: TrainingActor, input: { moduleKey: string; roleKey: string | null; teamId: string | null; dueDays: number; everyMonths: number | null }, now = new Date()) {
  const orgId = actor.principal.orgId;
  const id = randomUUID();
  await deps.db.transaction().execute(async (trx) => {
    if (!(await latestModule(trx, orgId, input.moduleKey))) throw new AppError('not_found', 'No such module.');
    if (input.roleKey && !(await trx.selectFrom('roles').where('org_id', '=', orgId).where('key', '=', input.roleKey).select('id').executeTakeFirst())) throw new AppError('not_found', 'No such role.');
    if (input.teamId && !(await trx.selectFrom('teams').where('org_id', '=', orgId).where('id', '=', input.teamId).select('id').executeTakeFirst())) throw new AppError('not_found', 'No such team.');
    await trx.insertInto('training_rules').values({ id, org_id: orgId, module_key: input.moduleKey, role_key: input.roleKey, team_id: input.teamId, due_days: input.dueDays, every_months: input.everyMonths, created_by: actor.principal.userId }).execute();
    await deps.audit.append(trx, { ...actingOf(actor), action: 'training.rule.create', object: { type: 'training_rule', id }, result: 'success', details: { module: input.moduleKey, roleKey: input.roleKey, teamId: input.teamId, dueDays: input.dueDays, everyMonths: input.everyMonths } });
  });
  const assigned = await applyTrainingRules(deps, { orgId, ruleId: id, requestId: actor.requestId ?? null }, now);
  const rule = (await listRules(deps.db, orgId)).find((r) => r.id === id)!;
  return { ...rule, assigned };
}

export async function deleteRule(deps: TrainingDeps, actor: TrainingActor, ruleId: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const r = await trx.deleteFrom('training_rules').where('id', '=', ruleId).where('org_id', '=', actor.principal.orgId).returning(['id', 'module_key']).executeTakeFirst();
    if (!r) throw new AppError('not_found', 'No such rule.');
    await deps.audit.append(trx, { ...actingOf(actor), action: 'training.rule.delete', object: { type: 'training_rule', id: r.id }, result: 'success', details: { module: r.module_key } });
  });
}

// ---- the learner ---------------------------------------------------------------------------------------------

type AssignmentWithModule = {
  id: string; status: AssignmentStatus; due_at: Date; assigned_at: Date; completed_at: Date | null; attempts_used: number; best_score: number | null;
  module: ModuleRow;
};

function presentAssignment(a: AssignmentWithModule, now: Date) {
  return {
    id: a.id,
    module: presentModule(a.module),
    status: statusView(a.status, new Date(a.due_at), now),
    dueAt: new Date(a.due_at).toISOString(),
    assignedAt: new Date(a.assigned_at).toISOString(),
    completedAt: a.completed_at ? new Date(a.completed_at).toISOString() : null,
    attemptsUsed: a.attempts_used,
    attemptsLeft: a.status === 'assigned' ? Math.max(0, a.module.max_attempts - a.attempts_used) : 0,
    bestScore: a.best_score,
  };
}

async function loadOwn(db: Executor, p: Principal, assignmentId?: string, lock = false): Promise<AssignmentWithModule[]> {
  let q = db
    .selectFrom('training_assignments as a')
    .innerJoin('training_modules as m', 'm.id', 'a.module_id')
    .where('a.user_id', '=', p.userId)
    .where('a.org_id', '=', p.orgId)
    .select(['a.id', 'a.status', 'a.due_at', 'a.assigned_at', 'a.completed_at', 'a.attempts_used', 'a.best_score'])
    .select(['m.id as m_id', 'm.org_id as m_org_id', 'm.key as m_key', 'm.version as m_version', 'm.title as m_title', 'm.summary as m_summary', 'm.audience as m_audience', 'm.minutes as m_minutes', 'm.pass_mark as m_pass_mark', 'm.max_attempts as m_max_attempts', 'm.source as m_source', 'm.lesson_html as m_lesson_html', 'm.quiz as m_quiz', 'm.created_by as m_created_by', 'm.created_at as m_created_at', 'm.language as m_language'])
    .orderBy('a.assigned_at', 'desc');
  if (assignmentId) q = q.where('a.id', '=', assignmentId);
  if (lock) q = q.forUpdate('a');
  const rows = await q.execute();
  return rows.map((r) => ({
    id: r.id, status: r.status, due_at: r.due_at as Date, assigned_at: r.assigned_at, completed_at: r.completed_at as Date | null, attempts_used: r.attempts_used, best_score: r.best_score,
    module: {
      id: r.m_id, org_id: r.m_org_id, key: r.m_key, version: r.m_version, title: r.m_title, summary: r.m_summary, audience: r.m_audience, minutes: r.m_minutes,
      pass_mark: r.m_pass_mark, max_attempts: r.m_max_attempts, source: r.m_source, lesson_html: r.m_lesson_html, quiz: r.m_quiz, created_by: r.m_created_by, created_at: r.m_created_at, language: r.m_language,
    },
  }));
}

/** The caller's own assignments, newest first, after applying the organisation's rules to them. */
export async function myAssignments(deps: TrainingDeps, p: Principal, now = new Date()) {
  if (p.kind === 'session') await applyTrainingRules(deps, { orgId: p.orgId, userId: p.userId }, now);
  const language = await personLanguage(deps.db, p.orgId, p.userId);
  return Promise.all((await loadOwn(deps.db, p)).map(async (a) => {
    const shown = await versionInLanguage(deps.db, p.orgId, a.module, language);
    return { ...presentAssignment({ ...a, module: { ...a.module, title: shown.title, summary: shown.summary, minutes: shown.minutes } }, now), language: shown.language };
  }));
}

function gradedView(closed: boolean, quizLength: number, attempt: { attempt: number; score: number; passed: boolean; created_at: Date; answers: number[][]; correct: boolean[] }, module: ModuleRow) {
  return {
    attempt: attempt.attempt,
    score: attempt.score,
    passed: attempt.passed,
    at: new Date(attempt.created_at).toISOString(),
    questions: Array.from({ length: quizLength }, (_, i) => ({
      correct: attempt.correct[i] ?? false,
      chosen: attempt.answers[i] ?? [],
      explanation: module.quiz[i]!.explanation,
      rightChoices: closed ? [...module.quiz[i]!.correct] : null,
    })),
  };
}

/**
 * The language version of a module row of the caller's organisation by id, when it is a version of `assigned`
 * (same key and version); not found otherwise, so an attempt cannot be graded against another module's quiz.
 */
async function languageVersionById(db: Executor, orgId: string, assigned: ModuleRow, id: string): Promise<ModuleRow> {
  if (id === assigned.id) return assigned;
  const row = await db.selectFrom('training_modules').where('id', '=', id).where('key', '=', assigned.key).where('version', '=', assigned.version)
    .where((eb) => eb.or([eb('org_id', 'is', null), eb('org_id', '=', orgId)])).selectAll().executeTakeFirst();
  if (!row) throw new AppError('validation_failed', 'That is not a language version of the module you were assigned.');
  return row;
}

/**
 * One of the caller's own assignments: the lesson, the quiz without answers, the last attempt. Another person's:
 * not found. Shown in the person's language when the module has that language version (decision 0224): the
 * answer names the version shown (`moduleId`, `language`), and the quiz is graded against that version.
 */
export async function readAssignment(deps: TrainingDeps, p: Principal, assignmentId: string, now = new Date()) {
  const [a] = await loadOwn(deps.db, p, assignmentId);
  if (!a) throw new AppError('not_found', 'No such assignment.');
  const shown = await versionInLanguage(deps.db, p.orgId, a.module, await personLanguage(deps.db, p.orgId, p.userId));
  const last = await deps.db.selectFrom('training_attempts').where('assignment_id', '=', a.id).selectAll().orderBy('attempt', 'desc').limit(1).executeTakeFirst();
  // The last attempt is explained in the version that graded it, whatever the person reads now.
  const graded = last?.module_id ? await languageVersionById(deps.db, p.orgId, a.module, last.module_id).catch(() => a.module) : a.module;
  return {
    ...presentAssignment({ ...a, module: { ...a.module, title: shown.title, summary: shown.summary, minutes: shown.minutes } }, now),
    moduleId: shown.id,
    language: shown.language,
    lessonHtml: shown.lesson_html,
    quiz: publicQuiz(shown.quiz),
    lastAttempt: last ? gradedView(a.status !== 'assigned', graded.quiz.length, last, graded) : null,
  };
}

/** Answers the quiz of one's own open assignment. */
export async function submitAttempt(deps: TrainingDeps, actor: TrainingActor, assignmentId: string, answers: number[][], now = new Date(), shownId?: string) {
  const p = actor.principal;
  return deps.db.transaction().execute(async (trx) => {
    const [a] = await loadOwn(trx, p, assignmentId, true);
    if (!a) throw new AppError('not_found', 'No such assignment.');
    if (a.status === 'passed') throw new AppError('conflict', 'You have passed this module already.');
    if (a.status === 'failed' || a.attempts_used >= a.module.max_attempts) throw new AppError('conflict', 'No attempts are left for this module. Ask your team lead or security officer to assign it again.');
    // Graded against the language version the person answered (decision 0224): the one the player named, else the
    // one they would be shown now. Pass mark and attempts stay the assigned version's: the assignment is one.
    const shown = shownId ? await languageVersionById(trx, p.orgId, a.module, shownId) : await versionInLanguage(trx, p.orgId, a.module, await personLanguage(trx, p.orgId, p.userId));
    let grade;
    try {
      grade = gradeAttempt(shown.quiz, a.module.pass_mark, answers);
    } catch (err) {
      if (err instanceof RangeError) throw new AppError('validation_failed', `Your answers do not fit the quiz: ${err.message}.`);
      throw err;
    }
    const attempt = a.attempts_used + 1;
    const status: AssignmentStatus = grade.passed ? 'passed' : attempt >= a.module.max_attempts ? 'failed' : 'assigned';
    const closed = status !== 'assigned';
    const bestScore = Math.max(a.best_score ?? 0, grade.score);
    await trx.updateTable('training_assignments').set({ attempts_used: attempt, status, best_score: bestScore, completed_at: closed ? now : null }).where('id', '=', a.id).execute();
    const chosen = grade.questions.map((q) => q.chosen);
    const correct = grade.questions.map((q) => q.correct);
    await trx.insertInto('training_attempts').values({ id: randomUUID(), assignment_id: a.id, org_id: p.orgId, user_id: p.userId, attempt, answers: JSON.stringify(chosen), correct: JSON.stringify(correct), score: grade.score, passed: grade.passed, created_at: now, module_id: shown.id }).execute();
    const details = { module: a.module.key, version: a.module.version, language: shown.language, attempt, score: grade.score, passMark: a.module.pass_mark };
    await deps.audit.append(trx, { ...actingOf(actor), action: grade.passed ? 'training.quiz.pass' : 'training.quiz.fail', object: { type: 'training_assignment', id: a.id }, result: 'success', details });
    if (closed) await deps.audit.append(trx, { ...actingOf(actor), action: grade.passed ? 'training.complete' : 'training.attempts_exhausted', object: { type: 'training_assignment', id: a.id }, result: 'success', details });
    return {
      ...gradedView(closed, shown.quiz.length, { attempt, score: grade.score, passed: grade.passed, created_at: now, answers: chosen, correct }, shown),
      status: statusView(status, new Date(a.due_at), now),
      attemptsLeft: closed ? 0 : a.module.max_attempts - attempt,
    };
  });
}

// ---- progress ---------------------------------------------------------------------------------------------------

const PROGRESS_LIMIT = 2_000;

/**
 * Assignments the caller may see: everyone's with training.manage or an organisation-wide training.read,
 * their teams' members' with a team-scoped training.read; refused otherwise. The read is audited.
 */
export async function readProgress(deps: TrainingDeps, actor: TrainingActor, filter: { status?: TrainingStatusView; moduleKey?: string }, now = new Date()) {
  const p = actor.principal;
  const scope = scopeOf(p, 'training.manage') ? 'org' : scopeOf(p, 'training.read');
  if (!scope) throw new AppError('forbidden', 'Your role does not allow this.', { internal: 'missing training.read' });
  let q = deps.db
    .selectFrom('training_assignments as a')
    .innerJoin('training_modules as m', 'm.id', 'a.module_id')
    .innerJoin('users as u', 'u.id', 'a.user_id')
    .where('a.org_id', '=', p.orgId)
    .select(['a.id', 'a.user_id', 'u.name', 'a.module_key', 'm.title', 'm.version', 'a.status', 'a.due_at', 'a.completed_at', 'a.attempts_used', 'a.best_score'])
    .orderBy('a.due_at')
    .orderBy('a.id')
    .limit(PROGRESS_LIMIT + 1);
  if (scope !== 'org') {
    const teams = [...p.teamIds];
    q = q.where((eb) => eb.or([
      eb('a.user_id', '=', p.userId),
      ...(teams.length > 0 ? [eb('a.user_id', 'in', eb.selectFrom('team_members').where('team_id', 'in', teams).select('user_id'))] : []),
    ]));
  }
  if (filter.moduleKey) q = q.where('a.module_key', '=', filter.moduleKey);
  if (filter.status === 'passed' || filter.status === 'failed') q = q.where('a.status', '=', filter.status);
  if (filter.status === 'due') q = q.where('a.status', '=', 'assigned').where('a.due_at', '>=', now);
  if (filter.status === 'overdue') q = q.where('a.status', '=', 'assigned').where('a.due_at', '<', now);
  const rows = await q.execute();
  const truncated = rows.length > PROGRESS_LIMIT;
  const items = rows.slice(0, PROGRESS_LIMIT).map((r) => ({
    assignmentId: r.id, userId: r.user_id, userName: r.name, moduleKey: r.module_key, moduleTitle: r.title, version: r.version,
    status: statusView(r.status, new Date(r.due_at as Date), now), dueAt: new Date(r.due_at as Date).toISOString(),
    completedAt: r.completed_at ? new Date(r.completed_at as Date).toISOString() : null, attemptsUsed: r.attempts_used, bestScore: r.best_score,
  }));
  await deps.db.transaction().execute((trx) => deps.audit.append(trx, { ...actingOf(actor), action: 'training.progress.read', result: 'success', details: { scope, count: items.length, ...filter } }));
  return { items, truncated };
}
