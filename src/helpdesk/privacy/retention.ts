/**
 * Retention runs (decision 0207). Starting a run freezes what the policy selects at that moment (the same queries
 * as the dry run, retention-policy.ts) into retention_run_items, with the counts, in one audited transaction. A
 * worker then deletes the items in small batches, one transaction each, every batch audited with its counts and
 * ids, and pauses between batches so the helpdesk's own queries get the database. Each batch asks the policy
 * again for its ids: what became ineligible since the plan (a hold was set, a ticket reopened, a customer wrote
 * in) is skipped, never deleted. Inactive customers go one per transaction through the existing erasure
 * (eraseForRequest: key destruction and everything outside the key), each with its own request and certificate.
 *
 * The worker holds a lease on the run (locked_until); a run whose worker died is taken up again by the periodic
 * sweep (resumeRetentionRuns) on any instance. One unfinished run per organisation.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import type { ClientInfo } from '../../identity/auth/auth.service.js';
import type { Principal } from '../../identity/auth/access.js';
import type { BlobStore } from '../../protection/blobs/store.js';
import { AppError, isAppError } from '../../platform/errors.js';
import type { HelpdeskDeps } from '../tickets/context.js';
import { eraseForRequest, type ErasureOptions } from './erasure.js';
import { purgeExports, purgeQuarantine, purgeTickets } from './purge.js';
import { candidates, countRetention, cutoffsOf, readRetentionPolicy, RETENTION_CATEGORIES, zeroCounts, type Cutoffs, type RetentionPolicy } from './retention-policy.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import type { RetentionCategory, RetentionCounts, RetentionRunStatus, RetentionVia } from './schema.js';
import './schema.js';

export interface RetentionRun {
  id: string;
  status: RetentionRunStatus;
  via: RetentionVia;
  asOf: string;
  policy: RetentionPolicy;
  cutoffs: Cutoffs;
  planned: RetentionCounts;
  deleted: RetentionCounts;
  skipped: RetentionCounts;
  /** Items done (deleted or skipped) out of planned, 0–100. */
  percent: number;
  requestedBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
}

const COLUMNS = ['id', 'status', 'via', 'as_of', 'policy', 'planned', 'deleted', 'skipped', 'requested_by', 'created_at', 'started_at', 'finished_at', 'error'] as const;
const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);
const sum = (c: RetentionCounts) => c.tickets + c.quarantine + c.exports + c.customers;

type RunRow = { id: string; status: RetentionRunStatus; via: RetentionVia; as_of: Date; policy: Record<string, unknown>; planned: RetentionCounts; deleted: RetentionCounts; skipped: RetentionCounts; requested_by: string | null; created_at: Date; started_at: Date | null; finished_at: Date | null; error: string | null };

function present(r: RunRow): RetentionRun {
  const planned = { ...zeroCounts(), ...r.planned };
  const deleted = { ...zeroCounts(), ...r.deleted };
  const skipped = { ...zeroCounts(), ...r.skipped };
  const total = sum(planned);
  const { cutoffs, ...policy } = r.policy as unknown as RetentionPolicy & { cutoffs: Cutoffs };
  return {
    id: r.id, status: r.status, via: r.via, asOf: iso(r.as_of) as string, policy, cutoffs, planned, deleted, skipped,
    percent: total ? Math.floor(((sum(deleted) + sum(skipped)) * 100) / total) : r.status === 'done' ? 100 : 0,
    requestedBy: r.requested_by, createdAt: iso(r.created_at) as string, startedAt: iso(r.started_at), finishedAt: iso(r.finished_at), error: r.error,
  };
}

/** The dry run for the caller's organisation: counts per category at `asOf` (now), nothing changed. */
export async function dryRunRetention(deps: Pick<HelpdeskDeps, 'db'>, orgId: string, asOf = new Date()): Promise<{ asOf: string; cutoffs: Cutoffs; counts: RetentionCounts }> {
  const policy = await readRetentionPolicy(deps.db, orgId);
  const { cutoffs, counts } = await countRetention(deps.db, orgId, policy, asOf);
  return { asOf: asOf.toISOString(), cutoffs, counts };
}

export interface StartInput {
  orgId: string;
  userId: string | null;
  via: RetentionVia;
  client?: ClientInfo;
  asOf?: Date;
}

/** Plans a run: freezes the records the policy selects now, with the counts; audited. 409 while one is unfinished. */
export async function startRetentionRun(deps: HelpdeskDeps, input: StartInput): Promise<RetentionRun> {
  return deps.db.transaction().execute((trx) => planRetentionRun(deps, trx, input));
}

/** startRetentionRun inside the caller's transaction (a schedule claims its occurrence and plans in one commit). */
export async function planRetentionRun(deps: Pick<HelpdeskDeps, 'audit'>, trx: Executor, input: StartInput): Promise<RetentionRun> {
  const asOf = input.asOf ?? new Date();
  // One run at a time per organisation (the partial unique index is the backstop).
  await sql`SELECT id FROM organizations WHERE id = ${input.orgId} FOR UPDATE`.execute(trx);
  const open = await trx.selectFrom('retention_runs').where('org_id', '=', input.orgId).where('status', 'in', ['queued', 'running']).select('id').executeTakeFirst();
  if (open) throw new AppError('conflict', 'A retention run is already under way for this organisation.', { extra: { runId: open.id } });
  const policy = await readRetentionPolicy(trx, input.orgId);
  const cutoffs = cutoffsOf(policy, asOf);
  const id = randomUUID();
  await trx.insertInto('retention_runs').values({ id, org_id: input.orgId, via: input.via, as_of: asOf, policy: JSON.stringify({ ...policy, cutoffs }), planned: JSON.stringify(zeroCounts()), requested_by: input.userId }).execute();
  const planned = zeroCounts();
  for (const category of RETENTION_CATEGORIES) {
    const q = candidates(category, input.orgId, policy, cutoffs);
    if (!q) continue;
    const r = await sql`INSERT INTO retention_run_items (run_id, category, object_id) SELECT ${id}, ${category}, c.id FROM (${q}) AS c`.execute(trx);
    planned[category] = Number(r.numAffectedRows ?? 0);
  }
  const row = await trx.updateTable('retention_runs').set({ planned: JSON.stringify(planned) }).where('id', '=', id).returning(COLUMNS).executeTakeFirstOrThrow();
  // A scheduled run is the system's act, on the approval of the person who set the schedule (requested_by).
  const actor = input.via === 'schedule' ? { type: 'system' as const, id: 'retention-schedule' } : input.userId ? { type: 'user' as const, id: input.userId } : { type: 'system' as const, id: 'cli' };
  await deps.audit.append(trx, {
    orgId: input.orgId, actor, requestId: input.client?.requestId ?? null, sourceIp: input.client?.ip ?? null,
    action: 'retention.run.start', object: { type: 'retention_run', id }, result: 'success', details: { planned, cutoffs, via: input.via, ...(input.via === 'schedule' ? { approvedBy: input.userId } : {}) },
  });
  return present(row as RunRow);
}

export async function readRetentionRun(deps: Pick<HelpdeskDeps, 'db'>, orgId: string, id: string): Promise<RetentionRun> {
  const row = await deps.db.selectFrom('retention_runs').where('id', '=', id).where('org_id', '=', orgId).select(COLUMNS).executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such retention run.');
  return present(row as RunRow);
}

export async function listRetentionRuns(deps: Pick<HelpdeskDeps, 'db'>, p: Pick<Principal, 'orgId'>, limit = 20): Promise<RetentionRun[]> {
  const rows = await deps.db.selectFrom('retention_runs').where('org_id', '=', p.orgId).select(COLUMNS).orderBy('created_at', 'desc').orderBy('id').limit(limit).execute();
  return rows.map((r) => present(r as RunRow));
}

export interface WorkerOptions {
  /** Records per transaction (tickets, quarantine, exports); customers go one per transaction. */
  batchSize?: number;
  /** Pause between batches, so other queries get the database (ms). */
  pauseMs?: number;
  leaseMs?: number;
  blobs?: BlobStore;
  erasure?: (orgId: string) => ErasureOptions;
  /** Asked between batches: true stops the worker (the lease runs out and another worker resumes). */
  stopping?: () => boolean;
}

const LEASE_MS = 120_000;

/**
 * Works a run to the end (or until `stopping`), batch by batch. Takes the run's lease first: if another worker
 * holds it, returns at once. Returns the run as it stands.
 */
export async function processRetentionRun(deps: HelpdeskDeps, runId: string, options: WorkerOptions = {}): Promise<RetentionRun | null> {
  const batchSize = options.batchSize ?? 200;
  const leaseMs = options.leaseMs ?? LEASE_MS;
  const claimed = await sql<{ id: string; org_id: string; requested_by: string | null; policy: Record<string, unknown> }>`
    UPDATE retention_runs SET status = 'running', started_at = COALESCE(started_at, now()), locked_until = ${new Date(Date.now() + leaseMs)}
    WHERE id = ${runId} AND (status = 'queued' OR (status = 'running' AND locked_until < ${new Date()}))
    RETURNING id, org_id, requested_by, policy`.execute(deps.db);
  const run = claimed.rows[0];
  if (!run) return null;
  const orgId = run.org_id;
  const { cutoffs, ...policy } = run.policy as unknown as RetentionPolicy & { cutoffs: Cutoffs };
  const actor = { type: 'system' as const, id: 'retention' };
  // Milliseconds this worker spent per kind (written into the finishing audit entry: throughput for the operator).
  const spent: Record<string, number> = {};
  try {
    for (const category of RETENTION_CATEGORIES) {
      const began = Date.now();
      for (;;) {
        if (options.stopping?.()) return readRetentionRun(deps, orgId, runId);
        const more = category === 'customers' ? await eraseOneCustomer(deps, run, policy, cutoffs, options) : await deleteBatch(deps, orgId, runId, category, policy, cutoffs, batchSize, options);
        if (!more) break;
        if (options.pauseMs) await sleep(options.pauseMs);
        else await new Promise((r) => setImmediate(r));
      }
      spent[category] = Date.now() - began;
    }
    await deps.db.transaction().execute(async (trx) => {
      const row = await trx.updateTable('retention_runs').set({ status: 'done', finished_at: new Date(), locked_until: null }).where('id', '=', runId).returning(['deleted', 'skipped']).executeTakeFirstOrThrow();
      await deps.audit.append(trx, { orgId, actor, action: 'retention.run.finish', object: { type: 'retention_run', id: runId }, result: 'success', details: { deleted: row.deleted, skipped: row.skipped, ms: spent } });
    });
  } catch (err) {
    deps.logger.error({ err, runId }, 'retention run failed');
    const error = isAppError(err) ? err.message : 'The run stopped on an internal error; see the server log.';
    await deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('retention_runs').set({ status: 'failed', finished_at: new Date(), locked_until: null, error: error.slice(0, 500) }).where('id', '=', runId).execute();
      await deps.audit.append(trx, { orgId, actor, action: 'retention.run.finish', object: { type: 'retention_run', id: runId }, result: 'failure', details: { error } });
    });
  }
  return readRetentionRun(deps, orgId, runId);
}

const bump = (category: RetentionCategory, deleted: number, skipped: number, lease: Date) => ({
  deleted: sql<string>`jsonb_set(deleted, ARRAY[${category}]::text[], to_jsonb(COALESCE((deleted->>${category})::int, 0) + ${deleted}::int))`,
  skipped: sql<string>`jsonb_set(skipped, ARRAY[${category}]::text[], to_jsonb(COALESCE((skipped->>${category})::int, 0) + ${skipped}::int))`,
  locked_until: lease,
});

/** One batch of tickets, quarantined messages or exports; false when none is left. */
async function deleteBatch(deps: HelpdeskDeps, orgId: string, runId: string, category: Exclude<RetentionCategory, 'customers'>, policy: RetentionPolicy, cutoffs: Cutoffs, batchSize: number, options: WorkerOptions): Promise<boolean> {
  const blobKeys: string[] = [];
  const more = await deps.db.transaction().execute(async (trx) => {
    const items = await sql<{ object_id: string }>`SELECT object_id FROM retention_run_items WHERE run_id = ${runId} AND category = ${category} AND state = 'pending'
      ORDER BY object_id LIMIT ${batchSize} FOR UPDATE SKIP LOCKED`.execute(trx);
    const ids = items.rows.map((i) => i.object_id);
    if (!ids.length) return false;
    const q = candidates(category, orgId, policy, cutoffs, ids);
    const still = q ? (await q.execute(trx)).rows.map((r) => r.id) : [];
    let deleted = 0;
    if (category === 'tickets') {
      const r = await purgeTickets(trx, orgId, still);
      deleted = r.tickets;
      blobKeys.push(...r.blobKeys);
    } else if (category === 'quarantine') deleted = await purgeQuarantine(trx, orgId, still);
    else deleted = await purgeExports(trx, orgId, still);
    const skippedIds = ids.filter((id) => !still.includes(id));
    await sql`UPDATE retention_run_items SET state = CASE WHEN object_id = ANY (${still}::uuid[]) THEN 'deleted' ELSE 'skipped' END WHERE run_id = ${runId} AND category = ${category} AND object_id = ANY (${ids}::uuid[])`.execute(trx);
    await trx.updateTable('retention_runs').set(bump(category, deleted, skippedIds.length, new Date(Date.now() + (options.leaseMs ?? LEASE_MS)))).where('id', '=', runId).execute();
    await deps.audit.append(trx, { orgId, actor: { type: 'system', id: 'retention' }, action: 'retention.delete', object: { type: 'retention_run', id: runId }, result: 'success', details: { category, deleted, skipped: skippedIds.length, ids: still, skippedIds } });
    return true;
  });
  // Attachment files: unreadable without their rows' wrapped keys; removed once the rows are gone.
  if (options.blobs) for (const key of blobKeys) await options.blobs.delete(key).catch((err: unknown) => deps.logger.warn({ err, runId }, 'retention: attachment file not removed'));
  return more;
}

/** One inactive customer, erased through a data-subject request of its own (via retention); false when none is left. */
async function eraseOneCustomer(deps: HelpdeskDeps, run: { id: string; org_id: string; requested_by: string | null }, policy: RetentionPolicy, cutoffs: Cutoffs, options: WorkerOptions): Promise<boolean> {
  const orgId = run.org_id;
  let after: (() => Promise<unknown>) | null = null;
  const more = await deps.db.transaction().execute(async (trx) => {
    const item = await sql<{ object_id: string }>`SELECT object_id FROM retention_run_items WHERE run_id = ${run.id} AND category = 'customers' AND state = 'pending'
      ORDER BY object_id LIMIT 1 FOR UPDATE SKIP LOCKED`.execute(trx);
    const customerId = item.rows[0]?.object_id;
    if (!customerId) return false;
    const lease = new Date(Date.now() + (options.leaseMs ?? LEASE_MS));
    const q = candidates('customers', orgId, policy, cutoffs, [customerId]);
    const eligible = q ? (await q.execute(trx)).rows.length > 0 : false;
    if (eligible) {
      const now = new Date();
      const requestId = randomUUID();
      await trx.insertInto('privacy_requests').values({ id: requestId, org_id: orgId, customer_id: customerId, kind: 'erasure', via: 'retention', status: 'verified', verification: 'policy', requested_by: run.requested_by, verified_at: now, received_at: now, due_at: now }).execute();
      const outcome = await eraseForRequest(deps, trx, { orgId, actor: { type: 'system', id: 'retention' }, userId: null, requestId: null, sourceIp: null }, {
        id: requestId, orgId, customerId, receivedAt: now, verification: 'policy', verificationId: null, requestedBy: run.requested_by, verifiedBy: null, verifiedAt: now,
      }, options.erasure?.(orgId) ?? {});
      await trx.updateTable('privacy_requests').set({ decided_at: now }).where('id', '=', requestId).execute();
      after = outcome.afterCommit;
    }
    await sql`UPDATE retention_run_items SET state = ${eligible ? 'deleted' : 'skipped'} WHERE run_id = ${run.id} AND category = 'customers' AND object_id = ${customerId}`.execute(trx);
    await trx.updateTable('retention_runs').set(bump('customers', eligible ? 1 : 0, eligible ? 0 : 1, lease)).where('id', '=', run.id).execute();
    if (!eligible) await deps.audit.append(trx, { orgId, actor: { type: 'system', id: 'retention' }, action: 'retention.delete', object: { type: 'retention_run', id: run.id }, result: 'success', details: { category: 'customers', deleted: 0, skipped: 1, skippedIds: [customerId] } });
    return true;
  });
  if (after) await (after as () => Promise<unknown>)();
  return more;
}

/** The periodic sweep: works every run that is queued or whose worker's lease ran out (any organisation). */
export async function resumeRetentionRuns(deps: HelpdeskDeps, options: WorkerOptions = {}): Promise<number> {
  const due = await deps.db.selectFrom('retention_runs').where((eb) => eb.or([eb('status', '=', 'queued'), eb.and([eb('status', '=', 'running'), eb('locked_until', '<', new Date())])])).select('id').orderBy('created_at').limit(5).execute();
  for (const r of due) await processRetentionRun(deps, r.id, options);
  return due.length;
}
