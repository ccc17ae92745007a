/**
 * `trustdesk backup create|restore` (decision 0219), on PGlite and PostgreSQL: a backup taken before an erasure is
 * restored into an empty target; the erased customer stays erased (the ledger is replayed), the other reads back,
 * the files come back, and `trustdesk audit verify` passes. The archive holds neither the key-encryption key nor
 * readable customer data; a cut-short, altered or foreign archive is refused before anything is written.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { captureIo, createTestEnvironment, randomKekSpec, silentLogger, type TestEnvironment } from '../app/testing.js';
import { openServices } from '../app/services.js';
import { testDatabaseKinds, TEST_DATABASE_URL } from '../db/testing.js';
import { buildOrg } from '../../identity/auth/testing.js';
import { createCustomer, findCustomerIdsByEmail, readCustomer } from '../../helpdesk/customers/customers.service.js';
import { LocalBlobStore } from '../../protection/blobs/store.js';
import '../../helpdesk/privacy/schema.js';
import { runCli } from './main.js';

async function cli(env: TestEnvironment, args: string[]) {
  const cap = captureIo(env.env);
  const code = await runCli(args, cap.io);
  return { code, text: cap.text() };
}

/** Loses the database and the files, keeps the key file and the ledger (they live apart from the data). */
async function disaster(env: TestEnvironment): Promise<void> {
  const c = env.config();
  rmSync(path.join(c.dataDirPath, 'pgdata'), { recursive: true, force: true });
  rmSync(c.blobDirPath, { recursive: true, force: true });
  if (c.databaseUrl) {
    const schema = new URL(c.databaseUrl).searchParams.get('options')!.match(/search_path=(\S+)/)![1]!;
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA ${pg.escapeIdentifier(schema)} CASCADE`);
    await client.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
    await client.end();
  }
}

describe.each(testDatabaseKinds)('trustdesk backup on %s', (kind) => {
  const envs: TestEnvironment[] = [];
  afterEach(async () => {
    for (const e of envs.splice(0)) await e.cleanup();
  });

  it('restores a backup taken before an erasure without the erased customer, and refuses damaged or foreign archives', async () => {
    const env = await createTestEnvironment(kind);
    envs.push(env);
    const c = env.config();
    let s = await openServices({ config: c, logger: silentLogger, migrate: true });
    const org = await buildOrg(s, 'Backup Org');
    const deps = { db: s.database.db, keyring: s.keyring, audit: s.audit };
    const ctx = { orgId: org.orgId, actor: { type: 'system' as const } };
    const gone = await createCustomer(deps, ctx, { name: 'Wilhelmina Gonequietly', email: 'wilhelmina@customer.example' });
    const kept = await createCustomer(deps, ctx, { name: 'Kasimir Keptsafe', email: 'kasimir@customer.example' });
    const blob = randomBytes(3000);
    const blobKey = await new LocalBlobStore(c.blobDirPath).put(blob);
    await s.close();

    const archive = path.join(env.dir, 'before.tdbak');
    const made = await cli(env, ['backup', 'create', '--out', archive]);
    expect(made.code, made.text).toBe(0);
    expect(made.text).toMatch(/Backup written: .*before\.tdbak/);
    const bytes = readFileSync(archive);
    const keyFile = readFileSync(c.keyFilePath, 'utf8');
    for (const secret of (JSON.parse(keyFile) as { keks: Array<{ key: string }> }).keks.map((k) => k.key)) {
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
      expect(bytes.includes(Buffer.from(secret, 'base64'))).toBe(false);
    }
    expect(bytes.includes(Buffer.from('Backup Org'))).toBe(false);
    expect(bytes.includes(blob.subarray(0, 64))).toBe(false);

    // After the backup: the customer is erased (the ledger beside the key file gets the line).
    const erased = await cli(env, ['customers', 'erase', gone.id, '--org', org.orgId, '--yes']);
    expect(erased.code, erased.text).toBe(0);
    const ledger = path.join(path.dirname(c.keyFilePath), 'erasure-ledger.jsonl');
    expect(readFileSync(ledger, 'utf8')).toContain(gone.id);

    // A target that is not empty is refused.
    const busy = await cli(env, ['backup', 'restore', archive]);
    expect(busy.code).toBe(1);
    expect(busy.text).toMatch(/already holds a database|is not empty/);

    await disaster(env);
    const restored = await cli(env, ['backup', 'restore', archive]);
    expect(restored.code, restored.text).toBe(0);
    expect(restored.text).toMatch(/1 customers erased again/);
    const verify = await cli(env, ['audit', 'verify']);
    expect(verify.code, verify.text).toBe(0);

    s = await openServices({ config: c, logger: silentLogger, migrate: false });
    try {
      const d = { db: s.database.db, keyring: s.keyring, audit: s.audit };
      expect(await readCustomer(d, ctx, { customerId: gone.id, purpose: 'test' })).toEqual({ id: gone.id, erased: true });
      expect(await findCustomerIdsByEmail(d, ctx, 'wilhelmina@customer.example')).toEqual([]);
      expect(await findCustomerIdsByEmail(d, ctx, 'kasimir@customer.example')).toEqual([kept.id]);
      expect(await readCustomer(d, ctx, { customerId: kept.id, purpose: 'test' })).toMatchObject({ name: 'Kasimir Keptsafe', email: 'kasimir@customer.example' });
      const keys = await s.database.db.selectFrom('data_keys').where('owner_id', '=', gone.id).select(['destroyed_at']).execute();
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.every((k) => k.destroyed_at !== null)).toBe(true);
      const restoreEntry = await s.database.db.selectFrom('audit_log').where('action', '=', 'backup.restore').select('details').executeTakeFirstOrThrow();
      expect(restoreEntry.details).toMatchObject({ erasedAgain: 1 });
    } finally {
      await s.close();
    }
    expect(Buffer.from(await new LocalBlobStore(c.blobDirPath).get(blobKey)).equals(blob)).toBe(true);

    // Damaged archives: refused with the reason, and nothing is written into the empty target.
    await disaster(env);
    const cut = path.join(env.dir, 'cut.tdbak');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(bytes.length / 2)]! ^= 0x01;
    const altered = path.join(env.dir, 'altered.tdbak');
    writeFileSync(altered, flipped);
    const header = Buffer.from(bytes);
    const at = header.indexOf('"database":"');
    header.write('"database":"x', at); // an edited header: every block's associated data changes
    const edited = path.join(env.dir, 'edited.tdbak');
    writeFileSync(edited, header);
    for (const [file, reason] of [[cut, /cut short/], [altered, /damaged or was altered|impossible length/], [edited, /damaged or was altered|does not open/]] as const) {
      const r = await cli(env, ['backup', 'restore', file]);
      expect(r.code, `${file}: ${r.text}`).toBe(1);
      expect(r.text).toMatch(reason);
      expect(existsSync(path.join(c.dataDirPath, 'pgdata')) ? readdirSync(path.join(c.dataDirPath, 'pgdata')) : []).toEqual([]);
      expect(existsSync(c.blobDirPath)).toBe(false);
    }

    // Another installation (another key-encryption key) cannot open it.
    const foreign = await createTestEnvironment(kind);
    envs.push(foreign);
    foreign.env.TRUSTDESK_KEY_PROVIDER = 'env';
    foreign.env.TRUSTDESK_KEK = randomKekSpec('kek-elsewhere');
    await disaster(foreign);
    cpSync(archive, path.join(foreign.dir, 'theirs.tdbak'));
    const r = await cli(foreign, ['backup', 'restore', path.join(foreign.dir, 'theirs.tdbak')]);
    expect(r.code, r.text).toBe(1);
    expect(r.text).toMatch(/another installation/);
  }, 120_000);
});
