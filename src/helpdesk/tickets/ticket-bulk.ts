/**
 * Bulk actions: status, priority, assignment and tags on up to 100 tickets at
 * once. Which tickets the caller may change is computed in SQL from the same
 * scopes as single actions (tickets.bulk and tickets.write, plus
 * tickets.assign when assigning); if any requested ticket is outside them the
 * whole batch is refused and nothing changes. The change, one audit event
 * per ticket and the webhook events commit in one transaction.
 */
import { notifyAssignmentChange } from '../notifications/notify.js';
import { sql } from 'kysely';
import { sendCsatSurveys } from '../csat/csat.service.js';
import { AppError } from '../../platform/errors.js';
import { MAX_BULK_TICKETS } from '../../platform/http/schemas/tickets.js';
import { applySlaToTicket } from '../sla/sla.service.js';
import { enqueueWebhookEvent } from '../../platform/webhooks/events.js';
import { actingFromAgent, ticketScope, type AgentContext, type HelpdeskDeps } from './context.js';
import { normalizeTags } from './records.js';
import type { TicketPriority, TicketStatus } from './schema.js';
import { ALLOWED_STATUS_CHANGES, checkWorksTickets } from './ticket-actions.js';
import type { Executor } from '../../protection/crypto/keyring.js';

export { MAX_BULK_TICKETS };

export interface TicketChanges {
  status?: TicketStatus;
  priority?: TicketPriority;
  /** `null` clears; absent leaves as is. */
  assigneeId?: string | null;
  teamId?: string | null;
  addTags?: string[];
  removeTags?: string[];
}

export interface BulkInput extends TicketChanges {
  ticketIds: string[];
}

/** Checks that an assignee and team exist in the organisation, that the assignee works tickets, and that a team-scoped lead assigns within their teams. */
export async function checkAssignmentTargets(trx: Executor, ctx: AgentContext, changes: TicketChanges): Promise<void> {
  const p = ctx.principal;
  if (changes.teamId) {
    const team = await trx.selectFrom('teams').where('id', '=', changes.teamId).where('org_id', '=', p.orgId).select('id').executeTakeFirst();
    if (!team) throw new AppError('not_found', 'No such team.');
    if (p.permissions.get('tickets.assign') !== 'org' && !p.teamIds.includes(changes.teamId)) throw new AppError('forbidden', 'You can only assign to your own teams.');
  }
  if (changes.assigneeId) {
    const user = await trx.selectFrom('users').where('id', '=', changes.assigneeId).where('org_id', '=', p.orgId).where('status', '=', 'active').select('id').executeTakeFirst();
    if (!user) throw new AppError('not_found', 'No such active user.');
    await checkWorksTickets(trx, p.orgId, changes.assigneeId);
  }
}

/**
 * Applies changes to tickets already authorised by the caller (ids locked
 * FOR UPDATE in `trx`). Tags are merged in SQL; status times follow the status.
 */
export async function applyTicketChanges(trx: Executor, ctx: AuditingContext, input: { ticketIds: string[]; changes: TicketChanges; action: string }): Promise<void> {
  const c = input.changes;
  const add = normalizeTags(c.addTags ?? []);
  const remove = normalizeTags(c.removeTags ?? []);
  const rows = await trx.selectFrom('tickets').where('id', 'in', input.ticketIds).select(['id', 'status', 'priority', 'requester_id', 'created_at', 'assignee_id', 'team_id']).execute();
  if (c.status) {
    const refused = rows.filter((r) => r.status !== c.status && !ALLOWED_STATUS_CHANGES[r.status].includes(c.status as TicketStatus));
    if (refused.length) throw new AppError('conflict', `${refused.length} of the tickets cannot become ${c.status}.`, { extra: { ticketIds: refused.map((r) => r.id) } });
  }
  const now = new Date();
  await trx
    .updateTable('tickets')
    .set((eb) => ({
      updated_at: now,
      ...(c.status ? { status: c.status, solved_at: c.status === 'solved' ? now : c.status === 'closed' ? eb.ref('solved_at') : null, closed_at: c.status === 'closed' ? now : eb.ref('closed_at') } : {}),
      ...(c.priority ? { priority: c.priority } : {}),
      ...(c.assigneeId !== undefined ? { assignee_id: c.assigneeId } : {}),
      ...(c.teamId !== undefined ? { team_id: c.teamId } : {}),
      ...(add.length || remove.length
        ? { tags: sql<string[]>`ARRAY(SELECT u.t FROM unnest(tickets.tags || ${add}::text[]) WITH ORDINALITY AS u(t, n) WHERE NOT (u.t = ANY (${remove}::text[])) GROUP BY u.t ORDER BY min(u.n))` }
        : {}),
    }))
    .where('id', 'in', input.ticketIds)
    .execute();
  const changed = Object.keys(c).filter((k) => (c as Record<string, unknown>)[k] !== undefined);
  for (const r of rows) {
    if (c.priority && c.priority !== r.priority) await applySlaToTicket(trx, { orgId: ctx.principal.orgId, ticketId: r.id, priority: c.priority, openedAt: new Date(r.created_at) });
    await ctx.audit(trx, {
      action: input.action,
      ticketId: r.id,
      requesterId: r.requester_id,
      details: { changes: changed, from: { status: r.status, priority: r.priority, assigneeId: r.assignee_id, teamId: r.team_id }, addTags: add, removeTags: remove },
    });
    await enqueueWebhookEvent(trx, { orgId: ctx.principal.orgId, type: 'ticket.updated', data: { ticketId: r.id, changes: changed, ...(c.status ? { status: c.status } : {}), ...(c.priority ? { priority: c.priority } : {}) } });
    // Bulk changes and macros tell the new assignee, or the new team's queue, as a single change does.
    if (c.assigneeId !== undefined || c.teamId !== undefined) {
      await notifyAssignmentChange(trx, {
        orgId: ctx.principal.orgId,
        ticketId: r.id,
        actorId: ctx.principal.userId,
        from: { assigneeId: r.assignee_id, teamId: r.team_id },
        to: { assigneeId: c.assigneeId !== undefined ? c.assigneeId : r.assignee_id, teamId: c.teamId !== undefined ? c.teamId : r.team_id },
      });
    }
  }
}

export async function bulkUpdateTickets(deps: HelpdeskDeps, ctx: AgentContext, input: BulkInput): Promise<{ updated: number }> {
  const ids = [...new Set(input.ticketIds)];
  if (ids.length === 0 || ids.length > MAX_BULK_TICKETS) throw new AppError('validation_failed', `Choose from 1 to ${MAX_BULK_TICKETS} tickets.`);
  const { ticketIds: _ignored, ...changes } = input;
  void _ignored;
  if (!Object.values(changes).some((v) => v !== undefined)) throw new AppError('validation_failed', 'Nothing to change.');
  const p = ctx.principal;
  const assigning = changes.assigneeId !== undefined || changes.teamId !== undefined;
  return deps.db.transaction().execute(async (trx) => {
    // Object-level authorisation for every ticket, in SQL, with the rows locked.
    let q = trx.selectFrom('tickets').select('id').where('id', 'in', ids).where(ticketScope(p, 'tickets.bulk')).where(ticketScope(p, 'tickets.write'));
    if (assigning) q = q.where(ticketScope(p, 'tickets.assign'));
    const allowed = await q.forUpdate().execute();
    if (allowed.length !== ids.length) throw new AppError('not_found', 'Some of these tickets do not exist or are not yours to change.', { internal: `bulk refused ${ids.length - allowed.length} of ${ids.length}` });
    if (assigning) await checkAssignmentTargets(trx, ctx, changes);
    const solving = changes.status === 'solved' ? (await trx.selectFrom('tickets').where('id', 'in', ids).where('status', '<>', 'solved').select('id').execute()).map((r) => r.id) : [];
    await applyTicketChanges(trx, withAudit(deps, ctx), { ticketIds: ids, changes, action: 'ticket.bulk.update' });
    await sendCsatSurveys(trx, deps, solving);
    return { updated: ids.length };
  });
}

/** An agent context that can append audit events for ticket changes (used by bulk actions and macros). */
export interface AuditingContext extends AgentContext {
  audit(trx: Executor, e: { action: string; ticketId: string; requesterId: string | null; details: Record<string, unknown> }): Promise<void>;
}

export function withAudit(deps: HelpdeskDeps, ctx: AgentContext): AuditingContext {
  return {
    ...ctx,
    audit: async (trx, e) => {
      await deps.audit.append(trx, { ...actingFromAgent(ctx), action: e.action, object: { type: 'ticket', id: e.ticketId }, subjectCustomerId: e.requesterId, result: 'success', details: e.details });
    },
  };
}
