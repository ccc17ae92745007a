/**
 * Verify customer. Agent side: start (`customers.verify`), check the code read
 * back, list a ticket's outcomes; the organisation policy (`policies.manage`).
 * Customer side: pending verifications and entering a code in the portal.
 * Register `verificationRoutes` (or the factory).
 */
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requirePermission } from '../auth/access.js';
import { AppError } from '../errors.js';
import { createPortalDeps, type PortalDepsOptions } from '../portal/deps.js';
import { authenticatePortal } from '../portal/sessions.js';
import type { AgentContext } from '../tickets/context.js';
import { checkVerificationCode, listPendingPortalVerifications, listVerifications, setVerificationPolicy, startVerification, submitPortalVerification } from './verification.service.js';

const Uuid = Type.String({ format: 'uuid' });
const Problem = { $ref: 'Problem#' } as const;
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 410: Problem, 429: Problem };
const Code = Type.String({ pattern: '^[0-9 ]{6,8}$' });
const Status = Type.Union([Type.Literal('pending'), Type.Literal('verified'), Type.Literal('failed')]);

function agent(request: FastifyRequest): AgentContext {
  if (!request.principal) throw new AppError('unauthenticated', 'Sign in to continue.');
  return { principal: request.principal, requestId: String(request.id), sourceIp: request.ip };
}

export function createVerificationRoutes(options: PortalDepsOptions = {}) {
  return async function verificationRoutes(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const deps = await createPortalDeps(app.services, options);

    r.post('/api/tickets/:id/verifications', {
      preHandler: requirePermission('customers.verify'),
      config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        tags: ['verification'],
        summary: 'Send a one-time code to the requester’s registered email or phone',
        params: Type.Object({ id: Uuid }),
        body: Type.Object({ channel: Type.Union([Type.Literal('email'), Type.Literal('sms')]) }, { additionalProperties: false }),
        response: { 201: Type.Object({ verificationId: Uuid, channel: Type.String(), sentTo: Type.String(), expiresAt: Type.String() }), ...errors },
      },
    }, async (request, reply) => reply.code(201).send(await startVerification(deps, agent(request), { ticketId: request.params.id, channel: request.body.channel })));

    r.post('/api/tickets/:id/verifications/:verificationId/check', {
      preHandler: requirePermission('customers.verify'),
      schema: {
        tags: ['verification'],
        summary: 'Enter the code the customer read back; the outcome is recorded on the ticket',
        params: Type.Object({ id: Uuid, verificationId: Uuid }),
        body: Type.Object({ code: Code }, { additionalProperties: false }),
        response: { 200: Type.Object({ status: Status }), ...errors },
      },
    }, async (request) => checkVerificationCode(deps, agent(request), { ticketId: request.params.id, verificationId: request.params.verificationId, code: request.body.code }));

    r.get('/api/tickets/:id/verifications', {
      preHandler: requirePermission('tickets.read'),
      schema: {
        tags: ['verification'],
        summary: 'Verification outcomes on a ticket',
        params: Type.Object({ id: Uuid }),
        response: { 200: Type.Object({ items: Type.Array(Type.Object({ id: Uuid, ticketId: Uuid, channel: Type.String(), status: Status, verifiedVia: Type.Union([Type.String(), Type.Null()]), attempts: Type.Integer(), expiresAt: Type.String(), decidedAt: Type.Union([Type.String(), Type.Null()]), createdAt: Type.String() })) }), ...errors },
      },
    }, async (request) => ({ items: await listVerifications(deps, agent(request), { ticketId: request.params.id }) }));

    r.put('/api/organization/verification-policy', {
      preHandler: requirePermission('policies.manage'),
      schema: {
        tags: ['verification'],
        summary: 'Require a recent verification on the ticket before customer fields are revealed',
        body: Type.Object({ requireBeforeReveal: Type.Boolean(), validMinutes: Type.Integer({ minimum: 1, maximum: 1440 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ ok: Type.Literal(true) }), ...errors },
      },
    }, async (request) => {
      await setVerificationPolicy(deps, agent(request), request.body);
      return { ok: true as const };
    });

    r.get('/api/portal/verifications', {
      config: { public: true },
      schema: { tags: ['verification'], summary: 'Verifications waiting for my code', response: { 200: Type.Object({ items: Type.Array(Type.Object({ id: Uuid, ticketId: Uuid, expiresAt: Type.String() })) }), ...errors } },
    }, async (request) => ({ items: await listPendingPortalVerifications(deps, await authenticatePortal(deps, request)) }));

    r.post('/api/portal/verifications/:id', {
      config: { public: true, rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        tags: ['verification'],
        summary: 'Enter a verification code in the portal',
        params: Type.Object({ id: Uuid }),
        body: Type.Object({ code: Code }, { additionalProperties: false }),
        response: { 200: Type.Object({ status: Status }), ...errors },
      },
    }, async (request) => submitPortalVerification(deps, await authenticatePortal(deps, request), { verificationId: request.params.id, code: request.body.code }));
  };
}

export const verificationRoutes = createVerificationRoutes();
