/** /api/routing-rules: assignment and team routing for new inbound tickets. Schemas: src/platform/http/schemas/routing.ts. */
import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { requirePermission, type Principal } from '../../identity/auth/access.js';
import { clientOf, requirePrincipal } from '../../identity/auth/auth.routes.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { AppError } from '../../platform/errors.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { routingEndpoints as e, RoutingRuleBody } from '../../platform/http/schemas/routing.js';
import './schema.js';

type RuleBody = Static<typeof RoutingRuleBody>;

/** Every referenced mailbox, team and person must belong to the caller's organisation. */
async function checkReferences(trx: Executor, p: Principal, b: RuleBody): Promise<void> {
  const owned = async (table: 'mailboxes' | 'teams' | 'users', id: string | null) =>
    !id || Boolean(await trx.selectFrom(table).where('id', '=', id).where('org_id', '=', p.orgId).select('id').executeTakeFirst());
  if (!(await owned('mailboxes', b.matchMailboxId))) throw new AppError('validation_failed', 'Unknown mailbox.');
  if (!(await owned('teams', b.setTeamId))) throw new AppError('validation_failed', 'Unknown team.');
  if (!(await owned('users', b.setAssigneeId))) throw new AppError('validation_failed', 'Unknown person.');
}

const toRow = (b: RuleBody) => ({
  name: b.name,
  position: b.position,
  enabled: b.enabled,
  match_mailbox_id: b.matchMailboxId,
  match_sender_domain: b.matchSenderDomain,
  match_subject_words: b.matchSubjectWords.map((w) => w.toLowerCase()),
  set_team_id: b.setTeamId,
  set_assignee_id: b.setAssigneeId,
  set_priority: b.setPriority,
  add_tags: b.addTags,
  assign_strategy: b.assignStrategy ?? null,
});

export async function routingRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['routing'];
  const db = () => app.services.database.db;
  const audit = async (trx: Executor, p: Principal, request: Parameters<typeof clientOf>[0], action: string, id: string) => {
    const c = clientOf(request);
    await app.services.audit.append(trx, { orgId: p.orgId, actor: { type: 'user', id: p.userId }, action, object: { type: 'routing_rule', id }, result: 'success', requestId: c.requestId, sourceIp: c.ip });
  };

  r.get(e.list.url, {
    preHandler: requirePermission('channels.manage'),
    schema: routeSchema(e.list, { tags, summary: 'Routing rules in the order they are tried' }),
  }, async (request) => {
    const rows = await db().selectFrom('routing_rules').where('org_id', '=', requirePrincipal(request).orgId).orderBy('position').orderBy('created_at').selectAll().execute();
    return {
      rules: rows.map((x) => ({
        id: x.id, name: x.name, position: x.position, enabled: x.enabled, matchMailboxId: x.match_mailbox_id, matchSenderDomain: x.match_sender_domain,
        matchSubjectWords: x.match_subject_words, setTeamId: x.set_team_id, setAssigneeId: x.set_assignee_id, setPriority: x.set_priority, addTags: x.add_tags, assignStrategy: x.assign_strategy,
      })),
    };
  });

  r.post(e.create.url, {
    preHandler: requirePermission('channels.manage'),
    schema: routeSchema(e.create, { tags, summary: 'Add a routing rule' }),
  }, async (request, reply) => {
    const p = requirePrincipal(request);
    const id = randomUUID();
    await db().transaction().execute(async (trx) => {
      await checkReferences(trx, p, request.body);
      await trx.insertInto('routing_rules').values({ id, org_id: p.orgId, ...toRow(request.body) }).execute();
      await audit(trx, p, request, 'routing_rule.create', id);
    });
    return reply.status(201).send({ id });
  });

  r.put(e.update.url, {
    preHandler: requirePermission('channels.manage'),
    schema: routeSchema(e.update, { tags, summary: 'Change a routing rule' }),
  }, async (request) => {
    const p = requirePrincipal(request);
    await db().transaction().execute(async (trx) => {
      await checkReferences(trx, p, request.body);
      const res = await trx.updateTable('routing_rules').set(toRow(request.body)).where('id', '=', request.params.id).where('org_id', '=', p.orgId).executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw new AppError('not_found', 'No such rule.');
      await audit(trx, p, request, 'routing_rule.update', request.params.id);
    });
    return { ok: true as const };
  });

  r.delete(e.remove.url, {
    preHandler: requirePermission('channels.manage'),
    schema: routeSchema(e.remove, { tags, summary: 'Delete a routing rule' }),
  }, async (request) => {
    const p = requirePrincipal(request);
    await db().transaction().execute(async (trx) => {
      const res = await trx.deleteFrom('routing_rules').where('id', '=', request.params.id).where('org_id', '=', p.orgId).executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) throw new AppError('not_found', 'No such rule.');
      await audit(trx, p, request, 'routing_rule.delete', request.params.id);
    });
    return { ok: true as const };
  });
}
