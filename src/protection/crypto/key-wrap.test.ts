import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CiphertextInvalidError } from '../../platform/errors.js';
import { generateKey, unwrapKey, wrapKey } from './key-wrap.js';

describe('wrapKey / unwrapKey', () => {
  const kek = generateKey();
  const dek = generateKey();
  const aad = 'dek:0b7c4c2e-3a43-4a7e-9d43-1f6c1c2f7a11:1:kek:local-1';

  it('round-trips a data key', () => {
    const wrapped = wrapKey(kek, dek, aad);
    expect(wrapped.length).toBe(2 + 24 + 32 + 16);
    expect(Buffer.from(unwrapKey(kek, wrapped, aad))).toEqual(Buffer.from(dek));
    expect(Buffer.from(wrapped).includes(Buffer.from(dek))).toBe(false);
  });

  it('wraps the same key differently each time', () => {
    expect(Buffer.from(wrapKey(kek, dek, aad))).not.toEqual(Buffer.from(wrapKey(kek, dek, aad)));
  });

  it('fails under another binding or another KEK', () => {
    const wrapped = wrapKey(kek, dek, aad);
    expect(() => unwrapKey(kek, wrapped, aad.replace(':1:', ':2:'))).toThrow(CiphertextInvalidError);
    expect(() => unwrapKey(kek, wrapped, '')).toThrow(CiphertextInvalidError);
    expect(() => unwrapKey(generateKey(), wrapped, aad)).toThrow(CiphertextInvalidError);
  });

  it('rejects every truncation and any bit flip', () => {
    const wrapped = wrapKey(kek, dek, aad);
    for (let length = 0; length < wrapped.length; length++) {
      expect(() => unwrapKey(kek, wrapped.subarray(0, length), aad)).toThrow(CiphertextInvalidError);
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: wrapped.length * 8 - 1 }), (bit) => {
        const tampered = Buffer.from(wrapped);
        tampered[bit >> 3] = (tampered[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        expect(() => unwrapKey(kek, tampered, aad)).toThrow(CiphertextInvalidError);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a KEK of the wrong size', () => {
    expect(() => wrapKey(randomBytes(16), dek, aad)).toThrow(RangeError);
  });

  it('generates distinct 32-byte keys', () => {
    const a = generateKey();
    expect(a.length).toBe(32);
    expect(Buffer.from(a)).not.toEqual(Buffer.from(generateKey()));
  });
});
