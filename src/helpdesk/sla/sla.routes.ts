/** /api/sla-policies — list, create, update, delete (channels.manage). Schemas: src/platform/http/schemas/sla.ts. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { slaEndpoints as e } from '../../platform/http/schemas/sla.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { agentOf } from '../tickets/ticket-bulk.routes.js';
import { deleteSlaPolicy, listSlaPolicies, saveSlaPolicy } from './sla.service.js';

export async function slaRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = await createHelpdeskDeps(app.services);
  const guard = requirePermission('channels.manage');
  const tags = ['sla'];

  r.get(e.list.url, { preHandler: guard, schema: routeSchema(e.list, { tags, summary: 'SLA policies of the organisation' }) }, async (request) => ({
    items: await listSlaPolicies(deps, agentOf(request)),
  }));

  r.post(e.create.url, { preHandler: guard, schema: routeSchema(e.create, { tags, summary: 'Create an SLA policy (active by default; the previous active one is deactivated)' }) }, async (request, reply) => {
    const saved = await saveSlaPolicy(deps, agentOf(request), request.body);
    return reply.code(201).send(saved);
  });

  r.put(e.update.url, { preHandler: guard, schema: routeSchema(e.update, { tags, summary: 'Replace an SLA policy' }) }, async (request) =>
    saveSlaPolicy(deps, agentOf(request), { ...request.body, policyId: request.params.id }),
  );

  r.delete(e.remove.url, { preHandler: guard, schema: routeSchema(e.remove, { tags, summary: 'Delete an SLA policy (tickets keep the due times they were given)' }) }, async (request) => {
    await deleteSlaPolicy(deps, agentOf(request), { policyId: request.params.id });
    return { ok: true as const };
  });
}
