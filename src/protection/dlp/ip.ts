import { isIP } from 'node:net';
import type { Finding } from './types.js';

const MAX_CANDIDATE = 45; // longest textual IPv6 (with embedded IPv4)

const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isDigit = (c: number) => c >= 48 && c <= 57;
const isAddrChar = (c: number) => isHex(c) || c === 58 || c === 46;
const isWordChar = (c: number) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/**
 * IPv4 and IPv6: every `.` or `:` between address characters (found with
 * indexOf) is widened to the surrounding run of hex digits, dots and colons
 * (capped at the longest address), which must not be glued to a word (so
 * `v1.2.3.4` and hashes are skipped); node:net decides. Each run is examined
 * once, so the scan is linear.
 */
export function detectIpAddresses(text: string): Finding[] {
  const out: Finding[] = [];
  scanSeparators(text, '.', out);
  scanSeparators(text, ':', out);
  if (out.length > 1) out.sort((a, b) => a.start - b.start);
  return out;
}

function scanSeparators(text: string, sep: '.' | ':', out: Finding[]): void {
  const n = text.length;
  let doneUntil = 0;
  for (let k = text.indexOf(sep); k !== -1; k = text.indexOf(sep, Math.max(k + 1, doneUntil))) {
    if (k < doneUntil) continue;
    const before = text.charCodeAt(k - 1);
    const after = text.charCodeAt(k + 1);
    if (sep === '.' ? !(isDigit(before) && isDigit(after)) : !(isAddrChar(before) || isAddrChar(after))) continue;
    let s = k;
    let e = k + 1;
    while (s > 0 && k - s <= MAX_CANDIDATE && isAddrChar(text.charCodeAt(s - 1))) s--;
    while (e < n && e - s <= MAX_CANDIDATE && isAddrChar(text.charCodeAt(e))) e++;
    if (e - s > MAX_CANDIDATE) {
      while (e < n && isAddrChar(text.charCodeAt(e))) e++; // skip the whole overlong run
      doneUntil = e;
      continue;
    }
    doneUntil = e;
    if ((s > 0 && isWordChar(text.charCodeAt(s - 1))) || (e < n && isWordChar(text.charCodeAt(e)))) continue;
    let cand = text.slice(s, e);
    let colons = 0;
    for (let i = 0; i < cand.length; i++) if (cand.charCodeAt(i) === 58) colons++;
    // the other scanner owns runs of its own kind
    if (sep === '.' && colons >= 2) continue;
    if (sep === ':' && colons < 2) continue;
    while (e > s && (text.charCodeAt(e - 1) === 46 || text.charCodeAt(e - 1) === 58)) e--;
    while (s < e && text.charCodeAt(s) === 46) s++;
    cand = text.slice(s, e);
    let version = isIP(cand);
    if (version === 0 && colons === 1) {
      // 10.0.0.1:8080: an address with a port
      const colon = cand.indexOf(':');
      if (colon > 6 && isDigit(cand.charCodeAt(colon + 1))) {
        cand = cand.slice(0, colon);
        e = s + colon;
        version = isIP(cand) === 4 ? 4 : 0;
      }
    }
    if (version === 0 || (version === 6 && cand === '::')) continue;
    out.push({ type: 'ip_address', start: s, end: e, confidence: version === 4 ? 0.85 : 0.9, reason: `ipv${version}` });
  }
}
