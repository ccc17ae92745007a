/**
 * Test databases: every database test runs on embedded PGlite, and also on
 * PostgreSQL when TEST_DATABASE_URL is set. Each call gets a fresh, migrated
 * database (PGlite in memory, or a new schema on the server, dropped after).
 *
 * A PGlite database starts from a template instead of running initdb and the
 * migrations again (decision 0135): the first run after a migration changes
 * builds, once, a data folder tarball before and after the migrations, kept in
 * the system's temporary folder under a key that hashes the migrations and the
 * PGlite version. Vitest's global setup builds them before the workers start;
 * a worker that finds none builds them itself.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { openDatabase, quoteIdent, type DatabaseHandle, type DatabaseKind, type ScriptRunner } from './database.js';
import { loadMigrations, migrateToLatest, type Migration } from './migrate.js';
import { buildServer } from '../../../scripts/build.mjs';

export interface TestDatabase extends DatabaseHandle {
  /** The database URL and schema, for code that opens its own connection (e.g. the CLI). */
  url?: string;
  schema?: string;
}

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

/** The database kinds this run covers: always pglite, postgres too when configured. */
export const testDatabaseKinds: DatabaseKind[] = TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export async function createTestDatabase(kind: DatabaseKind, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  if (kind === 'pglite') {
    // The template is the state the migrations leave: the same files, applied by the same runner.
    return openDatabase({ pgliteTemplate: await templateBlob(options.migrate === false ? 'empty' : 'migrated') });
  }
  if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
  await admin.end();
  const inner = await openDatabase({ url: TEST_DATABASE_URL, schema, poolSize: 4 });
  const handle: TestDatabase = {
    ...inner,
    url: TEST_DATABASE_URL,
    schema,
    async close() {
      await inner.close();
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
      await c.end();
    },
  };
  if (options.migrate !== false) await migrateToLatest(handle.scripts);
  return handle;
}

/** Bump when the layout of the template folder changes. */
const TEMPLATE_FORMAT = 2;
const TEMPLATES_ROOT = path.join(tmpdir(), 'trustdesk-test-templates');

/** Names the templates after what they contain: the migrations (names and checksums) and the PGlite that wrote them. */
export function templateKey(migrations: Migration[] = loadMigrations()): string {
  const main = createRequire(import.meta.url).resolve('@electric-sql/pglite'); // <package>/dist/index.cjs
  const pgliteVersion = (JSON.parse(readFileSync(path.join(path.dirname(main), '..', 'package.json'), 'utf8')) as { version: string }).version;
  const hash = createHash('sha256').update(`format ${TEMPLATE_FORMAT}\npglite ${pgliteVersion}\n`);
  for (const m of migrations) hash.update(`${m.name} ${m.checksum}\n`);
  return hash.digest('hex').slice(0, 24);
}

export interface PGliteTemplates {
  dir: string;
  /** Data folder tarball right after initdb. */
  emptyTar: string;
  /** Data folder tarball with every migration applied. */
  migratedTar: string;
  /** A data folder right after initdb, to copy where a configuration points (createTestEnvironment). */
  emptyDataDir: string;
}

function templatePaths(dir: string): PGliteTemplates {
  return { dir, emptyTar: path.join(dir, 'empty.tar'), migratedTar: path.join(dir, 'migrated.tar'), emptyDataDir: path.join(dir, 'pgdata') };
}

/**
 * The templates for the current migrations, built when missing. Several
 * processes may build at once: each writes a folder of its own and renames it
 * into place; the first rename wins and the others discard theirs.
 */
export async function ensurePGliteTemplates(): Promise<PGliteTemplates> {
  const final = templatePaths(path.join(TEMPLATES_ROOT, templateKey()));
  if (existsSync(path.join(final.dir, 'complete'))) {
    // In use: another set of migrations (another checkout) building its templates leaves this one alone.
    const now = new Date();
    utimesSync(final.dir, now, now);
    return final;
  }
  mkdirSync(TEMPLATES_ROOT, { recursive: true, mode: 0o700 });
  const staging = templatePaths(`${final.dir}.${process.pid}.${randomBytes(4).toString('hex')}`);
  mkdirSync(staging.dir, { mode: 0o700 });
  try {
    const client = new PGlite();
    await client.waitReady;
    const exec = async (sqlText: string) => ((await client.exec(sqlText)).at(-1)?.rows ?? []) as Array<Record<string, unknown>>;
    const scripts: ScriptRunner = { withSession: (fn) => fn(exec) };
    await client.exec('CHECKPOINT');
    await dropTemplateDatabaseFiles(client);
    const empty = await client.dumpDataDir('none');
    writeFileSync(staging.emptyTar, Buffer.from(await empty.arrayBuffer()));
    await migrateToLatest(scripts);
    await client.exec('CHECKPOINT');
    writeFileSync(staging.migratedTar, Buffer.from(await (await client.dumpDataDir('none')).arrayBuffer()));
    await client.close();
    const folder = new PGlite({ dataDir: staging.emptyDataDir, loadDataDir: empty });
    await folder.waitReady;
    await folder.close();
    writeFileSync(path.join(staging.dir, 'complete'), `${new Date().toISOString()}\n`);
    try {
      renameSync(staging.dir, final.dir);
    } catch (err) {
      if (!existsSync(path.join(final.dir, 'complete'))) throw err;
    }
  } finally {
    rmSync(staging.dir, { recursive: true, force: true });
  }
  removeStaleTemplates(path.basename(final.dir));
  return final;
}

/**
 * Removes the files of template0 and template1 from the in-memory data folder
 * before it is dumped: PGlite only ever opens the `postgres` database, and the
 * two templates were a third of every tarball each test database unpacks
 * (about 14 MB of 42), measured at a fifth of the CPU of opening one. Their
 * rows stay in pg_database; nothing in the tests creates a database.
 */
async function dropTemplateDatabaseFiles(client: PGlite): Promise<void> {
  const { rows } = await client.query<{ oid: number }>(`SELECT oid::int AS oid FROM pg_database WHERE datname IN ('template0', 'template1')`);
  const fs = client.Module.FS;
  const dataDir = client.Module.ENV?.PGDATA ?? '/pglite/data';
  const remove = (p: string): void => {
    if (fs.isDir(fs.stat(p).mode)) {
      for (const name of fs.readdir(p)) if (name !== '.' && name !== '..') remove(`${p}/${name}`);
      fs.rmdir(p);
    } else fs.unlink(p);
  };
  for (const { oid } of rows) {
    const dir = `${dataDir}/base/${oid}`;
    if (fs.analyzePath(dir).exists) remove(dir);
  }
}

/** Templates of other migrations, or staging folders of crashed builds, untouched for a day. */
function removeStaleTemplates(keep: string): void {
  const dayAgo = Date.now() - 24 * 3_600_000;
  for (const name of readdirSync(TEMPLATES_ROOT)) {
    if (name === keep) continue;
    const full = path.join(TEMPLATES_ROOT, name);
    try {
      if (statSync(full).mtimeMs < dayAgo) rmSync(full, { recursive: true, force: true });
    } catch {
      // another process removed it first
    }
  }
}

const blobs = new Map<string, Promise<Blob>>();

/** The template tarball, read once per process. */
function templateBlob(which: 'empty' | 'migrated'): Promise<Blob> {
  let blob = blobs.get(which);
  if (!blob) {
    blob = ensurePGliteTemplates().then((t) => new Blob([readFileSync(which === 'empty' ? t.emptyTar : t.migratedTar)]));
    blob.catch(() => blobs.delete(which));
    blobs.set(which, blob);
  }
  return blob;
}

/**
 * Lays out `<dataDir>/pgdata` as PGlite's initdb would on first open (no
 * migrations applied: opening it through the configuration applies them).
 */
export async function seedPGliteDataDir(dataDir: string): Promise<void> {
  const templates = await ensurePGliteTemplates();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  cpSync(templates.emptyDataDir, path.join(dataDir, 'pgdata'), { recursive: true });
  chmodSync(path.join(dataDir, 'pgdata'), 0o700);
}

/**
 * Vitest global setup: builds the templates once, before the workers start, and the server bundle when the
 * sources changed (scripts/build.mjs, decision 0232), so that every `trustdesk` process a test spawns runs what
 * `npm start` runs, and starts in a second instead of three. A failed bundle is reported and the run goes on:
 * spawned processes then run the sources through tsx.
 */
export async function setup(): Promise<void> {
  await ensurePGliteTemplates();
  await buildServer({ quiet: true }).catch((err: unknown) => console.warn(`server bundle not built, spawned servers run the sources: ${err instanceof Error ? err.message : String(err)}`));
}
