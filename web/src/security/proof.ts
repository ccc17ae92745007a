/**
 * Checks an audit entry's proof in the browser, with WebCrypto only, so the
 * page does not just repeat what the server says:
 *   leaf = SHA-256(0x00 ‖ UTF-8 of the canonical entry)
 *   root = the RFC 9162 §2.1.3.2 fold of the audit path from that leaf
 *   the C2SP checkpoint note names that root and size, signed with Ed25519
 * by the key in the verifier key string. The verifier key comes from the same
 * server, so the signature check is only as good as comparing that key with
 * one pinned out of band (the page shows it for that).
 */

const encoder = new TextEncoder();

export function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const buf = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    buf.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
}

const LEAF = Uint8Array.of(0);
export const NODE = Uint8Array.of(1);

export function leafHash(canonical: string): Promise<Uint8Array> {
  return sha256(LEAF, encoder.encode(canonical));
}

/** RFC 9162 §2.1.3.2: the root an inclusion proof leads to, or null when the proof has the wrong shape. */
export async function rootFromInclusionProof(index: number, size: number, leaf: Uint8Array, proof: Uint8Array[]): Promise<Uint8Array | null> {
  if (index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(NODE, p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await sha256(NODE, r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

export interface NoteCheck {
  origin: string;
  size: number;
  root: Uint8Array;
  /** The Ed25519 signature by the verifier key checked out; null when the browser has no Ed25519. */
  signatureValid: boolean | null;
}

/**
 * Parses a C2SP signed note holding a tlog checkpoint and checks the
 * signature line of `vkey` (`<name>+<8 hex key id>+<base64(0x01 ‖ key)>`).
 */
export async function checkNote(note: string, vkey: string): Promise<NoteCheck> {
  const split = note.indexOf('\n\n');
  if (split < 0) throw new Error('not a signed note');
  const body = note.slice(0, split + 1);
  const [origin = '', sizeLine = '', rootLine = ''] = body.split('\n');
  const size = Number(sizeLine);
  const root = base64ToBytes(rootLine);
  // `<name>+<8 hex>+<base64>`: the name has no '+', but base64 may, so split on the first two only.
  const first = vkey.indexOf('+');
  const name = vkey.slice(0, first);
  const keyId = vkey.slice(first + 1, first + 9);
  const keyB64 = vkey.slice(first + 10);
  const key = base64ToBytes(keyB64);
  let signatureValid: boolean | null = false;
  for (const line of note.slice(split + 2).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const sig = base64ToBytes(m[2] ?? '');
    if (bytesToHex(sig.subarray(0, 4)) !== keyId.toLowerCase() || sig.length !== 68 || key[0] !== 1) continue;
    try {
      const publicKey = await crypto.subtle.importKey('raw', key.slice(1), { name: 'Ed25519' }, false, ['verify']);
      signatureValid = await crypto.subtle.verify({ name: 'Ed25519' }, publicKey, sig.slice(4), encoder.encode(body));
    } catch {
      signatureValid = null;
    }
    break;
  }
  return { origin, size, root, signatureValid };
}

export interface BrowserProofResult {
  leafMatches: boolean;
  rootMatches: boolean;
  signatureValid: boolean | null;
  computedLeaf: string;
  computedRoot: string | null;
  checkpointRoot: string;
}

export async function verifyInBrowser(input: { index: number; canonical: string; leafHash: string; proof: string[]; note: string; vkey: string }): Promise<BrowserProofResult> {
  const leaf = await leafHash(input.canonical);
  const note = await checkNote(input.note, input.vkey);
  const root = await rootFromInclusionProof(input.index, note.size, leaf, input.proof.map(hexToBytes));
  const computedRoot = root ? bytesToHex(root) : null;
  const checkpointRoot = bytesToHex(note.root);
  return {
    leafMatches: bytesToHex(leaf) === input.leafHash,
    rootMatches: computedRoot !== null && computedRoot === checkpointRoot,
    signatureValid: note.signatureValid,
    computedLeaf: bytesToHex(leaf),
    computedRoot,
    checkpointRoot,
  };
}
