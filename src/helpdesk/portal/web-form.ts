/**
 * The public new-request form. Bot resistance without a third party
 * (decision 0073): a honeypot field people never see, and a fill-time token
 * (HMAC-signed issue time) that must be at least a few seconds and at most a
 * couple of hours old. A tripped check answers exactly like success and stores
 * nothing but a PII-free audit record, so a bot learns nothing to adapt to.
 * Accepted requests pass the same DLP stage as email before storage.
 */
import { countInbound, takeInbound } from '../../identity/organizations/limits.js';
import { assertOrganizationOpen } from '../../identity/organizations/status.js';
import { queueAcknowledgement } from '../branding/acknowledgement.js';
import { findOrCreateSender } from '../ingest/sender.js';
import { scanSensitiveData } from '../ingest/scan.js';
import { AppError } from '../../platform/errors.js';
import { insertMessage, insertTicket } from '../tickets/records.js';
import { pickAssignee } from '../routing/strategies.js';
import { notifyCustomerMessage } from '../notifications/notify.js';
import type { ClientInfo, PortalDeps } from './deps.js';
import { checkFormToken, signFormToken } from './keys.js';
import { loadOrgDlp } from '../../protection/dlp-policy/org-policy.js';

export interface WebRequestInput {
  orgId: string;
  name: string;
  email: string;
  subject: string;
  body: string;
  /** The honeypot: hidden from people, filled in by naive bots. */
  website?: string;
  formToken: string;
}

export function issueFormToken(deps: PortalDeps, orgId: string, now = Date.now()): string {
  return signFormToken(deps.keys, { orgId, issuedAt: now });
}

/** Always the same answer for a stored and a discarded request. */
export interface WebRequestReceipt {
  received: true;
}

export async function submitWebRequest(deps: PortalDeps, client: ClientInfo, input: WebRequestInput, now = Date.now()): Promise<WebRequestReceipt & { ticketId: string | null }> {
  await assertOrganizationOpen(deps.db, input.orgId);
  const token = checkFormToken(deps.keys, input.formToken, { orgId: input.orgId, now, minFillMs: deps.policy.minFillMs, maxAgeMs: deps.policy.maxFormAgeMs });
  // A forged or stale token is a person with an old page as often as a bot: tell them to reload.
  if (!token.ok && token.reason !== 'too_fast') throw new AppError('validation_failed', 'This form has expired; reload the page and send it again.');
  const botReason = input.website && input.website.trim() !== '' ? 'honeypot' : !token.ok ? 'too_fast' : null;
  const anon = { orgId: input.orgId, actor: { type: 'anonymous' as const }, requestId: client.requestId, sourceIp: client.ip };
  if (botReason) {
    await deps.audit.record({ ...anon, action: 'portal.request.discard', result: 'denied', details: { reason: botReason } });
    return { received: true, ticketId: null };
  }
  const { policy } = await loadOrgDlp(deps.db, input.orgId);
  const scan = scanSensitiveData({ subject: input.subject, body: input.body }, policy);
  const name = scanSensitiveData({ body: input.name }, policy).body;
  const mailbox = await deps.db.selectFrom('mailboxes').where('org_id', '=', input.orgId).select(['id', 'team_id']).orderBy('created_at').executeTakeFirst();
  const stored = await deps.db.transaction().execute(async (trx) => {
    // Counts against the organisation's inbound messages per day; over it, refused (403 limit_reached), nothing stored.
    const counted = await takeInbound(trx, input.orgId);
    const sender = await findOrCreateSender(trx, deps, { orgId: input.orgId, address: input.email, name });
    // The team's assignment strategy (round robin, least busy) may hand it to a member straight away.
    const assigneeId = mailbox?.team_id ? await pickAssignee(trx, input.orgId, mailbox.team_id) : null;
    const t = await insertTicket(trx, deps, { orgId: input.orgId, subject: scan.subject || '(no subject)', channel: 'web', requesterId: sender.id, teamId: mailbox?.team_id ?? null, mailboxId: mailbox?.id ?? null, assigneeId });
    await insertMessage(trx, deps, { orgId: input.orgId, ticketId: t.id, kind: 'public_reply', authorType: 'customer', customerId: sender.id, body: scan.body, redactions: scan.redactions });
    await queueAcknowledgement(trx, deps, { orgId: input.orgId, ticketId: t.id, mailboxId: mailbox?.id ?? null, customerId: sender.id, autoSubmitted: null, verdict: null });
    await deps.audit.append(trx, { ...anon, action: 'ticket.create', object: { type: 'ticket', id: t.id }, subjectCustomerId: sender.id, result: 'success', details: { channel: 'web', redactions: scan.redactions.length } });
    await notifyCustomerMessage(trx, { orgId: input.orgId, ticketId: t.id, newTicket: true });
    return { id: t.id, counted };
  });
  // Without a limit, counted once stored (usage is known if one is set later); never fatal.
  if (!stored.counted) await countInbound(deps.db, input.orgId).catch(() => undefined);
  const ticketId = stored.id;
  return { received: true, ticketId };
}
