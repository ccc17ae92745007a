/**
 * Bulk-mail hygiene signals (docs/decisions/0033): what honest bulk senders are required to do
 * and throw-away senders skip. Each is weak alone; they add up with content and link reasons.
 */
import { findPhrases } from '../text.js';
import { registrableDomain } from '../domains.js';
import type { HeaderMap, Reason } from '../types.js';
import { urlFacts } from './links.js';
import { isDeliveryReport } from './sender.js';
import type { Link } from './links.js';

/**
 * Wording that offers to stop future mail, in the languages of the shipped lexicon. Legitimate
 * bulk senders pair it with a List-Unsubscribe header (RFC 2369; one-click RFC 8058), which
 * Gmail and Yahoo require of bulk senders since February 2024
 * (support.google.com/mail/answer/81126). Whole words after normalizeWords.
 */
export const UNSUBSCRIBE_PHRASES: readonly string[] = [
  'unsubscribe', 'unsubscribed', 'opt out', 'opt-out', 'stop receiving', 'remove yourself', 'be removed from',
  'no longer wish to receive', 'no longer want to receive',
  // German
  'abmelden', 'abbestellen', 'austragen', 'newsletter abbestellen',
  // French
  'se désabonner', 'désabonner', 'désabonnez', 'désinscrire', 'désinscription', 'vous désinscrire',
  // Spanish
  'darse de baja', 'darte de baja', 'cancelar suscripción', 'anular suscripción', 'dejar de recibir',
  // Portuguese
  'descadastrar', 'descadastre', 'descadastro', 'cancelar inscrição', 'cancelar assinatura', 'deixar de receber',
  // Dutch
  'afmelden', 'uitschrijven', 'uitschrijving',
  // Italian
  'disiscriviti', 'annulla iscrizione', 'cancellati', 'non ricevere più',
];

export interface BulkInput {
  headers: HeaderMap;
  /** normalizeWords(subject + visible text). */
  normalized: string;
  /** Links found in the message (HTML anchors and plain-text URLs). */
  linkCount: number;
}

export function bulkReasons(input: BulkInput): Reason[] {
  const reasons: Reason[] = [];
  const h = input.headers;
  // A delivery report (RFC 3464) returns someone else's message: an "unsubscribe" in it belongs to
  // the returned copy, and a report is never bulk mail that would owe a List-Unsubscribe header.
  if (input.linkCount > 0 && !h.has('list-unsubscribe') && !isDeliveryReport(h)) {
    const found = findPhrases(input.normalized, UNSUBSCRIBE_PHRASES, 1);
    if (found.length) {
      reasons.push({
        code: 'bulk.unsubscribe_without_header',
        weight: 0.2,
        evidence: `the text offers to "${found[0]}" but the message has no List-Unsubscribe header, which bulk senders are required to send`,
      });
    }
  }
  const priority = highPriority(h);
  if (priority) reasons.push({ code: 'bulk.high_priority', weight: 0.1, evidence: `the sender marked the message as urgent (${priority})` });
  return reasons;
}

/** X-Priority 1–2, Importance: high, X-MSMail-Priority: high or Priority: urgent. */
function highPriority(h: HeaderMap): string | null {
  const xp = h.get('x-priority')?.[0]?.trim() ?? '';
  if (/^[12](\s|$|\()/.test(xp)) return `X-Priority: ${xp.slice(0, 20)}`;
  for (const name of ['importance', 'x-msmail-priority', 'priority']) {
    const v = h.get(name)?.[0]?.trim().toLowerCase() ?? '';
    if (v === 'high' || v === 'urgent') return `${name}: ${v}`;
  }
  return null;
}

/** Readable words (outside link addresses) below which a message "says almost nothing". */
export const LITTLE_TEXT_MAX_WORDS = 12;

/** Words of `s`, not counting web addresses written out; counting stops at `cap`. */
export function readableWordCount(s: string, cap: number): number {
  let n = 0;
  const src = s.slice(0, 20_000).replace(/\b(?:https?:\/\/|www\.)[^\s<>"']{0,2048}/gi, ' ');
  for (const _ of src.matchAll(/[\p{L}\p{N}]+/gu)) if (++n >= cap) break;
  return n;
}

export interface LittleTextInput {
  /** Readable words of the message's best-filled part (text or HTML), link addresses left out. */
  words: number;
  links: readonly Link[];
  /** Registrable domain of the From address, '' when unknown. */
  senderDomain: string;
}

/**
 * A message that says almost nothing itself and carries a web link to someone else's site: a
 * teaser line, a bare shortened or file-sharing link. What it wants said is on the page behind the
 * link, out of reach of every text check; hijacked accounts send exactly this ("see the document:
 * <link>"), and so do bulk senders who keep their words off the message. A short note linking to
 * the sender's own site does not count. Weak alone (0.2, as html.image_only, which covers the case
 * where the words are in a picture).
 */
export function littleTextReason(input: LittleTextInput): Reason | null {
  if (input.words >= LITTLE_TEXT_MAX_WORDS) return null;
  for (const l of input.links) {
    const u = urlFacts(l.href);
    if (!u || (u.scheme !== 'http' && u.scheme !== 'https') || !u.host) continue;
    const reg = registrableDomain(u.host);
    if (reg && reg !== input.senderDomain) {
      return { code: 'bulk.little_text', weight: 0.2, evidence: `the message says almost nothing (${input.words} words) beside a link to ${u.host}` };
    }
  }
  return null;
}
