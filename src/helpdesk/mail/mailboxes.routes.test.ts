/**
 * Mailboxes over HTTP: add, list, delete; a mailbox that tickets came through
 * stays; another organisation's mailbox is "not found" — even one in use, so
 * its existence does not leak through a 409.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { createCustomer } from '../customers/customers.service.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { insertTicket } from '../tickets/records.js';

describe.each(testDatabaseKinds)('mailbox routes on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let admin: SignedIn;
  const address = () => `in-${randomUUID().slice(0, 8)}@help.example`;

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    org = await buildOrg(services);
    admin = await signIn(app, org, { roles: ['administrator'] });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('adds, lists and deletes a mailbox; refuses a team of another organisation and a taken address', async () => {
    const team = await buildTeam(services, org);
    const a = address();
    const created = await app.inject({ method: 'POST', url: '/api/mailboxes', headers: admin.headers, payload: { address: a.toUpperCase(), name: 'Support', teamId: team } });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const list = (await app.inject({ url: '/api/mailboxes', headers: admin.headers })).json().mailboxes;
    expect(list).toContainEqual({ id, address: a, name: 'Support', teamId: team });
    expect((await app.inject({ method: 'POST', url: '/api/mailboxes', headers: admin.headers, payload: { address: a, name: 'Again' } })).statusCode).toBe(409);
    const foreignTeam = await buildTeam(services, await buildOrg(services));
    expect((await app.inject({ method: 'POST', url: '/api/mailboxes', headers: admin.headers, payload: { address: address(), name: 'X', teamId: foreignTeam } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'DELETE', url: `/api/mailboxes/${id}`, headers: admin.headers })).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: `/api/mailboxes/${id}`, headers: admin.headers })).statusCode).toBe(404);
  });

  it('another organisation gets 404 for a mailbox, in use or not; the wrong role gets 403', async () => {
    const idle = (await app.inject({ method: 'POST', url: '/api/mailboxes', headers: admin.headers, payload: { address: address(), name: 'Idle' } })).json().id as string;
    const busy = (await app.inject({ method: 'POST', url: '/api/mailboxes', headers: admin.headers, payload: { address: address(), name: 'Busy' } })).json().id as string;
    const deps = await createHelpdeskDeps(services);
    const { id: customerId } = await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Barnaby Quill', email: 'barnaby@example.org' });
    await deps.db.transaction().execute((trx) => insertTicket(trx, deps, { orgId: org.orgId, subject: 'Hello', channel: 'email', requesterId: customerId, mailboxId: busy }));

    const intruder = await signIn(app, await buildOrg(services), { roles: ['administrator'] });
    for (const id of [idle, busy]) {
      const res = await app.inject({ method: 'DELETE', url: `/api/mailboxes/${id}`, headers: intruder.headers });
      expect(res.statusCode).toBe(404);
    }
    expect((await app.inject({ url: '/api/mailboxes', headers: intruder.headers })).json().mailboxes).toEqual([]);
    for (const role of ['agent', 'supervisor'] as const) {
      const as = await signIn(app, org, { roles: [role] });
      expect((await app.inject({ method: 'DELETE', url: `/api/mailboxes/${idle}`, headers: as.headers })).statusCode).toBe(403);
      expect((await app.inject({ method: 'POST', url: '/api/mailboxes', headers: as.headers, payload: { address: address(), name: 'No' } })).statusCode).toBe(403);
    }
    expect((await app.inject({ method: 'DELETE', url: `/api/mailboxes/${busy}`, headers: admin.headers })).statusCode).toBe(409);
  });

  it('an address with quarantined mail is refused in words (409), not a server error', async () => {
    const id = (await app.inject({ method: 'POST', url: '/api/mailboxes', headers: admin.headers, payload: { address: address(), name: 'Held' } })).json().id as string;
    await services.database.db.insertInto('quarantine').values({ id: randomUUID(), org_id: org.orgId, mailbox_id: id, reason: 'malformed', raw_enc: new Uint8Array([1]), raw_size: 1 }).execute();
    const res = await app.inject({ method: 'DELETE', url: `/api/mailboxes/${id}`, headers: admin.headers });
    expect(res.statusCode).toBe(409);
    expect(res.json().detail).toContain('Quarantined');
  });
});
