/** /api/webhooks — create (secret shown once), list, change, delete, deliveries (channels.manage). Schemas: src/platform/http/schemas/webhooks.ts. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { routeSchema } from '../http/schemas/common.js';
import { webhookEndpoints as e } from '../http/schemas/webhooks.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { agentOf } from '../../helpdesk/tickets/ticket-bulk.routes.js';
import { createWebhook, deleteWebhook, listWebhookDeliveries, listWebhooks, updateWebhook } from './webhooks.service.js';

export async function webhookRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const helpdesk = await createHelpdeskDeps(app.services);
  const deps = { ...helpdesk, outbound: { allowPrivate: app.services.config.allowPrivateWebhooks } };
  const guard = requirePermission('channels.manage');
  const tags = ['webhooks'];

  r.get(e.list.url, { preHandler: guard, schema: routeSchema(e.list, { tags, summary: 'Webhook subscriptions' }) }, async (request) => ({
    items: await listWebhooks(deps, agentOf(request)),
  }));

  r.post(e.create.url, { preHandler: guard, schema: routeSchema(e.create, { tags, summary: 'Subscribe a URL to events. The signing secret is in this response only.' }) }, async (request, reply) => {
    const created = await createWebhook(deps, agentOf(request), request.body);
    reply.header('cache-control', 'no-store');
    return reply.code(201).send(created);
  });

  r.put(e.update.url, { preHandler: guard, schema: routeSchema(e.update, { tags, summary: 'Change the URL or events, or disable/enable a subscription (the secret stays)' }) }, async (request) =>
    updateWebhook(deps, agentOf(request), { webhookId: request.params.id, ...request.body }),
  );

  r.delete(e.remove.url, { preHandler: guard, schema: routeSchema(e.remove, { tags, summary: 'Delete a subscription and its queued deliveries' }) }, async (request) => {
    await deleteWebhook(deps, agentOf(request), { webhookId: request.params.id });
    return { ok: true as const };
  });

  r.get(e.deliveries.url, { preHandler: guard, schema: routeSchema(e.deliveries, { tags, summary: 'Recent deliveries: status, attempts, HTTP status of the last try' }) }, async (request) => ({
    items: await listWebhookDeliveries(deps, agentOf(request), { webhookId: request.params.id }),
  }));
}
