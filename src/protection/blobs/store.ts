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

/**
 * Remembers the blobs written through it, so that the work of a transaction
 * that rolled back can be undone: a blob is written before the row that names
 * it commits (above), and without this a failed attempt leaves an orphan each
 * time the sender retries.
 */
export class WriteTrackingBlobStore implements BlobStore {
  readonly written: string[] = [];
  constructor(private readonly inner: BlobStore) {}

  async put(bytes: Uint8Array): Promise<string> {
    const key = await this.inner.put(bytes);
    this.written.push(key);
    return key;
  }

  get(key: string): Promise<Uint8Array> {
    return this.inner.get(key);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  /**
   * Deletes the written blobs that no committed row names. `referenced` answers
   * which of the keys are still named (a commit whose acknowledgement was lost
   * did store them); when it cannot answer, nothing is deleted: an orphan costs
   * space, a missing blob loses a file.
   */
  async discardUnreferenced(referenced: (keys: string[]) => Promise<Set<string>>): Promise<{ deleted: number; kept: number }> {
    if (this.written.length === 0) return { deleted: 0, kept: 0 };
    let named: Set<string>;
    try {
      named = await referenced([...this.written]);
    } catch {
      return { deleted: 0, kept: this.written.length };
    }
    let deleted = 0;
    const keys = this.written.splice(0);
    for (const key of keys) {
      if (named.has(key)) continue;
      try {
        await this.inner.delete(key);
        deleted++;
      } catch {
        // Left behind; counted as kept.
      }
    }
    return { deleted, kept: keys.length - deleted };
  }
}
