/**
 * Retention over a generated dataset (decision 0207): a few thousand tickets, quarantined messages, export bundles
 * and customers inserted in bulk with SQL. The dry run's counts equal what an independent reading of the policy
 * over the rows expects and what the run deletes, batch by batch; nothing on legal hold, outside the policy or of
 * another organisation is touched; inactive customers are erased by key destruction with a certificate each.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, type TestOrg } from '../../identity/auth/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { createCustomer } from '../customers/customers.service.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../tickets/context.js';
import { PURGED_REFERENCES } from './purge.js';
import { countRetention, monthsBefore, readRetentionPolicy, type RetentionPolicy } from './retention-policy.js';
import { processRetentionRun, startRetentionRun } from './retention.js';

const AS_OF = new Date('2026-06-15T12:00:00.000Z');
const CHANNELS = ['email', 'chat', 'web', 'portal'];
const STATUSES = ['new', 'open', 'pending', 'solved', 'closed', 'solved'];

describe.each(testDatabaseKinds)('retention on %s', (kind) => {
  let services: Services;
  let deps: HelpdeskDeps;
  let org: TestOrg;
  let other: TestOrg;
  let teams: string[];
  const held = { tickets: [] as string[], customers: [] as string[] };
  let realCustomers: string[];

  /** Tickets i = 1..n of the organisation, with requesters, ages, channels, tags and teams that vary with i. */
  async function generate(orgId: string, n: number, customers: number, teamIds: string[]): Promise<void> {
    const db = services.database.db;
    await sql`INSERT INTO customers (id, org_id, created_at) SELECT gen_random_uuid(), ${orgId}, ${AS_OF}::timestamptz - make_interval(months => 30 + i % 10) FROM generate_series(1, ${customers}) i`.execute(db);
    await sql`WITH c AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM customers WHERE org_id = ${orgId})
      INSERT INTO tickets (id, org_id, number, status, channel, requester_id, team_id, tags, created_at, updated_at, last_message_at, solved_at, closed_at)
      SELECT gen_random_uuid(), ${orgId}, i, (${STATUSES}::text[])[1 + i % 6], (${CHANNELS}::text[])[1 + (i / 7) % 4], c.id, (${teamIds}::uuid[])[1 + i % 2],
        CASE WHEN i % 5 = 0 THEN ARRAY['vip'] ELSE ARRAY[]::text[] END,
        t0, t0, t0,
        CASE WHEN i % 6 IN (3, 5) OR (i % 6 = 4 AND (i / 7) % 3 <> 0) THEN t0 END,
        CASE WHEN i % 6 = 4 THEN t0 + interval '1 day' END
      FROM generate_series(1, ${n}) i
      CROSS JOIN LATERAL (SELECT ${AS_OF}::timestamptz - make_interval(months => i % 30, days => 1 + i % 3) AS t0) a
      JOIN c ON c.k = i % ${customers}`.execute(db);
    await sql`INSERT INTO messages (id, org_id, ticket_id, kind, author_type, customer_id) SELECT gen_random_uuid(), org_id, id, 'inbound_email', 'customer', requester_id FROM tickets WHERE org_id = ${orgId}`.execute(db);
  }

  beforeAll(async () => {
    services = await createTestServices(kind);
    deps = await createHelpdeskDeps(services);
    org = await buildOrg(services);
    other = await buildOrg(services);
    teams = [await buildTeam(services, org), await buildTeam(services, org)];
    await generate(org.orgId, 3000, 400, teams);
    await generate(other.orgId, 300, 40, [await buildTeam(services, other), await buildTeam(services, other)]);
    const db = services.database.db;
    // Customers with no ticket for years: inactive. Two made by the service, with keys and an address.
    await sql`INSERT INTO customers (id, org_id, created_at) SELECT gen_random_uuid(), ${org.orgId}, ${AS_OF}::timestamptz - make_interval(months => 25 + i) FROM generate_series(1, 12) i`.execute(db);
    realCustomers = [];
    for (const name of ['Ada', 'Bo']) {
      const c = await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system', id: 'test' } }, { name, email: `${name.toLowerCase()}@inactive.example` });
      await db.updateTable('customers').set({ created_at: monthsBefore(AS_OF, 40) }).where('id', '=', c.id).execute();
      realCustomers.push(c.id);
    }
    // Quarantined messages, one a day back, under the organisation's key (as the ingest stores them).
    for (let i = 0; i < 60; i++) {
      const id = randomUUID();
      const raw = Buffer.from(`From: Mallory <mallory${i}@evil.example>\r\nSubject: x\r\n\r\nbody\r\n`);
      const raw_enc = await deps.keyring.encrypt({ type: 'organization', id: org.orgId }, { table: 'quarantine', column: 'raw_enc', rowId: id }, raw.toString('base64'));
      await db.insertInto('quarantine').values({ id, org_id: org.orgId, reason: 'phishing', raw_enc, raw_size: raw.length, created_at: new Date(AS_OF.getTime() - i * 86_400_000 - 3_600_000) }).execute();
    }
    // Export bundles of done access requests: created 0..9 days back, expiring 5 days after.
    const someCustomers = (await db.selectFrom('customers').where('org_id', '=', org.orgId).where('merged_into', 'is', null).select('id').orderBy('id').limit(10).execute()).map((c) => c.id);
    for (let i = 0; i < someCustomers.length; i++) {
      const requestId = randomUUID();
      const created = new Date(AS_OF.getTime() - i * 86_400_000 - 60_000);
      await db.insertInto('privacy_requests').values({ id: requestId, org_id: org.orgId, customer_id: someCustomers[i]!, kind: 'access', via: 'cli', status: 'done', verification: 'staff', received_at: created, due_at: created }).execute();
      await db.insertInto('privacy_exports').values({ id: randomUUID(), org_id: org.orgId, request_id: requestId, customer_id: someCustomers[i]!, bundle_enc: randomBytes(64), bundle_size: 64, counts: '{}', link_hash: randomBytes(32), expires_at: new Date(created.getTime() + 5 * 86_400_000), created_at: created }).execute();
    }
    // Legal holds: five tickets the policy would take, one customer with tickets, one inactive customer.
    const eligible = await sql<{ id: string }>`SELECT id FROM tickets WHERE org_id = ${org.orgId} AND status = 'solved' AND channel = 'email' AND solved_at < ${monthsBefore(AS_OF, 13)} ORDER BY id LIMIT 5`.execute(db);
    held.tickets = eligible.rows.map((r) => r.id);
    const withTickets = await sql<{ requester_id: string }>`SELECT requester_id FROM tickets WHERE org_id = ${org.orgId} AND status = 'closed' AND channel = 'chat' AND closed_at < ${monthsBefore(AS_OF, 13)} ORDER BY id LIMIT 1`.execute(db);
    held.customers = [withTickets.rows[0]!.requester_id, realCustomers[1]!];
    for (const [type, ids] of [['ticket', held.tickets], ['customer', held.customers]] as const) {
      for (const id of ids) await db.insertInto('legal_holds').values({ id: randomUUID(), org_id: org.orgId, object_type: type, object_id: id, reason: 'litigation 2026-17' }).execute();
    }
  }, 120_000);
  afterAll(async () => {
    await services?.close();
  });

  const policy: RetentionPolicy = { tickets: { months: 12, channels: ['email', 'chat'], tags: [], teamIds: [] }, quarantineDays: 30, exportDays: 7, inactiveCustomerMonths: 24 };

  /** The policy read independently of its SQL, over every row of the organisation. */
  async function expected(orgId: string) {
    const db = services.database.db;
    const tickets = await db.selectFrom('tickets').where('org_id', '=', orgId).select(['id', 'status', 'channel', 'requester_id', 'solved_at', 'closed_at', 'last_message_at']).execute();
    const cut = monthsBefore(AS_OF, 12).getTime();
    const heldCustomers = new Set(held.customers);
    const heldTickets = new Set(held.tickets);
    const ticketIds = tickets
      .filter((t) => ['solved', 'closed'].includes(t.status) && ['email', 'chat'].includes(t.channel) && (t.solved_at ?? t.closed_at)!.getTime() < cut)
      .filter((t) => !heldTickets.has(t.id) && !heldCustomers.has(t.requester_id!))
      .map((t) => t.id);
    const customers = await db.selectFrom('customers').where('org_id', '=', orgId).select(['id', 'created_at']).execute();
    const ccut = monthsBefore(AS_OF, 24).getTime();
    const byRequester = new Map<string, typeof tickets>();
    for (const t of tickets) byRequester.set(t.requester_id!, [...(byRequester.get(t.requester_id!) ?? []), t]);
    const customerIds = customers
      .filter((c) => c.created_at.getTime() < ccut && !heldCustomers.has(c.id))
      .filter((c) => (byRequester.get(c.id) ?? []).every((t) => ['solved', 'closed'].includes(t.status) && Math.max(t.last_message_at.getTime(), t.solved_at?.getTime() ?? 0, t.closed_at?.getTime() ?? 0) < ccut && !heldTickets.has(t.id)))
      .map((c) => c.id);
    const quarantine = Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM quarantine WHERE org_id = ${orgId} AND created_at < ${new Date(AS_OF.getTime() - 30 * 86_400_000)}`.execute(db)).rows[0]!.n);
    return { ticketIds, customerIds, quarantine };
  }

  it('handles every foreign key into tickets and messages (a new table cannot be forgotten)', async () => {
    const r = await sql<{ ref: string }>`SELECT conrelid::regclass::text || '.' || a.attname AS ref FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
      WHERE c.contype = 'f' AND c.confrelid::regclass::text IN ('tickets', 'messages') ORDER BY 1`.execute(services.database.db);
    expect(r.rows.map((x) => x.ref.replace(/^.*\./, (m) => m)).map((x) => x.split('.').slice(-2).join('.')).sort()).toEqual([...PURGED_REFERENCES].sort());
  });

  it('is off by default: the dry run counts nothing', async () => {
    const { counts } = await countRetention(services.database.db, org.orgId, await readRetentionPolicy(services.database.db, org.orgId), AS_OF);
    expect(counts).toEqual({ tickets: 0, quarantine: 0, exports: 0, customers: 0 });
  });

  it('the dry run counts exactly what the run deletes, and nothing on hold, outside the policy or of another organisation goes', async () => {
    const db = services.database.db;
    await sql`UPDATE organizations SET settings = jsonb_set(settings, '{retention}', ${JSON.stringify(policy)}::jsonb, true) WHERE id = ${org.orgId}`.execute(db);
    const want = await expected(org.orgId);
    const { counts } = await countRetention(db, org.orgId, policy, AS_OF);
    expect(want.ticketIds.length).toBeGreaterThan(300);
    // Exports: expired (created more than 5 days back) or older than 7 days, the held customers' kept.
    expect(counts).toEqual({ tickets: want.ticketIds.length, quarantine: want.quarantine, exports: counts.exports, customers: want.customerIds.length });
    expect(counts.exports).toBeGreaterThan(0);
    expect(counts.customers).toBeGreaterThanOrEqual(13);

    const ticketsBefore = await db.selectFrom('tickets').select(['id', 'org_id']).execute();
    const otherBefore = ticketsBefore.filter((t) => t.org_id === other.orgId).length;
    const run = await startRetentionRun(deps, { orgId: org.orgId, userId: null, via: 'cli', asOf: AS_OF });
    expect(run.planned).toEqual(counts);
    await expect(startRetentionRun(deps, { orgId: org.orgId, userId: null, via: 'cli', asOf: AS_OF })).rejects.toMatchObject({ code: 'conflict' });
    const done = await processRetentionRun(deps, run.id, { batchSize: 250 });
    expect(done).toMatchObject({ status: 'done', deleted: counts, skipped: { tickets: 0, quarantine: 0, exports: 0, customers: 0 }, percent: 100 });
    // The run's finishing audit entry is there (it carries the time spent per kind, for the operator).
    await db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', '=', 'retention.run.finish').select('details').executeTakeFirstOrThrow();

    // Exactly the expected tickets went, with their messages; the rest, the held ones and the other organisation's stayed.
    const after = new Set((await db.selectFrom('tickets').select('id').execute()).map((t) => t.id));
    const gone = ticketsBefore.filter((t) => !after.has(t.id)).map((t) => t.id).sort();
    expect(gone).toEqual([...want.ticketIds].sort());
    for (const id of held.tickets) expect(after.has(id)).toBe(true);
    expect((await db.selectFrom('tickets').where('org_id', '=', other.orgId).select('id').execute()).length).toBe(otherBefore);
    const orphans = await sql<{ n: number }>`SELECT count(*)::int AS n FROM messages m WHERE NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = m.ticket_id)`.execute(db);
    expect(orphans.rows[0]!.n).toBe(0);
    expect((await db.selectFrom('quarantine').where('org_id', '=', org.orgId).select('id').execute()).length).toBe(60 - counts.quarantine);

    // Inactive customers: erased by key destruction, each with a request and a certificate; the held one is whole.
    const keys = await db.selectFrom('data_keys').where('owner_id', 'in', realCustomers).select(['owner_id', 'destroyed_at']).execute();
    expect(keys.filter((k) => k.owner_id === realCustomers[0]).every((k) => k.destroyed_at !== null)).toBe(true);
    expect(keys.filter((k) => k.owner_id === realCustomers[1]).every((k) => k.destroyed_at === null)).toBe(true);
    const requests = await db.selectFrom('privacy_requests').where('org_id', '=', org.orgId).where('via', '=', 'retention').select(['customer_id', 'status', 'certificate']).execute();
    expect(requests.length).toBe(counts.customers);
    expect(requests.every((r) => r.status === 'done' && r.certificate?.verification.method === 'policy')).toBe(true);
    expect(new Set(requests.map((r) => r.customer_id))).toEqual(new Set(want.customerIds));

    // Audited with counts: one entry per batch, their counts adding up.
    const audit = await db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', 'in', ['retention.delete', 'retention.run.start', 'retention.run.finish', 'customer.erase']).select(['action', 'details']).execute();
    const batches = audit.filter((a) => a.action === 'retention.delete').map((a) => a.details as { category: string; deleted: number });
    expect(batches.filter((b) => b.category === 'tickets').reduce((s, b) => s + b.deleted, 0)).toBe(counts.tickets);
    expect(batches.filter((b) => b.category === 'tickets').length).toBe(Math.ceil(counts.tickets / 250));
    expect(audit.filter((a) => a.action === 'customer.erase').length).toBe(counts.customers);
    expect(audit.filter((a) => a.action === 'retention.run.finish').length).toBe(1);

    // Nothing left to do at the same moment.
    expect((await countRetention(db, org.orgId, policy, AS_OF)).counts).toEqual({ tickets: 0, quarantine: 0, exports: 0, customers: 0 });
  }, 120_000);

  it('a ticket reopened and a hold set after the plan are skipped, not deleted', async () => {
    const db = services.database.db;
    const later = new Date(AS_OF.getTime() + 40 * 86_400_000); // 40 days on: more tickets have aged past the cut-off
    const { counts } = await countRetention(db, org.orgId, policy, later);
    expect(counts.tickets).toBeGreaterThan(2);
    const run = await startRetentionRun(deps, { orgId: org.orgId, userId: null, via: 'cli', asOf: later });
    const items = (await db.selectFrom('retention_run_items').where('run_id', '=', run.id).where('category', '=', 'tickets').select('object_id').orderBy('object_id').execute()).map((i) => i.object_id);
    await db.updateTable('tickets').set({ status: 'open', solved_at: null }).where('id', '=', items[0]!).execute();
    await db.insertInto('legal_holds').values({ id: randomUUID(), org_id: org.orgId, object_type: 'ticket', object_id: items[1]!, reason: 'new claim' }).execute();
    const done = await processRetentionRun(deps, run.id, { batchSize: 100 });
    expect(done?.deleted.tickets).toBe(counts.tickets - 2);
    expect(done?.skipped.tickets).toBe(2);
    expect(await db.selectFrom('tickets').where('id', 'in', items.slice(0, 2)).select('id').execute()).toHaveLength(2);
  }, 60_000);
});
