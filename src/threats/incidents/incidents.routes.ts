/**
 * Security incidents (decision 0195):
 *   /api/incidents                  list with filters (incidents.read), open one (incidents.manage)
 *   /api/incidents/:id              read (audited), change title/type/severity/owner
 *   /api/incidents/:id/notes|transition|evidence|containment|breach|handoff   incidents.manage
 *   /api/incidents/:id/bundle       the evidence bundle (zip; incidents.read, audited)
 *   /api/incidents/:id/breach-record  the breach notification record: JSON, Markdown or printable HTML
 *   /api/incident-settings          IT address and DPO contact (read: incidents.read; change: incidents.manage)
 */
import { randomBytes } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { authDeps, clientOf, requirePrincipal } from '../../identity/auth/auth.routes.js';
import type { MfaDeps } from '../../identity/auth/mfa/context.js';
import { OutboxSmsSender } from '../../identity/auth/mfa/sms.js';
import { Binary, sendDownload } from '../../platform/http/download.js';
import { IdParams, problemResponses, routeSchema } from '../../platform/http/schemas/common.js';
import { BreachRecordQuery, INCIDENT_BREACH_RECORD_URL, INCIDENT_BUNDLE_URL, incidentEndpoints as e } from '../../platform/http/schemas/incidents.js';
import { breachRecordDocument, breachRecordHtml, breachRecordMarkdown, saveBreachRecord } from './breach.js';
import { buildEvidenceBundle, zipBundle } from './bundle.js';
import { enforceDataEgress } from '../../identity/devices/egress.js';
import { containIncident } from './containment.js';
import { handOffIncident, readIncidentSettings, saveIncidentSettings } from './handoff.js';
import { addIncidentEvidence, addIncidentNote, auditActor, createIncident, listIncidents, readIncident, transitionIncident, updateIncident, type IncidentActor, type IncidentDeps } from './incidents.service.js';

const tags = ['incidents'];
const actor = (request: FastifyRequest): IncidentActor => ({ principal: requirePrincipal(request), client: clientOf(request) });
const strip = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export async function incidentRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const s = app.services;
  const deps: IncidentDeps & { database: typeof s.database; mailer: typeof s.mailer } = {
    db: s.database.db, keyring: s.keyring, audit: s.audit, publicUrl: s.config.publicUrl.replace(/\/+$/, ''), database: s.database, mailer: s.mailer,
  };
  const { secret: codeKey } = await s.keyring.systemSecret('mfa-code-key', () => ({ secret: randomBytes(32) }));
  const publicUrl = new URL(s.config.publicUrl);
  const mfa: MfaDeps = {
    db: s.database.db, audit: s.audit, keyring: s.keyring, mailer: s.mailer, sms: new OutboxSmsSender(s.database.db), codeKey,
    rp: { id: publicUrl.hostname, name: 'Trustdesk', origin: publicUrl.origin }, policy: app.auth.policy, stepUpWindowMs: app.auth.stepUpWindowMs,
  };
  const read = requirePermission('incidents.read');
  const manage = requirePermission('incidents.manage');
  const view = (request: FastifyRequest, id: string) => readIncident(deps, actor(request), id);

  r.get(e.list.url, { preHandler: read, schema: routeSchema(e.list, { tags, summary: 'Incidents, newest first, filtered by status, severity or type' }) }, async (request) => ({
    items: await listIncidents(deps, actor(request), request.query),
  }));

  r.post(e.create.url, { preHandler: manage, schema: routeSchema(e.create, { tags, summary: 'Open an incident: by hand or from a phishing report, quarantined message, failed simulation or insider alert (one open incident per source)' }) }, async (request, reply) => {
    const { id } = await createIncident(deps, actor(request), strip(request.body));
    return reply.code(201).send(await view(request, id));
  });

  r.get(e.read.url, { preHandler: read, schema: routeSchema(e.read, { tags, summary: 'An incident with its evidence, timeline and breach record (audited)' }) }, async (request) => view(request, request.params.id));

  r.patch(e.update.url, { preHandler: manage, schema: routeSchema(e.update, { tags, summary: 'Change title, type, severity or owner' }) }, async (request) => {
    await updateIncident(deps, actor(request), request.params.id, strip(request.body));
    return view(request, request.params.id);
  });

  r.post(e.note.url, { preHandler: manage, schema: routeSchema(e.note, { tags, summary: 'Add a note to the timeline (stored encrypted)' }) }, async (request) => {
    await addIncidentNote(deps, actor(request), request.params.id, request.body.text);
    return view(request, request.params.id);
  });

  r.post(e.transition.url, { preHandler: manage, schema: routeSchema(e.transition, { tags, summary: 'Move the status along the allowed transitions, with a reason (resolved → triage reopens)' }) }, async (request) => {
    await transitionIncident(deps, actor(request), request.params.id, request.body);
    return view(request, request.params.id);
  });

  r.post(e.addEvidence.url, { preHandler: manage, schema: routeSchema(e.addEvidence, { tags, summary: 'Link evidence of this organisation by id' }) }, async (request) => {
    await addIncidentEvidence(deps, actor(request), request.params.id, request.body);
    return view(request, request.params.id);
  });

  r.post(e.contain.url, { preHandler: manage, schema: routeSchema(e.contain, { tags, summary: 'A containment action, done by the service that owns it and recorded on the timeline' }) }, async (request) =>
    containIncident({ ...deps, auth: authDeps(app), mfa }, actor(request), request.params.id, strip(request.body)));

  r.put(e.breach.url, { preHandler: manage, schema: routeSchema(e.breach, { tags, summary: 'Mark a personal-data breach (starts the 72-hour clock) and keep its notification record' }) }, async (request) => {
    await saveBreachRecord(deps, actor(request), request.params.id, strip(request.body));
    return view(request, request.params.id);
  });

  r.post(e.handoff.url, { preHandler: manage, schema: routeSchema(e.handoff, { tags, summary: 'Hand off to IT: mail to the IT address and an incident.updated webhook event' }) }, async (request) =>
    handOffIncident(deps, actor(request), request.params.id));

  r.get(e.settings.url, { preHandler: read, schema: routeSchema(e.settings, { tags, summary: 'Where hand-offs go and the DPO contact' }) }, async (request) => readIncidentSettings(deps, requirePrincipal(request).orgId));

  r.put(e.saveSettings.url, { preHandler: manage, schema: routeSchema(e.saveSettings, { tags, summary: 'Change the IT address and the DPO contact (audited)' }) }, async (request) => saveIncidentSettings(deps, actor(request), request.body));

  r.get(INCIDENT_BUNDLE_URL, {
    preHandler: read,
    schema: { tags, summary: 'The evidence bundle (zip): verify it with `trustdesk audit verify --bundle DIR` (audited)', params: IdParams, response: { 200: Binary, ...problemResponses } },
  }, async (request, reply) => {
    // A data export: only where the egress policy allows (audited with the device), and watermarked (docs/devices.md).
    const who = actor(request);
    const watermark = await enforceDataEgress(deps, { principal: who.principal, requestId: String(request.id), sourceIp: request.ip }, { channel: 'incident_bundle', object: { type: 'incident', id: request.params.id } });
    const bundle = await buildEvidenceBundle(deps, { ...auditActor(who), watermark }, request.params.id);
    return sendDownload(reply, { filename: `${bundle.folder}.zip`, bytes: zipBundle(bundle), contentType: 'application/zip' });
  });

  r.get(INCIDENT_BREACH_RECORD_URL, {
    preHandler: read,
    schema: { tags, summary: 'The breach notification record as JSON, Markdown or printable HTML (a download; audited)', params: IdParams, querystring: BreachRecordQuery, response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }), ...problemResponses } },
  }, async (request, reply) => {
    const incident = await view(request, request.params.id);
    const format = request.query.format ?? 'json';
    const name = `incident-${incident.number}-breach-record`;
    if (format === 'markdown') return sendDownload(reply, { filename: `${name}.md`, bytes: Buffer.from(breachRecordMarkdown(incident)), contentType: 'text/markdown; charset=utf-8' });
    if (format === 'html') return sendDownload(reply, { filename: `${name}.html`, bytes: Buffer.from(breachRecordHtml(incident)), contentType: 'text/html; charset=utf-8' });
    return sendDownload(reply, { filename: `${name}.json`, bytes: Buffer.from(`${JSON.stringify(breachRecordDocument(incident), null, 2)}\n`), contentType: 'application/json' });
  });
}
