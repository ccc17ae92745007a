/**
 * /api/mailboxes: the addresses the built-in SMTP server accepts mail for, and
 * the team each routes to. Mail to any other address is refused at RCPT.
 */
import { randomUUID } from 'node:crypto';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../auth/access.js';
import { clientOf, requirePrincipal } from '../auth/auth.routes.js';
import { AppError } from '../errors.js';

const Mailbox = Type.Object({ id: Type.String(), address: Type.String(), name: Type.String(), teamId: Type.Union([Type.String(), Type.Null()]) });

export async function mailboxRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['email channels'];
  const db = () => app.services.database.db;

  r.get('/api/mailboxes', { preHandler: requirePermission('tickets.read'), schema: { tags, summary: 'Inbound addresses and their teams', response: { 200: Type.Object({ mailboxes: Type.Array(Mailbox) }) } } }, async (request) => {
    const rows = await db().selectFrom('mailboxes').where('org_id', '=', requirePrincipal(request).orgId).orderBy('address').select(['id', 'address', 'name', 'team_id']).execute();
    return { mailboxes: rows.map((m) => ({ id: m.id, address: m.address, name: m.name, teamId: m.team_id })) };
  });

  r.post('/api/mailboxes', {
    preHandler: requirePermission('channels.manage'),
    schema: {
      tags, summary: 'Accept mail for an address and route it to a team',
      body: Type.Object({ address: Type.String({ format: 'email', maxLength: 254 }), name: Type.String({ minLength: 1, maxLength: 200 }), teamId: Type.Optional(Type.Union([Type.String({ format: 'uuid' }), Type.Null()])) }, { additionalProperties: false }),
      response: { 201: Type.Object({ id: Type.String() }) },
    },
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

  r.delete('/api/mailboxes/:id', {
    preHandler: requirePermission('channels.manage'),
    schema: { tags, summary: 'Stop accepting mail for an address (existing tickets stay)', params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 200: Type.Object({ ok: Type.Literal(true) }) } },
  }, async (request) => {
    const p = requirePrincipal(request);
    const client = clientOf(request);
    await db().transaction().execute(async (trx) => {
      const used = await trx.selectFrom('tickets').where('mailbox_id', '=', request.params.id).select('id').limit(1).executeTakeFirst();
      if (used) throw new AppError('conflict', 'Tickets came through this address; it cannot be deleted (rename it or route it elsewhere instead).');
      const r2 = await trx.deleteFrom('mailboxes').where('id', '=', request.params.id).where('org_id', '=', p.orgId).executeTakeFirst();
      if (Number(r2.numDeletedRows) === 0) throw new AppError('not_found', 'No such mailbox.');
      await app.services.audit.append(trx, { orgId: p.orgId, actor: { type: 'user', id: p.userId }, action: 'mailbox.delete', object: { type: 'mailbox', id: request.params.id }, result: 'success', requestId: client.requestId, sourceIp: client.ip });
    });
    return { ok: true as const };
  });
}
