/**
 * Bounded reading of zip archives (and the Office documents that are zips of
 * XML). The central directory is read first, so limits apply before anything
 * is inflated: member count, total declared size, each member's size and
 * compression ratio. Inflation is streamed (fflate) in small chunks and stops
 * the moment a member outgrows what it declared or the limit, so a zip bomb
 * costs at most the limit in memory. ZIP64 and encrypted members are reported
 * as unreadable rather than guessed at.
 */
import { Inflate } from 'fflate';

export interface ZipLimits {
  maxMembers: number;
  /** Sum of the uncompressed sizes of the members that are read. */
  maxTotalBytes: number;
  maxMemberBytes: number;
  /** Uncompressed ÷ compressed above this is treated as a bomb. */
  maxRatio: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxMembers: 2000, maxTotalBytes: 64 * 1024 * 1024, maxMemberBytes: 16 * 1024 * 1024, maxRatio: 200 };

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  encrypted: boolean;
  localOffset: number;
}

export class ZipLimitError extends Error {
  constructor(readonly reason: 'bomb' | 'too_many_members' | 'too_large' | 'unreadable' | 'encrypted') {
    super(`zip: ${reason}`);
  }
}

const u16 = (b: Uint8Array, o: number) => (b[o] as number) | ((b[o + 1] as number) << 8);
const u32 = (b: Uint8Array, o: number) => (u16(b, o) | (u16(b, o + 2) << 16)) >>> 0;

/** The members named by the central directory (throws ZipLimitError). */
export function listZip(bytes: Uint8Array, limits: ZipLimits = DEFAULT_ZIP_LIMITS): ZipEntry[] {
  // End of central directory: 22 bytes plus a comment of up to 65535.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (u32(bytes, i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipLimitError('unreadable');
  const count = u16(bytes, eocd + 10);
  const cdOffset = u32(bytes, eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new ZipLimitError('unreadable');
  if (count > limits.maxMembers) throw new ZipLimitError('too_many_members');
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > bytes.length || u32(bytes, p) !== 0x02014b50) throw new ZipLimitError('unreadable');
    const flags = u16(bytes, p + 8);
    const method = u16(bytes, p + 10);
    const compressedSize = u32(bytes, p + 20);
    const size = u32(bytes, p + 24);
    const nameLen = u16(bytes, p + 28);
    const extraLen = u16(bytes, p + 30);
    const commentLen = u16(bytes, p + 32);
    const localOffset = u32(bytes, p + 42);
    if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) throw new ZipLimitError('unreadable');
    const name = Buffer.from(bytes.subarray(p + 46, p + 46 + nameLen)).toString('utf8');
    entries.push({ name, method, compressedSize, size, encrypted: (flags & 1) === 1, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

const CHUNK = 1024;

/**
 * One member's bytes, never more than min(declared size, maxMemberBytes): a
 * member that inflates past what it declared is a bomb, whatever the header says.
 */
export function readZipMember(bytes: Uint8Array, entry: ZipEntry, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Uint8Array {
  if (entry.encrypted) throw new ZipLimitError('encrypted');
  if (entry.size > limits.maxMemberBytes) throw new ZipLimitError('too_large');
  if (entry.size > Math.max(1, entry.compressedSize) * limits.maxRatio && entry.size > 1024 * 1024) throw new ZipLimitError('bomb');
  const h = entry.localOffset;
  if (h + 30 > bytes.length || u32(bytes, h) !== 0x04034b50) throw new ZipLimitError('unreadable');
  const start = h + 30 + u16(bytes, h + 26) + u16(bytes, h + 28);
  const data = bytes.subarray(start, start + entry.compressedSize);
  if (data.length !== entry.compressedSize) throw new ZipLimitError('unreadable');
  if (entry.method === 0) return data;
  if (entry.method !== 8) throw new ZipLimitError('unreadable');
  const out = new Uint8Array(entry.size);
  let written = 0;
  const inflate = new Inflate((chunk) => {
    if (written + chunk.length > entry.size) throw new ZipLimitError('bomb');
    out.set(chunk, written);
    written += chunk.length;
  });
  try {
    for (let o = 0; o < data.length; o += CHUNK) inflate.push(data.subarray(o, Math.min(o + CHUNK, data.length)), o + CHUNK >= data.length);
    if (data.length === 0) inflate.push(new Uint8Array(0), true);
  } catch (err) {
    if (err instanceof ZipLimitError) throw err;
    throw new ZipLimitError('unreadable');
  }
  return written === out.length ? out : out.subarray(0, written);
}
