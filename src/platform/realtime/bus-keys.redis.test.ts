/**
 * Destroyed data keys and a Redis outage (decision 0228), with a private redis-server (never the shared one):
 * an erasure on another instance while Redis is down cannot be heard, so the app uses no cached data key until
 * the bus is back, and then drops every cached key. "Another instance's erasure" is the database change it makes
 * (the wrapped key gone) with no event on the bus. Skipped when redis-server is not installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../e2e/instances.js';
import type { Services } from '../app/services.js';
import { createTestServices, testConfig, testSchemaCache } from '../app/testing.js';
import { KeyDestroyedError } from '../errors.js';
import { buildApp } from '../http/app.js';

const hasRedis = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;

const until = async (what: string, ok: () => boolean, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe.skipIf(!hasRedis)('cached data keys through a Redis outage', () => {
  let port: number;
  let redis: ChildProcess | null = null;
  let services: Services;
  let app: FastifyInstance;

  const startRedis = async () => {
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => (s.end(), resolve(true)));
        s.on('error', () => resolve(false));
      });
      if (up) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('redis-server did not start');
  };
  const stopRedis = async () => {
    const r = redis;
    redis = null;
    if (!r) return;
    await new Promise((resolve) => {
      r.once('exit', resolve);
      r.kill('SIGKILL');
    });
  };

  beforeAll(async () => {
    port = await freePort();
    await startRedis();
    services = await createTestServices('pglite');
    app = await buildApp({ services: { ...services, config: testConfig({ REDIS_URL: `redis://127.0.0.1:${port}` }) }, routes: [], schemaCache: testSchemaCache });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await services?.close();
    await stopRedis();
  });

  /** What an erasure on another instance leaves in the database: the key destroyed, and nothing said on the bus. */
  const destroyElsewhere = (keyId: string) =>
    services.database.db.transaction().execute(async (trx) => {
      await trx.updateTable('data_keys').set({ destroyed_at: new Date() }).where('id', '=', keyId).execute();
      await trx.updateTable('data_key_versions').set({ wrapped: null, retired_at: new Date() }).where('key_id', '=', keyId).execute();
    });

  it('forgets every cached key when the bus is back, and uses none while it is down', async () => {
    const keyring = services.keyring;
    const first = await keyring.currentKey({ type: 'customer', id: crypto.randomUUID() });
    await keyring.key(first.id, 1);
    expect(app.bus.healthy).toBe(true);

    // A key destroyed elsewhere while Redis is away, and not read meanwhile: not served from the cache afterwards.
    await stopRedis();
    await until('the bus to notice', () => !app.bus.healthy);
    await destroyElsewhere(first.id);
    await startRedis();
    await until('the bus to reconnect', () => app.bus.healthy, 20_000);
    await expect(keyring.key(first.id, 1)).rejects.toBeInstanceOf(KeyDestroyedError);

    // With the bus healthy, keys are cached (a destruction nobody announced is not seen: that is the bus's job).
    const second = await keyring.currentKey({ type: 'customer', id: crypto.randomUUID() });
    await keyring.key(second.id, 1);
    const third = await keyring.currentKey({ type: 'customer', id: crypto.randomUUID() });
    await keyring.key(third.id, 1);
    await destroyElsewhere(third.id);
    await expect(keyring.key(third.id, 1)).resolves.toMatchObject({ id: third.id });

    // While the bus is down, a read finds the key as the database has it.
    await stopRedis();
    await until('the bus to notice again', () => !app.bus.healthy);
    await destroyElsewhere(second.id);
    await expect(keyring.key(second.id, 1)).rejects.toBeInstanceOf(KeyDestroyedError);
  }, 60_000);
});
