/**
 * Webhook changes over HTTP: edit URL and events, disable (no new events
 * queued) and enable again; another organisation's subscription and its
 * deliveries are not found; the secret is never shown again.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../app/services.js';
import { createTestServices, testSchemaCache } from '../app/testing.js';
import { buildOrg, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { testDatabaseKinds } from '../db/testing.js';
import { buildApp } from '../http/app.js';
import { appRoutes } from '../http/routes.js';
import { enqueueWebhookEvent } from './events.js';

describe.each(testDatabaseKinds)('webhook routes on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let admin: SignedIn;

  beforeAll(async () => {
    services = await createTestServices(kind, { config: { TRUSTDESK_ALLOW_PRIVATE_OUTBOUND: 'true' } });
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    org = await buildOrg(services);
    admin = await signIn(app, org, { roles: ['administrator'] });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  const create = async () => {
    const res = await app.inject({ method: 'POST', url: '/api/webhooks', headers: admin.headers, payload: { url: 'http://127.0.0.1:9/hook', events: ['ticket.created'] } });
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string; secret: string };
  };
  const queued = async (id: string) => (await services.database.db.selectFrom('webhook_deliveries').where('subscription_id', '=', id).select('id').execute()).length;

  it('changes URL and events, disables and enables, and audits each change', async () => {
    const { id, secret } = await create();
    const edit = await app.inject({ method: 'PUT', url: `/api/webhooks/${id}`, headers: admin.headers, payload: { url: 'http://127.0.0.1:9/other', events: ['ticket.created', 'message.created'] } });
    expect(edit.statusCode).toBe(200);
    expect(edit.json()).toMatchObject({ id, url: 'http://127.0.0.1:9/other', events: ['ticket.created', 'message.created'], active: true });
    expect(edit.body).not.toContain(secret);

    const off = await app.inject({ method: 'PUT', url: `/api/webhooks/${id}`, headers: admin.headers, payload: { active: false } });
    expect(off.json()).toMatchObject({ active: false, url: 'http://127.0.0.1:9/other' });
    await services.database.db.transaction().execute((trx) => enqueueWebhookEvent(trx, { orgId: org.orgId, type: 'ticket.created', data: { ticketId: '00000000-0000-4000-8000-000000000001' } }));
    expect(await queued(id)).toBe(0);

    await app.inject({ method: 'PUT', url: `/api/webhooks/${id}`, headers: admin.headers, payload: { active: true } });
    await services.database.db.transaction().execute((trx) => enqueueWebhookEvent(trx, { orgId: org.orgId, type: 'message.created', data: { ticketId: '00000000-0000-4000-8000-000000000001', messageId: '00000000-0000-4000-8000-000000000002', kind: 'public_reply', authorType: 'user' } }));
    expect(await queued(id)).toBe(1);

    const list = await app.inject({ url: '/api/webhooks', headers: admin.headers });
    expect(list.body).not.toContain(secret);
    const audit = await services.database.db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', '=', 'webhook.update').where('object_id', '=', id).select('details').execute();
    expect(audit.length).toBe(3);
  });

  it('refuses bad changes: empty, unknown events, credentials in the URL, private addresses when not allowed', async () => {
    const { id } = await create();
    for (const payload of [{}, { events: [] }, { events: ['ticket.exploded'] }, { url: 'not a url' }]) {
      const res = await app.inject({ method: 'PUT', url: `/api/webhooks/${id}`, headers: admin.headers, payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const creds = await app.inject({ method: 'PUT', url: `/api/webhooks/${id}`, headers: admin.headers, payload: { url: 'http://user:pw@127.0.0.1:9/x' } });
    expect(creds.statusCode).toBe(400);
    expect(creds.body).not.toContain('pw@');
  });

  it('the wrong role gets 403; another organisation gets 404 for the subscription and its deliveries', async () => {
    const { id } = await create();
    for (const role of ['agent', 'supervisor', 'security_officer'] as const) {
      const as = await signIn(app, org, { roles: [role] });
      expect((await app.inject({ method: 'PUT', url: `/api/webhooks/${id}`, headers: as.headers, payload: { active: false } })).statusCode).toBe(403);
    }
    const intruder = await signIn(app, await buildOrg(services), { roles: ['administrator'] });
    expect((await app.inject({ method: 'PUT', url: `/api/webhooks/${id}`, headers: intruder.headers, payload: { active: false } })).statusCode).toBe(404);
    expect((await app.inject({ url: `/api/webhooks/${id}/deliveries`, headers: intruder.headers })).statusCode).toBe(404);
    const mine = await app.inject({ url: `/api/webhooks/${id}/deliveries`, headers: admin.headers });
    expect(mine.statusCode).toBe(200);
    const still = (await app.inject({ url: '/api/webhooks', headers: admin.headers })).json().items.find((w: { id: string }) => w.id === id);
    expect(still.active).toBe(true);
  });
});
