/** GET /api/search/tickets — keyword, metadata and requester search (tickets.read; visibility in SQL). */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { searchEndpoints as e } from '../../platform/http/schemas/search.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { agentOf } from '../tickets/ticket-bulk.routes.js';
import { staffNames } from '../tickets/tickets.service.js';
import { searchTickets } from './search.service.js';

export async function searchRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = await createHelpdeskDeps(app.services);
  r.get(e.tickets.url, {
    preHandler: requirePermission('tickets.read'),
    schema: routeSchema(e.tickets, { tags: ['tickets'], summary: 'Search tickets: words in encrypted subjects and messages (keyed token index), tags, status, priority, number, requester email' }),
  }, async (request) => {
    const q = request.query;
    const ctx = agentOf(request);
    const items = await searchTickets(deps, ctx, {
      ...(q.q !== undefined ? { q: q.q } : {}),
      ...(q.email ? { requesterEmail: q.email } : {}),
      ...(q.tag ? { tags: q.tag } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(q.priority ? { priority: q.priority } : {}),
      ...(q.number !== undefined ? { number: q.number } : {}),
      ...(q.limit ? { limit: q.limit } : {}),
    });
    return { items, staff: await staffNames(deps.db, ctx.principal.orgId, items.map((t) => t.assigneeId)) };
  });
}
