import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, signIn, type TestOrg } from '../../identity/auth/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildCustomerWithTicket, buildPortalApp } from '../portal/testing.js';
import { customerRoutes } from './customers.routes.js';

describe.each(testDatabaseKinds)('customer routes on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let team: string;
  let c: Awaited<ReturnType<typeof buildCustomerWithTicket>>;

  beforeAll(async () => {
    services = await createTestServices(kind);
    ({ app } = await buildPortalApp(services, { extraRoutes: [customerRoutes] }));
    org = await buildOrg(services);
    team = await buildTeam(services, org);
    c = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'grace.hopper@customer.example', name: 'Grace Hopper', teamId: team });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('requires a session and the permission; another team’s agent gets not found', async () => {
    expect((await app.inject({ method: 'GET', url: `/api/customers/${c.customerId}` })).statusCode).toBe(401);
    const auditor = await signIn(app, org, { roles: ['auditor'] });
    expect((await app.inject({ method: 'GET', url: `/api/customers/${c.customerId}`, headers: auditor.headers })).statusCode).toBe(403);
    const other = await signIn(app, org, { roles: ['agent'], teamIds: [await buildTeam(services, org)] });
    expect((await app.inject({ method: 'GET', url: `/api/customers/${c.customerId}`, headers: other.headers })).statusCode).toBe(404);
  });

  it('reads masked, finds by email, reveals with a reason (audited), and honours the verification policy', async () => {
    const a = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    const masked = await app.inject({ method: 'GET', url: `/api/customers/${c.customerId}`, headers: a.headers });
    expect(masked.json()).toMatchObject({ name: 'Grace Hopper', email: 'g•••@customer.example', clear: ['name'] }); // the default masking policy
    const found = await app.inject({ method: 'GET', url: '/api/customers?email=Grace.Hopper@customer.example', headers: a.headers });
    expect(found.json().items.map((i: { id: string }) => i.id)).toEqual([c.customerId]);
    const reveal = await app.inject({ method: 'POST', url: `/api/customers/${c.customerId}/reveal`, headers: a.headers, payload: { field: 'email', reason: 'confirm address for refund' } });
    expect(reveal.json()).toEqual({ field: 'email', value: 'grace.hopper@customer.example' });
    const stale = await signIn(app, org, { roles: ['agent'], teamIds: [team], stepUp: false });
    expect((await app.inject({ method: 'POST', url: `/api/customers/${c.customerId}/reveal`, headers: stale.headers, payload: { field: 'email', reason: 'confirm address for refund' } })).statusCode).toBe(401);
    await services.database.db.updateTable('organizations').set({ settings: JSON.stringify({ verification: { requireBeforeReveal: true, validMinutes: 60 } }) }).where('id', '=', org.orgId).execute();
    const gated = await app.inject({ method: 'POST', url: `/api/customers/${c.customerId}/reveal`, headers: a.headers, payload: { field: 'email', reason: 'confirm address', ticketId: c.ticketId } });
    expect(gated.statusCode).toBe(403);
    expect(gated.json().detail).toContain('Verify the customer');
    const audit = await services.database.db.selectFrom('audit_log').where('action', '=', 'customer.field.reveal').where('object_id', '=', c.customerId).select('purpose').execute();
    expect(audit.map((x) => x.purpose)).toEqual(['confirm address for refund']);
  });
});
