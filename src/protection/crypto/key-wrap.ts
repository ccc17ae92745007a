/**
 * Wrapping of data keys (and other small secrets) under a key-encryption key.
 * Layout: version (1) || algorithm (1) || nonce (24) || XChaCha20-Poly1305(secret) || tag (16).
 * The associated data is a fixed domain label, the two leading bytes, and the
 * caller's `aad`, which names what is wrapped (e.g. `dek:<id>:<version>:kek:<kekId>`),
 * so a wrapped key swapped onto another row fails to unwrap. See decision 0010.
 */
import { randomBytes } from 'node:crypto';
import { CiphertextInvalidError } from '../../platform/errors.js';
import { ALG_XCHACHA20_POLY1305, NONCE_LENGTH, TAG_LENGTH, generateNonce, openXChaCha20Poly1305, sealXChaCha20Poly1305 } from './field-cipher.js';

export const WRAP_FORMAT_VERSION = 1;
const PREFIX_LENGTH = 2 + NONCE_LENGTH;
const MAX_SECRET_BYTES = 1024;
const DOMAIN = Buffer.from('trustdesk/keywrap/v1\u0000', 'utf8');

function buildWrapAad(prefix: Uint8Array, aad: string): Buffer {
  return Buffer.concat([DOMAIN, prefix.subarray(0, 2), Buffer.from(aad, 'utf8')]);
}

function checkKek(kek: Uint8Array): void {
  if (kek.length !== 32) throw new RangeError('key-encryption key must be 32 bytes');
}

/** 32 random bytes from the OS CSPRNG: a fresh DEK, KEK or index root key. */
export function generateKey(): Uint8Array {
  return randomBytes(32);
}

export function wrapKey(kek: Uint8Array, dek: Uint8Array, aad: string): Uint8Array {
  checkKek(kek);
  if (dek.length === 0 || dek.length > MAX_SECRET_BYTES) throw new RangeError(`wrapped secret must be 1 to ${MAX_SECRET_BYTES} bytes`);
  const prefix = Buffer.allocUnsafe(PREFIX_LENGTH);
  prefix[0] = WRAP_FORMAT_VERSION;
  prefix[1] = ALG_XCHACHA20_POLY1305;
  const nonce = generateNonce();
  prefix.set(nonce, 2);
  return sealXChaCha20Poly1305({ key: kek, nonce, aad: buildWrapAad(prefix, aad) }, dek, prefix);
}

export function unwrapKey(kek: Uint8Array, wrapped: Uint8Array, aad: string): Uint8Array {
  checkKek(kek);
  if (wrapped.length < PREFIX_LENGTH + TAG_LENGTH + 1) throw new CiphertextInvalidError('wrapped key truncated');
  if (wrapped.length > PREFIX_LENGTH + TAG_LENGTH + MAX_SECRET_BYTES) throw new CiphertextInvalidError('wrapped key too large');
  if (wrapped[0] !== WRAP_FORMAT_VERSION) throw new CiphertextInvalidError(`unknown wrapped-key format ${wrapped[0]}`);
  if (wrapped[1] !== ALG_XCHACHA20_POLY1305) throw new CiphertextInvalidError(`unknown wrapped-key algorithm ${wrapped[1]}`);
  const nonce = wrapped.subarray(2, PREFIX_LENGTH);
  try {
    return openXChaCha20Poly1305({ key: kek, nonce, aad: buildWrapAad(wrapped, aad) }, wrapped.subarray(PREFIX_LENGTH));
  } catch (err) {
    if (err instanceof CiphertextInvalidError) {
      throw new CiphertextInvalidError('wrapped key failed authentication (wrong KEK, wrong binding, or tampered)');
    }
    throw err;
  }
}
