/**
 * /api/awareness/* (docs/awareness.md, decision 0196; schemas: src/platform/http/schemas/awareness.ts):
 *   GET /api/awareness/me             one's own score, history, explanation, simulations and training (any staff)
 *   GET /api/awareness/dashboard      team (awareness.read, team) or organisation (awareness.read / simulations.read)
 *   GET /api/awareness/people/:id     one person in the caller's scope (not found outside it)
 *   GET /api/awareness/export         the dashboard's per-person or per-campaign table as CSV (a download)
 * Scores are computed on read from the simulation, report and training logs. Reads of others are audited.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { scopeOf } from '../../identity/auth/access.js';
import { requirePrincipal } from '../../identity/auth/auth.routes.js';
import { AppError } from '../../platform/errors.js';
import { awarenessEndpoints as e } from '../../platform/http/schemas/awareness.js';
import { problemResponses, routeSchema } from '../../platform/http/schemas/common.js';
import { Binary, sendDownload } from '../../platform/http/download.js';
import { buildDashboard, readDashboard, readPerson, type AwarenessActor, type AwarenessDeps } from './awareness.service.js';
import { campaignsCsv, peopleCsv } from './export.js';
import { enforceDataEgress } from '../../identity/devices/egress.js';
import { watermarkCsv } from '../../identity/devices/watermark.js';

const tags = ['awareness'];

function actorOf(request: FastifyRequest): AwarenessActor {
  return { principal: requirePrincipal(request), requestId: request.id };
}

/** The dashboard, others' pages and the export: awareness.read or simulations.read, at any scope (the service narrows it). */
async function requireAwarenessReader(request: FastifyRequest): Promise<void> {
  const p = requirePrincipal(request);
  if (!scopeOf(p, 'awareness.read') && !scopeOf(p, 'simulations.read')) throw new AppError('forbidden', 'Your role does not allow this.', { internal: 'missing awareness.read or simulations.read' });
}

export async function awarenessRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps: AwarenessDeps = { db: app.services.database.db, audit: app.services.audit };

  r.get(e.me.url, { schema: routeSchema(e.me, { tags, summary: 'Your awareness score: its history, what moved it, your simulations and training' }) }, async (request) => {
    const p = requirePrincipal(request);
    return readPerson(deps, actorOf(request), p.userId);
  });

  r.get(e.dashboard.url, { preHandler: requireAwarenessReader, schema: routeSchema(e.dashboard, { tags, summary: 'Awareness dashboard: scores, simulation rates per campaign, month, team and role, training (audited)' }) }, async (request) =>
    readDashboard(deps, actorOf(request)),
  );

  r.get(e.person.url, { preHandler: requireAwarenessReader, schema: routeSchema(e.person, { tags, summary: 'One person’s awareness page, within your scope (audited)' }) }, async (request) =>
    readPerson(deps, actorOf(request), request.params.id),
  );

  r.get(e.export.url, {
    preHandler: requireAwarenessReader,
    schema: {
      tags,
      summary: 'The dashboard’s per-person or per-campaign table as CSV (formulas neutralised; audited)',
      querystring: e.export.querystring,
      response: { 200: Binary, ...problemResponses },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const table = request.query.table;
    // A data export: only where the egress policy allows (audited with the device), watermarked (docs/devices.md).
    const watermark = await enforceDataEgress(deps, { principal: actor.principal, requestId: String(request.id), sourceIp: request.ip }, { channel: `awareness_export:${table}` });
    const d = await buildDashboard(deps, actor.principal);
    const text = watermarkCsv(table === 'people' ? peopleCsv(d) : campaignsCsv(d), watermark);
    await deps.db.transaction().execute((trx) => deps.audit.append(trx, {
      orgId: actor.principal.orgId,
      actor: { type: actor.principal.kind === 'token' ? 'token' : 'user', id: actor.principal.kind === 'token' ? (actor.principal.tokenId ?? actor.principal.userId) : actor.principal.userId },
      action: 'awareness.export', result: 'success', requestId: actor.requestId ?? null, sourceIp: actor.principal.ip ?? null,
      details: { table, scope: d.scope, rows: table === 'people' ? d.people.length : d.campaigns.length },
    }));
    return sendDownload(reply, { filename: `awareness-${table}-${d.generatedAt.slice(0, 10)}.csv`, bytes: Buffer.from(text, 'utf8'), contentType: 'text/csv; charset=utf-8; header=present' });
  });
}
