/** /api/quarantine: held messages for security officers — list, read (audited), release, delete. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { clientOf, requirePrincipal } from '../../identity/auth/auth.routes.js';
import { LocalBlobStore, type BlobStore } from '../../protection/blobs/store.js';
import { problemResponses } from '../../platform/http/schemas/common.js';
import { quarantineEndpoints as e } from '../../platform/http/schemas/quarantine.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { deleteQuarantined, listQuarantined, readQuarantined, releaseQuarantined } from './quarantine.service.js';

export function createQuarantineRoutes(options: { blobs?: BlobStore } = {}) {
  return async function quarantineRoutes(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['quarantine'];
    // Built once: it unwraps the mail keys, which no request should repeat.
    const d = await createHelpdeskDeps(app.services);
    const blobs = options.blobs ?? new LocalBlobStore(app.services.config.blobDirPath);

    r.get('/api/quarantine', {
      preHandler: requirePermission('quarantine.read'),
      schema: { tags, summary: 'Quarantined messages with sender and subject (decrypted for quarantine.read; the list read is audited)', querystring: e.list.querystring, response: { 200: e.list.response, ...problemResponses } },
    }, async (request) => {
      const q = request.query;
      return { items: await listQuarantined(d, requirePrincipal(request), clientOf(request), { ...(q.status ? { status: q.status } : {}), ...(q.limit ? { limit: q.limit } : {}) }) };
    });

    r.get('/api/quarantine/:id', {
      preHandler: requirePermission('quarantine.read'),
      schema: { tags, summary: 'A quarantined message with its reasons and source (the read is audited)', params: e.read.params, response: { 200: e.read.response, ...problemResponses } },
    }, async (request) => readQuarantined(d, requirePrincipal(request), clientOf(request), request.params.id));

    r.post('/api/quarantine/:id/release', {
      preHandler: requirePermission('quarantine.release'),
      schema: { tags, summary: 'Release into the helpdesk (audited, with a reason)', params: e.release.params, body: e.release.body, response: { 200: e.release.response, ...problemResponses } },
    }, async (request) => {
      const outcome = await releaseQuarantined(d, { blobs, maxAttachmentBytes: app.services.config.smtpMaxBytes }, requirePrincipal(request), clientOf(request), { id: request.params.id, reason: request.body.reason });
      return { outcome: outcome.outcome, ...('ticketId' in outcome ? { ticketId: outcome.ticketId } : {}) };
    });

    r.post('/api/quarantine/:id/delete', {
      preHandler: requirePermission('quarantine.release'),
      schema: { tags, summary: 'Delete (the source is overwritten; the decision stays in the audit trail)', params: e.delete.params, body: e.delete.body, response: { 200: e.delete.response, ...problemResponses } },
    }, async (request) => {
      await deleteQuarantined(d, requirePrincipal(request), clientOf(request), { id: request.params.id, reason: request.body.reason });
      return { ok: true as const };
    });
  };
}

export const quarantineRoutes = createQuarantineRoutes();
