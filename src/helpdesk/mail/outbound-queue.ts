/**
 * The outbound queue: a reply is queued in the transaction that stores it;
 * a worker claims due rows (SKIP LOCKED, so several instances share the
 * queue), composes the mail from the encrypted ticket at send time, sends it
 * through the relay, and records the delivery status on the message. Failures
 * retry with exponential backoff; a permanent refusal (5xx) stops at once.
 */
import { dkimForSending } from '../../identity/organizations/dkim.js';
import { readableRedactionMarkers } from './redaction-markers.js';
import { randomUUID } from 'node:crypto';
import { backoffDelay, claimDueRows, type BackoffPolicy } from '../../platform/db/work-queue.js';
import { openAttachment } from '../../protection/blobs/attachments.js';
import type { BlobStore } from '../../protection/blobs/store.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { AppError } from '../../platform/errors.js';
import type { HelpdeskDeps } from '../tickets/context.js';
import '../tickets/schema.js';
import { composeReply, type ComposedMail } from './compose.js';
import { addressWithToken, deriveReplyToken } from './threading.js';
import { inlineImageIds, staffCid } from '../rich-text/staff-html.js';
import { addressOf, brandedSender } from '../branding/brand.js';
import { brandName } from '../branding/branding.service.js';
import { outageLog } from '../../platform/logging.js';
import { customerMailFooter, footerHtml } from '../../identity/policies/public.service.js';

export interface MailTransport {
  /** Sends one composed message; resolves when the relay accepted it. */
  send(mail: ComposedMail): Promise<{ delivery: 'sent' | 'written' }>;
  close?(): void;
}

export type { BackoffPolicy };

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 30_000, maxMs: 6 * 3600_000, maxAttempts: 10 };

/** Delay before the next attempt under the mail policy (see backoffDelay). */
export function nextAttemptDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  return backoffDelay(attempt, policy);
}

export async function enqueueOutboundMail(
  trx: Executor,
  deps: HelpdeskDeps,
  input: {
    orgId: string;
    ticketId: string;
    messageId: string;
    customerId: string;
    smtpMessageId: string;
    /** The email's text when it must not be the stored message's (a secure-message notice: its link stays out of the conversation). */
    body?: string;
  },
): Promise<string> {
  const customer = await trx.selectFrom('customers').where('id', '=', input.customerId).select(['id', 'email_enc']).executeTakeFirst();
  if (!customer?.email_enc) throw new AppError('conflict', 'The requester has no email address to reply to.');
  const email = await deps.keyring.decrypt({ table: 'customers', column: 'email_enc', rowId: customer.id }, customer.email_enc, trx);
  const id = randomUUID();
  const to_enc = await deps.keyring.encrypt({ type: 'customer', id: customer.id }, { table: 'outbound_mail', column: 'to_enc', rowId: id }, email, trx);
  const body_enc = input.body === undefined ? null : await deps.keyring.encrypt({ type: 'customer', id: customer.id }, { table: 'outbound_mail', column: 'body_enc', rowId: id }, input.body, trx);
  await trx
    .insertInto('outbound_mail')
    .values({ id, org_id: input.orgId, ticket_id: input.ticketId, message_id: input.messageId, customer_id: customer.id, to_enc, body_enc, smtp_message_id: input.smtpMessageId })
    .execute();
  return id;
}

interface Claimed {
  id: string;
  org_id: string;
  ticket_id: string;
  message_id: string;
  to_enc: Uint8Array;
  body_enc: Uint8Array | null;
  smtp_message_id: string;
  attempts: number;
  auto_reply: boolean;
}

/** Claims due rows under a lease; rows whose lease expired (a crashed sender) are claimed again. */
function claimDue(deps: HelpdeskDeps, limit: number, leaseMs: number): Promise<Claimed[]> {
  return claimDueRows(deps.db, {
    table: 'outbound_mail',
    columns: ['id', 'org_id', 'ticket_id', 'message_id', 'to_enc', 'body_enc', 'smtp_message_id', 'attempts', 'auto_reply'],
    limit,
    leaseMs,
  });
}

/** The reply's files, decrypted: a reply the agent sent with files goes out with them or not at all. */
async function loadAttachments(deps: HelpdeskDeps, blobs: BlobStore | undefined, messageId: string, inline: ReadonlySet<string>): Promise<NonNullable<ComposedMail['attachments']>> {
  const rows = await deps.db
    .selectFrom('attachments')
    .where('message_id', '=', messageId)
    .where('status', '=', 'stored')
    .select(['id', 'blob_key', 'content_key_enc', 'filename_enc', 'sniffed_type'])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  if (rows.length === 0) return [];
  // Thrown, so the row retries and the operator sees it, rather than mail leaving without the files the agent attached.
  if (!blobs) throw Object.assign(new Error('outbound mail has files but the worker has no file store'), { code: 'NO_FILE_STORE' });
  const files: NonNullable<ComposedMail['attachments']> = [];
  for (const a of rows) {
    const filename = a.filename_enc ? await deps.keyring.decrypt({ table: 'attachments', column: 'filename_enc', rowId: a.id }, a.filename_enc) : 'attachment';
    const content = await openAttachment({ store: blobs, keyring: deps.keyring, attachmentId: a.id, blobKey: a.blob_key as string, contentKeyEnc: a.content_key_enc as Uint8Array });
    files.push({ filename, contentType: a.sniffed_type, content, ...(inline.has(a.id) ? { cid: staffCid(a.id) } : {}) });
  }
  return files;
}

/** Builds the mail for a claimed row from the encrypted ticket: subject, body, threading headers, reply token, files. */
async function buildMail(deps: HelpdeskDeps, row: Claimed, blobs: BlobStore | undefined): Promise<ComposedMail> {
  const t = await deps.db
    .selectFrom('tickets')
    .leftJoin('mailboxes', 'mailboxes.id', 'tickets.mailbox_id')
    .where('tickets.id', '=', row.ticket_id)
    .select(['tickets.id', 'tickets.number', 'tickets.channel', 'tickets.subject_enc', 'mailboxes.address as mailbox'])
    .executeTakeFirstOrThrow();
  const msg = await deps.db.selectFrom('messages').where('id', '=', row.message_id).select(['id', 'body_enc', 'html_enc']).executeTakeFirstOrThrow();
  // Earlier messages of the thread that carry a Message-ID, oldest first: In-Reply-To is the newest.
  const thread = await deps.db
    .selectFrom('messages')
    .where('ticket_id', '=', row.ticket_id)
    .where('message_id_enc', 'is not', null)
    .where('id', '<>', row.message_id)
    .where('kind', '<>', 'internal_note')
    .select(['id', 'message_id_enc'])
    .orderBy('created_at', 'desc')
    .limit(20)
    .execute();
  const refs: string[] = [];
  for (const m of thread.reverse()) refs.push(await deps.keyring.decrypt({ table: 'messages', column: 'message_id_enc', rowId: m.id }, m.message_id_enc as Uint8Array));
  const to = await deps.keyring.decrypt({ table: 'outbound_mail', column: 'to_enc', rowId: row.id }, row.to_enc);
  const subject = t.subject_enc ? await deps.keyring.decrypt({ table: 'tickets', column: 'subject_enc', rowId: t.id }, t.subject_enc) : '';
  const body = row.body_enc
    ? await deps.keyring.decrypt({ table: 'outbound_mail', column: 'body_enc', rowId: row.id }, row.body_enc)
    : msg.body_enc
      ? await deps.keyring.decrypt({ table: 'messages', column: 'body_enc', rowId: msg.id }, msg.body_enc)
      : '';
  // The rich alternative belongs to the stored reply; a notice sent with its own text (body_enc) has none.
  const html = !row.body_enc && msg.html_enc ? readableRedactionMarkers(await deps.keyring.decrypt({ table: 'messages', column: 'html_enc', rowId: msg.id }, msg.html_enc)) : null;
  const token = deriveReplyToken(deps.mailKeys, t.id);
  const fromAddress = t.mailbox ? addressWithToken(t.mailbox, token) : null;
  // The customer sees the organisation's name as the sender, never the product's (decision 0158).
  const brand = await brandName(deps.db, row.org_id);
  // Once the organisation publishes a public policy, every customer email ends with the secure way and its link (decision 0214).
  const footer = await customerMailFooter(deps.db, deps.publicUrl, row.org_id);
  const mail = composeReply({
    from: brandedSender(brand, fromAddress ?? addressOf(deps.mailFrom)),
    to,
    // An acknowledgement of a form request does not echo the subject a stranger typed (decision 0159).
    subject: row.auto_reply && t.channel !== 'email' ? `${brand}: we received your request` : subject,
    ticketNumber: Number(t.number),
    body: readableRedactionMarkers(body) + (footer ? `\n\n${footer.text}` : ''),
    html: html && footer ? `${html}${footerHtml(footer)}` : html,
    messageId: row.smtp_message_id,
    references: refs,
    attachments: await loadAttachments(deps, blobs, msg.id, new Set(html ? inlineImageIds(html) : [])),
  });
  // Signed with the organisation's own DKIM key when the sender address is at its signing domain (decision 0237).
  const dkim = fromAddress ? await dkimForSending(deps, row.org_id, fromAddress) : undefined;
  if (dkim) mail.dkim = dkim;
  // RFC 3834: an automatic answer says so, and asks other responders not to answer it.
  if (row.auto_reply) Object.assign(mail.headers, { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All', Precedence: 'auto_reply' });
  return mail;
}

export interface ProcessResult {
  sent: number;
  retried: number;
  failed: number;
}

/** One pass over the due queue. Safe to run concurrently on several instances. */
export async function processOutboundQueue(
  deps: HelpdeskDeps,
  transport: MailTransport,
  options: { limit?: number; leaseMs?: number; backoff?: BackoffPolicy; blobs?: BlobStore } = {},
): Promise<ProcessResult> {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const rows = await claimDue(deps, options.limit ?? 20, options.leaseMs ?? 5 * 60_000);
  const result: ProcessResult = { sent: 0, retried: 0, failed: 0 };
  for (const row of rows) {
    let outcome: { status: 'sent' | 'queued' | 'failed'; delivery: 'sent' | 'written' | 'retrying' | 'failed'; error: string | null };
    try {
      const mail = await buildMail(deps, row, options.blobs);
      const r = await transport.send(mail);
      outcome = { status: 'sent', delivery: r.delivery, error: null };
    } catch (err) {
      const code = smtpCode(err);
      const permanent = code !== null && code >= 500 && code < 600;
      const exhausted = row.attempts >= backoff.maxAttempts;
      const error = code !== null ? `smtp ${code}` : errorKind(err);
      outcome = permanent || exhausted ? { status: 'failed', delivery: 'failed', error } : { status: 'queued', delivery: 'retrying', error };
      deps.logger.warn({ outboundId: row.id, attempt: row.attempts, error, permanent }, 'outbound mail not delivered');
    }
    await deps.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('outbound_mail')
        .set({
          status: outcome.status,
          locked_until: null,
          last_error: outcome.error,
          sent_at: outcome.status === 'sent' ? new Date() : null,
          // A body kept only for sending (a secure notice's link) does not outlive the attempt that settles it.
          ...(outcome.status === 'queued' ? {} : { body_enc: null }),
          next_attempt_at: new Date(Date.now() + (outcome.status === 'queued' ? nextAttemptDelay(row.attempts, backoff) : 0)),
        })
        .where('id', '=', row.id)
        .execute();
      await trx.updateTable('messages').set({ delivery_status: outcome.delivery }).where('id', '=', row.message_id).execute();
      if (outcome.status !== 'queued') {
        await deps.audit.append(trx, {
          orgId: row.org_id,
          actor: { type: 'system', id: 'mail-out' },
          action: outcome.status === 'sent' ? 'email.send' : 'email.send_fail',
          object: { type: 'message', id: row.message_id },
          result: outcome.status === 'sent' ? 'success' : 'failure',
          details: { outboundId: row.id, attempts: row.attempts, ...(outcome.error ? { error: outcome.error } : {}) },
        });
      }
    });
    if (outcome.status === 'sent') result.sent++;
    else if (outcome.status === 'failed') result.failed++;
    else result.retried++;
  }
  return result;
}

function smtpCode(err: unknown): number | null {
  const c = (err as { responseCode?: unknown } | null)?.responseCode;
  return typeof c === 'number' ? c : null;
}

/** A short, fixed description: the server's own text may quote the address. */
function errorKind(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code) ? code.toLowerCase() : 'error';
}

/** Polls the queue until stopped. */
export function startOutboundWorker(deps: HelpdeskDeps, transport: MailTransport, options: { intervalMs?: number; blobs?: BlobStore } = {}): { stop(): Promise<void>; kick(): void } {
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> = Promise.resolve();
  const log = outageLog(deps.logger, 'outbound queue pass');
  const tick = () => {
    if (!running) return;
    current = processOutboundQueue(deps, transport, options.blobs ? { blobs: options.blobs } : {})
      .then(() => log.succeeded(), (err: unknown) => log.failed(err))
      .finally(() => {
        if (running) timer = setTimeout(tick, options.intervalMs ?? 1000);
      });
  };
  timer = setTimeout(tick, 0);
  return {
    kick() {
      if (timer) clearTimeout(timer);
      void current.then(() => {
        if (running) {
          if (timer) clearTimeout(timer);
          timer = setTimeout(tick, 0);
        }
      });
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}
