/**
 * /api/portal/*: the customer portal. Every route is `public` to the staff gate
 * and authenticates the customer itself (`authenticatePortal`: `td_portal`
 * cookie + `X-Portal-CSRF` on writes). Sign-in and the public form carry
 * per-source rate limits. Register `portalRoutes` (or `createPortalRoutes({...})`).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../platform/errors.js';
import { Binary, sendDownload } from '../../platform/http/download.js';
import { ProblemRef, problemResponses } from '../../platform/http/schemas/common.js';
import { HONEYPOT_FIELD, portalEndpoints as e } from '../../platform/http/schemas/portal.js';
import { createPortalDeps, type PortalDepsOptions } from './deps.js';
import { authenticatePortal, requirePortalSessionFirst, clearPortalCookie, clientOf, revokePortalSession, setPortalCookie, type NewPortalSession } from './sessions.js';
import { portalCsrfToken } from './keys.js';
import { signInWithPortalLink, startPortalSignIn, verifyPortalSignInCode } from './signin.service.js';
import { downloadMyAttachment, listMyTickets, readMyTicket, replyAsCustomer, uploadAttachment } from './tickets.service.js';
import { issueFormToken, submitWebRequest } from './web-form.js';
import { portalOrganization } from './organization.js';

export { HONEYPOT_FIELD };
const errors = { ...problemResponses, 410: ProblemRef, 413: ProblemRef, 415: ProblemRef, 429: ProblemRef };
const tags = ['portal'];
/** A file download: sent as raw bytes (Fastify never serialises a Buffer). */

export function createPortalRoutes(options: PortalDepsOptions = {}) {
  return async function portalRoutes(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const deps = await createPortalDeps(app.services, options);
    requirePortalSessionFirst(app, deps);
    const secure = app.auth.secureCookies;
    const started = (reply: Parameters<typeof setPortalCookie>[0], s: NewPortalSession) => {
      setPortalCookie(reply, s, secure);
      return { csrfToken: s.csrfToken, expiresAt: s.expiresAt.toISOString() };
    };
    // Uploads arrive as the raw file (no multipart parser to trust with names and paths).
    app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: deps.policy.maxUploadBytes }, (_req, body, done) => done(null, body));

    r.get(e.organization.url, {
      config: { public: true, rateLimit: { max: 60, timeWindow: '1 minute' } },
      schema: { tags, summary: 'The organisation the portal belongs to: the one given, or the only one on this installation', querystring: e.organization.querystring, response: { 200: e.organization.response, ...errors } },
    }, async (request) => portalOrganization(deps, request.query.organizationId, request.hostname));

    r.post(e.signIn.url, {
      config: { public: true, rateLimit: { max: 5, timeWindow: '1 minute' } },
      schema: { tags, summary: 'Email a one-time code and sign-in link (same answer for unknown addresses)', body: e.signIn.body, response: { 202: e.signIn.response, ...errors } },
    }, async (request, reply) => {
      const org = await portalOrganization(deps, request.body.organizationId, request.hostname);
      const res = await startPortalSignIn(deps, clientOf(request), { orgId: org.id, email: request.body.email });
      return reply.code(202).send(res);
    });

    r.post(e.signInCode.url, {
      config: { public: true, rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: { tags, summary: 'Enter the emailed code; starts a portal session', body: e.signInCode.body, response: { 200: e.signInCode.response, ...errors } },
    }, async (request, reply) => started(reply, await verifyPortalSignInCode(deps, clientOf(request), request.body)));

    r.post(e.signInLink.url, {
      config: { public: true, rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: { tags, summary: 'Use the emailed sign-in link (once)', body: e.signInLink.body, response: { 200: e.signInLink.response, ...errors } },
    }, async (request, reply) => started(reply, await signInWithPortalLink(deps, clientOf(request), request.body)));

    r.post(e.signOut.url, {
      config: { public: true, portalSession: true, customerMfa: 'exempt' },
      schema: { tags, summary: 'End the portal session', response: { 200: e.signOut.response, ...errors } },
    }, async (request, reply) => {
      const c = await authenticatePortal(deps, request);
      await revokePortalSession(deps, c.sessionHash);
      clearPortalCookie(reply, secure);
      return { ok: true as const };
    });

    r.get(e.me.url, {
      config: { public: true, portalSession: true, customerMfa: 'exempt' },
      schema: { tags, summary: 'The signed-in customer, their organisation, the upload limit and the CSRF token for writes', response: { 200: e.me.response, ...errors } },
    }, async (request) => {
      const c = await authenticatePortal(deps, request);
      const org = await portalOrganization(deps, c.orgId, request.hostname);
      return { customerId: c.customerId, organizationId: c.orgId, organizationName: org.name, method: c.method, csrfToken: portalCsrfToken(deps.keys, c.token), maxUploadBytes: deps.policy.maxUploadBytes };
    });

    r.get(e.tickets.url, {
      config: { public: true, portalSession: true },
      schema: { tags, summary: 'My requests', response: { 200: e.tickets.response, ...errors } },
    }, async (request) => ({ items: await listMyTickets(deps, await authenticatePortal(deps, request)) }));

    r.get(e.ticket.url, {
      config: { public: true, portalSession: true },
      schema: { tags, summary: 'One of my requests with its public messages (audited)', params: e.ticket.params, response: { 200: e.ticket.response, ...errors } },
    }, async (request) => readMyTicket(deps, await authenticatePortal(deps, request), { ticketId: request.params.id }));

    r.post(e.reply.url, {
      config: { public: true, portalSession: true, rateLimit: { max: 30, timeWindow: '1 minute' } },
      schema: { tags, summary: 'Answer on one of my requests; sensitive data is redacted before storage', params: e.reply.params, body: e.reply.body, response: { 201: e.reply.response, ...errors } },
    }, async (request, reply) => {
      const c = await authenticatePortal(deps, request);
      return reply.code(201).send(await replyAsCustomer(deps, c, { ticketId: request.params.id, body: request.body.body }));
    });

    r.post(e.upload.url, {
      config: { public: true, portalSession: true, rateLimit: { max: 20, timeWindow: '1 minute' } },
      bodyLimit: deps.policy.maxUploadBytes,
      schema: { tags, summary: 'Attach a file (raw body, application/octet-stream), as a message of its own or added to a message the customer sent in the last minutes (messageId); type is sniffed, dangerous files flagged', params: e.upload.params, querystring: e.upload.querystring, response: { 201: e.upload.response, ...errors } },
    }, async (request, reply) => {
      const c = await authenticatePortal(deps, request);
      if (!Buffer.isBuffer(request.body)) throw new AppError('unsupported_media_type', 'Send the file as application/octet-stream.');
      const header = request.headers['x-file-type'];
      const declared = request.query.type ?? (typeof header === 'string' ? header : 'application/octet-stream');
      return reply.code(201).send(await uploadAttachment(deps, c, { ticketId: request.params.id, filename: request.query.filename, declaredType: declared, bytes: request.body, ...(request.query.messageId ? { messageId: request.query.messageId } : {}) }));
    });

    r.get(e.download.url, {
      config: { public: true, portalSession: true, customerMfa: 'sensitive', rateLimit: { max: 60, timeWindow: '1 minute' } },
      schema: { tags, summary: 'Download a file of one of my requests (audited; a dangerous file needs confirm=1)', params: e.download.params, querystring: e.download.querystring, response: { 200: Binary, ...errors } },
    }, async (request, reply) => {
      const c = await authenticatePortal(deps, request);
      const file = await downloadMyAttachment(deps, c, { ticketId: request.params.id, attachmentId: request.params.attachmentId, confirmed: request.query.confirm === '1' });
      return sendDownload(reply, { filename: file.filename, bytes: file.bytes, contentType: 'application/octet-stream' });
    });

    r.get(e.requestForm.url, {
      config: { public: true, rateLimit: { max: 30, timeWindow: '1 minute' } },
      schema: { tags, summary: 'A signed fill-time token for the public request form', querystring: e.requestForm.querystring, response: { 200: e.requestForm.response, ...errors } },
    }, async (request) => ({ formToken: issueFormToken(deps, (await portalOrganization(deps, request.query.organizationId, request.hostname)).id), honeypotField: HONEYPOT_FIELD, minFillSeconds: Math.ceil(deps.policy.minFillMs / 1000) }));

    r.post(e.submitRequest.url, {
      config: { public: true, rateLimit: { max: 5, timeWindow: '10 minutes' } },
      schema: { tags, summary: 'Public new-request form (rate limited; honeypot and fill-time checks)', body: e.submitRequest.body, response: { 202: e.submitRequest.response, ...errors } },
    }, async (request, reply) => {
      const b = request.body;
      const org = await portalOrganization(deps, b.organizationId, request.hostname);
      await submitWebRequest(deps, clientOf(request), { orgId: org.id, name: b.name, email: b.email, subject: b.subject, body: b.body, formToken: b.formToken, ...(b.website !== undefined ? { website: b.website } : {}) });
      return reply.code(202).send({ received: true as const });
    });
  };
}

export const portalRoutes = createPortalRoutes();
