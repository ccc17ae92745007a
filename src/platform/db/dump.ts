/**
 * A raw dump of every table in the current schema, as text, the way an
 * attacker holding a database backup would see it. Used by tests that prove no
 * customer plaintext (invariant 2) and no full card number (invariant 1) is
 * stored anywhere.
 */
import { sql, type Kysely } from 'kysely';

export async function dumpAllTables<DB>(db: Kysely<DB>): Promise<string> {
  const tables = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(db);
  const parts: string[] = [];
  for (const { table_name } of tables.rows) {
    const rows = await sql<{ j: string }>`SELECT row_to_json(t)::text AS j FROM ${sql.table(table_name)} AS t`.execute(db);
    parts.push(`-- ${table_name}`, ...rows.rows.map((r) => r.j));
  }
  return parts.join('\n');
}

/** True if `needle` occurs in the dump as text, or inside a bytea column (hex-encoded). */
export function dumpContains(dump: string, needle: string): boolean {
  const hex = Buffer.from(needle, 'utf8').toString('hex');
  return dump.includes(needle) || dump.toLowerCase().includes(hex);
}
