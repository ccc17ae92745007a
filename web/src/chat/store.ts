/**
 * The conversation as the frame holds it, as pure functions over plain data so
 * that a reload or a dropped socket loses nothing and shows nothing twice:
 *
 * - Stored messages are kept by `seq`, one per seq, in seq order; the server's
 *   copy of a seq always replaces ours (it is the redacted one).
 * - A message the customer sends is `pending` under its clientId until the ack
 *   or the message frame with that clientId arrives; every pending message is
 *   sent again after each reconnect (the server stores a clientId once).
 * - `lastSeq`, the `after` of the next auth, only passes seqs that were all
 *   seen: an ack for seq 9 can arrive before the agent's seq 8 (fanned out from
 *   another instance), and resuming after 9 would lose 8. Catching up after
 *   `ready` closes any gap up to the server's lastSeq, so a missing seq can
 *   never hold the resume point back for long.
 */
import type { AckFrame, MessageFrame } from './protocol.js';

export type StoredMessage = Omit<MessageFrame, 'type'>;

export interface PendingMessage {
  clientId: string;
  body: string;
  /** Set once the socket was asked to send it; still resent until acknowledged. */
  sent: boolean;
  /** Not accepted by the server (the chat ended): shown as not sent, never resent. */
  failed: boolean;
}

export interface ChatState {
  lastSeq: number;
  /** The server's lastSeq from `ready` while the catch-up up to it is still arriving. */
  catchUpTo: number | null;
  messages: StoredMessage[];
  pending: PendingMessage[];
}

/** At most this many messages are kept (and saved in sessionStorage); older ones are before lastSeq anyway. */
export const KEEP_MESSAGES = 300;

export function emptyChat(): ChatState {
  return { lastSeq: 0, catchUpTo: null, messages: [], pending: [] };
}

/** Moves lastSeq over every seq now present, and past the catch-up point once it has arrived. */
function advance(state: ChatState): ChatState {
  let { lastSeq, catchUpTo } = state;
  const seqs = new Set(state.messages.map((m) => m.seq));
  if (catchUpTo !== null && (catchUpTo <= lastSeq || seqs.has(catchUpTo))) {
    lastSeq = Math.max(lastSeq, catchUpTo);
    catchUpTo = null;
  }
  while (seqs.has(lastSeq + 1)) lastSeq++;
  return lastSeq === state.lastSeq && catchUpTo === state.catchUpTo ? state : { ...state, lastSeq, catchUpTo };
}

/** Inserts or replaces by seq, keeping seq order and the newest KEEP_MESSAGES. */
function upsert(messages: readonly StoredMessage[], message: StoredMessage): StoredMessage[] {
  const out = messages.filter((m) => m.seq !== message.seq);
  let i = out.length;
  while (i > 0 && (out[i - 1] as StoredMessage).seq > message.seq) i--;
  out.splice(i, 0, message);
  return out.length > KEEP_MESSAGES ? out.slice(out.length - KEEP_MESSAGES) : out;
}

/** A message typed by the customer, before the socket has it. */
export function addPending(state: ChatState, clientId: string, body: string): ChatState {
  if (state.pending.some((p) => p.clientId === clientId)) return state;
  return { ...state, pending: [...state.pending, { clientId, body, sent: false, failed: false }] };
}

/** The socket took these pending messages (sent at least once). */
export function markSent(state: ChatState, clientIds: readonly string[]): ChatState {
  const ids = new Set(clientIds);
  return { ...state, pending: state.pending.map((p) => (ids.has(p.clientId) && !p.sent ? { ...p, sent: true } : p)) };
}

/** Pending messages to (re)send, oldest first. */
export function toResend(state: ChatState): PendingMessage[] {
  return state.pending.filter((p) => !p.failed);
}

/** The server refused every unacknowledged message for good (the chat ended): keep them visible as not sent. */
export function failPending(state: ChatState): ChatState {
  return state.pending.length === 0 ? state : { ...state, pending: state.pending.map((p) => ({ ...p, failed: true })) };
}

/** Drops a message that was not sent (the customer chose to discard it). */
export function discardPending(state: ChatState, clientId: string): ChatState {
  return { ...state, pending: state.pending.filter((p) => p.clientId !== clientId) };
}

/** A message frame: replaces whatever we had at its seq and settles the pending message with its clientId. */
export function applyMessage(state: ChatState, message: StoredMessage): ChatState {
  const pending = message.clientId === null ? state.pending : state.pending.filter((p) => p.clientId !== message.clientId);
  // A message already shown at another seq cannot be (one clientId is stored once); drop a stale copy all the same.
  const messages = message.clientId === null ? state.messages : state.messages.filter((m) => m.clientId !== message.clientId || m.seq === message.seq);
  return advance({ ...state, pending, messages: upsert(messages, message) });
}

/**
 * An ack: the pending message becomes the stored one at `seq`. When the server redacted it, `ownCopy` gives
 * the text to keep (the server's, or ours with the same spans removed); null keeps no text at all.
 */
export function applyAck(state: ChatState, ack: Omit<AckFrame, 'type'>, ownCopy: (body: string, redacted: readonly string[]) => string | null, now: string): ChatState {
  const pending = state.pending.find((p) => p.clientId === ack.clientId);
  const rest = state.pending.filter((p) => p.clientId !== ack.clientId);
  if (!pending || state.messages.some((m) => m.seq === ack.seq)) return advance({ ...state, pending: rest });
  const body = ack.body ?? (ack.redacted.length > 0 ? ownCopy(pending.body, ack.redacted) : pending.body);
  const stored: StoredMessage = {
    seq: ack.seq,
    id: '',
    clientId: ack.clientId,
    author: 'customer',
    name: '',
    body: body ?? '',
    at: now,
    redacted: ack.redacted,
    attachments: [],
  };
  return advance({ ...state, pending: rest, messages: upsert(state.messages, stored) });
}

/** `ready` after auth: the server will now send every seq after ours up to `lastSeq`. */
export function applyReady(state: ChatState, serverLastSeq: number): ChatState {
  return advance({ ...state, catchUpTo: serverLastSeq > state.lastSeq ? serverLastSeq : null });
}

/** Whether a stored message had its text withheld (redacted by the server and not reproducible here). */
export function isWithheld(message: StoredMessage): boolean {
  return message.body === '' && message.redacted.length > 0 && message.attachments.length === 0;
}

function isStoredMessage(v: unknown): v is StoredMessage {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return typeof m.seq === 'number' && typeof m.body === 'string' && typeof m.author === 'string' && Array.isArray(m.redacted) && Array.isArray(m.attachments);
}

function isPending(v: unknown): v is PendingMessage {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  return typeof p.clientId === 'string' && typeof p.body === 'string';
}

/** A saved state read back; anything unreadable becomes an empty conversation rather than an error. */
export function reviveChat(value: unknown): ChatState {
  if (typeof value !== 'object' || value === null) return emptyChat();
  const v = value as Record<string, unknown>;
  const lastSeq = typeof v.lastSeq === 'number' && Number.isSafeInteger(v.lastSeq) && v.lastSeq >= 0 ? v.lastSeq : 0;
  const messages = Array.isArray(v.messages) ? v.messages.filter(isStoredMessage).sort((a, b) => a.seq - b.seq) : [];
  const pending = Array.isArray(v.pending) ? v.pending.filter(isPending).map((p) => ({ clientId: p.clientId, body: p.body, sent: p.sent === true, failed: p.failed === true })) : [];
  // The catch-up point belongs to one connection; a reload authenticates again.
  return { lastSeq, catchUpTo: null, messages, pending };
}
