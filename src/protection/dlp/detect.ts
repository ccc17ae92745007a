import { indexContext } from './context.js';
import { detectContextSecrets, detectKnownSecrets, detectPrivateKeys } from './secrets.js';
import { detectDatesOfBirth, detectOneTimeCodes, detectPasswords } from './contextual.js';
import { detectEmails } from './email.js';
import { detectIbans, detectNinos } from './iban.js';
import { detectIpAddresses } from './ip.js';
import { detectCardExtras, detectCards, detectRoutingNumbers, detectSortCodes, detectSsn } from './numbers.js';
import { detectPhones } from './phone.js';
import { resolveOverlaps } from './findings.js';
import { detectLooseCards } from './loose-cards.js';
import { normalizeForDetection, originalSpan } from './normalize.js';
import { scanDigitRuns } from './scan.js';
import { uuidSpans } from './tokens.js';
import type { DetectOptions, Finding, SensitiveType } from './types.js';

/**
 * All sensitive spans in `text`, sorted by start and non-overlapping. Pure:
 * no I/O, no shared state beyond compiled context lists. Every detector is a
 * bounded single pass or context-first, so the whole call is linear in the
 * length of the text. Detectors read a normalised view (Unicode digits, spaces
 * and dashes, invisible characters, HTML references; normalize.ts); the spans
 * returned are positions in `text` itself.
 */
export function detectSensitiveData(text: string, opts?: DetectOptions): Finding[] {
  const norm = normalizeForDetection(text, { html: opts?.html });
  const found = detectNormalized(norm.text, opts);
  if (!norm.starts) return found;
  return found.map((f) => ({ ...f, ...originalSpan(norm, f.start, f.end) }));
}

/** Whether findings of type `t` are wanted; no set means all. */
function on(wanted: ReadonlySet<SensitiveType> | undefined, t: SensitiveType): boolean {
  return wanted === undefined || wanted.has(t);
}

/** Append without spreading: most detectors return nothing on a short message, and a spread allocates anyway. */
function add(all: Finding[], found: readonly Finding[]): void {
  for (let i = 0; i < found.length; i++) all.push(found[i] as Finding);
}

function insideAny(f: Finding, spans: ReadonlyArray<{ start: number; end: number }>): boolean {
  for (const x of spans) if (x.start <= f.start && f.end <= x.end) return true;
  return false;
}

const byStart = (a: Finding, b: Finding) => a.start - b.start;

/** ASCII digits in `text` (the normalised view has no others), counted up to `enough`. */
function countDigits(text: string, enough: number): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57 && ++n >= enough) break;
  }
  return n;
}

/** The fewest digits of a payment card (cards.ts); the grouped and the loose card passes need that many. */
const CARD_MIN_DIGITS = 12;
const NONE: readonly Finding[] = [];

/*
 * Written for short messages as much as long ones (decision 0167): no closure or set is made per call unless
 * the caller limits the types, and the card pass allocates only when something was found. Every detector of
 * numbers (cards and their extras, IBANs, NINOs, SSNs, routing and sort codes, phones, dates of birth,
 * one-time codes) needs an ASCII digit, and the card passes twelve: a text with fewer skips them, which is
 * most of the cost of a chat line without numbers. The other detectors (email, IP addresses, which may be
 * hex letters only, secrets, passwords) always run.
 */
function detectNormalized(text: string, opts?: DetectOptions): Finding[] {
  const wanted = opts?.types ? new Set<SensitiveType>(opts.types) : undefined;
  const ctx = indexContext(text, opts);
  const digitCount = countDigits(text, CARD_MIN_DIGITS);
  const all: Finding[] = [];

  if (digitCount > 0) {
    const runs = scanDigitRuns(text);
    const scan = { text, runs, ctx };
    // Cards are found even when not wanted: their extras (CVC, expiry) are anchored on them. IBANs are found
    // first because a mod-97-valid IBAN's digits in fours can hold a Luhn-valid card-range window that is no card.
    const uuids = uuidSpans(text);
    const ibans = uuids.length > 0 ? detectIbans(text).filter((f) => !insideAny(f, uuids)) : detectIbans(text);
    let anchors: readonly Finding[] = NONE;
    let codes: readonly Finding[] = NONE;
    if (digitCount >= CARD_MIN_DIGITS) {
      const cards: Finding[] = [];
      const kept: Finding[] = [];
      for (const list of [detectCards(scan), detectLooseCards(text, ctx)]) {
        for (const f of list) {
          if (ibans.length > 0 && insideAny(f, ibans)) continue;
          if (uuids.length > 0 && insideAny(f, uuids)) continue;
          (f.type === 'payment_card' ? cards : kept).push(f);
        }
      }
      if (cards.length > 1) cards.sort(byStart);
      anchors = cards;
      codes = kept;
    }
    if (on(wanted, 'payment_card')) add(all, anchors);
    const wantCode = on(wanted, 'card_security_code');
    const wantExpiry = on(wanted, 'card_expiry');
    if (wantCode || wantExpiry) {
      for (const f of codes) if (f.type === 'card_security_code' ? wantCode : wantExpiry) all.push(f);
      for (const f of detectCardExtras(scan, anchors)) if (f.type === 'card_security_code' ? wantCode : wantExpiry) all.push(f);
    }
    if (on(wanted, 'us_ssn')) add(all, detectSsn(scan));
    if (on(wanted, 'us_routing_number')) add(all, detectRoutingNumbers(scan));
    if (on(wanted, 'uk_sort_code_account')) add(all, detectSortCodes(scan));
    if (on(wanted, 'phone')) add(all, detectPhones(text, runs, ctx, opts));
    if (on(wanted, 'iban')) add(all, ibans);
    if (on(wanted, 'uk_nino')) add(all, detectNinos(text));
  }
  if (on(wanted, 'email')) add(all, detectEmails(text));
  if (on(wanted, 'ip_address')) add(all, detectIpAddresses(text));
  if (on(wanted, 'secret')) {
    add(all, detectKnownSecrets(text));
    add(all, detectPrivateKeys(text));
    add(all, detectContextSecrets(text, ctx));
  }
  if (digitCount > 0 && on(wanted, 'date_of_birth')) add(all, detectDatesOfBirth(text, ctx));
  if (on(wanted, 'password')) add(all, detectPasswords(text, ctx));
  if (digitCount > 0 && on(wanted, 'one_time_code')) add(all, detectOneTimeCodes(text, ctx));
  return all.length === 0 ? all : resolveOverlaps(all);
}
