/**
 * /api/tickets/bulk, /api/tickets/:id/merge, /api/tickets/:id/split — all need
 * tickets.bulk; the services check every ticket's scope in SQL.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { AppError } from '../../platform/errors.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { ticketEndpoints as e } from '../../platform/http/schemas/tickets.js';
import { createHelpdeskDeps, type AgentContext } from './context.js';
import { bulkUpdateTickets } from './ticket-bulk.js';
import { mergeTickets, splitTicket } from './ticket-merge.js';

export function agentOf(request: FastifyRequest): AgentContext {
  if (!request.principal) throw new AppError('unauthenticated', 'Sign in to continue.');
  return { principal: request.principal, requestId: String(request.id), sourceIp: request.ip };
}

export async function ticketBulkRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = await createHelpdeskDeps(app.services);

  r.post(e.bulk.url, {
    preHandler: requirePermission('tickets.bulk'),
    schema: routeSchema(e.bulk, { tags: ['tickets'], summary: 'Change status, priority, assignment or tags on many tickets (all or nothing)' }),
  }, async (request) => bulkUpdateTickets(deps, agentOf(request), request.body));

  r.post(e.merge.url, {
    preHandler: requirePermission('tickets.bulk'),
    schema: routeSchema(e.merge, { tags: ['tickets'], summary: 'Merge other tickets into this one (their messages move here; they are closed and linked)' }),
  }, async (request) => mergeTickets(deps, agentOf(request), { targetId: request.params.id, sourceIds: request.body.sourceIds }));

  r.post(e.split.url, {
    preHandler: requirePermission('tickets.bulk'),
    schema: routeSchema(e.split, { tags: ['tickets'], summary: 'Move some messages to a new ticket linked to this one' }),
  }, async (request, reply) => {
    const created = await splitTicket(deps, agentOf(request), { ticketId: request.params.id, messageIds: request.body.messageIds, subject: request.body.subject });
    reply.code(201);
    return created;
  });
}
