/**
 * Liveness and readiness. /healthz answers while the process runs; /readyz
 * only when the database answers, so a load balancer stops sending traffic to
 * an instance that cannot serve it. Neither caches: after a database restart
 * /readyz turns 200 again by itself on the first query that reconnects.
 * With Redis configured, a Redis outage answers 200 `degraded`: the instance
 * still serves its own sockets and every request (decision 0176).
 */
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { RETRY_AFTER_SECONDS, sendProblem } from './problem.js';

const Status = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded'] },
    /** With REDIS_URL: whether events reach the other instances (each instance keeps serving its own sockets without). */
    redis: { type: 'string', enum: ['ok', 'down'] },
  },
} as const;

/** A readiness probe answers quickly: a database that takes longer than this counts as down. */
const READY_DEADLINE_MS = 3000;

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  // The query keeps running if the deadline wins; its late failure is not an unhandled rejection.
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { config: { public: true }, schema: { tags: ['health'], response: { 200: Status } } }, async () => ({ status: 'ok' as const }));

  app.get(
    '/readyz',
    { config: { public: true }, schema: { tags: ['health'], response: { 200: Status, 503: { $ref: 'Problem#' } } } },
    async (request, reply) => {
      try {
        await withDeadline(sql`SELECT 1`.execute(app.services.database.db), READY_DEADLINE_MS);
        if (app.bus.kind !== 'redis') return { status: 'ok' as const };
        return app.bus.healthy ? { status: 'ok' as const, redis: 'ok' as const } : { status: 'degraded' as const, redis: 'down' as const };
      } catch (err) {
        request.log.warn({ err }, 'readiness check failed');
        reply.header('retry-after', String(RETRY_AFTER_SECONDS));
        return sendProblem(reply, request, 503, 'unavailable', 'The database is not answering.');
      }
    },
  );
}
