/**
 * /api/account/signature, /api/mailboxes/:id/signature, /api/tickets/:id/signature: read and save signatures,
 * and the preview the composer shows under a reply. Changes are audited (who changed which signature; never the
 * text). Schemas: src/platform/http/schemas/signatures.ts.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { clientOf, requirePrincipal } from '../../identity/auth/auth.routes.js';
import { AppError } from '../../platform/errors.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { signatureEndpoints as e } from '../../platform/http/schemas/signatures.js';
import { loadTicketForAction } from '../tickets/tickets.service.js';
import { cleanSignature, loadReplySignature } from './signatures.js';

export async function signatureRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['signatures'];
  const db = () => app.services.database.db;

  r.get(e.mine.url, { preHandler: requirePermission('tickets.write'), schema: routeSchema(e.mine, { tags, summary: 'Your own signature (placeholders kept)' }) }, async (request) => {
    const p = requirePrincipal(request);
    const row = await db().selectFrom('users').where('id', '=', p.userId).where('org_id', '=', p.orgId).select('signature_html').executeTakeFirst();
    return { html: row?.signature_html ?? '' };
  });

  r.put(e.saveMine.url, { preHandler: requirePermission('tickets.write'), schema: routeSchema(e.saveMine, { tags, summary: 'Set your signature (sanitised, sensitive data removed); empty removes it' }) }, async (request) => {
    const p = requirePrincipal(request);
    const client = clientOf(request);
    return db().transaction().execute(async (trx) => {
      const html = await cleanSignature(trx, p.orgId, request.body.html);
      await trx.updateTable('users').set({ signature_html: html || null }).where('id', '=', p.userId).where('org_id', '=', p.orgId).execute();
      await app.services.audit.append(trx, { orgId: p.orgId, actor: { type: 'user', id: p.userId }, action: 'signature.update', object: { type: 'user', id: p.userId }, result: 'success', details: { removed: html === '' }, requestId: client.requestId, sourceIp: client.ip });
      return { html };
    });
  });

  r.get(e.mailbox.url, { preHandler: requirePermission('channels.manage'), schema: routeSchema(e.mailbox, { tags, summary: 'A mailbox’s signature (placeholders kept)' }) }, async (request) => {
    const p = requirePrincipal(request);
    const row = await db().selectFrom('mailboxes').where('id', '=', request.params.id).where('org_id', '=', p.orgId).select('signature_html').executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such mailbox.');
    return { html: row.signature_html ?? '' };
  });

  r.put(e.saveMailbox.url, { preHandler: requirePermission('channels.manage'), schema: routeSchema(e.saveMailbox, { tags, summary: 'Set a mailbox’s signature, added after the person’s to every emailed reply; empty removes it' }) }, async (request) => {
    const p = requirePrincipal(request);
    const client = clientOf(request);
    return db().transaction().execute(async (trx) => {
      const owned = await trx.selectFrom('mailboxes').where('id', '=', request.params.id).where('org_id', '=', p.orgId).select('id').forUpdate().executeTakeFirst();
      if (!owned) throw new AppError('not_found', 'No such mailbox.');
      const html = await cleanSignature(trx, p.orgId, request.body.html);
      await trx.updateTable('mailboxes').set({ signature_html: html || null }).where('id', '=', owned.id).where('org_id', '=', p.orgId).execute();
      await app.services.audit.append(trx, { orgId: p.orgId, actor: { type: 'user', id: p.userId }, action: 'signature.update', object: { type: 'mailbox', id: owned.id }, result: 'success', details: { removed: html === '' }, requestId: client.requestId, sourceIp: client.ip });
      return { html };
    });
  });

  r.get(e.forTicket.url, { preHandler: requirePermission('tickets.write'), schema: routeSchema(e.forTicket, { tags, summary: 'The signature a reply on this ticket would carry (only replies sent by email carry one)' }) }, async (request) => {
    const p = requirePrincipal(request);
    return db().transaction().execute(async (trx) => {
      const t = await loadTicketForAction(trx, { principal: p }, request.params.id, 'tickets.write');
      if (t.channel !== 'email' || t.requester_id === null) return { html: null, text: null };
      const sig = await loadReplySignature(trx, { orgId: p.orgId, userId: p.userId, mailboxId: t.mailbox_id });
      return sig ? { html: sig.html, text: sig.text } : { html: null, text: null };
    });
  });
}
