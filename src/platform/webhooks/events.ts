/**
 * Webhook events, queued in the transaction that caused them (so an event is
 * sent only for a change that committed, and never lost for one that did).
 * One INSERT … SELECT fans the event out to the organisation's matching
 * subscriptions: no extra round trip when nobody subscribes.
 * Payloads carry ids and metadata only — never customer PII or bodies.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Executor } from '../../protection/crypto/keyring.js';
import '../../helpdesk/sla/schema.js';

import type { WebhookEventType } from '../http/schemas/webhooks.js';
import { publishTicketChange, ticketChangeCall } from '../realtime/events.js';

export { WEBHOOK_EVENTS, type WebhookEventType } from '../http/schemas/webhooks.js';

/** Metadata a ticket event may carry. Typed narrowly so a subject or a name cannot slip in. */
export interface TicketEventData {
  ticketId: string;
  number?: number;
  status?: string;
  priority?: string;
  channel?: string;
  teamId?: string | null;
  assigneeId?: string | null;
  tags?: string[];
  changes?: string[];
  mergedIntoId?: string;
  splitFromId?: string;
}

export interface MessageEventData {
  ticketId: string;
  messageId: string;
  kind: string;
  authorType: string;
}

/** A security incident's change, for IT's tools: ids, codes and times only (decision 0195). */
export interface IncidentEventData {
  incidentId: string;
  number: number;
  type: string;
  severity: string;
  status: string;
  change?: string;
  breachDeadlineAt?: string | null;
  url?: string;
}

export type WebhookEventData = TicketEventData | MessageEventData | IncidentEventData;

export async function enqueueWebhookEvent(trx: Executor, event: { orgId: string; type: WebhookEventType; data: WebhookEventData; occurredAt?: Date }): Promise<void> {
  const eventId = randomUUID();
  const occurredAt = (event.occurredAt ?? new Date()).toISOString();
  const payload = JSON.stringify({ id: eventId, type: event.type, occurredAt, orgId: event.orgId, data: event.data });
  if ('incidentId' in event.data) {
    // Not a ticket: no realtime event for the console.
    await sql`
      INSERT INTO webhook_deliveries (id, org_id, subscription_id, event_id, event_type, payload)
      SELECT gen_random_uuid(), s.org_id, s.id, ${eventId}::uuid, ${event.type}, ${payload}::jsonb
      FROM webhook_subscriptions s
      WHERE s.org_id = ${event.orgId} AND s.active AND ${event.type} = ANY (s.events)`.execute(trx);
    return;
  }
  // One statement: the fan-out to subscriptions (a data-modifying CTE always runs to completion) and the
  // realtime event for open consoles (src/platform/realtime), which PostgreSQL delivers only at commit.
  await sql`
    WITH queued AS (
      INSERT INTO webhook_deliveries (id, org_id, subscription_id, event_id, event_type, payload)
      SELECT gen_random_uuid(), s.org_id, s.id, ${eventId}::uuid, ${event.type}, ${payload}::jsonb
      FROM webhook_subscriptions s
      WHERE s.org_id = ${event.orgId} AND s.active AND ${event.type} = ANY (s.events))
    SELECT ${ticketChangeCall({ orgId: event.orgId, ticketId: event.data.ticketId, kind: event.type })}`.execute(trx);
  // A merge and a split change the other ticket too.
  const other = 'mergedIntoId' in event.data ? event.data.mergedIntoId : 'splitFromId' in event.data ? event.data.splitFromId : undefined;
  if (other) await publishTicketChange(trx, { orgId: event.orgId, ticketId: other, kind: event.type });
}
