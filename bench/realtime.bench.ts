/**
 * bench:realtime — how long after an agent's note is answered (HTTP 201) a
 * teammate's console socket hears of it, through the whole path: the note's
 * transaction and its pg_notify, the listener, the hub's one ticket query and
 * authorisation, the socket. Sequential notes on one ticket; prints the note's
 * own HTTP latency beside it. PGlite, and PostgreSQL when TEST_DATABASE_URL is set.
 * BENCH_NOTES (default 200).
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { createTestServices } from '../src/platform/app/testing.js';
import { buildOrg, buildTeam, signIn } from '../src/identity/auth/testing.js';
import { createCustomer } from '../src/helpdesk/customers/customers.service.js';
import { createHelpdeskDeps } from '../src/helpdesk/tickets/context.js';
import { insertTicket } from '../src/helpdesk/tickets/records.js';
import { testDatabaseKinds } from '../src/platform/db/testing.js';
import { buildApp } from '../src/platform/http/app.js';
import { appRoutes } from '../src/platform/http/routes.js';
import { connectSocket } from '../src/platform/realtime/testing.js';

const NOTES = Number(process.env.BENCH_NOTES ?? 200);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

for (const kind of testDatabaseKinds) {
  const services = await createTestServices(kind);
  const app = await buildApp({ services, routes: appRoutes });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const org = await buildOrg(services);
  const team = await buildTeam(services, org);
  const writer = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
  const reader = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
  const deps = await createHelpdeskDeps(services);
  const { id: customerId } = await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Bench Customer', email: 'bench@example.org' });
  const ticket = await deps.db.transaction().execute((trx) => insertTicket(trx, deps, { orgId: org.orgId, subject: 'Bench', channel: 'web', requesterId: customerId, teamId: team }));
  const socket = await connectSocket(`ws://127.0.0.1:${port}/api/realtime`, { cookie: reader.headers.cookie, origin: new URL(services.config.publicUrl).origin });
  await socket.next((m) => m.type === 'ready');
  const http: number[] = [];
  const heard: number[] = [];
  for (let i = 0; i < NOTES; i++) {
    socket.messages.length = 0;
    const heardIt = socket.next((m) => m.type === 'ticket' && m.ticketId === ticket.id);
    const t0 = performance.now();
    const res = await app.inject({ method: 'POST', url: `/api/tickets/${ticket.id}/notes`, headers: writer.headers, payload: { body: `Note ${i}` } });
    const t1 = performance.now();
    if (res.statusCode !== 201) throw new Error(`note answered ${res.statusCode}`);
    await heardIt;
    const t2 = performance.now();
    http.push(t1 - t0);
    heard.push(t2 - t1);
  }
  socket.ws.close();
  await app.close();
  await services.close();
  const f = (x: number) => x.toFixed(2);
  console.log(`${kind}: ${NOTES} notes; note HTTP p50 ${f(pct(http, 50))} ms p99 ${f(pct(http, 99))} ms; heard after the answer p50 ${f(pct(heard, 50))} ms p99 ${f(pct(heard, 99))} ms`);
}
console.log(`load: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (${os.cpus().length} cores)`);
