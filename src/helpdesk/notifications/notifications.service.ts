/**
 * The caller's own notifications: a page of them, the unread count, marking
 * read. Everything is filtered by the caller's user id in SQL (another
 * person's notification is "not found"), and a notification about a ticket
 * the caller may no longer read is left out. Nothing here reads customer data:
 * a notification shows the ticket's number, never its subject.
 */
import type { Kysely } from 'kysely';
import type { Principal } from '../../identity/auth/access.js';
import { AppError } from '../../platform/errors.js';
import type { Database } from '../../platform/db/schema.js';
import type { Static } from 'typebox';
import type { Notification } from '../../platform/http/schemas/notifications.js';
import { ticketScope } from '../tickets/context.js';
import './schema.js';

type NotificationView = Static<typeof Notification>;

function visible(db: Kysely<Database>, p: Principal) {
  return db
    .selectFrom('notifications')
    .leftJoin('tickets', 'tickets.id', 'notifications.ticket_id')
    .where('notifications.user_id', '=', p.userId)
    .where('notifications.org_id', '=', p.orgId)
    .where('notifications.in_app', '=', true)
    .where((eb) => eb.or([eb('notifications.ticket_id', 'is', null), ticketScope(p, 'tickets.read')(eb as never)]));
}

function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const date = new Date(at ?? '');
  if (!id || !/^[0-9a-f-]{36}$/i.test(id) || Number.isNaN(date.getTime())) throw new AppError('validation_failed', 'That page cursor is not valid.');
  return { at: date, id };
}

export async function countUnread(db: Kysely<Database>, p: Principal): Promise<number> {
  const r = await visible(db, p).where('notifications.read_at', 'is', null).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst();
  return Number(r?.n ?? 0);
}

export async function listNotifications(db: Kysely<Database>, p: Principal, input: { before?: string | undefined; limit?: number | undefined; unread?: boolean | undefined }): Promise<{ items: NotificationView[]; next: string | null; unread: number }> {
  const limit = input.limit ?? 20;
  let q = visible(db, p)
    .leftJoin('users as actor', 'actor.id', 'notifications.actor_id')
    .select(['notifications.id', 'notifications.kind', 'notifications.ticket_id', 'tickets.number', 'notifications.count', 'actor.name as actor_name', 'notifications.created_at', 'notifications.updated_at', 'notifications.read_at'])
    .orderBy('notifications.updated_at', 'desc')
    .orderBy('notifications.id', 'desc')
    .limit(limit + 1);
  if (input.unread) q = q.where('notifications.read_at', 'is', null);
  if (input.before) {
    const c = decodeCursor(input.before);
    q = q.where((eb) => eb.or([eb('notifications.updated_at', '<', c.at), eb.and([eb('notifications.updated_at', '=', c.at), eb('notifications.id', '<', c.id)])]));
  }
  const rows = await q.execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      id: r.id,
      kind: r.kind,
      ticket: r.ticket_id && r.number !== null ? { id: r.ticket_id, number: Number(r.number) } : null,
      count: r.count,
      actorName: r.actor_name ?? null,
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
      readAt: r.read_at ? new Date(r.read_at).toISOString() : null,
    })),
    next: rows.length > limit && last ? encodeCursor(new Date(last.updated_at), last.id) : null,
    unread: await countUnread(db, p),
  };
}

/** Marks one of the caller's notifications read; someone else's (or none) is not found. */
export async function markRead(db: Kysely<Database>, p: Principal, id: string): Promise<number> {
  const own = await db.selectFrom('notifications').where('id', '=', id).where('user_id', '=', p.userId).where('org_id', '=', p.orgId).select(['id', 'read_at']).executeTakeFirst();
  if (!own) throw new AppError('not_found', 'No such notification.');
  const r = await db.updateTable('notifications').set({ read_at: new Date() }).where('id', '=', id).where('user_id', '=', p.userId).where('read_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function markAllRead(db: Kysely<Database>, p: Principal): Promise<number> {
  const r = await db.updateTable('notifications').set({ read_at: new Date() }).where('user_id', '=', p.userId).where('org_id', '=', p.orgId).where('read_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}
