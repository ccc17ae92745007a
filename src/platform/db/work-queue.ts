/**
 * The one durable work-queue mechanism (outbound mail, webhook deliveries):
 * rows are claimed with a lease under FOR UPDATE SKIP LOCKED, so several
 * workers and instances never take the same row, and a row whose worker died
 * is claimed again once its lease runs out. Retries back off exponentially.
 */
import { randomInt } from 'node:crypto';
import { sql, type Kysely } from 'kysely';

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  maxAttempts: number;
}

/** Delay before attempt `attempt + 1`: base·2^(attempt−1), capped, with ±20% jitter so retries spread out. */
export function backoffDelay(attempt: number, policy: BackoffPolicy): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const jitter = Math.floor(exp * 0.2);
  return exp - jitter + (jitter > 0 ? randomInt(0, 2 * jitter + 1) : 0);
}

/**
 * Claims up to `limit` due rows of a queue table (columns status, next_attempt_at,
 * locked_until, attempts) for `leaseMs`, counting the attempt, and returns the
 * requested columns of the claimed rows.
 */
export async function claimDueRows<Row, DB>(
  db: Kysely<DB>,
  options: { table: string; columns: readonly string[]; limit: number; leaseMs: number; now?: Date },
): Promise<Row[]> {
  const now = options.now ?? new Date();
  const until = new Date(now.getTime() + options.leaseMs);
  const table = sql.table(options.table);
  const r = await sql<Row>`
    UPDATE ${table} SET status = 'sending', locked_until = ${until}, attempts = attempts + 1
    WHERE id IN (
      SELECT id FROM ${table}
      WHERE (status = 'queued' AND next_attempt_at <= ${now}) OR (status = 'sending' AND locked_until < ${now})
      ORDER BY next_attempt_at LIMIT ${options.limit} FOR UPDATE SKIP LOCKED)
    RETURNING ${sql.join(options.columns.map((c) => sql.ref(c)))}`.execute(db);
  return r.rows;
}
