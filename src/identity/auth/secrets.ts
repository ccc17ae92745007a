/**
 * Bearer secrets: random, prefixed so they are recognisable (and scannable in
 * leaked code), stored only as SHA-256 hashes, compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type SecretPrefix = 'tds' | 'tdt' | 'tdl' | 'tdr' | 'tdp';

/** A new secret: prefix + 32 random bytes, base64url. The raw value is shown once. */
export function newSecret(prefix: SecretPrefix): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function hashSecret(raw: string): Buffer {
  return createHash('sha256').update(raw, 'utf8').digest();
}

export function sameSecret(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Cheap shape check before any database work; malformed input never reaches a query. */
export function looksLikeSecret(raw: unknown, prefix: SecretPrefix): raw is string {
  return typeof raw === 'string' && raw.length === prefix.length + 44 && raw.startsWith(`${prefix}_`) && /^[A-Za-z0-9_-]+$/.test(raw.slice(prefix.length + 1));
}
