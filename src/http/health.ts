/**
 * Liveness and readiness. /healthz answers while the process runs; /readyz
 * only when the database answers, so a load balancer stops sending traffic to
 * an instance that cannot serve it.
 */
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { sendProblem } from './problem.js';

const Status = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['ok'] } },
} as const;

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { config: { public: true }, schema: { tags: ['health'], response: { 200: Status } } }, async () => ({ status: 'ok' as const }));

  app.get(
    '/readyz',
    { config: { public: true }, schema: { tags: ['health'], response: { 200: Status, 503: { $ref: 'Problem#' } } } },
    async (request, reply) => {
      try {
        await sql`SELECT 1`.execute(app.services.database.db);
        return { status: 'ok' as const };
      } catch (err) {
        request.log.warn({ err }, 'readiness check failed');
        return sendProblem(reply, request, 503, 'unavailable', 'The database is not answering.');
      }
    },
  );
}
