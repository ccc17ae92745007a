/**
 * The two writes that delivery (campaigns.service.ts) and tracking (tracking.ts) share: a token's stored form and
 * one typed event in a recipient's log. Apart from both so that tracking, which the console's attachment route
 * calls, does not reach delivery and, through it, the ingest pipeline that stores tickets.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { HelpdeskDeps } from '../../helpdesk/tickets/context.js';
import type { SimulationEventType } from './schema.js';

/** A tracking token's stored form: its SHA-256 (the token itself is drawn at random and never kept). */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export async function recordEvent(db: HelpdeskDeps['db'], input: { orgId: string; recipientId: string; type: SimulationEventType; discountedReason?: string | null }): Promise<void> {
  await db.insertInto('simulation_events').values({ id: randomUUID(), org_id: input.orgId, recipient_id: input.recipientId, type: input.type, discounted_reason: input.discountedReason ?? null }).execute();
}
