import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, signIn, type TestOrg } from '../../identity/auth/testing.js';
import { createCustomer } from '../customers/customers.service.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { macroRoutes } from '../macros/macros.routes.js';
import { searchRoutes } from '../search/search.routes.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { insertTicket } from '../tickets/records.js';
import { ticketBulkRoutes } from '../tickets/ticket-bulk.routes.js';
import { webhookRoutes } from '../../platform/webhooks/webhooks.routes.js';
import { slaRoutes } from './sla.routes.js';

const ID = '00000000-0000-4000-8000-000000000001';
const policy = { name: 'Std', timeZone: 'Europe/London', businessHours: { weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }, targets: { normal: { firstResponseMinutes: 60, resolutionMinutes: 480 } } };
// [method, url, body, a role that holds the permission the route needs]
const ROUTES: Array<['GET' | 'POST' | 'PUT' | 'DELETE', string, unknown]> = [
  ['GET', '/api/sla-policies', undefined],
  ['POST', '/api/sla-policies', policy],
  ['PUT', `/api/sla-policies/${ID}`, policy],
  ['GET', '/api/macros', undefined],
  ['POST', '/api/macros', { name: 'm', body: 'hi' }],
  ['PUT', `/api/macros/${ID}`, { name: 'm', body: 'hi' }],
  ['DELETE', `/api/macros/${ID}`, undefined],
  ['POST', `/api/tickets/${ID}/macros/${ID}/preview`, undefined],
  ['POST', `/api/tickets/${ID}/macros/${ID}/apply`, { send: 'none' }],
  ['POST', '/api/tickets/bulk', { ticketIds: [ID], status: 'open' }],
  ['POST', `/api/tickets/${ID}/merge`, { sourceIds: [ID] }],
  ['POST', `/api/tickets/${ID}/split`, { messageIds: [ID], subject: 's' }],
  ['GET', '/api/search/tickets?q=hello', undefined],
  ['GET', '/api/webhooks', undefined],
  ['POST', '/api/webhooks', { url: 'https://example.com/h', events: ['ticket.created'] }],
  ['DELETE', `/api/webhooks/${ID}`, undefined],
  ['GET', `/api/webhooks/${ID}/deliveries`, undefined],
];

describe.each(testDatabaseKinds)('productivity routes on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let team: string;
  let ticketId: string;

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: [...appRoutes, slaRoutes, macroRoutes, ticketBulkRoutes, searchRoutes, webhookRoutes], schemaCache: testSchemaCache });
    org = await buildOrg(services);
    team = await buildTeam(services, org);
    const deps = await createHelpdeskDeps(services);
    const { id: customerId } = await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Ignatius Farthing', email: 'ignatius@example.org' });
    ticketId = (await deps.db.transaction().execute((trx) => insertTicket(trx, deps, { orgId: org.orgId, subject: 'Umbrella warranty', channel: 'web', requesterId: customerId, teamId: team }))).id;
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it.each(ROUTES)('%s %s requires a session', async (method, url, payload) => {
    const res = await app.inject({ method, url, ...(payload ? { payload: payload as object } : {}) });
    expect(res.statusCode).toBe(401);
  });

  it.each(ROUTES)('%s %s refuses a role without the permission', async (method, url, payload) => {
    const auditor = await signIn(app, org, { roles: ['auditor'] });
    const res = await app.inject({ method, url, headers: auditor.headers, ...(payload ? { payload: payload as object } : {}) });
    expect(res.statusCode).toBe(403);
  });

  it('agents may not manage SLA, macros, webhooks or bulk; supervisors manage macros; admins manage SLA', async () => {
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    for (const [method, url, payload] of [1, 4, 9, 14].map((i) => ROUTES[i] as (typeof ROUTES)[number])) {
      const res = await app.inject({ method, url, headers: agent.headers, payload: payload as object });
      expect(res.statusCode, url).toBe(403);
    }
    const lead = await signIn(app, org, { roles: ['supervisor'], teamIds: [team] });
    const m = await app.inject({ method: 'POST', url: '/api/macros', headers: lead.headers, payload: { name: 'Thanks', body: 'Thanks {{customer.first_name}}!' } });
    expect(m.statusCode).toBe(201);
    const preview = await app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/macros/${m.json().id}/preview`, headers: agent.headers });
    expect(preview.json()).toMatchObject({ body: 'Thanks Ignatius!', warnings: [] }); // the default masking policy shows agents the name
    const admin = await signIn(app, org, { roles: ['administrator'] });
    const p = await app.inject({ method: 'POST', url: '/api/sla-policies', headers: admin.headers, payload: policy });
    expect(p.statusCode).toBe(201);
    const search = await app.inject({ method: 'GET', url: '/api/search/tickets?q=umbrella', headers: agent.headers });
    expect(search.json().items.map((t: { id: string }) => t.id)).toEqual([ticketId]);
    const hook = await app.inject({ method: 'POST', url: '/api/webhooks', headers: admin.headers, payload: { url: 'https://127.0.0.1/hook', events: ['ticket.created'] } });
    expect(hook.statusCode).toBe(400);
    expect(hook.json().detail).not.toContain('127.0.0.1');
    const bulkOther = await app.inject({ method: 'POST', url: '/api/tickets/bulk', headers: lead.headers, payload: { ticketIds: [ticketId, ID], status: 'open' } });
    expect(bulkOther.statusCode).toBe(404);
  });
});
