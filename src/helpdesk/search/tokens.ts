/**
 * Words for the encrypted-search index (pure). The text given is already
 * DLP-redacted; on top of that, any word inside a sensitive span (detected
 * again here, plus masked card runs like `4111 11** **** 1111`) is skipped,
 * so neither a card fragment nor a flagged IBAN, phone or email becomes a
 * searchable token. Tokens are keyed HMACs of these words
 * (docs/decisions/0080-encrypted-search-leakage.md).
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { detectSensitiveData } from '../../protection/dlp/index.js';

export const TOKEN_BYTES = 12;
export const MAX_WORDS_PER_TEXT = 2000;
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;
const MASKED_RUN = /[0-9*][0-9* -]*\*[0-9* -]*/g;
const REDACTED_LABEL = /\[redacted:[a-z_]+\]/g;

/** Canonical form of a word: NFKD without combining marks, lower case. "Café" and "cafe" meet. */
export function normalizeWord(word: string): string {
  return word.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase().replace(/’/g, "'");
}

/** Distinct normalised words of `text`, outside sensitive spans, 2..64 characters, capped. */
export function extractSearchWords(text: string): string[] {
  const skip: Array<[number, number]> = detectSensitiveData(text).map((f) => [f.start, f.end]);
  for (const re of [MASKED_RUN, REDACTED_LABEL]) for (const m of text.matchAll(re)) skip.push([m.index, m.index + m[0].length]);
  const inSkip = (s: number, e: number) => skip.some(([a, b]) => s < b && e > a);
  const out = new Set<string>();
  for (const m of text.matchAll(WORD)) {
    if (inSkip(m.index, m.index + m[0].length)) continue;
    const w = normalizeWord(m[0]);
    if (w.length < 2 || w.length > 64) continue;
    out.add(w);
    if (out.size >= MAX_WORDS_PER_TEXT) break;
  }
  return [...out];
}

/** Words of a query, normalised the same way (no span skipping: a query is not stored). */
export function queryWords(query: string): string[] {
  const out = new Set<string>();
  for (const m of query.matchAll(WORD)) {
    const w = normalizeWord(m[0]);
    if (w.length >= 2 && w.length <= 64) out.add(w);
  }
  return [...out].slice(0, 10);
}

/** The organisation's search key, derived from its blind-index root key under its own label. */
export function deriveSearchKey(rootKey: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', rootKey, new Uint8Array(0), 'trustdesk/search/v1/words', 32));
}

/** HMAC-SHA256(key, word), cut to TOKEN_BYTES: short enough to store cheaply, long enough that collisions are negligible. */
export function computeSearchToken(key: Uint8Array, word: string): Buffer {
  return createHmac('sha256', key).update(word, 'utf8').digest().subarray(0, TOKEN_BYTES);
}
