/**
 * bench:api — ticket list and ticket read over real HTTP (autocannon against a
 * listening server on 127.0.0.1), median and p99 latency at fixed request
 * rates, with encryption and auditing as shipped, and the same reads with
 * those layers bypassed, measured in one run. The bypass is a bench-only
 * Fastify instance (same authentication, same SQL visibility, same response
 * shape) that returns plaintext fixtures instead of decrypting and writes no
 * audit events; it is never registered in the product.
 * Runs on PGlite, and on PostgreSQL when TEST_DATABASE_URL is set.
 * BENCH_SECONDS (default 5) per measurement; BENCH_RATES (default 50,100,200); BENCH_CONNECTIONS
 * (default 1: each second's quota sent back to back on one keep-alive connection, no queueing of our own
 * making; 8 shows autocannon's per-second bursts of concurrent requests queueing in the server).
 * Latencies are whole milliseconds (autocannon's resolution), so small overhead percentages are coarse.
 */
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import type { FastifyInstance } from 'fastify';
import { createTestServices } from '../src/platform/app/testing.js';
import { requirePermission } from '../src/identity/auth/access.js';
import { buildOrg, buildTeam, buildUser, signInAs } from '../src/identity/auth/testing.js';
import { createCustomer } from '../src/helpdesk/customers/customers.service.js';
import type { DatabaseKind } from '../src/platform/db/database.js';
import { testDatabaseKinds } from '../src/platform/db/testing.js';
import { buildApp } from '../src/platform/http/app.js';
import { createHelpdeskDeps, ticketScope } from '../src/helpdesk/tickets/context.js';
import { insertMessage, insertTicket } from '../src/helpdesk/tickets/records.js';
import { ticketRoutes } from '../src/helpdesk/tickets/tickets.routes.js';
import { SUMMARY_COLUMNS, type TicketRow } from '../src/helpdesk/tickets/tickets.service.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RATES = (process.env.BENCH_RATES ?? '50,100,200').split(',').map(Number);
const TICKETS = 300;
const MESSAGES_PER_TICKET = 4;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 1);

interface Fixture {
  subject: string;
  bodies: string[];
}

/** The bench-only bypass: identical queries and shapes, plaintext from memory, no decrypt, no audit. */
function plainRoutes(fixtures: Map<string, Fixture>) {
  return async (app: FastifyInstance) => {
    const db = app.services.database.db;
    const summary = (r: TicketRow) => ({
      id: r.id, number: Number(r.number), subject: fixtures.get(r.id)?.subject ?? null, status: r.status, priority: r.priority, channel: r.channel,
      requesterId: r.requester_id, assigneeId: r.assignee_id, teamId: r.team_id, tags: r.tags,
      createdAt: new Date(r.created_at).toISOString(), updatedAt: new Date(r.updated_at).toISOString(), lastMessageAt: new Date(r.last_message_at).toISOString(),
      firstResponseDueAt: r.first_response_due_at ? new Date(r.first_response_due_at).toISOString() : null,
      resolutionDueAt: r.resolution_due_at ? new Date(r.resolution_due_at).toISOString() : null,
      firstResponseAt: r.first_response_at ? new Date(r.first_response_at).toISOString() : null,
    });
    app.get('/api/tickets', { preHandler: requirePermission('tickets.read') }, async (request) => {
      const p = request.principal!;
      const rows = (await db.selectFrom('tickets').select(SUMMARY_COLUMNS).where(ticketScope(p, 'tickets.read')).orderBy('tickets.last_message_at', 'desc').orderBy('tickets.id', 'desc').limit(50).execute()) as TicketRow[];
      return { items: rows.map(summary) };
    });
    app.get<{ Params: { id: string } }>('/api/tickets/:id', { preHandler: requirePermission('tickets.read') }, async (request) => {
      const p = request.principal!;
      const row = (await db.selectFrom('tickets').select(SUMMARY_COLUMNS).where('tickets.id', '=', request.params.id).where(ticketScope(p, 'tickets.read')).executeTakeFirstOrThrow()) as TicketRow;
      const messages = await db.selectFrom('messages').where('ticket_id', '=', row.id).select(['id', 'kind', 'author_type', 'author_user_id', 'auto_submitted', 'redactions', 'threat_score', 'threat_verdict', 'threat_codes', 'delivery_status', 'created_at']).orderBy('created_at').orderBy('id').execute();
      const attachments = messages.length ? await db.selectFrom('attachments').where('message_id', 'in', messages.map((m) => m.id)).select(['id', 'message_id']).execute() : [];
      const bodies = fixtures.get(row.id)?.bodies ?? [];
      return {
        ...summary(row),
        messages: messages.map((m, i) => ({
          id: m.id, kind: m.kind, authorType: m.author_type, authorUserId: m.author_user_id, body: bodies[i] ?? null, autoSubmitted: m.auto_submitted, redactions: m.redactions,
          threat: m.threat_verdict ? { score: m.threat_score ?? 0, verdict: m.threat_verdict, codes: m.threat_codes } : null, deliveryStatus: m.delivery_status,
          attachments: attachments.filter((a) => a.message_id === m.id).map((a) => ({ id: a.id })), createdAt: new Date(m.created_at).toISOString(),
        })),
      };
    });
  };
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

interface Figures {
  /** Mean latency (autocannon keeps it unrounded; the percentiles are whole milliseconds). */
  mean: number;
  p50: number;
  p99: number;
  rps: number;
  errors: number;
}

async function measure(base: string, paths: string[], headers: Record<string, string>, rate: number): Promise<Figures> {
  // The load generator runs in a worker thread so it does not share the server's event loop.
  // autocannon's rate limit lets each connection send its per-second quota back to back, so arrivals come
  // in bursts of up to CONNECTIONS concurrent requests; latencies are recorded as measured (no
  // coordinated-omission back-fill, which with a 1 ms expected interval would add synthetic samples).
  const result = await autocannon({
    url: base,
    connections: CONNECTIONS,
    ignoreCoordinatedOmission: true,
    overallRate: rate,
    duration: SECONDS,
    headers,
    workers: 1,
    requests: paths.map((path) => ({ method: 'GET' as const, path })),
  });
  return { mean: result.latency.average, p50: result.latency.p50, p99: result.latency.p99, rps: result.requests.average, errors: result.non2xx + result.errors + result.timeouts };
}

async function run(kind: DatabaseKind): Promise<void> {
  const s = await createTestServices(kind, { sequencer: true });
  const deps = await createHelpdeskDeps(s);
  const shipped = await buildApp({ services: s, routes: [ticketRoutes] });
  const fixtures = new Map<string, Fixture>();
  const bypass = await buildApp({ services: s, routes: [plainRoutes(fixtures)] });
  try {
    const org = await buildOrg(s);
    const team = await buildTeam(s, org);
    const customers: string[] = [];
    for (let c = 0; c < 30; c++) customers.push((await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: `Customer ${c} Example`, email: `c${c}@example.org` })).id);
    const ids: string[] = [];
    for (let t = 0; t < TICKETS; t++) {
      const customerId = customers[t % customers.length] as string;
      const subject = `Order ${10_000 + t} arrived damaged`;
      const bodies = Array.from({ length: MESSAGES_PER_TICKET }, (_, m) => `Message ${m} about order ${10_000 + t}. `.repeat(20));
      const id = await deps.db.transaction().execute(async (trx) => {
        const ticket = await insertTicket(trx, deps, { orgId: org.orgId, subject, channel: 'web', requesterId: customerId, teamId: team });
        for (const body of bodies) await insertMessage(trx, deps, { orgId: org.orgId, ticketId: ticket.id, kind: 'inbound_email', authorType: 'customer', customerId, body });
        return ticket.id;
      });
      fixtures.set(id, { subject, bodies });
      ids.push(id);
    }
    const user = await buildUser(s, org, { roles: ['agent'], teamIds: [team] });
    const session = await signInAs(shipped, user, { mfa: 'totp' });
    const headers = { cookie: session.headers.cookie };
    const [shippedUrl, bypassUrl] = [await listen(shipped), await listen(bypass)];
    const readPaths = ids.map((id) => `/api/tickets/${id}`);
    // Warm caches (DEKs, prepared plans, JIT) on both.
    await measure(shippedUrl, ['/api/tickets', ...readPaths.slice(0, 50)], headers, 100);
    await measure(bypassUrl, ['/api/tickets', ...readPaths.slice(0, 50)], headers, 100);
    console.log(`\n${kind}: ${TICKETS} tickets × ${MESSAGES_PER_TICKET} messages; agent sees all; ${SECONDS}s per cell; ${CONNECTIONS} connections; ${os.cpus().length} CPUs`);
    console.log('endpoint        rate   shipped p50/p99 ms   bypass p50/p99 ms   overhead p50 / p99   mean shipped/bypass (overhead)   req/s shipped/bypass   errors');
    for (const [name, paths] of [['list (50)', ['/api/tickets']], ['read', readPaths]] as const) {
      for (const rate of RATES) {
        const b = await measure(bypassUrl, [...paths], headers, rate);
        const a = await measure(shippedUrl, [...paths], headers, rate);
        const pct = (x: number, y: number) => `${y > 0 ? (((x - y) / y) * 100).toFixed(0) : 'n/a'}%`;
        console.log(
          `${name.padEnd(14)} ${String(rate).padStart(5)}   ${`${a.p50.toFixed(1)} / ${a.p99.toFixed(1)}`.padStart(18)}   ${`${b.p50.toFixed(1)} / ${b.p99.toFixed(1)}`.padStart(17)}   ${`${pct(a.p50, b.p50)} / ${pct(a.p99, b.p99)}`.padStart(18)}   ${`${a.mean.toFixed(2)} / ${b.mean.toFixed(2)} (${pct(a.mean, b.mean)})`.padStart(30)}   ${`${a.rps.toFixed(0)} / ${b.rps.toFixed(0)}`.padStart(20)}   ${a.errors + b.errors}`,
        );
      }
    }
  } finally {
    await shipped.close();
    await bypass.close();
    await s.close();
  }
}

for (const kind of testDatabaseKinds) await run(kind);
