/**
 * Verify customer. Agent side: start (`customers.verify`), check the code read
 * back, list a ticket's outcomes; the organisation policy (`policies.manage`).
 * Customer side: pending verifications and entering a code in the portal.
 * Register `verificationRoutes` (or the factory).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { AppError } from '../../platform/errors.js';
import { ProblemRef, routeSchema } from '../../platform/http/schemas/common.js';
import { verificationEndpoints } from '../../platform/http/schemas/verification.js';
import { createPortalDeps, type PortalDepsOptions } from '../portal/deps.js';
import { authenticatePortal, requirePortalSessionFirst } from '../portal/sessions.js';
import type { AgentContext } from '../tickets/context.js';
import { checkVerificationCode, listPendingPortalVerifications, listVerifications, setVerificationPolicy, startVerification, submitPortalVerification } from './verification.service.js';

const e = verificationEndpoints;
const doc = { tags: ['verification'], extraResponses: { 410: ProblemRef, 429: ProblemRef } };

function agent(request: FastifyRequest): AgentContext {
  if (!request.principal) throw new AppError('unauthenticated', 'Sign in to continue.');
  return { principal: request.principal, requestId: String(request.id), sourceIp: request.ip };
}

export function createVerificationRoutes(options: PortalDepsOptions = {}) {
  return async function verificationRoutes(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const deps = await createPortalDeps(app.services, options);
    requirePortalSessionFirst(app, deps);

    r.post(e.start.url, {
      preHandler: requirePermission('customers.verify'),
      config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: routeSchema(e.start, { ...doc, summary: 'Send a one-time code to the requester’s registered email or phone' }),
    }, async (request, reply) => {
      const started = await startVerification(deps, agent(request), { ticketId: request.params.id, channel: request.body.channel });
      // A chat's customer is asked inside the chat (src/helpdesk/chat/socket.ts); other tickets hear nothing of it.
      app.bus.publish({ k: 'chat-verify', orgId: agent(request).principal.orgId, ticketId: request.params.id, verificationId: started.verificationId });
      return reply.code(201).send(started);
    });

    r.post(e.check.url, {
      preHandler: requirePermission('customers.verify'),
      schema: routeSchema(e.check, { ...doc, summary: 'Enter the code the customer read back; the outcome is recorded on the ticket' }),
    }, async (request) => checkVerificationCode(deps, agent(request), { ticketId: request.params.id, verificationId: request.params.verificationId, code: request.body.code }));

    r.get(e.list.url, {
      preHandler: requirePermission('tickets.read'),
      schema: routeSchema(e.list, { ...doc, summary: 'Verification outcomes on a ticket' }),
    }, async (request) => ({ items: await listVerifications(deps, agent(request), { ticketId: request.params.id }) }));

    r.put(e.setPolicy.url, {
      preHandler: requirePermission('policies.manage'),
      schema: routeSchema(e.setPolicy, { ...doc, summary: 'Require a recent verification on the ticket before customer fields are revealed' }),
    }, async (request) => {
      await setVerificationPolicy(deps, agent(request), request.body);
      return { ok: true as const };
    });

    r.get(e.portalPending.url, {
      config: { public: true, portalSession: true },
      schema: routeSchema(e.portalPending, { ...doc, summary: 'Verifications waiting for my code' }),
    }, async (request) => ({ items: await listPendingPortalVerifications(deps, await authenticatePortal(deps, request)) }));

    r.post(e.portalSubmit.url, {
      config: { public: true, portalSession: true, rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: routeSchema(e.portalSubmit, { ...doc, summary: 'Enter a verification code in the portal' }),
    }, async (request) => submitPortalVerification(deps, await authenticatePortal(deps, request), { verificationId: request.params.id, code: request.body.code }));
  };
}

export const verificationRoutes = createVerificationRoutes();
