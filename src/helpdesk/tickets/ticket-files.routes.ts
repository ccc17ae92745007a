/**
 * Agent side of files and email HTML:
 * POST /api/tickets/:id/attachments (raw body, tickets.write; 413 over the limit),
 * GET  /api/tickets/:id/attachments/:attachmentId (tickets.read; audited; a dangerous file needs confirm=1;
 *      a phishing simulation's attachment answers with its teaching page and records the open, decision 0200),
 * GET  /api/tickets/:id/messages/:messageId/html (tickets.read; audited; sanitised, its own sandboxing CSP).
 * Register `ticketFileRoutes` (or the factory, e.g. with a memory blob store in tests).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { LocalBlobStore, type BlobStore } from '../../protection/blobs/store.js';
import { AppError } from '../../platform/errors.js';
import { Binary, sendDownload } from '../../platform/http/download.js';
import { ProblemRef, problemResponses, routeSchema } from '../../platform/http/schemas/common.js';
import { ticketEndpoints as e } from '../../platform/http/schemas/tickets.js';
import { createHelpdeskDeps, type AgentContext } from './context.js';
import { htmlResponseCsp } from './email-html.js';
import { renderLandingPage } from '../../threats/simulations/landing-page.js';
import { discardTicketUpload, downloadTicketAttachment, readMessageHtml, uploadTicketAttachment, type TicketFileDeps } from './ticket-files.js';

export const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const tags = ['tickets'];
const Html = Type.String({ contentMediaType: 'text/html' });
const extra = { 410: ProblemRef, 413: ProblemRef, 415: ProblemRef, 429: ProblemRef };

function agent(request: FastifyRequest): AgentContext {
  if (!request.principal) throw new AppError('unauthenticated', 'Sign in to continue.');
  return { principal: request.principal, requestId: String(request.id), sourceIp: request.ip };
}

export function createTicketFileRoutes(options: { blobs?: BlobStore; maxUploadBytes?: number } = {}) {
  return async function ticketFileRoutes(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const deps: TicketFileDeps = {
      ...(await createHelpdeskDeps(app.services)),
      blobs: options.blobs ?? new LocalBlobStore(app.services.config.blobDirPath),
      maxUploadBytes: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
    };
    // Uploads arrive as the raw file (no multipart parser to trust with names and paths).
    app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: deps.maxUploadBytes }, (_req, body, done) => done(null, body));

    r.post(e.upload.url, {
      preHandler: requirePermission('tickets.write'),
      bodyLimit: deps.maxUploadBytes,
      config: { rateLimit: { max: 30, timeWindow: '1 minute' } },
      schema: routeSchema(e.upload, { tags, summary: 'Upload a file (raw body, application/octet-stream) to send with a reply or note (attachmentIds); type sniffed, dangerous files flagged', extraResponses: extra }),
    }, async (request, reply) => {
      if (!Buffer.isBuffer(request.body)) throw new AppError('unsupported_media_type', 'Send the file as application/octet-stream.');
      const declared = request.query.type ?? 'application/octet-stream';
      return reply.code(201).send(await uploadTicketAttachment(deps, agent(request), { ticketId: request.params.id, filename: request.query.filename, declaredType: declared, bytes: request.body }));
    });

    r.delete(e.discardUpload.url, {
      preHandler: requirePermission('tickets.write'),
      schema: routeSchema(e.discardUpload, { tags, summary: 'Discard your own upload that no reply or note has taken yet (audited)' }),
    }, async (request) => {
      await discardTicketUpload(deps, agent(request), { ticketId: request.params.id, attachmentId: request.params.attachmentId });
      return { ok: true as const };
    });

    r.get(e.download.url, {
      preHandler: requirePermission('tickets.read'),
      schema: { tags, summary: 'Download a file (audited; a dangerous file needs confirm=1)', params: e.download.params, querystring: e.download.querystring, response: { 200: Binary, ...problemResponses, ...extra } },
    }, async (request, reply) => {
      const file = await downloadTicketAttachment(deps, agent(request), { ticketId: request.params.id, attachmentId: request.params.attachmentId, confirmed: request.query.confirm === '1' });
      // A phishing simulation's attachment, opened by a person: the teaching page instead of the file (decision 0200).
      // Served inline (no Content-Disposition), so the browser shows it where the file would have been opened.
      if (file.simulation) {
        return reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').header('x-content-type-options', 'nosniff').type('text/html; charset=utf-8')
          .send(Buffer.from(renderLandingPage(file.simulation, `${deps.publicUrl}/training`, 'click', `/tickets/${encodeURIComponent(request.params.id)}`), 'utf8'));
      }
      // Never rendered by the browser: a download with a safe name, the sniffed type only for known-inert formats.
      const inert = /^(image\/(png|jpeg|gif|webp)|application\/pdf|text\/plain)$/.test(file.sniffedType);
      return sendDownload(reply, { filename: file.filename, bytes: file.bytes, contentType: inert ? file.sniffedType : 'application/octet-stream' });
    });

    r.get(e.messageHtml.url, {
      preHandler: requirePermission('tickets.read'),
      schema: {
        tags,
        summary: 'The email’s HTML, sanitised (scripts, forms, frames, link targets removed; remote images only with remote=1), for a sandboxed frame; audited',
        params: e.messageHtml.params,
        querystring: e.messageHtml.querystring,
        response: { 200: Html, ...problemResponses, ...extra },
      },
    }, async (request, reply) => {
      const remote = request.query.remote === '1';
      const out = await readMessageHtml(deps, agent(request), { ticketId: request.params.id, messageId: request.params.messageId, remote });
      // This reply's own policy replaces the app's (whose frame-ancestors 'none' would refuse the frame).
      return reply
        .header('content-security-policy', htmlResponseCsp(remote))
        .header('x-frame-options', 'SAMEORIGIN')
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, no-store')
        .header('x-blocked-images', String(out.blockedImages))
        .type('text/html; charset=utf-8')
        .send(out.html);
    });
  };
}

export const ticketFileRoutes = createTicketFileRoutes();
