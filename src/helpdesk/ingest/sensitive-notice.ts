/**
 * The one-time notice to a customer who wrote sensitive data by email (decision 0214): when the ingest
 * pipeline removed something from a person's message (a card number, a password, a security code…), and a
 * public policy is in force, the customer is told once — never again for later messages — that email is not
 * the way, what is, and where the policy is. Queued in the transaction that stores the message, through the
 * outbound queue (threaded, Auto-Submitted), in the organisation's name. Never to machines or doubtful mail.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Executor } from '../../protection/crypto/keyring.js';
import { customerAddress } from '../../identity/organizations/hosts.js';
import { claimSensitiveNotice, composeSensitiveNotice, publicPolicyUrl, SENSITIVE_NOTICE_NOTE } from '../../identity/policies/public.service.js';
import { enqueueOutboundMail } from '../mail/outbound-queue.js';
import type { HelpdeskDeps } from '../tickets/context.js';
import { insertMessage } from '../tickets/records.js';
import { brandName } from '../branding/branding.service.js';

export interface SensitiveNoticeInput {
  orgId: string;
  ticketId: string;
  customerId: string;
  /** Types the policy removed from the message (redact actions only; flagged data is ordinary). */
  removedTypes: readonly string[];
  autoSubmitted: boolean;
  verdict: 'clean' | 'suspicious' | 'phishing' | null;
}

export async function queueSensitiveNotice(trx: Executor, deps: HelpdeskDeps, input: SensitiveNoticeInput): Promise<string | null> {
  if (!input.removedTypes.length || input.autoSubmitted || input.verdict === 'suspicious' || input.verdict === 'phishing') return null;
  const customer = await trx.selectFrom('customers').where('id', '=', input.customerId).select('email_enc').executeTakeFirst();
  if (!customer?.email_enc) return null;
  if (!(await claimSensitiveNotice(trx, input.orgId, input.customerId))) return null;
  const body = composeSensitiveNotice({ brand: await brandName(trx, input.orgId), policyUrl: publicPolicyUrl(await customerAddress({ db: trx, publicUrl: deps.publicUrl }, input.orgId)) });
  const messageId = randomUUID();
  const smtpMessageId = `${randomUUID()}@${deps.messageIdHost}`;
  await insertMessage(trx, deps, { id: messageId, orgId: input.orgId, ticketId: input.ticketId, kind: 'public_reply', authorType: 'system', customerId: input.customerId, body: SENSITIVE_NOTICE_NOTE, messageId: smtpMessageId, deliveryStatus: 'queued' });
  await sql`UPDATE messages SET created_at = clock_timestamp() WHERE id = ${messageId}`.execute(trx);
  const outboundId = await enqueueOutboundMail(trx, deps, { orgId: input.orgId, ticketId: input.ticketId, messageId, customerId: input.customerId, smtpMessageId, body });
  await trx.updateTable('outbound_mail').set({ auto_reply: true }).where('id', '=', outboundId).execute();
  await deps.audit.append(trx, { orgId: input.orgId, actor: { type: 'system', id: 'policy-notice' }, action: 'customer.sensitive_notice', object: { type: 'ticket', id: input.ticketId }, subjectCustomerId: input.customerId, result: 'success', details: { types: [...input.removedTypes], outboundId } });
  return outboundId;
}
