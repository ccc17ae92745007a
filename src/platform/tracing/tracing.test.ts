/**
 * Traces after a scripted workload (mail in over real SMTP, an agent reading and answering, an outbound call),
 * exported over real OTLP/HTTP to a receiver on loopback: the spans an operator needs are there and nested, W3C
 * trace context crosses in and out, and no span name or attribute carries a customer's name, address or id — or
 * any id at all. Also: off by default, nothing is wrapped.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import type { FastifyInstance } from 'fastify';
import { PGliteDialect } from 'kysely-pglite-dialect';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultHooks } from '../../helpdesk/ingest/hooks.js';
import type { IngestOutcome } from '../../helpdesk/ingest/pipeline.js';
import { createInboundSmtpServer, type InboundSmtpServer } from '../../helpdesk/mail/smtp-server.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { seedMailbox } from '../../helpdesk/tickets/testing.js';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import type { Services } from '../app/services.js';
import { createTestServices, testSchemaCache } from '../app/testing.js';
import { testDatabaseKinds } from '../db/testing.js';
import { buildApp } from '../http/app.js';
import { sendOutboundRequest } from '../http/outbound.js';
import { appRoutes } from '../http/routes.js';
import { operationOf, traceDialect } from './database.js';
import { cleanSpan, flushTracing, inSpan, parseOtlpHeaders, startTracing, stopTracing, tracingEnabled } from './tracing.js';

const SUPPORT = 'help@traced-shop.example';
const CUSTOMER = { name: 'Ottoline Vasquez-Brandt', address: 'ottoline.vb@customer-mail.example' };
const CARD = '4111 1111 1111 1111';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
  events: unknown[];
}

/** An OTLP/HTTP JSON receiver: what a collector would get. */
async function otlpReceiver() {
  const spans: ExportedSpan[] = [];
  const headers: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      headers.push(req.headers);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<Omit<ExportedSpan, 'attributes'> & { attributes?: Array<{ key: string; value: Record<string, unknown> }> }> }> }>;
      };
      for (const rs of body.resourceSpans) {
        for (const ss of rs.scopeSpans) {
          for (const s of ss.spans) {
            const attributes: ExportedSpan['attributes'] = {};
            for (const a of s.attributes ?? []) attributes[a.key] = (a.value.stringValue ?? Number(a.value.intValue ?? a.value.doubleValue) ?? a.value.boolValue) as string | number;
            spans.push({ ...s, attributes, events: s.events ?? [] });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { spans, headers, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('tracing is off by default', () => {
  it('wraps nothing and runs work untraced', async () => {
    expect(tracingEnabled()).toBe(false);
    const dialect = new PGliteDialect(new PGlite());
    expect(traceDialect(dialect)).toBe(dialect);
    expect(await inSpan('x', {}, async (span) => span)).toBeUndefined();
  });

  it('names statements by their first keyword only, and reads collector headers strictly', () => {
    expect(operationOf('  select "name" from customers where email = $1')).toBe('SELECT');
    expect(operationOf('with x as (select 1) select * from x')).toBe('WITH');
    expect(operationOf("vacuum customers")).toBe('OTHER');
    expect(parseOtlpHeaders('api-key=abc%3D,x-team=support')).toEqual({ 'api-key': 'abc=', 'x-team': 'support' });
    expect(() => parseOtlpHeaders('no equals sign')).toThrow(/name=value/);
  });
});

describe.each(testDatabaseKinds)('traces on %s', (kind) => {
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let services: Services;
  let app: FastifyInstance;
  let inbound: InboundSmtpServer;
  let org: TestOrg;
  let agent: SignedIn;
  let hookServer: http.Server;
  const hookHeaders: http.IncomingHttpHeaders[] = [];
  const outcomes: IngestOutcome[] = [];

  beforeAll(async () => {
    receiver = await otlpReceiver();
    startTracing({ endpoint: receiver.url, headers: 'x-collector-key=k1' });
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    await app.ready();
    org = await buildOrg(services, 'Traced Shop');
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
    hookServer = http.createServer((req, res) => {
      hookHeaders.push(req.headers);
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
  }, 180_000);
  afterAll(async () => {
    await inbound?.close();
    await app?.close();
    await services?.close();
    await stopTracing();
    await new Promise<void>((r) => (hookServer ? hookServer.close(() => r()) : r()));
    await receiver?.close();
  });

  it('exports nested HTTP, SMTP, ingest, database and outbound spans, with trace context in and out, and names no customer', async () => {
    const ticketId = (outcomes[0] as { ticketId: string }).ticketId;
    // A request inside a caller's trace joins it (W3C traceparent).
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const read = await app.inject({ url: `/api/tickets/${ticketId}`, headers: { ...agent.headers, traceparent: `00-${callerTrace}-00f067aa0ba902b7-01` } });
    expect(read.statusCode).toBe(200);
    const reply = await app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/replies`, headers: agent.headers, payload: { body: `Refunded, ${CUSTOMER.name}.` } });
    expect(reply.statusCode, reply.body).toBe(201);
    // An outbound call whose URL carries the customer: only the host is recorded; the receiver gets a traceparent.
    const hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hooks/${ticketId}?email=${encodeURIComponent(CUSTOMER.address)}`;
    await inSpan('webhook delivery', { 'trustdesk.queue': 'webhooks', 'customer.email': CUSTOMER.address }, () => sendOutboundRequest({ url: hookUrl, body: '{}' }, { allowPrivate: true }));
    await services.audit.flush();
    await flushTracing();

    const spans = receiver.spans;
    expect(receiver.headers.every((h) => h['x-collector-key'] === 'k1')).toBe(true);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const ancestors = (s: ExportedSpan) => {
      const out: ExportedSpan[] = [];
      for (let p = s.parentSpanId ? byId.get(s.parentSpanId) : undefined; p; p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined) out.push(p);
      return out;
    };

    // HTTP: named by route pattern; the caller's trace is kept; its statements are children.
    const get = spans.find((s) => s.name === 'GET /api/tickets/:id');
    expect(get?.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.route': '/api/tickets/:id', 'http.response.status_code': 200 });
    expect(get?.kind).toBe(2); // SERVER
    expect(get?.traceId).toBe(callerTrace);
    const selects = spans.filter((s) => s.name === 'SELECT' && ancestors(s).includes(get!));
    expect(selects.length).toBeGreaterThan(0);
    expect(selects[0]!.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'db.operation.name': 'SELECT' });
    expect(spans.some((s) => s.name === 'POST /api/tickets/:id/replies' && s.attributes['http.response.status_code'] === 201)).toBe(true);

    // SMTP: one server span per message; each ingest stage under it, with statements under the store stage.
    const receive = spans.find((s) => s.name === 'smtp receive');
    expect(receive?.attributes['trustdesk.outcome']).toBe('stored');
    for (const stage of ['parse', 'threats', 'redact', 'store']) {
      const span = spans.find((s) => s.name === `ingest ${stage}`);
      expect(span && ancestors(span)).toContain(receive);
    }
    const store = spans.find((s) => s.name === 'ingest store')!;
    expect(spans.some((s) => s.name === 'INSERT' && ancestors(s).includes(store))).toBe(true);

    // Outbound: the host only; trace context crosses to the receiver; the careless attribute never left.
    const post = spans.find((s) => s.name === 'POST' && s.kind === 3); // CLIENT
    expect(post?.attributes).toEqual({ 'http.request.method': 'POST', 'server.address': '127.0.0.1', 'http.response.status_code': 204 });
    expect(hookHeaders[0]?.traceparent).toMatch(new RegExp(`^00-${post!.traceId}-${post!.spanId}-01$`));
    expect(spans.find((s) => s.name === 'webhook delivery')?.attributes).toEqual({ 'trustdesk.queue': 'webhooks' });

    // No span names a customer, carries an address or any id.
    const customerId = (await services.database.db.selectFrom('tickets').where('id', '=', ticketId).select('requester_id').executeTakeFirstOrThrow()).requester_id!;
    const forbidden = [CUSTOMER.name, 'Ottoline', 'Brandt', CUSTOMER.address, 'customer-mail.example', customerId, ticketId, org.orgId, agent.userId, CARD.replace(/ /g, '')];
    const texts = spans.flatMap((s) => [s.name, ...Object.keys(s.attributes), ...Object.values(s.attributes).map(String)]);
    expect(spans.length).toBeGreaterThan(20);
    for (const text of texts) {
      for (const f of forbidden) expect(text.toLowerCase()).not.toContain(f.toLowerCase());
      expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i);
      expect(text).not.toContain('@');
    }
    expect(spans.every((s) => s.events.length === 0)).toBe(true);
  });

  it('the allowlist drops unknown keys, address- or id-like values, odd names, events and status messages', () => {
    const raw = {
      name: `GET /api/customers/${'0b9f4c1e-6f43-4a8e-9a6e-6a1f2b3c4d5e'}`,
      kind: 1,
      spanContext: () => ({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 }),
      startTime: [0, 0],
      endTime: [0, 1],
      status: { code: 2, message: `no customer ${CUSTOMER.address}` },
      attributes: { 'http.route': '/api/customers/:id', 'server.address': CUSTOMER.address, 'enduser.id': 'u1', 'error.type': 'ECONNREFUSED' },
      links: [],
      events: [{ name: 'exception', attributes: { 'exception.message': CUSTOMER.name }, time: [0, 0] }],
      duration: [0, 1],
      ended: true,
      resource: {},
      instrumentationScope: { name: 'trustdesk' },
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    } as unknown as Parameters<typeof cleanSpan>[0];
    const clean = cleanSpan(raw);
    expect(clean.name).toBe('span');
    expect(clean.attributes).toEqual({ 'http.route': '/api/customers/:id', 'error.type': 'ECONNREFUSED' });
    expect(clean.events).toEqual([]);
    expect(clean.status).toEqual({ code: 2 });
    expect(clean.droppedAttributesCount).toBe(2);
    expect(clean.droppedEventsCount).toBe(1);
  });
});
