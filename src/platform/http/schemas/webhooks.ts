/**
 * Contract of the webhook routes (src/platform/webhooks/webhooks.routes.ts,
 * channels.manage): subscriptions (the signing secret is shown once, at
 * creation), changes, and recent deliveries.
 */
import { Type } from 'typebox';
import { IdParams, Nullable, Uuid, type Endpoint } from './common.js';

export const WEBHOOK_EVENTS = ['ticket.created', 'ticket.updated', 'ticket.merged', 'ticket.split', 'message.created', 'incident.created', 'incident.updated'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];
export const DELIVERY_STATUSES = ['queued', 'sending', 'delivered', 'failed'] as const;

export const WebhookEvent = Type.Enum(WEBHOOK_EVENTS);
export const Webhook = Type.Object({ id: Uuid, url: Type.String(), events: Type.Array(Type.String()), active: Type.Boolean(), createdAt: Type.String() });
export const WebhookList = Type.Object({ items: Type.Array(Webhook) });
const WebhookUrl = Type.String({ format: 'uri', maxLength: 2000 });
const Events = Type.Array(WebhookEvent, { minItems: 1, maxItems: WEBHOOK_EVENTS.length });
export const WebhookCreateBody = Type.Object({ url: WebhookUrl, events: Events }, { additionalProperties: false });
/** The signing secret: in this answer only. */
export const WebhookCreated = Type.Intersect([Webhook, Type.Object({ secret: Type.String() })]);
/** Any of the fields; the secret stays. Disabling stops new events; queued ones are still tried. */
export const WebhookUpdateBody = Type.Object({ url: Type.Optional(WebhookUrl), events: Type.Optional(Events), active: Type.Optional(Type.Boolean()) }, { additionalProperties: false, minProperties: 1 });
export const WebhookDelivery = Type.Object({
  id: Uuid,
  eventId: Uuid,
  eventType: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  lastError: Nullable(Type.String()),
  nextAttemptAt: Type.String(),
  deliveredAt: Nullable(Type.String()),
});
export const WebhookDeliveryList = Type.Object({ items: Type.Array(WebhookDelivery) });

export const webhookEndpoints = {
  list: { method: 'GET', url: '/api/webhooks', response: WebhookList },
  create: { method: 'POST', url: '/api/webhooks', body: WebhookCreateBody, response: WebhookCreated, status: 201 },
  update: { method: 'PUT', url: '/api/webhooks/:id', params: IdParams, body: WebhookUpdateBody, response: Webhook },
  remove: { method: 'DELETE', url: '/api/webhooks/:id', params: IdParams, response: Type.Object({ ok: Type.Literal(true) }) },
  deliveries: { method: 'GET', url: '/api/webhooks/:id/deliveries', params: IdParams, response: WebhookDeliveryList },
} as const satisfies Record<string, Endpoint>;
