/**
 * Test factories for whole services. `createTestServices` is fast (in-memory
 * PGlite or a fresh PostgreSQL schema, a throwaway KEK); `createTestEnvironment`
 * lays out a real data folder or schema that the CLI can open through its
 * configuration, as an operator's would.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig, type Config } from '../config/config.js';
import { EnvKeyProvider } from '../../protection/crypto/key-provider.js';
import type { DatabaseKind } from '../db/database.js';
import { quoteIdent } from '../db/database.js';
import { createTestDatabase, seedPGliteDataDir, TEST_DATABASE_URL } from '../db/testing.js';
import { createSchemaCompileCache } from '../http/schema-cache.js';
import { createLogger } from '../logging.js';
import { MemoryMailer, type Mailer } from '../notify/mailer.js';
import { openServices, type Services } from './services.js';

export const silentLogger = createLogger({ level: 'silent' });

/**
 * The compiled validators and serializers every test app in this process shares: pass it to
 * `buildApp` as `schemaCache`. A test process builds an app per test file and database, and
 * compiling every route's schemas was most of each build's second of CPU (decision 0187).
 */
export const testSchemaCache = createSchemaCompileCache();

export function testConfig(overrides: NodeJS.ProcessEnv = {}): Config {
  return loadConfig({ env: { TRUSTDESK_DATA_DIR: path.join(tmpdir(), 'trustdesk-unused'), TRUSTDESK_LOG_LEVEL: 'silent', ...overrides } });
}

export function randomKekSpec(id = 'test-kek'): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

export async function createTestServices(kind: DatabaseKind, options: { sequencer?: boolean; config?: NodeJS.ProcessEnv; mailer?: Mailer } = {}): Promise<Services> {
  const database = await createTestDatabase(kind);
  return openServices({
    config: testConfig(options.config),
    logger: silentLogger,
    migrate: false,
    database,
    provider: new EnvKeyProvider(randomKekSpec()),
    sequencer: options.sequencer ?? false,
    mailer: options.mailer ?? new MemoryMailer(),
  });
}

/** Free space a scratch folder in memory must have for a few test data folders (each about 40 MB) at once. */
const MEMORY_SCRATCH_MIN_FREE = 1024 ** 3;

/**
 * Where test data folders go: Linux's in-memory /dev/shm when it is writable
 * and roomy, else the system's temporary folder. A data folder starts as a
 * copy of a 38 MB, 1,300-file template and PGlite creates and removes a file
 * per table and index; on a disk the copy, the migrations and the removal
 * cost seconds per folder, in memory a tenth of that (decision 0185). A
 * container's small /dev/shm (64 MB by default) is passed over.
 */
export const scratchRoot: string = (() => {
  try {
    accessSync('/dev/shm', constants.W_OK);
    const fs = statfsSync('/dev/shm');
    if (fs.bavail * fs.bsize >= MEMORY_SCRATCH_MIN_FREE) return '/dev/shm';
  } catch {
    // not Linux, or no /dev/shm
  }
  return tmpdir();
})();

export interface TestEnvironment {
  env: NodeJS.ProcessEnv;
  dir: string;
  config(): Config;
  cleanup(): Promise<void>;
}

/**
 * A data folder (in `scratchRoot`; and a PostgreSQL schema for that kind) addressed only through
 * configuration. On PGlite the folder holds a database as initdb leaves it,
 * copied from a template (src/platform/db/testing.ts): the first open through
 * the configuration still applies every migration.
 */
export async function createTestEnvironment(kind: DatabaseKind): Promise<TestEnvironment> {
  const dir = mkdtempSync(path.join(scratchRoot, 'trustdesk-test-'));
  const env: NodeJS.ProcessEnv = { TRUSTDESK_DATA_DIR: path.join(dir, 'data'), TRUSTDESK_LOG_LEVEL: 'silent' };
  let schema: string | undefined;
  if (kind === 'pglite') await seedPGliteDataDir(path.join(dir, 'data'));
  if (kind === 'postgres') {
    if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set');
    schema = `t_${randomBytes(6).toString('hex')}`;
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await c.connect();
    await c.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    await c.end();
    const url = new URL(TEST_DATABASE_URL);
    // Thrown away afterwards: commits need not wait for the disk (as createTestDatabase's schemas).
    url.searchParams.set('options', `-c search_path=${schema} -c synchronous_commit=off`);
    env.DATABASE_URL = url.toString();
  }
  return {
    env,
    dir,
    config: () => loadConfig({ env }),
    async cleanup() {
      if (schema) {
        const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await c.connect();
        await c.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
        await c.end();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Captures CLI output for assertions. */
export function captureIo(env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env }, out, err, text: () => [...out, ...err].join('\n') };
}
