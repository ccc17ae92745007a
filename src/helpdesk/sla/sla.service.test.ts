import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { createCustomer } from '../customers/customers.service.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../tickets/context.js';
import { replyToTicket } from '../tickets/ticket-actions.js';
import { createTicket, listTickets, readTicket } from '../tickets/tickets.service.js';
import { buildPrincipal, seedOrganization, seedStaff } from '../tickets/testing.js';
import { addBusinessMinutes } from './business-time.js';
import { applySlaToTicket, listSlaPolicies, saveSlaPolicy } from './sla.service.js';

describe.each(testDatabaseKinds)('SLA policies on %s', (kind) => {
  let s: Services;
  let deps: HelpdeskDeps;
  let orgId: string;
  let admin: ReturnType<typeof buildPrincipal>;
  let customerId: string;
  const hours = { weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' };

  beforeAll(async () => {
    s = await createTestServices(kind);
    deps = await createHelpdeskDeps(s);
    orgId = await seedOrganization(s.database.db);
    admin = buildPrincipal({ orgId, userId: await seedStaff(s.database.db, orgId), role: 'administrator' });
    customerId = (await createCustomer(deps, { orgId, actor: { type: 'system' } }, { name: 'Cosmo Ridley', email: 'cosmo@example.org' })).id;
  });
  afterAll(async () => s?.close());

  it('validates policies and keeps one active per organisation', async () => {
    await expect(saveSlaPolicy(deps, { principal: admin }, { name: 'x', timeZone: 'Mars/Olympus', businessHours: hours, targets: {} })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(saveSlaPolicy(deps, { principal: admin }, { name: 'x', timeZone: 'UTC', businessHours: { ...hours, start: '18:00' }, targets: {} })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(saveSlaPolicy(deps, { principal: admin }, { name: 'x', timeZone: 'UTC', businessHours: hours, targets: { normal: { firstResponseMinutes: 0, resolutionMinutes: 5 } } })).rejects.toMatchObject({ code: 'validation_failed' });
    await saveSlaPolicy(deps, { principal: admin }, { name: 'Old', timeZone: 'UTC', businessHours: hours, targets: { normal: { firstResponseMinutes: 10, resolutionMinutes: 20 } } });
    await saveSlaPolicy(deps, { principal: admin }, { name: 'Standard', timeZone: 'Europe/London', businessHours: hours, holidays: ['2025-12-25'], targets: { normal: { firstResponseMinutes: 240, resolutionMinutes: 2400 }, urgent: { firstResponseMinutes: 30, resolutionMinutes: 240 } } });
    const all = await listSlaPolicies(deps, { principal: admin });
    expect(all.filter((p) => p.active).map((p) => p.name)).toEqual(['Standard']);
  });

  it('stores due times in business time when a ticket is created, and lists breaching tickets', async () => {
    const t = await createTicket(deps, { principal: admin }, { requesterId: customerId, subject: 'Where is my order', body: 'x', priority: 'urgent' });
    const row = await s.database.db.selectFrom('tickets').where('id', '=', t.id).select(['created_at', 'first_response_due_at', 'resolution_due_at', 'sla_policy_id']).executeTakeFirstOrThrow();
    const cal = { timeZone: 'Europe/London', hours, holidays: ['2025-12-25'] };
    const expectedFirst = addBusinessMinutes(new Date(row.created_at), 30, cal).getTime();
    expect(Math.abs(new Date(row.first_response_due_at as Date).getTime() - expectedFirst)).toBeLessThan(5_000);
    expect(row.sla_policy_id).not.toBeNull();
    // Opened a week ago: both targets are long past.
    await s.database.db.transaction().execute((trx) => applySlaToTicket(trx, { orgId, ticketId: t.id, priority: 'urgent', openedAt: new Date(Date.now() - 8 * 86_400_000) }));
    const fresh = await createTicket(deps, { principal: admin }, { requesterId: customerId, subject: 'Fresh', body: 'x', priority: 'low' });
    const breaching = (await listTickets(deps, { principal: admin }, { view: 'breaching' })).map((x) => x.id);
    expect(breaching).toContain(t.id);
    expect(breaching).not.toContain(fresh.id);
    const detail = await readTicket(deps, { principal: admin }, { ticketId: t.id });
    expect(detail.firstResponseDueAt).not.toBeNull();
    // A public reply meets the first response; the resolution target still breaches until solved.
    await replyToTicket(deps, { principal: admin }, { ticketId: t.id, body: 'On it', status: 'solved' });
    expect((await listTickets(deps, { principal: admin }, { view: 'breaching' })).map((x) => x.id)).not.toContain(t.id);
  });
});
