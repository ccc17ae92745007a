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
  /** Entries in tree order, a page at a time. */
  entries: AsyncIterable<readonly StoredEntry[]>;
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
  for await (const page of options.entries) {
    for (const e of page) {
      if (e.idx !== expected) {
        if (!gapReported) {
          add(expected, e.idx > expected ? `entry ${expected} is missing (next stored entry is ${e.idx})` : `entry ${e.idx} appears out of order`);
          gapReported = true;
        }
        // Keep going from what is stored, so later checkpoints are still reported.
        expected = e.idx;
      }
      const leaf = entryLeafHash(e.columns);
      if (options.macKey) {
        if (!e.mac || !same(entryMac(options.macKey, e.idx, leaf), e.mac)) {
          add(e.idx, `entry ${e.idx} was altered or moved (its MAC does not match its content and position)`);
        }
      } else if (e.leafHash && !same(leaf, e.leafHash)) {
        add(e.idx, `entry ${e.idx} was altered (its content does not match its recorded leaf hash)`);
      }
      tree.append(leaf);
      if (pinned) pinnedLeaves.push(leaf);
      expected += 1;
      const root = checkpoints.get(tree.size);
      if (root && !same(root, tree.root())) {
        add(null, `checkpoint at size ${tree.size} does not match the entries (root differs)`);
      }
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
