/**
 * /api/organization/dlp-policy: the organisation's sensitive-data policy;
 * /api/tickets/:id/replies/check: what the reply composer warns about before sending.
 */
import { writeOrgSetting } from '../../identity/organization/settings.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { clientOf, requirePrincipal } from '../../identity/auth/auth.routes.js';
import { SENSITIVE_TYPES } from '../dlp/index.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { dlpPolicyEndpoints as e } from '../../platform/http/schemas/dlp-policy.js';
import { loadTicketForAction } from '../../helpdesk/tickets/tickets.service.js';
import { draftCheck, forgetOrgDlp, loadOrgDlp, parseOrgDlpSettings } from './org-policy.js';

export async function dlpPolicyRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['sensitive data'];
  const db = () => app.services.database.db;

  r.get(e.read.url, {
    preHandler: requirePermission('tickets.read'),
    schema: routeSchema(e.read, { tags, summary: 'The sensitive-data policy: settings and the effective action per type' }),
  }, async (request) => {
    const dlp = await loadOrgDlp(db(), requirePrincipal(request).orgId);
    const effective = Object.fromEntries(SENSITIVE_TYPES.map((t) => [t, dlp.policy.actions[t] ?? 'flag']));
    return { settings: { actions: dlp.settings.actions as Record<string, 'redact' | 'flag' | 'ignore'>, cardRedaction: dlp.settings.cardRedaction, replyMode: dlp.settings.replyMode }, effective, types: [...SENSITIVE_TYPES] };
  });

  r.put(e.update.url, {
    preHandler: requirePermission('policies.manage'),
    schema: routeSchema(e.update, { tags, summary: 'Change the policy (card numbers and security codes are always redacted)' }),
  }, async (request) => {
    const p = requirePrincipal(request);
    const settings = parseOrgDlpSettings(request.body);
    const client = clientOf(request);
    await db().transaction().execute(async (trx) => {
      await writeOrgSetting(trx, p.orgId, 'dlp', settings);
      await app.services.audit.append(trx, { orgId: p.orgId, actor: { type: 'user', id: p.userId }, action: 'policy.dlp_change', object: { type: 'organization', id: p.orgId }, result: 'success', details: { ...settings }, requestId: client.requestId, sourceIp: client.ip });
    });
    forgetOrgDlp(db(), p.orgId);
    return { ok: true as const };
  });

  r.post(e.checkReply.url, {
    preHandler: requirePermission('tickets.write'),
    schema: routeSchema(e.checkReply, { tags, summary: 'What a draft reply would carry out: sensitive types, whether it goes by plain email, and the organisation’s rule' }),
  }, async (request) => {
    const p = requirePrincipal(request);
    const ticket = await db().transaction().execute((trx) => loadTicketForAction(trx, { principal: p }, request.params.id, 'tickets.write'));
    const dlp = await loadOrgDlp(db(), p.orgId);
    const check = draftCheck(request.body.body, dlp.policy);
    const byPlainEmail = ticket.channel === 'email' && ticket.requester_id !== null;
    return { ...check, byPlainEmail, replyMode: dlp.replyMode, suggestSecureMessage: (byPlainEmail && check.sensitiveTypes.length > 0) || check.secureMessage.carries.some((t) => check.removedTypes.includes(t)) };
  });
}
