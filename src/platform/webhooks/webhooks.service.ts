/**
 * Webhook subscriptions: create (the URL is checked by the outbound wrapper's
 * rules before it is saved; the secret is generated, returned once and stored
 * under the organisation's key), list, delete, and the recent deliveries of
 * one subscription. Every change is audited in its transaction.
 */
import { randomUUID } from 'node:crypto';
import type { CustomerDeps } from '../../helpdesk/customers/customers.service.js';
import { AppError } from '../errors.js';
import { checkOutboundUrl, type OutboundOptions } from '../http/outbound.js';
import { actingFromAgent, type AgentContext } from '../../helpdesk/tickets/context.js';
import '../../helpdesk/sla/schema.js';
import { WEBHOOK_EVENTS, type WebhookEventType } from './events.js';
import { generateWebhookSecret } from './signature.js';

export interface WebhookDeps extends CustomerDeps {
  outbound: OutboundOptions;
}

export interface WebhookView {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  createdAt: string;
}

const secretField = (id: string) => ({ table: 'webhook_subscriptions', column: 'secret_enc', rowId: id });

function checkEvents(input: WebhookEventType[]): WebhookEventType[] {
  const events = [...new Set(input)];
  if (events.length === 0 || events.some((e) => !WEBHOOK_EVENTS.includes(e))) throw new AppError('validation_failed', 'Choose at least one known event.');
  return events;
}

async function checkUrl(deps: WebhookDeps, input: string): Promise<URL> {
  const url = new URL(input);
  if (url.protocol !== 'https:' && !(deps.outbound.allowPrivate && url.protocol === 'http:')) throw new AppError('validation_failed', 'Webhook URLs must use https.');
  if (url.username || url.password) throw new AppError('validation_failed', 'Put credentials in the signature, not the URL.');
  // Checked now for a clear error; checked again on every delivery (DNS can change).
  await checkOutboundUrl(url.toString(), deps.outbound);
  return url;
}

export async function createWebhook(deps: WebhookDeps, ctx: AgentContext, input: { url: string; events: WebhookEventType[] }): Promise<WebhookView & { secret: string }> {
  const events = checkEvents(input.events);
  const url = await checkUrl(deps, input.url);
  const id = randomUUID();
  const secret = generateWebhookSecret();
  const p = ctx.principal;
  return deps.db.transaction().execute(async (trx) => {
    const secret_enc = await deps.keyring.encrypt({ type: 'organization', id: p.orgId }, secretField(id), secret, trx);
    const row = await trx
      .insertInto('webhook_subscriptions')
      .values({ id, org_id: p.orgId, url: url.toString(), events, secret_enc, created_by: p.userId })
      .returning(['created_at'])
      .executeTakeFirstOrThrow();
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'webhook.create', object: { type: 'webhook', id }, result: 'success', details: { events, host: url.host } });
    return { id, url: url.toString(), events, active: true, createdAt: new Date(row.created_at).toISOString(), secret };
  });
}

export async function listWebhooks(deps: CustomerDeps, ctx: AgentContext): Promise<WebhookView[]> {
  const rows = await deps.db.selectFrom('webhook_subscriptions').where('org_id', '=', ctx.principal.orgId).select(['id', 'url', 'events', 'active', 'created_at']).orderBy('created_at').execute();
  return rows.map((r) => ({ id: r.id, url: r.url, events: r.events, active: r.active, createdAt: new Date(r.created_at).toISOString() }));
}

/**
 * Changes a subscription's URL, events or whether it is active. The secret
 * stays (rotate by creating a new subscription). Disabling stops new events
 * from being queued; deliveries already queued are still tried.
 */
export async function updateWebhook(deps: WebhookDeps, ctx: AgentContext, input: { webhookId: string; url?: string; events?: WebhookEventType[]; active?: boolean }): Promise<WebhookView> {
  const events = input.events === undefined ? undefined : checkEvents(input.events);
  const url = input.url === undefined ? undefined : (await checkUrl(deps, input.url)).toString();
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('webhook_subscriptions')
      .set({ ...(url !== undefined ? { url } : {}), ...(events !== undefined ? { events } : {}), ...(input.active !== undefined ? { active: input.active } : {}), updated_at: new Date() })
      .where('id', '=', input.webhookId)
      .where('org_id', '=', ctx.principal.orgId)
      .returning(['id', 'url', 'events', 'active', 'created_at'])
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such webhook.');
    const changed = [...(url !== undefined ? ['url'] : []), ...(events !== undefined ? ['events'] : []), ...(input.active !== undefined ? ['active'] : [])];
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'webhook.update', object: { type: 'webhook', id: row.id }, result: 'success', details: { changed, active: row.active, events: row.events, host: new URL(row.url).host } });
    return { id: row.id, url: row.url, events: row.events, active: row.active, createdAt: new Date(row.created_at).toISOString() };
  });
}

export async function deleteWebhook(deps: CustomerDeps, ctx: AgentContext, input: { webhookId: string }): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const gone = await trx.deleteFrom('webhook_subscriptions').where('id', '=', input.webhookId).where('org_id', '=', ctx.principal.orgId).returning('id').executeTakeFirst();
    if (!gone) throw new AppError('not_found', 'No such webhook.');
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'webhook.delete', object: { type: 'webhook', id: gone.id }, result: 'success' });
  });
}

export interface DeliveryView {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string;
  deliveredAt: string | null;
}

export async function listWebhookDeliveries(deps: CustomerDeps, ctx: AgentContext, input: { webhookId: string; limit?: number }): Promise<DeliveryView[]> {
  const owned = await deps.db.selectFrom('webhook_subscriptions').where('id', '=', input.webhookId).where('org_id', '=', ctx.principal.orgId).select('id').executeTakeFirst();
  if (!owned) throw new AppError('not_found', 'No such webhook.');
  const rows = await deps.db
    .selectFrom('webhook_deliveries')
    .where('subscription_id', '=', input.webhookId)
    .where('org_id', '=', ctx.principal.orgId)
    .select(['id', 'event_id', 'event_type', 'status', 'attempts', 'last_error', 'next_attempt_at', 'delivered_at'])
    .orderBy('created_at', 'desc')
    .limit(Math.min(input.limit ?? 50, 200))
    .execute();
  return rows.map((r) => ({
    id: r.id,
    eventId: r.event_id,
    eventType: r.event_type,
    status: r.status,
    attempts: r.attempts,
    lastError: r.last_error,
    nextAttemptAt: new Date(r.next_attempt_at).toISOString(),
    deliveredAt: r.delivered_at ? new Date(r.delivered_at).toISOString() : null,
  }));
}
