/**
 * /api/mailboxes: the addresses the built-in SMTP server accepts mail for, and
 * the team each routes to. Mail to any other address is refused at RCPT.
 * Schemas: src/platform/http/schemas/mailboxes.ts.
 */
import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { clientOf, requirePrincipal } from '../../identity/auth/auth.routes.js';
import { AppError } from '../../platform/errors.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { mailboxEndpoints as e } from '../../platform/http/schemas/mailboxes.js';

export async function mailboxRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['email channels'];
  const db = () => app.services.database.db;

  r.get(e.list.url, { preHandler: requirePermission('tickets.read'), schema: routeSchema(e.list, { tags, summary: 'Inbound addresses and their teams' }) }, async (request) => {
    const rows = await db().selectFrom('mailboxes').where('org_id', '=', requirePrincipal(request).orgId).orderBy('address').select(['id', 'address', 'name', 'team_id']).execute();
    return { mailboxes: rows.map((m) => ({ id: m.id, address: m.address, name: m.name, teamId: m.team_id })) };
  });

  r.post(e.create.url, {
    preHandler: requirePermission('channels.manage'),
    schema: routeSchema(e.create, { tags, summary: 'Accept mail for an address and route it to a team' }),
  }, async (request, reply) => {
    const p = requirePrincipal(request);
    const client = clientOf(request);
    const address = request.body.address.trim().toLowerCase();
    const id = randomUUID();
    await db().transaction().execute(async (trx) => {
      if (request.body.teamId) {
        const team = await trx.selectFrom('teams').where('id', '=', request.body.teamId).where('org_id', '=', p.orgId).select('id').executeTakeFirst();
        if (!team) throw new AppError('validation_failed', 'Unknown team.');
      }
      const clash = await trx.selectFrom('mailboxes').where('address', '=', address).select('id').executeTakeFirst();
      if (clash) throw new AppError('conflict', 'This address is already in use.');
      await trx.insertInto('mailboxes').values({ id, org_id: p.orgId, address, name: request.body.name, team_id: request.body.teamId ?? null }).execute();
      await app.services.audit.append(trx, { orgId: p.orgId, actor: { type: 'user', id: p.userId }, action: 'mailbox.create', object: { type: 'mailbox', id }, result: 'success', details: { teamId: request.body.teamId ?? null }, requestId: client.requestId, sourceIp: client.ip });
    });
    return reply.status(201).send({ id });
  });

  r.delete(e.remove.url, {
    preHandler: requirePermission('channels.manage'),
    schema: routeSchema(e.remove, { tags, summary: 'Stop accepting mail for an address (existing tickets stay)' }),
  }, async (request) => {
    const p = requirePrincipal(request);
    const client = clientOf(request);
    await db().transaction().execute(async (trx) => {
      // Ownership first: another organisation's mailbox is "not found", never "in use".
      const owned = await trx.selectFrom('mailboxes').where('id', '=', request.params.id).where('org_id', '=', p.orgId).select('id').executeTakeFirst();
      if (!owned) throw new AppError('not_found', 'No such mailbox.');
      const used = await trx.selectFrom('tickets').where('mailbox_id', '=', owned.id).select('id').limit(1).executeTakeFirst();
      if (used) throw new AppError('conflict', 'Tickets came through this address; it cannot be deleted (rename it or route it elsewhere instead).');
      const held = await trx.selectFrom('quarantine').where('mailbox_id', '=', owned.id).select('id').limit(1).executeTakeFirst();
      if (held) throw new AppError('conflict', 'Quarantined messages came through this address; it cannot be deleted while they are kept.');
      await trx.deleteFrom('mailboxes').where('id', '=', owned.id).where('org_id', '=', p.orgId).execute();
      await app.services.audit.append(trx, { orgId: p.orgId, actor: { type: 'user', id: p.userId }, action: 'mailbox.delete', object: { type: 'mailbox', id: request.params.id }, result: 'success', requestId: client.requestId, sourceIp: client.ip });
    });
    return { ok: true as const };
  });
}
