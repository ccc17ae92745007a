/**
 * Opens the database: embedded PostgreSQL (PGlite) in the data folder by
 * default, or a PostgreSQL server when a URL is given. Both speak the same SQL,
 * so migrations and queries are written once. `db` is passed to whoever needs
 * it; nothing imports a database singleton.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql, type RawBuilder, type Transaction } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { Database } from './schema.js';
import { traceDialect } from '../tracing/database.js';

export type Db = Kysely<Database>;
type Executor = Kysely<Database> | Transaction<Database>;
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
  /**
   * Receives what `notify(executor, channel, payload)` sends, from any process on
   * this database and namespace, once the sending transaction commits (never on
   * rollback). On PostgreSQL one dedicated connection listens; when it is lost
   * (restart, failover) it reconnects with backoff and calls `onReconnect`, since
   * anything sent meanwhile was lost. Returns a function that stops listening.
   */
  listen(channel: string, onPayload: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  /**
   * PostgreSQL only: how to open more connections to the same database and schema, for work
   * that reads in parallel from worker threads (audit verification).
   */
  connection?: { url: string; schema?: string | undefined };
  /** PGlite only: the data folder as one tar, consistent (backups, decision 0219). */
  dumpDataDir?: () => Promise<Blob>;
  close(): Promise<void>;
}

/**
 * NOTIFY is database-wide, and tests (or tenants) run several schemas on one
 * database: a channel's real name carries a hash of the session's schema, computed
 * by the same SQL on the sending and the listening side (no configuration to drift).
 */
const namespacedChannel = (channelParam: string) => `(${channelParam} || '_' || left(md5(current_schema()), 12))`;
const CHANNEL = /^[a-z][a-z0-9_]{0,40}$/;

/** `pg_notify(…)` for `channel`, to embed in a statement that already runs (no extra round trip). */
export function notifyCall(channel: string, payload: string): RawBuilder<unknown> {
  if (!CHANNEL.test(channel)) throw new Error(`unsafe channel name: ${channel}`);
  return sql`pg_notify(${sql.raw(namespacedChannel(`'${channel}'`))}, ${payload})`;
}

/** Queues `payload` on `channel` inside the caller's transaction: delivered at commit, dropped on rollback. */
export async function notify(executor: Executor, channel: string, payload: string): Promise<void> {
  await sql`SELECT ${notifyCall(channel, payload)}`.execute(executor);
}

const channelNameQuery = (channel: string) => {
  if (!CHANNEL.test(channel)) throw new Error(`unsafe channel name: ${channel}`);
  return `SELECT ${namespacedChannel(`'${channel}'`)} AS name`;
};

export interface OpenDatabaseOptions {
  /** postgres:// URL; when absent PGlite is used. */
  url?: string | undefined;
  /** PGlite data folder; absent means in memory. */
  dataDir?: string | undefined;
  /** PostgreSQL schema to use (tests get a fresh one each). */
  schema?: string | undefined;
  poolSize?: number | undefined;
  /**
   * Told about connections the server dropped (restart, failover, terminated
   * backend). The pool discards them and opens new ones on demand; without a
   * listener such an error would end the process.
   */
  onConnectionError?: ((err: Error) => void) | undefined;
  /** PGlite only: a data folder tarball to start from instead of running initdb (test templates, src/platform/db/testing.ts). */
  pgliteTemplate?: Blob | undefined;
}

const INT8_OID = 20;

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  return options.url ? openPostgres(options.url, options) : openPGlite(options.dataDir, options.pgliteTemplate);
}

async function openPGlite(dataDir: string | undefined, template: Blob | undefined): Promise<DatabaseHandle> {
  if (dataDir) mkdirSync(path.dirname(path.resolve(dataDir)), { recursive: true, mode: 0o700 });
  // int8 as number: audit indexes and counters stay far below 2^53. One options object: PGlite's
  // (dataDir, options) form drops the options when dataDir is undefined (in memory).
  const client = new PGlite({
    ...(dataDir ? { dataDir } : {}),
    parsers: { [INT8_OID]: (v: string) => Number(v) },
    ...(template ? { loadDataDir: template } : {}),
  });
  await client.waitReady;
  const db = new Kysely<Database>({ dialect: traceDialect(new PGliteDialect(client)) });
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
  // PGlite has one session, which also receives its own notifications. LISTEN goes through Kysely's
  // queue so it never lands inside someone else's transaction (a rollback would undo it).
  const listen: DatabaseHandle['listen'] = async (channel, onPayload) => {
    const unlisten = await db.connection().execute(async () => {
      const name = (await client.query<{ name: string }>(channelNameQuery(channel))).rows[0]!.name;
      return client.listen(name, onPayload);
    });
    return () => db.connection().execute(() => unlisten());
  };
  const dumpDataDir = () => db.connection().execute(() => client.dumpDataDir('gzip'));
  return { db, kind: 'pglite', scripts, queryArrays, listen, dumpDataDir, close: () => db.destroy() };
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
    // A fresh schema per test database; production uses the server's search_path. A test schema is thrown
    // away afterwards, so its commits need not wait for the WAL to reach the disk (a crash loses nothing of value).
    ...(options.schema ? { options: `-c search_path=${quoteIdent(options.schema)} -c synchronous_commit=off` } : {}),
    connectionTimeoutMillis: 10_000,
  });
  // A restart, failover or pg_terminate_backend ends connections, idle or checked
  // out. Each is reported here and dropped by the pool (a client whose connection
  // failed is not queryable and is discarded on release); the query it was running
  // fails with a connection error, which the HTTP and SMTP layers answer as "try
  // again later". New queries open new connections once the server is back.
  const onConnectionError = options.onConnectionError ?? (() => undefined);
  pool.on('error', (err) => onConnectionError(err));
  pool.on('connect', (client) => client.on('error', (err) => onConnectionError(err)));
  // Fail at start, with a clear message, when the server is unreachable.
  const probe = await pool.connect().catch(async (err: Error) => {
    await pool.end().catch(() => undefined);
    throw new Error(`Cannot connect to PostgreSQL at ${redactUrl(url)}: ${err.message}`);
  });
  probe.release();
  const db = new Kysely<Database>({ dialect: traceDialect(new PostgresDialect({ pool })) });
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
  const listener = new PostgresListener({
    connectionString: url,
    types,
    ...(options.schema ? { options: `-c search_path=${quoteIdent(options.schema)}` } : {}),
    connectionTimeoutMillis: 10_000,
    application_name: 'trustdesk-listen',
  }, onConnectionError);
  return {
    db,
    kind: 'postgres',
    scripts,
    queryArrays,
    connection: { url, schema: options.schema },
    listen: (channel, onPayload, onReconnect) => listener.listen(channel, onPayload, onReconnect),
    close: async () => {
      await listener.close();
      await db.destroy();
    },
  };
}

interface Listening {
  onPayload(payload: string): void;
  onReconnect?: (() => void) | undefined;
}

/**
 * One dedicated connection per process holds every LISTEN (a pooled connection
 * would lose them when released). Opened on the first `listen`; when the server
 * drops it, reopened with backoff (0.5 s doubling to 30 s) and every channel
 * listened to again, then each listener is told to resynchronise.
 */
class PostgresListener {
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private readonly channels = new Map<string, { name: string; listeners: Set<Listening> }>();
  private retryTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private closed = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly onConnectionError: (err: Error) => void,
  ) {}

  async listen(channel: string, onPayload: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>> {
    if (this.closed) throw new Error('the database is closed');
    const client = await this.connect();
    let entry = this.channels.get(channel);
    if (!entry) {
      const name = (await client.query<{ name: string }>(channelNameQuery(channel))).rows[0]!.name;
      entry = { name, listeners: new Set() };
      this.channels.set(channel, entry);
      await client.query(`LISTEN ${pgIdent(name)}`);
    }
    const listening: Listening = { onPayload, onReconnect };
    entry.listeners.add(listening);
    return async () => {
      const e = this.channels.get(channel);
      if (!e) return;
      e.listeners.delete(listening);
      if (e.listeners.size === 0) {
        this.channels.delete(channel);
        await this.client?.query(`UNLISTEN ${pgIdent(e.name)}`).catch(() => undefined);
      }
    };
  }

  private connect(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new pg.Client(this.config);
      client.on('error', (err) => this.lost(client, err));
      client.on('end', () => this.lost(client, new Error('Connection terminated')));
      client.on('notification', (msg) => {
        for (const entry of this.channels.values()) {
          if (entry.name !== msg.channel) continue;
          for (const l of entry.listeners) l.onPayload(msg.payload ?? '');
        }
      });
      try {
        await client.connect();
      } catch (err) {
        client.removeAllListeners();
        client.on('error', () => undefined);
        throw err;
      } finally {
        this.connecting = null;
      }
      this.client = client;
      return client;
    })();
    return this.connecting;
  }

  private lost(client: pg.Client, err: Error): void {
    if (this.client !== client) return;
    this.client = null;
    client.removeAllListeners();
    client.on('error', () => undefined);
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.onConnectionError(err);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    const delay = Math.min(30_000, 500 * 2 ** this.attempt);
    this.attempt++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.reconnect();
    }, delay);
    this.retryTimer.unref();
  }

  private async reconnect(): Promise<void> {
    if (this.closed) return;
    try {
      const client = await this.connect();
      for (const entry of this.channels.values()) await client.query(`LISTEN ${pgIdent(entry.name)}`);
      this.attempt = 0;
    } catch (err) {
      if (this.client) this.lost(this.client, err as Error);
      else this.scheduleReconnect();
      return;
    }
    for (const entry of this.channels.values()) for (const l of entry.listeners) l.onReconnect?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client ?? (await this.connecting?.catch(() => null)) ?? null;
    this.client = null;
    this.channels.clear();
    if (client) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
    }
  }
}

/** An identifier quoted for any name (channel names are computed, not typed). */
function pgIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** SQLSTATEs meaning "the server is going away or not yet back": worth retrying later, not a bug. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
const UNAVAILABLE_MESSAGES = [/^Connection terminated/, /timeout exceeded when trying to connect/, /not queryable/];

/**
 * True when an error (or one it wraps) says the database could not be reached
 * or dropped the connection, rather than that the query was wrong: a restart,
 * a failover, a terminated backend, a full pool that timed out. Callers answer
 * these as temporary (HTTP 503 with Retry-After, SMTP 451).
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length) {
    const e = queue.shift();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const { code, message, cause, errors } = e as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string' && (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code))) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => m.test(message))) return true;
    queue.push(cause);
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return false;
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
