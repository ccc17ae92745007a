/**
 * Opens the database: embedded PostgreSQL (PGlite) in the data folder by
 * default, or a PostgreSQL server when a URL is given. Both speak the same SQL,
 * so migrations and queries are written once. `db` is passed to whoever needs
 * it; nothing imports a database singleton.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
export type DatabaseKind = 'pglite' | 'postgres';

/** Runs scripts of several SQL statements (migrations) on one session, outside Kysely's one-statement API. */
export interface ScriptRunner {
  withSession<T>(fn: (run: (sql: string) => Promise<Array<Record<string, unknown>>>) => Promise<T>): Promise<T>;
}

export interface DatabaseHandle {
  db: Db;
  kind: DatabaseKind;
  scripts: ScriptRunner;
  /**
   * Rows as arrays, for bulk reads where building an object per row dominates
   * (audit verification streams millions). Parameters are bound, never spliced.
   */
  queryArrays(text: string, values: readonly unknown[]): Promise<unknown[][]>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres:// URL; when absent PGlite is used. */
  url?: string | undefined;
  /** PGlite data folder; absent means in memory. */
  dataDir?: string | undefined;
  /** PostgreSQL schema to use (tests get a fresh one each). */
  schema?: string | undefined;
  poolSize?: number | undefined;
}

const INT8_OID = 20;

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  return options.url ? openPostgres(options.url, options) : openPGlite(options.dataDir);
}

async function openPGlite(dataDir: string | undefined): Promise<DatabaseHandle> {
  if (dataDir) mkdirSync(path.dirname(path.resolve(dataDir)), { recursive: true, mode: 0o700 });
  // int8 as number: audit indexes and counters stay far below 2^53.
  const client = new PGlite(dataDir, { parsers: { [INT8_OID]: (v: string) => Number(v) } });
  await client.waitReady;
  const db = new Kysely<Database>({ dialect: new PGliteDialect(client) });
  // PGlite has one session. Scripts borrow it through Kysely's driver, which
  // queues every caller, so a migration never interleaves with other queries.
  const exec = async (sqlText: string) => {
    const results = await client.exec(sqlText);
    return (results.at(-1)?.rows ?? []) as Array<Record<string, unknown>>;
  };
  const scripts: ScriptRunner = {
    withSession: (fn) => db.connection().execute(() => fn(exec)),
  };
  const queryArrays = (text: string, values: readonly unknown[]) =>
    db.connection().execute(async () => (await client.query<unknown[]>(text, [...values], { rowMode: 'array' })).rows);
  return { db, kind: 'pglite', scripts, queryArrays, close: () => db.destroy() };
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const types = {
    getTypeParser: ((oid: number, format?: string) =>
      oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types,
    // A fresh schema per test file; production uses the server's search_path.
    ...(options.schema ? { options: `-c search_path=${quoteIdent(options.schema)}` } : {}),
    connectionTimeoutMillis: 10_000,
  });
  // Fail at start, with a clear message, when the server is unreachable.
  const probe = await pool.connect().catch(async (err: Error) => {
    await pool.end().catch(() => undefined);
    throw new Error(`Cannot connect to PostgreSQL at ${redactUrl(url)}: ${err.message}`);
  });
  probe.release();
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const scripts: ScriptRunner = {
    async withSession(fn) {
      const c = await pool.connect();
      try {
        return await fn(async (sql) => {
          const r = (await c.query(sql)) as unknown as pg.QueryResult | pg.QueryResult[];
          const last = Array.isArray(r) ? r.at(-1) : r;
          return (last?.rows ?? []) as Array<Record<string, unknown>>;
        });
      } finally {
        c.release();
      }
    },
  };
  const queryArrays = async (text: string, values: readonly unknown[]) =>
    (await pool.query<unknown[]>({ text, values: [...values], rowMode: 'array' })).rows;
  return { db, kind: 'postgres', scripts, queryArrays, close: () => db.destroy() };
}

export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe identifier: ${name}`);
  return `"${name}"`;
}

/** A database URL with its password removed, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
