/**
 * /api/access-reviews: list, start, read (with items), decide an item, close,
 * export (CSV or JSON). Each route checks the permission first; the service
 * then checks the campaign itself (another organisation's is "not found").
 */
import { enforceDataEgress } from '../devices/egress.js';
import { watermarkCsv } from '../devices/watermark.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requirePermission } from '../auth/access.js';
import { requirePrincipal } from '../auth/auth.routes.js';
import type { Permission } from '../auth/permissions.js';
import { closeCampaign, exportCampaign, getCampaign, listCampaigns, startCampaign, type AccessReviewDeps, type ReviewContext } from './access-reviews.service.js';
import { decideItem } from './decisions.js';
import { problemResponses } from '../../platform/http/schemas/common.js';
import { accessReviewEndpoints as e } from '../../platform/http/schemas/access-reviews.js';

/** The caller must hold at least one of `permissions` (checked with requirePermission, in order). */
function requireAnyPermission(...permissions: Permission[]) {
  const guards = permissions.map((p) => requirePermission(p));
  return async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    let refusal: unknown;
    for (const g of guards) {
      try {
        await g(request, reply);
        return;
      } catch (err) {
        refusal ??= err;
      }
    }
    throw refusal;
  };
}


export async function accessReviewRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = (): AccessReviewDeps => ({ db: app.services.database.db, audit: app.services.audit });
  const ctx = (request: FastifyRequest): ReviewContext => ({ principal: requirePrincipal(request), requestId: String(request.id), sourceIp: request.ip });
  const tags = ['access-reviews'];

  r.get('/api/access-reviews', {
    preHandler: requireAnyPermission('reviews.manage', 'reviews.decide'),
    schema: {
      tags,
      summary: 'Access reviews I manage or review, newest first',
      querystring: e.list.querystring,
      response: { 200: e.list.response, ...problemResponses },
    },
  }, async (request) => ({ campaigns: await listCampaigns(deps(), ctx(request), request.query) }));

  r.post('/api/access-reviews', {
    preHandler: requirePermission('reviews.manage'),
    schema: {
      tags,
      summary: 'Start a campaign over all staff or one team: snapshots each person’s roles and team memberships, flags dormant accounts and unused permissions',
      body: e.start.body,
      response: { 201: e.start.response, ...problemResponses },
    },
  }, async (request, reply) => reply.status(201).send(await startCampaign(deps(), ctx(request), request.body)));

  r.get('/api/access-reviews/:id', {
    preHandler: requireAnyPermission('reviews.manage', 'reviews.decide'),
    schema: { tags, summary: 'A campaign with its items and what I may do with them', params: e.read.params, response: { 200: e.read.response, ...problemResponses } },
  }, async (request) => getCampaign(deps(), ctx(request), request.params.id));

  r.post('/api/access-reviews/:id/items/:itemId/decision', {
    preHandler: requireAnyPermission('reviews.decide', 'reviews.manage'),
    schema: {
      tags,
      summary: 'Certify or revoke one item, with a comment; a revocation removes the access and ends the person’s sessions at once',
      params: e.decide.params,
      body: e.decide.body,
      response: { 200: e.decide.response, ...problemResponses },
    },
  }, async (request) => ({ item: await decideItem(deps(), ctx(request), { campaignId: request.params.id, itemId: request.params.itemId, ...request.body }) }));

  r.post('/api/access-reviews/:id/close', {
    preHandler: requirePermission('reviews.manage'),
    schema: { tags, summary: 'Close a campaign now (undecided items stay as they are)', params: e.close.params, response: { 200: e.close.response, ...problemResponses } },
  }, async (request) => ({ campaign: await closeCampaign(deps(), ctx(request), request.params.id) }));

  r.get('/api/access-reviews/:id/export', {
    preHandler: requirePermission('reviews.manage'),
    schema: {
      tags,
      summary: 'Results as CSV (RFC 4180, spreadsheet formulas neutralised) or JSON',
      params: e.export.params,
      querystring: e.export.querystring,
      response: {
        200: {
          description: 'The results',
          content: {
            'text/csv': { schema: { type: 'string' } },
            'application/json': { schema: e.export.response },
          },
        },
      },
    },
  }, async (request, reply) => {
    const format = request.query.format ?? 'csv';
    // A data export: only where the egress policy allows (audited with the device); the CSV is watermarked (docs/devices.md).
    const watermark = await enforceDataEgress(deps(), ctx(request), { channel: `access_review_export:${format}`, object: { type: 'access_review', id: request.params.id } });
    const result = await exportCampaign(deps(), ctx(request), request.params.id, format);
    reply.header('content-disposition', `attachment; filename="${result.filename}"`);
    reply.header('cache-control', 'no-store');
    if (result.format === 'csv') return reply.type('text/csv; charset=utf-8; header=present').send(watermarkCsv(result.body, watermark));
    return reply.type('application/json; charset=utf-8').send(result.body);
  });
}
