/** /api/sla-policies — list, create, update (channels.manage). */
import { Type, type Static, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../auth/access.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { agentOf } from '../tickets/ticket-bulk.routes.js';
import { saveSlaPolicy, listSlaPolicies } from './sla.service.js';

const Target = Type.Object({ firstResponseMinutes: Type.Integer({ minimum: 1, maximum: 525_600 }), resolutionMinutes: Type.Integer({ minimum: 1, maximum: 525_600 }) }, { additionalProperties: false });
const PolicyBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  timeZone: Type.String({ minLength: 1, maxLength: 64 }),
  businessHours: Type.Object({ weekdays: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, maxItems: 7 }), start: Type.String({ pattern: '^\\d{2}:\\d{2}$' }), end: Type.String({ pattern: '^\\d{2}:\\d{2}$' }) }, { additionalProperties: false }),
  holidays: Type.Optional(Type.Array(Type.String({ format: 'date' }), { maxItems: 400 })),
  targets: Type.Object({ low: Type.Optional(Target), normal: Type.Optional(Target), high: Type.Optional(Target), urgent: Type.Optional(Target) }, { additionalProperties: false }),
  active: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
const Policy = Type.Intersect([Type.Omit(PolicyBody, ['active', 'holidays']), Type.Object({ id: Type.String(), active: Type.Boolean(), holidays: Type.Array(Type.String()), updatedAt: Type.String() })]);
const Problem = { $ref: 'Problem#' } as const;
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };

export async function slaRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = await createHelpdeskDeps(app.services);
  const guard = requirePermission('channels.manage');

  r.get('/api/sla-policies', { preHandler: guard, schema: { tags: ['sla'], summary: 'SLA policies of the organisation', response: { 200: Type.Object({ items: Type.Array(Policy) }), ...errors } } }, async (request) => ({
    items: await listSlaPolicies(deps, agentOf(request)),
  }));

  r.post('/api/sla-policies', { preHandler: guard, schema: { tags: ['sla'], summary: 'Create an SLA policy (active by default; the previous active one is deactivated)', body: PolicyBody, response: { 201: Policy, ...errors } } }, async (request, reply) => {
    const saved = await saveSlaPolicy(deps, agentOf(request), request.body as Static<typeof PolicyBody>);
    reply.code(201);
    return saved;
  });

  r.put('/api/sla-policies/:id', { preHandler: guard, schema: { tags: ['sla'], summary: 'Replace an SLA policy', params: Type.Object({ id: Type.String({ format: 'uuid' }) }), body: PolicyBody, response: { 200: Policy, ...errors } } }, async (request) =>
    saveSlaPolicy(deps, agentOf(request), { ...(request.body as Static<typeof PolicyBody>), policyId: request.params.id }),
  );
}
