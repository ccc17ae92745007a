/**
 * Advisory locks for an installation's background workers (the audit
 * sequencer, the insider evaluator): one instance does a round, the others
 * skip it. Advisory locks belong to the whole database, so the key includes
 * the schema: two installations (or two test schemas) sharing a database never
 * skip each other's work.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Takes the transaction-scoped lock `key` for this schema; with `wait`, blocks until the holder commits, otherwise answers whether it was free. */
export async function workerLock(trx: Kysely<Database>, key: number, wait: boolean): Promise<boolean> {
  if (wait) {
    await sql`SELECT pg_advisory_xact_lock(${key}, hashtext(current_schema()))`.execute(trx);
    return true;
  }
  const locked = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(${key}, hashtext(current_schema())) AS ok`.execute(trx);
  return locked.rows[0]?.ok === true;
}
