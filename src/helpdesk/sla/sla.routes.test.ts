/**
 * Deleting an SLA policy over HTTP: tickets it timed keep their due times;
 * the wrong role gets 403 and another organisation 404.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { createCustomer } from '../customers/customers.service.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { insertTicket } from '../tickets/records.js';

const policy = { name: 'Standard', timeZone: 'Europe/London', businessHours: { weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }, targets: { normal: { firstResponseMinutes: 60, resolutionMinutes: 480 } } };

describe.each(testDatabaseKinds)('SLA policy routes on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let admin: SignedIn;

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

  it('deletes a policy; the tickets it timed keep their due times', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/sla-policies', headers: admin.headers, payload: policy });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const deps = await createHelpdeskDeps(services);
    const { id: customerId } = await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Octavia Plumtree', email: 'octavia@example.org' });
    const ticketId = (await deps.db.transaction().execute((trx) => insertTicket(trx, deps, { orgId: org.orgId, subject: 'Late parcel', channel: 'web', requesterId: customerId, priority: 'normal' }))).id;
    const before = await services.database.db.selectFrom('tickets').where('id', '=', ticketId).select(['sla_policy_id', 'first_response_due_at', 'resolution_due_at']).executeTakeFirstOrThrow();
    expect(before.sla_policy_id).toBe(id);
    expect(before.first_response_due_at).not.toBeNull();

    const res = await app.inject({ method: 'DELETE', url: `/api/sla-policies/${id}`, headers: admin.headers });
    expect(res.statusCode).toBe(200);
    const after = await services.database.db.selectFrom('tickets').where('id', '=', ticketId).select(['sla_policy_id', 'first_response_due_at', 'resolution_due_at']).executeTakeFirstOrThrow();
    expect(after).toEqual({ sla_policy_id: null, first_response_due_at: before.first_response_due_at, resolution_due_at: before.resolution_due_at });
    const list = (await app.inject({ url: '/api/sla-policies', headers: admin.headers })).json().items as Array<{ id: string }>;
    expect(list.map((p) => p.id)).not.toContain(id);
    const audit = await services.database.db.selectFrom('audit_log').where('action', '=', 'sla.policy.delete').where('object_id', '=', id).select('result').execute();
    expect(audit).toEqual([{ result: 'success' }]);
    expect((await app.inject({ method: 'DELETE', url: `/api/sla-policies/${id}`, headers: admin.headers })).statusCode).toBe(404);
  });

  it('the wrong role gets 403; another organisation gets 404 and the policy stays', async () => {
    const id = (await app.inject({ method: 'POST', url: '/api/sla-policies', headers: admin.headers, payload: { ...policy, name: 'Keep' } })).json().id as string;
    for (const role of ['agent', 'supervisor', 'auditor'] as const) {
      const as = await signIn(app, org, { roles: [role] });
      expect((await app.inject({ method: 'DELETE', url: `/api/sla-policies/${id}`, headers: as.headers })).statusCode).toBe(403);
    }
    const intruder = await signIn(app, await buildOrg(services), { roles: ['administrator'] });
    expect((await app.inject({ method: 'DELETE', url: `/api/sla-policies/${id}`, headers: intruder.headers })).statusCode).toBe(404);
    const list = (await app.inject({ url: '/api/sla-policies', headers: admin.headers })).json().items as Array<{ id: string }>;
    expect(list.map((p) => p.id)).toContain(id);
  });
});
