/**
 * Merge and split. Messages are moved, never copied or re-encrypted (their
 * ciphertexts are bound to the message row, not the ticket), with their
 * attachments and search tokens; the merged ticket stays, closed, pointing at
 * the survivor, so its audit trail and links still resolve. Both need
 * tickets.bulk and tickets.write on every ticket involved, checked in SQL, and
 * commit with their audit events in one transaction.
 */
import { MAX_MERGE_SOURCES } from '../../platform/http/schemas/tickets.js';
import { AppError } from '../../platform/errors.js';
import { redactText } from '../ingest/scan.js';
import { enqueueWebhookEvent } from '../../platform/webhooks/events.js';
import { actingFromAgent, ticketScope, type AgentContext, type HelpdeskDeps } from './context.js';
import { insertTicket, normalizeTags } from './records.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { loadOrgDlp } from '../../protection/dlp-policy/org-policy.js';

async function lockAuthorised(trx: Executor, ctx: AgentContext, ids: string[]) {
  const p = ctx.principal;
  const rows = await trx
    .selectFrom('tickets')
    .where('id', 'in', ids)
    .where(ticketScope(p, 'tickets.bulk'))
    .where(ticketScope(p, 'tickets.write'))
    .select(['id', 'org_id', 'number', 'status', 'tags', 'requester_id', 'team_id', 'assignee_id', 'channel', 'mailbox_id', 'priority', 'merged_into_id'])
    .orderBy('id')
    .forUpdate()
    .execute();
  if (rows.length !== ids.length) throw new AppError('not_found', 'No such ticket.', { internal: 'merge/split scope refused' });
  return rows;
}

export async function mergeTickets(deps: HelpdeskDeps, ctx: AgentContext, input: { targetId: string; sourceIds: string[] }): Promise<{ merged: number }> {
  const sources = [...new Set(input.sourceIds)].filter((id) => id !== input.targetId);
  if (sources.length === 0 || sources.length > MAX_MERGE_SOURCES) throw new AppError('validation_failed', `Merge from 1 to ${MAX_MERGE_SOURCES} other tickets.`);
  return deps.db.transaction().execute(async (trx) => {
    const rows = await lockAuthorised(trx, ctx, [input.targetId, ...sources]);
    const target = rows.find((r) => r.id === input.targetId);
    if (!target) throw new AppError('not_found', 'No such ticket.');
    if (target.status === 'closed') throw new AppError('conflict', 'A closed ticket cannot receive a merge.');
    const from = rows.filter((r) => r.id !== target.id);
    if (from.some((r) => r.merged_into_id)) throw new AppError('conflict', 'One of these tickets was already merged.');
    const now = new Date();
    const moved = await trx.updateTable('messages').set({ ticket_id: target.id }).where('ticket_id', 'in', sources).returning('id').execute();
    await trx.updateTable('search_tokens').set({ ticket_id: target.id }).where('ticket_id', 'in', sources).execute();
    const tags = normalizeTags([...target.tags, ...from.flatMap((r) => r.tags)]);
    const last = await trx.selectFrom('messages').where('ticket_id', '=', target.id).select((eb) => eb.fn.max('created_at').as('at')).executeTakeFirst();
    await trx.updateTable('tickets').set({ tags, updated_at: now, ...(last?.at ? { last_message_at: new Date(last.at) } : {}) }).where('id', '=', target.id).execute();
    await trx.updateTable('tickets').set({ status: 'closed', closed_at: now, merged_into_id: target.id, updated_at: now }).where('id', 'in', sources).execute();
    const acting = actingFromAgent(ctx);
    await deps.audit.append(trx, { ...acting, action: 'ticket.merge', object: { type: 'ticket', id: target.id }, subjectCustomerId: target.requester_id, result: 'success', details: { role: 'target', sourceIds: sources, messagesMoved: moved.length } });
    for (const r of from) {
      await deps.audit.append(trx, { ...acting, action: 'ticket.merge', object: { type: 'ticket', id: r.id }, subjectCustomerId: r.requester_id, result: 'success', details: { role: 'source', targetId: target.id, previousStatus: r.status } });
      await enqueueWebhookEvent(trx, { orgId: target.org_id, type: 'ticket.merged', data: { ticketId: r.id, mergedIntoId: target.id, status: 'closed' } });
    }
    return { merged: from.length };
  });
}

export async function splitTicket(deps: HelpdeskDeps, ctx: AgentContext, input: { ticketId: string; messageIds: string[]; subject: string }): Promise<{ id: string; number: number }> {
  const messageIds = [...new Set(input.messageIds)];
  if (messageIds.length === 0 || messageIds.length > 500) throw new AppError('validation_failed', 'Choose the messages to split off.');
  const subject = redactText(input.subject, 'subject', (await loadOrgDlp(deps.db, ctx.principal.orgId)).policy);
  return deps.db.transaction().execute(async (trx) => {
    const [t] = await lockAuthorised(trx, ctx, [input.ticketId]);
    if (!t) throw new AppError('not_found', 'No such ticket.');
    if (t.status === 'closed') throw new AppError('conflict', 'A closed ticket cannot be split.');
    const all = await trx.selectFrom('messages').where('ticket_id', '=', t.id).select('id').execute();
    const mine = new Set(all.map((m) => m.id));
    if (messageIds.some((id) => !mine.has(id))) throw new AppError('not_found', 'No such message on this ticket.');
    if (messageIds.length === all.length) throw new AppError('conflict', 'Leave at least one message on the original ticket.');
    const created = await insertTicket(trx, deps, {
      orgId: t.org_id,
      subject: subject.text,
      channel: t.channel,
      requesterId: t.requester_id,
      teamId: t.team_id,
      assigneeId: t.assignee_id,
      mailboxId: t.mailbox_id,
      tags: t.tags,
      priority: t.priority,
    });
    await trx.updateTable('messages').set({ ticket_id: created.id }).where('id', 'in', messageIds).execute();
    await trx.updateTable('search_tokens').set({ ticket_id: created.id }).where('message_id', 'in', messageIds).execute();
    const now = new Date();
    await trx.updateTable('tickets').set({ split_from_id: t.id, status: 'open', updated_at: now }).where('id', '=', created.id).execute();
    await trx.updateTable('tickets').set({ updated_at: now }).where('id', '=', t.id).execute();
    const acting = actingFromAgent(ctx);
    await deps.audit.append(trx, { ...acting, action: 'ticket.split', object: { type: 'ticket', id: t.id }, subjectCustomerId: t.requester_id, result: 'success', details: { role: 'source', newTicketId: created.id, messageIds } });
    await deps.audit.append(trx, { ...acting, action: 'ticket.split', object: { type: 'ticket', id: created.id }, subjectCustomerId: t.requester_id, result: 'success', details: { role: 'created', splitFromId: t.id, messages: messageIds.length } });
    await enqueueWebhookEvent(trx, { orgId: t.org_id, type: 'ticket.split', data: { ticketId: created.id, splitFromId: t.id, number: created.number } });
    return created;
  });
}
