import { classifyCardNumber, isCardGrouping } from './cards.js';
import { isAbaChecksumValid, isLuhnValid } from './checksums.js';
import { hasContext, type ContextIndex } from './context.js';
import { gluedToToken } from './tokens.js';
import { groupDigits, type DigitGroup, type DigitRun } from './scan.js';
import type { Finding } from './types.js';

const CONTEXT_WINDOW = 40;
const MAX_CARD_DIGITS = 19;

interface NumberScan {
  text: string;
  runs: DigitRun[];
  ctx: ContextIndex;
}

const glen = (g: DigitGroup) => g.end - g.start;
const isPlainRun = (run: DigitRun) => !run.plus && !run.parens;
const before = (s: NumberScan, pos: number, category: Parameters<typeof hasContext>[1], window = CONTEXT_WINDOW) =>
  hasContext(s.ctx, category, Math.max(0, pos - window), pos);

/** Runs whose gaps are all the same single separator from `allowed` (or a single group). */
function uniformGap(run: DigitRun, from: number, to: number, allowed: string): string | undefined {
  if (from === to) return '';
  const first = run.gaps[from];
  if (first === undefined || first.length !== 1 || !allowed.includes(first)) return undefined;
  for (let k = from + 1; k < to; k++) if (run.gaps[k] !== first) return undefined;
  return first;
}

/**
 * Cards: every sub-run of whole groups with 12-19 digits, one consistent space
 * or dash separator, a card grouping, issuer range, length and Luhn. Starting
 * only at groups of >= 4 digits keeps the work per group constant; never right
 * after another group of four (the tail of a longer number in fours, such as a
 * parcel's tracking number), unless that group ended a card.
 */
export function detectCards(s: NumberScan): Finding[] {
  const cards: Finding[] = [];
  for (const run of s.runs) {
    if (!isPlainRun(run)) continue;
    const groups = run.groups;
    let afterCard = -1;
    for (let i = 0; i < groups.length; i++) {
      if (glen(groups[i] as DigitGroup) < 4) continue;
      // Right after a group of four in the same run, this is the tail of a longer number (a tracking number).
      if (i > 0 && afterCard !== i - 1 && glen(groups[i - 1] as DigitGroup) === 4) continue;
      let best: { j: number; brand: string } | undefined;
      let digits = 0;
      for (let j = i; j < groups.length; j++) {
        digits += glen(groups[j] as DigitGroup);
        if (digits > MAX_CARD_DIGITS) break;
        if (j > i && uniformGap(run, i, j, ' -') === undefined) break;
        if (digits < 12) continue;
        const lengths = groups.slice(i, j + 1).map(glen);
        if (!isCardGrouping(lengths)) continue;
        const candidate = groupDigits(s.text, run, i, j);
        const brand = classifyCardNumber(candidate);
        if (brand) best = { j, brand };
        // Issuer tables lag new ranges; with a card word just before it, Luhn and length suffice.
        else if (digits >= 13 && candidate[0] !== '0' && isLuhnValid(candidate) && before(s, (groups[i] as DigitGroup).start, 'card', 30)) best = { j, brand: 'unlisted-iin' };
      }
      if (!best) continue;
      const start = (groups[i] as DigitGroup).start;
      const end = (groups[best.j] as DigitGroup).end;
      const context = before(s, start, 'card');
      const grouped = best.j > i;
      const confidence = best.brand === 'unlisted-iin' ? 0.75 : context ? 0.99 : grouped ? 0.9 : 0.8;
      cards.push({ type: 'payment_card', start, end, confidence, reason: `luhn+iin:${best.brand}${context ? '+context' : ''}` });
      // A 3-4 digit group right after the card in the same run is its security code.
      const next = groups[best.j + 1];
      if (next && best.j + 1 === groups.length - 1 && glen(next) >= 3 && glen(next) <= 4) {
        cards.push({ type: 'card_security_code', start: next.start, end: next.end, confidence: 0.7, reason: 'after-card' });
      }
      i = best.j;
      afterCard = best.j;
    }
  }
  return cards;
}

function isValidSsn(d: string): boolean {
  const area = d.slice(0, 3);
  if (area === '000' || area === '666' || area[0] === '9') return false;
  if (d.slice(3, 5) === '00' || d.slice(5) === '0000') return false;
  return true;
}

/** SSN as 3-2-4 with one consistent dash or space, or 9 bare digits with SSN context. */
export function detectSsn(s: NumberScan): Finding[] {
  const out: Finding[] = [];
  for (const run of s.runs) {
    if (!isPlainRun(run)) continue;
    const lengths = run.groups.map(glen);
    const first = run.groups[0] as DigitGroup;
    const last = run.groups[run.groups.length - 1] as DigitGroup;
    const context = before(s, first.start, 'ssn');
    let ok = false;
    let confidence = 0;
    let reason = '';
    if (lengths.length === 3 && lengths[0] === 3 && lengths[1] === 2 && lengths[2] === 4) {
      const gap = uniformGap(run, 0, 2, ' -');
      if (gap !== undefined) {
        ok = true;
        confidence = context ? 0.95 : gap === '-' ? 0.85 : 0.6;
        reason = `ssn-format${context ? '+context' : ''}`;
      }
    } else if (lengths.length === 1 && lengths[0] === 9 && context) {
      ok = true;
      confidence = 0.85;
      reason = 'ssn-bare+context';
    }
    if (ok && isValidSsn(groupDigits(s.text, run, 0, run.groups.length - 1))) {
      out.push({ type: 'us_ssn', start: first.start, end: last.end, confidence, reason });
    }
  }
  return out;
}

/** ABA routing numbers: 9 bare digits, checksum, and routing context before them. */
export function detectRoutingNumbers(s: NumberScan): Finding[] {
  const out: Finding[] = [];
  for (const run of s.runs) {
    if (run.groups.length !== 1 || !isPlainRun(run)) continue;
    const g = run.groups[0] as DigitGroup;
    if (glen(g) !== 9 || !before(s, g.start, 'routing')) continue;
    if (!isAbaChecksumValid(s.text.slice(g.start, g.end))) continue;
    out.push({ type: 'us_routing_number', start: g.start, end: g.end, confidence: 0.9, reason: 'aba-checksum+context' });
  }
  return out;
}

const isSortCodeRun = (run: DigitRun) => {
  const l = run.groups.map(glen);
  return isPlainRun(run) && l.length === 3 && l.every((x) => x === 2) && uniformGap(run, 0, 2, ' -') !== undefined;
};
const isAccountRun = (run: DigitRun) => run.groups.length === 1 && isPlainRun(run) && [7, 8].includes(glen(run.groups[0] as DigitGroup));

/** UK sort code (12-34-56) with an account number within a short distance before or after. */
export function detectSortCodes(s: NumberScan): Finding[] {
  const out: Finding[] = [];
  const runs = s.runs;
  for (let k = 0; k < runs.length; k++) {
    const run = runs[k] as DigitRun;
    const context = before(s, run.start, 'sort_code');
    const bare6 = run.groups.length === 1 && glen(run.groups[0] as DigitGroup) === 6 && context;
    if (!isSortCodeRun(run) && !bare6) continue;
    const next = runs[k + 1];
    const prev = runs[k - 1];
    if (next && isAccountRun(next) && next.start - run.end <= CONTEXT_WINDOW) {
      out.push({ type: 'uk_sort_code_account', start: run.start, end: next.end, confidence: 0.9, reason: 'sort-code+account' });
    } else if (prev && isAccountRun(prev) && run.start - prev.end <= CONTEXT_WINDOW && hasContext(s.ctx, 'account', Math.max(0, prev.start - CONTEXT_WINDOW), run.start)) {
      out.push({ type: 'uk_sort_code_account', start: prev.start, end: run.end, confidence: 0.85, reason: 'account+sort-code' });
    } else if (context) {
      out.push({ type: 'uk_sort_code_account', start: run.start, end: run.end, confidence: 0.6, reason: 'sort-code+context' });
    }
  }
  return out;
}

function isExpiryShape(text: string, run: DigitRun): boolean {
  if (!isPlainRun(run) || run.groups.length !== 2) return false;
  const gap = run.gaps[0];
  if (gap !== '/' && gap !== '-') return false;
  const [m, y] = run.groups as [DigitGroup, DigitGroup];
  const month = Number(text.slice(m.start, m.end));
  const yl = glen(y);
  const year = Number(text.slice(y.start, y.end));
  return glen(m) <= 2 && month >= 1 && month <= 12 && (yl === 2 || (yl === 4 && year >= 2000 && year <= 2099));
}

/** A security code hyphenated to its label, as people write it: "cvc-123". */
const GLUED_LABEL = /^(?:cvc|cvv|csc|cid)-?$/i;

/**
 * Whether three or four digits are a number of their own, not a piece of a longer token (the digits inside a
 * Content-ID or a UUID are no security code, even after the word "cid"), unless glued to their label.
 */
function standsAlone(text: string, g: DigitGroup): boolean {
  if (!gluedToToken(text, g.start, g.end, { anyWord: true })) return true;
  return GLUED_LABEL.test(text.slice(Math.max(0, g.start - 4), g.start)) && !/[\p{L}\p{Nd}]/u.test(text[g.start - 5] ?? '') && !/[\p{L}\p{Nd}]/u.test(text[g.end] ?? '');
}

/**
 * Expiry (MM/YY) and security codes only next to a card or after their own
 * context words; a bare 3-digit number or a date alone is never flagged.
 */
export function detectCardExtras(s: NumberScan, cards: readonly Finding[]): Finding[] {
  const out: Finding[] = [];
  let c = 0;
  let lastAnchor = -Infinity;
  for (const run of s.runs) {
    while (c < cards.length && (cards[c] as Finding).end <= run.start) {
      lastAnchor = Math.max(lastAnchor, (cards[c] as Finding).end);
      c++;
    }
    const nearCard = run.start - lastAnchor <= CONTEXT_WINDOW;
    if (isExpiryShape(s.text, run)) {
      const ctx = before(s, run.start, 'expiry', 25);
      if (ctx || nearCard) {
        out.push({ type: 'card_expiry', start: run.start, end: run.end, confidence: ctx ? 0.9 : 0.75, reason: ctx ? 'expiry+context' : 'expiry-near-card' });
        lastAnchor = run.end;
      }
      continue;
    }
    if (run.groups.length !== 1 || !isPlainRun(run)) continue;
    const g = run.groups[0] as DigitGroup;
    if (glen(g) < 3 || glen(g) > 4) continue;
    if (!standsAlone(s.text, g)) continue;
    if (before(s, g.start, 'cvc', 25)) {
      out.push({ type: 'card_security_code', start: g.start, end: g.end, confidence: 0.9, reason: 'cvc+context' });
    } else if (nearCard && !/[A-Za-z]/.test(s.text.slice(lastAnchor, g.start))) {
      out.push({ type: 'card_security_code', start: g.start, end: g.end, confidence: 0.7, reason: 'after-card' });
    }
  }
  return out;
}

export type { NumberScan };
