/**
 * The customer's own tickets: list, read (public messages only — internal
 * notes never leave this query), reply and attach files. Ownership is the
 * ticket's requester; anything else is "not found". Every read of message
 * bodies is audited in its transaction, and reading a secure message also
 * counts as that secure message's read.
 */
import { requireCustomerSecondFactor } from './mfa-policy.js';
import { randomUUID } from 'node:crypto';
import { AppError } from '../../platform/errors.js';
import { openAttachment } from '../../protection/blobs/attachments.js';
import { storeAttachments } from '../ingest/attachments.js';
import { redactText, scanSensitiveData } from '../ingest/scan.js';
import { scanUpload } from '../ingest/attachments.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { insertMessage } from '../tickets/records.js';
import { notifyCustomerMessage } from '../notifications/notify.js';
import type { StoredRedaction, TicketStatus } from '../tickets/schema.js';
import { PORTAL_ATTACH_WINDOW_MINUTES, PORTAL_MAX_FILES_PER_MESSAGE } from '../../platform/http/schemas/portal.js';
import type { PortalDeps } from './deps.js';
import { customerActor, type PortalCustomer } from './sessions.js';
import { loadOrgDlp } from '../../protection/dlp-policy/org-policy.js';
import { decryptOrNull } from '../tickets/tickets.service.js';

export interface PortalTicketSummary {
  id: string;
  number: number;
  subject: string | null;
  status: TicketStatus;
  createdAt: string;
  lastMessageAt: string;
}

export interface PortalMessage {
  id: string;
  from: 'you' | 'support';
  body: string | null;
  secure: boolean;
  attachments: Array<{ id: string; filename: string | null; size: number; type: string; dangerous: boolean }>;
  createdAt: string;
}

const MAX_BODY_CHARS = 50_000;

const iso = (d: Date | string) => new Date(d).toISOString();

export async function listMyTickets(deps: PortalDeps, customer: PortalCustomer, input: { limit?: number } = {}): Promise<PortalTicketSummary[]> {
  const rows = await deps.db
    .selectFrom('tickets')
    .where('org_id', '=', customer.orgId)
    .where('requester_id', '=', customer.customerId)
    .select(['id', 'number', 'subject_enc', 'status', 'created_at', 'last_message_at'])
    .orderBy('last_message_at', 'desc')
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(input.limit ?? 50, 1), 100))
    .execute();
  const out: PortalTicketSummary[] = [];
  for (const r of rows) {
    out.push({ id: r.id, number: Number(r.number), subject: await decryptOrNull(deps, { table: 'tickets', column: 'subject_enc', rowId: r.id }, r.subject_enc), status: r.status, createdAt: iso(r.created_at), lastMessageAt: iso(r.last_message_at) });
  }
  // Subjects are the customer's data: the list is a recorded read, like the staff ticket list.
  await deps.audit.record({ ...customerActor(customer), action: 'portal.ticket.list', subjectCustomerId: customer.customerId, result: 'success', details: { count: rows.length, ticketIds: rows.map((r) => r.id) } });
  return out;
}

/** The requester's ticket or `not_found` (another customer's ticket looks exactly like a missing one). */
async function loadOwnTicket(exec: Executor, customer: PortalCustomer, ticketId: string, lock = false) {
  let q = exec
    .selectFrom('tickets')
    .where('id', '=', ticketId)
    .where('org_id', '=', customer.orgId)
    .where('requester_id', '=', customer.customerId)
    .select(['id', 'number', 'subject_enc', 'status', 'created_at', 'last_message_at', 'requester_id']);
  if (lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such request.');
  return row;
}

export async function readMyTicket(deps: PortalDeps, customer: PortalCustomer, input: { ticketId: string }): Promise<PortalTicketSummary & { messages: PortalMessage[] }> {
  return deps.db.transaction().execute(async (trx) => {
    const t = await loadOwnTicket(trx, customer, input.ticketId);
    // Public messages only: the kind filter is in SQL so a note is never even decrypted here.
    // A secure message's email notice is left out too: it only points at the message shown
    // right there, and its link (a bearer token until used) has no business on a page.
    const messages = await trx
      .selectFrom('messages')
      .where('ticket_id', '=', t.id)
      .where('kind', '<>', 'internal_note')
      .where((eb) => eb.not(eb.exists(eb.selectFrom('secure_messages as n').select('n.id').whereRef('n.notice_message_id', '=', 'messages.id'))))
      .select(['id', 'author_type', 'body_enc', 'created_at'])
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    const ids = messages.map((m) => m.id);
    const secure = ids.length ? await trx.selectFrom('secure_messages').where('message_id', 'in', ids).select(['id', 'message_id']).execute() : [];
    // A conversation holding a secure message reads it: the organisation's second-factor requirement applies (decision 0220).
    if (secure.length > 0) await requireCustomerSecondFactor(trx, customer, 'sensitive');
    const attachments = ids.length
      ? await trx.selectFrom('attachments').where('message_id', 'in', ids).where('status', '=', 'stored').select(['id', 'message_id', 'filename_enc', 'size', 'sniffed_type', 'dangerous']).execute()
      : [];
    await deps.audit.append(trx, { ...customerActor(customer), action: 'portal.ticket.read', object: { type: 'ticket', id: t.id }, subjectCustomerId: customer.customerId, result: 'success', details: { messages: ids.length } });
    for (const s of secure) {
      await trx.updateTable('secure_messages').set((eb) => ({ read_count: eb('read_count', '+', 1), first_read_at: eb.fn.coalesce('first_read_at', eb.val(new Date())) })).where('id', '=', s.id).execute();
      await deps.audit.append(trx, { ...customerActor(customer), action: 'secure_message.read', object: { type: 'secure_message', id: s.id }, subjectCustomerId: customer.customerId, result: 'success', details: { ticketId: t.id, via: 'ticket' } });
    }
    const secureIds = new Set(secure.map((s) => s.message_id));
    const out: PortalMessage[] = [];
    for (const m of messages) {
      const files: PortalMessage['attachments'] = [];
      for (const a of attachments.filter((x) => x.message_id === m.id)) {
        files.push({ id: a.id, filename: await decryptOrNull(deps, { table: 'attachments', column: 'filename_enc', rowId: a.id }, a.filename_enc, trx), size: Number(a.size), type: a.sniffed_type, dangerous: a.dangerous });
      }
      out.push({
        id: m.id,
        from: m.author_type === 'customer' ? 'you' : 'support',
        body: await decryptOrNull(deps, { table: 'messages', column: 'body_enc', rowId: m.id }, m.body_enc, trx),
        secure: secureIds.has(m.id),
        attachments: files,
        createdAt: iso(m.created_at),
      });
    }
    return {
      id: t.id,
      number: Number(t.number),
      subject: await decryptOrNull(deps, { table: 'tickets', column: 'subject_enc', rowId: t.id }, t.subject_enc, trx),
      status: t.status,
      createdAt: iso(t.created_at),
      lastMessageAt: iso(t.last_message_at),
      messages: out,
    };
  });
}

/** A customer's answer reopens a waiting ticket; a closed one stays closed. */
function reopened(status: TicketStatus): TicketStatus {
  return status === 'pending' || status === 'on_hold' || status === 'solved' ? 'open' : status;
}

export async function replyAsCustomer(deps: PortalDeps, customer: PortalCustomer, input: { ticketId: string; body: string }): Promise<{ messageId: string; redactions: number }> {
  if (!input.body.trim()) throw new AppError('validation_failed', 'The message is empty.');
  if (input.body.length > MAX_BODY_CHARS) throw new AppError('payload_too_large', `Messages are limited to ${MAX_BODY_CHARS} characters.`);
  // Sensitive data out before anything is stored, as on the email path.
  const body = redactText(input.body, 'body', (await loadOrgDlp(deps.db, customer.orgId)).policy);
  return deps.db.transaction().execute(async (trx) => {
    const t = await loadOwnTicket(trx, customer, input.ticketId, true);
    if (t.status === 'closed') throw new AppError('conflict', 'This request is closed; start a new one.');
    const { id } = await insertMessage(trx, deps, { orgId: customer.orgId, ticketId: t.id, kind: 'public_reply', authorType: 'customer', customerId: customer.customerId, body: body.text, redactions: body.redactions });
    const now = new Date();
    const status = reopened(t.status);
    await trx.updateTable('tickets').set({ status, updated_at: now, last_message_at: now, ...(status === 'open' ? { solved_at: null } : {}) }).where('id', '=', t.id).execute();
    await deps.audit.append(trx, { ...customerActor(customer), action: 'portal.reply', object: { type: 'ticket', id: t.id }, subjectCustomerId: customer.customerId, result: 'success', details: { messageId: id, redactions: body.redactions.length } });
    await notifyCustomerMessage(trx, { orgId: customer.orgId, ticketId: t.id, newTicket: false });
    return { messageId: id, redactions: body.redactions.length };
  });
}

export async function uploadAttachment(
  deps: PortalDeps,
  customer: PortalCustomer,
  input: { ticketId: string; filename: string; declaredType: string; bytes: Uint8Array; messageId?: string },
): Promise<{ messageId: string; attachmentId: string; sniffedType: string; dangerous: boolean }> {
  if (input.bytes.length === 0) throw new AppError('validation_failed', 'The file is empty.');
  if (input.bytes.length > deps.policy.maxUploadBytes) throw new AppError('payload_too_large', `Files are limited to ${deps.policy.maxUploadBytes} bytes.`);
  const attachment = { filename: input.filename, contentType: input.declaredType, size: input.bytes.length, content: Buffer.from(input.bytes) };
  // Only the customer's own open request may take a file, settled before the file is read (checked again below).
  const own = await loadOwnTicket(deps.db, customer, input.ticketId);
  if (own.status === 'closed') throw new AppError('conflict', 'This request is closed; start a new one.');
  // Read before the transaction (a PDF is read in a worker); a file holding a card number is refused.
  const dlpPolicy = (await loadOrgDlp(deps.db, customer.orgId)).policy;
  const files = await scanUpload(attachment, dlpPolicy, deps.policy.maxUploadBytes);
  return deps.db.transaction().execute(async (trx) => {
    const t = await loadOwnTicket(trx, customer, input.ticketId, true);
    if (t.status === 'closed') throw new AppError('conflict', 'This request is closed; start a new one.');
    let messageId: string;
    let earlier: StoredRedaction[] = [];
    let existing: string[] = [];
    if (input.messageId) {
      // Only the customer's own message on this ticket, sent moments ago: files cannot be slipped under an old message an agent has already read.
      const since = new Date(Date.now() - PORTAL_ATTACH_WINDOW_MINUTES * 60_000);
      const m = await trx
        .selectFrom('messages')
        .where('id', '=', input.messageId)
        .where('ticket_id', '=', t.id)
        .where('kind', '=', 'public_reply')
        .where('author_type', '=', 'customer')
        .where('customer_id', '=', customer.customerId)
        .where('created_at', '>', since)
        .select(['id', 'redactions'])
        .forUpdate()
        .executeTakeFirst();
      if (!m) throw new AppError('not_found', 'Files can be added only to a message you sent here in the last few minutes.');
      existing = (await trx.selectFrom('attachments').where('message_id', '=', m.id).select('id').execute()).map((x) => x.id);
      if (existing.length >= PORTAL_MAX_FILES_PER_MESSAGE) throw new AppError('conflict', `A message can carry at most ${PORTAL_MAX_FILES_PER_MESSAGE} files.`);
      messageId = m.id;
      earlier = m.redactions;
    } else {
      messageId = randomUUID();
      await insertMessage(trx, deps, { id: messageId, orgId: customer.orgId, ticketId: t.id, kind: 'public_reply', authorType: 'customer', customerId: customer.customerId, body: '(file attached)' });
    }
    const redactions: Parameters<typeof storeAttachments>[2]['redactions'] = [];
    // The ingest path's attachment stage: safe name, sniffed type, danger flags, DLP on text, sealed blob.
    const stored = await storeAttachments(trx, deps, {
      blobs: deps.blobs,
      orgId: customer.orgId,
      messageId,
      customerId: customer.customerId,
      attachments: [attachment],
      maxBytes: deps.policy.maxUploadBytes,
      scan: (texts) => scanSensitiveData(texts, dlpPolicy),
      redactions,
      files,
    });
    if (redactions.length) await trx.updateTable('messages').set({ redactions: JSON.stringify([...earlier, ...redactions]) }).where('id', '=', messageId).execute();
    let added = trx.selectFrom('attachments').where('message_id', '=', messageId).select(['id', 'sniffed_type', 'dangerous']);
    if (existing.length) added = added.where('id', 'not in', existing);
    const a = await added.executeTakeFirstOrThrow();
    const now = new Date();
    const status = reopened(t.status);
    await trx.updateTable('tickets').set({ status, updated_at: now, last_message_at: now }).where('id', '=', t.id).execute();
    await deps.audit.append(trx, {
      ...customerActor(customer),
      action: 'portal.upload',
      object: { type: 'attachment', id: a.id },
      subjectCustomerId: customer.customerId,
      result: 'success',
      details: { ticketId: t.id, messageId, size: input.bytes.length, type: a.sniffed_type, dangerous: stored.dangerous > 0, redactions: redactions.length },
    });
    return { messageId, attachmentId: a.id, sniffedType: a.sniffed_type, dangerous: a.dangerous };
  });
}

/**
 * A file on one of the customer's own tickets, from a message they can see
 * (never an internal note's). A file flagged dangerous is handed out only when
 * the customer confirmed; both the refusal and the download are audited.
 */
export async function downloadMyAttachment(
  deps: PortalDeps,
  customer: PortalCustomer,
  input: { ticketId: string; attachmentId: string; confirmed: boolean },
): Promise<{ filename: string | null; bytes: Uint8Array; sniffedType: string }> {
  const a = await deps.db.transaction().execute(async (trx) => {
    const t = await loadOwnTicket(trx, customer, input.ticketId);
    const row = await trx
      .selectFrom('attachments as a')
      .innerJoin('messages as m', 'm.id', 'a.message_id')
      .where('a.id', '=', input.attachmentId)
      .where('a.org_id', '=', customer.orgId)
      .where('m.ticket_id', '=', t.id)
      .where('m.kind', '<>', 'internal_note')
      .select(['a.id', 'a.blob_key', 'a.content_key_enc', 'a.filename_enc', 'a.sniffed_type', 'a.dangerous', 'a.status'])
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such file.');
    if (row.status !== 'stored' || !row.blob_key || !row.content_key_enc) throw new AppError('gone', 'This file was not stored (it was too large or was removed).');
    const event = { ...customerActor(customer), action: 'portal.attachment.download', object: { type: 'attachment', id: row.id }, subjectCustomerId: customer.customerId, details: { ticketId: t.id, type: row.sniffed_type, dangerous: row.dangerous } };
    if (row.dangerous && !input.confirmed) {
      await deps.audit.append(trx, { ...event, result: 'denied', details: { ...event.details, reason: 'unconfirmed' } });
      return { refused: true as const };
    }
    await deps.audit.append(trx, { ...event, result: 'success' });
    return { refused: false as const, row };
  });
  if (a.refused) {
    throw new AppError('conflict', 'This file could harm your computer (it may run code). Download it only if you trust it, and confirm to continue.', { extra: { dangerous: true } });
  }
  const { row } = a;
  const filename = await decryptOrNull(deps, { table: 'attachments', column: 'filename_enc', rowId: row.id }, row.filename_enc);
  const bytes = await openAttachment({ store: deps.blobs, keyring: deps.keyring, attachmentId: row.id, blobKey: row.blob_key as string, contentKeyEnc: row.content_key_enc as Uint8Array });
  return { filename, bytes, sniffedType: row.sniffed_type };
}
