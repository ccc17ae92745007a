/**
 * A Redis outage under the chat bus, with a private redis-server (never the
 * shared one), killed and started again: while it is down the bus reports
 * itself unhealthy (what /readyz shows as `degraded`) and keeps delivering to
 * its own instance's handlers; when Redis is back it is healthy again, the
 * other instance is told to resynchronise from the database, and events cross
 * between instances again. Skipped when redis-server is not installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../app/testing.js';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createTestDatabase } from '../db/testing.js';
import { announce, busNamespace, RedisBus, type BusEvent } from './bus.js';
import { freePort } from '../../../e2e/instances.js';

const hasRedis = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;


const until = async (what: string, ok: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe.skipIf(!hasRedis)('the chat bus through a Redis outage', () => {
  let port: number;
  let redis: ChildProcess | null = null;
  const buses: RedisBus[] = [];

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
  });
  afterAll(async () => {
    for (const b of buses) await b.close().catch(() => undefined);
    await stopRedis();
  });

  it('delivers locally while Redis is down, says so, and crosses instances again once it is back', async () => {
    const url = `redis://127.0.0.1:${port}`;
    const a = new RedisBus(url, 'outage-test', silentLogger);
    const b = new RedisBus(url, 'outage-test', silentLogger);
    buses.push(a, b);
    await a.connect();
    await b.connect();
    const seenA: BusEvent[] = [];
    const seenB: BusEvent[] = [];
    let resyncsB = 0;
    a.subscribe((e) => seenA.push(e));
    b.subscribe((e) => seenB.push(e), () => resyncsB++);
    const event = (seq: number): BusEvent => ({ k: 'chat-seq', orgId: '0b1e2d3c-4a5b-4c6d-8e7f-9a0b1c2d3e4f', conversationId: '1b1e2d3c-4a5b-4c6d-8e7f-9a0b1c2d3e4f', ticketId: null, seq });

    a.publish(event(1));
    await until('B to hear A', () => seenB.length === 1);
    expect(seenA.map((e) => (e as { seq: number }).seq)).toEqual([1]);
    expect(a.healthy && b.healthy).toBe(true);

    await stopRedis();
    await until('the buses to notice', () => !a.healthy && !b.healthy);
    // Still delivered on its own instance; the other cannot hear it (and will resynchronise from the database).
    a.publish(event(2));
    expect(seenA.map((e) => (e as { seq: number }).seq)).toEqual([1, 2]);
    expect(seenB).toHaveLength(1);

    await startRedis();
    await until('the buses to reconnect', () => a.healthy && b.healthy, 15_000);
    await until('B to be told to resynchronise', () => resyncsB >= 1);
    a.publish(event(3));
    await until('B to hear A again', () => seenB.length === 2);
    expect((seenB[1] as { seq: number }).seq).toBe(3);
  }, 40_000);

  it('carries a CLI command\'s announcement of destroyed keys to the running instances, a long list in parts', async () => {
    const database = await createTestDatabase('pglite');
    try {
      const db = database.db as Kysely<unknown>;
      const url = `redis://127.0.0.1:${port}`;
      const server = new RedisBus(url, await busNamespace(db), silentLogger);
      buses.push(server);
      await server.connect();
      const heard: string[] = [];
      server.subscribe((e) => {
        if (e.k === 'keys-destroyed') heard.push(...e.keyIds);
      });
      const keyIds = Array.from({ length: 1_200 }, () => randomUUID());
      expect(await announce({ redisUrl: url, db }, { k: 'keys-destroyed', orgId: randomUUID(), keyIds })).toBe(true);
      await until('every key id to be heard', () => heard.length === keyIds.length);
      expect(heard).toEqual(keyIds);
      // Without Redis there is nobody to tell; an unreachable one is reported, not thrown.
      expect(await announce({ db }, { k: 'keys-destroyed', orgId: randomUUID(), keyIds })).toBe(false);
      expect(await announce({ redisUrl: `redis://127.0.0.1:${await freePort()}`, db }, { k: 'keys-destroyed', orgId: randomUUID(), keyIds })).toBe(false);
    } finally {
      await database.close();
    }
  }, 30_000);
});
