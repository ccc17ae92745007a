import type { Finding } from './types.js';

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;

const isAlnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
// RFC 5322 atext that people actually use in addresses.
const isLocalChar = (c: number) => isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45 || c === 39;
const isDomainChar = (c: number) => isAlnum(c) || c === 45 || c === 46;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/**
 * Email addresses found from each `@`: expand left over local-part characters
 * (at most 64) and right over domain characters (at most 253). Each `@` costs a
 * bounded amount, so `a@a@a@...` stays linear.
 */
export function detectEmails(text: string): Finding[] {
  const out: Finding[] = [];
  let lastEnd = 0;
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    if (at < lastEnd) continue;
    let s = at;
    while (s > 0 && at - s < MAX_LOCAL && isLocalChar(text.charCodeAt(s - 1))) s--;
    while (s < at && !isAlnum(text.charCodeAt(s))) s++; // no leading dot/dash/quote
    if (s === at) continue;
    let e = at + 1;
    while (e < text.length && e - at - 1 < MAX_DOMAIN && isDomainChar(text.charCodeAt(e))) e++;
    while (e > at + 1 && !isAlnum(text.charCodeAt(e - 1))) e--; // trailing "." or "-"
    const domain = text.slice(at + 1, e);
    const dot = domain.lastIndexOf('.');
    if (dot <= 0 || domain.includes('..') || domain.startsWith('-')) continue;
    const tld = domain.slice(dot + 1);
    if (tld.length < 2 || tld.length > 24) continue;
    let allAlpha = true;
    for (let k = 0; k < tld.length; k++) if (!isAlpha(tld.charCodeAt(k))) allAlpha = false;
    if (!allAlpha) continue;
    if (text.slice(s, at).includes('..')) continue;
    out.push({ type: 'email', start: s, end: e, confidence: 0.95, reason: 'address-syntax' });
    lastEnd = e;
  }
  return out;
}
