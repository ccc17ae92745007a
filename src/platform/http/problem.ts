/**
 * Errors as RFC 9457 problem+json. Known errors (AppError, validation,
 * Fastify's own 4xx) keep their safe message; anything else becomes a generic
 * 500 whose internals go to the log only, tied to the request id.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../db/database.js';
import { AppError, ERROR_CODES, type ErrorCode } from '../errors.js';

/** Seconds a client is asked to wait when the database is away (restart, failover). */
export const RETRY_AFTER_SECONDS = 5;

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: ErrorCode;
  instance?: string;
  requestId: string;
  [extra: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Authentication required',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service unavailable',
};

/** The shape every error response has; routes reference it in their schemas. */
export const ProblemSchema = {
  $id: 'Problem',
  type: 'object',
  required: ['type', 'title', 'status', 'code', 'requestId'],
  // Extra members (field errors, sensitiveTypes, stepUp…) are part of the answer; only safe values are put there.
  additionalProperties: true,
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', enum: Object.keys(ERROR_CODES) },
    requestId: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
  },
} as const;

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400: return 'bad_request';
    case 401: return 'unauthenticated';
    case 403: return 'forbidden';
    case 404: return 'not_found';
    case 409: return 'conflict';
    case 413: return 'payload_too_large';
    case 415: return 'unsupported_media_type';
    case 429: return 'rate_limited';
    case 503: return 'unavailable';
    default: return status >= 500 ? 'internal' : 'bad_request';
  }
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, status: number, code: ErrorCode, detail: string | undefined, extra: Record<string, unknown> = {}) {
  const body: Problem = {
    type: `https://trustdesk.dev/problems/${code.replace(/_/g, '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    requestId: String(request.id),
    ...(detail ? { detail } : {}),
    ...extra,
  };
  return reply.status(status).type('application/problem+json').send(body);
}

export function registerProblemHandlers(app: FastifyInstance): void {
  /**
   * A signed-in caller refused by a permission or object check (requirePermission, authorize) leaves an
   * `access.denied` entry: repeated refusals are a signal of someone probing what they may not read (decision 0194).
   * It names the permission and route, never the record; recording it never changes the answer.
   */
  function recordRefusal(request: FastifyRequest, error: AppError): void {
    const p = request.principal;
    const internal = error.internal ?? '';
    if (!p || (error.code !== 'forbidden' && error.code !== 'not_found') || !/^(denied|missing) [a-z_.]+$/.test(internal)) return;
    const audit = request.server.services?.audit;
    if (!audit) return;
    audit
      .record({ orgId: p.orgId, actor: p.kind === 'token' ? { type: 'token', id: p.tokenId ?? null } : { type: 'user', id: p.userId }, action: 'access.denied', result: 'denied', requestId: String(request.id), sourceIp: request.ip, details: { permission: internal.split(' ')[1], route: request.routeOptions.url ?? null, method: request.method } })
      .catch((err: unknown) => request.log.warn({ err }, 'refusal not recorded'));
  }

  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    // The database restarting or failing over is temporary: say so, and when to come back.
    if ((!(error instanceof AppError) || error.status >= 500) && isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      return sendProblem(reply, request, 503, 'unavailable', 'The service is briefly unavailable (its database is not answering). Try again in a few seconds.');
    }
    if (error instanceof AppError) {
      if (error.status === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      if (error.status >= 500) request.log.error({ err: error, internal: error.internal }, error.message);
      else if (error.internal) request.log.info({ code: error.code, internal: error.internal }, 'request refused');
      recordRefusal(request, error);
      return sendProblem(reply, request, error.status, error.code, error.message, error.extra);
    }
    const fe = error as FastifyError;
    if (fe.validation) {
      const errors = fe.validation.map((v) => ({
        field: (v.instancePath || (v.params as { missingProperty?: string })?.missingProperty || '').replace(/^\//, '').replace(/\//g, '.'),
        message: v.message ?? 'is invalid',
      }));
      return sendProblem(reply, request, 400, 'validation_failed', 'The request is not valid.', { errors });
    }
    const status = typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 600 ? fe.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'unhandled error');
      // Never echo a 5xx's text: it can carry SQL, paths or data.
      return sendProblem(reply, request, status, codeForStatus(status), 'Something went wrong on our side. Quote the request id if you report it.');
    }
    // Fastify's own 4xx messages (bad JSON, too large, wrong content type) are safe and useful.
    return sendProblem(reply, request, status, codeForStatus(status), fe.message);
  });

  app.setNotFoundHandler((request, reply) => sendProblem(reply, request, 404, 'not_found', 'No such resource.'));
}
