/**
 * Single-ticket edits (priority, tags, team), the view counts and an agent's
 * new ticket for an existing customer or an email address. Visibility is SQL
 * (ticketScope); every change is audited in its transaction.
 */
import { sql } from 'kysely';
import { authorize } from '../../identity/auth/access.js';
import { createCustomer, findCustomerIdsByEmail } from '../customers/customers.service.js';
import { AppError } from '../../platform/errors.js';
import { breachingCondition } from '../sla/breaching.js';
import { actingFromAgent, ticketScope, type AgentContext, type HelpdeskDeps } from './context.js';
import { normalizeTags } from './records.js';
import type { TicketPriority } from './schema.js';
import { applyTicketChanges, checkAssignmentTargets, withAudit } from './ticket-bulk.js';
import { createTicket, loadTicketForAction, presentTicketRows, SUMMARY_COLUMNS, type TicketRow, type TicketSummary } from './tickets.service.js';

export interface TicketEdit {
  priority?: TicketPriority;
  tags?: string[];
  /** Moving a ticket to another team is assignment: it also needs tickets.assign. `null` clears. */
  teamId?: string | null;
}

export async function updateTicket(deps: HelpdeskDeps, ctx: AgentContext, input: { ticketId: string } & TicketEdit): Promise<TicketSummary> {
  const p = ctx.principal;
  if (input.priority === undefined && input.tags === undefined && input.teamId === undefined) throw new AppError('validation_failed', 'Nothing to change.');
  await deps.db.transaction().execute(async (trx) => {
    const t = await loadTicketForAction(trx, ctx, input.ticketId, 'tickets.write');
    const current = await trx.selectFrom('tickets').where('id', '=', t.id).select(['tags', 'team_id']).executeTakeFirstOrThrow();
    const moving = input.teamId !== undefined && input.teamId !== current.team_id;
    if (moving) {
      if (!p.permissions.get('tickets.assign')) throw new AppError('forbidden', 'Moving a ticket to another team needs the permission to assign tickets.');
      authorize(p, 'tickets.assign', { orgId: t.org_id, teamId: t.team_id, assigneeId: t.assignee_id });
      await checkAssignmentTargets(trx, ctx, { teamId: input.teamId ?? null });
    }
    const next = input.tags === undefined ? null : normalizeTags(input.tags);
    const addTags = next ? next.filter((x) => !current.tags.includes(x)) : [];
    const removeTags = next ? current.tags.filter((x) => !next.includes(x)) : [];
    await applyTicketChanges(trx, withAudit(deps, ctx), {
      ticketIds: [t.id],
      changes: {
        ...(input.priority ? { priority: input.priority } : {}),
        ...(moving ? { teamId: input.teamId ?? null } : {}),
        ...(addTags.length ? { addTags } : {}),
        ...(removeTags.length ? { removeTags } : {}),
      },
      action: 'ticket.update',
    });
  });
  const row = (await deps.db.selectFrom('tickets').select(SUMMARY_COLUMNS).where('tickets.id', '=', input.ticketId).executeTakeFirstOrThrow()) as TicketRow;
  const [summary] = await presentTicketRows(deps, [row]);
  return summary as TicketSummary;
}

export interface TicketCounts {
  mine: number;
  my_team: number;
  unassigned: number;
  breaching: number;
}

/** Open work per view (solved and closed tickets are not counted), among the tickets the caller may read. */
export async function countTickets(deps: HelpdeskDeps, ctx: AgentContext): Promise<TicketCounts> {
  const p = ctx.principal;
  const teams = p.teamIds.length ? sql`tickets.team_id IN (${sql.join([...p.teamIds])})` : sql`false`;
  const row = await deps.db
    .selectFrom('tickets')
    .where(ticketScope(p, 'tickets.read'))
    .where('tickets.status', 'not in', ['solved', 'closed'])
    .select((eb) => [
      sql<string>`count(*) FILTER (WHERE tickets.assignee_id = ${p.userId})`.as('mine'),
      sql<string>`count(*) FILTER (WHERE ${teams})`.as('my_team'),
      sql<string>`count(*) FILTER (WHERE tickets.assignee_id IS NULL)`.as('unassigned'),
      eb.fn.countAll<string>().filterWhere(breachingCondition(new Date())).as('breaching'),
    ])
    .executeTakeFirstOrThrow();
  return { mine: Number(row.mine), my_team: Number(row.my_team), unassigned: Number(row.unassigned), breaching: Number(row.breaching) };
}

export interface AgentNewTicket {
  requesterId?: string;
  email?: string;
  name?: string;
  subject: string;
  body: string;
  priority?: TicketPriority;
  teamId?: string | null;
  tags?: string[];
}

/**
 * An agent opens a ticket: for an existing customer (who must be visible to
 * them: organisation-wide customer access, or the requester of a ticket they
 * may read), or for an email address (the customer found by blind index, or
 * created). Later replies go out by email.
 */
export async function createAgentTicket(deps: HelpdeskDeps, ctx: AgentContext, input: AgentNewTicket): Promise<{ id: string; number: number }> {
  const p = ctx.principal;
  if ((input.requesterId === undefined) === (input.email === undefined)) throw new AppError('validation_failed', 'Give exactly one of requesterId or email.');
  let requesterId = input.requesterId;
  if (requesterId) {
    const scope = p.permissions.get('customers.read');
    const visible = scope === 'org'
      ? await deps.db.selectFrom('customers').where('id', '=', requesterId).where('org_id', '=', p.orgId).select('id').executeTakeFirst()
      : await deps.db.selectFrom('tickets').where('requester_id', '=', requesterId).where(ticketScope(p, 'tickets.read')).select('id').limit(1).executeTakeFirst();
    if (!visible) throw new AppError('not_found', 'No such customer.');
  } else {
    const acting = actingFromAgent(ctx);
    const email = (input.email as string).trim();
    requesterId = (await findCustomerIdsByEmail(deps, acting, email))[0];
    requesterId ??= (await createCustomer(deps, acting, { name: input.name?.trim() || email, email })).id;
  }
  return createTicket(deps, ctx, {
    requesterId,
    subject: input.subject,
    body: input.body,
    channel: 'email',
    ...(input.priority ? { priority: input.priority } : {}),
    ...(input.teamId !== undefined ? { teamId: input.teamId } : {}),
    ...(input.tags ? { tags: normalizeTags(input.tags) } : {}),
  });
}
