/**
 * Notification emails, batched (decision 0147): a person has at most one
 * digest waiting (notification_emails), and it goes out no sooner than
 * `intervalMinutes` after the previous one, so a flood of events becomes one
 * email ("5 updates on 3 tickets"). The worker claims due digests like the
 * other durable queues (lease, SKIP LOCKED, backoff), composes the email from
 * the notifications waiting for it, sends it through the transactional mailer
 * and clears them in one transaction: a failed send leaves them waiting.
 *
 * An email names tickets by number and links to them; it never carries the
 * subject or anything else of the customer's (it leaves the installation).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { backoffDelay, claimDueRows, type BackoffPolicy } from '../../platform/db/work-queue.js';
import type { Mailer } from '../../platform/notify/mailer.js';
import type { Logger } from '../../platform/logging.js';
import { queueDigest } from './notify.js';
import { ticketReaders } from './recipients.js';
import type { NotificationKind } from './schema.js';
import './schema.js';

export const DEFAULT_EMAIL_INTERVAL_MINUTES = 10;
const BACKOFF: BackoffPolicy = { baseMs: 60_000, maxMs: 3600_000, maxAttempts: 8 };
/** Lines listed in one digest; the rest are counted. */
const MAX_LINES = 20;

export interface DigestDeps {
  db: Kysely<Database>;
  mailer: Mailer;
  publicUrl: string;
  logger?: Logger;
  intervalMinutes?: number;
  now?: Date;
}

const PHRASES: Record<NotificationKind, (n: number) => string> = {
  assigned: () => 'assigned to you',
  new_ticket: () => 'new in your team’s queue',
  customer_reply: (n) => (n === 1 ? 'the customer replied' : `the customer replied ${n} times`),
  mention: (n) => (n === 1 ? 'you were mentioned in a note' : `you were mentioned in ${n} notes`),
  sla_breach: () => 'SLA target about to be missed',
  chat_waiting: () => 'a chat is waiting',
  training_due: () => 'security training due',
  policy_attestation: () => 'data-handling policy to confirm',
  new_device: () => 'your account was used from a new device or network',
};

interface Line {
  ticketId: string | null;
  number: number | null;
  kind: NotificationKind;
  count: number;
}

/** Pure: the digest's subject and text. */
export function composeDigest(lines: readonly Line[], publicUrl: string): { subject: string; text: string } {
  const base = publicUrl.replace(/\/$/, '');
  const events = lines.reduce((s, l) => s + l.count, 0);
  const tickets = new Set(lines.map((l) => l.ticketId)).size;
  const first = lines[0];
  const subject =
    lines.length === 1 && first && first.number !== null
      ? `Ticket #${first.number}: ${PHRASES[first.kind](first.count)}`
      : `${events} ${events === 1 ? 'update' : 'updates'} on ${tickets} ${tickets === 1 ? 'ticket' : 'tickets'}`;
  const shown = lines.slice(0, MAX_LINES).map((l) => (l.number === null ? `- ${PHRASES[l.kind](l.count)}` : `- #${l.number}: ${PHRASES[l.kind](l.count)}\n  ${base}/tickets/${l.ticketId}`));
  const more = lines.length > MAX_LINES ? [`…and ${lines.length - MAX_LINES} more: ${base}/tickets`] : [];
  const text = [
    'Hello,',
    '',
    `${subject}:`,
    '',
    ...shown,
    ...more,
    '',
    'Tickets are named by number only; open them in Trustdesk to read them.',
    `Choose what you are told, and how: ${base}/account/notifications`,
  ].join('\n');
  return { subject: `[Trustdesk] ${subject}`, text };
}

export interface DigestResult {
  sent: number;
  deferred: number;
  skipped: number;
  retried: number;
  failed: number;
}

/** One pass over the due digests. Safe on several instances at once. */
export async function processNotificationEmails(deps: DigestDeps, options: { limit?: number } = {}): Promise<DigestResult> {
  const now = deps.now ?? new Date();
  const intervalMs = (deps.intervalMinutes ?? DEFAULT_EMAIL_INTERVAL_MINUTES) * 60_000;
  const result: DigestResult = { sent: 0, deferred: 0, skipped: 0, retried: 0, failed: 0 };
  const rows = await claimDueRows<{ id: string; org_id: string; user_id: string; attempts: number }, Database>(deps.db, {
    table: 'notification_emails',
    columns: ['id', 'org_id', 'user_id', 'attempts'],
    limit: options.limit ?? 50,
    leaseMs: 5 * 60_000,
    now,
  });
  for (const row of rows) {
    try {
      const outcome = await sendDigest(deps, row, now, intervalMs);
      result[outcome] += 1;
    } catch (err) {
      const exhausted = row.attempts >= BACKOFF.maxAttempts;
      deps.logger?.warn({ notificationEmailId: row.id, attempt: row.attempts, exhausted }, 'notification email not delivered');
      await deps.db
        .updateTable('notification_emails')
        .set({ status: exhausted ? 'failed' : 'queued', locked_until: null, last_error: errorKind(err), next_attempt_at: new Date(now.getTime() + backoffDelay(row.attempts, BACKOFF)) })
        .where('id', '=', row.id)
        .execute();
      result[exhausted ? 'failed' : 'retried'] += 1;
    }
  }
  return result;
}

type Prepared =
  | { outcome: 'deferred' }
  | { outcome: 'skipped' }
  | { outcome: 'send'; to: string; subject: string; text: string; taken: string[]; emailOnly: string[]; events: number; tickets: number };

/**
 * Takes the person's waiting notifications (locked, cleared) and composes the digest in one short
 * transaction; the mail is sent after it commits, so no ticket change ever waits on the relay. A failed
 * send puts the notifications back in waiting and the row retries with backoff.
 */
async function sendDigest(deps: DigestDeps, row: { id: string; org_id: string; user_id: string; attempts: number }, now: Date, intervalMs: number): Promise<'sent' | 'deferred' | 'skipped'> {
  const settle = (status: 'sent' | 'skipped', counts: { events: number; tickets: number } | null) =>
    deps.db.updateTable('notification_emails').set({ status, locked_until: null, sent_at: status === 'sent' ? now : null, events: counts?.events ?? null, tickets: counts?.tickets ?? null }).where('id', '=', row.id).execute();
  const prepared = await deps.db.transaction().execute(async (trx): Promise<Prepared> => {
    const last = await trx.selectFrom('notification_emails').where('user_id', '=', row.user_id).where('sent_at', 'is not', null).select(sql<Date>`max(sent_at)`.as('at')).executeTakeFirst();
    const lastAt = last?.at ? new Date(last.at) : null;
    if (lastAt && now.getTime() - lastAt.getTime() < intervalMs) {
      // Too soon after the previous digest: wait, folding whatever else arrives meanwhile. Not an attempt.
      await trx.updateTable('notification_emails').set({ status: 'queued', locked_until: null, attempts: row.attempts - 1, next_attempt_at: new Date(lastAt.getTime() + intervalMs) }).where('id', '=', row.id).execute();
      return { outcome: 'deferred' };
    }
    const user = await trx.selectFrom('users').where('id', '=', row.user_id).where('status', '=', 'active').select(['id', 'email']).executeTakeFirst();
    // Locked while taken, so an event folding into one of them waits for this short transaction only.
    const waiting = await trx
      .selectFrom('notifications')
      .where('user_id', '=', row.user_id)
      .where('email_pending', '=', true)
      .select(['id', 'kind', 'count', 'ticket_id', 'in_app'])
      .orderBy('updated_at', 'desc')
      .forUpdate()
      .execute();
    const taken = waiting.map((w) => w.id);
    if (taken.length) await trx.updateTable('notifications').set({ email_pending: false }).where('id', 'in', taken).execute();
    const emailOnly = waiting.filter((w) => !w.in_app).map((w) => w.id);
    if (!user || waiting.length === 0) return { outcome: 'skipped' };
    const ids = [...new Set(waiting.map((p) => p.ticket_id).filter((id): id is string => id !== null))];
    const numbers = new Map((ids.length ? await trx.selectFrom('tickets').where('id', 'in', ids).select(['id', 'number']).execute() : []).map((t) => [t.id, Number(t.number)]));
    // Only tickets the person may still read when the email leaves.
    const readable = new Set<string>();
    for (const id of ids) if ((await ticketReaders(trx, id, [row.user_id])).length) readable.add(id);
    const lines: Line[] = waiting
      .filter((p) => p.ticket_id === null || readable.has(p.ticket_id))
      .map((p) => ({ ticketId: p.ticket_id, number: p.ticket_id ? (numbers.get(p.ticket_id) ?? null) : null, kind: p.kind, count: p.count }));
    if (lines.length === 0) return { outcome: 'skipped' };
    const { subject, text } = composeDigest(lines, deps.publicUrl);
    return { outcome: 'send', to: user.email, subject, text, taken, emailOnly, events: lines.reduce((s, l) => s + l.count, 0), tickets: new Set(lines.map((l) => l.ticketId)).size };
  });
  if (prepared.outcome === 'deferred') return 'deferred';
  if (prepared.outcome === 'skipped') {
    await settle('skipped', null);
    return 'skipped';
  }
  try {
    await deps.mailer.send({ to: prepared.to, subject: prepared.subject, text: prepared.text });
  } catch (err) {
    await deps.db.updateTable('notifications').set({ email_pending: true }).where('id', 'in', prepared.taken).execute();
    throw err;
  }
  // Email-only notifications have done their work once mailed.
  if (prepared.emailOnly.length) await deps.db.updateTable('notifications').set({ read_at: now }).where('id', 'in', prepared.emailOnly).where('read_at', 'is', null).execute();
  await settle('sent', { events: prepared.events, tickets: prepared.tickets });
  return 'sent';
}

/**
 * Events that arrived while a digest was being sent found it 'sending' and queued nothing:
 * after each pass, anyone with notifications still waiting for email gets a digest queued.
 */
export async function requeueWaitingDigests(db: Kysely<Database>): Promise<number> {
  const waiting = await db
    .selectFrom('notifications')
    .where('email_pending', '=', true)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('notification_emails').whereRef('notification_emails.user_id', '=', 'notifications.user_id').where('notification_emails.status', 'in', ['queued', 'sending']).select('notification_emails.id'))))
    .select(['user_id', 'org_id'])
    .distinct()
    .limit(500)
    .execute();
  for (const w of waiting) await queueDigest(db, w.org_id, w.user_id);
  return waiting.length;
}

function errorKind(err: unknown): string {
  const code = (err as { responseCode?: unknown; code?: unknown } | null)?.responseCode ?? (err as { code?: unknown } | null)?.code;
  if (typeof code === 'number') return `smtp ${code}`;
  return typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code) ? code.toLowerCase() : 'error';
}
