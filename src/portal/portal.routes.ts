/**
 * /api/portal/*: the customer portal. Every route is `public` to the staff gate
 * and authenticates the customer itself (`authenticatePortal`: `td_portal`
 * cookie + `X-Portal-CSRF` on writes). Sign-in and the public form carry
 * per-source rate limits. Register `portalRoutes` (or `createPortalRoutes({...})`).
 */
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { createPortalDeps, type PortalDepsOptions } from './deps.js';
import { authenticatePortal, clearPortalCookie, clientOf, revokePortalSession, setPortalCookie, type NewPortalSession } from './sessions.js';
import { portalCsrfToken } from './keys.js';
import { signInWithPortalLink, startPortalSignIn, verifyPortalSignInCode } from './signin.service.js';
import { listMyTickets, readMyTicket, replyAsCustomer, uploadAttachment } from './tickets.service.js';
import { issueFormToken, submitWebRequest } from './web-form.js';

const Uuid = Type.String({ format: 'uuid' });
const Problem = { $ref: 'Problem#' } as const;
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 410: Problem, 413: Problem, 429: Problem };
const Started = Type.Object({ csrfToken: Type.String(), expiresAt: Type.String() });
const Summary = Type.Object({ id: Uuid, number: Type.Integer(), subject: Type.Union([Type.String(), Type.Null()]), status: Type.String(), createdAt: Type.String(), lastMessageAt: Type.String() });
const Message = Type.Object({
  id: Uuid,
  from: Type.Union([Type.Literal('you'), Type.Literal('support')]),
  body: Type.Union([Type.String(), Type.Null()]),
  secure: Type.Boolean(),
  attachments: Type.Array(Type.Object({ id: Uuid, filename: Type.Union([Type.String(), Type.Null()]), size: Type.Integer(), type: Type.String() })),
  createdAt: Type.String(),
});
const Params = Type.Object({ id: Uuid });
export const HONEYPOT_FIELD = 'website';

export function createPortalRoutes(options: PortalDepsOptions = {}) {
  return async function portalRoutes(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const deps = await createPortalDeps(app.services, options);
    const secure = app.auth.secureCookies;
    const started = (reply: Parameters<typeof setPortalCookie>[0], s: NewPortalSession) => {
      setPortalCookie(reply, s, secure);
      return { csrfToken: s.csrfToken, expiresAt: s.expiresAt.toISOString() };
    };
    // Uploads arrive as the raw file (no multipart parser to trust with names and paths).
    app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: deps.policy.maxUploadBytes }, (_req, body, done) => done(null, body));

    r.post('/api/portal/signin', {
      config: { public: true, rateLimit: { max: 5, timeWindow: '1 minute' } },
      schema: {
        tags: ['portal'],
        summary: 'Email a one-time code and sign-in link (same answer for unknown addresses)',
        body: Type.Object({ organizationId: Uuid, email: Type.String({ format: 'email', maxLength: 254 }) }, { additionalProperties: false }),
        response: { 202: Type.Object({ challengeId: Uuid }), ...errors },
      },
    }, async (request, reply) => {
      const res = await startPortalSignIn(deps, clientOf(request), { orgId: request.body.organizationId, email: request.body.email });
      return reply.code(202).send(res);
    });

    r.post('/api/portal/signin/code', {
      config: { public: true, rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        tags: ['portal'],
        summary: 'Enter the emailed code; starts a portal session',
        body: Type.Object({ challengeId: Type.String({ maxLength: 64 }), code: Type.String({ pattern: '^[0-9 ]{6,8}$' }) }, { additionalProperties: false }),
        response: { 200: Started, ...errors },
      },
    }, async (request, reply) => started(reply, await verifyPortalSignInCode(deps, clientOf(request), request.body)));

    r.post('/api/portal/signin/link', {
      config: { public: true, rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: { tags: ['portal'], summary: 'Use the emailed sign-in link (once)', body: Type.Object({ token: Type.String({ maxLength: 100 }) }, { additionalProperties: false }), response: { 200: Started, ...errors } },
    }, async (request, reply) => started(reply, await signInWithPortalLink(deps, clientOf(request), request.body)));

    r.post('/api/portal/signout', {
      config: { public: true },
      schema: { tags: ['portal'], summary: 'End the portal session', response: { 200: Type.Object({ ok: Type.Literal(true) }), ...errors } },
    }, async (request, reply) => {
      const c = await authenticatePortal(deps, request);
      await revokePortalSession(deps, c.sessionHash);
      clearPortalCookie(reply, secure);
      return { ok: true as const };
    });

    r.get('/api/portal/me', {
      config: { public: true },
      schema: { tags: ['portal'], summary: 'The signed-in customer and the CSRF token for writes', response: { 200: Type.Object({ customerId: Uuid, organizationId: Uuid, method: Type.String(), csrfToken: Type.String() }), ...errors } },
    }, async (request) => {
      const c = await authenticatePortal(deps, request);
      return { customerId: c.customerId, organizationId: c.orgId, method: c.method, csrfToken: portalCsrfToken(deps.keys, c.token) };
    });

    r.get('/api/portal/tickets', {
      config: { public: true },
      schema: { tags: ['portal'], summary: 'My requests', response: { 200: Type.Object({ items: Type.Array(Summary) }), ...errors } },
    }, async (request) => ({ items: await listMyTickets(deps, await authenticatePortal(deps, request)) }));

    r.get('/api/portal/tickets/:id', {
      config: { public: true },
      schema: { tags: ['portal'], summary: 'One of my requests with its public messages (audited)', params: Params, response: { 200: Type.Intersect([Summary, Type.Object({ messages: Type.Array(Message) })]), ...errors } },
    }, async (request) => readMyTicket(deps, await authenticatePortal(deps, request), { ticketId: request.params.id }));

    r.post('/api/portal/tickets/:id/replies', {
      config: { public: true, rateLimit: { max: 30, timeWindow: '1 minute' } },
      schema: {
        tags: ['portal'],
        summary: 'Answer on one of my requests; sensitive data is redacted before storage',
        params: Params,
        body: Type.Object({ body: Type.String({ minLength: 1, maxLength: 50_000 }) }, { additionalProperties: false }),
        response: { 201: Type.Object({ messageId: Uuid, redactions: Type.Integer() }), ...errors },
      },
    }, async (request, reply) => {
      const c = await authenticatePortal(deps, request);
      return reply.code(201).send(await replyAsCustomer(deps, c, { ticketId: request.params.id, body: request.body.body }));
    });

    r.post('/api/portal/tickets/:id/attachments', {
      config: { public: true, rateLimit: { max: 20, timeWindow: '1 minute' } },
      bodyLimit: deps.policy.maxUploadBytes,
      schema: {
        tags: ['portal'],
        summary: 'Attach a file (raw body, application/octet-stream); type is sniffed, dangerous files flagged',
        params: Params,
        querystring: Type.Object({ filename: Type.String({ minLength: 1, maxLength: 255 }) }),
        response: { 201: Type.Object({ messageId: Uuid, sniffedType: Type.String(), dangerous: Type.Boolean() }), ...errors },
      },
    }, async (request, reply) => {
      const c = await authenticatePortal(deps, request);
      if (!Buffer.isBuffer(request.body)) throw new AppError('unsupported_media_type', 'Send the file as application/octet-stream.');
      const declared = typeof request.headers['x-file-type'] === 'string' ? request.headers['x-file-type'] : 'application/octet-stream';
      return reply.code(201).send(await uploadAttachment(deps, c, { ticketId: request.params.id, filename: request.query.filename, declaredType: declared, bytes: request.body }));
    });

    r.get('/api/portal/request-form', {
      config: { public: true, rateLimit: { max: 30, timeWindow: '1 minute' } },
      schema: {
        tags: ['portal'],
        summary: 'A signed fill-time token for the public request form',
        querystring: Type.Object({ organizationId: Uuid }),
        response: { 200: Type.Object({ formToken: Type.String(), honeypotField: Type.String(), minFillSeconds: Type.Integer() }), ...errors },
      },
    }, async (request) => ({ formToken: issueFormToken(deps, request.query.organizationId), honeypotField: HONEYPOT_FIELD, minFillSeconds: Math.ceil(deps.policy.minFillMs / 1000) }));

    r.post('/api/portal/requests', {
      config: { public: true, rateLimit: { max: 5, timeWindow: '10 minutes' } },
      schema: {
        tags: ['portal'],
        summary: 'Public new-request form (rate limited; honeypot and fill-time checks)',
        body: Type.Object({
          organizationId: Uuid,
          name: Type.String({ minLength: 1, maxLength: 200 }),
          email: Type.String({ format: 'email', maxLength: 254 }),
          subject: Type.String({ minLength: 1, maxLength: 300 }),
          body: Type.String({ minLength: 1, maxLength: 50_000 }),
          [HONEYPOT_FIELD]: Type.Optional(Type.String({ maxLength: 500 })),
          formToken: Type.String({ maxLength: 200 }),
        }, { additionalProperties: false }),
        response: { 202: Type.Object({ received: Type.Literal(true) }), ...errors },
      },
    }, async (request, reply) => {
      const b = request.body;
      await submitWebRequest(deps, clientOf(request), { orgId: b.organizationId, name: b.name, email: b.email, subject: b.subject, body: b.body, formToken: b.formToken, ...(b.website !== undefined ? { website: b.website } : {}) });
      return reply.code(202).send({ received: true as const });
    });
  };
}

export const portalRoutes = createPortalRoutes();
