import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, signIn, type TestOrg } from '../../identity/auth/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { buildCustomerWithTicket } from '../portal/testing.js';
import { KeyDestroyedError } from '../../platform/errors.js';
import { eraseCustomer, findCustomerIdsByEmail } from './customers.service.js';

describe.each(testDatabaseKinds)('merging duplicate customers on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    await app.ready();
    org = await buildOrg(services);
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('moves tickets and the address to the survivor; erasing the survivor erases the duplicate too', async () => {
    const team = await buildTeam(services, org);
    const a = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'jo@home.example', name: 'Jo Bloggs', teamId: team });
    const b = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'jo.bloggs@work.example', name: 'J. Bloggs', teamId: team });
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    const admin = await signIn(app, org, { roles: ['administrator'] });
    const body = { duplicateId: b.customerId, reason: 'Same person, two addresses' };
    expect((await app.inject({ method: 'POST', url: `/api/customers/${a.customerId}/merge`, headers: agent.headers, payload: body })).statusCode).toBe(403);
    const res = await app.inject({ method: 'POST', url: `/api/customers/${a.customerId}/merge`, headers: admin.headers, payload: body });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ticketsMoved: 1 });
    const ticket = await services.database.db.selectFrom('tickets').where('id', '=', b.ticketId).select('requester_id').executeTakeFirstOrThrow();
    expect(ticket.requester_id).toBe(a.customerId);
    const ctx = { orgId: org.orgId, actor: { type: 'system' as const } };
    const deps = { db: services.database.db, keyring: services.keyring, audit: services.audit };
    // Both addresses now find the survivor, through a contact on it.
    expect(await findCustomerIdsByEmail(deps, ctx, 'jo.bloggs@work.example')).toEqual([]);
    const contacts = await app.inject({ url: '/api/customers?email=jo.bloggs@work.example', headers: admin.headers });
    expect(contacts.json().items.map((c: { id: string }) => c.id)).toContain(a.customerId);
    // Merging again, or into a merged record, is refused.
    expect((await app.inject({ method: 'POST', url: `/api/customers/${a.customerId}/merge`, headers: admin.headers, payload: body })).statusCode).toBe(409);
    // Erasure follows the merge: the duplicate's data under its own key is gone too.
    const dupRow = await services.database.db.selectFrom('customers').where('id', '=', b.customerId).select('name_enc').executeTakeFirstOrThrow();
    await eraseCustomer(deps, ctx, { customerId: a.customerId, purpose: 'erasure request' });
    const fresh = new (services.keyring.constructor as new (o: object) => typeof services.keyring)({ db: services.database.db, provider: services.keyring.provider });
    await expect(fresh.decrypt({ table: 'customers', column: 'name_enc', rowId: b.customerId }, dupRow.name_enc as Uint8Array)).rejects.toBeInstanceOf(KeyDestroyedError);
  });
});
