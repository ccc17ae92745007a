import { isIbanChecksumValid } from './checksums.js';
import type { Finding } from './types.js';

/** IBAN length per country (SWIFT IBAN registry). */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22,
  GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30,
  KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27,
  MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33,
  SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29,
  VA: 22, VG: 24, XK: 20, YE: 30,
};

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isAlnum = (c: number) => isDigit(c) || isAlpha(c);

/**
 * IBANs: at a word start, two letters and two digits, then exactly the
 * country's length of letters/digits, allowing one space or dash between
 * characters (printed groups of four). The candidate must end at a word
 * boundary and pass mod-97. Work per start is bounded by the longest IBAN.
 */
export function detectIbans(text: string): Finding[] {
  const out: Finding[] = [];
  const n = text.length;
  const re = /[A-Za-z]{2}\d\d/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const i = m.index;
    if (i > 0 && isAlnum(text.charCodeAt(i - 1))) continue;
    const country = text.slice(i, i + 2).toUpperCase();
    const want = IBAN_LENGTHS[country];
    if (want === undefined) continue;
    let compact = '';
    let j = i;
    let sep = '';
    while (j < n && compact.length < want) {
      const c = text.charCodeAt(j);
      if (isAlnum(c)) {
        compact += text[j];
        j++;
        continue;
      }
      const ch = text[j] as string;
      // one consistent separator, only between characters
      if ((ch === ' ' || ch === '-') && (sep === '' || sep === ch) && compact.length > 0 && j + 1 < n && isAlnum(text.charCodeAt(j + 1))) {
        sep = ch;
        j++;
        continue;
      }
      break;
    }
    if (compact.length !== want || (j < n && isAlnum(text.charCodeAt(j)))) continue;
    const upper = compact.toUpperCase();
    if (!isIbanChecksumValid(upper)) continue;
    out.push({ type: 'iban', start: i, end: j, confidence: 0.95, reason: `mod97:${country}` });
    re.lastIndex = j;
  }
  return out;
}

const NINO_BAD_FIRST = 'DFIQUV';
const NINO_BAD_SECOND = 'DFIOQUV';
const NINO_BAD_PREFIX = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);

/** UK National Insurance numbers: valid two-letter prefix, six digits (pairs may be spaced), suffix A-D. */
export function detectNinos(text: string): Finding[] {
  const out: Finding[] = [];
  const n = text.length;
  const re = /[A-Z]{2} ?\d\d/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const i = m.index;
    if (i > 0 && isAlnum(text.charCodeAt(i - 1))) continue;
    const prefix = text.slice(i, i + 2);
    if (NINO_BAD_FIRST.includes(prefix[0] as string) || NINO_BAD_SECOND.includes(prefix[1] as string) || NINO_BAD_PREFIX.has(prefix)) continue;
    let j = i + 2;
    let digits = 0;
    while (digits < 6) {
      if (text.charCodeAt(j) === 32 && digits % 2 === 0) j++;
      if (!isDigit(text.charCodeAt(j))) break;
      j++;
      digits++;
    }
    if (digits !== 6) continue;
    if (text.charCodeAt(j) === 32) j++;
    const suffix = text.charCodeAt(j);
    if (suffix < 65 || suffix > 68) continue;
    j++;
    if (j < n && isAlnum(text.charCodeAt(j))) continue;
    out.push({ type: 'uk_nino', start: i, end: j, confidence: 0.85, reason: 'nino-format' });
    re.lastIndex = j;
  }
  return out;
}
