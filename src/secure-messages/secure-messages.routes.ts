/**
 * Secure messages. Agent side (session + permission): send one, list a
 * ticket's. Customer side (public to the staff gate, own checks): open the
 * link (sends a code), enter the code (starts a portal session), read the
 * message (audited). Register `secureMessageRoutes` (or the factory).
 */
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requirePermission } from '../auth/access.js';
import { AppError } from '../errors.js';
import { createPortalDeps, type PortalDepsOptions } from '../portal/deps.js';
import { authenticatePortal, clientOf, setPortalCookie } from '../portal/sessions.js';
import type { AgentContext } from '../tickets/context.js';
import { TICKET_STATUSES } from '../tickets/schema.js';
import { listSecureMessages, openSecureLink, readSecureMessage, sendSecureReply, verifySecureLinkCode } from './secure-messages.service.js';

const Uuid = Type.String({ format: 'uuid' });
const Problem = { $ref: 'Problem#' } as const;
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 410: Problem, 413: Problem, 429: Problem };
const Params = Type.Object({ id: Uuid });

function agent(request: FastifyRequest): AgentContext {
  if (!request.principal) throw new AppError('unauthenticated', 'Sign in to continue.');
  return { principal: request.principal, requestId: String(request.id), sourceIp: request.ip };
}

export function createSecureMessageRoutes(options: PortalDepsOptions = {}) {
  return async function secureMessageRoutes(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const deps = await createPortalDeps(app.services, options);

    r.post('/api/tickets/:id/secure-replies', {
      preHandler: requirePermission('tickets.write'),
      schema: {
        tags: ['secure-messages'],
        summary: 'Reply as a secure message: the email carries only a notice and a single-use link',
        params: Params,
        body: Type.Object({ body: Type.String({ minLength: 1, maxLength: 200_000 }), status: Type.Optional(Type.Union(TICKET_STATUSES.map((s) => Type.Literal(s)))) }, { additionalProperties: false }),
        response: { 201: Type.Object({ secureMessageId: Uuid, messageId: Uuid, expiresAt: Type.String() }), ...errors },
      },
    }, async (request, reply) => {
      const res = await sendSecureReply(deps, agent(request), { ticketId: request.params.id, body: request.body.body, ...(request.body.status ? { status: request.body.status } : {}) });
      return reply.code(201).send({ secureMessageId: res.secureMessageId, messageId: res.messageId, expiresAt: res.expiresAt });
    });

    r.get('/api/tickets/:id/secure-messages', {
      preHandler: requirePermission('tickets.read'),
      schema: {
        tags: ['secure-messages'],
        summary: 'Secure messages of a ticket: expiry, link use and reads',
        params: Params,
        response: { 200: Type.Object({ items: Type.Array(Type.Object({ id: Uuid, messageId: Uuid, expiresAt: Type.String(), linkUsedAt: Type.Union([Type.String(), Type.Null()]), firstReadAt: Type.Union([Type.String(), Type.Null()]), readCount: Type.Integer(), createdAt: Type.String() })) }), ...errors },
      },
    }, async (request) => ({ items: await listSecureMessages(deps, agent(request), { ticketId: request.params.id }) }));

    r.post('/api/portal/secure/open', {
      config: { public: true, rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        tags: ['secure-messages'],
        summary: 'Open a secure-message link: emails a one-time code to the registered address',
        body: Type.Object({ token: Type.String({ maxLength: 100 }) }, { additionalProperties: false }),
        response: { 202: Type.Object({ challengeId: Uuid, expiresAt: Type.String() }), ...errors },
      },
    }, async (request, reply) => reply.code(202).send(await openSecureLink(deps, clientOf(request), request.body)));

    r.post('/api/portal/secure/verify', {
      config: { public: true, rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        tags: ['secure-messages'],
        summary: 'Enter the code: starts a portal session and uses up the link',
        body: Type.Object({ challengeId: Type.String({ maxLength: 64 }), code: Type.String({ pattern: '^[0-9 ]{6,8}$' }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ csrfToken: Type.String(), expiresAt: Type.String(), secureMessageId: Uuid, ticketId: Uuid }), ...errors },
      },
    }, async (request, reply) => {
      const res = await verifySecureLinkCode(deps, clientOf(request), request.body);
      setPortalCookie(reply, res.session, app.auth.secureCookies);
      return { csrfToken: res.session.csrfToken, expiresAt: res.session.expiresAt.toISOString(), secureMessageId: res.secureMessageId, ticketId: res.ticketId };
    });

    r.get('/api/portal/secure-messages/:id', {
      config: { public: true },
      schema: {
        tags: ['secure-messages'],
        summary: 'Read a secure message (every read is audited)',
        params: Params,
        response: { 200: Type.Object({ id: Uuid, ticketId: Uuid, ticketNumber: Type.Integer(), body: Type.Union([Type.String(), Type.Null()]), createdAt: Type.String() }), ...errors },
      },
    }, async (request) => readSecureMessage(deps, await authenticatePortal(deps, request), { secureMessageId: request.params.id }));
  };
}

export const secureMessageRoutes = createSecureMessageRoutes();
