/**
 * The one ingest pipeline for inbound email:
 *   parse → shape check → threat analysis (hook) → sensitive-data scan (hook)
 *   → encrypt → store (one transaction, attachments sealed first) → audit → notify (hook)
 * It returns only when the message is durably stored (as a ticket message or in
 * quarantine), so the SMTP server can answer 250 after it and a failure before
 * it makes the sender retry: nothing is lost and nothing half-written survives.
 */
import { randomUUID } from 'node:crypto';
import type { BlobStore } from '../blobs/store.js';
import type { SensitiveType } from '../dlp/index.js';
import { detectAutoSubmitted } from '../mail/loops.js';
import type { MailboxRoute } from '../mail/mailboxes.js';
import { checkMessageShape } from '../mail/shape.js';
import { hashMessageId, normalizeMessageId, parseMessageIdList } from '../mail/threading.js';
import { parseRawMessage, type Analysis, type ParsedMessage } from '../phishing/index.js';
import type { HelpdeskDeps } from '../tickets/context.js';
import { insertMessage, insertTicket } from '../tickets/records.js';
import type { StoredRedaction, TicketStatus } from '../tickets/schema.js';
import { storeAttachments } from './attachments.js';
import type { IngestHooks } from './hooks.js';
import { quarantineMessage } from './quarantine.js';
import { redactRawMessage } from './raw.js';
import { findOrCreateSender } from './sender.js';
import { findThread } from './thread.js';
import { loadOrgDlp } from '../dlp-policy/org-policy.js';
import { routeNewTicket } from '../routing/routing.js';

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
}

export type IngestOutcome =
  | { outcome: 'ticket_created' | 'threaded'; ticketId: string; messageId: string; orgId: string }
  | { outcome: 'duplicate'; ticketId: string; messageId: string; orgId: string }
  | { outcome: 'quarantined'; quarantineId: string; reason: string; codes: string[]; orgId: string };

const SYSTEM = { type: 'system' as const, id: 'mail-in' };

/** Ingests one message for each organisation it is addressed to (usually one). */
export async function ingestInboundEmail(deps: HelpdeskDeps, options: IngestOptions, envelope: InboundEnvelope, routes: MailboxRoute[]): Promise<IngestOutcome[]> {
  const parsed = await parseRawMessage(envelope.raw, { maxAttachmentBytes: options.maxAttachmentBytes * 4 });
  const byOrg = new Map<string, MailboxRoute>();
  for (const r of routes) if (!byOrg.has(r.orgId)) byOrg.set(r.orgId, r);
  const out: IngestOutcome[] = [];
  for (const mailbox of byOrg.values()) out.push(await ingestForMailbox(deps, options, envelope, parsed, mailbox));
  return out;
}

async function ingestForMailbox(deps: HelpdeskDeps, options: IngestOptions, envelope: InboundEnvelope, parsed: ParsedMessage, mailbox: MailboxRoute): Promise<IngestOutcome> {
  const { hooks } = options;
  const orgId = mailbox.orgId;
  const malformed = checkMessageShape(envelope.raw, parsed);
  let threat: Analysis | null = null;
  if (malformed.length === 0) {
    const org = await deps.db.selectFrom('organizations').where('id', '=', orgId).select('name').executeTakeFirst();
    const domains = await deps.db.selectFrom('mailboxes').where('org_id', '=', orgId).select('address').execute();
    threat = await hooks.analyzeThreats({
      parsed,
      raw: envelope.raw,
      orgId,
      orgName: org?.name ?? '',
      orgDomains: [...new Set(domains.map((d) => d.address.split('@')[1] ?? '').filter(Boolean))],
      envelope,
    });
  }
  // Sensitive data out of every text before anything is stored, the raw message included.
  const { policy } = await loadOrgDlp(deps.db, orgId);
  const scan = hooks.scanSensitiveData({ subject: parsed.subject, body: parsed.text, html: parsed.html }, policy);
  const redactedTypes = [...new Set(scan.redactions.filter((r) => r.action === 'redact').map((r) => r.type as SensitiveType))];
  const raw = await redactRawMessage(envelope.raw, { redactedTypes, redactedBody: scan.body || stripTags(scan.html) });
  const notes = raw.rebuilt ? ['raw_rebuilt'] : [];

  if (malformed.length > 0 || threat?.verdict === 'phishing') {
    const reason = malformed.length > 0 ? 'malformed' : 'phishing';
    const codes = malformed.length > 0 ? malformed : (threat?.reasons.map((r) => r.code) ?? []);
    const q = await quarantineMessage(deps, { orgId, mailboxId: mailbox.id, reason, codes: [...codes, ...notes], raw: raw.raw, threat, redactions: scan.redactions });
    await safeNotify(deps, hooks, { type: 'message.quarantined', orgId, quarantineId: q });
    return { outcome: 'quarantined', quarantineId: q, reason, codes, orgId };
  }

  const from = parsed.from as NonNullable<ParsedMessage['from']>;
  const auto = detectAutoSubmitted({ headers: parsed.headers, envelopeFrom: envelope.mailFrom, fromAddress: from.address });
  const ownId = normalizeMessageId(parsed.headers.get('message-id')?.[0] ?? '');
  const refs = [...parseMessageIdList(parsed.headers.get('references')?.join(' ') ?? ''), ...parseMessageIdList(parsed.headers.get('in-reply-to')?.join(' ') ?? '')];

  const result = await deps.db.transaction().execute(async (trx) => {
    if (ownId) {
      // The same message delivered twice (a retry after a lost 250): keep one copy.
      const dup = await trx
        .selectFrom('messages')
        .where('org_id', '=', orgId)
        .where('message_id_hash', '=', hashMessageId(deps.mailKeys, orgId, ownId))
        .where('kind', '=', 'inbound_email')
        .select(['id', 'ticket_id'])
        .executeTakeFirst();
      if (dup) return { outcome: 'duplicate' as const, ticketId: dup.ticket_id, messageId: dup.id, orgId };
    }
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
      const routed = await routeNewTicket(trx, orgId, { mailboxId: mailbox.id, senderAddress: parsed.from?.address ?? null, subject: scan.subject });
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
    const stored = await storeAttachments(trx, deps, { blobs: options.blobs, orgId, messageId, customerId: sender.id, attachments: parsed.attachments, maxBytes: options.maxAttachmentBytes, scan: (texts) => hooks.scanSensitiveData(texts, policy), redactions: attachmentRedactions });
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
      },
    });
    return { outcome: thread ? ('threaded' as const) : ('ticket_created' as const), ticketId, messageId, orgId, autoSubmitted: auto !== null };
  });
  if (result.outcome !== 'duplicate') {
    await safeNotify(deps, hooks, { type: result.outcome === 'threaded' ? 'message.received' : 'ticket.created', orgId, ticketId: result.ticketId, messageId: result.messageId, autoSubmitted: result.autoSubmitted });
  }
  return { outcome: result.outcome, ticketId: result.ticketId, messageId: result.messageId, orgId };
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
