/**
 * Phishing defence in the product:
 *   /api/sender-lists            allow and block lists (read: quarantine.read or policies.manage; change: policies.manage)
 *   /api/tickets/:t/messages/:m/report-phishing   an agent's report (tickets.write on that ticket: it quarantines and proposes a block)
 *   /api/phishing-reports        the awareness record (own reports; all with quarantine.read) and officers' verdicts
 *   /api/links/check             the warning page's analysis of a link in a message (never fetched)
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { can, requirePermission } from '../../identity/auth/access.js';
import { clientOf, requirePrincipal } from '../../identity/auth/auth.routes.js';
import { AppError } from '../../platform/errors.js';
import { problemResponses } from '../../platform/http/schemas/common.js';
import { linkCheckEndpoints, phishingReportEndpoints, senderListEndpoints } from '../../platform/http/schemas/phishing-reports.js';
import { createHelpdeskDeps, ticketScope, type AgentContext } from '../../helpdesk/tickets/context.js';
import { checkLink } from './link-check.js';
import { decideReport, listReports, reportPhishing } from './reports.service.js';
import { addSenderEntry, approveSenderEntry, listSenderEntries, removeSenderEntry } from './sender-lists.js';
import './schema.js';

const tags = ['phishing'];

/** Security officers read the lists; administrators, who change them, read them too. */
async function requireListReader(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const p = request.principal;
  if (!p) throw new AppError('unauthenticated', 'Sign in to continue.');
  if (!can(p, 'quarantine.read') && !can(p, 'policies.manage')) throw new AppError('forbidden', 'Your role does not allow this.', { internal: 'missing quarantine.read/policies.manage' });
}

function agentContext(request: FastifyRequest): AgentContext {
  const client = clientOf(request);
  return { principal: requirePrincipal(request), requestId: client.requestId, sourceIp: client.ip };
}

export async function phishingReportRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  // Built once: it unwraps the mail keys, which no request should repeat.
  const deps = await createHelpdeskDeps(app.services);
  const listDeps = () => ({ db: app.services.database.db, audit: app.services.audit, keyring: app.services.keyring });

  r.get('/api/sender-lists', {
    preHandler: requireListReader,
    schema: { tags, summary: 'Allow and block list entries', querystring: senderListEndpoints.list.querystring, response: { 200: senderListEndpoints.list.response, ...problemResponses } },
  }, async (request) => {
    const p = requirePrincipal(request);
    return { items: await listSenderEntries(listDeps(), p, clientOf(request), { ...(request.query.kind ? { kind: request.query.kind } : {}), ...(request.query.status ? { status: request.query.status } : {}) }) };
  });

  r.post('/api/sender-lists', {
    preHandler: requirePermission('policies.manage'),
    schema: { tags, summary: 'Add a domain or address to the allow or block list (audited)', body: senderListEndpoints.add.body, response: { 201: senderListEndpoints.add.response, ...problemResponses } },
  }, async (request, reply) => {
    const entry = await addSenderEntry(listDeps(), requirePrincipal(request), clientOf(request), request.body);
    return reply.code(201).send(entry);
  });

  r.post('/api/sender-lists/:id/approve', {
    preHandler: requirePermission('policies.manage'),
    schema: { tags, summary: 'Approve a suggested entry (from a phishing report)', params: senderListEndpoints.approve.params, body: senderListEndpoints.approve.body, response: { 200: senderListEndpoints.approve.response, ...problemResponses } },
  }, async (request) => approveSenderEntry(listDeps(), requirePrincipal(request), clientOf(request), { id: request.params.id, reason: request.body.reason }));

  r.post('/api/sender-lists/:id/remove', {
    preHandler: requirePermission('policies.manage'),
    schema: { tags, summary: 'Remove an entry or reject a suggestion (audited)', params: senderListEndpoints.remove.params, body: senderListEndpoints.remove.body, response: { 200: senderListEndpoints.remove.response, ...problemResponses } },
  }, async (request) => {
    await removeSenderEntry(listDeps(), requirePrincipal(request), clientOf(request), { id: request.params.id, reason: request.body.reason });
    return { ok: true as const };
  });

  r.post('/api/tickets/:ticketId/messages/:messageId/report-phishing', {
    preHandler: requirePermission('tickets.write'),
    schema: { tags, summary: 'Report a message as phishing: it moves to quarantine and security is told', params: phishingReportEndpoints.report.params, body: phishingReportEndpoints.report.body, response: { 201: phishingReportEndpoints.report.response, ...problemResponses } },
  }, async (request, reply) => {
    const result = await reportPhishing({ ...deps, mailer: app.services.mailer }, agentContext(request), { ...request.params, comment: request.body?.comment });
    return reply.code(201).send(result);
  });

  r.get('/api/phishing-reports', {
    preHandler: requirePermission('tickets.read'),
    schema: { tags, summary: 'Phishing reports: your own, or everyone’s with quarantine.read', querystring: phishingReportEndpoints.list.querystring, response: { 200: phishingReportEndpoints.list.response, ...problemResponses } },
  }, async (request) => {
    const p = requirePrincipal(request);
    const all = can(p, 'quarantine.read') && request.query.mine !== true;
    return { items: await listReports(deps, { orgId: p.orgId, ...(all ? {} : { reporterId: p.userId }), ...(request.query.limit ? { limit: request.query.limit } : {}) }) };
  });

  r.post('/api/phishing-reports/:id/outcome', {
    preHandler: requirePermission('quarantine.release'),
    schema: { tags, summary: 'Record whether a report was phishing (a false positive shows the message again)', params: phishingReportEndpoints.outcome.params, body: phishingReportEndpoints.outcome.body, response: { 200: phishingReportEndpoints.outcome.response, ...problemResponses } },
  }, async (request) => {
    const ctx = agentContext(request);
    return decideReport(deps, ctx.principal, ctx, { id: request.params.id, ...request.body });
  });

  r.get('/api/links/check', {
    preHandler: requirePermission('tickets.read'),
    schema: { tags, summary: 'What the warning page shows before a link in a message is opened (the link is never fetched)', querystring: linkCheckEndpoints.check.querystring, response: { 200: linkCheckEndpoints.check.response, ...problemResponses } },
  }, async (request) => {
    const p = requirePrincipal(request);
    // Authorised through the message's ticket, with the same SQL visibility as ticket reads.
    const msg = await app.services.database.db
      .selectFrom('messages')
      .innerJoin('tickets', 'tickets.id', 'messages.ticket_id')
      .where('messages.id', '=', request.query.m)
      .where('messages.org_id', '=', p.orgId)
      .where(ticketScope(p, 'tickets.read'))
      .select(['messages.threat_verdict', 'messages.threat_score', 'messages.threat_codes', 'messages.reported_at'])
      .executeTakeFirst();
    if (!msg) throw new AppError('not_found', 'No such message.');
    const check = checkLink({ url: request.query.u, text: request.query.t });
    const suspicious = msg.reported_at !== null || (msg.threat_verdict !== null && msg.threat_verdict !== 'clean');
    return {
      ...check,
      message: { verdict: msg.threat_verdict, score: msg.threat_score, codes: msg.threat_codes, reported: msg.reported_at !== null },
      warn: check.level !== 'ok' || suspicious,
    };
  });
}
