/**
 * /api/tickets/bulk, /api/tickets/:id/merge, /api/tickets/:id/split — all need
 * tickets.bulk; the services check every ticket's scope in SQL.
 */
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requirePermission } from '../auth/access.js';
import { AppError } from '../errors.js';
import { createHelpdeskDeps, type AgentContext } from './context.js';
import { TICKET_PRIORITIES, TICKET_STATUSES } from './schema.js';
import { bulkUpdateTickets, MAX_BULK_TICKETS } from './ticket-bulk.js';
import { mergeTickets, splitTicket } from './ticket-merge.js';

const Uuid = Type.String({ format: 'uuid' });
const Tag = Type.String({ minLength: 1, maxLength: 64 });
const Problem = { $ref: 'Problem#' } as const;
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem };

export function agentOf(request: FastifyRequest): AgentContext {
  if (!request.principal) throw new AppError('unauthenticated', 'Sign in to continue.');
  return { principal: request.principal, requestId: String(request.id), sourceIp: request.ip };
}

export async function ticketBulkRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = await createHelpdeskDeps(app.services);

  r.post('/api/tickets/bulk', {
    preHandler: requirePermission('tickets.bulk'),
    schema: {
      tags: ['tickets'],
      summary: 'Change status, priority, assignment or tags on many tickets (all or nothing)',
      body: Type.Object({
        ticketIds: Type.Array(Uuid, { minItems: 1, maxItems: MAX_BULK_TICKETS }),
        status: Type.Optional(Type.Union(TICKET_STATUSES.map((s) => Type.Literal(s)))),
        priority: Type.Optional(Type.Union(TICKET_PRIORITIES.map((s) => Type.Literal(s)))),
        assigneeId: Type.Optional(Type.Union([Uuid, Type.Null()])),
        teamId: Type.Optional(Type.Union([Uuid, Type.Null()])),
        addTags: Type.Optional(Type.Array(Tag, { maxItems: 20 })),
        removeTags: Type.Optional(Type.Array(Tag, { maxItems: 20 })),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ updated: Type.Integer() }), ...errors },
    },
  }, async (request) => bulkUpdateTickets(deps, agentOf(request), request.body));

  r.post('/api/tickets/:id/merge', {
    preHandler: requirePermission('tickets.bulk'),
    schema: {
      tags: ['tickets'],
      summary: 'Merge other tickets into this one (their messages move here; they are closed and linked)',
      params: Type.Object({ id: Uuid }),
      body: Type.Object({ sourceIds: Type.Array(Uuid, { minItems: 1, maxItems: 20 }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ merged: Type.Integer() }), ...errors },
    },
  }, async (request) => mergeTickets(deps, agentOf(request), { targetId: request.params.id, sourceIds: request.body.sourceIds }));

  r.post('/api/tickets/:id/split', {
    preHandler: requirePermission('tickets.bulk'),
    schema: {
      tags: ['tickets'],
      summary: 'Move some messages to a new ticket linked to this one',
      params: Type.Object({ id: Uuid }),
      body: Type.Object({ messageIds: Type.Array(Uuid, { minItems: 1, maxItems: 500 }), subject: Type.String({ minLength: 1, maxLength: 998 }) }, { additionalProperties: false }),
      response: { 201: Type.Object({ id: Uuid, number: Type.Integer() }), ...errors },
    },
  }, async (request, reply) => {
    const created = await splitTicket(deps, agentOf(request), { ticketId: request.params.id, messageIds: request.body.messageIds, subject: request.body.subject });
    reply.code(201);
    return created;
  });
}
