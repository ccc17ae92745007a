/**
 * Checks in the browser, with WebCrypto only, that the audit log the server
 * shows now extends the last signed checkpoint this browser saw: an RFC 6962
 * consistency proof from the remembered size to the current one, verified
 * against the remembered root (the server never gets to say what that root
 * was). Someone who owns the database can delete the newest entries and their
 * checkpoints; every browser that saw a later checkpoint then notices.
 *
 * The proof walk ports transparency-dev/merkle proof/verify.go, like
 * src/protection/audit/merkle.ts; sizes go through BigInt because JS bit
 * operators stop at 32 bits. Decision 0116.
 */
import { bytesToHex, checkNote, hexToBytes, NODE, sha256 } from './proof.js';

const HASH_SIZE = 32;

const bitLength = (x: bigint): number => (x === 0n ? 0 : x.toString(2).length);
const popCount = (x: bigint): number => [...x.toString(2)].filter((c) => c === '1').length;
function trailingZeros(x: bigint): number {
  let n = 0;
  while (x > 0n && (x & 1n) === 0n) {
    x >>= 1n;
    n++;
  }
  return n;
}

const node = (left: Uint8Array, right: Uint8Array) => sha256(NODE, left, right);
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && bytesToHex(a) === bytesToHex(b);

/** Folds `proof` from node (level, index) up to the root of a tree of `size`; null when the proof has the wrong length. */
async function foldPath(index: bigint, level: number, size: bigint, hash: Uint8Array, proof: readonly Uint8Array[]): Promise<{ root: Uint8Array; inner: number; right: number } | null> {
  const lvl = BigInt(level);
  const inner = bitLength(index ^ (size >> lvl)) - 1;
  const forkLevel = lvl + BigInt(inner);
  const forkIndex = index >> BigInt(inner);
  const begin = forkIndex << forkLevel;
  const end = (forkIndex + 1n) << forkLevel;
  const right = end === size ? 0 : 1;
  if (inner < 0 || proof.length !== inner + right + popCount(begin)) return null;
  let at = index;
  let h = hash;
  for (let i = 0; i < inner; i++) {
    const sibling = proof[i] as Uint8Array;
    h = (at & 1n) === 0n ? await node(h, sibling) : await node(sibling, h);
    at >>= 1n;
  }
  if (right === 1) h = await node(h, proof[inner] as Uint8Array);
  for (let i = inner + right; i < proof.length; i++) h = await node(proof[i] as Uint8Array, h);
  return { root: h, inner, right };
}

/** True when `proof` shows the tree of `newSize` with `newRoot` extends the tree of `oldSize` with `oldRoot`. */
export async function verifyConsistencyInBrowser(input: { oldSize: number; newSize: number; oldRoot: Uint8Array; newRoot: Uint8Array; proof: readonly Uint8Array[] }): Promise<boolean> {
  const { oldSize, newSize, oldRoot, newRoot, proof } = input;
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 1 || oldSize > newSize) return false;
  if (proof.some((h) => h.length !== HASH_SIZE) || oldRoot.length !== HASH_SIZE || newRoot.length !== HASH_SIZE) return false;
  if (oldSize === newSize) return proof.length === 0 && same(oldRoot, newRoot);

  const size1 = BigInt(oldSize);
  const size2 = BigInt(newSize);
  // The biggest perfect subtree ending at oldSize; its root seeds both chains.
  const level = trailingZeros(size1);
  const index = (size1 - 1n) >> BigInt(level);
  if (index === 0n) {
    // oldSize is a power of two: that subtree root is oldRoot itself.
    const walked = await foldPath(index, level, size2, oldRoot, proof);
    return walked !== null && same(walked.root, newRoot);
  }
  const [seed, ...rest] = proof;
  if (!seed) return false;
  const walked = await foldPath(index, level, size2, seed, rest);
  if (!walked || !same(walked.root, newRoot)) return false;
  // Rebuild oldRoot from the same hashes using only left-hand siblings.
  let h = seed;
  for (let i = 0; i < walked.inner; i++) {
    if (((index >> BigInt(i)) & 1n) === 1n) h = await node(rest[i] as Uint8Array, h);
  }
  for (let i = walked.inner + walked.right; i < rest.length; i++) h = await node(rest[i] as Uint8Array, h);
  return same(h, oldRoot);
}

/** A signed checkpoint as this browser keeps it: the note is the evidence, the rest is for display. */
export interface SeenCheckpoint {
  note: string;
  vkey: string;
  size: number;
  signedAt: string;
  seenAt: string;
}

export interface CurrentCheckpoint {
  note: string;
  vkey: string;
  treeSize: number;
  signedAt: string;
}

export type Continuity =
  /** Nothing remembered yet: the current checkpoint becomes the one to compare against. */
  | { kind: 'first'; keep: SeenCheckpoint }
  | { kind: 'consistent'; seen: SeenCheckpoint; keep: SeenCheckpoint }
  /** The log has fewer entries than a checkpoint it signed before. */
  | { kind: 'truncated'; seen: SeenCheckpoint; currentSize: number }
  /** The log is as long or longer, but its first `seen.size` entries are not the ones signed before. */
  | { kind: 'forked'; seen: SeenCheckpoint; currentSize: number }
  /** The current checkpoint is signed by another key than the remembered one. */
  | { kind: 'keyChanged'; seen: SeenCheckpoint }
  /** The current checkpoint's signature does not check with the key the server names. */
  | { kind: 'badSignature' };

export type FetchConsistency = (fromSize: number) => Promise<{ proof: string[]; checkpoint: CurrentCheckpoint } | 'shrunk'>;

const HEX32 = /^[0-9a-f]{64}$/;

/**
 * Compares the current checkpoint with the remembered one. `fetchConsistency`
 * asks the server for the proof (answering 'shrunk' when it refuses a size
 * larger than its log). Only `first` and `consistent` carry a checkpoint to
 * remember: after a warning the old one stays, so the warning stays too.
 */
export async function checkContinuity(seen: SeenCheckpoint | null, current: CurrentCheckpoint, fetchConsistency: FetchConsistency, now = new Date()): Promise<Continuity> {
  const cur = await checkNote(current.note, current.vkey).catch(() => null);
  if (!cur) return { kind: 'badSignature' };
  // null: this browser has no Ed25519; the size and root still come from the note.
  if (cur.signatureValid === false || cur.size !== current.treeSize) return { kind: 'badSignature' };
  const keep = (c: CurrentCheckpoint): SeenCheckpoint => ({ note: c.note, vkey: c.vkey, size: c.treeSize, signedAt: c.signedAt, seenAt: now.toISOString() });
  if (!seen) return { kind: 'first', keep: keep(current) };
  if (seen.vkey !== current.vkey) return { kind: 'keyChanged', seen };
  const old = await checkNote(seen.note, seen.vkey).catch(() => null);
  // A remembered value that is not a checkpoint note (edited by hand) is no evidence: start again from this one.
  if (!old || !Number.isSafeInteger(old.size) || old.size < 1 || old.root.length !== HASH_SIZE) return { kind: 'first', keep: keep(current) };
  if (cur.origin !== old.origin) return { kind: 'keyChanged', seen };
  if (cur.size < old.size) return { kind: 'truncated', seen, currentSize: cur.size };

  const answer = await fetchConsistency(old.size);
  if (answer === 'shrunk') return { kind: 'truncated', seen, currentSize: cur.size };
  const next = await checkNote(answer.checkpoint.note, answer.checkpoint.vkey).catch(() => null);
  if (!next || answer.checkpoint.vkey !== seen.vkey || next.signatureValid === false || next.size !== answer.checkpoint.treeSize || next.origin !== old.origin) return { kind: 'badSignature' };
  if (next.size < old.size) return { kind: 'truncated', seen, currentSize: next.size };
  const ok = answer.proof.every((h) => HEX32.test(h))
    && (await verifyConsistencyInBrowser({ oldSize: old.size, newSize: next.size, oldRoot: old.root, newRoot: next.root, proof: answer.proof.map(hexToBytes) }));
  if (!ok) return { kind: 'forked', seen, currentSize: next.size };
  return { kind: 'consistent', seen, keep: keep(answer.checkpoint) };
}

/** One remembered checkpoint per site and organisation (localStorage is already per origin; the origin is named for clarity). */
export function seenCheckpointKey(siteOrigin: string, orgId: string): string {
  return `trustdesk.audit.seenCheckpoint:${siteOrigin}:${orgId}`;
}

/** What localStorage offers that this needs (the server's type check has no DOM). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export function loadSeenCheckpoint(storage: Pick<KeyValueStore, 'getItem'>, key: string): SeenCheckpoint | null {
  try {
    const raw = storage.getItem(key);
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<SeenCheckpoint>;
    if (typeof v.note !== 'string' || typeof v.vkey !== 'string' || typeof v.size !== 'number' || typeof v.signedAt !== 'string' || typeof v.seenAt !== 'string') return null;
    return { note: v.note, vkey: v.vkey, size: v.size, signedAt: v.signedAt, seenAt: v.seenAt };
  } catch {
    return null;
  }
}

export function saveSeenCheckpoint(storage: Pick<KeyValueStore, 'setItem'>, key: string, value: SeenCheckpoint): void {
  try {
    storage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the next visit compares against nothing, as on a new browser.
  }
}
