/** /api/webhooks — create (secret shown once), list, delete, deliveries (channels.manage). */
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../auth/access.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { agentOf } from '../tickets/ticket-bulk.routes.js';
import { WEBHOOK_EVENTS } from './events.js';
import { createWebhook, deleteWebhook, listWebhookDeliveries, listWebhooks } from './webhooks.service.js';

const Uuid = Type.String({ format: 'uuid' });
const Event = Type.Union(WEBHOOK_EVENTS.map((e) => Type.Literal(e)));
const Webhook = Type.Object({ id: Uuid, url: Type.String(), events: Type.Array(Type.String()), active: Type.Boolean(), createdAt: Type.String() });
const Problem = { $ref: 'Problem#' } as const;
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };

export async function webhookRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const helpdesk = await createHelpdeskDeps(app.services);
  const deps = { ...helpdesk, outbound: { allowPrivate: app.services.config.allowPrivateWebhooks } };
  const guard = requirePermission('channels.manage');

  r.get('/api/webhooks', { preHandler: guard, schema: { tags: ['webhooks'], summary: 'Webhook subscriptions', response: { 200: Type.Object({ items: Type.Array(Webhook) }), ...errors } } }, async (request) => ({
    items: await listWebhooks(deps, agentOf(request)),
  }));

  r.post('/api/webhooks', {
    preHandler: guard,
    schema: {
      tags: ['webhooks'],
      summary: 'Subscribe a URL to events. The signing secret is in this response only.',
      body: Type.Object({ url: Type.String({ format: 'uri', maxLength: 2000 }), events: Type.Array(Event, { minItems: 1, maxItems: WEBHOOK_EVENTS.length }) }, { additionalProperties: false }),
      response: { 201: Type.Intersect([Webhook, Type.Object({ secret: Type.String() })]), ...errors },
    },
  }, async (request, reply) => {
    const created = await createWebhook(deps, agentOf(request), request.body);
    reply.code(201);
    reply.header('cache-control', 'no-store');
    return created;
  });

  r.delete('/api/webhooks/:id', { preHandler: guard, schema: { tags: ['webhooks'], summary: 'Delete a subscription and its queued deliveries', params: Type.Object({ id: Uuid }), response: { 200: Type.Object({ ok: Type.Literal(true) }), ...errors } } }, async (request) => {
    await deleteWebhook(deps, agentOf(request), { webhookId: request.params.id });
    return { ok: true as const };
  });

  r.get('/api/webhooks/:id/deliveries', {
    preHandler: guard,
    schema: {
      tags: ['webhooks'],
      summary: 'Recent deliveries: status, attempts, HTTP status of the last try',
      params: Type.Object({ id: Uuid }),
      response: { 200: Type.Object({ items: Type.Array(Type.Object({ id: Uuid, eventId: Uuid, eventType: Type.String(), status: Type.String(), attempts: Type.Integer(), lastError: Type.Union([Type.String(), Type.Null()]), nextAttemptAt: Type.String(), deliveredAt: Type.Union([Type.String(), Type.Null()]) })) }), ...errors },
    },
  }, async (request) => ({ items: await listWebhookDeliveries(deps, agentOf(request), { webhookId: request.params.id }) }));
}
