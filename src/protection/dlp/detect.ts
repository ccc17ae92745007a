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

/*
 * Written for short messages as much as long ones (decision 0167): no closure or set is made per call unless
 * the caller limits the types, and the card pass allocates only when something was found.
 */
function detectNormalized(text: string, opts?: DetectOptions): Finding[] {
  const wanted = opts?.types ? new Set<SensitiveType>(opts.types) : undefined;
  const ctx = indexContext(text, opts);
  const runs = scanDigitRuns(text);
  const scan = { text, runs, ctx };
  const all: Finding[] = [];

  // Cards are found even when not wanted: their extras (CVC, expiry) are anchored on them. IBANs are found first
  // because a mod-97-valid IBAN's digits in fours can hold a Luhn-valid card-range window that is no card.
  const uuids = uuidSpans(text);
  const ibans = uuids.length > 0 ? detectIbans(text).filter((f) => !insideAny(f, uuids)) : detectIbans(text);
  const grouped = detectCards(scan);
  const loose = detectLooseCards(text, ctx);
  const anchors: Finding[] = [];
  const codes: Finding[] = [];
  for (const list of [grouped, loose]) {
    for (const f of list) {
      if (ibans.length > 0 && insideAny(f, ibans)) continue;
      if (uuids.length > 0 && insideAny(f, uuids)) continue;
      (f.type === 'payment_card' ? anchors : codes).push(f);
    }
  }
  if (anchors.length > 1) anchors.sort(byStart);
  if (on(wanted, 'payment_card')) add(all, anchors);
  const wantCode = on(wanted, 'card_security_code');
  const wantExpiry = on(wanted, 'card_expiry');
  if (wantCode || wantExpiry) {
    for (const f of [...codes, ...detectCardExtras(scan, anchors)]) {
      if (f.type === 'card_security_code' ? wantCode : wantExpiry) all.push(f);
    }
  }
  if (on(wanted, 'us_ssn')) add(all, detectSsn(scan));
  if (on(wanted, 'us_routing_number')) add(all, detectRoutingNumbers(scan));
  if (on(wanted, 'uk_sort_code_account')) add(all, detectSortCodes(scan));
  if (on(wanted, 'phone')) add(all, detectPhones(text, runs, ctx, opts));
  if (on(wanted, 'iban')) add(all, ibans);
  if (on(wanted, 'uk_nino')) add(all, detectNinos(text));
  if (on(wanted, 'email')) add(all, detectEmails(text));
  if (on(wanted, 'ip_address')) add(all, detectIpAddresses(text));
  if (on(wanted, 'secret')) {
    add(all, detectKnownSecrets(text));
    add(all, detectPrivateKeys(text));
    add(all, detectContextSecrets(text, ctx));
  }
  if (on(wanted, 'date_of_birth')) add(all, detectDatesOfBirth(text, ctx));
  if (on(wanted, 'password')) add(all, detectPasswords(text, ctx));
  if (on(wanted, 'one_time_code')) add(all, detectOneTimeCodes(text, ctx));
  return all.length === 0 ? all : resolveOverlaps(all);
}
