/**
 * /api/organization/masking-policy: the field masking policy (decision 0143).
 * Read by anyone who reads tickets (the reveal form needs its reason rules);
 * changed under policies.manage with a fresh second factor, audited with
 * before and after. Register `maskingPolicyRoutes`.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { clientOf, requirePrincipal } from '../../identity/auth/auth.routes.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { maskingEndpoints as e } from '../../platform/http/schemas/masking.js';
import { readMaskingPolicy, updateMaskingPolicy } from './masking-policy.js';

export async function maskingPolicyRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['customers'];
  const db = () => app.services.database.db;

  r.get(e.read.url, {
    preHandler: requirePermission('tickets.read'),
    schema: routeSchema(e.read, { tags, summary: 'The field masking policy: fields in clear per role, step-up per field, reason rules' }),
  }, async (request) => readMaskingPolicy(db(), requirePrincipal(request)));

  r.put(e.update.url, {
    preHandler: requirePermission('policies.manage'),
    schema: routeSchema(e.update, { tags, summary: 'Replace the field masking policy (step-up; audited with before and after)' }),
  }, async (request) => {
    const client = clientOf(request);
    await updateMaskingPolicy({ db: db(), audit: app.services.audit }, { principal: requirePrincipal(request), requestId: client.requestId, sourceIp: client.ip }, request.body);
    return { ok: true as const };
  });
}
