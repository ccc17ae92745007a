/**
 * Lists a ZIP archive's file names from its central directory without inflating anything,
 * so a bomb costs no more than reading its directory. Every offset is bounds-checked.
 */

export interface ZipEntry {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  encrypted: boolean;
}

export interface ZipListing {
  entries: ZipEntry[];
  /** Entries the directory declares (may exceed entries.length). */
  declaredEntries: number;
  /** Sum of declared uncompressed sizes (ZIP64 markers count as 4 GiB). */
  declaredBytes: number;
  truncated: boolean;
  /** Why the directory could not be read, if it could not. */
  error?: string;
}

const EOCD = 0x06054b50;
const CDH = 0x02014b50;

export function isZip(buf: Buffer): boolean {
  return buf.length >= 4 && buf.readUInt32LE(0) === 0x04034b50;
}

export function listZip(buf: Buffer, maxEntries = 1000): ZipListing {
  const empty = (error: string): ZipListing => ({ entries: [], declaredEntries: 0, declaredBytes: 0, truncated: true, error });
  if (buf.length < 22) return empty('too short');
  // The end record sits in the last 22 bytes plus at most a 65,535-byte comment.
  const stop = Math.max(0, buf.length - 22 - 0xffff);
  let eocd = -1;
  for (let i = buf.length - 22; i >= stop; i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return empty('no central directory');
  const declaredEntries = buf.readUInt16LE(eocd + 10);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  let declaredBytes = 0;
  let pos = cdOffset;
  let truncated = false;
  for (let n = 0; n < declaredEntries; n++) {
    if (n >= maxEntries) {
      truncated = true;
      break;
    }
    if (pos + 46 > buf.length || buf.readUInt32LE(pos) !== CDH) {
      truncated = true;
      break;
    }
    const flags = buf.readUInt16LE(pos + 8);
    const compressedSize = buf.readUInt32LE(pos + 20);
    const uncompressedSize = buf.readUInt32LE(pos + 24);
    const nameLen = buf.readUInt16LE(pos + 28);
    const extraLen = buf.readUInt16LE(pos + 30);
    const commentLen = buf.readUInt16LE(pos + 32);
    const nameEnd = pos + 46 + nameLen;
    if (nameEnd > buf.length) {
      truncated = true;
      break;
    }
    // Bit 11 says UTF-8; otherwise CP437, whose ASCII range is all that matters for extensions.
    const name = buf.toString(flags & 0x800 ? 'utf8' : 'latin1', pos + 46, nameEnd);
    const size = uncompressedSize === 0xffffffff ? 2 ** 32 : uncompressedSize;
    declaredBytes += size;
    entries.push({ name, compressedSize, uncompressedSize: size, encrypted: (flags & 1) === 1 });
    pos = nameEnd + extraLen + commentLen;
  }
  return { entries, declaredEntries, declaredBytes, truncated };
}
