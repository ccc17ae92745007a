/**
 * Filtering the audit trail by customer finds list and search reads too: they carry the keyed subject hashes
 * of every customer they showed (details.subjects), never the customer's id or name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { createCustomer } from '../../helpdesk/customers/customers.service.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { createTicket, listTickets } from '../../helpdesk/tickets/tickets.service.js';
import { searchTickets } from '../../helpdesk/search/search.service.js';
import { buildPrincipal, seedOrganization, seedStaff } from '../../helpdesk/tickets/testing.js';
import { listEntries } from './audit-trail.service.js';

describe.each(testDatabaseKinds)('audit entries by customer on %s', (kind) => {
  let s: Services;
  let deps: HelpdeskDeps;

  beforeAll(async () => {
    s = await createTestServices(kind);
    deps = await createHelpdeskDeps(s);
  });
  afterAll(async () => s?.close());

  it('finds the ticket list and the search that showed a customer, and not those that did not', async () => {
    const orgId = await seedOrganization(s.database.db);
    const admin = buildPrincipal({ orgId, userId: await seedStaff(s.database.db, orgId, { role: 'administrator' }), role: 'administrator' });
    const officer = buildPrincipal({ orgId, userId: await seedStaff(s.database.db, orgId, { role: 'security_officer' }), role: 'security_officer' });
    const ctx = { orgId, actor: { type: 'system' as const } };
    const alice = (await createCustomer(deps, ctx, { name: 'Alice Brackenbury', email: 'alice.brackenbury@example.org' })).id;
    const bob = (await createCustomer(deps, ctx, { name: 'Bob Fennimore', email: 'bob.fennimore@example.org' })).id;
    await createTicket(deps, { principal: admin }, { requesterId: alice, subject: 'Parcel lost in transit', body: 'x' });
    await createTicket(deps, { principal: admin }, { requesterId: bob, subject: 'Invoice address', body: 'x' });
    await listTickets(deps, { principal: admin });
    await searchTickets(deps, { principal: admin }, { q: 'parcel' });
    await s.audit.flush();

    const read = { principal: officer, requestId: 'req-1', sourceIp: '127.0.0.1' };
    const forAlice = await listEntries({ database: s.database, audit: s.audit }, read, { customerId: alice, limit: 200 });
    const actions = forAlice.entries.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['ticket.list', 'ticket.search']));
    const search = forAlice.entries.find((e) => e.action === 'ticket.search')!;
    expect((search.details as { subjects: string[] }).subjects).toEqual([s.audit.subject(alice)]);
    expect(JSON.stringify(search)).not.toContain(alice);
    // Bob was in the list but not in the search for "parcel".
    const forBob = (await listEntries({ database: s.database, audit: s.audit }, read, { customerId: bob, limit: 200 })).entries.map((e) => e.action);
    expect(forBob).toContain('ticket.list');
    expect(forBob).not.toContain('ticket.search');
  });
});
