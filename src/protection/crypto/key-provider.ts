/**
 * Key-encryption key (KEK) providers. A provider wraps and unwraps data keys;
 * it never hands the KEK to the rest of the program, so a cloud KMS or a
 * PKCS#11 module (where the KEK never leaves the device) fits the same
 * interface. Two ship: a local key file (the default) and an environment
 * variable.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateKey, unwrapKey, wrapKey } from './key-wrap.js';

export interface KeyProvider {
  /** Human-readable kind, for messages: "key file /x/y", "environment". */
  readonly description: string;
  /** The KEK that wraps new keys. */
  currentKekId(): string;
  /** Every KEK id this provider can unwrap with. */
  kekIds(): string[];
  wrap(dek: Uint8Array, aad: string): Promise<{ kekId: string; wrapped: Uint8Array }>;
  /** Throws CiphertextInvalidError when the wrapped key does not open (wrong KEK, tampered). */
  unwrap(kekId: string, wrapped: Uint8Array, aad: string): Promise<Uint8Array>;
  /** Creates a new current KEK, keeping the old ones for unwrapping. Not every provider can. */
  addKek?(): Promise<string>;
  /** Forgets KEKs that nothing is wrapped under any more. */
  removeKeks?(ids: string[]): Promise<void>;
}

export class KeyProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyProviderError';
  }
}

interface Kek {
  id: string;
  key: Uint8Array;
}

function makeKekId(): string {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  return `kek-${day}-${randomBytes(4).toString('hex')}`;
}

abstract class InMemoryKekProvider implements KeyProvider {
  abstract readonly description: string;
  protected keks: Kek[] = [];

  currentKekId(): string {
    const first = this.keks[0];
    if (!first) throw new KeyProviderError(`${this.description}: no key-encryption key`);
    return first.id;
  }

  kekIds(): string[] {
    return this.keks.map((k) => k.id);
  }

  async wrap(dek: Uint8Array, aad: string) {
    const kekId = this.currentKekId();
    return { kekId, wrapped: wrapKey(this.find(kekId), dek, `${aad}/kek:${kekId}`) };
  }

  async unwrap(kekId: string, wrapped: Uint8Array, aad: string) {
    return unwrapKey(this.find(kekId), wrapped, `${aad}/kek:${kekId}`);
  }

  protected find(kekId: string): Uint8Array {
    const kek = this.keks.find((k) => k.id === kekId);
    if (!kek) {
      throw new KeyProviderError(
        `Key-encryption key ${kekId} is not in ${this.description}. The database was written with a key this installation does not have.`,
      );
    }
    return kek.key;
  }
}

const KEY_FILE_FORMAT = 'trustdesk-keyfile-v1';

/**
 * A JSON key file, owner-only (0600), created on first start. Newest KEK first.
 * Back it up apart from the database: a database backup alone reveals nothing.
 */
export class FileKeyProvider extends InMemoryKekProvider {
  readonly description: string;
  private readonly file: string;

  private constructor(file: string) {
    super();
    this.file = file;
    this.description = `key file ${file}`;
  }

  /** Opens the key file, creating it (with one new KEK) when `create` and it does not exist. */
  static open(file: string, options: { create: boolean }): { provider: FileKeyProvider; created: boolean } {
    const provider = new FileKeyProvider(file);
    if (!existsSync(file)) {
      if (!options.create) throw new KeyProviderError(`Key file ${file} does not exist.`);
      provider.keks = [{ id: makeKekId(), key: generateKey() }];
      provider.save();
      return { provider, created: true };
    }
    provider.keks = readKeyFile(file);
    return { provider, created: false };
  }

  async addKek(): Promise<string> {
    const kek = { id: makeKekId(), key: generateKey() };
    this.keks = [kek, ...this.keks];
    this.save();
    return kek.id;
  }

  async removeKeks(ids: string[]): Promise<void> {
    const current = this.currentKekId();
    if (ids.includes(current)) throw new KeyProviderError('The current key-encryption key cannot be removed.');
    this.keks = this.keks.filter((k) => !ids.includes(k.id));
    this.save();
  }

  private save(): void {
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const body = JSON.stringify(
      {
        format: KEY_FILE_FORMAT,
        warning: 'Trustdesk key-encryption keys. Keep secret; back up apart from the database.',
        keks: this.keks.map((k) => ({ id: k.id, key: Buffer.from(k.key).toString('base64') })),
      },
      null,
      2,
    );
    const tmp = `${this.file}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, `${body}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }
}

function readKeyFile(file: string): Kek[] {
  const mode = statSync(file).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new KeyProviderError(
      `Key file ${file} is readable by other users (mode ${mode.toString(8)}). Run: chmod 600 ${JSON.stringify(file)}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new KeyProviderError(`Key file ${file} is corrupt (not JSON). Restore it from your backup; without it encrypted data cannot be read.`);
  }
  const doc = parsed as { format?: unknown; keks?: unknown };
  if (doc?.format !== KEY_FILE_FORMAT || !Array.isArray(doc.keks) || doc.keks.length === 0) {
    throw new KeyProviderError(`Key file ${file} is corrupt (expected format ${KEY_FILE_FORMAT} with at least one key).`);
  }
  return doc.keks.map((k: unknown, i: number) => {
    const entry = k as { id?: unknown; key?: unknown };
    const key = typeof entry.key === 'string' ? Buffer.from(entry.key, 'base64') : undefined;
    if (typeof entry.id !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(entry.id) || !key || key.length !== 32) {
      throw new KeyProviderError(`Key file ${file} is corrupt (key ${i} is not a 32-byte base64 key with an id).`);
    }
    return { id: entry.id, key: new Uint8Array(key) };
  });
}

/**
 * KEKs from an environment variable: "id:base64key,id2:base64key", newest first.
 * To rotate, put the new key first, keep the old one after it, run
 * `trustdesk keys rotate-kek`, then drop the old one.
 */
export class EnvKeyProvider extends InMemoryKekProvider {
  readonly description = 'TRUSTDESK_KEK';

  constructor(value: string) {
    super();
    this.keks = value.split(',').map((part, i) => {
      const [id, b64, ...rest] = part.trim().split(':');
      const key = b64 ? Buffer.from(b64, 'base64') : undefined;
      if (!id || !/^[A-Za-z0-9._-]{1,64}$/.test(id) || rest.length > 0 || !key || key.length !== 32) {
        throw new KeyProviderError(`TRUSTDESK_KEK: entry ${i + 1} must be "id:base64" with a 32-byte key`);
      }
      return { id, key: new Uint8Array(key) };
    });
  }
}

export function createKeyProvider(config: { keyProvider: 'file' | 'env'; keyFilePath: string; kek?: string | undefined }, options: { create: boolean }) {
  if (config.keyProvider === 'env') return { provider: new EnvKeyProvider(config.kek ?? ''), created: false };
  return FileKeyProvider.open(config.keyFilePath, options);
}
