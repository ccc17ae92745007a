/**
 * /api/siem/destinations — the SIEM destinations the audit trail streams to (docs/siem.md, decision 0193):
 * list and read with delivery status (siem.read), create, change, delete and test (siem.manage).
 * Schemas: src/platform/http/schemas/siem.ts.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { clientOf, requirePrincipal } from '../../identity/auth/auth.routes.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { siemEndpoints as e } from '../../platform/http/schemas/siem.js';
import { siemDepsOf } from './deps.js';
import { createDestination, deleteDestination, getDestination, listDestinations, testDestination, updateDestination, type SiemActor, type SiemDeps } from './destinations.service.js';

const tags = ['siem'];

function actorOf(request: FastifyRequest): SiemActor {
  const p = requirePrincipal(request);
  const client = clientOf(request);
  const token = p.kind === 'token';
  return {
    orgId: p.orgId,
    userId: p.userId,
    actor: { type: token ? 'token' : 'user', id: token ? (p.tokenId ?? p.userId) : p.userId },
    requestId: client.requestId,
    sourceIp: client.ip,
  };
}

export function createSiemRoutes(options: { deps?: (app: FastifyInstance) => SiemDeps } = {}) {
  return async function siemRoutes(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const deps = options.deps ? options.deps(app) : siemDepsOf(app.services);
    const read = requirePermission('siem.read');
    const manage = requirePermission('siem.manage');

    r.get(e.list.url, { preHandler: read, schema: routeSchema(e.list, { tags, summary: 'SIEM destinations with their delivery status (lag, last error, last success)' }) }, async (request) => ({
      items: await listDestinations(deps, requirePrincipal(request).orgId),
    }));

    r.post(e.create.url, { preHandler: manage, schema: routeSchema(e.create, { tags, summary: 'Add a destination; secrets are stored encrypted and never returned (audited)' }) }, async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return reply.code(201).send(await createDestination(deps, actorOf(request), request.body));
    });

    r.get(e.read.url, { preHandler: read, schema: routeSchema(e.read, { tags, summary: 'One destination and its delivery status' }) }, async (request) =>
      getDestination(deps, requirePrincipal(request).orgId, request.params.id),
    );

    r.put(e.update.url, { preHandler: manage, schema: routeSchema(e.update, { tags, summary: 'Change a destination; a secret left out stays, null removes it (audited)' }) }, async (request) =>
      updateDestination(deps, actorOf(request), request.params.id, request.body),
    );

    r.delete(e.remove.url, { preHandler: manage, schema: routeSchema(e.remove, { tags, summary: 'Remove a destination and its cursor (audited)' }) }, async (request) => {
      await deleteDestination(deps, actorOf(request), request.params.id);
      return { ok: true as const };
    });

    r.post(
      e.test.url,
      { preHandler: manage, config: { rateLimit: { max: 10, timeWindow: '1 minute' } }, schema: routeSchema(e.test, { tags, summary: 'Send one test message now and report the outcome (audited; the cursor is not moved)' }) },
      async (request) => testDestination(deps, actorOf(request), request.params.id),
    );
  };
}

export const siemRoutes = createSiemRoutes();
