/**
 * /api/onboarding (+ /dismiss): the getting-started checklist for administrators (users.manage).
 * Schemas: src/platform/http/schemas/onboarding.ts. Decision 0160.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../auth/access.js';
import { clientOf, requirePrincipal } from '../auth/auth.routes.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { onboardingEndpoints as e } from '../../platform/http/schemas/onboarding.js';
import { dismissOnboarding, readOnboarding } from './onboarding.js';

export async function onboardingRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['organization'];
  r.get(e.read.url, { preHandler: requirePermission('users.manage'), schema: routeSchema(e.read, { tags, summary: 'The getting-started checklist, each item computed from what exists' }) }, async (request) => {
    return readOnboarding(app.services.database.db, requirePrincipal(request).orgId);
  });
  r.post(e.dismiss.url, { preHandler: requirePermission('users.manage'), schema: routeSchema(e.dismiss, { tags, summary: 'Hide the checklist for the whole organisation (audited)' }) }, async (request) => {
    const p = requirePrincipal(request);
    const c = clientOf(request);
    return dismissOnboarding({ db: app.services.database.db, audit: app.services.audit }, { orgId: p.orgId, userId: p.userId, requestId: c.requestId, ip: c.ip });
  });
}
