/**
 * Taking work (decision 0140): "assign to me" on one ticket, "take next" from a view, and the
 * assignment a reply to an unassigned ticket makes. Taking needs tickets.take and tickets.write on
 * the ticket and only ever assigns the caller; a ticket someone else holds moves only for a caller
 * who may also assign (tickets.assign), otherwise 409. Each take commits with its audit event
 * (`ticket.take`) and the `ticket.updated` webhook, like any other assignment change.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { authorize, can, type OwnedRecord } from '../../identity/auth/access.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { AppError } from '../../platform/errors.js';
import type { Database } from '../../platform/db/schema.js';
import { enqueueWebhookEvent } from '../../platform/webhooks/events.js';
import { breachingCondition } from '../sla/breaching.js';
import { actingFromAgent, ticketScope, type AgentContext, type HelpdeskDeps } from '../tickets/context.js';
import type { TicketStatus } from '../tickets/schema.js';
import { loadTicketForAction } from '../tickets/tickets.service.js';
import { loadAssignmentSettings } from './settings.js';
import { loadVisibleView, priorityRankExpression, slaDueExpression, viewCondition } from './views.js';

export type TakeVia = 'take' | 'next' | 'reply';

interface TakeableRow {
  id: string;
  org_id: string;
  team_id: string | null;
  assignee_id: string | null;
  requester_id: string | null;
  status: TicketStatus;
}

const record = (t: TakeableRow): OwnedRecord => ({ orgId: t.org_id, teamId: t.team_id, assigneeId: t.assignee_id });

async function applyTake(trx: Executor, deps: HelpdeskDeps, ctx: AgentContext, t: TakeableRow, via: TakeVia): Promise<void> {
  const assigneeId = ctx.principal.userId;
  const status: TicketStatus = t.status === 'new' ? 'open' : t.status;
  await trx.updateTable('tickets').set({ assignee_id: assigneeId, status, updated_at: new Date() }).where('id', '=', t.id).execute();
  await deps.audit.append(trx, {
    ...actingFromAgent(ctx),
    action: 'ticket.take',
    object: { type: 'ticket', id: t.id },
    subjectCustomerId: t.requester_id,
    result: 'success',
    details: { via, from: { assigneeId: t.assignee_id }, to: { assigneeId } },
  });
  await enqueueWebhookEvent(trx, { orgId: t.org_id, type: 'ticket.updated', data: { ticketId: t.id, changes: ['assignment'], status, assigneeId, teamId: t.team_id } });
}

/** "Assign to me". Already yours: nothing changes. */
export async function takeTicket(deps: HelpdeskDeps, ctx: AgentContext, input: { ticketId: string }): Promise<void> {
  const p = ctx.principal;
  await deps.db.transaction().execute(async (trx) => {
    const t = await loadTicketForAction(trx, ctx, input.ticketId, 'tickets.take');
    authorize(p, 'tickets.write', record(t));
    if (t.assignee_id === p.userId) return;
    if (t.status === 'closed') throw new AppError('conflict', 'This ticket is closed.');
    if (t.assignee_id && !can(p, 'tickets.assign', record(t))) {
      throw new AppError('conflict', 'Someone else is working on this ticket. Ask a team lead to reassign it.', { extra: { assigned: true } });
    }
    await applyTake(trx, deps, ctx, t, 'take');
  });
}

/** A message of the ticket stands reported as phishing: nobody can answer it, so it is nobody's next ticket. */
const notHeld = (eb: ExpressionBuilder<Database, 'tickets'>): Expression<SqlBool> =>
  eb.not(eb.exists(eb.selectFrom('messages').whereRef('messages.ticket_id', '=', 'tickets.id').where('messages.reported_at', 'is not', null).select('messages.id')));

/**
 * "Take next": the first unassigned new or open ticket of the view that the caller may take and
 * work on, by SLA due time, then priority, then age, locked with SKIP LOCKED so two people pressing
 * at once get different tickets. Null when the view has nothing waiting.
 */
export async function takeNextTicket(deps: HelpdeskDeps, ctx: AgentContext, input: { viewId?: string; view?: 'all' | 'my_team' | 'unassigned' | 'breaching' }): Promise<{ id: string; number: number } | null> {
  const p = ctx.principal;
  return deps.db.transaction().execute(async (trx) => {
    let q = trx
      .selectFrom('tickets')
      .select(['tickets.id', 'tickets.number', 'tickets.org_id', 'tickets.team_id', 'tickets.assignee_id', 'tickets.requester_id', 'tickets.status'])
      .where(ticketScope(p, 'tickets.take'))
      .where(ticketScope(p, 'tickets.write'))
      .where('tickets.assignee_id', 'is', null)
      .where('tickets.status', 'in', ['new', 'open'])
      .where(notHeld);
    if (input.viewId) {
      const view = await loadVisibleView(trx, p, input.viewId);
      q = q.where(viewCondition(view.filters, p, new Date()));
    } else if (input.view === 'my_team') {
      q = p.teamIds.length ? q.where('tickets.team_id', 'in', [...p.teamIds]) : q.where(sql<SqlBool>`false`);
    } else if (input.view === 'breaching') {
      q = q.where(breachingCondition(new Date()));
    }
    const row = await q
      .orderBy(sql`${slaDueExpression} ASC NULLS LAST`)
      .orderBy(sql`${priorityRankExpression} DESC`)
      .orderBy('tickets.created_at', 'asc')
      .orderBy('tickets.id', 'asc')
      .limit(1)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (!row) return null;
    await applyTake(trx, deps, ctx, row, 'next');
    return { id: row.id, number: Number(row.number) };
  });
}

/**
 * Called by a reply (ticket-actions.ts, inside its transaction, after its checks): an unassigned
 * ticket goes to the replier when they may take it and the organisation has not turned this off.
 */
export async function assignOnReplyIn(trx: Executor, deps: HelpdeskDeps, ctx: AgentContext, t: TakeableRow): Promise<void> {
  if (t.assignee_id) return;
  if (!can(ctx.principal, 'tickets.take', record(t))) return;
  if (!(await loadAssignmentSettings(trx, t.org_id)).assignOnReply) return;
  await applyTake(trx, deps, ctx, t, 'reply');
}
