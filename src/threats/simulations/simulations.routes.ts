/**
 * Phishing simulations (decision 0192):
 *   /api/simulations/templates          shipped and own templates, their preview, a draft's preview, copy (simulations.manage)
 *   /api/simulations/custom-templates   the organisation's own templates: create, read, edit, delete (simulations.manage)
 *   /api/simulations/settings           scanner ranges, banner, language (read: simulations.read; write: simulations.manage)
 *   /api/simulations/campaigns          create and list (manage), results (simulations.read), deliver due now, end (manage)
 *   /l/:token                           the public landing page of a click (rate limited; hostile tokens count nothing)
 *   /api/simulations/landing/seen       the landing page's script: a person, not a scanner (public, rate limited)
 *   /api/simulations/landing/entered    something was typed on a landing form (public; what was typed is never read)
 *   POST /l/:token                      the landing form's submission: its body is discarded unread (decision 0197)
 * Due deliveries also go out on a timer while the server runs.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { clientOf, requirePrincipal } from '../../identity/auth/auth.routes.js';
import { AppError } from '../../platform/errors.js';
import { startPeriodic } from '../../platform/periodic.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { simulationEndpoints as e } from '../../platform/http/schemas/simulations.js';
import { LocalBlobStore, type BlobStore } from '../../protection/blobs/store.js';
import { actingFromAgent, createHelpdeskDeps, type AgentContext } from '../../helpdesk/tickets/context.js';
import { campaignResults, createCampaign, deliverDueSimulations, endCampaign, listCampaigns } from './campaigns.service.js';
import { documentText } from './attachment.js';
import { attachmentAsDocument, copyShippedTemplate, createOrgTemplate, deleteOrgTemplate, listOrgTemplates, pickVersion, readOrgTemplate, resolveForCampaign, SHIPPED_LANGUAGE, updateOrgTemplate, versionAsTemplate } from './custom-templates.js';
import { LANDING_CSS, renderInvalidLink, renderLandingForm, renderLandingPage, SEEN_SCRIPT } from './landing-page.js';
import { findTemplate, SHIPPED_TEMPLATES } from './shipped-templates.js';
import { readSimulationSettings, validateSettings, writeSimulationSettings } from './settings.js';
import { checkTemplate, renderTemplate, SAMPLE_VALUES, type SimulationTemplate } from './templates.js';
import { confirmHumanView, landOnSimulation, recordDataEntered } from './tracking.js';
import type { StoredTemplate } from './schema.js';

const tags = ['simulations'];
const LANDING_LIMIT = { max: 30, timeWindow: '1 minute' };

const summary = (t: SimulationTemplate) => ({ id: t.id, version: t.version, name: t.name, scenario: t.scenario, difficulty: t.difficulty, trainingTopic: t.trainingTopic, custom: false, languages: [SHIPPED_LANGUAGE] });
const orgSummary = (t: StoredTemplate) => ({ id: t.id, version: t.version, name: t.name, scenario: t.scenario, difficulty: t.difficulty, trainingTopic: t.trainingTopic, custom: true, languages: t.versions.map((v) => v.language) });

/** A template rendered for the sample agent, with its red flags (the builder's and the editor's preview). */
function previewOf(t: SimulationTemplate, language: string) {
  const m = renderTemplate(t, SAMPLE_VALUES);
  return { fromName: m.fromName, fromAddress: m.fromAddress, subject: m.subject, text: m.text, redFlags: t.redFlags, language, attachment: attachmentPreview(t) };
}

/** The attachment as the sample agent would get it through the support queue (decision 0223). */
function attachmentPreview(t: SimulationTemplate) {
  if (!t.attachment) return null;
  const facts = { number: 'INV-2026-04817', issued: new Date('2026-03-02T09:00:00Z'), due: new Date('2026-03-09T09:00:00Z'), amountCents: 128_000 };
  const spec = t.attachment.kind === 'document' ? t.attachment : { kind: 'document' as const, ...attachmentAsDocument(t.attachment) };
  try {
    const d = documentText(spec, SAMPLE_VALUES, facts);
    return { filename: `${d.filename}.pdf`, title: d.title, lines: d.lines, button: d.button };
  } catch {
    return null; // an unknown variable: listed among the draft's problems
  }
}

function agentContext(request: FastifyRequest): AgentContext {
  const client = clientOf(request);
  return { principal: requirePrincipal(request), requestId: client.requestId, sourceIp: client.ip };
}

export function createSimulationRoutes(options: { blobs?: BlobStore; deliveryIntervalMs?: number } = {}) {
  return async function simulationRoutes(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const deps = await createHelpdeskDeps(app.services);
    const blobs = options.blobs ?? new LocalBlobStore(app.services.config.blobDirPath);
    const mailer = app.services.mailer;
    const relay = mailer.sendRaw ? (envelope: { from: string; to: string[] }, raw: Buffer) => mailer.sendRaw!(envelope, raw) : undefined;
    const delivery = { blobs, maxAttachmentBytes: app.services.config.smtpMaxBytes, publicUrl: deps.publicUrl, relay };

    // Due deliveries go out on a timer (every minute by default; 0 turns it off, as tests do).
    const every = options.deliveryIntervalMs ?? 60_000;
    if (every > 0) {
      const stop = startPeriodic(() => deliverDueSimulations(deps, delivery), every, (err) => app.log.warn({ err }, 'simulation deliveries failed'));
      app.addHook('onClose', async () => stop());
    }

    r.get(e.templates.url, { preHandler: requirePermission('simulations.manage'), schema: routeSchema(e.templates, { tags, summary: 'Shipped and the organisation’s own simulation templates' }) }, async (request) => ({
      items: [...(await listOrgTemplates(deps.db, requirePrincipal(request).orgId)).map(orgSummary), ...SHIPPED_TEMPLATES.map(summary)],
    }));

    r.get(e.preview.url, { preHandler: requirePermission('simulations.manage'), schema: routeSchema(e.preview, { tags, summary: 'A template rendered for a sample agent, with its red flags (in a language)' }) }, async (request) => {
      const p = requirePrincipal(request);
      const found = await resolveForCampaign(deps.db, p.orgId, request.params.id);
      if (!found) throw new AppError('not_found', 'No such template.');
      const language = request.query.language ?? (await readSimulationSettings(deps.db, p.orgId)).language;
      if (!found.stored) {
        const t = findTemplate(request.params.id)!;
        return { template: summary(t), ...previewOf(t, SHIPPED_LANGUAGE) };
      }
      const v = pickVersion(found.stored, language);
      return { template: orgSummary(found.stored), ...previewOf(versionAsTemplate(found.stored, v), v.language) };
    });

    r.post(e.draftPreview.url, { preHandler: requirePermission('simulations.manage'), schema: routeSchema(e.draftPreview, { tags, summary: 'An unsaved template rendered for a sample agent, with what keeps it from being saved' }) }, async (request) => {
      const body = request.body.template;
      const stored: StoredTemplate = { id: 'draft', version: 1, name: body.name, scenario: body.scenario, difficulty: body.difficulty as 1 | 2 | 3, trainingTopic: body.trainingTopic, defaultLanguage: body.defaultLanguage, versions: body.versions };
      const v = pickVersion(stored, request.body.language ?? body.defaultLanguage);
      const t = versionAsTemplate(stored, v);
      const problems = checkTemplate(t).filter((x) => !x.startsWith('id:'));
      if (problems.some((x) => x.startsWith('unknown template variable'))) return { fromName: '', fromAddress: '', subject: '', text: '', redFlags: t.redFlags, language: v.language, attachment: null, problems };
      return { ...previewOf(t, v.language), problems };
    });

    r.post(e.copy.url, { preHandler: requirePermission('simulations.manage'), schema: routeSchema(e.copy, { tags, summary: 'Copy a shipped template into the organisation’s own, to edit (audited)' }) }, async (request, reply) => {
      return reply.code(201).send(await copyShippedTemplate(deps, agentContext(request), request.params.id));
    });

    r.get(e.orgTemplates.url, { preHandler: requirePermission('simulations.manage'), schema: routeSchema(e.orgTemplates, { tags, summary: 'The organisation’s own templates' }) }, async (request) => ({ items: await listOrgTemplates(deps.db, requirePrincipal(request).orgId) }));

    r.get(e.orgTemplate.url, { preHandler: requirePermission('simulations.manage'), schema: routeSchema(e.orgTemplate, { tags, summary: 'One of the organisation’s own templates' }) }, async (request) => readOrgTemplate(deps.db, requirePrincipal(request).orgId, request.params.id));

    r.post(e.createTemplate.url, { preHandler: requirePermission('simulations.manage'), schema: routeSchema(e.createTemplate, { tags, summary: 'Create a template: versions per language, red flags, training module (audited)' }) }, async (request, reply) => {
      return reply.code(201).send(await createOrgTemplate(deps, agentContext(request), request.body));
    });

    r.put(e.updateTemplate.url, { preHandler: requirePermission('simulations.manage'), schema: routeSchema(e.updateTemplate, { tags, summary: 'Edit a template; running campaigns keep the copy they were made with (audited)' }) }, async (request) => {
      return updateOrgTemplate(deps, agentContext(request), request.params.id, request.body);
    });

    r.delete(e.deleteTemplate.url, { preHandler: requirePermission('simulations.manage'), schema: routeSchema(e.deleteTemplate, { tags, summary: 'Delete a template; running campaigns keep their copy (audited)' }) }, async (request) => {
      await deleteOrgTemplate(deps, agentContext(request), request.params.id);
      return { ok: true as const };
    });

    // A person's own language for the simulations they are sent: their account, no permission beyond signing in
    // (an auditor's session may set it; a token may not: ownAccount, decision 0107). Audited as any change to a
    // person's settings; a language no template has falls back to each template's default when sending.
    const myLanguage = async (orgId: string, userId: string) => {
      const [user, settings, templates] = await Promise.all([
        deps.db.selectFrom('users').where('id', '=', userId).where('org_id', '=', orgId).select('language').executeTakeFirstOrThrow(),
        readSimulationSettings(deps.db, orgId),
        listOrgTemplates(deps.db, orgId),
      ]);
      const available = [...new Set([SHIPPED_LANGUAGE, settings.language, ...templates.flatMap((t) => t.versions.map((v) => v.language))])].sort();
      return { language: user.language, organizationLanguage: settings.language, available };
    };
    r.get(e.myLanguage.url, { schema: routeSchema(e.myLanguage, { tags, summary: 'Your language for security simulations (null: the organisation’s)' }) }, async (request) => {
      const principal = requirePrincipal(request);
      return myLanguage(principal.orgId, principal.userId);
    });
    r.put(e.saveMyLanguage.url, { config: { ownAccount: true }, schema: routeSchema(e.saveMyLanguage, { tags, summary: 'Choose your language for security simulations, or follow the organisation’s (null)' }) }, async (request) => {
      const ctx = agentContext(request);
      const { orgId, userId } = ctx.principal;
      await deps.db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ language: request.body.language }).where('id', '=', userId).where('org_id', '=', orgId).execute();
        await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'user.language', object: { type: 'user', id: userId }, result: 'success', details: { language: request.body.language } });
      });
      return myLanguage(orgId, userId);
    });

    r.get(e.settings.url, { preHandler: requirePermission('simulations.read'), schema: routeSchema(e.settings, { tags, summary: 'Scanner address ranges, banner and language of the organisation’s simulations' }) }, async (request) => readSimulationSettings(deps.db, requirePrincipal(request).orgId));

    r.put(e.saveSettings.url, { preHandler: requirePermission('simulations.manage'), schema: routeSchema(e.saveSettings, { tags, summary: 'Save the simulation settings; a malformed range is refused (audited)' }) }, async (request) => {
      const ctx = agentContext(request);
      const value = validateSettings(request.body);
      await deps.db.transaction().execute(async (trx) => {
        await writeSimulationSettings(trx, ctx.principal.orgId, value);
        await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'simulation.settings', object: { type: 'organization', id: ctx.principal.orgId }, result: 'success', details: { scannerRanges: value.scannerRanges.length, banner: value.banner, language: value.language } });
      });
      return value;
    });

    r.get(e.list.url, { preHandler: requirePermission('simulations.read'), schema: routeSchema(e.list, { tags, summary: 'Simulation campaigns' }) }, async (request) => ({ items: await listCampaigns(deps, requirePrincipal(request)) }));

    r.post(e.create.url, { preHandler: requirePermission('simulations.manage'), schema: routeSchema(e.create, { tags, summary: 'Create a campaign: targets resolved now, deliveries staggered over the window (audited)' }) }, async (request, reply) => {
      return reply.code(201).send(await createCampaign(deps, agentContext(request), request.body, { relay }));
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
      if (!(await confirmHumanView(deps, { token: request.body.token, ip: request.ip }))) throw new AppError('not_found', 'This link is not valid.');
      return { ok: true as const };
    });

    r.post(e.entered.url, { config: { public: true, rateLimit: LANDING_LIMIT }, schema: routeSchema(e.entered, { tags, summary: 'Something was typed on a landing form; what was typed is never read (public)' }) }, async (request) => {
      if (!(await recordDataEntered(deps, { token: request.body.token, publicUrl: deps.publicUrl, ip: request.ip }))) throw new AppError('not_found', 'This link is not valid.');
      return { ok: true as const };
    });

    // The landing page: HTML, outside /api, public and rate limited.
    app.get('/l-assets/seen.js', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(SEEN_SCRIPT));
    app.get('/l-assets/landing.css', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(LANDING_CSS));
    const landingHeaders = (reply: FastifyReply) => reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').type('text/html; charset=utf-8');
    app.get<{ Params: { token: string } }>('/l/:token', { config: { public: true, rateLimit: LANDING_LIMIT }, schema: { hide: true } }, async (request, reply) => {
      landingHeaders(reply);
      const token = String(request.params.token).slice(0, 200);
      const view = await landOnSimulation(deps, { token, publicUrl: deps.publicUrl, ip: request.ip });
      if (!view) return reply.code(404).send(renderInvalidLink());
      return reply.send(view.form === 'none' ? renderLandingPage(view, `${deps.publicUrl}/training`) : renderLandingForm(view, token));
    });
    // The landing form's submission carries no typed value (its fields have no names). Whatever a client sends
    // anyway, in any content type, is read into nothing and dropped here: never parsed, stored or logged.
    await app.register(async (form) => {
      form.removeAllContentTypeParsers();
      form.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 16_384 }, (_req, _body, done) => done(null, null));
      form.post<{ Params: { token: string } }>('/l/:token', { config: { public: true, rateLimit: LANDING_LIMIT }, schema: { hide: true } }, async (request, reply) => {
        landingHeaders(reply);
        const view = await recordDataEntered(deps, { token: String(request.params.token).slice(0, 200), publicUrl: deps.publicUrl, ip: request.ip });
        if (!view) return reply.code(404).send(renderInvalidLink());
        return reply.send(renderLandingPage(view, `${deps.publicUrl}/training`, 'form'));
      });
    });
  };
}

export const simulationRoutes = createSimulationRoutes();
