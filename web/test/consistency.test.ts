/**
 * The security centre's check that the audit log extends the last checkpoint
 * this browser saw (web/src/security/consistency.ts), with WebCrypto as in the
 * browser, against real RFC 6962 proofs from src/protection/audit/merkle.ts
 * and real signed notes: a log that grew, one that was cut short, one whose
 * past was rewritten, one signed by another key, and a forged proof.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEd25519Signer, formatCheckpoint, signNote, verifierKeyString } from '../../src/protection/audit/checkpoint.js';
import { consistencyProof, hashLeaf, rootFromLeafHashes } from '../../src/protection/audit/merkle.js';
import { checkContinuity, loadSeenCheckpoint, saveSeenCheckpoint, seenCheckpointKey, verifyConsistencyInBrowser, type CurrentCheckpoint, type FetchConsistency, type SeenCheckpoint } from '../src/security/consistency.js';

const ORIGIN = 'trustdesk.test/audit';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const leavesOf = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => hashLeaf(Buffer.from(`${prefix} ${i}`)));

function signer(origin = ORIGIN) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, vkey: verifierKeyString(origin, publicKey), origin };
}

function checkpointOf(key: { privateKey: KeyObject; vkey: string; origin: string }, leaves: Buffer[], signedAt = '2026-11-30T09:00:00.000Z'): CurrentCheckpoint {
  const note = signNote(formatCheckpoint({ origin: key.origin, size: leaves.length, rootHash: rootFromLeafHashes(leaves) }), [createEd25519Signer(key.origin, key.privateKey)]);
  return { note, vkey: key.vkey, treeSize: leaves.length, signedAt };
}

const seenFrom = (c: CurrentCheckpoint): SeenCheckpoint => ({ note: c.note, vkey: c.vkey, size: c.treeSize, signedAt: c.signedAt, seenAt: c.signedAt });

/** What the server answers: the proof from `from` to its log, or 'shrunk' (its 400) when `from` is past its end. */
function server(leaves: Buffer[], checkpoint: CurrentCheckpoint): FetchConsistency & { asked: number[] } {
  const asked: number[] = [];
  const fetch = async (from: number) => {
    asked.push(from);
    if (from > leaves.length) return 'shrunk' as const;
    return { proof: consistencyProof(leaves, from, leaves.length).map(hex), checkpoint };
  };
  return Object.assign(fetch, { asked });
}

describe('consistency proofs checked in the browser', () => {
  it('accepts every RFC 6962 consistency proof between trees up to 40 leaves, and refuses another old root', async () => {
    const leaves = leavesOf('entry', 40);
    for (let newSize = 1; newSize <= 40; newSize++) {
      const newRoot = rootFromLeafHashes(leaves.slice(0, newSize));
      for (let oldSize = 1; oldSize <= newSize; oldSize++) {
        const oldRoot = rootFromLeafHashes(leaves.slice(0, oldSize));
        const proof = consistencyProof(leaves, oldSize, newSize);
        expect(await verifyConsistencyInBrowser({ oldSize, newSize, oldRoot, newRoot, proof }), `${oldSize}→${newSize}`).toBe(true);
        const forged = hashLeaf(Buffer.from('forged'));
        expect(await verifyConsistencyInBrowser({ oldSize, newSize, oldRoot: forged, newRoot, proof }), `forged ${oldSize}→${newSize}`).toBe(false);
      }
    }
  });

  it('refuses a proof with a hash changed, one hash missing, or sizes that cannot be', async () => {
    const leaves = leavesOf('entry', 21);
    const oldRoot = rootFromLeafHashes(leaves.slice(0, 13));
    const newRoot = rootFromLeafHashes(leaves);
    const proof = consistencyProof(leaves, 13, 21);
    expect(await verifyConsistencyInBrowser({ oldSize: 13, newSize: 21, oldRoot, newRoot, proof })).toBe(true);
    for (let i = 0; i < proof.length; i++) {
      const bent = proof.map((h, j) => (j === i ? hashLeaf(h) : h));
      expect(await verifyConsistencyInBrowser({ oldSize: 13, newSize: 21, oldRoot, newRoot, proof: bent }), `hash ${i}`).toBe(false);
    }
    expect(await verifyConsistencyInBrowser({ oldSize: 13, newSize: 21, oldRoot, newRoot, proof: proof.slice(1) })).toBe(false);
    expect(await verifyConsistencyInBrowser({ oldSize: 21, newSize: 13, oldRoot: newRoot, newRoot: oldRoot, proof })).toBe(false);
    expect(await verifyConsistencyInBrowser({ oldSize: 0, newSize: 21, oldRoot, newRoot, proof })).toBe(false);
    expect(await verifyConsistencyInBrowser({ oldSize: 21, newSize: 21, oldRoot: newRoot, newRoot, proof: [] })).toBe(true);
    expect(await verifyConsistencyInBrowser({ oldSize: 21, newSize: 21, oldRoot, newRoot, proof: [] })).toBe(false);
  });
});

describe('comparing with the checkpoint this browser saw', () => {
  const key = signer();
  const log = leavesOf('audit', 98);
  const seen = seenFrom(checkpointOf(key, log.slice(0, 96), '2026-11-28T10:00:00.000Z'));

  it('remembers the first checkpoint it sees, asking the server for nothing', async () => {
    const current = checkpointOf(key, log);
    const fetch = server(log, current);
    const outcome = await checkContinuity(null, current, fetch, new Date('2026-12-01T00:00:00.000Z'));
    expect(outcome).toEqual({ kind: 'first', keep: { note: current.note, vkey: key.vkey, size: 98, signedAt: current.signedAt, seenAt: '2026-12-01T00:00:00.000Z' } });
    expect(fetch.asked).toEqual([]);
  });

  it('accepts a log that grew from the remembered checkpoint and remembers the new one', async () => {
    const current = checkpointOf(key, log);
    const fetch = server(log, current);
    const outcome = await checkContinuity(seen, current, fetch);
    expect(outcome.kind).toBe('consistent');
    expect(fetch.asked).toEqual([96]);
    if (outcome.kind === 'consistent') {
      expect(outcome.seen).toBe(seen);
      expect(outcome.keep.size).toBe(98);
      expect(outcome.keep.note).toBe(current.note);
    }
    // The same checkpoint again: an empty proof, still consistent.
    const again = seenFrom(current);
    expect((await checkContinuity(again, current, server(log, current))).kind).toBe('consistent');
  });

  it('names a truncated log: fewer entries than the remembered checkpoint, validly signed', async () => {
    const cut = log.slice(0, 90);
    const current = checkpointOf(key, cut);
    const fetch = server(cut, current);
    expect(await checkContinuity(seen, current, fetch)).toEqual({ kind: 'truncated', seen, currentSize: 90 });
    expect(fetch.asked).toEqual([]);
    // The log shrank between the checkpoint read and the proof request: the server's 400 says so.
    const stale = checkpointOf(key, log);
    expect(await checkContinuity(seen, stale, server(cut, stale))).toEqual({ kind: 'truncated', seen, currentSize: 98 });
  });

  it('names a forked log: longer, validly signed, but its first 96 entries are not the ones signed before', async () => {
    const rewritten = [...log.slice(0, 40), hashLeaf(Buffer.from('rewritten')), ...log.slice(41), ...leavesOf('more', 5)];
    const current = checkpointOf(key, rewritten);
    const outcome = await checkContinuity(seen, current, server(rewritten, current));
    expect(outcome).toEqual({ kind: 'forked', seen, currentSize: 103 });
    // Cut and regrown to the same length: still a fork, not "consistent".
    const regrown = [...log.slice(0, 80), ...leavesOf('regrown', 18)];
    const same = checkpointOf(key, regrown);
    expect((await checkContinuity(seen, same, server(regrown, same))).kind).toBe('forked');
  });

  it('refuses a proof built for another log, and a note signed by another key', async () => {
    const current = checkpointOf(key, log);
    const lying: FetchConsistency = async () => ({ proof: consistencyProof(leavesOf('other', 98), 96, 98).map(hex), checkpoint: current });
    expect((await checkContinuity(seen, current, lying)).kind).toBe('forked');

    const thief = signer();
    const replaced = checkpointOf(thief, log);
    expect(await checkContinuity(seen, replaced, server(log, replaced))).toEqual({ kind: 'keyChanged', seen });
    // The server names the real key but the note is signed by another one.
    const forgedNote = { ...replaced, vkey: key.vkey };
    expect(await checkContinuity(seen, forgedNote, server(log, forgedNote))).toEqual({ kind: 'badSignature' });
  });

  it('keeps one checkpoint per site and organisation and ignores a value that is not one', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    const a = seenCheckpointKey('https://help.example', 'org-a');
    const b = seenCheckpointKey('https://help.example', 'org-b');
    expect(a).not.toBe(b);
    expect(seenCheckpointKey('https://other.example', 'org-a')).not.toBe(a);
    saveSeenCheckpoint(storage, a, seen);
    expect(loadSeenCheckpoint(storage, a)).toEqual(seen);
    expect(loadSeenCheckpoint(storage, b)).toBeNull();
    store.set(b, '{"note": 5}');
    expect(loadSeenCheckpoint(storage, b)).toBeNull();
    store.set(b, 'not json');
    expect(loadSeenCheckpoint(storage, b)).toBeNull();
  });
});
