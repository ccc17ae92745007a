/**
 * The blob store: opaque keys to bytes. The local folder store writes
 * atomically (temporary file, fsync, rename) so a blob exists completely or not
 * at all before the database row that names it commits. Keys are generated
 * here, never taken from file names; an S3-compatible store implements the
 * same interface.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export interface BlobStore {
  /** Stores bytes under a new key and returns it; durable when the promise resolves. */
  put(bytes: Uint8Array): Promise<string>;
  get(key: string): Promise<Uint8Array>;
  delete(key: string): Promise<void>;
}

const KEY = /^[0-9a-f]{2}\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isBlobKey(key: string): boolean {
  return KEY.test(key);
}

export class LocalBlobStore implements BlobStore {
  constructor(private readonly dir: string) {}

  private pathOf(key: string): string {
    if (!isBlobKey(key)) throw new Error('invalid blob key');
    return path.join(this.dir, key);
  }

  async put(bytes: Uint8Array): Promise<string> {
    const id = randomUUID();
    const key = `${id.slice(0, 2)}/${id}`;
    const final = this.pathOf(key);
    await mkdir(path.dirname(final), { recursive: true, mode: 0o700 });
    const tmp = `${final}.tmp`;
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, final);
    return key;
  }

  async get(key: string): Promise<Uint8Array> {
    return readFile(this.pathOf(key));
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }
}

/** In memory, for tests and benchmarks. */
export class MemoryBlobStore implements BlobStore {
  readonly blobs = new Map<string, Uint8Array>();
  async put(bytes: Uint8Array): Promise<string> {
    const id = randomUUID();
    const key = `${id.slice(0, 2)}/${id}`;
    this.blobs.set(key, Uint8Array.from(bytes));
    return key;
  }
  async get(key: string): Promise<Uint8Array> {
    const b = this.blobs.get(key);
    if (!b) throw new Error('no such blob');
    return b;
  }
  async delete(key: string): Promise<void> {
    this.blobs.delete(key);
  }
}
