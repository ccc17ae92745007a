/**
 * The one ingest pipeline for inbound email:
 *   parse → shape check → threat analysis (hook) → sensitive-data scan (hook)
 *   → encrypt → store (one transaction, attachments sealed first) → audit → notify (hook)
 * It returns only when the message is durably stored (as a ticket message or in
 * quarantine), so the SMTP server can answer 250 after it and a failure before
 * it makes the sender retry: nothing is lost and nothing half-written survives.
 */
import { queueAcknowledgement } from '../branding/acknowledgement.js';
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { WriteTrackingBlobStore, type BlobStore } from '../../protection/blobs/store.js';
import { isDatabaseUnavailable } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { dlpFindings, ingestOutcomes, phishingVerdicts, timeIngestStage } from '../../platform/metrics/metrics.js';
import { SENSITIVE_TYPES, type SensitiveType } from '../../protection/dlp/index.js';
import { detectAutoSubmitted } from '../mail/loops.js';
import type { MailboxRoute } from '../mail/mailboxes.js';
import { checkMessageShape } from '../mail/shape.js';
import { hashMessageId, normalizeMessageId, parseMessageIdList } from '../mail/threading.js';
import { parseRawMessage, type Analysis, type ParsedMessage } from '../../threats/phishing/index.js';
import type { HelpdeskDeps } from '../tickets/context.js';
import { insertMessage, insertTicket } from '../tickets/records.js';
import type { StoredRedaction, TicketStatus } from '../tickets/schema.js';
import { filesNeedRawRebuild, scanAttachmentFiles, storeAttachments } from './attachments.js';
import type { IngestHooks } from './hooks.js';
import { queueSensitiveNotice } from './sensitive-notice.js';
import { quarantineMessage } from './quarantine.js';
import { redactRawMessage } from './raw.js';
import { findOrCreateSender } from './sender.js';
import { findThread } from './thread.js';
import { crlfLineEndings, normalizeParsedMessage, TEXT_NORMALIZED } from './normalize.js';
import { loadOrgDlp } from '../../protection/dlp-policy/org-policy.js';
import { routeNewTicket } from '../routing/routing.js';
import { notifyCustomerMessage } from '../notifications/notify.js';
import { countInbound, takeInbound } from '../../identity/organizations/limits.js';

export interface InboundEnvelope {
  raw: Buffer;
  mailFrom: string;
  rcptTo: string[];
  remoteAddress?: string | undefined;
  helo?: string | undefined;
}

export interface IngestOptions {
  hooks: IngestHooks;
  blobs: BlobStore;
  maxAttachmentBytes: number;
  /**
   * Runs inside the transaction that stores the message (as a ticket message or in quarantine), so a caller's own
   * record of it commits with it or not at all: the IMAP puller writes the message's UID here (decision 0225). An
   * error rolls the storing back. Not called for a duplicate (nothing is stored).
   */
  withinStore?: (trx: Transaction<Database>, orgId: string) => Promise<void>;
}

export type IngestOutcome =
  | { outcome: 'ticket_created' | 'threaded'; ticketId: string; messageId: string; orgId: string }
  | { outcome: 'duplicate'; ticketId: string; messageId: string; orgId: string }
  | { outcome: 'quarantined'; quarantineId: string; reason: string; codes: string[]; orgId: string };

const SYSTEM = { type: 'system' as const, id: 'mail-in' };

/** Ingests one message for each organisation it is addressed to (usually one). */
export async function ingestInboundEmail(deps: HelpdeskDeps, options: IngestOptions, received: InboundEnvelope, routes: MailboxRoute[]): Promise<IngestOutcome[]> {
  // Bare-CR line endings read as line endings, for the parser, the checks and the stored raw alike (decision 0101).
  const envelope = { ...received, raw: crlfLineEndings(received.raw) };
  // Text that cannot be stored as it is (lone surrogates, NUL) is normalised once, here, with a note (decision 0101).
  const { parsed, normalized } = normalizeParsedMessage(await timeIngestStage('parse', () => parseRawMessage(envelope.raw, { maxAttachmentBytes: options.maxAttachmentBytes * 4 })));
  const byOrg = new Map<string, MailboxRoute>();
  for (const r of routes) if (!byOrg.has(r.orgId)) byOrg.set(r.orgId, r);
  const out: IngestOutcome[] = [];
  for (const mailbox of byOrg.values()) {
    const outcome = await ingestForMailbox(deps, options, envelope, parsed, mailbox, normalized ? [TEXT_NORMALIZED] : []);
    ingestOutcomes.inc({ outcome: outcome.outcome });
    out.push(outcome);
  }
  return out;
}

/**
 * Stores the message for one mailbox. Invariant 8: it ends as a ticket message
 * or in quarantine. A failure that will pass (the database away) propagates, so
 * the sender is told 451 and retries; content the database or the cipher still
 * refuses goes to quarantine instead of being refused forever. Blobs written by
 * a rolled-back attempt are deleted.
 */
async function ingestForMailbox(deps: HelpdeskDeps, options: IngestOptions, envelope: InboundEnvelope, parsed: ParsedMessage, mailbox: MailboxRoute, ingestNotes: string[]): Promise<IngestOutcome> {
  const blobs = new WriteTrackingBlobStore(options.blobs);
  try {
    return await storeForMailbox(deps, { ...options, blobs }, envelope, parsed, mailbox, ingestNotes);
  } catch (err) {
    const cleanup = await blobs.discardUnreferenced((keys) => referencedBlobKeys(deps, keys));
    if (cleanup.kept > 0) deps.logger.warn({ kept: cleanup.kept }, 'blobs of a failed ingest kept: their rows may have committed, or the check failed');
    if (!isUnstorableContent(err)) throw err;
    deps.logger.warn({ err }, 'inbound message could not be stored as a ticket; quarantined');
    const { raw } = await redactForStorage(deps, options.hooks, mailbox.orgId, parsed, envelope.raw, options.maxAttachmentBytes);
    const codes = ['unstorable_content', ...(raw.rebuilt ? ['raw_rebuilt'] : []), ...ingestNotes];
    const q = await quarantineMessage(deps, { orgId: mailbox.orgId, mailboxId: mailbox.id, reason: 'malformed', codes, raw: raw.raw, threat: null, redactions: [] }, options.withinStore);
    await safeNotify(deps, options.hooks, { type: 'message.quarantined', orgId: mailbox.orgId, quarantineId: q });
    return { outcome: 'quarantined', quarantineId: q, reason: 'malformed', codes, orgId: mailbox.orgId };
  }
}

/**
 * Deliveries of one Message-ID wait for each other (transaction-scoped lock),
 * so the second sees the first's commit and answers "duplicate" without doing
 * the work twice. The unique index messages_inbound_message_id_unique is the
 * guarantee; the lock only keeps the loser from building a ticket it must discard.
 */
async function lockMessageId(trx: Transaction<Database>, orgId: string, hash: Buffer): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`inbound-message:${orgId}:${hash.toString('hex')}`}, 0))`.execute(trx);
}

function findStoredCopy(db: Kysely<Database>, orgId: string, hash: Buffer) {
  return db.selectFrom('messages').where('org_id', '=', orgId).where('message_id_hash', '=', hash).where('kind', '=', 'inbound_email').select(['id', 'ticket_id']).executeTakeFirst();
}

function isStoredCopyConflict(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown; message?: unknown } | null;
  return e?.code === '23505' && (e.constraint === STORED_COPY_INDEX || String(e.message).includes(STORED_COPY_INDEX));
}

const STORED_COPY_INDEX = 'messages_inbound_message_id_unique';

/** Sensitive data out of every text before anything is stored, the raw message included. */
/** Sensitive data out of every text and file before anything is stored, the raw message included. */
async function redactForStorage(deps: HelpdeskDeps, hooks: IngestHooks, orgId: string, parsed: ParsedMessage, rawBytes: Buffer, maxAttachmentBytes: number) {
  const { policy } = await loadOrgDlp(deps.db, orgId);
  const scan = hooks.scanSensitiveData({ subject: parsed.subject, body: parsed.text, html: parsed.html }, policy);
  const redactedTypes = [...new Set(scan.redactions.filter((r) => r.action === 'redact').map((r) => r.type as SensitiveType))];
  const files = await scanAttachmentFiles(parsed.attachments, policy, maxAttachmentBytes);
  const raw = await redactRawMessage(rawBytes, { redactedTypes, redactedBody: scan.body || stripTags(scan.html), withoutAttachments: filesNeedRawRebuild(files) });
  return { policy, scan, raw, files };
}

async function referencedBlobKeys(deps: HelpdeskDeps, keys: string[]): Promise<Set<string>> {
  const rows = await deps.db.selectFrom('attachments').where('blob_key', 'in', keys).select('blob_key').execute();
  return new Set(rows.map((r) => r.blob_key).filter((k): k is string => k !== null));
}

/**
 * Errors that come from what the message contains, not from the moment: the
 * database refusing a value (SQLSTATE class 22, data exception; 54000, a value
 * past a limit) or the cipher refusing a plaintext. Retrying cannot help.
 */
function isUnstorableContent(err: unknown): boolean {
  if (isDatabaseUnavailable(err)) return false;
  if (err instanceof AppError) return err.code === 'validation_failed' || err.code === 'payload_too_large';
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code === '54000');
}

/** Sensitive-data types a metric label may name (anything else counts as `other`). */
const KNOWN_TYPES: ReadonlySet<string> = new Set(SENSITIVE_TYPES);

async function storeForMailbox(deps: HelpdeskDeps, options: IngestOptions, envelope: InboundEnvelope, parsed: ParsedMessage, mailbox: MailboxRoute, ingestNotes: string[]): Promise<IngestOutcome> {
  const { hooks } = options;
  const orgId = mailbox.orgId;
  const malformed = checkMessageShape(envelope.raw, parsed);
  let threat: Analysis | null = null;
  if (malformed.length === 0) {
    const org = await deps.db.selectFrom('organizations').where('id', '=', orgId).select('name').executeTakeFirst();
    const domains = await deps.db.selectFrom('mailboxes').where('org_id', '=', orgId).select('address').execute();
    threat = await timeIngestStage('threats', () => hooks.analyzeThreats({
      parsed,
      raw: envelope.raw,
      orgId,
      orgName: org?.name ?? '',
      orgDomains: [...new Set(domains.map((d) => d.address.split('@')[1] ?? '').filter(Boolean))],
      envelope,
    }));
    if (threat) phishingVerdicts.inc({ verdict: threat.verdict });
  }
  const { policy, scan, raw, files } = await timeIngestStage('redact', () => redactForStorage(deps, hooks, orgId, parsed, envelope.raw, options.maxAttachmentBytes));
  for (const r of scan.redactions) dlpFindings.inc({ type: KNOWN_TYPES.has(r.type) ? r.type : 'other', action: r.action });
  const notes = [...(raw.rebuilt ? ['raw_rebuilt'] : []), ...ingestNotes];

  if (malformed.length > 0 || threat?.verdict === 'phishing') {
    const reason = malformed.length > 0 ? 'malformed' : 'phishing';
    const codes = malformed.length > 0 ? malformed : (threat?.reasons.map((r) => r.code) ?? []);
    const q = await quarantineMessage(deps, { orgId, mailboxId: mailbox.id, reason, codes: [...codes, ...notes], raw: raw.raw, threat, redactions: scan.redactions }, options.withinStore);
    await safeNotify(deps, hooks, { type: 'message.quarantined', orgId, quarantineId: q });
    return { outcome: 'quarantined', quarantineId: q, reason, codes, orgId };
  }

  const from = parsed.from as NonNullable<ParsedMessage['from']>;
  const auto = detectAutoSubmitted({ headers: parsed.headers, envelopeFrom: envelope.mailFrom, fromAddress: from.address });
  const ownId = normalizeMessageId(parsed.headers.get('message-id')?.[0] ?? '');
  const refs = [...parseMessageIdList(parsed.headers.get('references')?.join(' ') ?? ''), ...parseMessageIdList(parsed.headers.get('in-reply-to')?.join(' ') ?? '')];

  // The same message delivered twice (a retry after a lost 250, or several connections at once): one copy (decision 0102).
  const ownIdHash = ownId ? hashMessageId(deps.mailKeys, orgId, ownId) : null;
  const result = await timeIngestStage('store', () => deps.db.transaction().execute(async (trx) => {
    if (ownIdHash) {
      await lockMessageId(trx, orgId, ownIdHash);
      const dup = await findStoredCopy(trx, orgId, ownIdHash);
      if (dup) return { outcome: 'duplicate' as const, ticketId: dup.ticket_id, messageId: dup.id, orgId };
    }
    // The organisation's inbound messages per day (decision 0235): taken with the message, given back if it rolls back.
    const counted = await takeInbound(trx, orgId);
    const sender = await findOrCreateSender(trx, deps, { orgId, address: from.address, name: from.name });
    const thread = await findThread(trx, deps, { orgId, recipients: envelope.rcptTo, messageIds: refs, subject: parsed.subject, senderCustomerId: sender.id });
    const now = new Date();
    let ticketId: string;
    if (thread) {
      ticketId = thread.ticketId;
      // A machine's answer (out-of-office, bounce) is recorded but does not reopen the ticket.
      const reopen: TicketStatus = !auto && ['pending', 'on_hold', 'solved'].includes(thread.status) ? 'open' : thread.status;
      await trx.updateTable('tickets').set({ status: reopen, last_message_at: now, updated_at: now, ...(reopen === 'open' ? { solved_at: null } : {}) }).where('id', '=', ticketId).execute();
    } else {
      // Routing rules may send the ticket to another team or person than the mailbox's default.
      const routed = await routeNewTicket(trx, orgId, { mailboxId: mailbox.id, senderAddress: parsed.from?.address ?? null, subject: scan.subject, defaultTeamId: mailbox.teamId });
      const t = await insertTicket(trx, deps, {
        orgId,
        subject: scan.subject || '(no subject)',
        channel: 'email',
        requesterId: sender.id,
        teamId: routed.teamId ?? mailbox.teamId,
        mailboxId: mailbox.id,
        tags: [...(auto ? ['auto-submitted'] : []), ...routed.tags],
        ...(routed.assigneeId ? { assigneeId: routed.assigneeId } : {}),
        ...(routed.priority ? { priority: routed.priority } : {}),
      });
      ticketId = t.id;
      await deps.audit.append(trx, { orgId, actor: SYSTEM, action: 'ticket.create', object: { type: 'ticket', id: ticketId }, subjectCustomerId: sender.id, result: 'success', details: { channel: 'email', mailboxId: mailbox.id } });
    }
    const messageId = randomUUID();
    const attachmentRedactions: StoredRedaction[] = [];
    await insertMessage(trx, deps, {
      id: messageId,
      orgId,
      ticketId,
      kind: 'inbound_email',
      authorType: 'customer',
      customerId: sender.id,
      body: scan.body,
      html: scan.html || null,
      raw: raw.raw,
      messageId: ownId || null,
      autoSubmitted: auto !== null,
      redactions: scan.redactions,
      threat,
    });
    const stored = await storeAttachments(trx, deps, { blobs: options.blobs, orgId, messageId, customerId: sender.id, attachments: parsed.attachments, maxBytes: options.maxAttachmentBytes, scan: (texts) => hooks.scanSensitiveData(texts, policy), redactions: attachmentRedactions, files });
    if (!thread) await queueAcknowledgement(trx, deps, { orgId, ticketId, mailboxId: mailbox.id, customerId: sender.id, autoSubmitted: auto, verdict: threat?.verdict ?? null });
    // The first time a customer emails sensitive data: one notice pointing to the secure way (decision 0214).
    const removedTypes = [...new Set([...scan.redactions, ...attachmentRedactions].filter((r) => r.action === 'redact').map((r) => r.type))];
    await queueSensitiveNotice(trx, deps, { orgId, ticketId, customerId: sender.id, removedTypes, autoSubmitted: auto !== null, verdict: threat?.verdict ?? null });
    if (attachmentRedactions.length) {
      await trx.updateTable('messages').set({ redactions: JSON.stringify([...scan.redactions, ...attachmentRedactions]) }).where('id', '=', messageId).execute();
    }
    await deps.audit.append(trx, {
      orgId,
      actor: SYSTEM,
      action: 'email.receive',
      object: { type: 'message', id: messageId },
      subjectCustomerId: sender.id,
      result: 'success',
      details: {
        ticketId,
        mailboxId: mailbox.id,
        threadedBy: thread?.via ?? null,
        autoSubmitted: auto,
        verdict: threat?.verdict ?? null,
        redactions: scan.redactions.length + attachmentRedactions.length,
        attachments: stored.count,
        dangerousAttachments: stored.dangerous,
        rawRebuilt: raw.rebuilt,
        ...(ingestNotes.length ? { notes: ingestNotes } : {}),
      },
    });
    await notifyCustomerMessage(trx, { orgId, ticketId, newTicket: !thread, automatic: auto !== null });
    if (options.withinStore) await options.withinStore(trx, orgId);
    return { outcome: thread ? ('threaded' as const) : ('ticket_created' as const), ticketId, messageId, orgId, autoSubmitted: auto !== null, counted };
  }).catch(async (err: unknown) => {
    // Another instance stored it between our check and our insert: the constraint said no, and that copy stands.
    const dup = ownIdHash && isStoredCopyConflict(err) ? await findStoredCopy(deps.db, orgId, ownIdHash) : undefined;
    if (!dup) throw err;
    return { outcome: 'duplicate' as const, ticketId: dup.ticket_id, messageId: dup.id, orgId };
  }));
  if (result.outcome !== 'duplicate') {
    if (!result.counted) await countStored(deps, orgId);
    await safeNotify(deps, hooks, { type: result.outcome === 'threaded' ? 'message.received' : 'ticket.created', orgId, ticketId: result.ticketId, messageId: result.messageId, autoSubmitted: result.autoSubmitted });
  }
  return { outcome: result.outcome, ticketId: result.ticketId, messageId: result.messageId, orgId };
}

/** Usage of an organisation without an inbound limit, counted after storing: never fatal, the message is stored. */
async function countStored(deps: HelpdeskDeps, orgId: string): Promise<void> {
  try {
    await countInbound(deps.db, orgId);
  } catch (err) {
    deps.logger.warn({ err }, 'inbound message stored but not counted');
  }
}

async function safeNotify(deps: HelpdeskDeps, hooks: IngestHooks, event: Parameters<IngestHooks['notify']>[0]): Promise<void> {
  // The message is already stored: a failing notifier is logged, never fatal.
  try {
    await hooks.notify(event);
  } catch (err) {
    deps.logger.warn({ err, event: event.type }, 'ingest notifier failed');
  }
}

function stripTags(html: string): string {
  return html.replace(/<[^>]{0,2000}>/g, ' ').replace(/\s+/g, ' ').trim();
}
