import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { isDatabaseUnavailable, openDatabase } from './database.js';
import { TEST_DATABASE_URL } from './testing.js';

describe('isDatabaseUnavailable', () => {
  it('recognises a server going away, however it is reported', () => {
    const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });
    expect(isDatabaseUnavailable(pgError('57P01', 'terminating connection due to administrator command'))).toBe(true);
    expect(isDatabaseUnavailable(pgError('57P03', 'the database system is starting up'))).toBe(true);
    expect(isDatabaseUnavailable(pgError('08006'))).toBe(true);
    expect(isDatabaseUnavailable(pgError('ECONNREFUSED'))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([pgError('ECONNREFUSED'), pgError('ECONNREFUSED')], 'connect failed'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDatabaseUnavailable(new AppError('audit_unavailable', 'not recorded', { cause: pgError('57P01') }))).toBe(true);
  });

  it('leaves real query errors alone', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('syntax error'), { code: '42601' }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
    const loop: { cause?: unknown } & Error = new Error('loop');
    loop.cause = loop;
    expect(isDatabaseUnavailable(loop)).toBe(false);
  });
});

describe('PGlite', () => {
  it('is unaffected: queries run and a bad query is not mistaken for an outage', async () => {
    const h = await openDatabase({});
    try {
      expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(h.db)).rows[0]?.one).toBe(1);
      const err = await sql`SELEC 1`.execute(h.db).catch((e: unknown) => e);
      expect(isDatabaseUnavailable(err)).toBe(false);
    } finally {
      await h.close();
    }
  });
});

describe.skipIf(!TEST_DATABASE_URL)('PostgreSQL pool', () => {
  it('survives its connections being terminated, idle or checked out, and reconnects by itself', async () => {
    const lost: Error[] = [];
    const h = await openDatabase({ url: TEST_DATABASE_URL, poolSize: 2, onConnectionError: (err) => lost.push(err) });
    const pids = async () => (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(h.db)).rows[0]!.pid;
    try {
      // Idle: the pooled connection is killed between queries.
      const idle = await pids();
      const killer = await openDatabase({ url: TEST_DATABASE_URL, poolSize: 1 });
      await sql`SELECT pg_terminate_backend(${idle}::int)`.execute(killer.db);
      await new Promise((r) => setTimeout(r, 200));
      expect(await pids()).not.toBe(idle);

      // Checked out: a transaction holds the connection when it is killed (this ended the process before).
      const failure = await h.db
        .transaction()
        .execute(async (trx) => {
          const pid = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx)).rows[0]!.pid;
          await sql`SELECT pg_terminate_backend(${pid}::int)`.execute(killer.db);
          await new Promise((r) => setTimeout(r, 200));
          await sql`SELECT 1`.execute(trx);
        })
        .catch((e: unknown) => e);
      expect(isDatabaseUnavailable(failure)).toBe(true);
      expect(lost.length).toBeGreaterThan(0);
      expect(await pids()).toBeGreaterThan(0);
      await killer.close();
    } finally {
      await h.close();
    }
  });
});
