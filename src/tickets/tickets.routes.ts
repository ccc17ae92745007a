/**
 * /api/tickets: list (views), read, reply, note, assign, status. Thin handlers:
 * schema → permission guard → one service call (which does the object-level
 * check and the audit) → response schema. Register with `ticketRoutes`.
 */
import { Type, type Static, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { abilities, requirePermission } from '../auth/access.js';
import { AppError } from '../errors.js';
import { createHelpdeskDeps, type AgentContext } from './context.js';
import { TICKET_PRIORITIES, TICKET_STATUSES } from './schema.js';
import { addInternalNote, assignTicket, changeTicketStatus, replyToTicket } from './ticket-actions.js';
import { listTickets, readTicket } from './tickets.service.js';

const Status = Type.Union(TICKET_STATUSES.map((s) => Type.Literal(s)));
const Priority = Type.Union(TICKET_PRIORITIES.map((s) => Type.Literal(s)));
const Uuid = Type.String({ format: 'uuid' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const TicketSummary = Type.Object({
  id: Uuid,
  number: Type.Integer(),
  subject: Nullable(Type.String()),
  status: Status,
  priority: Priority,
  channel: Type.String(),
  requesterId: Nullable(Type.String()),
  assigneeId: Nullable(Type.String()),
  teamId: Nullable(Type.String()),
  tags: Type.Array(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  lastMessageAt: Type.String(),
  firstResponseDueAt: Nullable(Type.String()),
  resolutionDueAt: Nullable(Type.String()),
  firstResponseAt: Nullable(Type.String()),
});
const Redaction = Type.Object({ field: Type.String(), type: Type.String(), start: Type.Integer(), end: Type.Integer(), action: Type.String() });
const Message = Type.Object({
  id: Uuid,
  kind: Type.String(),
  authorType: Type.String(),
  authorUserId: Nullable(Type.String()),
  body: Nullable(Type.String()),
  autoSubmitted: Type.Boolean(),
  redactions: Type.Array(Redaction),
  threat: Type.Union([Type.Object({ score: Type.Integer(), verdict: Type.String(), codes: Type.Array(Type.String()) }), Type.Null()]),
  deliveryStatus: Nullable(Type.String()),
  reported: Type.Boolean(),
  attachments: Type.Array(Type.Object({ id: Uuid, sniffedType: Type.String(), size: Type.Integer(), dangerous: Type.Boolean(), dangerReasons: Type.Array(Type.String()), status: Type.String() })),
  createdAt: Type.String(),
});
const Abilities = Type.Object({ 'tickets.write': Type.Boolean(), 'tickets.assign': Type.Boolean(), 'customers.reveal': Type.Boolean() });
const TicketDetail = Type.Intersect([TicketSummary, Type.Object({ messages: Type.Array(Message), abilities: Abilities })]);
const Params = Type.Object({ id: Uuid });
const ListQuery = Type.Object({
  view: Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('mine'), Type.Literal('my_team'), Type.Literal('unassigned'), Type.Literal('breaching')])),
  status: Type.Optional(Type.Array(Status, { maxItems: 6 })),
  tag: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});
const Body = Type.String({ minLength: 1, maxLength: 200_000 });
const Problem = { $ref: 'Problem#' } as const;
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem };

function agent(request: FastifyRequest): AgentContext {
  if (!request.principal) throw new AppError('unauthenticated', 'Sign in to continue.');
  return { principal: request.principal, requestId: String(request.id), sourceIp: request.ip };
}

export async function ticketRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = await createHelpdeskDeps(app.services);

  r.get('/api/tickets', {
    preHandler: requirePermission('tickets.read'),
    schema: { tags: ['tickets'], summary: 'Tickets you may see, newest activity first', querystring: ListQuery, response: { 200: Type.Object({ items: Type.Array(TicketSummary) }), ...errors } },
  }, async (request) => {
    const q = request.query as Static<typeof ListQuery>;
    return { items: await listTickets(deps, agent(request), { ...(q.view ? { view: q.view } : {}), ...(q.status ? { status: q.status } : {}), ...(q.tag ? { tag: q.tag } : {}), ...(q.limit ? { limit: q.limit } : {}) }) };
  });

  r.get('/api/tickets/:id', {
    preHandler: requirePermission('tickets.read'),
    schema: { tags: ['tickets'], summary: 'A ticket and its conversation (the read is audited)', params: Params, response: { 200: TicketDetail, ...errors } },
  }, async (request) => {
    const ctx = agent(request);
    const t = await readTicket(deps, ctx, { ticketId: request.params.id });
    return { ...t, abilities: abilities(ctx.principal, ['tickets.write', 'tickets.assign', 'customers.reveal'], { orgId: ctx.principal.orgId, teamId: t.teamId, assigneeId: t.assigneeId }) };
  });

  r.post('/api/tickets/:id/replies', {
    preHandler: requirePermission('tickets.write'),
    schema: {
      tags: ['tickets'],
      summary: 'Public reply (emailed on email tickets); sensitive data is redacted before storage, and by plain email needs acknowledgeSensitive (409 otherwise, or always when the organisation blocks it)',
      params: Params,
      body: Type.Object({ body: Body, status: Type.Optional(Status), acknowledgeSensitive: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      response: { 201: Type.Object({ messageId: Uuid, queued: Type.Boolean(), redactions: Type.Integer() }), ...errors },
    },
  }, async (request, reply) => {
    const res = await replyToTicket(deps, agent(request), {
      ticketId: request.params.id,
      body: request.body.body,
      acknowledgeSensitive: request.body.acknowledgeSensitive ?? false,
      ...(request.body.status ? { status: request.body.status } : {}),
    });
    reply.code(201);
    return { messageId: res.messageId, queued: res.outboundId !== null, redactions: res.redactions };
  });

  r.post('/api/tickets/:id/notes', {
    preHandler: requirePermission('tickets.write'),
    schema: { tags: ['tickets'], summary: 'Internal note', params: Params, body: Type.Object({ body: Body }, { additionalProperties: false }), response: { 201: Type.Object({ messageId: Uuid }), ...errors } },
  }, async (request, reply) => {
    const res = await addInternalNote(deps, agent(request), { ticketId: request.params.id, body: request.body.body });
    reply.code(201);
    return res;
  });

  r.post('/api/tickets/:id/assignment', {
    preHandler: requirePermission('tickets.assign'),
    schema: {
      tags: ['tickets'],
      summary: 'Assign to a person and/or team (null clears)',
      params: Params,
      body: Type.Object({ assigneeId: Type.Optional(Type.Union([Uuid, Type.Null()])), teamId: Type.Optional(Type.Union([Uuid, Type.Null()])) }, { additionalProperties: false }),
      response: { 200: Type.Object({ ok: Type.Literal(true) }), ...errors },
    },
  }, async (request) => {
    await assignTicket(deps, agent(request), { ticketId: request.params.id, ...request.body });
    return { ok: true as const };
  });

  r.post('/api/tickets/:id/status', {
    preHandler: requirePermission('tickets.write'),
    schema: { tags: ['tickets'], summary: 'Change status', params: Params, body: Type.Object({ status: Status }, { additionalProperties: false }), response: { 200: Type.Object({ ok: Type.Literal(true) }), ...errors } },
  }, async (request) => {
    await changeTicketStatus(deps, agent(request), { ticketId: request.params.id, status: request.body.status });
    return { ok: true as const };
  });
}
