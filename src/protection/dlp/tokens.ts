/**
 * Whether the digits at [start, end) are a piece of a longer token rather than a number of their own: glued to a
 * letter or digit, or joined by a hyphen to a token that mixes letters and digits — the groups of a UUID, a
 * Content-ID or a hash ("cid:b77a248d-…", "6b5d8f76-4931-4650-8590-bc85ca5eefe0"). A hyphen to a plain word
 * ("555 1234-Office") does not join: people write labels that way.
 */
const WORD = /[\p{L}\p{Nd}_]/u;
const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;

function tokenAt(text: string, from: number, step: 1 | -1): string {
  let i = from;
  let out = '';
  while (i >= 0 && i < text.length && WORD.test(text[i] as string)) {
    out = step === 1 ? out + text[i] : text[i] + out;
    i += step;
  }
  return out;
}

const mixed = (token: string) => LETTER.test(token) && DIGIT.test(token);

/** `anyWord`: a hyphen to any word joins too (for short numbers such as security codes, never labelled that way). */
export function gluedToToken(text: string, start: number, end: number, opts?: { anyWord?: boolean }): boolean {
  const joins = (token: string) => token !== '' && (opts?.anyWord === true || mixed(token));
  if (WORD.test(text[start - 1] ?? '') || WORD.test(text[end] ?? '')) return true;
  if (text[start - 1] === '-' && joins(tokenAt(text, start - 2, -1))) return true;
  return text[end] === '-' && joins(tokenAt(text, end + 1, 1));
}

const UUID = /(?<![0-9A-Za-z])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9A-Za-z])/gi;

/**
 * Where UUIDs are (a Content-ID, an attachment or ticket id in a link): their hex groups can hold a Luhn-valid
 * card-range run or an IBAN-shaped window, and no card is ever written in the 8-4-4-4-12 shape with letters.
 */
export function uuidSpans(text: string): Array<{ start: number; end: number }> {
  if (text.indexOf('-') < 0) return [];
  const out: Array<{ start: number; end: number }> = [];
  for (const m of text.matchAll(UUID)) out.push({ start: m.index, end: m.index + m[0].length });
  return out;
}
