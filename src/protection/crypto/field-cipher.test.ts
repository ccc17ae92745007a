import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError, CiphertextInvalidError } from '../../platform/errors.js';
import {
  HEADER_LENGTH,
  MAX_PLAINTEXT_BYTES,
  MIN_CIPHERTEXT_LENGTH,
  NONCE_LENGTH,
  decryptField,
  decryptFieldText,
  deriveFieldSubkey,
  encryptField,
  forgetFieldSubkeys,
  getAeadBackend,
  openXChaCha20Poly1305,
  readCiphertextHeader,
  sealXChaCha20Poly1305,
  type DataKey,
  type FieldContext,
} from './field-cipher.js';

function buildDataKey(overrides: Partial<DataKey> = {}): DataKey {
  return { id: randomUUID(), version: 1, key: randomBytes(32), ...overrides };
}

function buildContext(overrides: Partial<FieldContext> = {}): FieldContext {
  return { table: 'customers', column: 'email', rowId: randomUUID(), ...overrides };
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

describe('XChaCha20-Poly1305 backends', () => {
  // draft-irtf-cfrg-xchacha-03, appendix A.3.1.
  const vector = {
    key: hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f'),
    nonce: hex('404142434445464748494a4b4c4d4e4f5051525354555657'),
    aad: hex('50515253c0c1c2c3c4c5c6c7'),
    plaintext: Buffer.from("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."),
    sealed: hex(`bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb
      731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452
      2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9
      21f9664c97637da9768812f615c68b13b52e c0875924c1c7987947deafd8780acf49`),
  };

  it.each(['node', 'noble'] as const)('%s backend matches the draft test vector both ways', (backend) => {
    const input = { key: vector.key, nonce: vector.nonce, aad: vector.aad, backend };
    expect(Buffer.from(sealXChaCha20Poly1305(input, vector.plaintext))).toEqual(vector.sealed);
    expect(Buffer.from(openXChaCha20Poly1305(input, vector.sealed))).toEqual(vector.plaintext);
  });

  it('uses the native backend on this Node build', () => {
    expect(getAeadBackend()).toBe('node');
  });

  it('produces identical bytes on both backends and each opens the other', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 24, maxLength: 24 }), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 600 }), (key, nonce, aad, plaintext) => {
        const native = sealXChaCha20Poly1305({ key, nonce, aad, backend: 'node' }, plaintext);
        const noble = sealXChaCha20Poly1305({ key, nonce, aad, backend: 'noble' }, plaintext);
        expect(Buffer.from(native)).toEqual(Buffer.from(noble));
        expect(Buffer.from(openXChaCha20Poly1305({ key, nonce, aad, backend: 'noble' }, native))).toEqual(Buffer.from(plaintext));
      }),
      { numRuns: 200 },
    );
  });

  it.each(['node', 'noble'] as const)('%s backend copies a prefix in front without sealing it', (backend) => {
    const input = { key: vector.key, nonce: vector.nonce, aad: vector.aad, backend };
    const prefix = Buffer.from('header bytes');
    expect(Buffer.from(sealXChaCha20Poly1305(input, vector.plaintext, prefix))).toEqual(Buffer.concat([prefix, vector.sealed]));
  });

  it.each(['node', 'noble'] as const)('%s backend rejects a wrong tag', (backend) => {
    const input = { key: vector.key, nonce: vector.nonce, aad: vector.aad, backend };
    const forged = Buffer.from(vector.sealed);
    forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 1;
    expect(() => openXChaCha20Poly1305(input, forged)).toThrow(CiphertextInvalidError);
  });
});

describe('encryptField / decryptField', () => {
  const dek = buildDataKey();
  const ctx = buildContext();

  it.each([
    ['empty string', ''],
    ['ascii', 'alice@example.com'],
    ['unicode', 'Zoë Ångström — 東京都 🚀 ﷽'],
  ])('round-trips %s', (_name, value) => {
    expect(decryptFieldText(dek, ctx, encryptField(dek, ctx, value))).toBe(value);
  });

  it('round-trips 1 MiB of binary data', () => {
    const value = randomBytes(1024 * 1024);
    const ciphertext = encryptField(dek, ctx, value);
    expect(ciphertext.length).toBe(value.length + MIN_CIPHERTEXT_LENGTH);
    expect(Buffer.from(decryptField(dek, ctx, ciphertext))).toEqual(value);
  });

  it('round-trips arbitrary strings (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (value) => {
        expect(decryptFieldText(dek, ctx, encryptField(dek, ctx, value))).toBe(value);
      }),
    );
  });

  it('does not contain the plaintext', () => {
    const value = 'very-distinctive-plaintext@example.com';
    expect(Buffer.from(encryptField(dek, ctx, value)).includes(value)).toBe(false);
  });

  it('writes the header it later reads', () => {
    const key = buildDataKey({ version: 0xfffffffe });
    expect(readCiphertextHeader(encryptField(key, ctx, 'x'))).toEqual({ formatVersion: 1, algorithm: 1, keyId: key.id, keyVersion: 0xfffffffe });
  });

  it('draws a fresh nonce for every call', () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const ciphertext = encryptField(dek, ctx, 'same value');
      nonces.add(Buffer.from(ciphertext.subarray(HEADER_LENGTH, HEADER_LENGTH + NONCE_LENGTH)).toString('hex'));
    }
    expect(nonces.size).toBe(2000);
  });

  it.each([
    ['another row', { rowId: randomUUID() }],
    ['another column', { column: 'phone' }],
    ['another table', { table: 'contacts' }],
  ])('fails when the ciphertext is moved to %s', (_name, moved) => {
    const ciphertext = encryptField(dek, ctx, 'secret');
    expect(() => decryptField(dek, { ...ctx, ...moved }, ciphertext)).toThrow(CiphertextInvalidError);
  });

  it('keeps the context fields apart (no ambiguity between column and row id)', () => {
    const a = encryptField(dek, { table: 't', column: 'c', rowId: 'ab' }, 'x');
    expect(() => decryptField(dek, { table: 't', column: 'c', rowId: 'a' }, a)).toThrow(CiphertextInvalidError);
  });

  it('fails under another key id, version or key bytes', () => {
    const ciphertext = encryptField(dek, ctx, 'secret');
    expect(() => decryptField({ ...dek, id: randomUUID() }, ctx, ciphertext)).toThrow(CiphertextInvalidError);
    expect(() => decryptField({ ...dek, version: 2 }, ctx, ciphertext)).toThrow(CiphertextInvalidError);
    // Same id and version, other bytes: must not hit a subkey cached for the real key.
    expect(() => decryptField({ ...dek, key: randomBytes(32) }, ctx, ciphertext)).toThrow(CiphertextInvalidError);
  });

  it('rejects any single bit flip, wherever it is (property)', () => {
    const ciphertext = encryptField(dek, ctx, 'a value of moderate length, forty-odd bytes');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: ciphertext.length * 8 - 1 }), (bit) => {
        const tampered = Buffer.from(ciphertext);
        tampered[bit >> 3] = (tampered[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        expect(() => decryptField(dek, ctx, tampered)).toThrow(CiphertextInvalidError);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects every truncation', () => {
    const ciphertext = encryptField(dek, ctx, 'hello');
    for (let length = 0; length < ciphertext.length; length++) {
      expect(() => decryptField(dek, ctx, ciphertext.subarray(0, length)), `length ${length}`).toThrow(CiphertextInvalidError);
    }
    expect(() => readCiphertextHeader(ciphertext.subarray(0, MIN_CIPHERTEXT_LENGTH - 1))).toThrow(CiphertextInvalidError);
  });

  it('rejects unknown format and algorithm bytes', () => {
    const ciphertext = Buffer.from(encryptField(dek, ctx, 'hello'));
    expect(() => readCiphertextHeader(Buffer.concat([Buffer.from([2]), ciphertext.subarray(1)]))).toThrow(expect.objectContaining({ internal: 'unknown ciphertext format 2' }));
    expect(() => readCiphertextHeader(Buffer.concat([Buffer.from([1, 9]), ciphertext.subarray(2)]))).toThrow(expect.objectContaining({ internal: 'unknown ciphertext algorithm 9' }));
  });

  it('refuses to read binary plaintext as text', () => {
    const ciphertext = encryptField(dek, ctx, new Uint8Array([0xff, 0xfe, 0x00]));
    expect(() => decryptFieldText(dek, ctx, ciphertext)).toThrow(CiphertextInvalidError);
  });

  it('refuses a string that UTF-8 cannot carry unchanged', () => {
    expect(() => encryptField(dek, ctx, 'broken \uD800 surrogate')).toThrow(AppError);
  });

  it('refuses plaintext over the size limit with a clear error', () => {
    const tooBig = new Uint8Array(MAX_PLAINTEXT_BYTES + 1);
    expect(() => encryptField(dek, ctx, tooBig)).toThrow(expect.objectContaining({ code: 'payload_too_large' }));
  });

  it('refuses table and column names that would make the subkey label ambiguous', () => {
    expect(() => encryptField(dek, { ...ctx, table: 'a/b' }, 'x')).toThrow(RangeError);
    expect(() => encryptField(dek, { ...ctx, column: 'Email' }, 'x')).toThrow(RangeError);
  });

  it('derives a distinct subkey per column and per key, and forgets them on request', () => {
    const key = buildDataKey();
    const email = deriveFieldSubkey(key, 'customers', 'email');
    expect(deriveFieldSubkey(key, 'customers', 'email')).toBe(email);
    expect(Buffer.from(deriveFieldSubkey(key, 'customers', 'phone'))).not.toEqual(Buffer.from(email));
    expect(Buffer.from(deriveFieldSubkey(buildDataKey({ id: key.id }), 'customers', 'email'))).not.toEqual(Buffer.from(email));
    const ciphertext = encryptField(key, ctx, 'still readable');
    forgetFieldSubkeys(key.key);
    expect(email.every((b) => b === 0)).toBe(true);
    expect(decryptFieldText(key, ctx, ciphertext)).toBe('still readable');
  });
});
