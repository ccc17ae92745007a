/** GET /api/search/tickets — keyword, metadata and requester search (tickets.read; visibility in SQL). */
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../auth/access.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { TICKET_PRIORITIES, TICKET_STATUSES } from '../tickets/schema.js';
import { agentOf } from '../tickets/ticket-bulk.routes.js';
import { TicketSummary } from '../tickets/tickets.routes.js';
import { searchTickets } from './search.service.js';

const Problem = { $ref: 'Problem#' } as const;

export async function searchRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = await createHelpdeskDeps(app.services);
  r.get('/api/search/tickets', {
    preHandler: requirePermission('tickets.read'),
    schema: {
      tags: ['tickets'],
      summary: 'Search tickets: words in encrypted subjects and messages (keyed token index), tags, status, priority, number, requester email',
      querystring: Type.Object({
        q: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
        email: Type.Optional(Type.String({ minLength: 3, maxLength: 254 })),
        tag: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 10 })),
        status: Type.Optional(Type.Array(Type.Union(TICKET_STATUSES.map((s) => Type.Literal(s))), { maxItems: 6 })),
        priority: Type.Optional(Type.Array(Type.Union(TICKET_PRIORITIES.map((s) => Type.Literal(s))), { maxItems: 4 })),
        number: Type.Optional(Type.Integer({ minimum: 1 })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
      }),
      response: { 200: Type.Object({ items: Type.Array(TicketSummary) }), 400: Problem, 401: Problem, 403: Problem },
    },
  }, async (request) => {
    const q = request.query;
    return {
      items: await searchTickets(deps, agentOf(request), {
        ...(q.q !== undefined ? { q: q.q } : {}),
        ...(q.email ? { requesterEmail: q.email } : {}),
        ...(q.tag ? { tags: q.tag } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.priority ? { priority: q.priority } : {}),
        ...(q.number !== undefined ? { number: q.number } : {}),
        ...(q.limit ? { limit: q.limit } : {}),
      }),
    };
  });
}
