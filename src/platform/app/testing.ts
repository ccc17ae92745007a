/**
 * Test factories for whole services. `createTestServices` is fast (in-memory
 * PGlite or a fresh PostgreSQL schema, a throwaway KEK); `createTestEnvironment`
 * lays out a real data folder or schema that the CLI can open through its
 * configuration, as an operator's would.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig, type Config } from '../config/config.js';
import { EnvKeyProvider } from '../../protection/crypto/key-provider.js';
import type { DatabaseKind } from '../db/database.js';
import { quoteIdent } from '../db/database.js';
import { createTestDatabase, seedPGliteDataDir, TEST_DATABASE_URL } from '../db/testing.js';
import { createLogger } from '../logging.js';
import { MemoryMailer, type Mailer } from '../notify/mailer.js';
import { openServices, type Services } from './services.js';

export const silentLogger = createLogger({ level: 'silent' });

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

export interface TestEnvironment {
  env: NodeJS.ProcessEnv;
  dir: string;
  config(): Config;
  cleanup(): Promise<void>;
}

/**
 * A data folder (and a PostgreSQL schema for that kind) addressed only through
 * configuration. On PGlite the folder holds a database as initdb leaves it,
 * copied from a template (src/platform/db/testing.ts): the first open through
 * the configuration still applies every migration.
 */
export async function createTestEnvironment(kind: DatabaseKind): Promise<TestEnvironment> {
  const dir = mkdtempSync(path.join(tmpdir(), 'trustdesk-test-'));
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
    url.searchParams.set('options', `-c search_path=${schema}`);
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
