/**
 * The sequencer's advisory lock on a shared PostgreSQL database: another
 * installation (schema) holding it never leaves this one's entries unsequenced,
 * and an explicit flush waits for this installation's other instance instead of
 * returning with entries still pending.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestEnvironment, silentLogger, type TestEnvironment } from '../../platform/app/testing.js';
import { openConfiguredDatabase, openServices } from '../../platform/app/services.js';
import { workerLock } from '../../platform/db/locks.js';
import { TEST_DATABASE_URL } from '../../platform/db/testing.js';
import { SEQUENCER_LOCK } from './audit-log.js';

/** Holds the sequencer lock in `env`'s schema until the returned function is called. */
async function holdLock(env: TestEnvironment): Promise<() => Promise<void>> {
  const handle = await openConfiguredDatabase(env.config());
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const done = handle.db.transaction().execute(async (trx) => {
    await workerLock(trx, SEQUENCER_LOCK, true);
    locked();
    await released;
  });
  await isLocked;
  return async () => {
    release();
    await done;
    await handle.close();
  };
}

describe.skipIf(!TEST_DATABASE_URL)('the audit sequencer lock on PostgreSQL', () => {
  const envs: TestEnvironment[] = [];
  afterEach(async () => {
    for (const e of envs.splice(0)) await e.cleanup();
  });

  async function environment(): Promise<TestEnvironment> {
    const e = await createTestEnvironment('postgres');
    envs.push(e);
    const services = await openServices({ config: e.config(), logger: silentLogger, migrate: true });
    await services.close();
    return e;
  }

  it("is not shared with another schema's sequencer", async () => {
    const other = await environment();
    const mine = await environment();
    const release = await holdLock(other);
    try {
      const services = await openServices({ config: mine.config(), logger: silentLogger, migrate: false });
      try {
        for (let i = 0; i < 3; i++) await services.audit.record({ actor: { type: 'user', id: `a${i}` }, action: 'ticket.read', object: { type: 'ticket', id: `t${i}` }, result: 'success' });
        await services.audit.flush();
        expect((await services.audit.latestCheckpoint())?.treeSize).toBe(3);
      } finally {
        await services.close();
      }
    } finally {
      await release();
    }
  });

  it("makes a flush wait for the installation's other instance, then sequence what is pending", async () => {
    const mine = await environment();
    const services = await openServices({ config: mine.config(), logger: silentLogger, migrate: false });
    try {
      const release = await holdLock(mine);
      await services.audit.record({ actor: { type: 'user', id: 'a' }, action: 'ticket.read', object: { type: 'ticket', id: 't' }, result: 'success' });
      let settled = false;
      const flushed = services.audit.flush().finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(settled).toBe(false);
      await release();
      expect(await flushed).toBe(1);
      expect((await services.audit.latestCheckpoint())?.treeSize).toBe(1);
    } finally {
      await services.close();
    }
  });
});
