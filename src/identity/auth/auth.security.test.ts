/**
 * Security regressions of password sign-in and reset: a burst of parallel
 * guesses gets no more checks than the lockout allows, and a reset answers
 * before any mail and after the same work whether or not the account exists;
 * on PGlite and PostgreSQL alike.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { SIGNIN_LOCKOUT } from '../../platform/http/schemas/organization.js';
import { appRoutes } from '../../platform/http/routes.js';
import { createDeferredTasks } from '../../platform/deferred.js';
import { recordingDb } from '../../platform/db/recording.js';
import { MemoryMailer, type Mailer } from '../../platform/notify/mailer.js';
import { requestPasswordReset } from './auth.service.js';
import { buildOrg, buildUser, TEST_PASSWORD } from './testing.js';

describe.each(testDatabaseKinds)('password sign-in under parallel guessing on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  let ip = 0;
  // Every guess from its own address: the account lock alone must hold (an attacker spreads addresses).
  const attempt = (email: string, password: string) => app.inject({ method: 'POST', url: '/api/auth/signin', payload: { email, password }, remoteAddress: `203.0.113.${(ip++ % 250) + 1}` });
  const checked = async (userId: string) => {
    await services.audit.flush();
    return services.database.db.selectFrom('audit_log').where('action', '=', 'auth.signin').where('object_id', '=', userId).select(['result', 'details']).execute();
  };

  it('checks at most the allowed number of a burst of 30 wrong guesses and the right password', async () => {
    const org = await buildOrg(services);
    const user = await buildUser(services, org);
    const burst = [...Array.from({ length: 30 }, () => attempt(user.email, 'wrong wrong wrong')), attempt(user.email, TEST_PASSWORD)];
    const answers = await Promise.all(burst);
    const rows = await checked(user.userId);
    // Each checked attempt is audited (failure or success); refused ones are not checked at all.
    expect(rows.length).toBeLessThanOrEqual(SIGNIN_LOCKOUT.accountFreeFailures);
    const refused = answers.filter((a) => a.statusCode === 429).length;
    expect(refused).toBeGreaterThanOrEqual(answers.length - SIGNIN_LOCKOUT.accountFreeFailures);
    const signedIn = answers.filter((a) => a.statusCode === 200).length;
    // The right password signs in only if it was one of the attempts checked before the lock.
    expect(signedIn).toBe(rows.filter((r) => r.result === 'success').length);
    // A second burst finds the account locked (unless the right password was checked and cleared it): the right password is refused too.
    if (signedIn === 0) {
      const again = await Promise.all([...Array.from({ length: 10 }, () => attempt(user.email, 'wrong wrong wrong')), attempt(user.email, TEST_PASSWORD)]);
      expect(again.map((a) => a.statusCode)).toEqual(Array.from({ length: 11 }, () => 429));
      expect((await checked(user.userId)).length).toBe(rows.length);
    }
  });

  it('refuses the right password sent after the lock within the same burst', async () => {
    const org = await buildOrg(services);
    const user = await buildUser(services, org);
    const wrong = await Promise.all(Array.from({ length: 30 }, () => attempt(user.email, 'wrong wrong wrong')));
    expect(wrong.filter((a) => a.statusCode === 401).length).toBe(SIGNIN_LOCKOUT.accountFreeFailures - 1);
    expect((await attempt(user.email, TEST_PASSWORD)).statusCode).toBe(429);
    const rows = await checked(user.userId);
    expect(rows.length).toBe(SIGNIN_LOCKOUT.accountFreeFailures);
    expect(rows.every((r) => r.result === 'failure')).toBe(true);
  });

  it('an unknown address gets the same bounded checks (no enumeration by lock behaviour)', async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => attempt('ghost-burst@nowhere.example', 'wrong wrong wrong')));
    expect(answers.filter((a) => a.statusCode === 401).length).toBe(SIGNIN_LOCKOUT.accountFreeFailures - 1);
    expect(answers.filter((a) => a.statusCode === 429).length).toBe(30 - SIGNIN_LOCKOUT.accountFreeFailures + 1);
  });
});

describe.each(testDatabaseKinds)('password reset answers before mailing on %s', (kind) => {
  const released: Array<() => void> = [];
  const delivered: string[] = [];
  // A relay that holds every message until the test lets it go.
  const blockingMailer: Mailer = {
    send: (m) =>
      new Promise<void>((resolve) => {
        released.push(() => {
          delivered.push(m.to);
          resolve();
        });
      }),
  };
  let services: Services;
  let app: FastifyInstance;
  beforeAll(async () => {
    services = await createTestServices(kind, { mailer: blockingMailer });
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    await app.ready();
  });
  afterAll(async () => {
    for (const r of released) r();
    await app?.close();
    await services?.close();
  });

  it('answers a known address while the relay still holds the mail, and delivers it after', async () => {
    const org = await buildOrg(services);
    const user = await buildUser(services, org);
    // On the old code this request waited for the relay and never answered.
    const res = await app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email: user.email } });
    expect(res.statusCode).toBe(202);
    expect(delivered).toEqual([]);
    while (released.length === 0) await new Promise((r) => setImmediate(r));
    released.shift()!();
    await services.deferred.drain();
    expect(delivered).toEqual([user.email]);
  });

  it('does the same database work before answering for a known and an unknown address', async () => {
    const org = await buildOrg(services);
    const user = await buildUser(services, org);
    const run = async (email: string) => {
      const recorded = recordingDb(services.database.db);
      const queue = createDeferredTasks({ error: () => undefined });
      const deps = { db: recorded.db, audit: services.audit, mailer: new MemoryMailer(), deferred: queue, publicUrl: 'http://localhost', policy: app.auth.policy };
      await requestPasswordReset(deps, { ip: '127.0.0.1', userAgent: null, requestId: 'test' }, { email });
      const before = [...recorded.statements];
      await queue.drain();
      return { before, mailed: deps.mailer.sent.length };
    };
    const known = await run(user.email);
    const unknown = await run('nobody-here@nowhere.example');
    expect(known.before).toEqual(unknown.before);
    expect(known.before.length).toBeGreaterThan(0);
    expect([known.mailed, unknown.mailed]).toEqual([1, 0]);
  });
});
