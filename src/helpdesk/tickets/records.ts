/**
 * Writing ticket and message rows inside a caller's transaction: the one place
 * that encrypts a subject, a body or a raw message and binds the ciphertext to
 * its row. Callers have already passed the text through the sensitive-data
 * stage; nothing here sees unredacted text.
 */
import { randomUUID } from 'node:crypto';
import type { Executor, KeyOwner } from '../../protection/crypto/keyring.js';
import { deriveReplyToken, hashMessageId, hashReplyToken } from '../mail/threading.js';
import type { HelpdeskDeps } from './context.js';
import type { DeliveryStatus, MessageKind, StoredRedaction, ThreatVerdict, TicketChannel, TicketPriority } from './schema.js';
import type { Reason } from '../../threats/phishing/index.js';
import { indexSearchText } from '../search/search-index.js';
import { applySlaToTicket } from '../sla/sla.service.js';
import { enqueueWebhookEvent } from '../../platform/webhooks/events.js';

export function keyOwnerFor(orgId: string, customerId: string | null): KeyOwner {
  return customerId ? { type: 'customer', id: customerId } : { type: 'organization', id: orgId };
}

export interface NewTicket {
  orgId: string;
  subject: string;
  channel: TicketChannel;
  requesterId: string | null;
  teamId?: string | null;
  assigneeId?: string | null;
  mailboxId?: string | null;
  tags?: string[];
  priority?: TicketPriority;
  /** History brought in from another helpdesk (src/helpdesk/import): no webhook events fire for it. */
  imported?: boolean;
}

export async function insertTicket(trx: Executor, deps: HelpdeskDeps, t: NewTicket): Promise<{ id: string; number: number }> {
  const id = randomUUID();
  const number = await allocateTicketNumber(trx, t.orgId);
  const subject_enc = await deps.keyring.encrypt(keyOwnerFor(t.orgId, t.requesterId), { table: 'tickets', column: 'subject_enc', rowId: id }, t.subject, trx);
  const row = await trx
    .insertInto('tickets')
    .values({
      id,
      org_id: t.orgId,
      number,
      subject_enc,
      channel: t.channel,
      requester_id: t.requesterId,
      team_id: t.teamId ?? null,
      assignee_id: t.assigneeId ?? null,
      mailbox_id: t.mailboxId ?? null,
      tags: normalizeTags(t.tags ?? []),
      priority: t.priority ?? 'normal',
      reply_token_hash: hashReplyToken(deriveReplyToken(deps.mailKeys, id)),
    })
    .returning(['id', 'number'])
    .executeTakeFirstOrThrow();
  await applySlaToTicket(trx, { orgId: t.orgId, ticketId: id, priority: t.priority ?? 'normal', openedAt: new Date() });
  // The subject is searchable by keyed tokens (message_id NULL marks a subject row).
  await indexSearchText(trx, deps.keyring, { orgId: t.orgId, ticketId: id, messageId: null, customerId: t.requesterId, text: t.subject });
  if (!t.imported) await enqueueWebhookEvent(trx, {
    orgId: t.orgId,
    type: 'ticket.created',
    data: { ticketId: id, number: Number(row.number), status: 'new', priority: t.priority ?? 'normal', channel: t.channel, teamId: t.teamId ?? null, assigneeId: t.assigneeId ?? null },
  });
  return { id: row.id, number: Number(row.number) };
}

/**
 * The organisation's next ticket number. The upsert holds the counter row's
 * lock until the caller's transaction ends, so concurrent tickets of one
 * organisation get distinct numbers and a rolled-back ticket gives its number
 * back; organisations never share a sequence (migration 0012).
 */
export async function allocateTicketNumber(trx: Executor, orgId: string): Promise<number> {
  const row = await trx
    .insertInto('ticket_counters')
    .values({ org_id: orgId, last_number: 1 })
    .onConflict((oc) => oc.column('org_id').doUpdateSet((eb) => ({ last_number: eb('ticket_counters.last_number', '+', 1) })))
    .returning('last_number')
    .executeTakeFirstOrThrow();
  return Number(row.last_number);
}

/** Tags are metadata, not customer data: lower-case words, bounded. */
export function normalizeTags(tags: readonly string[]): string[] {
  const out = new Set<string>();
  for (const t of tags) {
    const v = t.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, '-').replace(/[^\p{L}\p{N}_:.-]/gu, '').slice(0, 64);
    if (v) out.add(v);
    if (out.size >= 50) break;
  }
  return [...out];
}

export interface NewMessage {
  orgId: string;
  ticketId: string;
  kind: MessageKind;
  authorType: 'customer' | 'user' | 'system';
  authorUserId?: string | null;
  /** Whose key encrypts the message. */
  customerId: string | null;
  body: string;
  html?: string | null;
  raw?: Buffer | null;
  messageId?: string | null;
  autoSubmitted?: boolean;
  redactions?: StoredRedaction[];
  threat?: { score: number; verdict: ThreatVerdict; reasons: Reason[] } | null;
  deliveryStatus?: DeliveryStatus | null;
  id?: string;
  /** History brought in from another helpdesk: no webhook event fires for it. */
  imported?: boolean;
}

export async function insertMessage(trx: Executor, deps: HelpdeskDeps, m: NewMessage): Promise<{ id: string }> {
  const id = m.id ?? randomUUID();
  const owner = keyOwnerFor(m.orgId, m.customerId);
  const enc = (column: string, value: string | Uint8Array) => deps.keyring.encrypt(owner, { table: 'messages', column, rowId: id }, value, trx);
  await trx
    .insertInto('messages')
    .values({
      id,
      org_id: m.orgId,
      ticket_id: m.ticketId,
      kind: m.kind,
      author_type: m.authorType,
      author_user_id: m.authorUserId ?? null,
      customer_id: m.customerId,
      body_enc: await enc('body_enc', m.body),
      html_enc: m.html ? await enc('html_enc', m.html) : null,
      // The raw message is kept as base64 text: the keyring decrypts to strings.
      raw_enc: m.raw ? await enc('raw_enc', m.raw.toString('base64')) : null,
      raw_size: m.raw ? m.raw.length : null,
      message_id_hash: m.messageId ? hashMessageId(deps.mailKeys, m.orgId, m.messageId) : null,
      message_id_enc: m.messageId ? await enc('message_id_enc', m.messageId) : null,
      auto_submitted: m.autoSubmitted ?? false,
      redactions: JSON.stringify(m.redactions ?? []),
      threat_score: m.threat?.score ?? null,
      threat_verdict: m.threat?.verdict ?? null,
      threat_codes: m.threat ? [...new Set(m.threat.reasons.map((r) => r.code))] : [],
      threat_reasons_enc: m.threat && m.threat.reasons.length ? await enc('threat_reasons_enc', JSON.stringify(m.threat.reasons)) : null,
      delivery_status: m.deliveryStatus ?? null,
    })
    .execute();
  // Keyed tokens of the redacted body (words inside sensitive spans are skipped), in the same transaction.
  await indexSearchText(trx, deps.keyring, { orgId: m.orgId, ticketId: m.ticketId, messageId: id, customerId: m.customerId, text: m.body });
  if (!m.imported) await enqueueWebhookEvent(trx, { orgId: m.orgId, type: 'message.created', data: { ticketId: m.ticketId, messageId: id, kind: m.kind, authorType: m.authorType } });
  return { id };
}
