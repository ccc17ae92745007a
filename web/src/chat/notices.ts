/**
 * Plain-words notices of the frame, chosen from what happened (pure, so the
 * wording rules are tested without a browser): which sentence explains a
 * removal, and how a refused request or socket error reads.
 */
import type { RemovedKind } from './sensitive.js';
import { ct, type ChatKey } from './text.js';

const REMOVAL_TEXT: Record<RemovedKind, ChatKey> = {
  card: 'chat.sensitive.card',
  password: 'chat.sensitive.password',
  code: 'chat.sensitive.code',
  secret: 'chat.sensitive.secret',
  other: 'chat.sensitive.general',
};

/** One sentence per kind removed, most serious first as detected; the secure-link offer fits cards and keys. */
export function removalSentences(kinds: readonly RemovedKind[]): string[] {
  return kinds.map((k) => ct(REMOVAL_TEXT[k]));
}

/** Whether to offer "Ask for a secure link": the customer has something to share that chat must not carry. */
export function offersSecureLink(kinds: readonly RemovedKind[]): boolean {
  return kinds.some((k) => k === 'card' || k === 'secret' || k === 'other');
}

/** How a problem (HTTP problem+json or a socket error frame) reads: the server's safe detail when it gives one. */
export function problemText(code: string, detail: string): string {
  if (code === 'network') return ct('chat.error.network');
  if (code === 'rate_limited') return ct('chat.error.rateLimited');
  if (code === 'ended') return ct('chat.error.ended');
  if (detail) return detail;
  return ct('chat.error.generic');
}
