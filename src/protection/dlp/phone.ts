import { gluedToToken } from './tokens.js';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { hasContext, type ContextIndex } from './context.js';
import { mayBeValidIn } from './phone-plans.js';
import { internationalNumberValidity, nationalNumberValidity } from './phone-valid.js';
import { groupDigits, type DigitGroup, type DigitRun } from './scan.js';
import type { DetectOptions, Finding } from './types.js';

/**
 * Regions in which a national-format number is accepted when libphonenumber
 * (full metadata) says it is valid there. Ordered by how often they show up in
 * English/European support mail, so a valid number exits the loop early.
 */
export const DEFAULT_PHONE_REGIONS: readonly CountryCode[] = [
  'US', 'GB', 'CA', 'AU', 'IE', 'DE', 'FR', 'NL', 'BE', 'CH', 'AT', 'ES', 'IT', 'SE', 'DK', 'NO', 'FI', 'PT', 'PL',
  'CZ', 'HU', 'GR', 'CY', 'ZA', 'NZ', 'IN', 'BR', 'MX', 'JP', 'SG',
];

const MIN_DIGITS = 7;
const MAX_DIGITS = 15;

const glen = (g: DigitGroup) => g.end - g.start;

function digitCount(run: DigitRun): number {
  let n = 0;
  for (const g of run.groups) n += glen(g);
  return n;
}

/** Dates, times and dotted quads look like grouped numbers but are not phones. */
function looksLikeDateOrIp(text: string, run: DigitRun): boolean {
  if (run.gaps.some((g) => g.includes('/'))) return true;
  const l = run.groups.map(glen);
  const first = run.groups[0] as DigitGroup;
  const sep = run.gaps[0];
  // 2024-03-15, 15.03.2024, 15-03-2024 (optionally followed by a time's hour)
  if (l.length >= 3 && (sep === '-' || sep === '.') && run.gaps[1] === sep) {
    if (l[0] === 4 && (l[1] as number) <= 2 && (l[2] as number) <= 2) return true;
    if ((l[0] as number) <= 2 && (l[1] as number) <= 2 && l[2] === 4) return true;
  }
  if (l.length === 4 && run.gaps.every((g) => g === '.') && l.every((x) => x <= 3)) return true;
  // A run followed by ":<digit>" ends in the hour of a timestamp.
  const after = run.end;
  if (text.charCodeAt(after) === 58 && /\d/.test(text.charAt(after + 1))) return true;
  return first.start > 0 && text.charCodeAt(first.start - 1) === 58; // ":12 34" tail of a time
}

/**
 * Shapes of order and reference numbers rather than phones: `#123456-78`,
 * `No. 1234`, or a first group longer than 5 digits without a trunk 0.
 */
function isIdentifierShaped(text: string, run: DigitRun): boolean {
  const prev = text.charCodeAt(run.start - 1);
  if (prev === 35 /* # */) return true;
  // Part of a longer token: the digit groups of a UUID, a hash or a reference ("9d-0174-4426-a726-b6").
  const end = run.extensionEnd > 0 ? run.extensionEnd : run.end;
  if (gluedToToken(text, run.start, end)) return true;
  const first = run.groups[0] as DigitGroup;
  return run.groups.length > 1 && glen(first) > 5 && text.charCodeAt(first.start) !== 48;
}

/**
 * Two groups without a trunk 0, followed by a capitalised word ("17031 2202
 * Rissik St") read as house and street numbers. A phone in prose like that
 * comes with a context word ("call", "phone"), which skips this rule.
 */
function looksLikeHouseNumbers(text: string, run: DigitRun): boolean {
  if (run.groups.length !== 2 || run.parens) return false;
  const [a, b] = run.groups as [DigitGroup, DigitGroup];
  if (text.charCodeAt(a.start) === 48) return false;
  const localShape = glen(a) === 3 && glen(b) === 4; // 555 1234
  const next = text.charCodeAt(run.end + 1);
  const capitalAfter = text.charCodeAt(run.end) === 32 && next >= 65 && next <= 90;
  return !localShape || capitalAfter;
}

/**
 * The candidate is already the number (scan.ts cut it out of the text), so the library is told not to search
 * for one inside it (`extract: false`): the search is half the cost of a parse (decision 0167).
 */
function isValidIn(candidate: string, region: CountryCode | undefined): boolean {
  const p = parsePhoneNumberFromString(candidate, { defaultCountry: region, extract: false });
  return p !== undefined && p.isValid();
}

/**
 * Whether the national-format candidate is valid in `region`: the plan filter first, then the same answer
 * computed on compiled patterns (phone-valid.ts), libphonenumber itself only where that cannot say. `plain`:
 * the candidate is the digits and their separators, no extension.
 */
function validIn(candidate: string, digits: string, region: CountryCode, plain: boolean): boolean {
  if (!mayBeValidIn(digits, region)) return false;
  return (plain ? nationalNumberValidity(digits, region) : undefined) ?? isValidIn(candidate, region);
}

/** The first region, default first, in which the national-format candidate is valid. */
function validRegion(candidate: string, digits: string, plain: boolean, defaultRegion: CountryCode, regions: readonly CountryCode[]): CountryCode | undefined {
  if (validIn(candidate, digits, defaultRegion, plain)) return defaultRegion;
  for (const r of regions) if (r !== defaultRegion && validIn(candidate, digits, r, plain)) return r;
  return undefined;
}

function isPossibleIntl(candidate: string): boolean {
  const p = parsePhoneNumberFromString(candidate, { extract: false });
  return p !== undefined && p.isPossible();
}

/**
 * Phone numbers from digit runs. libphonenumber decides validity per candidate
 * (its own text matcher runs at about 1 MB/s, too slow for every message).
 * Bare digit strings are usually order or account numbers, so they need a
 * phone context word; grouped numbers need validity in some accepted region.
 */
export function detectPhones(text: string, runs: readonly DigitRun[], ctx: ContextIndex, opts?: DetectOptions): Finding[] {
  const out: Finding[] = [];
  const defaultRegion = opts?.defaultRegion ?? 'US';
  const regions = opts?.phoneRegions ?? DEFAULT_PHONE_REGIONS;
  for (const run of runs) {
    const n = digitCount(run);
    if (n < MIN_DIGITS || n > MAX_DIGITS) continue;
    if (looksLikeDateOrIp(text, run)) continue;
    if (!run.plus && isIdentifierShaped(text, run)) continue;
    if (hasContext(ctx, 'identifier', Math.max(0, run.start - 25), run.start)) continue;
    const end = run.extensionEnd > 0 ? run.extensionEnd : run.end;
    const candidate = text.slice(run.start, end);
    const context = hasContext(ctx, 'phone', Math.max(0, run.start - 30), run.start);
    const bare = run.groups.length === 1 && !run.plus;
    let confidence = 0;
    let reason = '';
    const plain = run.extensionEnd <= 0;
    if (run.plus) {
      const fast = plain ? internationalNumberValidity(groupDigits(text, run, 0, run.groups.length - 1)) : undefined;
      if (fast ?? isValidIn(candidate, undefined)) [confidence, reason] = [0.9, 'intl-valid'];
      else if (isPossibleIntl(candidate)) [confidence, reason] = [0.7, 'intl-possible'];
    } else if (bare && !context) {
      continue;
    } else if (!context && looksLikeHouseNumbers(text, run)) {
      continue;
    } else {
      const digits = groupDigits(text, run, 0, run.groups.length - 1);
      const region = validRegion(candidate, digits, plain, defaultRegion, regions);
      if (region === defaultRegion) [confidence, reason] = [0.85, `valid:${defaultRegion}`];
      else if (region) [confidence, reason] = [context ? 0.8 : 0.65, `valid:${region}`];
      else if (context && !bare) [confidence, reason] = [0.5, 'shape+context'];
    }
    if (confidence === 0) continue;
    if (context && !reason.includes('context')) reason += '+context';
    out.push({ type: 'phone', start: run.start, end, confidence, reason });
  }
  return out;
}
