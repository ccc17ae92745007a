import { shannonEntropy } from './checksums.js';
import { hitsOf, type ContextIndex } from './context.js';
import type { Finding } from './types.js';

const MAX_TOKEN = 4096;
const MIN_TOKEN = 16;

const isTokenChar = (c: number) =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45 || c === 43 || c === 47 || c === 46;

/** Well-known credential formats, tested on a whole token (anchored, bounded). */
const KNOWN: ReadonlyArray<{ name: string; re: RegExp }> = [
  { name: 'aws-access-key-id', re: /^(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}$/ },
  { name: 'github-token', re: /^gh[pousr]_[A-Za-z0-9]{36,251}$/ },
  { name: 'github-pat', re: /^github_pat_[A-Za-z0-9_]{22,255}$/ },
  { name: 'slack-token', re: /^xox[abposr]-[A-Za-z0-9-]{10,250}$/ },
  { name: 'slack-app-token', re: /^xapp-\d-[A-Za-z0-9-]{10,250}$/ },
  { name: 'stripe-key', re: /^(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}$/ },
  { name: 'stripe-webhook-secret', re: /^whsec_[A-Za-z0-9+/]{24,250}$/ },
  { name: 'google-api-key', re: /^AIza[0-9A-Za-z_-]{35}$/ },
];

function decodeBase64Url(s: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(s)) return undefined;
  try {
    return Buffer.from(s, 'base64url').toString('utf8');
  } catch {
    return undefined;
  }
}

/** A JWT: three base64url parts whose header is JSON naming an `alg`. */
function isJwt(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[0]?.startsWith('eyJ') || (parts[1]?.length ?? 0) < 2) return false;
  const header = decodeBase64Url(parts[0]);
  if (header === undefined) return false;
  try {
    const parsed: unknown = JSON.parse(header);
    return typeof parsed === 'object' && parsed !== null && typeof (parsed as Record<string, unknown>)['alg'] === 'string';
  } catch {
    return false;
  }
}

function classifyToken(token: string): string | undefined {
  for (const k of KNOWN) if (k.re.test(token)) return k.name;
  if (token.startsWith('eyJ') && isJwt(token)) return 'jwt';
  return undefined;
}

/** Known token formats: one pass over maximal token-character runs. */
/** Literal prefixes of the known formats: a native search finds them at ~1 GB/s. */
const KNOWN_PREFIX = /AKIA|ASIA|ABIA|ACCA|A3T|AIza|gh[pousr]_|github_pat_|xox[abposr]-|xapp-|[sr]k_(?:live|test)_|whsec_|eyJ/g;

export function detectKnownSecrets(text: string): Finding[] {
  const out: Finding[] = [];
  const n = text.length;
  KNOWN_PREFIX.lastIndex = 0;
  for (let m = KNOWN_PREFIX.exec(text); m !== null; m = KNOWN_PREFIX.exec(text)) {
    const start = m.index;
    if (start > 0 && isTokenChar(text.charCodeAt(start - 1)) && text.charCodeAt(start - 1) !== 47) continue;
    let end = start;
    while (end < n && end - start <= MAX_TOKEN && isTokenChar(text.charCodeAt(end))) end++;
    KNOWN_PREFIX.lastIndex = end;
    while (end > start && text.charCodeAt(end - 1) === 46) end--; // sentence full stop
    const len = end - start;
    if (len < MIN_TOKEN || len > MAX_TOKEN) continue;
    const name = classifyToken(text.slice(start, end));
    if (name) out.push({ type: 'secret', start, end, confidence: 0.95, reason: name });
  }
  return out;
}

const PEM_BEGIN = '-----BEGIN ';
const PEM_END = '-----END ';
const MAX_PEM_HEADER = 64;

/** PEM private key blocks, BEGIN through the END line (or to the end of text if cut off). */
export function detectPrivateKeys(text: string): Finding[] {
  const out: Finding[] = [];
  let nextEnd = -2;
  for (let b = text.indexOf(PEM_BEGIN); b !== -1; b = text.indexOf(PEM_BEGIN, b + 1)) {
    const headerClose = text.indexOf('-----', b + PEM_BEGIN.length);
    if (headerClose === -1 || headerClose - b > MAX_PEM_HEADER) continue;
    if (!text.slice(b, headerClose).endsWith('PRIVATE KEY')) continue;
    if (nextEnd !== -1 && nextEnd < headerClose) nextEnd = text.indexOf(PEM_END, headerClose);
    let end = text.length;
    if (nextEnd !== -1) {
      const close = text.indexOf('-----', nextEnd + PEM_END.length);
      end = close === -1 ? text.length : close + 5;
    }
    out.push({ type: 'secret', start: b, end, confidence: 0.99, reason: 'pem-private-key' });
    b = end - 1;
  }
  return out;
}

// Sticky and bounded: each context hit costs at most the length of one match.
const VALUE_AFTER = /[ \t]{0,3}(?:(?:is|=|:|=>)[ \t]{0,3}){0,2}["'`]?([A-Za-z0-9_\-+/.~]{16,512})/y;

function characterClasses(s: string): number {
  let lower = 0;
  let upper = 0;
  let digit = 0;
  let other = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) lower = 1;
    else if (c >= 65 && c <= 90) upper = 1;
    else if (c >= 48 && c <= 57) digit = 1;
    else other = 1;
  }
  return lower + upper + digit + other;
}

/**
 * Generic secrets: a token right after "api key", "token", "secret"… that is
 * long and random-looking (Shannon entropy >= 3.0 bits per character and at
 * least two character classes), so "token expired" or a word never qualifies.
 */
export function detectContextSecrets(text: string, ctx: ContextIndex): Finding[] {
  const out: Finding[] = [];
  for (const hit of hitsOf(ctx, 'secret')) {
    VALUE_AFTER.lastIndex = hit.end;
    const m = VALUE_AFTER.exec(text);
    if (!m || m[1] === undefined) continue;
    let value = m[1];
    while (value.endsWith('.')) value = value.slice(0, -1);
    const start = hit.end + m[0].length - m[1].length;
    const after = text.charCodeAt(start + m[1].length);
    if (!Number.isNaN(after) && isTokenChar(after)) continue; // longer than our cap: not a key we understand
    if (value.length < MIN_TOKEN || characterClasses(value) < 2 || shannonEntropy(value) < 3.0) continue;
    out.push({ type: 'secret', start, end: start + value.length, confidence: 0.8, reason: 'entropy+context' });
  }
  return out;
}
