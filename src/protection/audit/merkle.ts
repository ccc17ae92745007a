/**
 * RFC 6962 Merkle tree hashing, proofs and proof verification, as plain
 * functions over hashes. No storage here: the audit log feeds leaf hashes in.
 *
 * Verification follows transparency-dev/merkle proof/verify.go (including its
 * rule that a consistency proof from size 0 is meaningless, so it is refused).
 */
import { createHash, hash as sha256OneShot } from 'node:crypto';

export const HASH_SIZE = 32;

export class MerkleProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MerkleProofError';
  }
}

const LEAF_PREFIX = Buffer.of(0x00);
// One reusable buffer for interior nodes: hashing 65 bytes in one shot is about
// twice as fast as three createHash updates, and Node runs this synchronously.
const nodeScratch = Buffer.alloc(1 + 2 * HASH_SIZE);
nodeScratch[0] = 0x01;

/** SHA-256(0x00 || data): the hash of one log entry. */
export function hashLeaf(data: Uint8Array): Buffer {
  return sha256OneShot('sha256', Buffer.concat([LEAF_PREFIX, data]), 'buffer');
}

/** SHA-256(0x01 || left || right): the hash of an interior node. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length === HASH_SIZE && right.length === HASH_SIZE) {
    nodeScratch.set(left, 1);
    nodeScratch.set(right, 1 + HASH_SIZE);
    return sha256OneShot('sha256', nodeScratch, 'buffer');
  }
  // Only reached with malformed proof input; keep it correct, not fast.
  return createHash('sha256').update(Buffer.of(0x01)).update(left).update(right).digest();
}

/** MTH({}) = SHA-256 of the empty string. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function assertHash(h: Uint8Array, what: string): void {
  if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
    throw new RangeError(`${what} must be ${HASH_SIZE} bytes`);
  }
}

/**
 * The right edge of a growing tree: one hash per perfect subtree of the
 * binary decomposition of `size` (largest first), so O(log n) memory and
 * amortised one interior hash per append.
 */
export class CompactRange {
  #hashes: Buffer[] = [];
  #size = 0;

  /** Resumes from a stored frontier (as returned by `frontier`). */
  static restore(state: { size: number; hashes: readonly Uint8Array[] }): CompactRange {
    if (!isCount(state.size)) throw new RangeError('size must be a non-negative safe integer');
    if (state.hashes.length !== popCount(state.size)) {
      throw new RangeError(`a frontier of size ${state.size} has ${popCount(state.size)} hashes, got ${state.hashes.length}`);
    }
    const range = new CompactRange();
    for (const h of state.hashes) assertHash(h, 'frontier hash');
    range.#hashes = state.hashes.map((h) => Buffer.from(h));
    range.#size = state.size;
    return range;
  }

  get size(): number {
    return this.#size;
  }

  /** A copy of the frontier, enough to `restore` and keep appending. */
  get frontier(): { size: number; hashes: Buffer[] } {
    return { size: this.#size, hashes: this.#hashes.map((h) => Buffer.from(h)) };
  }

  append(leafHash: Uint8Array): void {
    assertHash(leafHash, 'leaf hash');
    let s = this.#size;
    if (s % 2 === 0) {
      // Retained as-is, so copy: the caller may reuse its buffer.
      this.#hashes.push(Buffer.from(leafHash));
    } else {
      let node = hashChildren(this.#hashes.pop() as Buffer, leafHash);
      s = (s - 1) / 2;
      while (s % 2 === 1) {
        node = hashChildren(this.#hashes.pop() as Buffer, node);
        s = (s - 1) / 2;
      }
      this.#hashes.push(node);
    }
    this.#size += 1;
  }

  /**
   * Appends a run of `count` leaves given by its own frontier (what `frontier.hashes` of a range holding just
   * those leaves would be): the same state as appending them one by one, when this range's size is a multiple
   * of the largest power of two not above `count` (each subtree then lands on a boundary of its own height).
   * Verification hashes leaves in worker threads, each building its chunk's frontier; this joins them.
   */
  appendAligned(count: number, hashes: readonly Uint8Array[]): void {
    if (!isCount(count)) throw new RangeError('count must be a non-negative safe integer');
    if (hashes.length !== popCount(count)) throw new RangeError(`a run of ${count} leaves has ${popCount(count)} frontier hashes, got ${hashes.length}`);
    let i = 0;
    for (let bit = 52; bit >= 0; bit--) {
      const unit = 2 ** bit;
      if (Math.floor(count / unit) % 2 === 0) continue;
      if (this.#size % unit !== 0) throw new RangeError(`a subtree of ${unit} leaves cannot start at ${this.#size}`);
      const hash = hashes[i++] as Uint8Array;
      assertHash(hash, 'frontier hash');
      let node: Buffer = Buffer.from(hash);
      let s = this.#size / unit;
      while (s % 2 === 1) {
        node = hashChildren(this.#hashes.pop() as Buffer, node);
        s = (s - 1) / 2;
      }
      this.#hashes.push(node);
      this.#size += unit;
    }
  }

  /** MTH of everything appended so far; leaves the range untouched. */
  root(): Buffer {
    const hashes = this.#hashes;
    let i = hashes.length - 1;
    if (i < 0) return Buffer.from(EMPTY_ROOT);
    let node = hashes[i] as Buffer;
    if (i === 0) return Buffer.from(node);
    while (--i >= 0) node = hashChildren(hashes[i] as Buffer, node);
    return node;
  }
}

function popCount(n: number): number {
  let count = 0;
  while (n > 0) {
    count += n % 2;
    n = Math.floor(n / 2);
  }
  return count;
}

/** MTH(D[start:end]). */
function subtreeRoot(leafHashes: readonly Uint8Array[], start: number, end: number): Buffer {
  const range = new CompactRange();
  for (let i = start; i < end; i++) range.append(leafHashes[i] as Uint8Array);
  return range.root();
}

/** Largest power of two strictly below n (n >= 2): RFC 6962's split point k. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Buffer {
  return subtreeRoot(leafHashes, 0, leafHashes.length);
}

/** RFC 6962 2.1.1 PATH(index, D[0:size]), lowest sibling first. */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number, size: number): Buffer[] {
  if (!isCount(size) || size > leafHashes.length) throw new RangeError(`size ${size} out of range`);
  if (!isCount(index) || index >= size) throw new RangeError(`index ${index} out of range for size ${size}`);
  const topDown: Buffer[] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      topDown.push(subtreeRoot(leafHashes, lo + k, hi));
      hi = lo + k;
    } else {
      topDown.push(subtreeRoot(leafHashes, lo, lo + k));
      lo += k;
    }
  }
  return topDown.reverse();
}

/**
 * RFC 6962 2.1.2 PROOF(oldSize, D[0:newSize]) as the leaf ranges [lo, hi)
 * whose subtree roots make up the proof, in proof order. Shared by
 * `consistencyProof` (leaves in memory) and the audit trail's proof from the
 * store (cached subtree roots), so both give the same proof.
 */
export function consistencyRanges(oldSize: number, newSize: number): Array<[number, number]> {
  if (!isCount(newSize)) throw new RangeError(`newSize ${newSize} out of range`);
  if (!isCount(oldSize) || oldSize < 1 || oldSize > newSize) {
    throw new RangeError(`oldSize ${oldSize} must be in 1..${newSize}`);
  }
  const topDown: Array<[number, number]> = [];
  let lo = 0;
  let hi = newSize;
  let m = oldSize;
  let oldRootKnown = true; // SUBPROOF's b: the verifier already holds MTH(D[0:m])
  while (m !== hi - lo) {
    const k = splitPoint(hi - lo);
    if (m <= k) {
      topDown.push([lo + k, hi]);
      hi = lo + k;
    } else {
      topDown.push([lo, lo + k]);
      lo += k;
      m -= k;
      oldRootKnown = false;
    }
  }
  const ranges = topDown.reverse();
  if (!oldRootKnown && oldSize !== newSize) ranges.unshift([lo, hi]);
  return ranges;
}

/**
 * RFC 6962 2.1.2 PROOF(oldSize, D[0:newSize]). Empty when the sizes are equal;
 * refused from size 0, which no verifier accepts.
 */
export function consistencyProof(leafHashes: readonly Uint8Array[], oldSize: number, newSize: number): Buffer[] {
  if (!isCount(newSize) || newSize > leafHashes.length) throw new RangeError(`newSize ${newSize} out of range`);
  return consistencyRanges(oldSize, newSize).map(([lo, hi]) => subtreeRoot(leafHashes, lo, hi));
}

// Bit arithmetic on sizes up to 2^53 does not fit JS's 32-bit operators, so
// verification (a handful of steps per proof) works in BigInt.
function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

function bigPopCount(x: bigint): number {
  let count = 0;
  for (const c of x.toString(2)) if (c === '1') count++;
  return count;
}

function trailingZeros(x: bigint): number {
  let n = 0;
  while (x > 0n && (x & 1n) === 0n) {
    x >>= 1n;
    n++;
  }
  return n;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function checkProofHashes(proof: readonly Uint8Array[]): void {
  if (!Array.isArray(proof)) throw new MerkleProofError('proof must be an array of hashes');
  proof.forEach((h, i) => {
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
      throw new MerkleProofError(`proof hash ${i} is not ${HASH_SIZE} bytes`);
    }
  });
}

function rootMismatch(size: bigint | number): MerkleProofError {
  return new MerkleProofError(`root hash at size ${size} does not match`);
}

/** Walks from node (level, index) to the root of a tree of `size`; port of verify.go's verify(). */
function verifyPath(
  index: bigint,
  level: number,
  size: bigint,
  hash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): { inner: number; right: number } {
  const lvl = BigInt(level);
  const inner = bitLength(index ^ (size >> lvl)) - 1;
  const forkLevel = lvl + BigInt(inner);
  const forkIndex = index >> BigInt(inner);
  const begin = forkIndex << forkLevel;
  const end = (forkIndex + 1n) << forkLevel;
  const left = bigPopCount(begin);
  const right = end === size ? 0 : 1;
  if (proof.length !== inner + right + left) {
    throw new MerkleProofError(`wrong proof size ${proof.length}, want ${inner + right + left}`);
  }
  let node = index;
  let h: Uint8Array = hash;
  for (let i = 0; i < inner; i++) {
    const sibling = proof[i] as Uint8Array;
    h = (node & 1n) === 0n ? hashChildren(h, sibling) : hashChildren(sibling, h);
    node >>= 1n;
  }
  if (right === 1) h = hashChildren(h, proof[inner] as Uint8Array);
  for (let i = inner + right; i < proof.length; i++) h = hashChildren(proof[i] as Uint8Array, h);
  if (!bytesEqual(h, root)) throw rootMismatch(size);
  return { inner, right };
}

export function verifyInclusion(opts: {
  index: number;
  size: number;
  leafHash: Uint8Array;
  proof: readonly Uint8Array[];
  root: Uint8Array;
}): void {
  const { index, size, leafHash, proof, root } = opts;
  if (!isCount(index) || !isCount(size)) throw new MerkleProofError('index and size must be non-negative safe integers');
  if (index >= size) throw new MerkleProofError(`index ${index} out of range for size ${size}`);
  if (!(leafHash instanceof Uint8Array) || leafHash.length !== HASH_SIZE) {
    throw new MerkleProofError(`leaf hash is not ${HASH_SIZE} bytes`);
  }
  checkProofHashes(proof);
  verifyPath(BigInt(index), 0, BigInt(size), leafHash, proof, root);
}

export function verifyConsistency(opts: {
  oldSize: number;
  newSize: number;
  oldRoot: Uint8Array;
  newRoot: Uint8Array;
  proof: readonly Uint8Array[];
}): void {
  const { oldSize, newSize, oldRoot, newRoot, proof } = opts;
  if (!isCount(oldSize) || !isCount(newSize)) throw new MerkleProofError('sizes must be non-negative safe integers');
  if (oldSize > newSize) throw new MerkleProofError(`old size ${oldSize} > new size ${newSize}`);
  if (oldSize === 0) throw new MerkleProofError('a consistency proof from an empty tree is meaningless');
  checkProofHashes(proof);
  if (oldSize === newSize) {
    if (proof.length !== 0) throw new MerkleProofError(`equal sizes need an empty proof, got ${proof.length} hashes`);
    if (!bytesEqual(oldRoot, newRoot)) throw rootMismatch(oldSize);
    return;
  }

  const size1 = BigInt(oldSize);
  const size2 = BigInt(newSize);
  // The biggest perfect subtree ending at oldSize; its root seeds both chains.
  const level = trailingZeros(size1);
  const index = (size1 - 1n) >> BigInt(level);
  if (index === 0n) {
    // oldSize is a power of two: that subtree root is oldRoot itself.
    verifyPath(index, level, size2, oldRoot, proof, newRoot);
    return;
  }
  if (proof.length === 0) throw new MerkleProofError('empty consistency proof');
  const seed = proof[0] as Uint8Array;
  const rest = proof.slice(1);
  const { inner, right } = verifyPath(index, level, size2, seed, rest, newRoot);

  // Rebuild oldRoot from the same hashes using only left-hand siblings: the
  // right-hand ones, and the ephemeral node beside the fork, came after oldSize.
  let h: Uint8Array = seed;
  for (let i = 0; i < inner; i++) {
    if (((index >> BigInt(i)) & 1n) === 1n) h = hashChildren(rest[i] as Uint8Array, h);
  }
  for (let i = inner + right; i < rest.length; i++) h = hashChildren(rest[i] as Uint8Array, h);
  if (!bytesEqual(h, oldRoot)) throw rootMismatch(oldSize);
}
