/**
 * The pre-send check of the chat frame: finds what the default policy removes
 * (card numbers and security codes, passwords, one-time codes, keys and
 * tokens) with the server's own detectors, so a customer sees their text
 * cleaned before it leaves the browser. The server redacts again; this is
 * the "you were about to send something sensitive" moment, not the guard.
 *
 * It composes the detector modules of src/protection/dlp directly rather than
 * calling detectSensitiveData: that entry point also runs the phone detector
 * (libphonenumber's full metadata, ~70 KB gzipped) and the IP detector, which
 * imports `isIP` from node:net and throws in a browser. Neither type is
 * removed by the default policy. The composition mirrors detectNormalized in
 * detect.ts for the types it covers (decision 0183); a parity test holds the
 * two together.
 */
import { indexContext } from '../../../src/protection/dlp/context.js';
import { detectDatesOfBirth, detectOneTimeCodes, detectPasswords } from '../../../src/protection/dlp/contextual.js';
import { detectEmails } from '../../../src/protection/dlp/email.js';
import { resolveOverlaps } from '../../../src/protection/dlp/findings.js';
import { detectIbans, detectNinos } from '../../../src/protection/dlp/iban.js';
import { detectLooseCards } from '../../../src/protection/dlp/loose-cards.js';
import { normalizeForDetection, originalSpan } from '../../../src/protection/dlp/normalize.js';
import { detectCardExtras, detectCards, detectRoutingNumbers, detectSortCodes, detectSsn } from '../../../src/protection/dlp/numbers.js';
import { scanDigitRuns } from '../../../src/protection/dlp/scan.js';
import { detectContextSecrets, detectKnownSecrets, detectPrivateKeys } from '../../../src/protection/dlp/secrets.js';
import { uuidSpans } from '../../../src/protection/dlp/tokens.js';
import { SENSITIVE_TYPES, type Finding, type SensitiveType } from '../../../src/protection/dlp/types.js';

/** What DEFAULT_DLP_POLICY redacts (src/protection/dlp/redact.ts): never sent from the chat. */
export const REMOVED_BEFORE_SENDING: readonly SensitiveType[] = ['payment_card', 'card_security_code', 'password', 'one_time_code', 'secret'];

/** Types this module can find in a browser: every type except phone and ip_address. */
export const BROWSER_TYPES: readonly SensitiveType[] = SENSITIVE_TYPES.filter((t) => t !== 'phone' && t !== 'ip_address');

function insideAny(f: Finding, spans: ReadonlyArray<{ start: number; end: number }>): boolean {
  for (const x of spans) if (x.start <= f.start && f.end <= x.end) return true;
  return false;
}

/** detectNormalized of detect.ts without phones and IP addresses. */
function detectNormalized(text: string, wanted: ReadonlySet<SensitiveType>): Finding[] {
  const ctx = indexContext(text);
  const runs = scanDigitRuns(text);
  const scan = { text, runs, ctx };
  const uuids = uuidSpans(text);
  const ibans = detectIbans(text).filter((f) => !insideAny(f, uuids));
  const anchors: Finding[] = [];
  const codes: Finding[] = [];
  for (const f of [...detectCards(scan), ...detectLooseCards(text, ctx)]) {
    if (insideAny(f, ibans) || insideAny(f, uuids)) continue;
    (f.type === 'payment_card' ? anchors : codes).push(f);
  }
  anchors.sort((a, b) => a.start - b.start);
  const all: Finding[] = [...anchors, ...codes, ...detectCardExtras(scan, anchors)];
  all.push(...detectSsn(scan), ...detectRoutingNumbers(scan), ...detectSortCodes(scan), ...ibans, ...detectNinos(text), ...detectEmails(text));
  all.push(...detectKnownSecrets(text), ...detectPrivateKeys(text), ...detectContextSecrets(text, ctx));
  all.push(...detectDatesOfBirth(text, ctx), ...detectPasswords(text, ctx), ...detectOneTimeCodes(text, ctx));
  // Overlaps are resolved over every type, as on the server, before keeping the wanted ones.
  return all.length === 0 ? all : resolveOverlaps(all).filter((f) => wanted.has(f.type));
}

/** Sensitive spans of `types` in `text`, in the original text's positions, sorted and non-overlapping. */
export function findSensitive(text: string, types: readonly SensitiveType[] = REMOVED_BEFORE_SENDING): Finding[] {
  const norm = normalizeForDetection(text);
  const found = detectNormalized(norm.text, new Set(types));
  if (!norm.starts) return found;
  return found.map((f) => ({ ...f, ...originalSpan(norm, f.start, f.end) }));
}

/** How the notice names what was removed: a card's security code is part of "card details". */
export type RemovedKind = 'card' | 'password' | 'code' | 'secret' | 'other';

export function kindOf(type: string): RemovedKind {
  if (type === 'payment_card' || type === 'card_security_code' || type === 'card_expiry') return 'card';
  if (type === 'password') return 'password';
  if (type === 'one_time_code') return 'code';
  if (type === 'secret') return 'secret';
  return 'other';
}

export interface Cleaned {
  text: string;
  /** Kinds removed, each once, in the order they first appeared. */
  removed: RemovedKind[];
}

/** Replaces each span of `findings` with `placeholder`. */
export function replaceSpans(text: string, findings: readonly Finding[], placeholder: string): Cleaned {
  let out = '';
  let cursor = 0;
  const removed: RemovedKind[] = [];
  for (const f of findings) {
    out += text.slice(cursor, f.start) + placeholder;
    cursor = f.end;
    const kind = kindOf(f.type);
    if (!removed.includes(kind)) removed.push(kind);
  }
  return { text: out + text.slice(cursor), removed };
}

/** Where `placeholder` already stands in `text`. */
function occurrences(text: string, placeholder: string): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  if (!placeholder) return out;
  for (let i = text.indexOf(placeholder); i !== -1; i = text.indexOf(placeholder, i + placeholder.length)) out.push({ start: i, end: i + placeholder.length });
  return out;
}

/**
 * The pre-send check: the text with every span the chat must not send replaced by `placeholder`. A finding
 * inside a placeholder left by an earlier check is no finding ("password: [removed]" is sent as it is).
 */
export function cleanBeforeSending(text: string, placeholder: string): Cleaned {
  const placed = occurrences(text, placeholder);
  const findings = findSensitive(text).filter((f) => !insideAny(f, placed));
  return replaceSpans(text, findings, placeholder);
}

const CODE_ONLY = /^\s*(?:\d[\s-]?){3,7}\d\s*$/;

/**
 * A message that is nothing but a 4-8 digit code, typed while a verification code is asked for: it belongs in
 * the code field, never in the conversation.
 */
export function looksLikeCode(text: string): string | null {
  return CODE_ONLY.test(text) ? text.replace(/[\s-]/g, '') : null;
}

/**
 * The customer's own copy of a message the server redacted (an ack listing `redacted`): the listed types found
 * here are replaced; when one of them cannot be found in the browser (a phone number, an IP address, or a rule
 * only the server knows), nothing of the text is kept, since it may hold what the server removed.
 */
export function redactOwnCopy(text: string, types: readonly string[], placeholder: string): string | null {
  const known = new Set<string>(BROWSER_TYPES);
  const findings = findSensitive(text, BROWSER_TYPES.filter((t) => types.includes(t)));
  const found = new Set(findings.map((f) => f.type as string));
  if (types.some((t) => !known.has(t) || !found.has(t))) return null;
  return replaceSpans(text, findings, placeholder).text;
}
