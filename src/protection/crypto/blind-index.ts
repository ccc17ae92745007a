/**
 * Blind indexes: a truncated keyed hash of a normalized value, stored beside the
 * ciphertext for equality lookup. Truncation is deliberate: each index value is
 * shared by several rows (false positives that the caller filters after
 * decryption), so the index alone does not single out a customer.
 * Sizing follows CipherSweet's planner; see docs/decisions/0011-blind-indexes.md.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { assertIdentifier } from './field-cipher.js';

export const MAX_BLIND_INDEX_BITS = 256;
/** The planner never goes past 32 bits: more would make the index close to unique. */
export const MAX_PLANNED_BITS = 32;
/** CipherSweet's safety floor: each index value should match at least this many rows. */
export const MIN_COINCIDENCES = 2;

export function deriveBlindIndexKey(rootKey: Uint8Array, table: string, column: string): Uint8Array {
  if (rootKey.length < 32) throw new RangeError('blind index root key must be at least 32 bytes');
  assertIdentifier('table', table);
  assertIdentifier('column', column);
  return new Uint8Array(hkdfSync('sha256', rootKey, new Uint8Array(0), `trustdesk/bidx/v1/${table}/${column}`, 32));
}

/** HMAC-SHA256 of the UTF-8 value, cut to `bits` (whole bytes, unused low bits of the last byte zeroed). */
export function computeBlindIndex(key: Uint8Array, normalizedValue: string, bits: number): Buffer {
  if (!Number.isInteger(bits) || bits < 1 || bits > MAX_BLIND_INDEX_BITS) {
    throw new RangeError(`blind index bits must be an integer from 1 to ${MAX_BLIND_INDEX_BITS}`);
  }
  if (key.length < 32) throw new RangeError('blind index key must be at least 32 bytes');
  const mac = createHmac('sha256', key).update(normalizedValue, 'utf8').digest();
  const index = mac.subarray(0, Math.ceil(bits / 8));
  const spare = index.length * 8 - bits;
  if (spare > 0) index[index.length - 1] = (index[index.length - 1] ?? 0) & ((0xff << spare) & 0xff);
  return index;
}

export interface BlindIndexPlanOptions {
  /** Expected number of rows (distinct values) the index will cover, e.g. customers. */
  population: number;
  /** Entropy of the input domain in bits, e.g. log2(10^4) ≈ 13.3 for a 4-digit PIN. */
  inputDomainBits: number;
  /** Bits of other blind indexes stored on the same row: they add up (CipherSweet does the same). */
  otherIndexBits?: number;
}

/**
 * The largest L in [1, 32] whose coincidence count C = population / 2^(L + others)
 * stays >= 2, and no larger than the input domain. Returns 1 when even one bit
 * would leave fewer than 2 coincidences (tiny populations).
 */
export function planBlindIndexBits(opts: BlindIndexPlanOptions): number {
  const { population, inputDomainBits } = opts;
  const otherIndexBits = opts.otherIndexBits ?? 0;
  if (!Number.isFinite(population) || population < 1) throw new RangeError('population must be a number >= 1');
  if (!Number.isFinite(inputDomainBits) || inputDomainBits <= 0) throw new RangeError('inputDomainBits must be > 0');
  if (!Number.isFinite(otherIndexBits) || otherIndexBits < 0) throw new RangeError('otherIndexBits must be >= 0');
  const ceiling = Math.min(MAX_PLANNED_BITS, Math.floor(inputDomainBits));
  for (let bits = ceiling; bits >= 1; bits--) {
    if (population / 2 ** (bits + otherIndexBits) >= MIN_COINCIDENCES) return bits;
  }
  return 1;
}

/** C = population / 2^(bits + others): how many rows share one index value on average. */
export function estimateCoincidences(opts: { population: number; bits: number; otherIndexBits?: number }): number {
  return opts.population / 2 ** (opts.bits + (opts.otherIndexBits ?? 0));
}
