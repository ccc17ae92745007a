/**
 * Small pieces the agent screens share: labels for statuses, priorities,
 * sensitive-data types and threat codes (through i18n, falling back to the
 * code), the SLA clock, file sizes, and message text with safe links.
 */
import { Fragment, type ReactNode } from 'react';
import type { Static } from 'typebox';
import type { TicketDetail, TicketSummary } from '../../../src/platform/http/schemas/tickets.js';
import { formatDateTime, formatDuration, hasMessage, t } from '../i18n/index.js';
import { Badge } from '../ui/notices.js';
import { withRedactionMarkers } from '../ui/redacted.js';

export type Ticket = Static<typeof TicketDetail>;
export type Summary = Static<typeof TicketSummary>;
export type Message = Ticket['messages'][number];

/** A message from a code-keyed family ('agent.status.open'), or the code itself when there is none. */
export function label(prefix: string, code: string): string {
  const key = `${prefix}.${code}`;
  return hasMessage(key) ? t(key) : code;
}

const STATUS_TONE: Record<string, 'neutral' | 'info' | 'success' | 'warning' | 'danger'> = {
  new: 'info', open: 'info', pending: 'warning', on_hold: 'neutral', solved: 'success', closed: 'neutral',
};
const PRIORITY_TONE: Record<string, 'neutral' | 'info' | 'success' | 'warning' | 'danger'> = {
  low: 'neutral', normal: 'neutral', high: 'warning', urgent: 'danger',
};

/** The messages the page shows: empty holder notes left behind by uploads are not part of the conversation. */
export function visibleMessages(ticket: Ticket): Message[] {
  return ticket.messages.filter((m) => !(m.kind === 'internal_note' && m.body === '' && m.attachments.length === 0));
}

/** How the console names a colleague: "You", their name, or "A colleague" when the page did not carry it. */
export function personName(staff: ReadonlyArray<{ id: string; name: string }>, id: string | null, myId: string): string {
  if (id === null) return t('agent.list.unassigned');
  if (id === myId) return t('agent.list.you');
  return staff.find((s) => s.id === id)?.name ?? t('agent.list.someoneElse');
}

export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={STATUS_TONE[status] ?? 'neutral'}>{label('agent.status', status)}</Badge>;
}

export function PriorityBadge({ priority }: { priority: string }) {
  return <Badge tone={PRIORITY_TONE[priority] ?? 'neutral'}>{label('agent.priority', priority)}</Badge>;
}

/** The SLA target that matters now: first response until it is given, then resolution. */
export function nextDue(t: Summary): { kind: 'firstResponse' | 'resolution'; at: string } | null {
  if (t.status === 'solved' || t.status === 'closed') return null;
  if (!t.firstResponseAt && t.firstResponseDueAt) return { kind: 'firstResponse', at: t.firstResponseDueAt };
  if (t.resolutionDueAt) return { kind: 'resolution', at: t.resolutionDueAt };
  return null;
}

/** "due in 2 h" or "overdue by 15 min", with the exact time on hover; overdue is highlighted. */
export function SlaClock({ at, now = Date.now() }: { at: string; now?: number }) {
  const diff = Date.parse(at) - now;
  const overdue = diff < 0;
  return (
    <time dateTime={at} title={formatDateTime(at)} className={overdue ? 'sla sla--overdue' : 'sla'}>
      {overdue ? t('time.overdue', { duration: formatDuration(diff) }) : t('time.dueIn', { duration: formatDuration(diff) })}
    </time>
  );
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return t('agent.file.bytes', { n: bytes });
  if (bytes < 1024 * 1024) return t('agent.file.kb', { n: (bytes / 1024).toFixed(1) });
  return t('agent.file.mb', { n: (bytes / 1024 / 1024).toFixed(1) });
}

/** The link warning page for a URL found in a message. */
export function linkWarningHref(url: string, ticketId: string, messageId: string): string {
  const q = new URLSearchParams({ url, ticket: ticketId, message: messageId });
  return `/link?${q.toString()}`;
}

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'()]+[^\s<>"'().,;:!?]/gi;

/**
 * Message text with its web addresses as links. In a message the analyzer
 * found suspicious, every link goes through the warning page first.
 */
export function MessageText({ text, ticketId, messageId, guarded }: { text: string; ticketId: string; messageId: string; guarded: boolean }) {
  const links = (piece: string): ReactNode[] => {
    const parts: ReactNode[] = [];
    let last = 0;
    for (const match of piece.matchAll(URL_PATTERN)) {
      const url = match[0];
      const at = match.index ?? 0;
      if (at > last) parts.push(piece.slice(last, at));
      parts.push(
        guarded ? (
          <a key={at} href={linkWarningHref(url, ticketId, messageId)} className="msg__link msg__link--guarded">{url}</a>
        ) : (
          <a key={at} href={url} target="_blank" rel="noopener noreferrer" className="msg__link">{url}</a>
        ),
      );
      last = at + url.length;
    }
    if (last < piece.length) parts.push(piece.slice(last));
    return parts.map((p, i) => <Fragment key={i}>{p}</Fragment>);
  };
  // Removed values show as a readable marker, never as the stored `[redacted:…]` token.
  return <div className="msg__text">{withRedactionMarkers(text, links)}</div>;
}
