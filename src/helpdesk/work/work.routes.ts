/**
 * Taking and sharing work: /api/tickets/:id/take, /api/tickets/take-next, /api/views (saved views with
 * counts and their tickets), /api/organization/assignment (assign on reply), /api/teams/strategies and
 * /api/teams/:id/strategy (round robin, least busy), /api/auth/me/away. Schemas:
 * src/platform/http/schemas/work.ts. Thin handlers: guard → one service call (object checks, audit).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { requirePrincipal } from '../../identity/auth/auth.routes.js';
import { AppError } from '../../platform/errors.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { workEndpoints as e } from '../../platform/http/schemas/work.js';
import { actingFromAgent, createHelpdeskDeps, type AgentContext } from '../tickets/context.js';
import { staffNames } from '../tickets/tickets.service.js';
import { loadAssignmentSettings, storeAssignmentSettings } from './settings.js';
import { takeNextTicket, takeTicket } from './take.js';
import { createView, deleteView, listViews, updateView, viewTickets } from './views.js';
import './schema.js';

const tags = ['work'];

function agent(request: FastifyRequest): AgentContext {
  return { principal: requirePrincipal(request), requestId: String(request.id), sourceIp: request.ip };
}

export async function workRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = await createHelpdeskDeps(app.services);
  const ok = { ok: true as const };

  r.post(e.take.url, {
    preHandler: requirePermission('tickets.take'),
    schema: routeSchema(e.take, { tags, summary: 'Assign the ticket to yourself (one you may work on; a ticket someone else holds needs tickets.assign, else 409); audited' }),
  }, async (request) => {
    await takeTicket(deps, agent(request), { ticketId: request.params.id });
    return ok;
  });

  r.post(e.takeNext.url, {
    preHandler: requirePermission('tickets.take'),
    schema: routeSchema(e.takeNext, { tags, summary: 'Take the next unassigned ticket of a view (SLA due soonest, then priority, then oldest); two callers never get the same one' }),
  }, async (request) => {
    const b = request.body;
    if (b.viewId && b.view) throw new AppError('validation_failed', 'Give a saved view or a built-in view, not both.');
    return { ticket: await takeNextTicket(deps, agent(request), { ...(b.viewId ? { viewId: b.viewId } : {}), ...(b.view ? { view: b.view } : {}) }) };
  });

  r.get(e.views.url, {
    preHandler: requirePermission('tickets.read'),
    schema: routeSchema(e.views, { tags, summary: 'Your saved views and those shared with your teams, with their open-ticket counts' }),
  }, async (request) => ({ views: await listViews(deps, agent(request)) }));

  r.post(e.createView.url, {
    preHandler: requirePermission('tickets.read'),
    schema: routeSchema(e.createView, { tags, summary: 'Save a view (sharing with a team needs membership and tickets.assign)' }),
  }, async (request, reply) => reply.code(201).send(await createView(deps, agent(request), request.body)));

  r.put(e.updateView.url, {
    preHandler: requirePermission('tickets.read'),
    schema: routeSchema(e.updateView, { tags, summary: 'Change a view (its owner, or a lead of the team it is shared with)' }),
  }, async (request) => {
    await updateView(deps, agent(request), request.params.id, request.body);
    return ok;
  });

  r.delete(e.deleteView.url, {
    preHandler: requirePermission('tickets.read'),
    schema: routeSchema(e.deleteView, { tags, summary: 'Delete a view (its owner, or a lead of the team it is shared with)' }),
  }, async (request) => {
    await deleteView(deps, agent(request), request.params.id);
    return ok;
  });

  r.get(e.viewTickets.url, {
    preHandler: requirePermission('tickets.read'),
    schema: routeSchema(e.viewTickets, { tags, summary: 'The tickets of a saved view, in its order, among those you may read (audited)' }),
  }, async (request) => {
    const ctx = agent(request);
    const items = await viewTickets(deps, ctx, request.params.id, request.query.limit);
    return { items, staff: await staffNames(deps.db, ctx.principal.orgId, items.map((t) => t.assigneeId)) };
  });

  r.get(e.assignmentSettings.url, {
    preHandler: requirePermission('channels.manage'),
    schema: routeSchema(e.assignmentSettings, { tags, summary: 'Assignment settings: whether a reply assigns an unassigned ticket to the replier' }),
  }, async (request) => loadAssignmentSettings(deps.db, requirePrincipal(request).orgId));

  r.put(e.setAssignmentSettings.url, {
    preHandler: requirePermission('channels.manage'),
    schema: routeSchema(e.setAssignmentSettings, { tags, summary: 'Change the assignment settings (audited)' }),
  }, async (request) => {
    const ctx = agent(request);
    await deps.db.transaction().execute(async (trx) => {
      await storeAssignmentSettings(trx, ctx.principal.orgId, request.body);
      await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'policy.assignment_change', object: { type: 'organization', id: ctx.principal.orgId }, result: 'success', details: { assignOnReply: request.body.assignOnReply } });
    });
    return ok;
  });

  r.get(e.teamStrategies.url, {
    preHandler: requirePermission('teams.manage'),
    schema: routeSchema(e.teamStrategies, { tags, summary: 'Each team’s assignment strategy for new tickets' }),
  }, async (request) => {
    const rows = await deps.db.selectFrom('teams').where('org_id', '=', requirePrincipal(request).orgId).select(['id', 'assignment_strategy']).orderBy('name').execute();
    return { teams: rows.map((t) => ({ id: t.id, strategy: t.assignment_strategy })) };
  });

  r.put(e.setTeamStrategy.url, {
    preHandler: requirePermission('teams.manage'),
    schema: routeSchema(e.setTeamStrategy, { tags, summary: 'Set a team’s assignment strategy: manual, round robin or least busy (audited)' }),
  }, async (request) => {
    const ctx = agent(request);
    await deps.db.transaction().execute(async (trx) => {
      const res = await trx.updateTable('teams').set({ assignment_strategy: request.body.strategy }).where('id', '=', request.params.id).where('org_id', '=', ctx.principal.orgId).executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw new AppError('not_found', 'No such team.');
      await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'team.strategy_change', object: { type: 'team', id: request.params.id }, result: 'success', details: { strategy: request.body.strategy } });
    });
    return ok;
  });

  r.get(e.away.url, {
    preHandler: requirePermission('tickets.take'),
    schema: routeSchema(e.away, { tags, summary: 'Whether you are marked away' }),
  }, async (request) => {
    const ctx = agent(request);
    const row = await deps.db.selectFrom('users').where('id', '=', ctx.principal.userId).where('org_id', '=', ctx.principal.orgId).select('away').executeTakeFirst();
    return { away: row?.away === true };
  });

  r.put(e.setAway.url, {
    preHandler: requirePermission('tickets.take'),
    schema: routeSchema(e.setAway, { tags, summary: 'Mark yourself away (assignment strategies skip you) or back' }),
  }, async (request) => {
    const ctx = agent(request);
    await deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ away: request.body.away }).where('id', '=', ctx.principal.userId).where('org_id', '=', ctx.principal.orgId).execute();
      await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'user.away_change', object: { type: 'user', id: ctx.principal.userId }, result: 'success', details: { away: request.body.away } });
    });
    return ok;
  });
}
