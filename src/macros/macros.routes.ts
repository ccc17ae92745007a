/**
 * /api/macros (list: tickets.write; create/update/delete: macros.manage) and
 * /api/tickets/:id/macros/:macroId/{preview,apply} (tickets.write; the
 * service checks the ticket, and tickets.assign for assignment actions).
 */
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../auth/access.js';
import { DLP_WARNING_TYPES } from './warning-types.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { TICKET_PRIORITIES, TICKET_STATUSES } from '../tickets/schema.js';
import { agentOf } from '../tickets/ticket-bulk.routes.js';
import { applyMacro, deleteMacro, listMacros, previewMacro, saveMacro } from './macros.service.js';

const Uuid = Type.String({ format: 'uuid' });
const Tag = Type.String({ minLength: 1, maxLength: 64 });
const Actions = Type.Object({
  status: Type.Optional(Type.Union(TICKET_STATUSES.map((s) => Type.Literal(s)))),
  priority: Type.Optional(Type.Union(TICKET_PRIORITIES.map((s) => Type.Literal(s)))),
  addTags: Type.Optional(Type.Array(Tag, { maxItems: 20 })),
  removeTags: Type.Optional(Type.Array(Tag, { maxItems: 20 })),
  assigneeId: Type.Optional(Type.Union([Uuid, Type.Null()])),
  teamId: Type.Optional(Type.Union([Uuid, Type.Null()])),
}, { additionalProperties: false });
const MacroBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), body: Type.String({ maxLength: 20_000 }), actions: Type.Optional(Actions) }, { additionalProperties: false });
const Macro = Type.Object({ id: Uuid, name: Type.String(), body: Type.String(), actions: Actions, updatedAt: Type.String() });
const Warning = Type.Object({ type: Type.Union(DLP_WARNING_TYPES.map((t) => Type.Literal(t))), placeholder: Type.Union([Type.String(), Type.Null()]), action: Type.String() });
const Problem = { $ref: 'Problem#' } as const;
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 413: Problem };
const TicketMacro = Type.Object({ id: Uuid, macroId: Uuid });

export async function macroRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = await createHelpdeskDeps(app.services);
  const manage = requirePermission('macros.manage');

  r.get('/api/macros', { preHandler: requirePermission('tickets.write'), schema: { tags: ['macros'], summary: 'Macros available to apply', response: { 200: Type.Object({ items: Type.Array(Macro) }), ...errors } } }, async (request) => ({
    items: await listMacros(deps, agentOf(request)),
  }));

  r.post('/api/macros', { preHandler: manage, schema: { tags: ['macros'], summary: 'Create a macro (card numbers and secrets refused; other sensitive types warned)', body: MacroBody, response: { 201: Type.Intersect([Macro, Type.Object({ warnings: Type.Array(Type.String()) })]), ...errors } } }, async (request, reply) => {
    const saved = await saveMacro(deps, agentOf(request), request.body);
    reply.code(201);
    return saved;
  });

  r.put('/api/macros/:id', { preHandler: manage, schema: { tags: ['macros'], summary: 'Replace a macro', params: Type.Object({ id: Uuid }), body: MacroBody, response: { 200: Type.Intersect([Macro, Type.Object({ warnings: Type.Array(Type.String()) })]), ...errors } } }, async (request) =>
    saveMacro(deps, agentOf(request), { ...request.body, macroId: request.params.id }),
  );

  r.delete('/api/macros/:id', { preHandler: manage, schema: { tags: ['macros'], summary: 'Delete a macro', params: Type.Object({ id: Uuid }), response: { 200: Type.Object({ ok: Type.Literal(true) }), ...errors } } }, async (request) => {
    await deleteMacro(deps, agentOf(request), { macroId: request.params.id });
    return { ok: true as const };
  });

  r.post('/api/tickets/:id/macros/:macroId/preview', { preHandler: requirePermission('tickets.write'), schema: { tags: ['macros'], summary: 'The macro filled in for this ticket, with sensitive-data warnings (changes nothing)', params: TicketMacro, response: { 200: Type.Object({ body: Type.String(), warnings: Type.Array(Warning) }), ...errors } } }, async (request) =>
    previewMacro(deps, agentOf(request), { ticketId: request.params.id, macroId: request.params.macroId }),
  );

  r.post('/api/tickets/:id/macros/:macroId/apply', {
    preHandler: requirePermission('tickets.write'),
    schema: {
      tags: ['macros'],
      summary: 'Apply a macro: post it as a reply or note and run its actions in one transaction (409 with warnings when a placeholder inserts sensitive data into a reply)',
      params: TicketMacro,
      body: Type.Object({ send: Type.Union([Type.Literal('reply'), Type.Literal('note'), Type.Literal('none')]), acknowledgeWarnings: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      response: { 200: Type.Object({ messageId: Type.Union([Uuid, Type.Null()]), warnings: Type.Array(Warning) }), ...errors },
    },
  }, async (request) => applyMacro(deps, agentOf(request), { ticketId: request.params.id, macroId: request.params.macroId, send: request.body.send, ...(request.body.acknowledgeWarnings !== undefined ? { acknowledgeWarnings: request.body.acknowledgeWarnings } : {}) }));
}
