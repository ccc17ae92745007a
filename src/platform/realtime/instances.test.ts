/**
 * Several instances on one PostgreSQL (only when TEST_DATABASE_URL is set):
 * a change made through instance A reaches a console connected to instance B,
 * and a listener whose connection the server drops reconnects and tells its
 * consoles to resynchronise, then hears later changes again.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { EnvKeyProvider } from '../../protection/crypto/key-provider.js';
import { createCustomer } from '../../helpdesk/customers/customers.service.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { insertTicket } from '../../helpdesk/tickets/records.js';
import { openServices, type Services } from '../app/services.js';
import { randomKekSpec, silentLogger, testConfig, testSchemaCache } from '../app/testing.js';
import { openDatabase } from '../db/database.js';
import { createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../db/testing.js';
import { buildApp } from '../http/app.js';
import { appRoutes } from '../http/routes.js';
import { MemoryMailer } from '../notify/mailer.js';
import { REALTIME_CHANNEL } from './events.js';
import { connectSocket, type Client } from './testing.js';

describe.skipIf(!TEST_DATABASE_URL)('realtime across two instances on one PostgreSQL', () => {
  let database: TestDatabase;
  const instances: Array<{ services: Services; app: FastifyInstance; url: string }> = [];
  let org: TestOrg;
  let ticket: string;
  let lead: SignedIn;
  let agent: SignedIn;
  const open: Client[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const kek = randomKekSpec();
    for (let i = 0; i < 2; i++) {
      // Instance A uses the test database handle; B opens its own pool (and its own listening connection) on the same schema.
      const handle = i === 0 ? database : await openDatabase({ url: TEST_DATABASE_URL, schema: database.schema, poolSize: 4 });
      const services = await openServices({ config: testConfig(), logger: silentLogger, migrate: false, database: handle, provider: new EnvKeyProvider(kek), mailer: new MemoryMailer() });
      const app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address() as { port: number };
      instances.push({ services, app, url: `ws://127.0.0.1:${address.port}/api/realtime` });
    }
    const a = instances[0]!;
    org = await buildOrg(a.services);
    const team = await buildTeam(a.services, org);
    const deps = await createHelpdeskDeps(a.services);
    const { id: customerId } = await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Customer', email: `c-${randomUUID().slice(0, 8)}@example.org` });
    ticket = (await deps.db.transaction().execute((trx) => insertTicket(trx, deps, { orgId: org.orgId, subject: 'Question', channel: 'web', requesterId: customerId, teamId: team }))).id;
    lead = await signIn(a.app, org, { roles: ['supervisor'], teamIds: [team] });
    agent = await signIn(a.app, org, { roles: ['agent'], teamIds: [team] });
  });
  afterAll(async () => {
    for (const c of open) c.ws.terminate();
    // B first: closing A's services closes the test database, which drops the schema.
    for (const { app, services } of [...instances].reverse()) {
      await app.close();
      await services.close();
    }
  });

  const connectTo = async (i: number) => {
    const { url, services } = instances[i]!;
    const c = await connectSocket(url, { cookie: agent.headers.cookie, origin: new URL(services.config.publicUrl).origin });
    open.push(c);
    await c.next((m) => m.type === 'ready');
    return c;
  };

  it('a reply made through instance A reaches a console connected to instance B', async () => {
    const b = await connectTo(1);
    const res = await instances[0]!.app.inject({ method: 'POST', url: `/api/tickets/${ticket}/replies`, headers: lead.headers, payload: { body: 'From A.' } });
    expect(res.statusCode).toBe(201);
    await b.next((m) => m.type === 'ticket' && m.ticketId === ticket);
  });

  it('after the listening connection is dropped, consoles are told to resync and hear later changes', async () => {
    const b = await connectTo(1);
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      const name = (await admin.query<{ name: string }>(`SET search_path = "${database.schema!}"; SELECT '${REALTIME_CHANNEL}' || '_' || left(md5(current_schema()), 12) AS name`)) as unknown as Array<pg.QueryResult<{ name: string }>>;
      const channel = name[1]!.rows[0]!.name;
      const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'trustdesk-listen' AND query LIKE $1`, [`%${channel}%`]);
      // B's listener (A listens only once a console connects to it).
      expect(killed.rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    await b.next((m) => m.type === 'resync', 10_000);
    const res = await instances[0]!.app.inject({ method: 'POST', url: `/api/tickets/${ticket}/notes`, headers: lead.headers, payload: { body: 'After the outage.' } });
    expect(res.statusCode).toBe(201);
    await b.next((m) => m.type === 'ticket' && m.ticketId === ticket, 10_000);
  });
});
