/**
 * The encrypted backup archive (decision 0219). One file:
 *
 *   "TDBAK1\n" | u32 header length | header (JSON) | chunk*
 *   chunk = u32 ciphertext length | AES-256-GCM(ciphertext ‖ 16-byte tag)
 *
 * The archive key is random per archive and stored only wrapped by the installation's key-encryption key (the key
 * provider wraps it; the KEK itself is never in the archive). The plaintext is cut into chunks of at most 1 MiB,
 * each sealed with nonce = prefix (7 random bytes from the header) ‖ u32 counter ‖ last-chunk flag and the header as
 * associated data — the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015): a reordered, dropped,
 * altered or appended chunk fails, an archive cut short lacks its flagged last chunk, and an edited header fails
 * every chunk. Node's streams and crypto give the pieces; no maintained library offers this container with a
 * key wrapped by a pluggable KEK provider, so it is written here (decision 0219).
 *
 * Inside the encryption, the plaintext is a sequence of entries: u16 name length | name | u64 size | bytes.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { once } from 'node:events';
import type { KeyProvider } from '../crypto/key-provider.js';

const MAGIC = Buffer.from('TDBAK1\n');
const CHUNK = 1 << 20;
const TAG = 16;
const MAX_HEADER = 64 * 1024;

export interface ArchiveHeader {
  format: 'trustdesk-backup/v1';
  createdAt: string;
  /** What a restore checks before it writes anything. */
  manifest: Record<string, unknown>;
  kekId: string;
  wrappedKey: string;
  noncePrefix: string;
}

export class ArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

const aadOf = (header: ArchiveHeader) => `trustdesk-backup:${header.noncePrefix}`;

function nonce(prefix: Buffer, counter: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0, 0, 7);
  n.writeUInt32BE(counter, 7);
  n[11] = last ? 1 : 0;
  return n;
}

/** Writes an archive: add entries, then finish(). Back-pressure is respected; bytes counts the plaintext. */
export class ArchiveWriter {
  private readonly out;
  private readonly key: Uint8Array;
  private readonly prefix: Buffer;
  private readonly aad: Buffer;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private counter = 0;
  bytes = 0;

  private constructor(file: string, header: ArchiveHeader, key: Uint8Array) {
    this.out = createWriteStream(file, { mode: 0o600 });
    this.key = key;
    this.prefix = Buffer.from(header.noncePrefix, 'base64');
    const json = Buffer.from(JSON.stringify(header));
    this.aad = Buffer.concat([Buffer.from(aadOf(header)), json]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(json.length);
    this.out.write(Buffer.concat([MAGIC, len, json]));
  }

  static async create(file: string, provider: KeyProvider, manifest: Record<string, unknown>): Promise<ArchiveWriter> {
    const key = randomBytes(32);
    const noncePrefix = randomBytes(7).toString('base64');
    const { kekId, wrapped } = await provider.wrap(key, `trustdesk-backup:${noncePrefix}`);
    const header: ArchiveHeader = { format: 'trustdesk-backup/v1', createdAt: new Date().toISOString(), manifest, kekId, wrappedKey: Buffer.from(wrapped).toString('base64'), noncePrefix };
    return new ArchiveWriter(file, header, key);
  }

  private async write(buf: Buffer): Promise<void> {
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    this.bytes += buf.length;
    while (this.pendingBytes >= CHUNK) {
      const all = Buffer.concat(this.pending);
      await this.seal(all.subarray(0, CHUNK), false);
      const rest = all.subarray(CHUNK);
      this.pending = rest.length ? [Buffer.from(rest)] : [];
      this.pendingBytes = rest.length;
    }
  }

  private async seal(plain: Buffer, last: boolean): Promise<void> {
    const c = createCipheriv('aes-256-gcm', this.key, nonce(this.prefix, this.counter++, last));
    c.setAAD(this.aad);
    const body = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    if (!this.out.write(Buffer.concat([len, body]))) await once(this.out, 'drain');
  }

  /** Adds one entry from a buffer or a file stream of known size. */
  async add(name: string, size: number, data: Buffer | AsyncIterable<Buffer>): Promise<void> {
    const n = Buffer.from(name);
    const head = Buffer.alloc(2 + n.length + 8);
    head.writeUInt16BE(n.length);
    n.copy(head, 2);
    head.writeBigUInt64BE(BigInt(size), 2 + n.length);
    await this.write(head);
    let seen = 0;
    if (Buffer.isBuffer(data)) {
      seen = data.length;
      await this.write(data);
    } else {
      for await (const piece of data) {
        seen += piece.length;
        await this.write(piece);
      }
    }
    if (seen !== size) throw new ArchiveError(`${name} changed while it was being backed up (${seen} bytes, expected ${size}).`);
  }

  async finish(): Promise<void> {
    await this.seal(Buffer.concat(this.pending), true);
    this.pending = [];
    this.out.end();
    await once(this.out, 'finish');
  }

  async abort(): Promise<void> {
    this.out.destroy();
  }
}

/** Reads the header without the key (what `backup restore` shows and checks first). */
export async function readArchiveHeader(file: string): Promise<{ header: ArchiveHeader; raw: Buffer; offset: number }> {
  const stream = createReadStream(file, { start: 0, end: MAGIC.length + 4 + MAX_HEADER - 1 });
  const parts: Buffer[] = [];
  for await (const p of stream) parts.push(p as Buffer);
  const buf = Buffer.concat(parts);
  if (buf.length < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new ArchiveError('This is not a Trustdesk backup archive.');
  const len = buf.readUInt32BE(MAGIC.length);
  if (len > MAX_HEADER || buf.length < MAGIC.length + 4 + len) throw new ArchiveError('The archive is damaged: its header is cut short.');
  const raw = buf.subarray(MAGIC.length + 4, MAGIC.length + 4 + len);
  let header: ArchiveHeader;
  try {
    header = JSON.parse(raw.toString('utf8')) as ArchiveHeader;
  } catch {
    throw new ArchiveError('The archive is damaged: its header is not readable.');
  }
  if (header.format !== 'trustdesk-backup/v1' || typeof header.kekId !== 'string' || typeof header.wrappedKey !== 'string' || typeof header.noncePrefix !== 'string') {
    throw new ArchiveError('The archive was written by an unknown version of Trustdesk.');
  }
  return { header, raw, offset: MAGIC.length + 4 + len };
}

export interface ArchiveEntry {
  name: string;
  size: number;
  /** The entry's bytes, in pieces; must be consumed (or skipped by the reader) before the next entry. */
  data: AsyncIterable<Buffer>;
}

/**
 * Decrypts and yields the entries. Every chunk is authenticated before any of its bytes is yielded; a damaged,
 * truncated or extended archive throws ArchiveError. Run it once to the end to check an archive before restoring.
 */
export async function* readArchive(file: string, provider: KeyProvider, onBytes?: (ciphertextBytes: number) => void): AsyncGenerator<ArchiveEntry> {
  const { header, raw, offset } = await readArchiveHeader(file);
  if (!provider.kekIds().includes(header.kekId)) {
    throw new ArchiveError(`This archive's key is wrapped under key-encryption key ${header.kekId}, which ${provider.description} does not hold: it was made by another installation, or before that key was retired.`);
  }
  let key: Uint8Array;
  try {
    key = await provider.unwrap(header.kekId, Buffer.from(header.wrappedKey, 'base64'), aadOf(header));
  } catch {
    throw new ArchiveError('The archive key does not open with this installation\'s key-encryption key: the archive was altered or made elsewhere.');
  }
  const prefix = Buffer.from(header.noncePrefix, 'base64');
  // The header's bytes as written are part of every block's associated data: an edited header fails them all.
  const aad = Buffer.concat([Buffer.from(aadOf(header)), raw]);
  const plain = chunks(createReadStream(file, { start: offset, highWaterMark: CHUNK + TAG + 4 }), key, prefix, aad, onBytes);
  const reader = new ByteReader(plain);
  for (;;) {
    const lenBuf = await reader.read(2, true);
    if (!lenBuf) return;
    const name = (await reader.readExact(lenBuf.readUInt16BE())).toString('utf8');
    const size = Number((await reader.readExact(8)).readBigUInt64BE());
    let left = size;
    const data = (async function* () {
      while (left > 0) {
        const piece = await reader.readSome(left);
        left -= piece.length;
        yield piece;
      }
    })();
    yield { name, size, data };
    // Whatever the consumer did not read is skipped.
    while (left > 0) left -= (await reader.readSome(left)).length;
  }
}

async function* chunks(stream: ReadStream, key: Uint8Array, prefix: Buffer, aad: Buffer, onBytes?: (n: number) => void): AsyncGenerator<Buffer> {
  let buf: Buffer = Buffer.alloc(0);
  let counter = 0;
  let ended = false;
  for await (const piece of stream) {
    buf = buf.length ? Buffer.concat([buf, piece as Buffer]) : (piece as Buffer);
    onBytes?.((piece as Buffer).length);
    for (;;) {
      if (ended) {
        if (buf.length) throw new ArchiveError('The archive is damaged: there are bytes after its end.');
        break;
      }
      if (buf.length < 4) break;
      const len = buf.readUInt32BE(0);
      if (len < TAG || len > CHUNK + TAG) throw new ArchiveError('The archive is damaged: a block has an impossible length.');
      if (buf.length < 4 + len) break;
      const body = buf.subarray(4, 4 + len);
      buf = buf.subarray(4 + len);
      const out = open(body, key, prefix, aad, counter);
      counter++;
      ended = out.last;
      yield out.plain;
    }
  }
  if (!ended) throw new ArchiveError('The archive is cut short: its last block is missing.');
}

function open(body: Buffer, key: Uint8Array, prefix: Buffer, aad: Buffer, counter: number): { plain: Buffer; last: boolean } {
  for (const last of [false, true]) {
    const d = createDecipheriv('aes-256-gcm', key, nonce(prefix, counter, last));
    d.setAAD(aad);
    d.setAuthTag(body.subarray(body.length - TAG));
    try {
      const plain = Buffer.concat([d.update(body.subarray(0, body.length - TAG)), d.final()]);
      return { plain, last };
    } catch {
      // try the other flag
    }
  }
  throw new ArchiveError(`The archive is damaged or was altered (block ${counter} does not authenticate).`);
}

/** Reads exact byte counts out of a stream of decrypted pieces. */
class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  constructor(private readonly source: AsyncGenerator<Buffer>) {}

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.source.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, next.value]) : next.value;
    return true;
  }

  /** n bytes; at a clean end of data (nothing buffered) returns null when `endOk`. */
  async read(n: number, endOk = false): Promise<Buffer | null> {
    while (this.buf.length < n) {
      if (!(await this.fill())) {
        if (endOk && this.buf.length === 0) return null;
        throw new ArchiveError('The archive is damaged: an entry is cut short.');
      }
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  async readExact(n: number): Promise<Buffer> {
    return (await this.read(n)) as Buffer;
  }

  /** Up to `max` bytes, at least one. */
  async readSome(max: number): Promise<Buffer> {
    if (this.buf.length === 0 && !(await this.fill())) throw new ArchiveError('The archive is damaged: an entry is cut short.');
    const n = Math.min(max, this.buf.length);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}
