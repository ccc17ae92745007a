/**
 * Phishing simulations (decision 0192):
 *   /api/simulations/templates          shipped templates and their preview (simulations.manage)
 *   /api/simulations/campaigns          create and list (manage), results (simulations.read), deliver due now, end (manage)
 *   /l/:token                           the public landing page of a click (rate limited; hostile tokens count nothing)
 *   /api/simulations/landing/seen       the landing page's script: a person, not a scanner (public, rate limited)
 *   /api/simulations/landing/entered    something was typed on a landing form (public; what was typed is never read)
 * Due deliveries also go out on a timer while the server runs.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { clientOf, requirePrincipal } from '../../identity/auth/auth.routes.js';
import { AppError } from '../../platform/errors.js';
import { startPeriodic } from '../../platform/periodic.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { simulationEndpoints as e } from '../../platform/http/schemas/simulations.js';
import { LocalBlobStore, type BlobStore } from '../../protection/blobs/store.js';
import { createHelpdeskDeps, type AgentContext } from '../../helpdesk/tickets/context.js';
import { campaignResults, createCampaign, deliverDueSimulations, endCampaign, listCampaigns } from './campaigns.service.js';
import { renderInvalidLink, renderLandingPage, SEEN_SCRIPT } from './landing-page.js';
import { findTemplate, SHIPPED_TEMPLATES } from './shipped-templates.js';
import { renderTemplate, SAMPLE_VALUES, type SimulationTemplate } from './templates.js';
import { confirmHumanView, landOnSimulation, recordDataEntered } from './tracking.js';

const tags = ['simulations'];
const LANDING_LIMIT = { max: 30, timeWindow: '1 minute' };

const summary = (t: SimulationTemplate) => ({ id: t.id, version: t.version, name: t.name, scenario: t.scenario, difficulty: t.difficulty, trainingTopic: t.trainingTopic });

function agentContext(request: FastifyRequest): AgentContext {
  const client = clientOf(request);
  return { principal: requirePrincipal(request), requestId: client.requestId, sourceIp: client.ip };
}

export function createSimulationRoutes(options: { blobs?: BlobStore; deliveryIntervalMs?: number } = {}) {
  return async function simulationRoutes(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const deps = await createHelpdeskDeps(app.services);
    const blobs = options.blobs ?? new LocalBlobStore(app.services.config.blobDirPath);
    const delivery = { blobs, maxAttachmentBytes: app.services.config.smtpMaxBytes, publicUrl: deps.publicUrl };

    // Due deliveries go out on a timer (every minute by default; 0 turns it off, as tests do).
    const every = options.deliveryIntervalMs ?? 60_000;
    if (every > 0) {
      const stop = startPeriodic(() => deliverDueSimulations(deps, delivery), every, (err) => app.log.warn({ err }, 'simulation deliveries failed'));
      app.addHook('onClose', async () => stop());
    }

    r.get(e.templates.url, { preHandler: requirePermission('simulations.manage'), schema: routeSchema(e.templates, { tags, summary: 'Shipped simulation templates' }) }, async () => ({ items: SHIPPED_TEMPLATES.map(summary) }));

    r.get(e.preview.url, { preHandler: requirePermission('simulations.manage'), schema: routeSchema(e.preview, { tags, summary: 'A template rendered with sample values, with its red flags' }) }, async (request) => {
      const t = findTemplate(request.params.id);
      if (!t) throw new AppError('not_found', 'No such template.');
      const m = renderTemplate(t, SAMPLE_VALUES);
      return { template: summary(t), fromName: m.fromName, fromAddress: m.fromAddress, subject: m.subject, text: m.text, redFlags: t.redFlags };
    });

    r.get(e.list.url, { preHandler: requirePermission('simulations.read'), schema: routeSchema(e.list, { tags, summary: 'Simulation campaigns' }) }, async (request) => ({ items: await listCampaigns(deps, requirePrincipal(request)) }));

    r.post(e.create.url, { preHandler: requirePermission('simulations.manage'), schema: routeSchema(e.create, { tags, summary: 'Create a campaign: targets resolved now, deliveries staggered over the window (audited)' }) }, async (request, reply) => {
      return reply.code(201).send(await createCampaign(deps, agentContext(request), request.body));
    });

    r.get(e.results.url, { preHandler: requirePermission('simulations.read'), schema: routeSchema(e.results, { tags, summary: 'A campaign’s results: counts and each recipient’s events' }) }, async (request) => campaignResults(deps, requirePrincipal(request), request.params.id));

    r.post(e.deliver.url, { preHandler: requirePermission('simulations.manage'), schema: routeSchema(e.deliver, { tags, summary: 'Deliver the campaign’s due messages now (the timer does it too)' }) }, async (request) => {
      const p = requirePrincipal(request);
      const found = await deps.db.selectFrom('simulation_campaigns').where('id', '=', request.params.id).where('org_id', '=', p.orgId).select('id').executeTakeFirst();
      if (!found) throw new AppError('not_found', 'No such campaign.');
      return deliverDueSimulations(deps, delivery, { orgId: p.orgId, campaignId: found.id, limit: 1000 });
    });

    r.post(e.end.url, { preHandler: requirePermission('simulations.manage'), schema: routeSchema(e.end, { tags, summary: 'End a campaign: undelivered messages are not sent, later clicks count for nothing (audited)' }) }, async (request) => {
      await endCampaign(deps, agentContext(request), request.params.id);
      return { ok: true as const };
    });

    r.post(e.confirm.url, { config: { public: true, rateLimit: LANDING_LIMIT }, schema: routeSchema(e.confirm, { tags, summary: 'The landing page’s script: a person saw it (public)' }) }, async (request) => {
      if (!(await confirmHumanView(deps, { token: request.body.token }))) throw new AppError('not_found', 'This link is not valid.');
      return { ok: true as const };
    });

    r.post(e.entered.url, { config: { public: true, rateLimit: LANDING_LIMIT }, schema: routeSchema(e.entered, { tags, summary: 'Something was typed on a landing form; what was typed is never read (public)' }) }, async (request) => {
      if (!(await recordDataEntered(deps, { token: request.body.token }))) throw new AppError('not_found', 'This link is not valid.');
      return { ok: true as const };
    });

    // The landing page: HTML, outside /api, public and rate limited.
    app.get('/l-assets/seen.js', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(SEEN_SCRIPT));
    app.get<{ Params: { token: string } }>('/l/:token', { config: { public: true, rateLimit: LANDING_LIMIT }, schema: { hide: true } }, async (request, reply) => {
      reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').type('text/html; charset=utf-8');
      const view = await landOnSimulation(deps, { token: String(request.params.token).slice(0, 200), publicUrl: deps.publicUrl });
      if (!view) return reply.code(404).send(renderInvalidLink());
      return reply.send(renderLandingPage(view, `${deps.publicUrl}/training`));
    });
  };
}

export const simulationRoutes = createSimulationRoutes();
