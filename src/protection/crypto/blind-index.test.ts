import { randomBytes } from 'node:crypto';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeBlindIndex, deriveBlindIndexKey, estimateCoincidences, planBlindIndexBits } from './blind-index.js';

const rootKey = Buffer.from(Array.from({ length: 32 }, (_, i) => i));

describe('deriveBlindIndexKey / computeBlindIndex', () => {
  it('matches an independent HKDF + HMAC implementation', () => {
    const key = deriveBlindIndexKey(rootKey, 'customers', 'email');
    const expectedKey = hkdf(sha256, rootKey, new Uint8Array(0), new TextEncoder().encode('trustdesk/bidx/v1/customers/email'), 32);
    expect(Buffer.from(key)).toEqual(Buffer.from(expectedKey));
    const full = hmac(sha256, expectedKey, new TextEncoder().encode('alice@example.com'));
    expect(computeBlindIndex(key, 'alice@example.com', 256)).toEqual(Buffer.from(full));
    expect(computeBlindIndex(key, 'alice@example.com', 32)).toEqual(Buffer.from(full.subarray(0, 4)));
  });

  it('pins the v1 derivation (stored indexes depend on it)', () => {
    const key = deriveBlindIndexKey(rootKey, 'customers', 'email');
    expect(computeBlindIndex(key, 'alice@example.com', 32).toString('hex')).toBe(GOLDEN_INDEX_32);
  });

  it('is deterministic and separates keys by table and column', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (value) => {
        const email = deriveBlindIndexKey(rootKey, 'customers', 'email');
        expect(computeBlindIndex(email, value, 64)).toEqual(computeBlindIndex(deriveBlindIndexKey(rootKey, 'customers', 'email'), value, 64));
        expect(computeBlindIndex(email, value, 64)).not.toEqual(computeBlindIndex(deriveBlindIndexKey(rootKey, 'customers', 'phone'), value, 64));
        expect(computeBlindIndex(email, value, 64)).not.toEqual(computeBlindIndex(deriveBlindIndexKey(rootKey, 'contacts', 'email'), value, 64));
        expect(computeBlindIndex(email, value, 64)).not.toEqual(computeBlindIndex(deriveBlindIndexKey(randomBytes(32), 'customers', 'email'), value, 64));
      }),
      { numRuns: 100 },
    );
  });

  it('truncates to whole bytes and zeroes the unused low bits (property)', () => {
    const key = deriveBlindIndexKey(rootKey, 'customers', 'email');
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.integer({ min: 1, max: 256 }), (value, bits) => {
        const full = computeBlindIndex(key, value, 256);
        const index = computeBlindIndex(key, value, bits);
        expect(index.length).toBe(Math.ceil(bits / 8));
        const spare = index.length * 8 - bits;
        const last = index[index.length - 1] ?? 0;
        expect(last & ((1 << spare) - 1)).toBe(0);
        // Every kept bit equals the full MAC's bit.
        const mask = (0xff << spare) & 0xff;
        expect(last).toBe((full[index.length - 1] ?? 0) & mask);
        expect(index.subarray(0, -1)).toEqual(full.subarray(0, index.length - 1));
      }),
    );
  });

  it('masks 18 bits to 3 bytes with 6 zero bits at the end', () => {
    const key = deriveBlindIndexKey(rootKey, 'customers', 'email');
    const values = Array.from({ length: 64 }, (_, i) => computeBlindIndex(key, `v${i}`, 18));
    expect(values.every((v) => v.length === 3 && ((v[2] ?? 0) & 0x3f) === 0)).toBe(true);
    expect(values.some((v) => ((v[2] ?? 0) & 0xc0) !== 0)).toBe(true);
  });

  it('rejects bad sizes, short keys and ambiguous names', () => {
    const key = deriveBlindIndexKey(rootKey, 'customers', 'email');
    expect(() => computeBlindIndex(key, 'x', 0)).toThrow(RangeError);
    expect(() => computeBlindIndex(key, 'x', 257)).toThrow(RangeError);
    expect(() => computeBlindIndex(key, 'x', 7.5)).toThrow(RangeError);
    expect(() => computeBlindIndex(new Uint8Array(16), 'x', 16)).toThrow(RangeError);
    expect(() => deriveBlindIndexKey(rootKey, 'customers/email', 'x')).toThrow(RangeError);
  });
});

describe('planBlindIndexBits', () => {
  it.each([
    // population, input domain bits, expected L, why
    [1_000_000, 256, 18, 'C = 1e6 / 2^18 ≈ 3.8; 19 bits would give 1.9 < 2'],
    [10_000, 256, 12, 'C ≈ 2.4'],
    [100_000, 256, 15, 'C ≈ 3.05'],
    [50_000_000, 256, 24, 'C ≈ 2.98'],
    [1e12, 256, 32, 'capped at 32 bits'],
    [1_000_000, Math.log2(10_000), 13, 'a 4-digit value carries only 13.3 bits'],
    [1_000_000, 8, 8, 'input domain caps it'],
    [4, 256, 1, 'C = 2 at one bit'],
    [3, 256, 1, 'floor: tiny populations still get one bit'],
    [1, 256, 1, 'population of one'],
  ])('population %d, domain %d bits → %d bits (%s)', (population, inputDomainBits, expected) => {
    const bits = planBlindIndexBits({ population, inputDomainBits });
    expect(bits).toBe(expected);
    if (population >= 4) expect(estimateCoincidences({ population, bits })).toBeGreaterThanOrEqual(2);
  });

  it('is the largest size that keeps at least two coincidences (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 2 ** 40 }), fc.integer({ min: 1, max: 64 }), (population, inputDomainBits) => {
        const bits = planBlindIndexBits({ population, inputDomainBits });
        expect(bits).toBeLessThanOrEqual(Math.min(32, inputDomainBits));
        expect(estimateCoincidences({ population, bits })).toBeGreaterThanOrEqual(2);
        if (bits < Math.min(32, inputDomainBits)) expect(estimateCoincidences({ population, bits: bits + 1 })).toBeLessThan(2);
      }),
    );
  });

  it('counts the bits of other indexes on the same row', () => {
    expect(planBlindIndexBits({ population: 1_000_000, inputDomainBits: 256, otherIndexBits: 8 })).toBe(10);
  });

  it('rejects nonsense', () => {
    expect(() => planBlindIndexBits({ population: 0, inputDomainBits: 32 })).toThrow(RangeError);
    expect(() => planBlindIndexBits({ population: 10, inputDomainBits: 0 })).toThrow(RangeError);
    expect(() => planBlindIndexBits({ population: Number.NaN, inputDomainBits: 8 })).toThrow(RangeError);
  });
});

const GOLDEN_INDEX_32 = '096cc418';
