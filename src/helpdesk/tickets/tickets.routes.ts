/**
 * /api/tickets: list (views), counts, new ticket, read, edit, reply, note,
 * assignees, assign, status. Thin handlers: schema (src/platform/http/schemas/tickets.ts) →
 * permission guard → one service call (which does the object-level check and
 * the audit) → response schema. Register with `ticketRoutes`. Files and the
 * email HTML are in ticket-files.routes.ts.
 */
import { recordTicketViewed } from '../../threats/simulations/campaigns.service.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { abilities, requirePermission } from '../../identity/auth/access.js';
import { AppError } from '../../platform/errors.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { ticketEndpoints as e } from '../../platform/http/schemas/tickets.js';
import { createHelpdeskDeps, type AgentContext } from './context.js';
import { addInternalNote, assignTicket, changeTicketStatus, listAssignees, replyToTicket } from './ticket-actions.js';
import { countTickets, createAgentTicket, updateTicket } from './ticket-edit.js';
import { listTickets, readTicket, staffNames } from './tickets.service.js';

const tags = ['tickets'];

function agent(request: FastifyRequest): AgentContext {
  if (!request.principal) throw new AppError('unauthenticated', 'Sign in to continue.');
  return { principal: request.principal, requestId: String(request.id), sourceIp: request.ip };
}

export async function ticketRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = await createHelpdeskDeps(app.services);

  r.get(e.list.url, {
    preHandler: requirePermission('tickets.read'),
    schema: routeSchema(e.list, { tags, summary: 'Tickets you may see, newest activity first' }),
  }, async (request) => {
    const q = request.query;
    const ctx = agent(request);
    const items = await listTickets(deps, ctx, { ...(q.view ? { view: q.view } : {}), ...(q.status ? { status: q.status } : {}), ...(q.tag ? { tag: q.tag } : {}), ...(q.limit ? { limit: q.limit } : {}) });
    return { items, staff: await staffNames(deps.db, ctx.principal.orgId, items.map((t) => t.assigneeId)) };
  });

  r.get(e.counts.url, {
    preHandler: requirePermission('tickets.read'),
    schema: routeSchema(e.counts, { tags, summary: 'Open tickets per view (mine, my team, unassigned, SLA breaching) among those you may see' }),
  }, async (request) => countTickets(deps, agent(request)));

  r.post(e.create.url, {
    preHandler: requirePermission('tickets.write'),
    schema: routeSchema(e.create, { tags, summary: 'Open a ticket for an existing customer or an email address (later replies go by email)' }),
  }, async (request, reply) => {
    const b = request.body;
    const created = await createAgentTicket(deps, agent(request), {
      subject: b.subject,
      body: b.body,
      ...(b.requesterId ? { requesterId: b.requesterId } : {}),
      ...(b.email ? { email: b.email } : {}),
      ...(b.name ? { name: b.name } : {}),
      ...(b.priority ? { priority: b.priority } : {}),
      ...(b.teamId !== undefined ? { teamId: b.teamId } : {}),
      ...(b.tags ? { tags: b.tags } : {}),
    });
    return reply.code(201).send(created);
  });

  r.get(e.read.url, {
    preHandler: requirePermission('tickets.read'),
    schema: routeSchema(e.read, { tags, summary: 'A ticket and its conversation (the read is audited)' }),
  }, async (request) => {
    const ctx = agent(request);
    const t = await readTicket(deps, ctx, { ticketId: request.params.id });
    // A phishing simulation counts its target's first view as "opened" (decision 0192); best effort, nothing shown.
    await recordTicketViewed(deps.db, { orgId: ctx.principal.orgId, ticketId: t.id, userId: ctx.principal.userId }).catch((err: unknown) => request.log.warn({ err }, 'simulation view not recorded'));
    return { ...t, abilities: abilities(ctx.principal, ['tickets.write', 'tickets.assign', 'tickets.take', 'tickets.bulk', 'customers.reveal'], { orgId: ctx.principal.orgId, teamId: t.teamId, assigneeId: t.assigneeId }) };
  });

  r.patch(e.update.url, {
    preHandler: requirePermission('tickets.write'),
    schema: routeSchema(e.update, { tags, summary: 'Change priority, tags or team (moving to another team also needs tickets.assign); audited' }),
  }, async (request) => {
    const b = request.body;
    return updateTicket(deps, agent(request), { ticketId: request.params.id, ...(b.priority ? { priority: b.priority } : {}), ...(b.tags ? { tags: b.tags } : {}), ...(b.teamId !== undefined ? { teamId: b.teamId } : {}) });
  });

  r.post(e.reply.url, {
    preHandler: requirePermission('tickets.write'),
    schema: routeSchema(e.reply, {
      tags,
      summary: 'Public reply (emailed on email tickets); sensitive data is redacted before storage, and by plain email needs acknowledgeSensitive (409 otherwise, or always when the organisation blocks it); attachmentIds are files uploaded to this ticket',
    }),
  }, async (request, reply) => {
    const res = await replyToTicket(deps, agent(request), {
      ticketId: request.params.id,
      body: request.body.body,
      ...(request.body.html !== undefined ? { html: request.body.html } : {}),
      acknowledgeSensitive: request.body.acknowledgeSensitive ?? false,
      ...(request.body.status ? { status: request.body.status } : {}),
      ...(request.body.attachmentIds ? { attachmentIds: request.body.attachmentIds } : {}),
    });
    return reply.code(201).send({ messageId: res.messageId, queued: res.outboundId !== null, redactions: res.redactions });
  });

  r.post(e.note.url, {
    preHandler: requirePermission('tickets.write'),
    schema: routeSchema(e.note, { tags, summary: 'Internal note (never sent to the customer); attachmentIds are files uploaded to this ticket' }),
  }, async (request, reply) => {
    const res = await addInternalNote(deps, agent(request), { ticketId: request.params.id, body: request.body.body, ...(request.body.html !== undefined ? { html: request.body.html } : {}), ...(request.body.attachmentIds ? { attachmentIds: request.body.attachmentIds } : {}) });
    return reply.code(201).send(res);
  });

  r.get(e.assignees.url, {
    preHandler: requirePermission('tickets.assign'),
    schema: routeSchema(e.assignees, { tags, summary: 'People this ticket can be assigned to: active members of its team whose roles work tickets' }),
  }, async (request) => ({ items: await listAssignees(deps, agent(request), { ticketId: request.params.id }) }));

  r.post(e.assign.url, {
    preHandler: requirePermission('tickets.assign'),
    schema: routeSchema(e.assign, { tags, summary: 'Assign to a person and/or team (null clears)' }),
  }, async (request) => {
    await assignTicket(deps, agent(request), { ticketId: request.params.id, ...request.body });
    return { ok: true as const };
  });

  r.post(e.status.url, {
    preHandler: requirePermission('tickets.write'),
    schema: routeSchema(e.status, { tags, summary: 'Change status' }),
  }, async (request) => {
    await changeTicketStatus(deps, agent(request), { ticketId: request.params.id, status: request.body.status });
    return { ok: true as const };
  });
}
