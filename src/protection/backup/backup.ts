/**
 * `trustdesk backup create|restore` (decision 0219): one encrypted archive (archive.ts) of the database — PGlite's
 * data folder as a tar, or `pg_dump` of the installation's schema on PostgreSQL — and the files beside it (the
 * attachment blobs, the sealed outbox). The key file, the erasure ledger and the configuration are never in it.
 *
 * A restore reads the whole archive once to authenticate every block before it writes anything, refuses a target
 * that is not empty, then writes the database and the files. The caller (the CLI) then opens the installation and
 * replays the erasure ledger (helpdesk/privacy/ledger-replay.ts).
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, openAsBlob, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Config } from '../../platform/config/config.js';
import type { DatabaseHandle } from '../../platform/db/database.js';
import type { KeyProvider } from '../crypto/key-provider.js';
import { ArchiveError, ArchiveWriter, readArchive, readArchiveHeader, type ArchiveHeader } from './archive.js';

export { ArchiveError } from './archive.js';

export interface BackupManifest {
  database: 'pglite' | 'postgres';
  /** The last migration applied: a restore by an older Trustdesk refuses, a newer one migrates. */
  lastMigration: string | null;
  /** PostgreSQL: the schema dumped (restored under the same name). */
  schema?: string;
  /** The audit trail's verifier key: which installation the archive is from. */
  installation: string;
}

export interface Progress {
  phase: 'database' | 'files' | 'checking' | 'restoring';
  bytes: number;
  /** Total bytes when known. */
  total?: number;
}

const DB_PGLITE = 'database/pglite.tar';
const DB_POSTGRES = 'database/postgres.dump';

function* walk(dir: string, rel = ''): Generator<{ rel: string; full: string; size: number }> {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    const r = rel ? `${rel}/${name}` : name;
    const st = statSync(full);
    if (st.isDirectory()) yield* walk(full, r);
    else if (st.isFile()) yield { rel: r, full, size: st.size };
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('error', (e) => reject(new ArchiveError(`${cmd} could not be started (${e.message}); install the PostgreSQL client tools.`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new ArchiveError(`${cmd} failed (exit ${code}): ${err.trim()}`))));
  });
}

/** libpq's URL without our search_path option (pg_dump and pg_restore take the schema as an argument). */
function libpqUrl(url: string): string {
  const u = new URL(url);
  u.searchParams.delete('options');
  return u.toString();
}

async function pgSchemaOf(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ s: string | null; p: string }>(`SELECT current_schema() AS s, current_setting('search_path') AS p`);
    const s = r.rows[0]?.s ?? r.rows[0]?.p.split(',')[0]?.trim().replace(/^"|"$/g, '');
    if (!s) throw new ArchiveError('Could not tell which PostgreSQL schema Trustdesk uses.');
    return s;
  } finally {
    await c.end();
  }
}

export async function createBackup(opts: { config: Config; database: DatabaseHandle; provider: KeyProvider; installation: string; out: string; onProgress?: (p: Progress) => void }): Promise<{ file: string; bytes: number; files: number; manifest: BackupManifest }> {
  const { config, database } = opts;
  const last = await database.db.selectFrom('schema_migrations' as never).select('name' as never).orderBy('name' as never, 'desc').limit(1).executeTakeFirst() as { name: string } | undefined;
  const manifest: BackupManifest = { database: database.kind, lastMigration: last?.name ?? null, installation: opts.installation };
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'trustdesk-backup-'));
  const partial = `${opts.out}.partial`;
  let writer: ArchiveWriter | undefined;
  try {
    let dumpFile: string | undefined;
    if (database.kind === 'postgres') {
      if (!config.databaseUrl) throw new ArchiveError('DATABASE_URL is not set.');
      manifest.schema = await pgSchemaOf(config.databaseUrl);
      dumpFile = path.join(scratch, 'db.dump');
      opts.onProgress?.({ phase: 'database', bytes: 0 });
      await run('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--schema=${manifest.schema}`, `--file=${dumpFile}`, libpqUrl(config.databaseUrl)]);
    }
    writer = await ArchiveWriter.create(partial, opts.provider, manifest as unknown as Record<string, unknown>);
    const w = writer;
    if (dumpFile) {
      await w.add(DB_POSTGRES, statSync(dumpFile).size, createReadStream(dumpFile));
    } else {
      if (!database.dumpDataDir) throw new ArchiveError('This database cannot be dumped.');
      const blob = await database.dumpDataDir();
      await w.add(DB_PGLITE, blob.size, blob.stream() as unknown as AsyncIterable<Buffer>);
    }
    opts.onProgress?.({ phase: 'database', bytes: w.bytes });
    const files = [...walk(config.blobDirPath)].map((f) => ({ ...f, name: `blobs/${f.rel}` })).concat([...walk(path.join(config.dataDirPath, 'outbox'))].map((f) => ({ ...f, name: `outbox/${f.rel}` })));
    const total = w.bytes + files.reduce((n, f) => n + f.size, 0);
    for (const f of files) {
      await w.add(f.name, f.size, createReadStream(f.full));
      opts.onProgress?.({ phase: 'files', bytes: w.bytes, total });
    }
    await w.finish();
    renameSync(partial, opts.out);
    return { file: opts.out, bytes: w.bytes, files: files.length, manifest };
  } catch (err) {
    await writer?.abort();
    rmSync(partial, { force: true });
    throw err;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Reads and authenticates the whole archive; nothing is written. */
export async function checkBackup(file: string, provider: KeyProvider, onProgress?: (p: Progress) => void): Promise<{ header: ArchiveHeader; manifest: BackupManifest; entries: number; bytes: number }> {
  const { header } = await readArchiveHeader(file);
  const total = statSync(file).size;
  let read = 0;
  let entries = 0;
  let bytes = 0;
  let sawDatabase = false;
  for await (const e of readArchive(file, provider, (n) => {
    read += n;
    onProgress?.({ phase: 'checking', bytes: read, total });
  })) {
    entries++;
    if (e.name === DB_PGLITE || e.name === DB_POSTGRES) sawDatabase = true;
    for await (const piece of e.data) bytes += piece.length;
  }
  if (!sawDatabase) throw new ArchiveError('The archive holds no database.');
  return { header, manifest: header.manifest as unknown as BackupManifest, entries, bytes };
}

const isEmptyDir = (dir: string) => !existsSync(dir) || readdirSync(dir).length === 0;

/** Where an archived file goes; refuses names that would leave the folder. */
function target(config: Config, name: string): string {
  const [top, ...rest] = name.split('/');
  const base = top === 'blobs' ? config.blobDirPath : top === 'outbox' ? path.join(config.dataDirPath, 'outbox') : null;
  const rel = rest.join('/');
  const full = base ? path.resolve(base, rel) : '';
  if (!base || !rel || rest.some((p) => p === '..' || p === '') || !full.startsWith(base + path.sep)) throw new ArchiveError(`The archive names a file outside the data folder (${name.slice(0, 100)}).`);
  return full;
}

/**
 * Restores into an empty target: the PGlite data folder (or the PostgreSQL schema) and the file folders must hold
 * nothing. Authenticates the whole archive first.
 */
export async function restoreBackup(opts: { config: Config; provider: KeyProvider; file: string; onProgress?: (p: Progress) => void }): Promise<{ manifest: BackupManifest; createdAt: string; files: number }> {
  const { config } = opts;
  const checked = await checkBackup(opts.file, opts.provider, opts.onProgress);
  const manifest = checked.manifest;
  const kind = config.databaseUrl ? 'postgres' : 'pglite';
  if (manifest.database !== kind) {
    throw new ArchiveError(manifest.database === 'pglite' ? 'This backup is of the embedded database: restore it without DATABASE_URL.' : 'This backup is of a PostgreSQL database: set DATABASE_URL to an empty database to restore it.');
  }
  const pgdata = path.join(config.dataDirPath, 'pgdata');
  if (kind === 'pglite' && !isEmptyDir(pgdata)) throw new ArchiveError(`${pgdata} already holds a database: restore into an empty data folder.`);
  if (!isEmptyDir(config.blobDirPath)) throw new ArchiveError(`${config.blobDirPath} is not empty: restore into an empty data folder.`);
  if (!isEmptyDir(path.join(config.dataDirPath, 'outbox'))) throw new ArchiveError(`${path.join(config.dataDirPath, 'outbox')} is not empty: restore into an empty data folder.`);
  if (kind === 'postgres') await emptySchemaFor(config.databaseUrl!, manifest.schema ?? 'public');

  const scratch = mkdtempSync(path.join(os.tmpdir(), 'trustdesk-restore-'));
  let files = 0;
  let written = 0;
  try {
    for await (const e of readArchive(opts.file, opts.provider)) {
      const isDb = e.name === DB_PGLITE || e.name === DB_POSTGRES;
      const dest = isDb ? path.join(scratch, 'db') : target(config, e.name);
      mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
      const out = createWriteStream(dest, { mode: 0o600 });
      for await (const piece of e.data) {
        if (!out.write(piece)) await once(out, 'drain');
        written += piece.length;
        opts.onProgress?.({ phase: 'restoring', bytes: written, total: checked.bytes });
      }
      out.end();
      await once(out, 'finish');
      if (!isDb) {
        files++;
        continue;
      }
      if (e.name === DB_PGLITE) {
        mkdirSync(pgdata, { recursive: true, mode: 0o700 });
        const db = new PGlite({ dataDir: pgdata, loadDataDir: await openAsBlob(dest) });
        await db.waitReady;
        await db.close();
      } else {
        await run('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', `--dbname=${libpqUrl(config.databaseUrl!)}`, dest]);
      }
      rmSync(dest, { force: true });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { manifest, createdAt: checked.header.createdAt, files };
}

/** The schema must hold no table; an empty one is dropped so the dump can create it as it was. */
async function emptySchemaFor(url: string, schema: string): Promise<void> {
  const configured = await pgSchemaOf(url).catch(() => null);
  if (configured && configured !== schema) throw new ArchiveError(`This backup is of schema "${schema}", but DATABASE_URL names "${configured}": restore into a database or schema named as the original.`);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1', [schema]);
    if ((r.rows[0]?.n ?? 0) > 0) throw new ArchiveError(`Schema "${schema}" is not empty: restore into an empty database.`);
    await c.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)}`);
  } finally {
    await c.end();
  }
}
