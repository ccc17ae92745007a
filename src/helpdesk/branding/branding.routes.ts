/**
 * /api/branding (channels.manage): the name, accent colour and logo customers see;
 * /api/portal/branding/:organizationId (+ /logo): their public read-out for the portal;
 * /api/mailboxes/:id/acknowledgement (channels.manage): each mailbox's automatic acknowledgement.
 * Schemas: src/platform/http/schemas/branding.ts. Decisions 0158, 0159.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { clientOf, requirePrincipal } from '../../identity/auth/auth.routes.js';
import { AppError } from '../../platform/errors.js';
import { Binary } from '../../platform/http/download.js';
import { problemResponses, ProblemRef, routeSchema } from '../../platform/http/schemas/common.js';
import { brandingEndpoints as e } from '../../platform/http/schemas/branding.js';
import { readAcknowledgement, saveAcknowledgement } from './acknowledgement.js';
import { LOGO_MAX_BYTES } from './brand.js';
import { loadBranding, logoPath, readLogo, removeLogo, saveBranding, saveLogo, type Branding } from './branding.service.js';

const view = (orgId: string, b: Branding) => ({
  displayName: b.displayName,
  accentColor: b.accentColor,
  name: b.name,
  organizationName: b.organizationName,
  logoUrl: b.logo ? logoPath(orgId, b.logo.sha256) : null,
});

export async function brandingRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['branding'];
  const db = () => app.services.database.db;
  const deps = () => ({ db: db(), audit: app.services.audit });
  const actorOf = (request: Parameters<typeof requirePrincipal>[0]) => {
    const p = requirePrincipal(request);
    const c = clientOf(request);
    return { orgId: p.orgId, userId: p.userId, requestId: c.requestId, ip: c.ip };
  };
  // The logo arrives as raw bytes; its type is read from them, never from this header or a file name.
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: LOGO_MAX_BYTES }, (_req, body, done) => done(null, body));

  r.get(e.read.url, { preHandler: requirePermission('channels.manage'), schema: routeSchema(e.read, { tags, summary: 'The name, accent colour and logo customers see' }) }, async (request) => {
    const p = requirePrincipal(request);
    return view(p.orgId, await loadBranding(db(), p.orgId));
  });

  r.put(e.update.url, { preHandler: requirePermission('channels.manage'), schema: routeSchema(e.update, { tags, summary: 'Set the display name and accent colour (white text on it must reach 4.5:1)' }) }, async (request) => {
    const actor = actorOf(request);
    await saveBranding(deps(), actor, request.body);
    return view(actor.orgId, await loadBranding(db(), actor.orgId));
  });

  r.put(e.uploadLogo.url, {
    preHandler: requirePermission('channels.manage'),
    bodyLimit: LOGO_MAX_BYTES,
    schema: { ...routeSchema(e.uploadLogo, { tags, summary: 'Upload the portal logo (raw body, application/octet-stream): PNG, JPEG or WebP, sniffed, one whole image, never SVG' }), response: { 200: e.uploadLogo.response, ...problemResponses, 413: ProblemRef, 415: ProblemRef } },
  }, async (request) => {
    const actor = actorOf(request);
    if (!Buffer.isBuffer(request.body)) throw new AppError('unsupported_media_type', 'Send the image as application/octet-stream.');
    const saved = await saveLogo(deps(), actor, request.body);
    return { logoUrl: logoPath(actor.orgId, saved.sha256), contentType: saved.contentType };
  });

  r.delete(e.removeLogo.url, { preHandler: requirePermission('channels.manage'), schema: routeSchema(e.removeLogo, { tags, summary: 'Remove the portal logo' }) }, async (request) => {
    await removeLogo(deps(), actorOf(request));
    return { ok: true as const };
  });

  r.get(e.portal.url, {
    config: { public: true, rateLimit: { max: 60, timeWindow: '1 minute' } },
    schema: routeSchema(e.portal, { tags, summary: 'The organisation’s public branding for the portal header (name, accent colour, logo address)' }),
  }, async (request) => {
    const b = await loadBranding(db(), request.params.organizationId);
    return { name: b.name, accentColor: b.accentColor, logoUrl: b.logo ? logoPath(request.params.organizationId, b.logo.sha256) : null };
  });

  r.get(e.portalLogo.url, {
    config: { public: true, rateLimit: { max: 120, timeWindow: '1 minute' } },
    schema: { tags, summary: 'The portal logo image (public; its exact type, nosniff, sandboxed)', params: e.portalLogo.params, response: { 200: Binary, ...problemResponses } },
  }, async (request, reply) => {
    const logo = await readLogo(db(), request.params.organizationId);
    if (!logo) throw new AppError('not_found', 'No logo.');
    return reply
      .header('content-type', logo.contentType)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('content-disposition', 'inline; filename="logo"')
      .header('cross-origin-resource-policy', 'same-site')
      .header('cache-control', 'public, max-age=3600')
      .header('etag', `"${logo.sha256.slice(0, 32)}"`)
      .send(logo.content);
  });

  r.get(e.acknowledgement.url, { preHandler: requirePermission('channels.manage'), schema: routeSchema(e.acknowledgement, { tags, summary: 'The mailbox’s automatic acknowledgement of new requests' }) }, async (request) => {
    return readAcknowledgement(db(), requirePrincipal(request).orgId, request.params.id);
  });

  r.put(e.updateAcknowledgement.url, { preHandler: requirePermission('channels.manage'), schema: routeSchema(e.updateAcknowledgement, { tags, summary: 'Turn the acknowledgement on or off and set its text ({{ticket.number}}, {{portal.link}}, {{organization.name}})' }) }, async (request) => {
    return saveAcknowledgement(deps(), actorOf(request), { mailboxId: request.params.id, enabled: request.body.enabled, template: request.body.template });
  });
}
