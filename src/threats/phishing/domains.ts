/** Domain helpers: registrable domain, TR39 confusable skeletons, edit distance, scripts. */
import { getDomain, getPublicSuffix, parse } from 'tldts';
import { domainToUnicode } from 'node:url';
import { loadLists } from './lists.js';

/** Registrable domain ("eTLD+1") of a host, lower-case; the host itself when it has none. */
export function registrableDomain(host: string): string {
  const h = host.toLowerCase().replace(/\.$/, '');
  return getDomain(h, { allowPrivateDomains: false }) ?? h;
}

export function publicSuffix(host: string): string {
  return getPublicSuffix(host.toLowerCase()) ?? '';
}

export function isIpHost(host: string): boolean {
  return parse(host).isIp === true || /^\d+$/.test(host) || /^0x[0-9a-f]+$/i.test(host);
}

export function domainOfAddress(address: string): string {
  const at = address.lastIndexOf('@');
  return at >= 0 ? address.slice(at + 1).toLowerCase().replace(/[>\s]+$/, '') : '';
}

/** Unicode form of a host whose labels may be punycode ("xn--"). Never throws. */
export function unicodeHost(host: string): string {
  if (!host.includes('xn--')) return host;
  const u = domainToUnicode(host);
  return u === '' ? host : u;
}

const INVISIBLE = /[\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]/g;

/**
 * TR39 skeleton restricted to the confusables whose prototype is ASCII (the shipped table),
 * lower-cased afterwards so "paypa1" and "PAYPAL" meet at "paypal".
 */
export function skeleton(s: string): string {
  const table = loadLists().confusables;
  let out = '';
  for (const ch of s.normalize('NFD').replace(INVISIBLE, '')) {
    out += table.get(ch) ?? ch;
  }
  // Combining marks left over from NFD would hide a match ("pаypal" with an accent).
  return out.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Damerau-Levenshtein (optimal string alignment) distance, capped at max+1 for speed. */
export function editDistance(a: string, b: string, max = 3): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (a.length > 64 || b.length > 64) return a === b ? 0 : max + 1;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, prev2[j - 2]! + 1);
      }
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n]!;
}

const SCRIPTS = ['Latin', 'Cyrillic', 'Greek', 'Armenian', 'Hebrew', 'Arabic', 'Han', 'Hiragana', 'Katakana', 'Hangul', 'Thai', 'Devanagari', 'Georgian', 'Cherokee'] as const;
const SCRIPT_RES = SCRIPTS.map((name) => [name, new RegExp(`\\p{Script=${name}}`, 'u')] as const);

/** Scripts used by the letters of a label (digits and hyphens are common to all). */
export function scriptsOf(label: string): string[] {
  const found = new Set<string>();
  for (const ch of label) {
    if (ch.charCodeAt(0) < 0x80) {
      if (/[a-z]/i.test(ch)) found.add('Latin');
      continue;
    }
    for (const [name, re] of SCRIPT_RES) {
      if (re.test(ch)) {
        found.add(name);
        break;
      }
    }
  }
  return [...found];
}

/** True when one label mixes scripts in a way TR39's "highly restrictive" level forbids. */
export function isMixedScript(label: string): boolean {
  const s = scriptsOf(label);
  if (s.length < 2) return false;
  const cjk = new Set(['Han', 'Hiragana', 'Katakana', 'Hangul', 'Latin']);
  return !s.every((x) => cjk.has(x));
}
