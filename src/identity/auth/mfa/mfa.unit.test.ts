import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashOneTimeCode, maskPhone, newOneTimeCode, newRecoveryCodes, normalizeRecoveryCode } from './codes.js';
import { encodeCbor } from './testing/cbor.js';
import { matchTotpStep, newTotpSecret, totpCodeForStep, totpStepAt } from './totp.js';

describe('TOTP core', () => {
  it('matches the RFC 6238 SHA-1 test vector', () => {
    // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s → 94287082 (8 digits); 6 digits → 287082.
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    expect(totpCodeForStep(secret, totpStepAt(new Date(59_000)))).toBe('287082');
    expect(matchTotpStep({ secret, code: '287082', at: new Date(59_000) })).toBe(1);
  });

  it('accepts exactly the steps within ±1 of now and nothing else', () => {
    const secret = newTotpSecret();
    fc.assert(
      fc.property(fc.integer({ min: 1_000_000, max: 100_000_000 }), fc.integer({ min: -4, max: 4 }), (step, offset) => {
        const code = totpCodeForStep(secret, step + offset);
        const at = new Date(step * 30_000 + 15_000);
        const found = matchTotpStep({ secret, code, at });
        if (Math.abs(offset) <= 1) expect(found).toBe(step + offset);
        // A code of a far step may collide with a near one by chance (1 in 10^6 per step); then it names that step.
        else if (found !== null) expect(Math.abs(found - step)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects malformed codes before any comparison', () => {
    const secret = newTotpSecret();
    for (const code of ['', '12345', '1234567', 'abcdef', '12 34 5']) expect(matchTotpStep({ secret, code, at: new Date() })).toBeNull();
  });
});

describe('code helpers', () => {
  it('makes ten distinct recovery codes that survive retyping in upper case with spaces', () => {
    const codes = newRecoveryCodes();
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) {
      expect(c).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
      expect(normalizeRecoveryCode(` ${c.toUpperCase().replace('-', ' ')} `)).toBe(c.replace('-', ''));
    }
    expect(normalizeRecoveryCode('short')).toBeNull();
  });

  it('binds one-time code hashes to their challenge and key', () => {
    const key = new Uint8Array(32).fill(7);
    const code = newOneTimeCode();
    expect(code).toMatch(/^\d{6}$/);
    expect(hashOneTimeCode(key, 'a', code).equals(hashOneTimeCode(key, 'a', code))).toBe(true);
    expect(hashOneTimeCode(key, 'a', code).equals(hashOneTimeCode(key, 'b', code))).toBe(false);
    expect(hashOneTimeCode(key, 'a', code).equals(hashOneTimeCode(new Uint8Array(32), 'a', code))).toBe(false);
  });

  it('masks phone numbers down to country code and last two digits', () => {
    expect(maskPhone('+447911123456')).toMatch(/^\+44•+56$/);
    expect(maskPhone('+12025550143')).toMatch(/^\+12•+43$/);
  });
});

describe('test CBOR encoder', () => {
  it('matches RFC 8949 appendix A examples', () => {
    const hex = (v: Parameters<typeof encodeCbor>[0]) => Buffer.from(encodeCbor(v)).toString('hex');
    expect(hex(0)).toBe('00');
    expect(hex(23)).toBe('17');
    expect(hex(24)).toBe('1818');
    expect(hex(1000)).toBe('1903e8');
    expect(hex(1_000_000)).toBe('1a000f4240');
    expect(hex(-1)).toBe('20');
    expect(hex(-1000)).toBe('3903e7');
    expect(hex('IETF')).toBe('6449455446');
    expect(hex(Uint8Array.of(1, 2, 3, 4))).toBe('4401020304');
    expect(hex([1, [2, 3], [4, 5]])).toBe('8301820203820405');
    expect(hex(new Map<number, number>([[1, 2], [3, 4]]))).toBe('a201020304');
    expect(hex({ a: 1, b: [2, 3] })).toBe('a26161016162820203');
  });
});
