import { isIP } from 'node:net';
import type { Finding } from './types.js';

const MAX_CANDIDATE = 45; // longest textual IPv6 (with embedded IPv4)

const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isDigit = (c: number) => c >= 48 && c <= 57;
const isWordChar = (c: number) => isHex(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/**
 * IPv4 and IPv6 from maximal runs of hex digits, dots and colons that are not
 * glued to a word (so `v1.2.3.4` and hashes are skipped); node:net decides.
 * Runs longer than any address are skipped whole: linear time.
 */
export function detectIpAddresses(text: string): Finding[] {
  const out: Finding[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!(isHex(c) || c === 58 || c === 46)) {
      i++;
      continue;
    }
    const start = i;
    let dots = 0;
    let colons = 0;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === 46) dots++;
      else if (d === 58) colons++;
      else if (!isHex(d)) break;
      i++;
    }
    const glued = (start > 0 && isWordChar(text.charCodeAt(start - 1))) || (i < n && isWordChar(text.charCodeAt(i)));
    if (glued || i - start > MAX_CANDIDATE + 8 || (dots < 3 && colons < 2)) continue;
    let s = start;
    let e = i;
    while (e > s && (text.charCodeAt(e - 1) === 46 || text.charCodeAt(e - 1) === 58)) e--;
    while (s < e && text.charCodeAt(s) === 46) s++;
    let cand = text.slice(s, e);
    let version = isIP(cand);
    if (version === 0 && colons === 1 && dots === 3) {
      // 10.0.0.1:8080 — address with a port
      const colon = cand.indexOf(':');
      if (colon > 0 && isDigit(cand.charCodeAt(colon + 1))) {
        cand = cand.slice(0, colon);
        e = s + colon;
        version = isIP(cand);
      }
    }
    if (version === 0 || cand.length > MAX_CANDIDATE) continue;
    if (version === 6 && cand === '::') continue;
    out.push({ type: 'ip_address', start: s, end: e, confidence: version === 4 ? 0.85 : 0.9, reason: `ipv${version}` });
  }
  return out;
}
