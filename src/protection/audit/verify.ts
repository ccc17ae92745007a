/**
 * Verifies the audit trail: recomputes every leaf from the stored entry,
 * rebuilds the Merkle tree, and checks every signed checkpoint against it.
 * With the MAC key (verifying the live database) it names the exact first
 * entry that was altered, removed or moved; from an exported bundle (no secret
 * needed) it checks leaves, tree and signatures. The core here is pure: it
 * reads entries from an async iterator, so the database and a bundle share it.
 */
import { timingSafeEqual } from 'node:crypto';
import { openCheckpoint, parseVerifierKey } from './checkpoint.js';
import { entryLeafHash, entryMac, type AuditEntryColumns } from './entry.js';
import { CompactRange, consistencyProof, MerkleProofError, verifyConsistency, verifyInclusion } from './merkle.js';

export interface StoredEntry {
  idx: number;
  columns: AuditEntryColumns;
  leafHash?: Uint8Array | null;
  mac?: Uint8Array | null;
}

export interface StoredCheckpoint {
  treeSize: number;
  note: string;
}

export interface VerifyOptions {
  /** Entries in tree order, a page at a time (hashed on this thread)… */
  entries?: AsyncIterable<readonly StoredEntry[]>;
  /**
   * …or entries already hashed and checked, in tree order, by `EntryHasher` (in worker threads: verify-parallel.ts).
   * Exactly one of `entries` and `chunks`.
   */
  chunks?: AsyncIterable<LeafChunk>;
  checkpoints: StoredCheckpoint[];
  /** Verifier key (C2SP note vkey) the checkpoints must be signed by. */
  vkey: string;
  /** When given, every entry's MAC is checked too (live database only). */
  macKey?: Uint8Array;
  /**
   * A checkpoint pinned outside the database (a signed note kept in a file, a mail or the SIEM). The log must be
   * an extension of it: RFC 6962 consistency from its size to now. A shorter log is truncation.
   */
  pinnedNote?: string;
  onProgress?: (verified: number) => void;
}

export interface VerifyProblem {
  /** The first tree index that is wrong, when it can be named. */
  index: number | null;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  entries: number;
  checkpoints: number;
  latestSignedSize: number;
  unsignedEntries: number;
  /** With pinnedNote: the pinned size, and whether the log is consistent with it. */
  pinned?: { size: number; consistent: boolean };
  problems: VerifyProblem[];
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && timingSafeEqual(a, b);

/**
 * A run of stored entries, hashed and checked: what the tree walk needs of them. The leaf hashes are
 * recomputed from the content; `bad` names the positions whose MAC (or, without the MAC key, recorded leaf
 * hash) did not match. With `frontiers`, the run's own Merkle frontier at each offset the walk needs
 * (the end, and every signed size inside the run), so the walk joins the run in a few hashes instead of
 * one per leaf; it does so only when the run starts where the tree ends on a boundary (`CompactRange.appendAligned`).
 */
export interface LeafChunk {
  /** Tree index (`idx`) of the first entry. */
  first: number;
  count: number;
  /** The entries' idx when they are not exactly first, first + 1, … (a gap or a move). */
  idxs?: number[];
  /** count × 32 bytes. */
  leaves: Uint8Array;
  bad: Array<{ pos: number; reason: 'mac' | 'leaf' }>;
  frontiers?: Array<{ offset: number; hashes: Uint8Array[] }>;
}

/**
 * Hashes and checks entries into a `LeafChunk`: the one place a stored entry's leaf and MAC are checked,
 * on the main thread (bundles, PGlite) and in the verification workers alike.
 */
export class EntryHasher {
  readonly #leaves: Buffer[] = [];
  readonly #idxs: number[] = [];
  readonly #bad: LeafChunk['bad'] = [];
  readonly #frontiers: NonNullable<LeafChunk['frontiers']> = [];
  #contiguous = true;
  readonly #range: CompactRange | undefined;

  constructor(private readonly options: { macKey?: Uint8Array | undefined; first: number; frontiersAt?: ReadonlySet<number> | undefined }) {
    this.#range = options.frontiersAt ? new CompactRange() : undefined;
  }

  add(entries: readonly StoredEntry[]): void {
    const { macKey, first, frontiersAt } = this.options;
    for (const e of entries) {
      const pos = this.#idxs.length;
      if (e.idx !== first + pos) this.#contiguous = false;
      this.#idxs.push(e.idx);
      const leaf = entryLeafHash(e.columns);
      if (macKey) {
        if (!e.mac || !same(entryMac(macKey, e.idx, leaf), e.mac)) this.#bad.push({ pos, reason: 'mac' });
      } else if (e.leafHash && !same(leaf, e.leafHash)) {
        this.#bad.push({ pos, reason: 'leaf' });
      }
      this.#leaves.push(leaf);
      if (this.#range) {
        this.#range.append(leaf);
        if (frontiersAt?.has(first + pos + 1)) this.#frontiers.push({ offset: pos + 1, hashes: this.#range.frontier.hashes });
      }
    }
  }

  finish(): LeafChunk {
    const count = this.#idxs.length;
    const leaves = Buffer.allocUnsafe(count * 32);
    for (let i = 0; i < count; i++) leaves.set(this.#leaves[i] as Buffer, i * 32);
    const chunk: LeafChunk = { first: this.options.first, count, leaves, bad: this.#bad };
    if (!this.#contiguous) chunk.idxs = this.#idxs;
    if (this.#range && this.#contiguous) {
      if (this.#frontiers.at(-1)?.offset !== count) this.#frontiers.push({ offset: count, hashes: this.#range.frontier.hashes });
      chunk.frontiers = this.#frontiers;
    }
    return chunk;
  }
}

async function* hashOnThisThread(pages: AsyncIterable<readonly StoredEntry[]>, macKey: Uint8Array | undefined): AsyncGenerator<LeafChunk> {
  for await (const page of pages) {
    if (!page.length) continue;
    const hasher = new EntryHasher({ macKey, first: (page[0] as StoredEntry).idx });
    hasher.add(page);
    yield hasher.finish();
  }
}

/** The largest power of two not above n (n ≥ 1). */
const floorPow2 = (n: number) => 2 ** Math.floor(Math.log2(n));

export async function verifyAuditTrail(options: VerifyOptions): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  const firstProblemAt = () => problems.find((p) => p.index !== null)?.index ?? null;
  const add = (index: number | null, message: string) => {
    if (problems.length < 20) problems.push({ index, message });
  };

  // Checkpoints: each must be a well-formed note signed by the pinned key.
  const checkpoints = new Map<number, Buffer>();
  // The key's name is the log's origin: a checkpoint of another log signed by the same key is refused too.
  let origin: string | undefined;
  try {
    origin = parseVerifierKey(options.vkey).name;
  } catch (err) {
    add(null, `the verifier key is malformed: ${(err as Error).message}`);
  }
  for (const cp of [...options.checkpoints].sort((a, b) => a.treeSize - b.treeSize)) {
    try {
      const { checkpoint: parsed } = openCheckpoint(cp.note, { verifierKeys: [options.vkey], ...(origin ? { origin } : {}) });
      if (parsed.size !== cp.treeSize) throw new Error(`note says size ${parsed.size}`);
      checkpoints.set(cp.treeSize, parsed.rootHash);
    } catch (err) {
      add(null, `checkpoint at size ${cp.treeSize} is not validly signed: ${(err as Error).message}`);
    }
  }
  let pinned: { size: number; rootHash: Buffer } | undefined;
  if (options.pinnedNote !== undefined) {
    try {
      const { checkpoint } = openCheckpoint(options.pinnedNote, { verifierKeys: [options.vkey], ...(origin ? { origin } : {}) });
      pinned = { size: checkpoint.size, rootHash: checkpoint.rootHash };
    } catch (err) {
      add(null, `the pinned checkpoint is not a checkpoint of this log signed by its key: ${(err as Error).message}`);
    }
  }
  const pinnedLeaves: Buffer[] = [];
  const signedSizes = [...checkpoints.keys()];
  const latestSignedSize = signedSizes.length ? Math.max(...signedSizes) : 0;

  const tree = new CompactRange();
  let expected = 0;
  let gapReported = false;
  const badMessage = (idx: number, reason: 'mac' | 'leaf') =>
    reason === 'mac'
      ? `entry ${idx} was altered or moved (its MAC does not match its content and position)`
      : `entry ${idx} was altered (its content does not match its recorded leaf hash)`;
  const checkRoot = (size: number, root: () => Buffer) => {
    const expectedRoot = checkpoints.get(size);
    if (expectedRoot && !same(expectedRoot, root())) add(null, `checkpoint at size ${size} does not match the entries (root differs)`);
  };
  if ((options.entries === undefined) === (options.chunks === undefined)) throw new TypeError('verifyAuditTrail needs exactly one of entries and chunks');
  const chunks = options.chunks ?? hashOnThisThread(options.entries as AsyncIterable<readonly StoredEntry[]>, options.macKey);
  for await (const chunk of chunks) {
    if (chunk.count === 0) continue;
    const leafAt = (i: number) => Buffer.from(chunk.leaves.buffer, chunk.leaves.byteOffset + i * 32, 32);
    const frontiers = new Map((chunk.frontiers ?? []).map((f) => [f.offset, f.hashes] as const));
    // The signed sizes inside this run; the joined walk needs the run's frontier at each.
    const inside = signedSizes.filter((size) => size > chunk.first && size <= chunk.first + chunk.count).sort((a, b) => a - b);
    const joinable =
      chunk.idxs === undefined && chunk.first === expected && tree.size === expected && tree.size % floorPow2(chunk.count) === 0 &&
      frontiers.has(chunk.count) && inside.every((size) => frontiers.has(size - chunk.first));
    if (joinable) {
      // The same checks in the same order as one entry at a time below, without a hash per leaf.
      let b = 0;
      for (const size of inside) {
        for (; b < chunk.bad.length && (chunk.bad[b] as { pos: number }).pos < size - chunk.first; b++) {
          const bad = chunk.bad[b] as LeafChunk['bad'][number];
          add(chunk.first + bad.pos, badMessage(chunk.first + bad.pos, bad.reason));
        }
        checkRoot(size, () => {
          const at = CompactRange.restore(tree.frontier);
          at.appendAligned(size - chunk.first, frontiers.get(size - chunk.first) as Uint8Array[]);
          return at.root();
        });
      }
      for (; b < chunk.bad.length; b++) {
        const bad = chunk.bad[b] as LeafChunk['bad'][number];
        add(chunk.first + bad.pos, badMessage(chunk.first + bad.pos, bad.reason));
      }
      const before = tree.size;
      tree.appendAligned(chunk.count, frontiers.get(chunk.count) as Uint8Array[]);
      if (pinned) for (let i = 0; i < chunk.count; i++) pinnedLeaves.push(leafAt(i));
      expected += chunk.count;
      for (let n = Math.ceil((before + 1) / 100_000) * 100_000; n <= tree.size; n += 100_000) options.onProgress?.(n);
      continue;
    }
    let b = 0;
    for (let i = 0; i < chunk.count; i++) {
      const idx = chunk.idxs ? (chunk.idxs[i] as number) : chunk.first + i;
      if (idx !== expected) {
        if (!gapReported) {
          add(expected, idx > expected ? `entry ${expected} is missing (next stored entry is ${idx})` : `entry ${idx} appears out of order`);
          gapReported = true;
        }
        // Keep going from what is stored, so later checkpoints are still reported.
        expected = idx;
      }
      if (b < chunk.bad.length && (chunk.bad[b] as { pos: number }).pos === i) {
        add(idx, badMessage(idx, (chunk.bad[b] as LeafChunk['bad'][number]).reason));
        b++;
      }
      const leaf = leafAt(i);
      tree.append(leaf);
      if (pinned) pinnedLeaves.push(leaf);
      expected += 1;
      checkRoot(tree.size, () => tree.root());
      if (tree.size % 100_000 === 0) options.onProgress?.(tree.size);
    }
  }
  if (latestSignedSize > tree.size) {
    add(tree.size, `the latest signed checkpoint covers ${latestSignedSize} entries but only ${tree.size} are stored (entries removed from the end)`);
  }
  let pinnedResult: { size: number; consistent: boolean } | undefined;
  if (pinned) {
    let consistent = false;
    if (tree.size < pinned.size) {
      add(tree.size, `truncation detected: the pinned checkpoint covers ${pinned.size} entries but the log now holds ${tree.size} (entries ${tree.size} to ${pinned.size - 1} were removed, with their checkpoints)`);
    } else if (pinned.size > 0) {
      try {
        verifyConsistency({ oldSize: pinned.size, newSize: tree.size, oldRoot: pinned.rootHash, newRoot: tree.root(), proof: consistencyProof(pinnedLeaves, pinned.size, tree.size) });
        consistent = true;
      } catch {
        add(null, `the log is not an extension of the pinned checkpoint at size ${pinned.size}: the first ${pinned.size} entries were rewritten (a fork)`);
      }
    } else consistent = true;
    pinnedResult = { size: pinned.size, consistent };
  }
  // Without a MAC, a checkpoint mismatch brackets the first bad entry between two checkpoints.
  if (firstProblemAt() === null) {
    const failing = problems.find((p) => p.message.includes('does not match the entries'));
    if (failing) {
      const size = Number(/size (\d+)/.exec(failing.message)?.[1]);
      const before = signedSizes.filter((s) => s < size && !problems.some((p) => p.message.includes(`size ${s} does not`)));
      const lower = before.length ? Math.max(...before) : 0;
      failing.index = lower;
      failing.message += `; the first bad entry is between ${lower} and ${size - 1}`;
    }
  }
  problems.sort((a, b) => (a.index ?? Number.MAX_SAFE_INTEGER) - (b.index ?? Number.MAX_SAFE_INTEGER));
  return {
    ok: problems.length === 0,
    entries: tree.size,
    checkpoints: checkpoints.size,
    latestSignedSize,
    unsignedEntries: Math.max(0, tree.size - latestSignedSize),
    ...(pinnedResult ? { pinned: pinnedResult } : {}),
    problems,
  };
}

/** An entry with its RFC 6962 inclusion proof in the tree of `treeSize` leaves (a bundle of selected entries). */
export interface ProvenEntry extends StoredEntry {
  treeSize: number;
  proof: Uint8Array[];
}

/**
 * Verifies a bundle of selected entries (an incident's evidence bundle) with
 * no database and no secret: each entry's leaf is recomputed from its content,
 * its inclusion proof must lead to the root of a checkpoint signed by `vkey`,
 * and every entry the bundle says it carries (`expected`) must be there.
 */
export function verifyEntryProofs(options: { entries: readonly ProvenEntry[]; checkpoints: StoredCheckpoint[]; vkey: string; expected?: readonly number[] }): VerifyReport {
  const problems: VerifyProblem[] = [];
  const add = (index: number | null, message: string) => {
    if (problems.length < 20) problems.push({ index, message });
  };
  let origin: string | undefined;
  try {
    origin = parseVerifierKey(options.vkey).name;
  } catch (err) {
    add(null, `the verifier key is malformed: ${(err as Error).message}`);
  }
  const roots = new Map<number, Buffer>();
  for (const cp of options.checkpoints) {
    try {
      const { checkpoint } = openCheckpoint(cp.note, { verifierKeys: [options.vkey], ...(origin ? { origin } : {}) });
      if (checkpoint.size !== cp.treeSize) throw new Error(`note says size ${checkpoint.size}`);
      roots.set(cp.treeSize, checkpoint.rootHash);
    } catch (err) {
      add(null, `checkpoint at size ${cp.treeSize} is not validly signed: ${(err as Error).message}`);
    }
  }
  const seen = new Set<number>();
  for (const e of options.entries) {
    seen.add(e.idx);
    const leaf = entryLeafHash(e.columns);
    if (e.leafHash && !same(leaf, e.leafHash)) {
      add(e.idx, `entry ${e.idx} was altered (its content does not match its recorded leaf hash)`);
      continue;
    }
    const root = roots.get(e.treeSize);
    if (!root) {
      add(e.idx, `entry ${e.idx} is proven against a tree of ${e.treeSize} entries, but no signed checkpoint of that size is in the bundle`);
      continue;
    }
    try {
      verifyInclusion({ index: e.idx, size: e.treeSize, leafHash: leaf, proof: e.proof, root });
    } catch (err) {
      add(e.idx, `entry ${e.idx} is not in the signed tree (${err instanceof MerkleProofError ? err.message : 'bad proof'})`);
    }
  }
  for (const idx of options.expected ?? []) if (!seen.has(idx)) add(idx, `entry ${idx} is listed by the bundle but missing from it`);
  problems.sort((a, b) => (a.index ?? Number.MAX_SAFE_INTEGER) - (b.index ?? Number.MAX_SAFE_INTEGER));
  const latestSignedSize = roots.size ? Math.max(...roots.keys()) : 0;
  return { ok: problems.length === 0, entries: options.entries.length, checkpoints: roots.size, latestSignedSize, unsignedEntries: 0, problems };
}
