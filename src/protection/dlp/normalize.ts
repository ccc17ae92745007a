import { decodeHTML } from 'entities';

/**
 * A view of a text in which the ways people (and mail programs) disguise digits
 * are undone, with a map back to the original: detectors run on `text`, and a
 * finding's span is translated to the original before anything is redacted, so
 * the original characters are the ones replaced (invariant 1).
 *
 * Undone: decimal digits of any script (full-width, Arabic-Indic, Devanagari,
 * mathematical…) → ASCII; full-width ASCII → ASCII; every Unicode space (NBSP,
 * thin, ideographic…) → a space; Unicode dashes → `-`; zero-width and other
 * invisible format characters → removed; and, for HTML, character references
 * (`&#52;`, `&#x34;`, `&nbsp;`) → the characters they stand for. Markup itself is
 * left as it is: a card in an attribute must be found where it is.
 */
export interface NormalizedText {
  text: string;
  /** Original offset where normalised character i starts; undefined when the text needed no change. */
  starts?: Int32Array;
  /** Original offset just after normalised character i. */
  ends?: Int32Array;
}

export interface NormalizeOptions {
  /** Decode HTML character references (the text is an HTML body). */
  html?: boolean;
}

// Anything outside printable ASCII, or an ampersand when decoding HTML, may need work.
const NEEDS_WORK_ALL = /[^\t\n\r\x20-\x7e]/g;
const NEEDS_WORK_HTML_ALL = /[^\t\n\r\x20-\x7e]|&/g;
const DIGIT = /\p{Nd}/u;
const SPACE = /\p{Zs}/u;
const DASH = /\p{Pd}/u;
const INVISIBLE = /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]/;
const ENTITY = /&(?:#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[A-Za-z][A-Za-z0-9]{1,31});?/y;

const zeroCache = new Map<number, number>();

/** ASCII value of a Unicode decimal digit: Nd code points come in aligned runs of ten starting at zero. */
function digitValue(cp: number): number {
  let zero = zeroCache.get(cp);
  if (zero === undefined) {
    let z = cp;
    while (z > 0 && DIGIT.test(String.fromCodePoint(z - 1)) && cp - (z - 1) < 60) z--;
    zero = cp - ((cp - z) % 10);
    zeroCache.set(cp, zero);
  }
  return cp - zero;
}

/** The replacement for one code point (possibly empty), or undefined to keep it. */
function mapCodePoint(cp: number, ch: string): string | undefined {
  if (cp < 0x80) return undefined;
  if (cp >= 0xff01 && cp <= 0xff5e) return String.fromCharCode(cp - 0xfee0);
  if (DIGIT.test(ch)) return String.fromCharCode(48 + digitValue(cp));
  if (SPACE.test(ch)) return ' ';
  if (DASH.test(ch) || cp === 0x2212) return '-';
  if (INVISIBLE.test(ch)) return '';
  return undefined;
}

/**
 * Whether some character would change. Most non-ASCII text in support mail is letters and symbols that map to
 * nothing (é, ü, €, ’): checking the few candidates costs far less than building the offset maps of a copy
 * that would be identical (a short chat line with one euro sign spent a third of its scan there).
 */
function needsWork(text: string, html: boolean): boolean {
  const re = html ? NEEDS_WORK_HTML_ALL : NEEDS_WORK_ALL;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const i = m.index;
    if (text.charCodeAt(i) === 38) {
      ENTITY.lastIndex = i;
      const e = ENTITY.exec(text);
      if (e && decodeHTML(e[0]) !== e[0]) return true;
      continue;
    }
    const cp = text.codePointAt(i) as number;
    const ch = cp > 0xffff ? text.slice(i, i + 2) : (text[i] as string);
    if (mapCodePoint(cp, ch) !== undefined) return true;
    if (cp > 0xffff) re.lastIndex = i + 2;
  }
  return false;
}

export function normalizeForDetection(text: string, opts?: NormalizeOptions): NormalizedText {
  const html = opts?.html === true;
  if (!needsWork(text, html)) return { text };
  const out: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const emit = (s: string, from: number, to: number) => {
    for (let k = 0; k < s.length; k++) {
      out.push(s[k] as string);
      starts.push(from);
      ends.push(to);
    }
  };
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (html && c === 38) {
      ENTITY.lastIndex = i;
      const m = ENTITY.exec(text);
      if (m) {
        const decoded = decodeHTML(m[0]);
        if (decoded !== m[0]) {
          // A reference may itself stand for a full-width digit or a zero-width space.
          const inner = normalizeForDetection(decoded).text;
          emit(inner, i, i + m[0].length);
          i += m[0].length;
          continue;
        }
      }
    }
    const cp = text.codePointAt(i) as number;
    const width = cp > 0xffff ? 2 : 1;
    const ch = width === 2 ? text.slice(i, i + 2) : (text[i] as string);
    const mapped = mapCodePoint(cp, ch);
    emit(mapped ?? ch, i, i + width);
    i += width;
  }
  return { text: out.join(''), starts: Int32Array.from(starts), ends: Int32Array.from(ends) };
}

/** A span of the normalised text as a span of the original. */
export function originalSpan(norm: NormalizedText, start: number, end: number): { start: number; end: number } {
  if (!norm.starts || !norm.ends) return { start, end };
  return { start: norm.starts[start] as number, end: norm.ends[end - 1] as number };
}
