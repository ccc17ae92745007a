/**
 * The features an organisation's learned model counts (decision 0173): what a person reporting or
 * releasing a message would recognise again — who sent it, where its links go, what the engine
 * noticed, and the words of its subject and text. Each message gives a set (a word written a
 * thousand times counts once) of at most MAX_TOKENS_PER_MESSAGE, so no message, however long or
 * crafted, can touch more of the model than that.
 */
import { isIpHost, registrableDomain } from '../domains.js';
import type { ParsedAttachment, Reason } from '../types.js';

export const MAX_TOKENS_PER_MESSAGE = 300;
/** Words shorter or longer than this are noise (ids, base64, glued links) rather than vocabulary. */
const MIN_WORD = 3;
const MAX_WORD = 24;
/** Characters of text read for words: the opening is what a reader and a reporter see. */
const MAX_TEXT_CHARS = 20_000;

export interface TokenSource {
  subject: string;
  /** The message's readable text (text part, or the HTML's visible words). */
  text: string;
  /** Link targets as written. */
  hrefs: readonly string[];
  /** Registrable domain of the From address, '' when none. */
  senderDomain: string;
  /** The engine's own reasons: their codes are features too (never the learned ones). */
  reasons: readonly Reason[];
  attachments: readonly ParsedAttachment[];
}

function hostOf(href: string): string {
  const m = /^[a-z][a-z0-9+.-]{0,20}:\/\/(?:[^@/\s]*@)?([^/?#:\s\\]+)/i.exec(href.trim());
  if (!m) return '';
  const host = m[1]!.toLowerCase().replace(/\.$/, '');
  return isIpHost(host) ? 'ip' : registrableDomain(host);
}

function* words(s: string): Generator<string> {
  for (const m of s.slice(0, MAX_TEXT_CHARS).toLowerCase().matchAll(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu)) {
    const w = m[0].replace(/['’-]+$/, '');
    if (w.length < MIN_WORD || w.length > MAX_WORD) continue;
    // Numbers (order ids, amounts, dates) change from message to message: their shape is enough.
    yield /^[\p{N}.,-]+$/u.test(w) ? 'num' : w;
  }
}

/**
 * Tokens of one message, most telling first: sender and link domains, the engine's reasons and
 * attachment types, then subject words, then text words; cut at MAX_TOKENS_PER_MESSAGE.
 * Prefixes keep the kinds apart ("s:invoice" in a subject is not "w:invoice" in the text).
 */
export function learningTokens(src: TokenSource): string[] {
  const out = new Set<string>();
  const add = (t: string) => {
    if (out.size < MAX_TOKENS_PER_MESSAGE) out.add(t);
  };
  add(`f:${src.senderDomain || 'none'}`);
  for (const href of src.hrefs.slice(0, 200)) {
    const h = hostOf(href);
    if (h) add(`h:${h}`);
  }
  if (src.hrefs.length === 0) add('shape:no_links');
  for (const r of src.reasons) if (r.weight > 0 && !r.code.includes('learned')) add(`r:${r.code}`);
  for (const a of src.attachments.slice(0, 20)) {
    const ext = /\.([a-z0-9]{1,8})$/i.exec(a.filename)?.[1]?.toLowerCase();
    add(`a:${ext ?? (a.contentType.toLowerCase().split(';')[0] || 'unknown')}`);
  }
  for (const w of words(src.subject.slice(0, 512))) add(`s:${w}`);
  for (const w of words(src.text)) add(`w:${w}`);
  return [...out];
}

/** A token as a person reads it in an explanation: "invoice", "link to example.net", "subject word "urgent"". */
export function describeToken(token: string): string {
  const i = token.indexOf(':');
  const kind = token.slice(0, i);
  const value = token.slice(i + 1);
  switch (kind) {
    case 'f': return `sender domain ${value}`;
    case 'h': return value === 'ip' ? 'a link to a bare IP address' : `a link to ${value}`;
    case 'r': return `the signal ${value}`;
    case 'a': return `a .${value} attachment`;
    case 's': return `“${value}” in the subject`;
    case 'shape': return 'no links';
    default: return `“${value}”`;
  }
}
