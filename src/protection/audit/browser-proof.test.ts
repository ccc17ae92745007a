/**
 * The security centre checks proofs in the browser with WebCrypto
 * (web/src/security/proof.ts). Node has the same WebCrypto, so the browser
 * code is checked here against the server's proofs and real signed notes:
 * every index of small trees, a tampered entry, a forged note, and verifier
 * keys whose base64 holds '+' (which once broke the parsing).
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkNote, rootFromInclusionProof, verifyInBrowser } from '../../../web/src/security/proof.js';
import { createEd25519Signer, formatCheckpoint, signNote, verifierKeyString } from './checkpoint.js';
import { hashLeaf, inclusionProof, rootFromLeafHashes } from './merkle.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function signedLog(entries: string[], origin = 'trustdesk.test/audit') {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const vkey = verifierKeyString(origin, publicKey);
  const leaves = entries.map((e) => hashLeaf(Buffer.from(e, 'utf8')));
  const root = rootFromLeafHashes(leaves);
  const note = signNote(formatCheckpoint({ origin, size: leaves.length, rootHash: root }), [createEd25519Signer(origin, privateKey)]);
  return { vkey, leaves, root, note };
}

describe('browser proof check (web/src/security/proof.ts)', () => {
  it('folds every RFC 6962 inclusion proof of trees up to 33 leaves to the root', async () => {
    const leaves = Array.from({ length: 33 }, (_, i) => hashLeaf(Buffer.from(`entry ${i}`)));
    for (let size = 1; size <= 33; size++) {
      const root = hex(rootFromLeafHashes(leaves.slice(0, size)));
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(leaves, index, size);
        const got = await rootFromInclusionProof(index, size, leaves[index] as Buffer, proof);
        expect(got && hex(got), `${index}/${size}`).toBe(root);
        if (proof.length > 0) {
          const bad = await rootFromInclusionProof(index, size, hashLeaf(Buffer.from('forged')), proof);
          expect(bad && hex(bad)).not.toBe(root);
        }
      }
    }
  });

  it('verifies entry, path and signature end to end, and names what fails', async () => {
    const entries = Array.from({ length: 11 }, (_, i) => JSON.stringify({ action: 'customer.field.reveal', i }));
    const log = signedLog(entries);
    const input = { index: 6, canonical: entries[6] as string, leafHash: hex(log.leaves[6] as Buffer), proof: inclusionProof(log.leaves, 6, 11).map(hex), note: log.note, vkey: log.vkey };
    expect(await verifyInBrowser(input)).toMatchObject({ leafMatches: true, rootMatches: true, signatureValid: true });
    // An entry changed after signing: its leaf, and so the root, no longer match.
    expect(await verifyInBrowser({ ...input, canonical: entries[6]!.replace('reveal', 'read') })).toMatchObject({ leafMatches: false, rootMatches: false });
    // A note signed by another key for the same root is not accepted under this key.
    const other = signedLog(entries);
    expect((await checkNote(other.note, log.vkey)).signatureValid).toBe(false);
  });

  it('parses verifier keys whose base64 contains "+"', async () => {
    let tried = 0;
    for (;;) {
      tried += 1;
      const log = signedLog(['one', 'two']);
      const key = log.vkey.split('+').slice(2).join('+');
      if (!key.includes('+') && tried < 200) continue;
      expect(key).toContain('+');
      expect((await checkNote(log.note, log.vkey)).signatureValid).toBe(true);
      return;
    }
  });
});
