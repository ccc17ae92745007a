/**
 * The producers' side: one call from the change that causes a notification,
 * inside that change's transaction, so a notification exists exactly when
 * the change committed. Each call resolves its recipients, keeps only those
 * who may read the ticket, never the person who caused the event, applies
 * their preferences, folds the event into an unread notification of the same
 * kind on the same ticket (a flood is one row with a count), and marks it for
 * the next digest email (digest.ts). No customer data is read or copied.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Executor } from '../../protection/crypto/keyring.js';
import { publishNotification } from '../../platform/realtime/events.js';
import { preferencesFor } from './preferences.js';
import { mentionedReaders, teamMemberIds, ticketReaders } from './recipients.js';
import type { NotificationKind } from './schema.js';
import './schema.js';

export interface NotifyInput {
  orgId: string;
  ticketId: string;
  kind: NotificationKind;
  /** Candidates; those who may not read the ticket are dropped. */
  recipients: readonly string[];
  /** The staff member who caused the event (never told about it); null for customers and the system. */
  actorId?: string | null;
}

/** Records one event for its recipients; returns who got it (in the app or by email). */
export async function recordNotification(trx: Executor, input: NotifyInput): Promise<string[]> {
  const candidates = [...new Set(input.recipients)].filter((id) => id !== input.actorId);
  if (candidates.length === 0) return [];
  // Readers are staff of the ticket's own organisation; a caller's orgId that is not the ticket's finds none.
  const readers = (await ticketReaders(trx, input.ticketId, candidates)).filter((r) => r.orgId === input.orgId);
  const prefs = await preferencesFor(trx, readers.map((r) => r.id), input.kind);
  const now = new Date();
  const told: string[] = [];
  for (const r of readers) {
    const pref = prefs.get(r.id);
    if (!pref || (!pref.inApp && !pref.email)) continue;
    await trx
      .insertInto('notifications')
      .values({ id: randomUUID(), org_id: input.orgId, user_id: r.id, kind: input.kind, ticket_id: input.ticketId, actor_id: input.actorId ?? null, in_app: pref.inApp, email_pending: pref.email, created_at: now, updated_at: now })
      .onConflict((oc) =>
        oc
          .columns(['user_id', 'ticket_id', 'kind'])
          .where('read_at', 'is', null)
          .doUpdateSet({
            count: sql`notifications.count + 1`,
            updated_at: now,
            actor_id: input.actorId ?? null,
            in_app: sql`notifications.in_app OR excluded.in_app`,
            email_pending: sql`notifications.email_pending OR excluded.email_pending`,
          }),
      )
      .execute();
    if (pref.email) await queueDigest(trx, input.orgId, r.id);
    // Their bell refetches once this commits (ids only; nothing if it rolls back).
    if (pref.inApp) await publishNotification(trx, { orgId: input.orgId, userId: r.id });
    told.push(r.id);
  }
  return told;
}

/** At most one digest waits per person; the worker decides when it is due (the interval since the last one). */
export async function queueDigest(trx: Executor, orgId: string, userId: string): Promise<void> {
  await sql`INSERT INTO notification_emails (id, org_id, user_id) VALUES (${randomUUID()}, ${orgId}, ${userId})
            ON CONFLICT (user_id) WHERE status IN ('queued', 'sending') DO NOTHING`.execute(trx);
}

/** Ticket assigned to someone: tell them (not when they took it themselves). Called by every way of assigning. */
export async function notifyAssigned(trx: Executor, input: { orgId: string; ticketId: string; assigneeId: string; actorId: string | null }): Promise<void> {
  await recordNotification(trx, { orgId: input.orgId, ticketId: input.ticketId, kind: 'assigned', recipients: [input.assigneeId], actorId: input.actorId });
}

/** A ticket arrived in a team's queue unassigned: tell the team's members who may read it. */
export async function notifyNewInQueue(trx: Executor, input: { orgId: string; ticketId: string; teamId: string; actorId: string | null }): Promise<void> {
  await recordNotification(trx, { orgId: input.orgId, ticketId: input.ticketId, kind: 'new_ticket', recipients: await teamMemberIds(trx, input.teamId), actorId: input.actorId });
}

/** An assignment change (ticket-actions.assignTicket): the new assignee, or the new team when it lands there unassigned. */
export async function notifyAssignmentChange(
  trx: Executor,
  input: { orgId: string; ticketId: string; actorId: string | null; from: { assigneeId: string | null; teamId: string | null }; to: { assigneeId: string | null; teamId: string | null } },
): Promise<void> {
  if (input.to.assigneeId && input.to.assigneeId !== input.from.assigneeId) {
    await notifyAssigned(trx, { orgId: input.orgId, ticketId: input.ticketId, assigneeId: input.to.assigneeId, actorId: input.actorId });
  } else if (!input.to.assigneeId && input.to.teamId && input.to.teamId !== input.from.teamId) {
    await notifyNewInQueue(trx, { orgId: input.orgId, ticketId: input.ticketId, teamId: input.to.teamId, actorId: input.actorId });
  }
}

/**
 * A customer wrote (email, portal reply, web form). A new ticket: its assignee (set by routing) is told it was
 * assigned, otherwise its team that it arrived. A reply on an existing ticket: its assignee. Automatic mail
 * (out-of-office, bounces) on an existing ticket tells no one.
 */
export async function notifyCustomerMessage(trx: Executor, input: { orgId: string; ticketId: string; newTicket: boolean; automatic?: boolean }): Promise<void> {
  const t = await trx.selectFrom('tickets').where('id', '=', input.ticketId).where('org_id', '=', input.orgId).select(['assignee_id', 'team_id']).executeTakeFirst();
  if (!t) return;
  if (input.newTicket) {
    if (t.assignee_id) await notifyAssigned(trx, { orgId: input.orgId, ticketId: input.ticketId, assigneeId: t.assignee_id, actorId: null });
    else if (t.team_id) await notifyNewInQueue(trx, { orgId: input.orgId, ticketId: input.ticketId, teamId: t.team_id, actorId: null });
    return;
  }
  if (input.automatic || !t.assignee_id) return;
  await recordNotification(trx, { orgId: input.orgId, ticketId: input.ticketId, kind: 'customer_reply', recipients: [t.assignee_id], actorId: null });
}

/** `@name` in an internal note: the staff it names among those who may read the ticket. */
export async function notifyMentions(trx: Executor, input: { orgId: string; ticketId: string; body: string; actorId: string | null }): Promise<string[]> {
  if (!input.body.includes('@')) return [];
  const mentioned = mentionedReaders(input.body, await ticketReaders(trx, input.ticketId));
  return recordNotification(trx, { orgId: input.orgId, ticketId: input.ticketId, kind: 'mention', recipients: mentioned.map((r) => r.id), actorId: input.actorId });
}
