/**
 * /api/macros (list: tickets.write; create/update/delete: macros.manage) and
 * /api/tickets/:id/macros/:macroId/{preview,apply} (tickets.write; the
 * service checks the ticket, and tickets.assign for assignment actions).
 * Schemas: src/platform/http/schemas/macros.ts.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { ProblemRef, routeSchema } from '../../platform/http/schemas/common.js';
import { macroEndpoints as e } from '../../platform/http/schemas/macros.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { agentOf } from '../tickets/ticket-bulk.routes.js';
import { applyMacro, deleteMacro, listMacros, previewMacro, saveMacro } from './macros.service.js';

const tags = ['macros'];
const tooLarge = { extraResponses: { 413: ProblemRef } };

export async function macroRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = await createHelpdeskDeps(app.services);
  const manage = requirePermission('macros.manage');

  r.get(e.list.url, { preHandler: requirePermission('tickets.write'), schema: routeSchema(e.list, { tags, summary: 'Macros available to apply' }) }, async (request) => ({
    items: await listMacros(deps, agentOf(request)),
  }));

  r.post(e.create.url, { preHandler: manage, schema: routeSchema(e.create, { tags, summary: 'Create a macro (card numbers and secrets refused; other sensitive types warned)', ...tooLarge }) }, async (request, reply) => {
    const saved = await saveMacro(deps, agentOf(request), request.body);
    return reply.code(201).send(saved);
  });

  r.put(e.update.url, { preHandler: manage, schema: routeSchema(e.update, { tags, summary: 'Replace a macro', ...tooLarge }) }, async (request) =>
    saveMacro(deps, agentOf(request), { ...request.body, macroId: request.params.id }),
  );

  r.delete(e.remove.url, { preHandler: manage, schema: routeSchema(e.remove, { tags, summary: 'Delete a macro' }) }, async (request) => {
    await deleteMacro(deps, agentOf(request), { macroId: request.params.id });
    return { ok: true as const };
  });

  r.post(e.preview.url, { preHandler: requirePermission('tickets.write'), schema: routeSchema(e.preview, { tags, summary: 'The macro filled in for this ticket, with sensitive-data warnings (changes nothing)' }) }, async (request) =>
    previewMacro(deps, agentOf(request), { ticketId: request.params.id, macroId: request.params.macroId }),
  );

  r.post(e.apply.url, {
    preHandler: requirePermission('tickets.write'),
    schema: routeSchema(e.apply, { tags, summary: 'Apply a macro: post it as a reply or note and run its actions in one transaction (409 with warnings when a placeholder inserts sensitive data into a reply)' }),
  }, async (request) => applyMacro(deps, agentOf(request), { ticketId: request.params.id, macroId: request.params.macroId, send: request.body.send, ...(request.body.acknowledgeWarnings !== undefined ? { acknowledgeWarnings: request.body.acknowledgeWarnings } : {}) }));
}
