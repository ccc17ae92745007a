import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { loadMigrations, migrateToLatest } from '../../platform/db/migrate.js';
import { createTestDatabase, testDatabaseKinds } from '../../platform/db/testing.js';
import { createCustomer } from '../customers/customers.service.js';
import { createHelpdeskDeps, type HelpdeskDeps } from './context.js';
import { createTicket } from './tickets.service.js';
import { buildPrincipal, seedOrganization, seedStaff } from './testing.js';

describe.each(testDatabaseKinds)('ticket numbers per organisation on %s', (kind) => {
  let s: Services;
  let deps: HelpdeskDeps;

  beforeAll(async () => {
    s = await createTestServices(kind);
    deps = await createHelpdeskDeps(s);
  });
  afterAll(async () => s?.close());

  async function adminOf(orgId: string) {
    return buildPrincipal({ orgId, userId: await seedStaff(s.database.db, orgId, { role: 'administrator' }), role: 'administrator' });
  }
  async function customerOf(orgId: string) {
    return (await createCustomer(deps, { orgId, actor: { type: 'system' } }, { name: 'Ada Pell', email: `ada.${randomUUID().slice(0, 6)}@example.org` })).id;
  }

  it('starts every organisation at #1, whatever the others have done', async () => {
    const a = await adminOf(await seedOrganization(s.database.db, 'First'));
    const b = await adminOf(await seedOrganization(s.database.db, 'Second'));
    const ca = await customerOf(a.orgId);
    const cb = await customerOf(b.orgId);
    const a1 = await createTicket(deps, { principal: a }, { requesterId: ca, subject: 'One', body: 'x' });
    const a2 = await createTicket(deps, { principal: a }, { requesterId: ca, subject: 'Two', body: 'x' });
    const b1 = await createTicket(deps, { principal: b }, { requesterId: cb, subject: 'Other one', body: 'x' });
    expect([a1.number, a2.number, b1.number]).toEqual([1, 2, 1]);
  });

  it('gives parallel tickets of one organisation distinct, dense numbers', async () => {
    const a = await adminOf(await seedOrganization(s.database.db, 'Busy'));
    const c = await customerOf(a.orgId);
    const created = await Promise.all(Array.from({ length: 12 }, (_, i) => createTicket(deps, { principal: a }, { requesterId: c, subject: `Parallel ${i}`, body: 'x' })));
    expect(created.map((t) => t.number).sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('refuses a second ticket with the same number in one organisation', async () => {
    const orgId = await seedOrganization(s.database.db, 'Unique');
    const a = await adminOf(orgId);
    const t = await createTicket(deps, { principal: a }, { requesterId: await customerOf(orgId), subject: 'First', body: 'x' });
    await expect(
      s.database.db.insertInto('tickets').values({ id: randomUUID(), org_id: orgId, number: t.number, channel: 'api', requester_id: null, assignee_id: null, team_id: null, mailbox_id: null, custom_fields_enc: null, reply_token_hash: null, subject_enc: null }).execute(),
    ).rejects.toThrow();
  });
});

describe.each(testDatabaseKinds)('migration 0012 on %s', (kind) => {
  it('keeps existing ticket numbers and continues each organisation after its highest', async () => {
    const db = await createTestDatabase(kind, { migrate: false });
    try {
      const all = loadMigrations();
      await migrateToLatest(db.scripts, all.filter((m) => m.name < '0012'));
      const [orgA, orgB] = [randomUUID(), randomUUID()];
      await db.db.insertInto('organizations').values([{ id: orgA, name: 'A' }, { id: orgB, name: 'B' }]).execute();
      // Before 0012 the numbers came from one shared sequence: A has 1 and 3, B has 2.
      const old = [
        { id: randomUUID(), org: orgA },
        { id: randomUUID(), org: orgB },
        { id: randomUUID(), org: orgA },
      ];
      for (const t of old) await db.scripts.withSession((run) => run(`INSERT INTO tickets (id, org_id, channel) VALUES ('${t.id}', '${t.org}', 'api')`));
      await migrateToLatest(db.scripts, all);
      const kept = await db.db.selectFrom('tickets').select(['id', 'number']).execute();
      expect(Object.fromEntries(kept.map((r) => [r.id, Number(r.number)]))).toEqual({ [old[0]!.id]: 1, [old[1]!.id]: 2, [old[2]!.id]: 3 });
      const counters = await db.db.selectFrom('ticket_counters').select(['org_id', 'last_number']).execute();
      expect(Object.fromEntries(counters.map((r) => [r.org_id, Number(r.last_number)]))).toEqual({ [orgA]: 3, [orgB]: 2 });
    } finally {
      await db.close();
    }
  });
});
