/**
 * Field encryption: XChaCha20-Poly1305 under a per-column subkey of a data key
 * (DEK), with a versioned header and associated data that binds each ciphertext
 * to its table, column and row. Pure: no database, no logging. Format and
 * reasoning: docs/decisions/0010-field-ciphertext-format.md.
 */
import { createCipheriv, createDecipheriv, getCiphers, hkdfSync, randomFillSync } from 'node:crypto';
import { hchacha, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { AppError, CiphertextInvalidError } from '../../platform/errors.js';

export interface DataKey { id: string; version: number; key: Uint8Array }
export interface FieldContext { table: string; column: string; rowId: string }
export interface CiphertextHeader { formatVersion: number; algorithm: number; keyId: string; keyVersion: number }

export const FORMAT_VERSION = 1;
export const ALG_XCHACHA20_POLY1305 = 1;
/** version (1) + algorithm (1) + key id (16) + key version (4). */
export const HEADER_LENGTH = 22;
export const NONCE_LENGTH = 24;
export const TAG_LENGTH = 16;
export const MIN_CIPHERTEXT_LENGTH = HEADER_LENGTH + NONCE_LENGTH + TAG_LENGTH;
export const MAX_PLAINTEXT_BYTES = 64 * 1024 * 1024;
const MAX_ROW_ID_BYTES = 1024;
/** Subkeys cached per DEK; a DEK rarely protects more columns than this. */
const SUBKEYS_PER_DEK = 256;

// ---------------------------------------------------------------------------
// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha). Two byte-identical backends:
// OpenSSL's ChaCha20-Poly1305 keyed with HChaCha20(key, nonce[0..16]) (about
// twice as fast as pure JS at field sizes), and @noble/ciphers for builds whose
// OpenSSL lacks ChaCha20 (FIPS mode). See decision 0010, "Performance".
// ---------------------------------------------------------------------------

export type AeadBackend = 'node' | 'noble';

export interface AeadInput { key: Uint8Array; nonce: Uint8Array; aad: Uint8Array; backend?: AeadBackend }

const EMPTY = new Uint8Array(0);
const SIGMA = new Uint32Array(new Uint8Array(Buffer.from('expand 32-byte k', 'latin1')).buffer);
const scratchKey = new Uint32Array(8);
const scratchNonce = new Uint32Array(4);
const scratchOut = new Uint32Array(8);
const scratchKeyBytes = new Uint8Array(scratchKey.buffer);
const scratchNonceBytes = new Uint8Array(scratchNonce.buffer);
const scratchOutBytes = Buffer.from(scratchOut.buffer);
const scratchIv = Buffer.alloc(12);

/** Runs `use` with HChaCha20(key, nonce[0..16]) and the 12-byte ChaCha20 nonce, then wipes them. */
function withXChaChaSubkey<T>(key: Uint8Array, nonce: Uint8Array, use: (subkey: Buffer, iv: Buffer) => T): T {
  // noble's hchacha takes words in host order and fixes big-endian hosts itself.
  scratchKeyBytes.set(key);
  scratchNonceBytes.set(nonce.subarray(0, 16));
  hchacha(SIGMA, scratchKey, scratchNonce, scratchOut);
  // ChaCha20 nonce = 4 zero bytes || nonce[16..24]; createCipheriv copies it, so one scratch serves.
  scratchIv.set(nonce.subarray(16, 24), 4);
  const iv = scratchIv;
  try {
    return use(scratchOutBytes, iv);
  } finally {
    scratchKey.fill(0);
    scratchOut.fill(0);
  }
}

/** Encrypts; returns prefix || ciphertext || 16-byte tag (one allocation; `prefix` is copied, not sealed). */
export function sealXChaCha20Poly1305(input: AeadInput, plaintext: Uint8Array, prefix: Uint8Array = EMPTY): Uint8Array {
  checkAeadInput(input);
  const out = Buffer.allocUnsafe(prefix.length + plaintext.length + TAG_LENGTH);
  out.set(prefix, 0);
  if ((input.backend ?? defaultBackend) === 'noble') {
    xchacha20poly1305(input.key, input.nonce, input.aad).encrypt(plaintext, out.subarray(prefix.length));
    return out;
  }
  return withXChaChaSubkey(input.key, input.nonce, (subkey, iv) => {
    const cipher = createCipheriv('chacha20-poly1305', subkey, iv, { authTagLength: TAG_LENGTH });
    cipher.setAAD(input.aad, { plaintextLength: plaintext.length });
    out.set(cipher.update(plaintext), prefix.length);
    cipher.final();
    out.set(cipher.getAuthTag(), prefix.length + plaintext.length);
    return out;
  });
}

/** Decrypts ciphertext || tag; throws CiphertextInvalidError and releases no plaintext if the tag fails. */
export function openXChaCha20Poly1305(input: AeadInput, sealed: Uint8Array): Uint8Array {
  checkAeadInput(input);
  if (sealed.length < TAG_LENGTH) throw new CiphertextInvalidError('sealed box shorter than its tag');
  if ((input.backend ?? defaultBackend) === 'noble') {
    try {
      return xchacha20poly1305(input.key, input.nonce, input.aad).decrypt(sealed);
    } catch {
      throw new CiphertextInvalidError('authentication tag mismatch');
    }
  }
  const bodyLength = sealed.length - TAG_LENGTH;
  return withXChaChaSubkey(input.key, input.nonce, (subkey, iv) => {
    const decipher = createDecipheriv('chacha20-poly1305', subkey, iv, { authTagLength: TAG_LENGTH });
    decipher.setAAD(input.aad, { plaintextLength: bodyLength });
    decipher.setAuthTag(sealed.subarray(bodyLength));
    // OpenSSL streams plaintext before final() checks the tag: hold it back until then.
    const plaintext = decipher.update(sealed.subarray(0, bodyLength));
    try {
      decipher.final();
    } catch {
      plaintext.fill(0);
      throw new CiphertextInvalidError('authentication tag mismatch');
    }
    return plaintext;
  });
}

function checkAeadInput(input: AeadInput): void {
  if (input.key.length !== 32) throw new RangeError('XChaCha20-Poly1305 key must be 32 bytes');
  if (input.nonce.length !== NONCE_LENGTH) throw new RangeError('XChaCha20-Poly1305 nonce must be 24 bytes');
}

/** Which backend this process uses; the native one only after it reproduces a known answer. */
function detectBackend(): AeadBackend {
  if (!getCiphers().includes('chacha20-poly1305')) return 'noble';
  try {
    const probe: AeadInput = { key: new Uint8Array(32).fill(7), nonce: new Uint8Array(24).fill(9), aad: new Uint8Array([1, 2, 3]) };
    const message = new Uint8Array(100).fill(42);
    const native = sealXChaCha20Poly1305({ ...probe, backend: 'node' }, message);
    const reference = sealXChaCha20Poly1305({ ...probe, backend: 'noble' }, message);
    return Buffer.from(native).equals(reference) ? 'node' : 'noble';
  } catch {
    return 'noble';
  }
}

let defaultBackend: AeadBackend = 'noble';
defaultBackend = detectBackend();

export function getAeadBackend(): AeadBackend {
  return defaultBackend;
}

// ---------------------------------------------------------------------------
// Nonces: 24 random bytes each. Drawn from a pooled CSPRNG buffer because a
// randomBytes(24) call costs ~2 µs, a fifth of the whole budget. Nonces are
// public, so holding future ones in memory exposes nothing.
// ---------------------------------------------------------------------------
const NONCE_POOL_SIZE = NONCE_LENGTH * 256;
let noncePool = Buffer.alloc(0);
let noncePoolOffset = 0;

/** Returns a fresh random 24-byte nonce, never handed out twice. */
export function generateNonce(): Uint8Array {
  if (noncePoolOffset + NONCE_LENGTH > noncePool.length) {
    noncePool = randomFillSync(Buffer.allocUnsafe(NONCE_POOL_SIZE));
    noncePoolOffset = 0;
  }
  const nonce = noncePool.subarray(noncePoolOffset, noncePoolOffset + NONCE_LENGTH);
  noncePoolOffset += NONCE_LENGTH;
  return nonce;
}

// ---------------------------------------------------------------------------
// Per-column subkeys: HKDF-SHA256(DEK, info "trustdesk/field/v1/<table>/<column>").
// Cached under the DEK object itself (a WeakMap), then table, then column: a
// subkey depends only on the DEK bytes and the column, and keying on the object
// (not the key id) means other bytes under a reused id can never hit a stale
// subkey, and a DEK the keyring drops takes its subkeys with it.
// forgetFieldSubkeys wipes them at once (shredding, rotation).
// ---------------------------------------------------------------------------
const subkeyCache = new WeakMap<Uint8Array, Map<string, Map<string, Uint8Array>>>();
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Table and column names are SQL identifiers, which keeps `<table>/<column>` unambiguous. */
export function assertIdentifier(kind: 'table' | 'column', name: string): void {
  if (!IDENTIFIER.test(name)) throw new RangeError(`${kind} name must be a lowercase SQL identifier`);
}

export function deriveFieldSubkey(dek: DataKey, table: string, column: string): Uint8Array {
  if (dek.key.length !== 32) throw new RangeError('data key must be 32 bytes');
  const cached = subkeyCache.get(dek.key)?.get(table)?.get(column);
  if (cached !== undefined) return cached;
  assertIdentifier('table', table);
  assertIdentifier('column', column);
  const subkey = new Uint8Array(hkdfSync('sha256', dek.key, EMPTY, `trustdesk/field/v1/${table}/${column}`, 32));
  let perKey = subkeyCache.get(dek.key);
  if (perKey === undefined || countSubkeys(perKey) >= SUBKEYS_PER_DEK) {
    // Past the bound (a runaway caller) start over rather than track recency: a miss only costs one HKDF.
    forgetFieldSubkeys(dek.key);
    perKey = new Map();
    subkeyCache.set(dek.key, perKey);
  }
  let perTable = perKey.get(table);
  if (perTable === undefined) {
    perTable = new Map();
    perKey.set(table, perTable);
  }
  perTable.set(column, subkey);
  return subkey;
}

function countSubkeys(perKey: Map<string, Map<string, Uint8Array>>): number {
  let count = 0;
  for (const columns of perKey.values()) count += columns.size;
  return count;
}

/** Wipes and drops every cached subkey derived from this DEK (call on shred, rotation, eviction). */
export function forgetFieldSubkeys(dekKey: Uint8Array): void {
  const perKey = subkeyCache.get(dekKey);
  if (perKey === undefined) return;
  for (const columns of perKey.values()) for (const subkey of columns.values()) subkey.fill(0);
  subkeyCache.delete(dekKey);
}

// ---------------------------------------------------------------------------
// Header and associated data.
// ---------------------------------------------------------------------------
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const uuidBytesCache = new Map<string, Buffer>();

/** Key ids are not secret; caching their 16-byte form saves a parse per field. */
function uuidToBytes(id: string): Buffer {
  const cached = uuidBytesCache.get(id);
  if (cached !== undefined) return cached;
  if (!UUID.test(id)) throw new RangeError('data key id must be a UUID');
  if (uuidBytesCache.size >= 4096) uuidBytesCache.clear();
  const bytes = Buffer.from(id.replaceAll('-', ''), 'hex');
  uuidBytesCache.set(id, bytes);
  return bytes;
}

function bytesToUuid(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function writeHeader(dek: DataKey, out: Buffer): void {
  if (!Number.isInteger(dek.version) || dek.version < 0 || dek.version > 0xffffffff) {
    throw new RangeError('data key version must be a uint32');
  }
  out[0] = FORMAT_VERSION;
  out[1] = ALG_XCHACHA20_POLY1305;
  uuidToBytes(dek.id).copy(out, 2);
  out.writeUInt32BE(dek.version, 18);
}

/** header || len(table) || table || len(column) || column || len(rowId) || rowId, lengths uint32 BE. */
function buildAssociatedData(header: Uint8Array, ctx: FieldContext): Buffer {
  const tableLength = Buffer.byteLength(ctx.table, 'utf8');
  const columnLength = Buffer.byteLength(ctx.column, 'utf8');
  const rowIdLength = Buffer.byteLength(ctx.rowId, 'utf8');
  if (rowIdLength === 0 || rowIdLength > MAX_ROW_ID_BYTES) throw new RangeError(`row id must be 1 to ${MAX_ROW_ID_BYTES} bytes`);
  const aad = Buffer.allocUnsafe(HEADER_LENGTH + 12 + tableLength + columnLength + rowIdLength);
  aad.set(header.subarray(0, HEADER_LENGTH), 0);
  let offset = aad.writeUInt32BE(tableLength, HEADER_LENGTH);
  offset += aad.write(ctx.table, offset, 'utf8');
  offset = aad.writeUInt32BE(columnLength, offset);
  offset += aad.write(ctx.column, offset, 'utf8');
  offset = aad.writeUInt32BE(rowIdLength, offset);
  aad.write(ctx.rowId, offset, 'utf8');
  return aad;
}

/** Length, format and algorithm checks shared by readCiphertextHeader and decryptField. */
function checkCiphertextPrefix(ciphertext: Uint8Array): void {
  if (ciphertext.length < MIN_CIPHERTEXT_LENGTH) {
    throw new CiphertextInvalidError(`ciphertext truncated: ${ciphertext.length} < ${MIN_CIPHERTEXT_LENGTH} bytes`);
  }
  const formatVersion = ciphertext[0] ?? -1;
  const algorithm = ciphertext[1] ?? -1;
  if (formatVersion !== FORMAT_VERSION) throw new CiphertextInvalidError(`unknown ciphertext format ${formatVersion}`);
  if (algorithm !== ALG_XCHACHA20_POLY1305) throw new CiphertextInvalidError(`unknown ciphertext algorithm ${algorithm}`);
}

export function readCiphertextHeader(ciphertext: Uint8Array): CiphertextHeader {
  checkCiphertextPrefix(ciphertext);
  const view = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength);
  return { formatVersion: FORMAT_VERSION, algorithm: ALG_XCHACHA20_POLY1305, keyId: bytesToUuid(view.subarray(2, 18)), keyVersion: view.readUInt32BE(18) };
}

// ---------------------------------------------------------------------------
// Field API.
// ---------------------------------------------------------------------------
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function encodePlaintext(plaintext: string | Uint8Array): Uint8Array {
  if (typeof plaintext !== 'string') return plaintext;
  // UTF-8 would silently turn a lone surrogate into U+FFFD: refuse rather than change the value.
  if (LONE_SURROGATE.test(plaintext)) {
    throw new AppError('validation_failed', 'Text contains invalid characters.', { internal: 'lone UTF-16 surrogate in field plaintext' });
  }
  return Buffer.from(plaintext, 'utf8');
}

function assertPlaintextSize(length: number): void {
  if (length > MAX_PLAINTEXT_BYTES) {
    throw new AppError('payload_too_large', 'This value is too large to store.', {
      internal: `field plaintext ${length} bytes > ${MAX_PLAINTEXT_BYTES}`,
    });
  }
}

export function encryptField(dek: DataKey, ctx: FieldContext, plaintext: string | Uint8Array): Uint8Array {
  // Every UTF-16 unit encodes to at least one byte: refuse huge strings before encoding them.
  assertPlaintextSize(plaintext.length);
  const bytes = encodePlaintext(plaintext);
  assertPlaintextSize(bytes.length);
  const subkey = deriveFieldSubkey(dek, ctx.table, ctx.column);
  const prefix = Buffer.allocUnsafe(HEADER_LENGTH + NONCE_LENGTH);
  writeHeader(dek, prefix);
  const nonce = generateNonce();
  prefix.set(nonce, HEADER_LENGTH);
  return sealXChaCha20Poly1305({ key: subkey, nonce, aad: buildAssociatedData(prefix, ctx) }, bytes, prefix);
}

export function decryptField(dek: DataKey, ctx: FieldContext, ciphertext: Uint8Array): Uint8Array {
  checkCiphertextPrefix(ciphertext);
  if (ciphertext.length > MIN_CIPHERTEXT_LENGTH + MAX_PLAINTEXT_BYTES) throw new CiphertextInvalidError('ciphertext too large');
  const view = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength);
  if (!uuidToBytes(dek.id).equals(view.subarray(2, 18)) || view.readUInt32BE(18) !== dek.version) {
    const header = readCiphertextHeader(ciphertext);
    throw new CiphertextInvalidError(`ciphertext is under key ${header.keyId} v${header.keyVersion}, not ${dek.id} v${dek.version}`);
  }
  const subkey = deriveFieldSubkey(dek, ctx.table, ctx.column);
  const nonce = ciphertext.subarray(HEADER_LENGTH, HEADER_LENGTH + NONCE_LENGTH);
  const aad = buildAssociatedData(ciphertext, ctx);
  try {
    return openXChaCha20Poly1305({ key: subkey, nonce, aad }, ciphertext.subarray(HEADER_LENGTH + NONCE_LENGTH));
  } catch (err) {
    if (err instanceof CiphertextInvalidError) {
      throw new CiphertextInvalidError(`field ${ctx.table}.${ctx.column}: authentication failed (wrong key, row, column or tampered)`);
    }
    throw err;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decryptFieldText(dek: DataKey, ctx: FieldContext, ciphertext: Uint8Array): string {
  const bytes = decryptField(dek, ctx, ciphertext);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new CiphertextInvalidError(`field ${ctx.table}.${ctx.column}: plaintext is not UTF-8 text`);
  }
}
