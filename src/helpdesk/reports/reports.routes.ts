/** /api/reports — the dashboard and one report as CSV (reports.read). Schemas: src/platform/http/schemas/reports.ts. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { problemResponses, routeSchema } from '../../platform/http/schemas/common.js';
import { reportEndpoints as e } from '../../platform/http/schemas/reports.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { agentOf } from '../tickets/ticket-bulk.routes.js';
import { exportReport, readReportDashboard } from './reports.service.js';

export async function reportRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = await createHelpdeskDeps(app.services);
  const guard = requirePermission('reports.read');
  const tags = ['reports'];

  r.get(e.dashboard.url, { preHandler: guard, schema: routeSchema(e.dashboard, { tags, summary: 'Ticket volume, backlog, response and resolution times, SLA, CSAT, channels and threats for a range (scoped; audited)' }) }, async (request) =>
    readReportDashboard(deps, agentOf(request), request.query),
  );

  r.get(e.export.url, {
    preHandler: guard,
    schema: {
      tags,
      summary: 'One report as CSV (RFC 4180, spreadsheet formulas neutralised)',
      querystring: e.export.querystring,
      response: { 200: { description: 'The report', content: { 'text/csv': { schema: { type: 'string' } } } }, ...problemResponses },
    },
  }, async (request, reply) => {
    const result = await exportReport(deps, agentOf(request), request.query);
    reply.header('content-disposition', `attachment; filename="${result.filename}"`);
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    return reply.type('text/csv; charset=utf-8; header=present').send(result.body);
  });
}
