import { classifyCardNumber, isCardGrouping } from './cards.js';
import { isLuhnValid } from './checksums.js';
import { hasContext, type ContextIndex } from './context.js';
import type { Finding } from './types.js';

/**
 * Card numbers written with any separator: `4297.2559.4628.5297`,
 * `4 2 9 7 2 5 5 9 …`, `4297 / 2559 / …`, `4297_2559_…`, several spaces, a mix
 * (`4297-2559.4628 5297`), or wrapped onto the next line by a narrow form or a
 * mail program. The grouped scanner (numbers.ts) reads the usual forms; this
 * pass reads digits joined by up to three separator characters or one line
 * break (with up to three spaces either side) and accepts a 12-19 digit window
 * that passes issuer range and Luhn when its shape is still a card's:
 *  - groups of a card grouping, whatever separators join them (decision 0166), or
 *  - one digit at a time (a space or dot between every digit, possibly a wider
 *    gap between fours), from where the digits start to where they end or a
 *    different gap begins, or
 *  - any shape right after a card word ("card", "visa", "pan").
 * A phone number, a date or a list of numbers does not pass these together. A
 * window never starts right after a group of four (outside a card found just
 * before): there it is the tail of a longer number in fours, a parcel's
 * tracking number, not a card. Work per window is bounded and windows start only at the places named above,
 * so the pass stays linear.
 */
const SEQUENCE = /\d(?:(?:[ \t.\-/_]{0,3}|[ \t]{0,3}\r?\n[ \t]{0,3})\d)*/g;
const MAX_DIGITS = 19;
const CONTEXT_WINDOW = 40;
const isLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

interface Group {
  start: number;
  end: number;
}

export function detectLooseCards(text: string, ctx: ContextIndex): Finding[] {
  const out: Finding[] = [];
  SEQUENCE.lastIndex = 0;
  for (let m = SEQUENCE.exec(text); m !== null; m = SEQUENCE.exec(text)) {
    const seq = m[0];
    const base = m.index;
    if (seq.length < 12 || (base > 0 && isLetter(text.charCodeAt(base - 1))) || isLetter(text.charCodeAt(base + seq.length))) continue;
    const groups: Group[] = [];
    const gaps: string[] = [];
    let k = 0;
    while (k < seq.length) {
      const s = k;
      while (k < seq.length && seq.charCodeAt(k) >= 48 && seq.charCodeAt(k) <= 57) k++;
      groups.push({ start: base + s, end: base + k });
      const g = k;
      while (k < seq.length && (seq.charCodeAt(k) < 48 || seq.charCodeAt(k) > 57)) k++;
      if (k > g) gaps.push(seq.slice(g, k));
    }
    let digitCount = 0;
    for (const g of groups) digitCount += g.end - g.start;
    if (digitCount < 12) continue;
    let i = 0;
    let afterCard = false;
    while (i < groups.length) {
      const found: ReturnType<typeof cardAt> = i > 0 && !afterCard && groupLength(groups[i - 1] as Group) === 4 ? undefined : cardAt(text, ctx, groups, gaps, i);
      afterCard = found !== undefined;
      if (found) {
        out.push(found.finding);
        i = found.last + 1;
      } else i++;
    }
  }
  return out;
}

const groupLength = (g: Group) => g.end - g.start;

function cardAt(text: string, ctx: ContextIndex, groups: Group[], gaps: string[], i: number): { finding: Finding; last: number } | undefined {
  const first = groups[i] as Group;
  const context = hasContext(ctx, 'card', Math.max(0, first.start - CONTEXT_WINDOW), first.start);
  const firstLen = first.end - first.start;
  const digitByDigit = firstLen === 1 && i === 0;
  if (!context && !digitByDigit && firstLen !== 4) return undefined;
  let best: { j: number; brand: string } | undefined;
  let digits = '';
  for (let j = i; j < groups.length; j++) {
    const g = groups[j] as Group;
    digits += text.slice(g.start, g.end);
    if (digits.length > MAX_DIGITS) break;
    if (digits.length < 12) continue;
    if (!isLuhnValid(digits)) continue;
    const brand = classifyCardNumber(digits) ?? (context && digits.length >= 13 && digits[0] !== '0' ? 'unlisted-iin' : undefined);
    if (brand === undefined) continue;
    if (context || shapeIsCard(groups, gaps, i, j)) best = { j, brand };
  }
  if (!best) return undefined;
  const end = (groups[best.j] as Group).end;
  const confidence = context ? 0.95 : 0.85;
  return { finding: { type: 'payment_card', start: first.start, end, confidence, reason: `luhn+iin:${best.brand}+any-separator${context ? '+context' : ''}` }, last: best.j };
}

function shapeIsCard(groups: Group[], gaps: string[], i: number, j: number): boolean {
  const lengths: number[] = [];
  for (let k = i; k <= j; k++) lengths.push((groups[k] as Group).end - (groups[k] as Group).start);
  // One digit at a time: the window is all the digits, or ends where a different gap starts (a code after it).
  if (lengths.every((l) => l === 1)) {
    const used = new Set(gaps.slice(i, j));
    return used.size <= 2 && (j === groups.length - 1 || !used.has(gaps[j] as string));
  }
  // Groups: people mix separators and forms wrap lines, so the grouping alone decides.
  return isCardGrouping(lengths);
}
