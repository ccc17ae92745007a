/**
 * SQL-first migrations: `src/platform/db/migrations/NNNN_name.sql`, applied in name
 * order, each in its own transaction, under an advisory lock so that several
 * instances starting at once apply each file exactly once. Applied files are
 * frozen: a changed checksum, or a migration in the database that this code
 * does not have, stops start-up with a clear message (see
 * docs/decisions/0002-sql-migrations.md).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ScriptRunner } from './database.js';
import { projectPath } from '../paths.js';

export const MIGRATIONS_DIR = projectPath('src', 'platform', 'db', 'migrations');
const LOCK_KEY = 7_470_001; // arbitrary, constant: "trustdesk migrations"

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => {
      const sql = readFileSync(path.join(dir, f), 'utf8');
      return { name: f.replace(/\.sql$/, ''), sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Applies every pending migration. Returns the names applied by this call. */
export async function migrateToLatest(scripts: ScriptRunner, migrations = loadMigrations()): Promise<string[]> {
  return scripts.withSession(async (run) => {
    await run(`SELECT pg_advisory_lock(${LOCK_KEY})`);
    try {
      await run(`CREATE TABLE IF NOT EXISTS schema_migrations (
        name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const rows = await run('SELECT name, checksum FROM schema_migrations ORDER BY name');
      const pending = checkApplied(rows as Array<{ name: string; checksum: string }>, migrations);
      for (const m of pending) {
        try {
          await run(`BEGIN;\n${m.sql}\n;INSERT INTO schema_migrations (name, checksum) VALUES (${quote(m.name)}, ${quote(m.checksum)});\nCOMMIT;`);
        } catch (err) {
          await run('ROLLBACK').catch(() => undefined);
          throw new MigrationError(`Migration ${m.name} failed and was rolled back: ${(err as Error).message}`);
        }
      }
      return pending.map((m) => m.name);
    } finally {
      await run(`SELECT pg_advisory_unlock(${LOCK_KEY})`).catch(() => undefined);
    }
  });
}

export async function migrationStatus(scripts: ScriptRunner, migrations = loadMigrations()): Promise<MigrationStatus> {
  return scripts.withSession(async (run) => {
    const exists = await run(`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`);
    const rows = exists[0]?.present ? await run('SELECT name, checksum FROM schema_migrations ORDER BY name') : [];
    const pending = checkApplied(rows as Array<{ name: string; checksum: string }>, migrations);
    return { applied: rows.map((r) => String(r.name)), pending: pending.map((m) => m.name) };
  });
}

function checkApplied(applied: Array<{ name: string; checksum: string }>, migrations: Migration[]): Migration[] {
  const known = new Map(migrations.map((m) => [m.name, m]));
  for (const row of applied) {
    const m = known.get(row.name);
    if (!m) {
      throw new MigrationError(
        `The database has migration ${row.name}, which this version of Trustdesk does not know. ` +
          'It was probably created by a newer version; run that version, or restore a matching backup.',
      );
    }
    if (m.checksum !== row.checksum) {
      throw new MigrationError(`Migration ${row.name} was changed after it was applied. Applied migrations are frozen; add a new one.`);
    }
  }
  const done = new Set(applied.map((r) => r.name));
  return migrations.filter((m) => !done.has(m.name));
}
