/**
 * /metrics after a scripted workload (mail in over real SMTP, an agent reading and answering): the series an
 * operator needs are there, the token guards the main port, and no label value carries a customer's name,
 * address or id — or any id at all.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { createDefaultHooks } from '../../helpdesk/ingest/hooks.js';
import type { IngestOutcome } from '../../helpdesk/ingest/pipeline.js';
import { createInboundSmtpServer, type InboundSmtpServer } from '../../helpdesk/mail/smtp-server.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { seedMailbox } from '../../helpdesk/tickets/testing.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import type { Services } from '../app/services.js';
import { createTestServices, testSchemaCache } from '../app/testing.js';
import { testDatabaseKinds } from '../db/testing.js';
import { buildApp } from '../http/app.js';
import { appRoutes } from '../http/routes.js';
import { listenMetrics } from './metrics.routes.js';

const TOKEN = 'metrics-token-0123456789abcdef';
const SUPPORT = 'help@metrics-shop.example';
const CUSTOMER = { name: 'Quintessa Moorcroft', address: 'quintessa.moorcroft@customer-mail.example' };
const CARD = '4111 1111 1111 1111';

/** Every label value of a Prometheus text scrape. */
function labelValues(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const braces = /^[a-zA-Z_:][\w:]*\{(.*)\}\s/.exec(line);
    if (!braces) continue;
    for (const m of braces[1]!.matchAll(/\w+="((?:[^"\\]|\\.)*)"/g)) out.push(m[1]!);
  }
  return out;
}

describe.each(testDatabaseKinds)('metrics on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let inbound: InboundSmtpServer;
  let org: TestOrg;
  let agent: SignedIn;
  const outcomes: IngestOutcome[] = [];

  beforeAll(async () => {
    services = await createTestServices(kind, { config: { TRUSTDESK_METRICS_TOKEN: TOKEN } });
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    await app.ready();
    org = await buildOrg(services, 'Metrics Shop');
    const team = await buildTeam(services, org);
    await seedMailbox(services.database.db, org.orgId, SUPPORT, team);
    agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    inbound = createInboundSmtpServer({
      deps: await createHelpdeskDeps(services),
      hooks: createDefaultHooks({ db: services.database.db, keyring: services.keyring, mailer: services.mailer }),
      blobs: new MemoryBlobStore(),
      maxBytes: 64 * 1024,
      onIngested: (o) => outcomes.push(...o),
    });
    const port = await inbound.listen(0, '127.0.0.1');
    const smtp = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    await smtp.sendMail({ from: `"${CUSTOMER.name}" <${CUSTOMER.address}>`, to: SUPPORT, subject: `Refund for ${CUSTOMER.name}`, text: `Hello, my card ${CARD} was charged twice. ${CUSTOMER.name}` });
    await expect(smtp.sendMail({ from: CUSTOMER.address, to: 'nobody@metrics-shop.example', subject: 'x', text: 'x' })).rejects.toThrow();
    // A SIEM destination that has delivered nothing and whose last attempt failed: the trail so far waits for it.
    const destination = randomUUID();
    await services.database.db.insertInto('siem_destinations').values({ id: destination, org_id: org.orgId, name: 'Unreachable SIEM', transport: 'tcp', host: '127.0.0.1', port: 9, format: 'cef' }).execute();
    await services.database.db.insertInto('siem_cursors').values({ destination_id: destination, org_id: org.orgId, cursor_idx: -1, failures: 3, last_error: 'connection refused', last_error_at: new Date() }).execute();
    await services.audit.flush();
  });
  afterAll(async () => {
    await inbound?.close();
    await app?.close();
    await services?.close();
  });

  it('serves the workload’s series behind the token, and no label names a customer or any id', async () => {
    const ticketId = (outcomes[0] as { ticketId: string }).ticketId;
    expect((await app.inject({ url: `/api/tickets/${ticketId}`, headers: agent.headers })).statusCode).toBe(200);
    const reply = await app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/replies`, headers: agent.headers, payload: { body: `Refunded, ${CUSTOMER.name}.` } });
    expect(reply.statusCode, reply.body).toBe(201);
    expect((await app.inject({ url: `/api/no-such-route/${ticketId}`, headers: agent.headers })).statusCode).toBe(404);

    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}x` } })).statusCode).toBe(401);
    const res = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.body;

    // The route's pattern, never its URL; unmatched URLs are one series.
    expect(text).toMatch(/trustdesk_http_request_duration_seconds_count\{method="GET",route="\/api\/tickets\/:id",status="200"\} [1-9]/);
    expect(text).toMatch(/trustdesk_http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} [1-9]/);
    expect(text).toMatch(/trustdesk_smtp_messages_total\{outcome="stored"\} [1-9]/);
    expect(text).toMatch(/trustdesk_smtp_messages_total\{outcome="refused_recipient"\} [1-9]/);
    expect(text).toMatch(/trustdesk_smtp_sessions_total [1-9]/);
    for (const stage of ['parse', 'threats', 'redact', 'store']) expect(text).toMatch(new RegExp(`trustdesk_ingest_stage_seconds_count\\{stage="${stage}"\\} [1-9]`));
    expect(text).toMatch(/trustdesk_ingest_messages_total\{outcome="ticket_created"\} [1-9]/);
    expect(text).toMatch(/trustdesk_phishing_verdicts_total\{verdict="\w+"\} [1-9]/);
    expect(text).toMatch(/trustdesk_dlp_findings_total\{type="payment_card",action="redact"\} [1-9]/);
    expect(text).toMatch(/trustdesk_dek_cache_lookups_total\{result="(hit|miss)"\} [1-9]/);
    expect(text).toMatch(/trustdesk_queue_depth\{queue="outbound_mail"\} [1-9]/);
    expect(text).toMatch(/trustdesk_queue_oldest_age_seconds\{queue="webhooks"\} \d/);
    expect(text).toMatch(/trustdesk_queue_depth\{queue="siem"\} [1-9]/);
    expect(text).toMatch(/trustdesk_queue_oldest_age_seconds\{queue="siem"\} \d/);
    expect(text).toMatch(/trustdesk_siem_destinations_failing 1\b/);
    expect(text).toMatch(/trustdesk_audit_pending_entries [1-9]/);
    expect(text).toMatch(/trustdesk_audit_sequencing_lag_seconds \d/);
    expect(text).toMatch(/trustdesk_websocket_connections\{kind="console"\} \d/);

    const values = labelValues(text);
    expect(values.length).toBeGreaterThan(20);
    const customerId = (await services.database.db.selectFrom('tickets').where('id', '=', ticketId).select('requester_id').executeTakeFirstOrThrow()).requester_id!;
    const forbidden = [CUSTOMER.name, 'Quintessa', 'Moorcroft', CUSTOMER.address, 'customer-mail.example', customerId, ticketId, org.orgId, agent.userId, CARD.replace(/ /g, '')];
    for (const v of values) {
      for (const f of forbidden) expect(v.toLowerCase()).not.toContain(f.toLowerCase());
      expect(v).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i);
      expect(v).not.toContain('@');
    }
  });

  it('answers 404 on the main port without a token configured; the separate port serves /metrics and nothing else', async () => {
    const bare = await buildApp({ services: { ...services, config: { ...services.config, metricsToken: undefined } }, routes: appRoutes, schemaCache: testSchemaCache });
    try {
      const res = await bare.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
    } finally {
      await bare.close();
    }
    const side = await listenMetrics(services.database.db, services.logger, 0, '127.0.0.1');
    try {
      const ok = await fetch(`http://127.0.0.1:${side.port}/metrics`);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('trustdesk_http_request_duration_seconds');
      expect((await fetch(`http://127.0.0.1:${side.port}/api/tickets`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${side.port}/metrics`, { method: 'POST' })).status).toBe(404);
    } finally {
      await side.close();
    }
  });
});
