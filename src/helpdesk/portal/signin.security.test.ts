/**
 * Starting a portal sign-in must not show whether an address is a customer's:
 * the answer does not wait for the mail, and both paths do the same database
 * work before answering.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { buildOrg, type TestOrg } from '../../identity/auth/testing.js';
import { createDeferredTasks } from '../../platform/deferred.js';
import { recordingDb } from '../../platform/db/recording.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { MemoryMailer, type Mailer } from '../../platform/notify/mailer.js';
import { createPortalDeps } from './deps.js';
import { startPortalSignIn } from './signin.service.js';
import { buildCustomerWithTicket, buildPortalApp, nextIp } from './testing.js';

describe.each(testDatabaseKinds)('portal sign-in start on %s', (kind) => {
  const held: Array<() => void> = [];
  const delivered: string[] = [];
  const blockingMailer: Mailer = {
    send: (m) =>
      new Promise<void>((resolve) => {
        held.push(() => {
          delivered.push(m.to);
          resolve();
        });
      }),
  };
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  beforeAll(async () => {
    services = await createTestServices(kind, { mailer: blockingMailer });
    ({ app } = await buildPortalApp(services));
    org = await buildOrg(services);
    await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'known@customer.example' });
  });
  afterAll(async () => {
    for (const release of held) release();
    await app?.close();
    await services?.close();
  });

  it('answers a customer’s address while the relay still holds the code, then delivers it', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/portal/signin', remoteAddress: nextIp(), payload: { organizationId: org.orgId, email: 'known@customer.example' } });
    expect(res.statusCode).toBe(202);
    expect(delivered).toEqual([]);
    while (held.length === 0) await new Promise((r) => setImmediate(r));
    held.shift()!();
    await services.deferred.drain();
    expect(delivered).toEqual(['known@customer.example']);
    // The challenge made after the answer carries the id the answer gave.
    const row = await services.database.db.selectFrom('portal_challenges').where('id', '=', res.json().challengeId).select('id').executeTakeFirst();
    expect(row).toBeDefined();
  });

  it('does the same database work before answering for a customer’s address and an unknown one', async () => {
    const base = await createPortalDeps(services);
    const run = async (email: string) => {
      const recorded = recordingDb(services.database.db);
      const deferred = createDeferredTasks({ error: () => undefined });
      const mailer = new MemoryMailer();
      await startPortalSignIn({ ...base, db: recorded.db, deferred, mailer }, { ip: '127.0.0.1', userAgent: null, requestId: 'test' }, { orgId: org.orgId, email });
      const before = [...recorded.statements];
      await deferred.drain();
      return { before, mailed: mailer.sent.length };
    };
    await run('warm-up@customer.example');
    const known = await run('known@customer.example');
    const unknown = await run('stranger@customer.example');
    expect(known.before).toEqual(unknown.before);
    expect(known.before.length).toBeGreaterThan(0);
    expect([known.mailed, unknown.mailed]).toEqual([1, 0]);
  });
});
