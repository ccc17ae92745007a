/**
 * /api/policies/*: data-handling policies (docs/policies.md, decisions 0212–0214; schemas:
 * src/platform/http/schemas/policies.ts). Drafts, publishing and the history need policies.manage
 * (publishing, like every policies.manage write, a fresh second factor). Reading the internal policy in
 * force and attesting need only a staff account; attesting is an `ownAccount` write (an auditor attests too;
 * a token cannot attest for its owner). Who has not attested: training.read or policies.manage. The public
 * policy is read without signing in at /api/portal/policy.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { policyEndpoints as e } from '../../platform/http/schemas/policies.js';
import { DEFAULT_PORTAL_POLICY } from '../../helpdesk/portal/deps.js';
import { requirePermission } from '../auth/access.js';
import { requirePrincipal } from '../auth/auth.routes.js';
import { attestPolicy, readMyPolicy, readOutstanding, readPersonAttestations } from './attestations.service.js';
import { readPublicPolicy } from './public.service.js';
import { publishDraft, readOverview, readVersion, saveDraft, type PolicyActor, type PolicyDeps } from './versions.service.js';

const tags = ['policies'];

function actorOf(request: FastifyRequest): PolicyActor {
  return { principal: requirePrincipal(request), requestId: request.id };
}

export async function policyRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps: PolicyDeps = {
    db: app.services.database.db,
    audit: app.services.audit,
    stepUpMinutes: app.services.config.stepUpMinutes,
    secureLinkDays: Math.round(DEFAULT_PORTAL_POLICY.secureLinkTtlMs / 86_400_000),
  };
  const manage = requirePermission('policies.manage');

  r.get(e.overview.url, { preHandler: manage, schema: routeSchema(e.overview, { tags, summary: 'Both policies: drafts (with a preview) and version history' }) }, async (request) =>
    readOverview(deps, requirePrincipal(request).orgId),
  );
  r.put(e.saveDraft.url, { preHandler: manage, schema: routeSchema(e.saveDraft, { tags, summary: 'Save the draft of the internal or public policy' }) }, async (request) =>
    saveDraft(deps, actorOf(request), request.params.kind, request.body),
  );
  r.post(e.publish.url, { preHandler: manage, schema: routeSchema(e.publish, { tags, summary: 'Publish the draft as the next version, with the date it takes effect' }) }, async (request, reply) =>
    reply.code(201).send(await publishDraft(deps, actorOf(request), request.params.kind, request.body)),
  );
  r.get(e.version.url, { preHandler: manage, schema: routeSchema(e.version, { tags, summary: 'One published version, rendered' }) }, async (request) =>
    readVersion(deps, requirePrincipal(request).orgId, request.params.id),
  );
  r.get(e.mine.url, { schema: routeSchema(e.mine, { tags, summary: 'The internal policy in force, and whether you must confirm it' }) }, async (request) =>
    readMyPolicy(deps, requirePrincipal(request)),
  );
  r.post(e.attest.url, {
    config: { ownAccount: true, rateLimit: { max: 30, timeWindow: '1 minute' } },
    schema: routeSchema(e.attest, { tags, summary: 'Confirm you read the internal policy in force (idempotent)' }),
  }, async (request, reply) => reply.code(201).send(await attestPolicy(deps, actorOf(request), request.body.versionId)));
  r.get(e.outstanding.url, { schema: routeSchema(e.outstanding, { tags, summary: 'Who has not confirmed the internal policy in force (team leads: their teams)' }) }, async (request) =>
    readOutstanding(deps, actorOf(request)),
  );
  r.get(e.person.url, { schema: routeSchema(e.person, { tags, summary: 'One person’s policy attestations' }) }, async (request) =>
    readPersonAttestations(deps, actorOf(request), request.params.id),
  );
  r.get(e.publicPolicy.url, {
    config: { public: true, rateLimit: { max: 60, timeWindow: '1 minute' } },
    schema: routeSchema(e.publicPolicy, { tags: ['portal'], summary: 'An organisation’s public data-handling policy and how to reach it safely' }),
  }, async (request) => readPublicPolicy({ db: deps.db, publicUrl: app.services.config.publicUrl }, request.query.organizationId, request.hostname));
}
