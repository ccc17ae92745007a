/**
 * Files and email HTML on the agent side. Uploads go through the same stage
 * as inbound attachments (safe name, sniffed type, danger flags, DLP on text,
 * sealed blob under the requester's key) and wait on an internal holder note
 * until a reply or note takes them (`attachmentIds`). Downloads and HTML views
 * are object-level checked and audited; a dangerous file needs confirmation.
 */
import { randomUUID } from 'node:crypto';
import { authorize } from '../../identity/auth/access.js';
import { egressRefusal, evaluateDataEgress } from '../../identity/devices/egress.js';
import { openAttachment } from '../../protection/blobs/attachments.js';
import { sniffContentType } from '../../protection/blobs/sniff.js';
import type { BlobStore } from '../../protection/blobs/store.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { AppError, KeyDestroyedError } from '../../platform/errors.js';
import { scanUpload, storeAttachments } from '../ingest/attachments.js';
import { loadOrgDlp } from '../../protection/dlp-policy/org-policy.js';
import { scanSensitiveData } from '../ingest/scan.js';
import { actingFromAgent, type AgentContext, type HelpdeskDeps } from './context.js';
import { emailHtmlDocument, INLINE_IMAGE_TYPES, sanitizeEmailHtml } from './email-html.js';
import { insertMessage } from './records.js';
import type { StoredRedaction } from './schema.js';
import { decryptOrNull, loadTicketForAction } from './tickets.service.js';
import { foldQuotedHtml } from '../rich-text/quoted.js';
import { recordConsoleAttachmentOpen, teachAfterAttachmentOpen, type LandingView } from '../../threats/simulations/tracking.js';
import { inlineImageIds, staffCid } from '../rich-text/staff-html.js';

export interface TicketFileDeps extends HelpdeskDeps {
  blobs: BlobStore;
  maxUploadBytes: number;
}

/** The holder note of uploads not yet sent: an internal note with an empty body. */
const HOLDER_BODY = '';
const MAX_INLINE_IMAGE_BYTES = 2 * 1024 * 1024;
const MAX_INLINE_TOTAL_BYTES = 8 * 1024 * 1024;

export interface UploadedFile {
  attachmentId: string;
  messageId: string;
  filename: string;
  size: number;
  sniffedType: string;
  dangerous: boolean;
  dangerReasons: string[];
}

export async function uploadTicketAttachment(deps: TicketFileDeps, ctx: AgentContext, input: { ticketId: string; filename: string; declaredType: string; bytes: Uint8Array }): Promise<UploadedFile> {
  if (input.bytes.length === 0) throw new AppError('validation_failed', 'The file is empty.');
  if (input.bytes.length > deps.maxUploadBytes) throw new AppError('payload_too_large', `Files are limited to ${deps.maxUploadBytes} bytes.`);
  const attachment = { filename: input.filename, contentType: input.declaredType, size: input.bytes.length, content: Buffer.from(input.bytes) };
  // Who may attach to this ticket is settled before the file is read: reading is the expensive part, and
  // a caller without access must not get it done (nor learn from its outcome). Checked again below.
  const before = await loadTicketForAction(deps.db, ctx, input.ticketId, 'tickets.write');
  if (before.status === 'closed') throw new AppError('conflict', 'This ticket is closed; open a follow-up ticket instead.');
  // Read before the transaction (a PDF is read in a worker); a file holding a card number is refused.
  const policy = (await loadOrgDlp(deps.db, ctx.principal.orgId)).policy;
  const files = await scanUpload(attachment, policy, deps.maxUploadBytes);
  return deps.db.transaction().execute(async (trx) => {
    const t = await loadTicketForAction(trx, ctx, input.ticketId, 'tickets.write');
    if (t.status === 'closed') throw new AppError('conflict', 'This ticket is closed; open a follow-up ticket instead.');
    // The file is sealed under the requester's key, so erasing the customer erases it too.
    if (!t.requester_id) throw new AppError('conflict', 'This ticket has no requester to attach files for.');
    const messageId = randomUUID();
    await insertMessage(trx, deps, { id: messageId, orgId: t.org_id, ticketId: t.id, kind: 'internal_note', authorType: 'user', authorUserId: ctx.principal.userId, customerId: t.requester_id, body: HOLDER_BODY });
    const redactions: StoredRedaction[] = [];
    await storeAttachments(trx, deps, {
      blobs: deps.blobs,
      orgId: t.org_id,
      messageId,
      customerId: t.requester_id,
      attachments: [attachment],
      maxBytes: deps.maxUploadBytes,
      scan: (texts) => scanSensitiveData(texts, policy),
      redactions,
      files,
    });
    if (redactions.length) await trx.updateTable('messages').set({ redactions: JSON.stringify(redactions) }).where('id', '=', messageId).execute();
    const a = await trx.selectFrom('attachments').where('message_id', '=', messageId).select(['id', 'filename_enc', 'sniffed_type', 'dangerous', 'danger_reasons', 'size']).executeTakeFirstOrThrow();
    await deps.audit.append(trx, {
      ...actingFromAgent(ctx),
      action: 'ticket.attachment.upload',
      object: { type: 'attachment', id: a.id },
      subjectCustomerId: t.requester_id,
      result: 'success',
      details: { ticketId: t.id, messageId, size: input.bytes.length, type: a.sniffed_type, dangerous: a.dangerous, redactions: redactions.length },
    });
    const filename = (await decryptOrNull(deps, { table: 'attachments', column: 'filename_enc', rowId: a.id }, a.filename_enc, trx)) ?? 'attachment';
    return { attachmentId: a.id, messageId, filename, size: Number(a.size), sniffedType: a.sniffed_type, dangerous: a.dangerous, dangerReasons: a.danger_reasons };
  });
}

/**
 * Moves uploaded files from their holder notes onto a reply or note of the
 * same ticket (inside the caller's transaction). Only files still waiting on a
 * holder note of this ticket qualify; anything else is not found.
 */
export async function takeUploadedAttachments(trx: Executor, deps: HelpdeskDeps, ticketId: string, attachmentIds: readonly string[], toMessageId: string): Promise<number> {
  const ids = [...new Set(attachmentIds)];
  if (ids.length === 0) return 0;
  const rows = await trx
    .selectFrom('attachments as a')
    .innerJoin('messages as m', 'm.id', 'a.message_id')
    .where('a.id', 'in', ids)
    .where('m.ticket_id', '=', ticketId)
    .where('m.kind', '=', 'internal_note')
    .where('m.author_type', '=', 'user')
    .select(['a.id', 'a.message_id', 'm.body_enc'])
    .forUpdate()
    .execute();
  if (rows.length !== ids.length) throw new AppError('not_found', 'Some of these files are not uploads waiting on this ticket.');
  // Holder notes are the ones whose only content is the file: a file already sent on a note the agent wrote does not count.
  for (const r of rows) {
    const body = await decryptOrNull(deps, { table: 'messages', column: 'body_enc', rowId: r.message_id }, r.body_enc, trx);
    if (body !== HOLDER_BODY) throw new AppError('not_found', 'Some of these files are not uploads waiting on this ticket.');
  }
  await trx.updateTable('attachments').set({ message_id: toMessageId }).where('id', 'in', ids).execute();
  return ids.length;
}

/**
 * Discards an upload the caller made that is still waiting on its holder note
 * (the composer's "Remove"): the file row, its search tokens, the holder note
 * and then the sealed blob go. Anyone else's upload, or a file already sent,
 * is not found. Audited.
 */
export async function discardTicketUpload(deps: TicketFileDeps, ctx: AgentContext, input: { ticketId: string; attachmentId: string }): Promise<void> {
  const blobKey = await deps.db.transaction().execute(async (trx) => {
    const t = await loadTicketForAction(trx, ctx, input.ticketId, 'tickets.write');
    const row = await trx
      .selectFrom('attachments as a')
      .innerJoin('messages as m', 'm.id', 'a.message_id')
      .where('a.id', '=', input.attachmentId)
      .where('m.ticket_id', '=', t.id)
      .where('m.kind', '=', 'internal_note')
      .where('m.author_type', '=', 'user')
      .where('m.author_user_id', '=', ctx.principal.userId)
      .select(['a.id', 'a.blob_key', 'a.message_id', 'm.body_enc'])
      .forUpdate()
      .executeTakeFirst();
    const body = row ? await decryptOrNull(deps, { table: 'messages', column: 'body_enc', rowId: row.message_id }, row.body_enc, trx) : null;
    if (!row || body !== HOLDER_BODY) throw new AppError('not_found', 'No upload of yours is waiting on this ticket under that id.');
    await trx.deleteFrom('attachments').where('id', '=', row.id).execute();
    const others = await trx.selectFrom('attachments').where('message_id', '=', row.message_id).select('id').executeTakeFirst();
    if (!others) {
      await trx.deleteFrom('search_tokens').where('message_id', '=', row.message_id).execute();
      await trx.deleteFrom('messages').where('id', '=', row.message_id).execute();
    }
    await deps.audit.append(trx, {
      ...actingFromAgent(ctx),
      action: 'ticket.attachment.discard',
      object: { type: 'attachment', id: row.id },
      subjectCustomerId: t.requester_id,
      result: 'success',
      details: { ticketId: t.id, messageId: row.message_id },
    });
    return row.blob_key;
  });
  // After the commit: a blob left behind by a crash here is sealed under the customer's key and unreachable.
  if (blobKey) await deps.blobs.delete(blobKey).catch((err: unknown) => deps.logger.warn({ err, attachmentId: input.attachmentId }, 'discarded upload: blob not deleted'));
}

export async function downloadTicketAttachment(
  deps: TicketFileDeps,
  ctx: AgentContext,
  input: { ticketId: string; attachmentId: string; confirmed: boolean },
): Promise<{ filename: string | null; bytes: Uint8Array; sniffedType: string; simulation?: LandingView | undefined }> {
  const p = ctx.principal;
  const found = await deps.db.transaction().execute(async (trx) => {
    const t = await trx.selectFrom('tickets').where('id', '=', input.ticketId).where('org_id', '=', p.orgId).select(['id', 'org_id', 'team_id', 'assignee_id', 'requester_id']).executeTakeFirst();
    authorize(p, 'tickets.read', t ? { orgId: t.org_id, teamId: t.team_id, assigneeId: t.assignee_id } : null);
    const ticket = t as NonNullable<typeof t>;
    const row = await trx
      .selectFrom('attachments as a')
      .innerJoin('messages as m', 'm.id', 'a.message_id')
      .where('a.id', '=', input.attachmentId)
      .where('a.org_id', '=', p.orgId)
      .where('m.ticket_id', '=', ticket.id)
      .select(['a.id', 'a.message_id', 'a.blob_key', 'a.content_key_enc', 'a.filename_enc', 'a.sniffed_type', 'a.dangerous', 'a.status', 'a.customer_id', 'm.reported_at'])
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such file.');
    // Where customer data may go (docs/devices.md): refused here is audited with the device, like an allowed one.
    const egress = await evaluateDataEgress(trx, p, ctx.sourceIp ?? p.ip);
    const event = { ...actingFromAgent(ctx), action: 'ticket.attachment.download', object: { type: 'attachment', id: row.id }, subjectCustomerId: row.customer_id ?? ticket.requester_id, details: { ticketId: ticket.id, type: row.sniffed_type, dangerous: row.dangerous, deviceId: egress.device?.id ?? null } };
    if (!egress.allowed) {
      await deps.audit.append(trx, { ...event, result: 'denied', details: { ...event.details, reason: `egress_${egress.reason}` } });
      return { refused: 'egress' as const, egress };
    }
    if (row.reported_at) {
      await deps.audit.append(trx, { ...event, result: 'denied', details: { ...event.details, reason: 'reported_phishing' } });
      return { refused: 'reported' as const };
    }
    if (row.status !== 'stored' || !row.blob_key || !row.content_key_enc) throw new AppError('gone', 'This file was not stored (it was too large or was removed).');
    if (row.dangerous && !input.confirmed) {
      await deps.audit.append(trx, { ...event, result: 'denied', details: { ...event.details, reason: 'unconfirmed' } });
      return { refused: 'unconfirmed' as const };
    }
    await deps.audit.append(trx, { ...event, result: 'success' });
    // A simulated message's attachment: its opening is the event a phishing simulation records (decision 0200).
    const simulation = await recordConsoleAttachmentOpen(trx, deps, ctx, { messageId: row.message_id, ticketId: ticket.id, attachmentId: row.id });
    return { refused: null, row, simulation };
  });
  if (found.refused === 'egress') throw egressRefusal(found.egress);
  if (found.refused === 'reported') throw new AppError('conflict', 'This message was reported as phishing; its files are held in quarantine.');
  if (found.refused === 'unconfirmed') {
    throw new AppError('conflict', 'This file could harm a computer (it may run code). Download it only if you trust it, and confirm to continue.', { extra: { dangerous: true } });
  }
  const { row, simulation } = found;
  if (simulation?.counted) await teachAfterAttachmentOpen(deps, simulation.recipient);
  // A person in the console is shown the teaching page instead of the file; an integration's API token gets the file.
  if (simulation && p.kind === 'session') return { filename: null, bytes: new Uint8Array(), sniffedType: 'text/html', simulation: simulation.view };
  const filename = await decryptOrNull(deps, { table: 'attachments', column: 'filename_enc', rowId: row.id }, row.filename_enc);
  let bytes: Uint8Array;
  try {
    bytes = await openAttachment({ store: deps.blobs, keyring: deps.keyring, attachmentId: row.id, blobKey: row.blob_key as string, contentKeyEnc: row.content_key_enc as Uint8Array });
  } catch (err) {
    if (err instanceof KeyDestroyedError) throw new AppError('gone', 'This file was erased with its customer.');
    throw err;
  }
  return { filename, bytes, sniffedType: row.sniffed_type };
}

/**
 * The HTML part of an inbound email, sanitised, as a whole document. `cid:`
 * images come from the stored raw message's raster image parts (the
 * attachment rows do not record Content-IDs). The read is audited.
 */
export async function readMessageHtml(deps: HelpdeskDeps & { blobs?: BlobStore }, ctx: AgentContext, input: { ticketId: string; messageId: string; remote: boolean }): Promise<{ html: string; blockedImages: number }> {
  const p = ctx.principal;
  const row = await deps.db.transaction().execute(async (trx) => {
    const t = await trx.selectFrom('tickets').where('id', '=', input.ticketId).where('org_id', '=', p.orgId).select(['id', 'org_id', 'team_id', 'assignee_id', 'requester_id']).executeTakeFirst();
    authorize(p, 'tickets.read', t ? { orgId: t.org_id, teamId: t.team_id, assigneeId: t.assignee_id } : null);
    const ticket = t as NonNullable<typeof t>;
    const m = await trx.selectFrom('messages').where('id', '=', input.messageId).where('ticket_id', '=', ticket.id).select(['id', 'kind', 'html_enc', 'raw_enc', 'customer_id', 'reported_at']).executeTakeFirst();
    if (!m || !m.html_enc) throw new AppError('not_found', 'This message has no HTML part.');
    if (m.reported_at) throw new AppError('conflict', 'This message was reported as phishing; it is held in quarantine.');
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'ticket.message.html.read', object: { type: 'message', id: m.id }, subjectCustomerId: m.customer_id ?? ticket.requester_id, result: 'success', details: { ticketId: ticket.id, remote: input.remote } });
    return m;
  });
  const html = await decryptOrNull(deps, { table: 'messages', column: 'html_enc', rowId: row.id }, row.html_enc);
  if (html === null) throw new AppError('gone', 'This message was erased with its customer.');
  const inlineImages = !/cid:/i.test(html) ? new Map<string, string>() : row.raw_enc ? await inlineImagesOf(deps, row.id, row.raw_enc) : await staffInlineImages(deps, row.id, html);
  // Earlier messages the customer quoted sit behind a closed <details> (rich-text/quoted.ts).
  const clean = sanitizeEmailHtml(row.kind === 'inbound_email' ? foldQuotedHtml(html, 'Show quoted text') : html, { inlineImages, remote: input.remote });
  return { html: emailHtmlDocument(clean.html), blockedImages: clean.blockedImages };
}

/** A staff reply's inline images: its own raster files named by `cid:<attachment id>@trustdesk`. */
async function staffInlineImages(deps: HelpdeskDeps & { blobs?: BlobStore }, messageId: string, html: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const ids = inlineImageIds(html);
  if (ids.length === 0 || !deps.blobs) return out;
  const rows = await deps.db.selectFrom('attachments').where('message_id', '=', messageId).where('id', 'in', ids).where('status', '=', 'stored').select(['id', 'blob_key', 'content_key_enc', 'sniffed_type', 'size']).execute();
  let total = 0;
  for (const a of rows) {
    if (!(INLINE_IMAGE_TYPES as readonly string[]).includes(a.sniffed_type) || Number(a.size) > MAX_INLINE_IMAGE_BYTES || total + Number(a.size) > MAX_INLINE_TOTAL_BYTES) continue;
    const bytes = await openAttachment({ store: deps.blobs, keyring: deps.keyring, attachmentId: a.id, blobKey: a.blob_key as string, contentKeyEnc: a.content_key_enc as Uint8Array });
    total += bytes.length;
    out.set(staffCid(a.id), `data:${a.sniffed_type};base64,${Buffer.from(bytes).toString('base64')}`);
  }
  return out;
}

async function inlineImagesOf(deps: HelpdeskDeps, messageId: string, rawEnc: Uint8Array | null): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const raw = await decryptOrNull(deps, { table: 'messages', column: 'raw_enc', rowId: messageId }, rawEnc);
  if (!raw) return out;
  const { simpleParser } = await import('mailparser');
  const mail = await simpleParser(Buffer.from(raw, 'base64'), { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true });
  let total = 0;
  for (const a of mail.attachments ?? []) {
    const cid = (a.contentId ?? a.cid ?? '').replace(/^<|>$/g, '').trim().toLowerCase();
    if (!cid || !a.content || a.content.length > MAX_INLINE_IMAGE_BYTES || total + a.content.length > MAX_INLINE_TOTAL_BYTES) continue;
    const type = sniffContentType(a.content);
    if (!(INLINE_IMAGE_TYPES as readonly string[]).includes(type)) continue;
    total += a.content.length;
    out.set(cid, `data:${type};base64,${a.content.toString('base64')}`);
  }
  return out;
}
