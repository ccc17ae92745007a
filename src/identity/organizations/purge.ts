/**
 * Removes a deleted organisation's rows, found from the database's own
 * catalogue rather than a hand-kept list, so a table added later is not
 * forgotten: every table with an `org_id` column, and every table that points
 * at such a table's rows without one (a user's second factors, a team's
 * members). Foreign keys decide the order: a table whose rows are still
 * referenced waits for the next pass (each attempt in a savepoint). Kept: the
 * audit trail (append-only; its entries hold no customer data by design), the
 * destroyed keys (proof of the shredding) and the organisation's tombstone.
 */
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';

export interface PurgeResult {
  /** Rows removed, by table. */
  removed: Record<string, number>;
  /** Tables that still hold rows of the organisation (empty when the purge finished). */
  remaining: string[];
}

const KEPT = new Set(['organizations', 'audit_log', 'audit_checkpoints', 'data_keys', 'data_key_versions', 'key_rotations', 'schema_migrations']);

export async function purgeOrganizationRows(db: Db, orgId: string): Promise<PurgeResult> {
  const withOrg = await sql<{ table_name: string }>`
    SELECT c.table_name FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
    WHERE c.table_schema = current_schema() AND c.column_name = 'org_id' ORDER BY c.table_name`.execute(db);
  const orgTables = withOrg.rows.map((r) => r.table_name).filter((t) => !KEPT.has(t));
  const orgSet = new Set(orgTables);
  // Single-column references from tables without org_id to tables with it.
  const refs = await sql<{ child: string; col: string; parent: string; pcol: string }>`
    SELECT cl.relname AS child, a.attname AS col, pl.relname AS parent, pa.attname AS pcol
    FROM pg_constraint k
    JOIN pg_class cl ON cl.oid = k.conrelid
    JOIN pg_namespace n ON n.oid = cl.relnamespace AND n.nspname = current_schema()
    JOIN pg_class pl ON pl.oid = k.confrelid
    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
    JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = k.confkey[1]
    WHERE k.contype = 'f' AND array_length(k.conkey, 1) = 1 ORDER BY 1, 2`.execute(db);
  const childRefs = refs.rows.filter((r) => !orgSet.has(r.child) && !KEPT.has(r.child) && orgSet.has(r.parent));

  return db.transaction().execute(async (trx) => {
    const removed: Record<string, number> = {};
    const count = (t: string, n: bigint | number | undefined) => {
      if (n) removed[t] = (removed[t] ?? 0) + Number(n);
    };
    // Sign-in throttling is keyed by the address, not the account: the staff's addresses go with them.
    const throttled = await sql`DELETE FROM signin_throttle WHERE key IN (SELECT 'email:' || email FROM users WHERE org_id = ${orgId})`.execute(trx);
    count('signin_throttle', throttled.numAffectedRows);
    for (const r of childRefs) {
      const res = await sql`DELETE FROM ${sql.table(r.child)} WHERE ${sql.ref(r.col)} IN (SELECT ${sql.ref(r.pcol)} FROM ${sql.table(r.parent)} WHERE org_id = ${orgId})`.execute(trx);
      count(r.child, res.numAffectedRows);
    }
    let pending = orgTables;
    while (pending.length) {
      const blocked: string[] = [];
      for (const table of pending) {
        await sql`SAVEPOINT purge_table`.execute(trx);
        try {
          const res = await sql`DELETE FROM ${sql.table(table)} WHERE org_id = ${orgId}`.execute(trx);
          await sql`RELEASE SAVEPOINT purge_table`.execute(trx);
          count(table, res.numAffectedRows);
        } catch (err) {
          await sql`ROLLBACK TO SAVEPOINT purge_table`.execute(trx);
          // 23503: still referenced by rows another pass removes. Anything else is a real failure.
          if ((err as { code?: string }).code !== '23503') throw err;
          blocked.push(table);
        }
      }
      if (blocked.length === pending.length) break;
      pending = blocked;
    }
    return { removed, remaining: pending };
  });
}
