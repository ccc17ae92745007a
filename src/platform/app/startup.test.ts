/**
 * Bad input at start: each stops with a clear message and loses nothing.
 */
import { chmodSync, cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/testing.js';
import { captureIo, createTestEnvironment, silentLogger, type TestEnvironment } from './testing.js';
import { openConfiguredDatabase, openServices, StartupError } from './services.js';
import { runCli } from '../cli/main.js';
import { createCustomer, readCustomer } from '../../helpdesk/customers/customers.service.js';
import { randomUUID } from 'node:crypto';

describe.each(testDatabaseKinds)('start-up checks on %s', (kind) => {
  let env: TestEnvironment | undefined;
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
  });

  // PGlite: the first installation is made for real and kept; later tests get a copy of its data folder (database
  // and key file), since migrating and seeding a fresh folder costs seconds. PostgreSQL installs each time.
  let golden: { dir: string; orgId: string; customerId: string } | undefined;
  const goldens: TestEnvironment[] = [];
  afterAll(async () => {
    for (const g of goldens) await g.cleanup();
  });

  /** A started installation with one customer; returns how to read that customer back. */
  async function installed(options: { fresh?: boolean } = {}) {
    env = await createTestEnvironment(kind);
    let orgId: string;
    let id: string;
    if (kind === 'pglite' && golden && !options.fresh) {
      rmSync(env.config().dataDirPath, { recursive: true, force: true });
      cpSync(golden.dir, env.config().dataDirPath, { recursive: true });
      ({ orgId, customerId: id } = golden);
    } else {
      const s = await openServices({ config: env.config(), logger: silentLogger, migrate: true });
      orgId = randomUUID();
      await s.database.db.insertInto('organizations').values({ id: orgId, name: 'Org' }).execute();
      ({ id } = await createCustomer({ db: s.database.db, keyring: s.keyring, audit: s.audit }, { orgId, actor: { type: 'system' as const, id: 'test' } }, { name: 'Kept Safe', email: 'kept@example.com' }));
      await s.close();
      if (kind === 'pglite' && !golden) {
        const keep = await createTestEnvironment(kind);
        goldens.push(keep);
        rmSync(keep.config().dataDirPath, { recursive: true, force: true });
        cpSync(env.config().dataDirPath, keep.config().dataDirPath, { recursive: true });
        golden = { dir: keep.config().dataDirPath, orgId, customerId: id };
      }
    }
    const ctx = { orgId, actor: { type: 'system' as const, id: 'test' } };
    const keyFile = env.config().keyFilePath;
    return {
      keyFile,
      async readBack() {
        const again = await openServices({ config: env!.config(), logger: silentLogger, migrate: true });
        try {
          return await readCustomer({ db: again.database.db, keyring: again.keyring, audit: again.audit }, ctx, { customerId: id, purpose: 'check' });
        } finally {
          await again.close();
        }
      },
    };
  }

  it('creates an owner-only key file on first start', async () => {
    const { keyFile } = await installed({ fresh: true });
    const mode = (await import('node:fs')).statSync(keyFile).mode & 0o777;
    expect(mode).toBe(0o600);
  });

  it('refuses a corrupt key file, and works again once it is restored', async () => {
    const { keyFile, readBack } = await installed();
    const good = readFileSync(keyFile);
    writeFileSync(keyFile, '{"format":"trustdesk-keyfile-v1","keks":[{"id":"x","key":"bm90IGEga2V5"}]}');
    await expect(openServices({ config: env!.config(), logger: silentLogger, migrate: true })).rejects.toThrow(/Key file .* is corrupt/);
    writeFileSync(keyFile, good);
    expect(await readBack()).toMatchObject({ erased: false, name: 'Kept Safe' });
  });

  it('refuses a different key file (wrong KEK) without changing anything', async () => {
    const { keyFile, readBack } = await installed();
    const good = readFileSync(keyFile);
    const doc = JSON.parse(good.toString()) as { keks: Array<{ id: string; key: string }> };
    doc.keks[0]!.key = Buffer.alloc(32, 7).toString('base64');
    writeFileSync(keyFile, JSON.stringify({ ...doc, format: 'trustdesk-keyfile-v1' }));
    chmodSync(keyFile, 0o600);
    const err = await openServices({ config: env!.config(), logger: silentLogger, migrate: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toMatch(/does not open this database's keys/);
    writeFileSync(keyFile, good);
    expect(await readBack()).toMatchObject({ erased: false, name: 'Kept Safe' });
  });

  it('does not create a new key file over an existing encrypted database', async () => {
    const { keyFile } = await installed();
    const { rmSync } = await import('node:fs');
    rmSync(keyFile);
    await expect(openServices({ config: env!.config(), logger: silentLogger, migrate: true })).rejects.toThrow(/restore the key file from your backup/);
  });

  it('refuses a key file others can read', async () => {
    const { keyFile } = await installed();
    chmodSync(keyFile, 0o644);
    await expect(openServices({ config: env!.config(), logger: silentLogger, migrate: true })).rejects.toThrow(/chmod 600/);
  });

  it('stops when the database has a migration this version does not know', async () => {
    await installed();
    const c = env!.config();
    const h = await openConfiguredDatabase(c);
    await sql`INSERT INTO schema_migrations (name, checksum) VALUES ('9999_from_the_future', 'x')`.execute(h.db);
    await h.close();
    const cap = captureIo(env!.env);
    expect(await runCli(['audit', 'checkpoint'], cap.io)).toBe(2);
    expect(cap.text()).toMatch(/9999_from_the_future, which this version of Trustdesk does not know/);
  });

  it('one-shot commands refuse to run on a database with pending migrations', async () => {
    env = await createTestEnvironment(kind);
    const cap = captureIo(env.env);
    expect(await runCli(['audit', 'checkpoint'], cap.io)).toBe(2);
    expect(cap.text()).toMatch(/missing migrations 0001_foundation/);
    const migrate = captureIo(env.env);
    expect(await runCli(['db', 'migrate'], migrate.io)).toBe(0);
    expect(migrate.text()).toContain('Applied: 0001_foundation');
  });
});

describe('unreachable PostgreSQL', () => {
  it('stops with a message naming the server, without the password', async () => {
    const cap = captureIo({ DATABASE_URL: 'postgres://trustdesk:hunter2@127.0.0.1:1/nowhere', TRUSTDESK_LOG_LEVEL: 'silent' });
    expect(await runCli(['audit', 'checkpoint'], cap.io)).toBe(2);
    expect(cap.text()).toMatch(/Cannot open the database \(postgres:\/\/trustdesk:\*\*\*@127\.0\.0\.1:1\/nowhere\)/);
    expect(cap.text()).not.toContain('hunter2');
  });
});

describe('configuration errors', () => {
  it('name the setting and the reason', async () => {
    const cap = captureIo({ TRUSTDESK_PORT: '99999', TRUSTDESK_KEY_PROVIDER: 'vault' });
    expect(await runCli(['config', 'check'], cap.io)).toBe(2);
    expect(cap.text()).toContain('TRUSTDESK_PORT: must be between 0 and 65535, got 99999');
    expect(cap.text()).toContain('TRUSTDESK_KEY_PROVIDER: must be one of file, env, got "vault"');
  });
});
