import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../platform/errors.js';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { createCustomer } from '../customers/customers.service.js';
import { dumpAllTables, dumpContains } from '../../platform/db/dump.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { createHelpdeskDeps, type HelpdeskDeps } from './context.js';
import { addInternalNote, assignTicket, changeTicketStatus, replyToTicket } from './ticket-actions.js';
import { createTicket, listTickets, readTicket } from './tickets.service.js';
import { buildPrincipal, seedOrganization, seedStaff, seedTeam } from './testing.js';

describe.each(testDatabaseKinds)('tickets on %s', (kind) => {
  let s: Services;
  let deps: HelpdeskDeps;
  let orgId: string;
  let teamA: string;
  let teamB: string;
  let agentA: ReturnType<typeof buildPrincipal>;
  let agentB: ReturnType<typeof buildPrincipal>;
  let admin: ReturnType<typeof buildPrincipal>;
  let lead: ReturnType<typeof buildPrincipal>;
  let customerId: string;

  beforeAll(async () => {
    s = await createTestServices(kind);
    deps = await createHelpdeskDeps(s);
    orgId = await seedOrganization(s.database.db);
    teamA = await seedTeam(s.database.db, orgId, 'A');
    teamB = await seedTeam(s.database.db, orgId, 'B');
    const ua = await seedStaff(s.database.db, orgId, { teamIds: [teamA] });
    const ub = await seedStaff(s.database.db, orgId, { teamIds: [teamB] });
    agentA = buildPrincipal({ orgId, userId: ua, role: 'agent', teamIds: [teamA] });
    agentB = buildPrincipal({ orgId, userId: ub, role: 'agent', teamIds: [teamB] });
    admin = buildPrincipal({ orgId, userId: await seedStaff(s.database.db, orgId), role: 'administrator' });
    lead = buildPrincipal({ orgId, userId: await seedStaff(s.database.db, orgId, { teamIds: [teamA] }), role: 'supervisor', teamIds: [teamA] });
    customerId = (await createCustomer(deps, { orgId, actor: { type: 'system' } }, { name: 'Philippa Quenby', email: 'philippa.quenby@example.org' })).id;
  });
  afterAll(async () => s?.close());

  it('creates, reads and lists with team visibility computed in SQL', async () => {
    const t = await createTicket(deps, { principal: agentA }, { requesterId: customerId, subject: 'Refund for order 7781', body: 'Customer phoned about a refund.', teamId: teamA, tags: ['Refund', 'phone call'] });
    expect(t.number).toBeGreaterThan(0);
    const detail = await readTicket(deps, { principal: agentA }, { ticketId: t.id });
    expect(detail.subject).toBe('Refund for order 7781');
    expect(detail.tags).toEqual(['refund', 'phone-call']);
    expect(detail.messages).toHaveLength(1);
    // Agent B (other team) neither lists nor reads it; the refusal looks like not-found.
    expect((await listTickets(deps, { principal: agentB })).map((x) => x.id)).not.toContain(t.id);
    await expect(readTicket(deps, { principal: agentB }, { ticketId: t.id })).rejects.toMatchObject({ code: 'not_found' });
    expect((await listTickets(deps, { principal: agentA })).map((x) => x.id)).toContain(t.id);
    expect((await listTickets(deps, { principal: admin }, { view: 'unassigned' })).map((x) => x.id)).toContain(t.id);
    expect((await listTickets(deps, { principal: admin }, { view: 'mine' })).map((x) => x.id)).not.toContain(t.id);
    expect((await listTickets(deps, { principal: agentA }, { view: 'my_team' })).map((x) => x.id)).toContain(t.id);
    expect((await listTickets(deps, { principal: agentA }, { tag: 'refund' })).map((x) => x.id)).toContain(t.id);
  });

  it('decrypts and returns nothing of a ticket or a list whose read could not be recorded', async () => {
    const t = await createTicket(deps, { principal: agentA }, { requesterId: customerId, subject: 'Unrecorded read', body: 'Nobody may see this unrecorded.', teamId: teamA });
    const decrypted: string[] = [];
    const watched: HelpdeskDeps = {
      ...deps,
      keyring: Object.assign(Object.create(Object.getPrototypeOf(deps.keyring) as object) as typeof deps.keyring, deps.keyring, {
        decrypt: (ctx: { table: string; column: string }, ...rest: unknown[]) => {
          decrypted.push(`${ctx.table}.${ctx.column}`);
          return (deps.keyring.decrypt as (...a: unknown[]) => Promise<string>).call(deps.keyring, ctx, ...rest);
        },
      }),
      // The audit trail refuses the entry (its database away): the read must fail with it.
      audit: Object.assign(Object.create(Object.getPrototypeOf(deps.audit) as object) as typeof deps.audit, deps.audit, {
        record: async () => {
          await new Promise((r) => setTimeout(r, 20)); // the other queries finish first
          throw new AppError('audit_unavailable', 'The action could not be recorded, so it was not performed.');
        },
      }),
    };
    await expect(readTicket(watched, { principal: agentA }, { ticketId: t.id })).rejects.toMatchObject({ code: 'audit_unavailable' });
    await expect(listTickets(watched, { principal: agentA })).rejects.toMatchObject({ code: 'audit_unavailable' });
    // The requester's name may be decrypted to be masked, but no subject, body or file name.
    expect(decrypted.filter((f) => f !== 'customers.name_enc')).toEqual([]);
  });

  it('redacts card numbers in replies and notes before storing; a full number is nowhere in the database', async () => {
    const t = await createTicket(deps, { principal: agentA }, { requesterId: customerId, subject: 'Card 4111 1111 1111 1111 declined', body: 'Called in', teamId: teamA });
    await replyToTicket(deps, { principal: agentA }, { ticketId: t.id, body: 'We saw card 4111111111111111 on file.' });
    await addInternalNote(deps, { principal: agentA }, { ticketId: t.id, body: 'Customer read out 5500 0000 0000 0004 cvv 123' });
    const detail = await readTicket(deps, { principal: agentA }, { ticketId: t.id });
    expect(detail.subject).toMatch(/4111 11\*\* \*\*\*\* 1111/);
    const texts = detail.messages.map((m) => m.body ?? '').join('\n');
    expect(texts).not.toMatch(/4111111111111111|5500 0000 0000 0004/);
    expect(detail.messages.some((m) => m.redactions.some((r) => r.type === 'payment_card'))).toBe(true);
    await s.audit.flush();
    const dump = await dumpAllTables(s.database.db);
    for (const pan of ['4111111111111111', '4111 1111 1111 1111', '5500 0000 0000 0004', '5500000000000004']) expect(dumpContains(dump, pan)).toBe(false);
    expect(dumpContains(dump, 'Philippa')).toBe(false);
    expect(dumpContains(dump, 'Customer read out')).toBe(false);
  });

  it('assigns within scope, moves status along allowed transitions, and audits each change', async () => {
    const t = await createTicket(deps, { principal: agentA }, { requesterId: customerId, subject: 'Address change', body: 'x', teamId: teamA });
    // An agent lacks tickets.assign; a team lead has it for their team only.
    await expect(assignTicket(deps, { principal: agentA }, { ticketId: t.id, assigneeId: agentA.userId })).rejects.toMatchObject({ code: 'not_found' });
    await expect(assignTicket(deps, { principal: lead }, { ticketId: t.id, teamId: teamB })).rejects.toMatchObject({ code: 'forbidden' });
    await assignTicket(deps, { principal: lead }, { ticketId: t.id, assigneeId: agentA.userId });
    expect((await listTickets(deps, { principal: agentA }, { view: 'mine' })).map((x) => x.id)).toContain(t.id);
    await changeTicketStatus(deps, { principal: agentA }, { ticketId: t.id, status: 'solved' });
    await changeTicketStatus(deps, { principal: agentA }, { ticketId: t.id, status: 'closed' });
    await expect(changeTicketStatus(deps, { principal: agentA }, { ticketId: t.id, status: 'open' })).rejects.toMatchObject({ code: 'conflict' });
    await s.audit.flush();
    const actions = await s.database.db.selectFrom('audit_log').where('object_id', '=', t.id).select('action').orderBy('seq').execute();
    expect(actions.map((a) => a.action)).toEqual(['ticket.create', 'ticket.assign', 'ticket.status.change', 'ticket.status.change']);
  });

  it('an own-scoped view: an agent without a team sees only what is assigned to them', async () => {
    const loner = buildPrincipal({ orgId, userId: await seedStaff(s.database.db, orgId), role: 'agent', teamIds: [] });
    const visible = await listTickets(deps, { principal: loner });
    expect(visible.every((x) => x.assigneeId === loner.userId)).toBe(true);
    const other = buildPrincipal({ orgId: await seedOrganization(s.database.db, 'Other'), role: 'administrator' });
    expect(await listTickets(deps, { principal: other })).toEqual([]);
  });
});
