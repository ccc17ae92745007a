import { hitsOf, otpNegativePrefixes, type ContextIndex } from './context.js';
import type { Finding } from './types.js';

/*
 * Context-first detectors: find the context word (already indexed), then try
 * one sticky, bounded pattern right after it. Each hit costs at most one short
 * match, so the total stays linear in the text.
 */

const MONTH = '(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]{0,6}\\.?';
// 14/03/1985, 14.03.85, 14 / 03 / 1985, 1985-03-14, 1985/03/14
const NUMERIC_DATE = '(?:\\d{1,2} ?[/.-] ?\\d{1,2} ?[/.-] ?(?:\\d{4}|\\d{2})|\\d{4} ?[/.-] ?\\d{1,2} ?[/.-] ?\\d{1,2})';
const TEXT_DATE = `(?:\\d{1,2}(?:st|nd|rd|th)?[ \\t]{1,2}(?:of[ \\t]{1,2})?${MONTH},?[ \\t]{1,2}\\d{4}|${MONTH}[ \\t]{1,2}\\d{1,2}(?:st|nd|rd|th)?,?[ \\t]{1,2}\\d{4})`;
// Between the label and the date: punctuation ("Date of birth: ", "date of birth, ", "DOB (…"), one line break
// (a form laid out as label / value), a few short words ("is", "on file is the"), and in HTML up to six tags
// ("<td>Date of birth</td><td>14/03/1985"). Every part is bounded, so one try costs a short match.
const GAP = '[ \\t]{0,3}';
const TAGS = '(?:<[^<>]{0,200}>[ \\t\\r\\n]{0,3}){0,6}';
const DOB_AFTER = new RegExp(
  `${GAP}(?:[:=,(\\[-]${GAP})?(?:\\r?\\n${GAP})?${TAGS}(?:(?:is|was|on|of|in|the|file|record|our|your|my|it'?s)[ \\t]{1,3}){0,4}(?:[:-]${GAP})?${TAGS}(${NUMERIC_DATE}|${TEXT_DATE})(?![\\d/])`,
  'iy',
);

export function detectDatesOfBirth(text: string, ctx: ContextIndex): Finding[] {
  const out: Finding[] = [];
  for (const hit of hitsOf(ctx, 'dob')) {
    // "date of birth. It's 1/14/1961": allow one sentence break before the date.
    let from = hit.end;
    if (text[from] === '.' || text[from] === '?') from++;
    DOB_AFTER.lastIndex = from;
    const m = DOB_AFTER.exec(text);
    if (!m || m[1] === undefined) continue;
    const end = from + m[0].length;
    out.push({ type: 'date_of_birth', start: end - m[1].length, end, confidence: 0.85, reason: 'date+dob-context' });
  }
  return out;
}

// "password: x", "password is x", "pwd=x" — a separator is required so that
// "reset my password please" never captures "please".
const PASSWORD_AFTER = /[ \t]{0,3}(?::|=|\bis\b|\bwas\b|\bis now\b)[ \t]{0,3}["'`“]?([^\s"'`”]{3,128})/iy;
const NOT_A_PASSWORD = new Set([
  'not', 'wrong', 'incorrect', 'invalid', 'expired', 'correct', 'the', 'a', 'an', 'my', 'your', 'too', 'still', 'being',
  'required', 'reset', 'changed', 'working', 'fine', 'ok', 'okay', 'same', 'different', 'case', 'please', 'missing',
  'blank', 'empty', 'below', 'above', 'attached', 'here', 'there', 'that', 'this', 'it', 'now', 'no', 'none', 'n/a',
  'locked', 'forgotten', 'lost', 'weak', 'strong', 'short', 'long', 'set', 'sent', 'stored', 'hashed', 'encrypted',
]);

function trimValue(v: string): string {
  let e = v.length;
  while (e > 0 && '.,;:!?)]}'.includes(v[e - 1] as string)) e--;
  return v.slice(0, e);
}

export function detectPasswords(text: string, ctx: ContextIndex): Finding[] {
  const out: Finding[] = [];
  for (const hit of hitsOf(ctx, 'password')) {
    PASSWORD_AFTER.lastIndex = hit.end;
    const m = PASSWORD_AFTER.exec(text);
    if (!m || m[1] === undefined) continue;
    const value = trimValue(m[1]);
    if (value.length < 3 || NOT_A_PASSWORD.has(value.toLowerCase())) continue;
    const start = hit.end + m[0].length - m[1].length;
    out.push({ type: 'password', start, end: start + value.length, confidence: 0.85, reason: 'password-context' });
  }
  return out;
}

// "my code is 123456", "OTP: 482 913", "verification code 4821"
const OTP_AFTER = /[ \t]{0,3}(?:(?:is|was|:|=|#|-)[ \t]{0,3}){0,2}(\d{3}[ -]\d{3}|\d{4,8})(?!\d)(?![.,/-]\d)/iy;
const WORD_BEFORE = /([A-Za-z/]{1,20})[ \t]{1,3}$/;

export function detectOneTimeCodes(text: string, ctx: ContextIndex): Finding[] {
  const out: Finding[] = [];
  const negative = otpNegativePrefixes();
  for (const hit of hitsOf(ctx, 'otp')) {
    const phrase = text.slice(hit.start, hit.end).toLowerCase();
    if (phrase === 'code') {
      const prev = WORD_BEFORE.exec(text.slice(Math.max(0, hit.start - 24), hit.start));
      if (prev && negative.has((prev[1] as string).toLowerCase())) continue;
    }
    OTP_AFTER.lastIndex = hit.end;
    const m = OTP_AFTER.exec(text);
    if (!m || m[1] === undefined) continue;
    const end = hit.end + m[0].length;
    out.push({ type: 'one_time_code', start: end - m[1].length, end, confidence: 0.8, reason: 'otp-context' });
  }
  return out;
}
