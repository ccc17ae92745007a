/**
 * The customer side of the chat protocol (docs/chat.md, "Protocol"): the
 * frames the frame sends and receives, and a reader that turns a text frame
 * into a typed one or null. The reader checks shapes rather than trusting
 * them, so a frame from a newer server with an unknown type or a missing
 * field is skipped instead of breaking the conversation.
 */

export type ChatStatus = 'waiting' | 'active' | 'ended';
export type Author = 'customer' | 'agent' | 'system';

export interface Attachment {
  id: string;
  filename: string;
  size: number;
  dangerous: boolean;
}

export interface MessageFrame {
  type: 'message';
  seq: number;
  id: string;
  clientId: string | null;
  author: Author;
  name: string;
  body: string;
  at: string;
  redacted: string[];
  attachments: Attachment[];
}

export interface AckFrame {
  type: 'ack';
  clientId: string;
  seq: number;
  redacted: string[];
  /** The stored (redacted) text, when the server sends it back; not in the contract yet. */
  body?: string;
}

export type ServerFrame =
  | { type: 'ready'; status: ChatStatus; lastSeq: number; agent: { name: string } | null }
  | MessageFrame
  | AckFrame
  | { type: 'status'; status: ChatStatus; agent: { name: string } | null }
  | { type: 'typing' }
  | { type: 'verify'; verificationId: string; sentTo: string; expiresAt: string }
  | { type: 'verify-result'; status: 'verified' | 'pending' | 'failed' }
  | { type: 'error'; code: string; detail: string };

export type ClientFrame =
  | { type: 'auth'; token: string; after: number }
  | { type: 'message'; clientId: string; body: string }
  | { type: 'typing' }
  | { type: 'verify'; verificationId: string; code: string }
  | { type: 'transcript' }
  | { type: 'end' };

/** Close codes the frame acts on. */
export const CLOSE = { tokenInvalid: 4401, authTimeout: 4408, flood: 4429, policy: 1008, tooLarge: 1009 } as const;

/** The longest message the server accepts. */
export const MAX_MESSAGE_LENGTH = 4000;

/** At most one typing frame in this many milliseconds. */
export const TYPING_INTERVAL_MS = 2000;

/** 1 s doubling to 30 s, the wait drawn from the upper half so retries spread out (not a secret: Math.random is fine). */
export function reconnectDelay(attempt: number, random: number): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.max(0, attempt));
  return Math.round(base / 2 + random * (base / 2));
}

export function socketUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/api/chat/socket`;
}

/**
 * A random v4 UUID for a message's clientId. From getRandomValues rather than crypto.randomUUID, which browsers
 * offer only in secure contexts (a Trustdesk tried over plain http on a LAN name would fail to send).
 */
export function newClientId(random: (bytes: Uint8Array) => Uint8Array = (b) => globalThis.crypto.getRandomValues(b)): string {
  const b = random(new Uint8Array(16));
  b[6] = ((b[6] as number) & 0x0f) | 0x40;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): v is string => typeof v === 'string';
const seqOf = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const STATUSES: readonly string[] = ['waiting', 'active', 'ended'];

/** The server's `new` (no message yet) is, for the customer, waiting like any other. */
function statusOf(v: unknown): ChatStatus | null {
  if (v === 'new') return 'waiting';
  return str(v) && STATUSES.includes(v) ? (v as ChatStatus) : null;
}
const AUTHORS: readonly string[] = ['customer', 'agent', 'system'];

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter(str) : [];
}

function agentOf(v: unknown): { name: string } | null {
  return isObject(v) && str(v.name) ? { name: v.name } : null;
}

function attachmentsOf(v: unknown): Attachment[] {
  if (!Array.isArray(v)) return [];
  const out: Attachment[] = [];
  for (const a of v) {
    if (isObject(a) && str(a.id) && str(a.filename)) out.push({ id: a.id, filename: a.filename, size: typeof a.size === 'number' ? a.size : 0, dangerous: a.dangerous === true });
  }
  return out;
}

function messageOf(f: Json): MessageFrame | null {
  // A system event (joined, ended, verified…) has no message id: its seq names it.
  if (!seqOf(f.seq) || !(str(f.id) || f.id === null) || !str(f.author) || !AUTHORS.includes(f.author)) return null;
  return {
    type: 'message',
    seq: f.seq,
    id: str(f.id) ? f.id : `event-${f.seq}`,
    clientId: str(f.clientId) ? f.clientId : null,
    author: f.author as Author,
    name: str(f.name) ? f.name : '',
    body: str(f.body) ? f.body : '',
    at: str(f.at) ? f.at : '',
    redacted: strings(f.redacted),
    attachments: attachmentsOf(f.attachments),
  };
}

/** A server text frame as a typed frame, or null when it is not one this frame understands. */
export function readServerFrame(data: unknown): ServerFrame | null {
  if (!str(data)) return null;
  let f: unknown;
  try {
    f = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isObject(f) || !str(f.type)) return null;
  switch (f.type) {
    case 'ready':
      return statusOf(f.status) && seqOf(f.lastSeq) ? { type: 'ready', status: statusOf(f.status)!, lastSeq: f.lastSeq, agent: agentOf(f.agent) } : null;
    case 'message':
      return messageOf(f);
    case 'ack':
      if (!str(f.clientId) || !seqOf(f.seq)) return null;
      return { type: 'ack', clientId: f.clientId, seq: f.seq, redacted: strings(f.redacted), ...(str(f.body) ? { body: f.body } : {}) };
    case 'status':
      return statusOf(f.status) ? { type: 'status', status: statusOf(f.status)!, agent: agentOf(f.agent) } : null;
    case 'typing':
      return { type: 'typing' };
    case 'verify':
      return str(f.verificationId) ? { type: 'verify', verificationId: f.verificationId, sentTo: str(f.sentTo) ? f.sentTo : '', expiresAt: str(f.expiresAt) ? f.expiresAt : '' } : null;
    case 'verify-result':
      return f.status === 'verified' || f.status === 'pending' || f.status === 'failed' ? { type: 'verify-result', status: f.status } : null;
    case 'error':
      return { type: 'error', code: str(f.code) ? f.code : 'internal', detail: str(f.detail) ? f.detail : '' };
    default:
      return null;
  }
}
