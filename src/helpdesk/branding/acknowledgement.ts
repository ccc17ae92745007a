/**
 * The automatic acknowledgement of a new request (decision 0159): per mailbox, off unless turned
 * on, queued in the transaction that creates the ticket, through the durable outbound queue
 * (threaded, Auto-Submitted: auto-replied), in the organisation's name. Never to machines (the
 * loop rules of src/helpdesk/mail/loops.ts), never to a message the phishing engine doubts, and
 * at most once per customer per ACK_QUIET_MINUTES, so two auto-responders cannot talk forever and
 * the public form cannot be used to flood an address.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { AppError } from '../../platform/errors.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { enqueueOutboundMail } from '../mail/outbound-queue.js';
import type { HelpdeskDeps } from '../tickets/context.js';
import { insertMessage } from '../tickets/records.js';
import { ACK_TEMPLATE_MAX, DEFAULT_ACK_TEMPLATE, renderAcknowledgement, unknownPlaceholders } from './brand.js';
import { brandName } from './branding.service.js';
import './schema.js';
import { customerAddress, type CustomerAddress } from '../../identity/organizations/hosts.js';

/** One acknowledgement per customer in this window, whatever mailbox or channel they write to. */
export const ACK_QUIET_MINUTES = 60;

/** The note the conversation keeps; the email's text (with the portal link) goes only to the queue. */
export const ACK_NOTE = 'Automatic acknowledgement sent to the requester.';

export type AckSkip = 'disabled' | 'no_mailbox' | 'auto_submitted' | 'suspicious' | 'recently_acknowledged' | 'no_address';

export interface AckInput {
  orgId: string;
  ticketId: string;
  mailboxId: string | null;
  customerId: string;
  /** detectAutoSubmitted's reason for the message, or null for a person's mail (a portal or form request is null). */
  autoSubmitted: string | null;
  /** The phishing verdict of the message, when it was analysed. */
  verdict: 'clean' | 'suspicious' | 'phishing' | null;
}

export interface AckSettings {
  mailboxId: string;
  enabled: boolean;
  template: string;
  isDefault: boolean;
}

export function portalLink(address: CustomerAddress): string {
  return `${address.baseUrl}/portal${address.orgQuery}`;
}

/**
 * Queues the acknowledgement for a ticket just created, in the caller's transaction, or says why not.
 * Called from the mail pipeline and the public request form.
 */
export async function queueAcknowledgement(trx: Executor, deps: HelpdeskDeps, input: AckInput): Promise<{ queued: true; outboundId: string } | { queued: false; reason: AckSkip }> {
  if (!input.mailboxId) return { queued: false, reason: 'no_mailbox' };
  const settings = await trx.selectFrom('mailbox_acknowledgements').where('mailbox_id', '=', input.mailboxId).where('org_id', '=', input.orgId).select(['enabled', 'template']).executeTakeFirst();
  if (!settings?.enabled) return { queued: false, reason: 'disabled' };
  if (input.autoSubmitted) return { queued: false, reason: 'auto_submitted' };
  if (input.verdict === 'suspicious' || input.verdict === 'phishing') return { queued: false, reason: 'suspicious' };
  // Serialises acknowledgements to one customer, so two messages arriving together cannot both pass the check.
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`ack:${input.customerId}`}, 0))`.execute(trx);
  const recent = await trx
    .selectFrom('outbound_mail')
    .where('customer_id', '=', input.customerId)
    .where('auto_reply', '=', true)
    .where('created_at', '>', new Date(Date.now() - ACK_QUIET_MINUTES * 60_000))
    .select('id')
    .limit(1)
    .executeTakeFirst();
  if (recent) return { queued: false, reason: 'recently_acknowledged' };
  const customer = await trx.selectFrom('customers').where('id', '=', input.customerId).select('email_enc').executeTakeFirst();
  if (!customer?.email_enc) return { queued: false, reason: 'no_address' };
  const ticket = await trx.selectFrom('tickets').where('id', '=', input.ticketId).select('number').executeTakeFirstOrThrow();
  const body = renderAcknowledgement(settings.template, { ticketNumber: Number(ticket.number), portalLink: portalLink(await customerAddress({ db: trx, publicUrl: deps.publicUrl ?? '' }, input.orgId)), organizationName: await brandName(trx, input.orgId) });
  const messageId = randomUUID();
  const smtpMessageId = `${randomUUID()}@${deps.messageIdHost}`;
  await insertMessage(trx, deps, { id: messageId, orgId: input.orgId, ticketId: input.ticketId, kind: 'public_reply', authorType: 'system', customerId: input.customerId, body: ACK_NOTE, messageId: smtpMessageId, deliveryStatus: 'queued' });
  // After the request in the conversation, though both were written in one transaction.
  await sql`UPDATE messages SET created_at = clock_timestamp() WHERE id = ${messageId}`.execute(trx);
  const outboundId = await enqueueOutboundMail(trx, deps, { orgId: input.orgId, ticketId: input.ticketId, messageId, customerId: input.customerId, smtpMessageId, body });
  await trx.updateTable('outbound_mail').set({ auto_reply: true }).where('id', '=', outboundId).execute();
  await deps.audit.append(trx, { orgId: input.orgId, actor: { type: 'system', id: 'acknowledgement' }, action: 'ticket.acknowledge', object: { type: 'ticket', id: input.ticketId }, subjectCustomerId: input.customerId, result: 'success', details: { mailboxId: input.mailboxId, outboundId } });
  return { queued: true, outboundId };
}

async function ownedMailbox(db: Executor, orgId: string, mailboxId: string): Promise<void> {
  const m = await db.selectFrom('mailboxes').where('id', '=', mailboxId).where('org_id', '=', orgId).select('id').executeTakeFirst();
  if (!m) throw new AppError('not_found', 'No such mailbox.');
}

export async function readAcknowledgement(db: Executor, orgId: string, mailboxId: string): Promise<AckSettings> {
  await ownedMailbox(db, orgId, mailboxId);
  const row = await db.selectFrom('mailbox_acknowledgements').where('mailbox_id', '=', mailboxId).select(['enabled', 'template']).executeTakeFirst();
  return row ? { mailboxId, enabled: row.enabled, template: row.template, isDefault: false } : { mailboxId, enabled: false, template: DEFAULT_ACK_TEMPLATE, isDefault: true };
}

export async function saveAcknowledgement(
  deps: Pick<HelpdeskDeps, 'db' | 'audit'>,
  actor: { orgId: string; userId: string; requestId: string; ip: string },
  input: { mailboxId: string; enabled: boolean; template: string },
): Promise<AckSettings> {
  const template = input.template.replace(/\r\n?/g, '\n').trim();
  if (!template || template.length > ACK_TEMPLATE_MAX) throw new AppError('validation_failed', 'Write the acknowledgement text.', { extra: { errors: [{ field: 'template', message: 'must not be empty' }] } });
  const unknown = unknownPlaceholders(template);
  if (unknown.length) {
    throw new AppError('validation_failed', `Unknown placeholder: ${unknown.map((u) => `{{${u.slice(0, 40)}}}`).join(', ')}.`, { extra: { errors: [{ field: 'template', message: 'unknown placeholder' }] } });
  }
  return deps.db.transaction().execute(async (trx) => {
    await ownedMailbox(trx, actor.orgId, input.mailboxId);
    await trx
      .insertInto('mailbox_acknowledgements')
      .values({ mailbox_id: input.mailboxId, org_id: actor.orgId, enabled: input.enabled, template, updated_at: new Date() })
      .onConflict((oc) => oc.column('mailbox_id').doUpdateSet({ enabled: input.enabled, template, updated_at: new Date() }))
      .execute();
    await deps.audit.append(trx, { orgId: actor.orgId, actor: { type: 'user', id: actor.userId }, action: 'mailbox.acknowledgement_change', object: { type: 'mailbox', id: input.mailboxId }, result: 'success', details: { enabled: input.enabled }, requestId: actor.requestId, sourceIp: actor.ip });
    return { mailboxId: input.mailboxId, enabled: input.enabled, template, isDefault: false };
  });
}
