/**
 * What the realtime hub hears: ids only, published inside the transaction that
 * made the change (PostgreSQL NOTIFY is delivered at commit and dropped on
 * rollback, on PGlite as on a server), so a console is told only of changes that
 * happened, by whichever instance made them. Never a subject, name or body: the
 * hub decides per socket who may hear of the ticket, and the browser refetches
 * through the authorised API.
 */
import type { Executor } from '../../protection/crypto/keyring.js';
import type { RawBuilder } from 'kysely';
import { notify, notifyCall } from '../db/database.js';

export const REALTIME_CHANNEL = 'trustdesk_events';

export type RealtimeEvent =
  | { k: 'ticket'; orgId: string; ticketId: string; kind: string }
  | { k: 'notification'; orgId: string; userId: string };

const ticketPayload = (event: { orgId: string; ticketId: string; kind: string }) =>
  JSON.stringify({ k: 'ticket', orgId: event.orgId, ticketId: event.ticketId, kind: event.kind } satisfies RealtimeEvent);

/** A ticket (or its messages) changed: readers of the ticket refetch it and their lists. */
export async function publishTicketChange(trx: Executor, event: { orgId: string; ticketId: string; kind: string }): Promise<void> {
  await notify(trx, REALTIME_CHANNEL, ticketPayload(event));
}

/** The same, as an expression for a statement that already runs (the webhook fan-out's). */
export function ticketChangeCall(event: { orgId: string; ticketId: string; kind: string }): RawBuilder<unknown> {
  return notifyCall(REALTIME_CHANNEL, ticketPayload(event));
}

/** Someone's notifications changed: their bell refetches. */
export async function publishNotification(trx: Executor, event: { orgId: string; userId: string }): Promise<void> {
  await notify(trx, REALTIME_CHANNEL, JSON.stringify({ k: 'notification', orgId: event.orgId, userId: event.userId } satisfies RealtimeEvent));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses a payload from the channel; anything else (another version, a stray NOTIFY) is ignored. */
export function parseRealtimeEvent(payload: string): RealtimeEvent | null {
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  const e = v as Record<string, unknown>;
  if (typeof e.orgId !== 'string' || !UUID.test(e.orgId)) return null;
  if (e.k === 'ticket' && typeof e.ticketId === 'string' && UUID.test(e.ticketId) && typeof e.kind === 'string') {
    return { k: 'ticket', orgId: e.orgId, ticketId: e.ticketId, kind: e.kind };
  }
  if (e.k === 'notification' && typeof e.userId === 'string' && UUID.test(e.userId)) return { k: 'notification', orgId: e.orgId, userId: e.userId };
  return null;
}
