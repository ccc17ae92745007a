/**
 * Secure messages. Agent side (session + permission): send one, list a
 * ticket's. Customer side (public to the staff gate, own checks): open the
 * link (sends a code), enter the code (starts a portal session), read the
 * message (audited). Register `secureMessageRoutes` (or the factory).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { AppError } from '../../platform/errors.js';
import { createPortalDeps, type PortalDepsOptions } from '../portal/deps.js';
import { authenticatePortal, requirePortalSessionFirst, clientOf, setPortalCookie } from '../portal/sessions.js';
import type { AgentContext } from '../tickets/context.js';
import { ProblemRef, problemResponses } from '../../platform/http/schemas/common.js';
import { secureMessageEndpoints as e } from '../../platform/http/schemas/secure-messages.js';
import { checkSecureLink, listSecureMessages, openSecureLink, readSecureMessage, sendSecureReply, verifySecureLinkCode } from './secure-messages.service.js';

const errors = { ...problemResponses, 410: ProblemRef, 413: ProblemRef, 429: ProblemRef };
const tags = ['secure-messages'];

function agent(request: FastifyRequest): AgentContext {
  if (!request.principal) throw new AppError('unauthenticated', 'Sign in to continue.');
  return { principal: request.principal, requestId: String(request.id), sourceIp: request.ip };
}

export function createSecureMessageRoutes(options: PortalDepsOptions = {}) {
  return async function secureMessageRoutes(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const deps = await createPortalDeps(app.services, options);
    requirePortalSessionFirst(app, deps);

    r.post(e.send.url, {
      preHandler: requirePermission('tickets.write'),
      schema: { tags, summary: 'Reply as a secure message: the email carries only a notice and a single-use link', params: e.send.params, body: e.send.body, response: { 201: e.send.response, ...errors } },
    }, async (request, reply) => {
      const res = await sendSecureReply(deps, agent(request), { ticketId: request.params.id, body: request.body.body, ...(request.body.status ? { status: request.body.status } : {}) });
      return reply.code(201).send({ secureMessageId: res.secureMessageId, messageId: res.messageId, expiresAt: res.expiresAt });
    });

    r.get(e.list.url, {
      preHandler: requirePermission('tickets.read'),
      schema: { tags, summary: 'Secure messages of a ticket: expiry, link use and reads', params: e.list.params, response: { 200: e.list.response, ...errors } },
    }, async (request) => ({ items: await listSecureMessages(deps, agent(request), { ticketId: request.params.id }) }));

    r.post(e.check.url, {
      config: { public: true, rateLimit: { max: 20, timeWindow: '1 minute' } },
      schema: { tags, summary: 'Whether a secure-message link can still be used (sends nothing)', body: e.check.body, response: { 200: e.check.response, ...errors } },
    }, async (request) => checkSecureLink(deps, request.body));

    r.post(e.open.url, {
      config: { public: true, rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: { tags, summary: 'Open a secure-message link: emails a one-time code to the registered address', body: e.open.body, response: { 202: e.open.response, ...errors } },
    }, async (request, reply) => reply.code(202).send(await openSecureLink(deps, clientOf(request), request.body)));

    r.post(e.verify.url, {
      config: { public: true, rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: { tags, summary: 'Enter the code: starts a portal session and uses up the link', body: e.verify.body, response: { 200: e.verify.response, ...errors } },
    }, async (request, reply) => {
      const res = await verifySecureLinkCode(deps, clientOf(request), request.body);
      setPortalCookie(reply, res.session, app.auth.secureCookies);
      return { csrfToken: res.session.csrfToken, expiresAt: res.session.expiresAt.toISOString(), secureMessageId: res.secureMessageId, ticketId: res.ticketId };
    });

    r.get(e.read.url, {
      config: { public: true, portalSession: true, customerMfa: 'sensitive' },
      schema: { tags, summary: 'Read a secure message (every read is audited)', params: e.read.params, response: { 200: e.read.response, ...errors } },
    }, async (request) => readSecureMessage(deps, await authenticatePortal(deps, request), { secureMessageId: request.params.id }));
  };
}

export const secureMessageRoutes = createSecureMessageRoutes();
