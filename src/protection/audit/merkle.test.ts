import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CompactRange,
  EMPTY_ROOT,
  MerkleProofError,
  consistencyProof,
  hashChildren,
  hashLeaf,
  inclusionProof,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** RFC 6962 2.1 MTH written as the spec's recursion: an independent reference. */
function referenceRoot(leaves: readonly Uint8Array[]): Buffer {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return Buffer.from(leaves[0] as Uint8Array);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return hashChildren(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

const leafCache: Buffer[] = [];
function leavesOf(n: number): Buffer[] {
  for (let i = leafCache.length; i < n; i++) leafCache.push(hashLeaf(Buffer.from(`entry ${i}`)));
  return leafCache.slice(0, n);
}

function flipped(proof: readonly Buffer[], at: number, bit: number): Buffer[] {
  const copy = proof.map((p) => Buffer.from(p));
  const byte = at % 32;
  const target = copy[Math.floor(at / 32)] as Buffer;
  target[byte] = (target[byte] as number) ^ (1 << bit);
  return copy;
}

// RFC 6962 test data used by certificate-transparency and transparency-dev/merkle.
const RFC_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(
  (h) => hashLeaf(Buffer.from(h, 'hex')),
);
const RFC_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

describe('hashing', () => {
  it('uses SHA-256 with RFC 6962 domain separation', () => {
    expect(hex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(hashLeaf(new Uint8Array(0)))).toBe(RFC_ROOTS[0]);
    expect(hashChildren(RFC_LEAVES[0] as Buffer, RFC_LEAVES[1] as Buffer)).toEqual(Buffer.from(RFC_ROOTS[1] as string, 'hex'));
  });

  it('matches the RFC 6962 test-data roots at every size, both ways', () => {
    const range = new CompactRange();
    expect(range.root()).toEqual(EMPTY_ROOT);
    RFC_LEAVES.forEach((leaf, i) => {
      range.append(leaf);
      expect(hex(range.root())).toBe(RFC_ROOTS[i]);
      expect(hex(rootFromLeafHashes(RFC_LEAVES.slice(0, i + 1)))).toBe(RFC_ROOTS[i]);
    });
  });

  it('hashChildren stays correct when inputs alias its scratch use', () => {
    const a = hashLeaf(Buffer.from('a'));
    const b = hashLeaf(Buffer.from('b'));
    const once = hashChildren(a, b);
    expect(hashChildren(a, b)).toEqual(once);
    expect(hashChildren(once, once)).toEqual(hashChildren(Buffer.from(once), Buffer.from(once)));
  });
});

describe('CompactRange', () => {
  it('appending 10,000 leaves gives the same root as the whole list and the spec recursion', () => {
    const leaves = leavesOf(10_000);
    const range = new CompactRange();
    for (const leaf of leaves) range.append(leaf);
    expect(range.size).toBe(10_000);
    const root = range.root();
    expect(root).toEqual(rootFromLeafHashes(leaves));
    expect(root).toEqual(referenceRoot(leaves));
  });

  it('root() at every size up to 300 matches the reference and does not disturb the range', () => {
    const leaves = leavesOf(300);
    const range = new CompactRange();
    for (let i = 0; i < leaves.length; i++) {
      range.append(leaves[i] as Buffer);
      const want = referenceRoot(leaves.slice(0, i + 1));
      expect(range.root()).toEqual(want);
      expect(range.root()).toEqual(want);
    }
  });

  it('copies retained leaves, so a caller reusing its buffer cannot change history', () => {
    const buf = Buffer.from(leavesOf(1)[0] as Buffer);
    const range = new CompactRange();
    range.append(buf);
    const before = range.root();
    buf.fill(0);
    expect(range.root()).toEqual(before);
  });

  it('restores from a frontier and keeps appending to the same root', () => {
    const leaves = leavesOf(77);
    const a = new CompactRange();
    for (const leaf of leaves.slice(0, 45)) a.append(leaf);
    const b = CompactRange.restore(a.frontier);
    for (const leaf of leaves.slice(45)) b.append(leaf);
    expect(b.root()).toEqual(rootFromLeafHashes(leaves));
    expect(() => CompactRange.restore({ size: 3, hashes: [] })).toThrow(RangeError);
  });

  it('refuses leaf hashes that are not 32 bytes', () => {
    expect(() => new CompactRange().append(new Uint8Array(31))).toThrow(RangeError);
  });
});

describe('proofs', () => {
  it('matches the published RFC 6962 proofs for the test data', () => {
    expect(inclusionProof(RFC_LEAVES, 0, 8).map(hex)).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect(consistencyProof(RFC_LEAVES, 6, 8).map(hex)).toEqual([
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    // From a perfect subtree the proof is just MTH(D[4:8]), the last hash of PATH(0, D[8]).
    expect(consistencyProof(RFC_LEAVES, 4, 8).map(hex)).toEqual([
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect(consistencyProof(RFC_LEAVES, 8, 8)).toEqual([]);
  });

  it('refuses to build proofs outside the tree', () => {
    const leaves = leavesOf(5);
    expect(() => inclusionProof(leaves, 5, 5)).toThrow(RangeError);
    expect(() => inclusionProof(leaves, 0, 6)).toThrow(RangeError);
    expect(() => consistencyProof(leaves, 0, 5)).toThrow(RangeError);
    expect(() => consistencyProof(leaves, 4, 3)).toThrow(RangeError);
  });

  it('every inclusion proof verifies against both roots; any flipped bit fails', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }).chain((size) =>
          fc.tuple(fc.constant(size), fc.nat(size - 1), fc.nat(), fc.integer({ min: 0, max: 7 })),
        ),
        ([size, index, flipAt, bit]) => {
          const leaves = leavesOf(size);
          const range = new CompactRange();
          for (const leaf of leaves) range.append(leaf);
          const root = rootFromLeafHashes(leaves);
          expect(range.root()).toEqual(root);
          const proof = inclusionProof(leaves, index, size);
          const leafHash = leaves[index] as Buffer;
          verifyInclusion({ index, size, leafHash, proof, root });
          if (proof.length > 0) {
            const bad = flipped(proof, flipAt % (proof.length * 32), bit);
            expect(() => verifyInclusion({ index, size, leafHash, proof: bad, root })).toThrow(MerkleProofError);
          }
          expect(() => verifyInclusion({ index, size, leafHash, proof: [...proof, root], root })).toThrow(MerkleProofError);
          expect(() => verifyInclusion({ index, size, leafHash: flipped([leafHash], flipAt % 32, bit)[0] as Buffer, proof, root })).toThrow(MerkleProofError);
          if (size > 1) {
            const other = (index + 1) % size;
            expect(() => verifyInclusion({ index: other, size, leafHash, proof, root })).toThrow(MerkleProofError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('every consistency proof verifies against both roots; any flipped bit fails', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }).chain((newSize) =>
          fc.tuple(fc.integer({ min: 1, max: newSize }), fc.constant(newSize), fc.nat(), fc.integer({ min: 0, max: 7 })),
        ),
        ([oldSize, newSize, flipAt, bit]) => {
          const leaves = leavesOf(newSize);
          const range = new CompactRange();
          for (const leaf of leaves.slice(0, oldSize)) range.append(leaf);
          const oldRoot = range.root();
          for (const leaf of leaves.slice(oldSize)) range.append(leaf);
          const newRoot = range.root();
          expect(oldRoot).toEqual(rootFromLeafHashes(leaves.slice(0, oldSize)));
          expect(newRoot).toEqual(rootFromLeafHashes(leaves));
          const proof = consistencyProof(leaves, oldSize, newSize);
          verifyConsistency({ oldSize, newSize, oldRoot, newRoot, proof });
          if (proof.length > 0) {
            const bad = flipped(proof, flipAt % (proof.length * 32), bit);
            expect(() => verifyConsistency({ oldSize, newSize, oldRoot, newRoot, proof: bad })).toThrow(MerkleProofError);
          }
          const badOld = flipped([oldRoot], flipAt % 32, bit)[0] as Buffer;
          expect(() => verifyConsistency({ oldSize, newSize, oldRoot: badOld, newRoot, proof })).toThrow(MerkleProofError);
          expect(() => verifyConsistency({ oldSize, newSize, oldRoot, newRoot, proof: [...proof, newRoot] })).toThrow(MerkleProofError);
          if (oldSize < newSize) {
            // A rewritten history: the same sizes with one earlier leaf changed.
            const forged = leaves.map((l, i) => (i === flipAt % oldSize ? hashLeaf(Buffer.from('forged')) : l));
            const forgedNew = rootFromLeafHashes(forged);
            expect(() => verifyConsistency({ oldSize, newSize, oldRoot, newRoot: forgedNew, proof: consistencyProof(forged, oldSize, newSize) })).toThrow(MerkleProofError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects the edge cases the reference verifier rejects', () => {
    const leaves = leavesOf(4);
    const root = rootFromLeafHashes(leaves);
    const leafHash = leaves[0] as Buffer;
    const cases: Array<() => void> = [
      () => verifyInclusion({ index: 4, size: 4, leafHash, proof: inclusionProof(leaves, 0, 4), root }),
      () => verifyInclusion({ index: 0, size: 0, leafHash, proof: [], root: EMPTY_ROOT }),
      () => verifyInclusion({ index: -1, size: 4, leafHash, proof: [], root }),
      () => verifyInclusion({ index: 2 ** 64, size: 4, leafHash, proof: [], root }),
      () => verifyInclusion({ index: 0, size: 4, leafHash, proof: [Buffer.alloc(3), Buffer.alloc(32)], root }),
      () => verifyConsistency({ oldSize: 0, newSize: 4, oldRoot: EMPTY_ROOT, newRoot: root, proof: [] }),
      () => verifyConsistency({ oldSize: 0, newSize: 0, oldRoot: EMPTY_ROOT, newRoot: EMPTY_ROOT, proof: [] }),
      () => verifyConsistency({ oldSize: 4, newSize: 4, oldRoot: root, newRoot: root, proof: [root] }),
      () => verifyConsistency({ oldSize: 4, newSize: 3, oldRoot: root, newRoot: root, proof: [] }),
      () => verifyConsistency({ oldSize: 3, newSize: 4, oldRoot: root, newRoot: root, proof: [] }),
    ];
    for (const run of cases) expect(run).toThrow(MerkleProofError);
    expect(() => verifyConsistency({ oldSize: 4, newSize: 4, oldRoot: root, newRoot: Buffer.from(root), proof: [] })).not.toThrow();
  });
});

describe('CompactRange.appendAligned', () => {
  it('joins a run given by its own frontier exactly as appending its leaves one by one, and refuses a misaligned run', () => {
    const leaf = (i: number) => hashLeaf(Buffer.from(`leaf ${i}`));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 40 }), (blocks, count) => {
        // The run starts on a multiple of the largest power of two not above its length.
        const start = blocks * 2 ** Math.floor(Math.log2(count));
        const one = new CompactRange();
        const run = new CompactRange();
        for (let i = 0; i < start; i++) one.append(leaf(i));
        const joined = CompactRange.restore(one.frontier);
        for (let i = start; i < start + count; i++) {
          one.append(leaf(i));
          run.append(leaf(i));
        }
        joined.appendAligned(count, run.frontier.hashes);
        expect(joined.size).toBe(one.size);
        expect(joined.root().equals(one.root())).toBe(true);
        expect(joined.frontier.hashes.map((h) => h.toString('hex'))).toEqual(one.frontier.hashes.map((h) => h.toString('hex')));
      }),
      { numRuns: 200 },
    );
    const three = new CompactRange();
    for (let i = 0; i < 3; i++) three.append(leaf(i));
    const pair = new CompactRange();
    pair.append(leaf(3));
    pair.append(leaf(4));
    expect(() => CompactRange.restore(three.frontier).appendAligned(2, pair.frontier.hashes)).toThrow(RangeError);
    expect(() => CompactRange.restore(three.frontier).appendAligned(2, [])).toThrow(RangeError);
  });
});
