/**
 * Scheduled retention runs (decision 0218). An organisation may let its retention policy run by itself, daily or
 * weekly at an hour (UTC). Setting the schedule is an approval: only someone who may start a run by hand (privacy
 * manage, customers.erase across the organisation, a fresh second factor) can set it, and each occurrence starts a
 * run on their behalf only while they still could — a person who left or lost the right stops the deletions, and
 * the screen says why.
 *
 * The periodic sweep (server.ts, every minute) claims each due schedule with SELECT … FOR UPDATE SKIP LOCKED and
 * moves it to its next occurrence in the same transaction that plans the run, so of several instances exactly one
 * starts an occurrence, and an occurrence is either planned and recorded or neither. An occurrence missed while no
 * instance ran is run once when one comes back, not once per missed day.
 */
import type { ClientInfo } from '../../identity/auth/auth.service.js';
import { requireFreshFactor, scopeOf, type Principal } from '../../identity/auth/access.js';
import { loadUserAccess } from '../../identity/auth/principals.js';
import { AppError, isAppError } from '../../platform/errors.js';
import type { HelpdeskDeps } from '../tickets/context.js';
import { planRetentionRun } from './retention.js';
import type { RetentionSchedulesTable, ScheduleOutcome } from './schema.js';
import './schema.js';

export interface ScheduleInput {
  frequency: 'daily' | 'weekly';
  hour: number;
  weekday?: number | null;
}

export interface RetentionSchedule {
  frequency: 'daily' | 'weekly';
  hour: number;
  weekday: number | null;
  enabledBy: string | null;
  enabledAt: string;
  nextRunAt: string;
  lastRunAt: string | null;
  lastRunId: string | null;
  lastOutcome: ScheduleOutcome | null;
}

type Row = Pick<RetentionSchedulesTable, 'frequency' | 'hour' | 'weekday' | 'enabled_by' | 'next_run_at' | 'last_run_at' | 'last_run_id' | 'last_outcome'> & { enabled_at: Date };

const present = (r: Row): RetentionSchedule => ({
  frequency: r.frequency, hour: r.hour, weekday: r.weekday, enabledBy: r.enabled_by, enabledAt: new Date(r.enabled_at).toISOString(),
  nextRunAt: new Date(r.next_run_at).toISOString(), lastRunAt: r.last_run_at ? new Date(r.last_run_at).toISOString() : null, lastRunId: r.last_run_id, lastOutcome: r.last_outcome,
});

const COLUMNS = ['frequency', 'hour', 'weekday', 'enabled_by', 'enabled_at', 'next_run_at', 'last_run_at', 'last_run_id', 'last_outcome'] as const;

/** The first occurrence strictly after `after`: the hour on the hour, UTC, on the weekday when weekly. */
export function nextOccurrence(s: { frequency: 'daily' | 'weekly'; hour: number; weekday: number | null }, after: Date): Date {
  const t = new Date(Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), after.getUTCDate(), s.hour));
  if (t <= after) t.setUTCDate(t.getUTCDate() + 1);
  if (s.frequency === 'weekly') t.setUTCDate(t.getUTCDate() + ((Number(s.weekday) - t.getUTCDay() + 7) % 7));
  return t;
}

export async function readRetentionSchedule(deps: Pick<HelpdeskDeps, 'db'>, orgId: string): Promise<RetentionSchedule | null> {
  const row = await deps.db.selectFrom('retention_schedules').where('org_id', '=', orgId).select(COLUMNS).executeTakeFirst();
  return row ? present(row as Row) : null;
}

/** Whether this person may start a run by hand (the approval a schedule stands on). */
function mayStartRuns(p: Pick<Principal, 'permissions'>): boolean {
  return p.permissions.has('privacy.manage') && p.permissions.get('customers.erase') === 'org';
}

/**
 * Sets, changes or (with null) removes the schedule; audited with before and after. Setting or changing it needs
 * what starting a run needs, fresh second factor included; removing it needs only the route's privacy.manage.
 */
export async function saveRetentionSchedule(deps: HelpdeskDeps, p: Principal, client: ClientInfo, input: ScheduleInput | null, options: { stepUpWindowMs?: number | undefined; now?: Date } = {}): Promise<RetentionSchedule | null> {
  if (input) {
    if (!mayStartRuns(p)) throw new AppError('forbidden', 'A schedule starts retention runs in your name, so setting one needs the customers.erase permission.', { internal: 'missing customers.erase (org)' });
    requireFreshFactor(p, options.stepUpWindowMs);
    if ((input.frequency === 'weekly') !== (input.weekday !== undefined && input.weekday !== null)) {
      throw new AppError('validation_failed', input.frequency === 'weekly' ? 'A weekly schedule needs a weekday.' : 'Only a weekly schedule has a weekday.');
    }
  }
  const now = options.now ?? new Date();
  return deps.db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('retention_schedules').where('org_id', '=', p.orgId).select(COLUMNS).forUpdate().executeTakeFirst();
    let after: RetentionSchedule | null = null;
    if (!input) {
      if (before) await trx.deleteFrom('retention_schedules').where('org_id', '=', p.orgId).execute();
    } else {
      const weekday = input.frequency === 'weekly' ? Number(input.weekday) : null;
      const values = { frequency: input.frequency, hour: input.hour, weekday, enabled_by: p.userId, enabled_at: now, next_run_at: nextOccurrence({ frequency: input.frequency, hour: input.hour, weekday }, now) };
      const row = await trx
        .insertInto('retention_schedules')
        .values({ org_id: p.orgId, ...values })
        .onConflict((oc) => oc.column('org_id').doUpdateSet(values))
        .returning(COLUMNS)
        .executeTakeFirstOrThrow();
      after = present(row as Row);
    }
    const summary = (s: RetentionSchedule | null) => (s ? { frequency: s.frequency, hour: s.hour, weekday: s.weekday, enabledBy: s.enabledBy } : null);
    await deps.audit.append(trx, {
      orgId: p.orgId, actor: { type: 'user', id: p.userId }, requestId: client.requestId, sourceIp: client.ip,
      action: 'policy.retention.schedule', object: { type: 'organization', id: p.orgId }, result: 'success', details: { before: summary(before ? present(before as Row) : null), after: summary(after) },
    });
    return after;
  });
}

/**
 * The sweep: starts a run for every schedule that is due (any organisation) and moves each to its next occurrence.
 * Returns the ids of the runs it planned; the retention worker (resumeRetentionRuns) works them.
 */
export async function startScheduledRuns(deps: HelpdeskDeps, now = new Date()): Promise<string[]> {
  const due = await deps.db.selectFrom('retention_schedules').where('next_run_at', '<=', now).select('org_id').orderBy('next_run_at').limit(20).execute();
  const started: string[] = [];
  for (const { org_id: orgId } of due) {
    try {
      const runId = await deps.db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('retention_schedules').where('org_id', '=', orgId).where('next_run_at', '<=', now).select(COLUMNS).forUpdate().skipLocked().executeTakeFirst();
        if (!row) return null; // another instance has it, or has just done it
        const approver = row.enabled_by ? await loadUserAccess(trx, row.enabled_by) : null;
        let outcome: ScheduleOutcome;
        let runId: string | null = null;
        if (!approver || approver.orgId !== orgId || approver.status !== 'active' || approver.orgStatus !== 'active' || !mayStartRuns(approver)) {
          outcome = 'approver_lacks_permission';
          await deps.audit.append(trx, { orgId, actor: { type: 'system', id: 'retention-schedule' }, action: 'retention.schedule.skip', object: { type: 'organization', id: orgId }, result: 'failure', details: { reason: outcome, approvedBy: row.enabled_by } });
        } else {
          try {
            runId = (await planRetentionRun(deps, trx, { orgId, userId: approver.userId, via: 'schedule', asOf: now })).id;
            outcome = 'started';
          } catch (err) {
            // The run before this one is still going (or was started by hand): this occurrence is not added to it.
            if (!isAppError(err) || err.code !== 'conflict') throw err;
            outcome = 'run_unfinished';
          }
        }
        await trx
          .updateTable('retention_schedules')
          .set({ next_run_at: nextOccurrence(row, now), last_run_at: now, last_outcome: outcome, ...(runId ? { last_run_id: runId } : {}) })
          .where('org_id', '=', orgId)
          .execute();
        return runId;
      });
      if (runId) started.push(runId);
    } catch (err) {
      deps.logger.error({ err, orgId }, 'scheduled retention run not started');
    }
  }
  return started;
}
