/**
 * `trustdesk keys rotate-kek` and `keys rotate-dek` as an operator runs them:
 * data stays readable, the key file gains a key, old ones can be retired.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { captureIo, createTestEnvironment, silentLogger, type TestEnvironment } from '../app/testing.js';
import { openServices } from '../app/services.js';
import { createCustomer, readCustomer } from '../../helpdesk/customers/customers.service.js';
import { runCli } from './main.js';

describe('trustdesk keys', () => {
  let env: TestEnvironment | undefined;
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
  });

  it('rotates the KEK and the data keys from the command line, keeping every field readable', async () => {
    env = await createTestEnvironment('pglite');
    const orgId = randomUUID();
    const ctx = { orgId, actor: { type: 'system' as const, id: 'test' } };
    let s = await openServices({ config: env.config(), logger: silentLogger, migrate: true });
    await s.database.db.insertInto('organizations').values({ id: orgId, name: 'Org' }).execute();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createCustomer({ db: s.database.db, keyring: s.keyring, audit: s.audit }, ctx, { name: `Person ${i}`, email: `p${i}@example.com` })).id);
    await s.close();

    const keyFile = env.config().keyFilePath;
    const kek = captureIo(env.env);
    expect(await runCli(['keys', 'rotate-kek', '--retire-old'], kek.io)).toBe(0);
    expect(kek.text()).toMatch(/Rewrapped \d+ keys/);
    expect(kek.text()).toMatch(/Removed unused key-encryption keys/);
    expect((JSON.parse(readFileSync(keyFile, 'utf8')) as { keks: unknown[] }).keks).toHaveLength(1);

    const dek = captureIo(env.env);
    expect(await runCli(['keys', 'rotate-dek', '--all', '--batch', '2'], dek.io)).toBe(0);
    expect(dek.text()).toMatch(/done; old versions destroyed/);
    expect(await runCli(['keys', 'rotate-dek'], captureIo(env.env).io)).toBe(2);

    const status = captureIo(env.env);
    expect(await runCli(['keys', 'status'], status.io)).toBe(0);
    expect(status.text()).toMatch(/rotation .*: done/);

    s = await openServices({ config: env.config(), logger: silentLogger, migrate: true });
    try {
      for (const [i, id] of ids.entries()) {
        expect(await readCustomer({ db: s.database.db, keyring: s.keyring, audit: s.audit }, ctx, { customerId: id, purpose: 'check' })).toMatchObject({ name: `Person ${i}` });
      }
    } finally {
      await s.close();
    }
    const verify = captureIo(env.env);
    expect(await runCli(['audit', 'verify'], verify.io)).toBe(0);
    // Nine opens of a data-folder database, as outbox.test.ts: more than the default 30 s on a loaded machine.
  }, 180_000);
});
