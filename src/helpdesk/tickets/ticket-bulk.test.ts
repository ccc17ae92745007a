import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { createCustomer } from '../customers/customers.service.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { searchTickets } from '../search/search.service.js';
import { createHelpdeskDeps, type HelpdeskDeps } from './context.js';
import { bulkUpdateTickets } from './ticket-bulk.js';
import { mergeTickets, splitTicket } from './ticket-merge.js';
import { addInternalNote } from './ticket-actions.js';
import { createTicket, readTicket } from './tickets.service.js';
import { buildPrincipal, seedOrganization, seedStaff, seedTeam } from './testing.js';

describe.each(testDatabaseKinds)('merge, split and bulk actions on %s', (kind) => {
  let s: Services;
  let deps: HelpdeskDeps;
  let orgId: string;
  let teamA: string;
  let teamB: string;
  let leadA: ReturnType<typeof buildPrincipal>;
  let agentA: ReturnType<typeof buildPrincipal>;
  let admin: ReturnType<typeof buildPrincipal>;
  let customerId: string;

  beforeAll(async () => {
    s = await createTestServices(kind);
    deps = await createHelpdeskDeps(s);
    orgId = await seedOrganization(s.database.db);
    teamA = await seedTeam(s.database.db, orgId, 'A');
    teamB = await seedTeam(s.database.db, orgId, 'B');
    leadA = buildPrincipal({ orgId, userId: await seedStaff(s.database.db, orgId, { teamIds: [teamA] }), role: 'supervisor', teamIds: [teamA] });
    agentA = buildPrincipal({ orgId, userId: await seedStaff(s.database.db, orgId, { teamIds: [teamA] }), role: 'agent', teamIds: [teamA] });
    admin = buildPrincipal({ orgId, userId: await seedStaff(s.database.db, orgId), role: 'administrator' });
    customerId = (await createCustomer(deps, { orgId, actor: { type: 'system' } }, { name: 'Perpetua Vane', email: 'perpetua@example.org' })).id;
  });
  afterAll(async () => s?.close());

  const mk = (teamId: string, subject: string, body = 'first message') => createTicket(deps, { principal: admin }, { requesterId: customerId, subject, body, teamId, tags: ['t-' + subject.slice(0, 3).toLowerCase()] });
  const auditFor = async (id: string) => {
    await s.audit.flush();
    return (await s.database.db.selectFrom('audit_log').where('object_id', '=', id).select('action').orderBy('seq').execute()).map((a) => a.action);
  };

  it('bulk: changes status, tags and assignment on tickets in scope, audited per ticket', async () => {
    const a1 = await mk(teamA, 'one');
    const a2 = await mk(teamA, 'two');
    // Not to someone whose roles do not work tickets: the whole batch is refused.
    const auditor = await seedStaff(s.database.db, orgId, { teamIds: [teamA], role: 'auditor' });
    await expect(bulkUpdateTickets(deps, { principal: leadA }, { ticketIds: [a1.id, a2.id], assigneeId: auditor })).rejects.toMatchObject({ code: 'conflict' });
    await bulkUpdateTickets(deps, { principal: leadA }, { ticketIds: [a1.id, a2.id], status: 'pending', addTags: ['VIP', 'x'], removeTags: ['t-one'], assigneeId: agentA.userId, priority: 'high' });
    const rows = await s.database.db.selectFrom('tickets').where('id', 'in', [a1.id, a2.id]).select(['id', 'status', 'tags', 'assignee_id', 'priority']).orderBy('number').execute();
    expect(rows.map((r) => r.status)).toEqual(['pending', 'pending']);
    expect(rows[0]?.tags).toEqual(['vip', 'x']);
    expect(rows[1]?.tags).toEqual(['t-two', 'vip', 'x']);
    expect(rows.every((r) => r.assignee_id === agentA.userId && r.priority === 'high')).toBe(true);
    expect(await auditFor(a1.id)).toEqual(['ticket.create', 'ticket.bulk.update']);
  });

  it('bulk: refuses the whole batch when one ticket is outside scope, and a role without tickets.bulk', async () => {
    const a = await mk(teamA, 'mine');
    const b = await mk(teamB, 'theirs');
    await expect(bulkUpdateTickets(deps, { principal: leadA }, { ticketIds: [a.id, b.id], status: 'solved' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(bulkUpdateTickets(deps, { principal: agentA }, { ticketIds: [a.id], status: 'solved' })).rejects.toMatchObject({ code: 'not_found' });
    const other = buildPrincipal({ orgId: await seedOrganization(s.database.db, 'Other'), role: 'administrator' });
    await expect(bulkUpdateTickets(deps, { principal: other }, { ticketIds: [a.id], status: 'solved' })).rejects.toMatchObject({ code: 'not_found' });
    const rows = await s.database.db.selectFrom('tickets').where('id', 'in', [a.id, b.id]).select('status').execute();
    expect(rows.every((r) => r.status === 'new')).toBe(true);
    // A disallowed transition refuses everything too.
    await bulkUpdateTickets(deps, { principal: leadA }, { ticketIds: [a.id], status: 'closed' });
    const c = await mk(teamA, 'open one');
    await expect(bulkUpdateTickets(deps, { principal: leadA }, { ticketIds: [a.id, c.id], status: 'open' })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('merge moves messages and search tokens, closes the source pointing at the target, audits both', async () => {
    const target = await mk(teamA, 'Target', 'target body');
    const source = await mk(teamA, 'Source', 'source body mentions walrus');
    await addInternalNote(deps, { principal: leadA }, { ticketId: source.id, body: 'note on source' });
    await expect(mergeTickets(deps, { principal: agentA }, { targetId: target.id, sourceIds: [source.id] })).rejects.toMatchObject({ code: 'not_found' });
    const outside = await mk(teamB, 'Outside');
    await expect(mergeTickets(deps, { principal: leadA }, { targetId: target.id, sourceIds: [outside.id] })).rejects.toMatchObject({ code: 'not_found' });
    await mergeTickets(deps, { principal: leadA }, { targetId: target.id, sourceIds: [source.id] });
    const detail = await readTicket(deps, { principal: leadA }, { ticketId: target.id });
    expect(detail.messages.map((m) => m.body)).toEqual(['target body', 'source body mentions walrus', 'note on source']);
    expect(detail.tags).toEqual(['t-tar', 't-sou']);
    const src = await s.database.db.selectFrom('tickets').where('id', '=', source.id).select(['status', 'merged_into_id']).executeTakeFirstOrThrow();
    expect(src).toEqual({ status: 'closed', merged_into_id: target.id });
    expect((await searchTickets(deps, { principal: leadA }, { q: 'walrus' })).map((t) => t.id)).toEqual([target.id]);
    expect(await auditFor(source.id)).toEqual(['ticket.create', 'ticket.note', 'ticket.merge']);
    expect(await auditFor(target.id)).toContain('ticket.merge');
    await expect(mergeTickets(deps, { principal: leadA }, { targetId: target.id, sourceIds: [source.id] })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('split moves chosen messages to a new ticket linked to the original, keeping at least one behind', async () => {
    const t = await mk(teamA, 'Two issues', 'issue one');
    const { messageId } = await addInternalNote(deps, { principal: leadA }, { ticketId: t.id, body: 'second issue: narwhal' });
    const all = await s.database.db.selectFrom('messages').where('ticket_id', '=', t.id).select('id').execute();
    await expect(splitTicket(deps, { principal: leadA }, { ticketId: t.id, messageIds: all.map((m) => m.id), subject: 'x' })).rejects.toMatchObject({ code: 'conflict' });
    const created = await splitTicket(deps, { principal: leadA }, { ticketId: t.id, messageIds: [messageId], subject: 'Second issue' });
    const moved = await readTicket(deps, { principal: leadA }, { ticketId: created.id });
    expect(moved.subject).toBe('Second issue');
    expect(moved.messages.map((m) => m.body)).toEqual(['second issue: narwhal']);
    expect((await readTicket(deps, { principal: leadA }, { ticketId: t.id })).messages.map((m) => m.body)).toEqual(['issue one']);
    expect((await searchTickets(deps, { principal: leadA }, { q: 'narwhal' })).map((x) => x.id)).toEqual([created.id]);
    const row = await s.database.db.selectFrom('tickets').where('id', '=', created.id).select(['split_from_id', 'team_id']).executeTakeFirstOrThrow();
    expect(row).toEqual({ split_from_id: t.id, team_id: teamA });
    expect(await auditFor(t.id)).toContain('ticket.split');
    expect(await auditFor(created.id)).toContain('ticket.split');
  });
});
