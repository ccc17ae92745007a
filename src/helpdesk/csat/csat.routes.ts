/**
 * Satisfaction ratings. Agent: the ticket's rating (tickets.read, audited). Anyone holding a
 * rating link: what the page shows (records nothing) and the confirmed rating (rate-limited).
 * Customer (portal session): rate a solved request. Schemas: src/platform/http/schemas/csat.ts.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { ProblemRef, problemResponses, routeSchema } from '../../platform/http/schemas/common.js';
import { csatEndpoints as e } from '../../platform/http/schemas/csat.js';
import { createPortalDeps } from '../portal/deps.js';
import { authenticatePortal, requirePortalSessionFirst } from '../portal/sessions.js';
import { agentOf } from '../tickets/ticket-bulk.routes.js';
import { actingFromAgent } from '../tickets/context.js';
import { loadCsatSettings, storeCsatSettings } from './settings.js';
import { checkCsatLink, portalCsatState, rateByLink, rateFromPortal, readTicketCsat } from './csat.service.js';

const errors = { ...problemResponses, 410: ProblemRef, 429: ProblemRef };
const tags = ['csat'];

export async function csatRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = await createPortalDeps(app.services);
  requirePortalSessionFirst(app, deps);

  r.get(e.ticket.url, { preHandler: requirePermission('tickets.read'), schema: routeSchema(e.ticket, { tags, summary: 'The ticket’s satisfaction rating and comment (an audited read)' }) }, async (request) =>
    readTicketCsat(deps, agentOf(request), { ticketId: request.params.id }),
  );

  r.post(e.check.url, {
    config: { public: true, rateLimit: { max: 30, timeWindow: '1 minute' } },
    schema: { tags, summary: 'What a rating link’s page shows (ticket number, rating so far); records nothing', body: e.check.body, response: { 200: e.check.response, ...errors } },
  }, async (request) => checkCsatLink(deps, request.body));

  r.post(e.rate.url, {
    config: { public: true, rateLimit: { max: 10, timeWindow: '1 minute' } },
    schema: { tags, summary: 'Record or change the rating of a rating link until it expires (410 when expired or unknown)', body: e.rate.body, response: { 200: e.rate.response, ...errors } },
  }, async (request) => rateByLink(deps, { ip: request.ip, requestId: String(request.id) }, request.body));

  r.get(e.portalState.url, {
    config: { public: true, portalSession: true },
    schema: { tags, summary: 'Whether one of my requests can be rated, and my rating', params: e.portalState.params, response: { 200: e.portalState.response, ...errors } },
  }, async (request) => portalCsatState(deps, await authenticatePortal(deps, request), { ticketId: request.params.id }));

  r.post(e.portalRate.url, {
    config: { public: true, portalSession: true, rateLimit: { max: 20, timeWindow: '1 minute' } },
    schema: { tags, summary: 'Rate one of my solved requests (or change my rating)', params: e.portalRate.params, body: e.portalRate.body, response: { 200: e.portalRate.response, ...errors } },
  }, async (request) => rateFromPortal(deps, await authenticatePortal(deps, request), { ticketId: request.params.id, ...request.body }));

  r.get(e.settings.url, {
    preHandler: requirePermission('channels.manage'),
    schema: routeSchema(e.settings, { tags, summary: 'Whether solving an email ticket sends the satisfaction survey' }),
  }, async (request) => loadCsatSettings(deps.db, agentOf(request).principal.orgId));

  r.put(e.setSettings.url, {
    preHandler: requirePermission('channels.manage'),
    schema: routeSchema(e.setSettings, { tags, summary: 'Turn the satisfaction survey on or off (audited)' }),
  }, async (request) => {
    const ctx = agentOf(request);
    await deps.db.transaction().execute(async (trx) => {
      await storeCsatSettings(trx, ctx.principal.orgId, request.body);
      await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'policy.csat_change', object: { type: 'organization', id: ctx.principal.orgId }, result: 'success', details: { enabled: request.body.enabled } });
    });
    return { ok: true as const };
  });
}
