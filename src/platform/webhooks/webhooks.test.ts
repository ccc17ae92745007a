import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../app/services.js';
import { createTestServices, silentLogger } from '../app/testing.js';
import { createCustomer } from '../../helpdesk/customers/customers.service.js';
import { testDatabaseKinds } from '../db/testing.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { createTicket } from '../../helpdesk/tickets/tickets.service.js';
import { buildPrincipal, seedOrganization, seedStaff } from '../../helpdesk/tickets/testing.js';
import { processWebhookQueue, WEBHOOK_BACKOFF } from './delivery-queue.js';
import { signWebhookPayload, verifyWebhookSignature } from './signature.js';
import { createWebhook, deleteWebhook, listWebhookDeliveries } from './webhooks.service.js';

describe('webhook signatures (pure)', () => {
  it('verifies its own signature, rejects a changed body, another secret and an old timestamp', () => {
    const now = 1_750_000_000;
    const header = signWebhookPayload({ secret: 's3cret', body: '{"a":1}', timestamp: now });
    expect(header).toMatch(/^t=1750000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature({ secret: 's3cret', body: '{"a":1}', header, nowSeconds: now + 10 })).toBe(true);
    expect(verifyWebhookSignature({ secret: 's3cret', body: '{"a":2}', header, nowSeconds: now })).toBe(false);
    expect(verifyWebhookSignature({ secret: 'other', body: '{"a":1}', header, nowSeconds: now })).toBe(false);
    expect(verifyWebhookSignature({ secret: 's3cret', body: '{"a":1}', header, nowSeconds: now + 3600 })).toBe(false);
    expect(verifyWebhookSignature({ secret: 's3cret', body: '{"a":1}', header: 'garbage', nowSeconds: now })).toBe(false);
  });
});

describe.each(testDatabaseKinds)('webhooks on %s', (kind) => {
  let s: Services;
  let deps: HelpdeskDeps;
  let server: http.Server;
  let port: number;
  const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  let failNext = 0;
  let orgId: string;
  let admin: ReturnType<typeof buildPrincipal>;

  beforeAll(async () => {
    s = await createTestServices(kind);
    deps = await createHelpdeskDeps(s);
    orgId = await seedOrganization(s.database.db);
    admin = buildPrincipal({ orgId, userId: await seedStaff(s.database.db, orgId), role: 'administrator' });
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (failNext > 0) {
          failNext--;
          res.writeHead(503).end('try later');
          return;
        }
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await s?.close();
  });

  const worker = (allowPrivate: boolean) => ({ ...deps, logger: silentLogger, outbound: { allowPrivate } });

  it('refuses to save a private or non-https URL unless private webhooks are allowed', async () => {
    await expect(createWebhook({ ...deps, outbound: {} }, { principal: admin }, { url: 'https://127.0.0.1/hook', events: ['ticket.created'] })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(createWebhook({ ...deps, outbound: {} }, { principal: admin }, { url: 'https://169.254.169.254/', events: ['ticket.created'] })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(createWebhook({ ...deps, outbound: {} }, { principal: admin }, { url: 'http://example.com/hook', events: ['ticket.created'] })).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('delivers signed events with ids and metadata only, retrying with backoff after failures', async () => {
    const hook = await createWebhook({ ...deps, outbound: { allowPrivate: true } }, { principal: admin }, { url: `http://127.0.0.1:${port}/hook`, events: ['ticket.created', 'message.created'] });
    expect(hook.secret).toMatch(/^tdwh_/);
    const stored = await s.database.db.selectFrom('webhook_subscriptions').where('id', '=', hook.id).select('secret_enc').executeTakeFirstOrThrow();
    expect(Buffer.from(stored.secret_enc).toString('latin1')).not.toContain(hook.secret);

    const customerId = (await createCustomer(deps, { orgId, actor: { type: 'system' } }, { name: 'Araminta Dunwoody', email: 'araminta@example.org' })).id;
    const t = await createTicket(deps, { principal: admin }, { requesterId: customerId, subject: 'Lost parcel to Dunwoody', body: 'Parcel never came to 12 Larch Lane' });

    failNext = 1;
    const start = new Date();
    const first = await processWebhookQueue(worker(true), { now: start });
    expect(first.retried).toBeGreaterThanOrEqual(1);
    const pending = await s.database.db.selectFrom('webhook_deliveries').where('subscription_id', '=', hook.id).where('status', '=', 'queued').select(['next_attempt_at', 'attempts', 'last_error']).execute();
    expect(pending.length).toBeGreaterThanOrEqual(1);
    const retry = pending.find((p) => p.attempts === 1);
    expect(retry?.last_error).toBe('http 503');
    const delay = new Date(retry!.next_attempt_at).getTime() - start.getTime();
    expect(delay).toBeGreaterThanOrEqual(WEBHOOK_BACKOFF.baseMs * 0.8);
    expect(delay).toBeLessThanOrEqual(WEBHOOK_BACKOFF.baseMs * 1.2);
    // Nothing is due before the backoff elapses; after it, everything goes out.
    expect((await processWebhookQueue(worker(true), { now: new Date(start.getTime() + 1000) })).delivered).toBe(0);
    const later = await processWebhookQueue(worker(true), { now: new Date(start.getTime() + WEBHOOK_BACKOFF.baseMs * 2) });
    expect(later.delivered).toBeGreaterThanOrEqual(1);

    const events = received.map((r) => JSON.parse(r.body) as { type: string; data: { ticketId: string } });
    expect(events.map((e) => e.type).sort()).toEqual(['message.created', 'ticket.created']);
    expect(events.every((e) => e.data.ticketId === t.id)).toBe(true);
    for (const r of received) {
      expect(verifyWebhookSignature({ secret: hook.secret, body: r.body, header: String(r.headers['trustdesk-signature']) })).toBe(true);
      for (const pii of ['Dunwoody', 'Araminta', 'araminta@example.org', 'Larch', 'Lost parcel']) expect(r.body).not.toContain(pii);
    }
    const log = await listWebhookDeliveries(deps, { principal: admin }, { webhookId: hook.id });
    expect(log.every((d) => d.status === 'delivered')).toBe(true);
    await deleteWebhook(deps, { principal: admin }, { webhookId: hook.id });
  });

  it('a delivery to a refused address fails as refused, never reaching it; gives up after the last attempt', async () => {
    const hook = await createWebhook({ ...deps, outbound: { allowPrivate: true } }, { principal: admin }, { url: `http://127.0.0.1:${port}/hook`, events: ['ticket.created'] });
    const customerId = (await createCustomer(deps, { orgId, actor: { type: 'system' } }, { name: 'X Y', email: 'xy@example.org' })).id;
    await createTicket(deps, { principal: admin }, { requesterId: customerId, subject: 's', body: 'b' });
    received.length = 0;
    // The configuration changed: private targets are no longer allowed.
    await processWebhookQueue(worker(false), { now: new Date() });
    const row = await s.database.db.selectFrom('webhook_deliveries').where('subscription_id', '=', hook.id).select(['last_error', 'status', 'id']).executeTakeFirstOrThrow();
    expect(row.last_error).toBe('refused private_address');
    expect(received).toHaveLength(0);
    await s.database.db.updateTable('webhook_deliveries').set({ attempts: WEBHOOK_BACKOFF.maxAttempts - 1, status: 'queued', next_attempt_at: new Date(0) }).where('id', '=', row.id).execute();
    const last = await processWebhookQueue(worker(false), { now: new Date() });
    expect(last.failed).toBe(1);
  });
});
