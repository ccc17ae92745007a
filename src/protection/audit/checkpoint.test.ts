import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  createEd25519Signer,
  createSignerFromKeyString,
  ed25519KeyHash,
  formatCheckpoint,
  openCheckpoint,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  signNote,
  signerKeyString,
  verifierKeyString,
} from './checkpoint.js';
import { hashLeaf, rootFromLeafHashes } from './merkle.js';

// Known-answer vectors from golang.org/x/mod/sumdb/note (note.go, note_test.go).
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG = '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG = '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

function newKey(name = 'trustdesk.example/audit') {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { name, privateKey, publicKey, signer: createEd25519Signer(name, privateKey), vkey: verifierKeyString(name, publicKey) };
}

function sampleCheckpoint(origin = 'trustdesk.example/audit') {
  const leaves = ['a', 'b', 'c'].map((s) => hashLeaf(Buffer.from(s)));
  return { origin, size: leaves.length, rootHash: rootFromLeafHashes(leaves) };
}

describe('x/mod/sumdb/note compatibility', () => {
  it('derives the same key hash, verifier key and signer key', () => {
    const signer = createSignerFromKeyString(PETER_SKEY);
    expect(signer.keyHash.toString('hex')).toBe('c74f20a3');
    const { publicKey } = parseVerifierKey(PETER_VKEY);
    expect(verifierKeyString('PeterNeumann', publicKey)).toBe(PETER_VKEY);
    expect(ed25519KeyHash('PeterNeumann', publicKey).toString('hex')).toBe('c74f20a3');
  });

  it('signs byte-for-byte like note.Sign', () => {
    expect(signNote(TEXT, [createSignerFromKeyString(PETER_SKEY)])).toBe(`${TEXT}\n${PETER_SIG}`);
  });

  it('opens like note.Open: known keys verified, unknown ignored, none known rejected', () => {
    const msg = `${TEXT}\n${PETER_SIG}${ENOCH_SIG}`;
    expect(openNote(msg, [PETER_VKEY])).toEqual({ body: TEXT, verifiedBy: [PETER_VKEY] });
    expect(openNote(msg, [PETER_VKEY, ENOCH_VKEY]).verifiedBy).toEqual([PETER_VKEY, ENOCH_VKEY]);
    expect(openNote(Buffer.from(msg, 'utf8'), [ENOCH_VKEY]).verifiedBy).toEqual([ENOCH_VKEY]);
    expect(() => openNote(msg, [])).toThrow(CheckpointError);
    expect(openNote(`${TEXT}\n${PETER_SIG}${PETER_SIG}`, [PETER_VKEY]).verifiedBy).toEqual([PETER_VKEY]);
  });

  it('rejects the malformed notes note_test.go rejects', () => {
    const bad = [
      TEXT,
      `${TEXT}\n`,
      `${TEXT}\n${PETER_SIG.slice(0, -1)}`,
      `\x01${TEXT}\n${PETER_SIG}`,
      `${TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`,
      `${TEXT}\n${PETER_SIG}Unexpected line.\n`,
      `${TEXT}\n${PETER_SIG.repeat(101)}`,
      `${TEXT}\n${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`, // known key, signature altered
    ];
    for (const msg of bad) expect(() => openNote(msg, [PETER_VKEY]), JSON.stringify(msg)).toThrow(CheckpointError);
    expect(() => openNote(Buffer.concat([Buffer.of(0xff), Buffer.from(`${TEXT}\n${PETER_SIG}`)]), [PETER_VKEY])).toThrow(CheckpointError);
  });

  it('rejects mangled verifier and signer keys', () => {
    const bad = [
      PETER_VKEY.slice(1),
      PETER_VKEY.slice(0, -1),
      PETER_VKEY.replace('c74f20a3', 'c74f20a4'),
      PETER_VKEY.replace('ARpc', 'ARpd'),
      'PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==', // wrong length key
      'PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', // unknown algorithm
      'Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    ];
    for (const vkey of bad) expect(() => parseVerifierKey(vkey), vkey).toThrow(CheckpointError);
    expect(() => createSignerFromKeyString(PETER_SKEY.replace('c74f20a3', 'c74f20a4'))).toThrow(CheckpointError);
    expect(() => createSignerFromKeyString(PETER_SKEY.slice('PRIVATE+'.length))).toThrow(CheckpointError);
  });
});

describe('signed checkpoints', () => {
  it('round-trips a generated key through both key strings', () => {
    const k = newKey();
    const skey = signerKeyString(k.name, k.privateKey);
    expect(skey.startsWith(`PRIVATE+KEY+${k.name}+${k.signer.keyHash.toString('hex')}+`)).toBe(true);
    const note = signNote(formatCheckpoint(sampleCheckpoint()), [createSignerFromKeyString(skey)]);
    expect(openNote(note, [k.vkey]).verifiedBy).toEqual([k.vkey]);
  });

  it('formats the C2SP body and parses it back', () => {
    const cp = sampleCheckpoint();
    const body = formatCheckpoint(cp);
    expect(body).toBe(`${cp.origin}\n3\n${cp.rootHash.toString('base64')}\n`);
    expect(parseCheckpoint(body)).toEqual(cp);
    const withExt = { ...cp, extensions: ['ext one', 'ext two'] };
    expect(parseCheckpoint(formatCheckpoint(withExt))).toEqual(withExt);
    expect(parseCheckpoint(`o\n0\n${Buffer.alloc(32).toString('base64')}\n`).size).toBe(0);
  });

  it('signs, opens and checks the origin', () => {
    const k = newKey();
    const cp = sampleCheckpoint(k.name);
    const note = signNote(formatCheckpoint(cp), [k.signer]);
    expect(note).toMatch(/\n\n— trustdesk\.example\/audit [A-Za-z0-9+/]{91}=\n$/);
    expect(openCheckpoint(note, { verifierKeys: [k.vkey], origin: k.name }).checkpoint).toEqual(cp);
    expect(() => openCheckpoint(note, { verifierKeys: [k.vkey], origin: 'other.example/log' })).toThrow(CheckpointError);
  });

  it('accepts a note cosigned by an unknown key, and verifies each pinned key', () => {
    const log = newKey();
    const witness = newKey('witness.example/w1');
    const note = signNote(formatCheckpoint(sampleCheckpoint()), [log.signer, witness.signer]);
    expect(openNote(note, [log.vkey]).verifiedBy).toEqual([log.vkey]);
    expect(openNote(note, [witness.vkey, log.vkey]).verifiedBy).toEqual([log.vkey, witness.vkey]);
  });

  it('rejects tampering, wrong keys and malformed notes', () => {
    const k = newKey();
    const body = formatCheckpoint(sampleCheckpoint());
    const note = signNote(body, [k.signer]);
    const sigLine = note.slice(body.length + 1);
    const other = newKey(); // same name, different key: its hash differs, so the signature is "unknown"
    const impostor = newKey('evil.example/log');
    const tampered = [
      note.replace('\n3\n', '\n4\n'), // body changed
      note.replace(k.name, 'trustdesk.example/audi7'),
      body + sigLine, // missing blank line
      `${body}\n${sigLine.slice(0, 40)}\n`, // truncated signature
      `${body}\n${sigLine.slice(0, -1)}`, // no final newline
      note.replace(/\n/g, '\r\n'), // CRLF
      `${body}\n${sigLine.replace('— ', '- ')}`, // ASCII dash
      `${body}\n${sigLine.replace('— ', '—  ')}`,
      `${body}\n${sigLine}extra\n`,
      note.replace('trustdesk', 'trust\ud800desk'), // not encodable as UTF-8
    ];
    for (const bad of tampered) expect(() => openNote(bad, [k.vkey]), JSON.stringify(bad)).toThrow(CheckpointError);
    expect(() => openNote(note, [other.vkey])).toThrow(CheckpointError);
    expect(() => openNote(note, [impostor.vkey])).toThrow(CheckpointError);
    // A forged signature under the pinned key's name and hash fails verification.
    const forged = signNote(body, [{ ...impostor.signer, name: k.name, keyHash: k.signer.keyHash }]);
    expect(() => openNote(forged, [k.vkey])).toThrow(/invalid signature/);
    const bytes = Buffer.from(note, 'utf8');
    expect(() => openNote(Buffer.concat([bytes.subarray(0, 5), Buffer.of(0xc3), bytes.subarray(5)]), [k.vkey])).toThrow(/UTF-8/);
  });

  it('parses checkpoint bodies strictly', () => {
    const root = Buffer.alloc(32, 7).toString('base64');
    const bad = [
      `o\n1\n${root}`, // no final newline
      `o\n1\n`,
      `\n1\n${root}\n`,
      `o\n01\n${root}\n`,
      `o\n-1\n${root}\n`,
      `o\n1.0\n${root}\n`,
      `o\n9007199254740993\n${root}\n`,
      `o\n1\n${Buffer.alloc(31).toString('base64')}\n`,
      `o\n1\n${root.slice(0, -1)}\n`,
      `o\n1\n${root}\n\n`,
      `o\n1\n${root}\n\next\n`,
      `o\r\n1\r\n${root}\r\n`,
      `o\n1\n ${root}\n`,
    ];
    for (const body of bad) expect(() => parseCheckpoint(body), JSON.stringify(body)).toThrow(CheckpointError);
    expect(() => formatCheckpoint({ origin: 'a\nb', size: 1, rootHash: Buffer.alloc(32) })).toThrow(CheckpointError);
    expect(() => formatCheckpoint({ origin: 'o', size: 1.5, rootHash: Buffer.alloc(32) })).toThrow(CheckpointError);
    expect(() => formatCheckpoint({ origin: 'o', size: 1, rootHash: Buffer.alloc(31) })).toThrow(CheckpointError);
    expect(() => formatCheckpoint({ origin: 'o', size: 1, rootHash: Buffer.alloc(32), extensions: [''] })).toThrow(CheckpointError);
  });

  it('refuses bad signer input', () => {
    const k = newKey();
    expect(() => signNote('no newline', [k.signer])).toThrow(CheckpointError);
    expect(() => signNote('a\n', [])).toThrow(CheckpointError);
    expect(() => createEd25519Signer('has space', k.privateKey)).toThrow(CheckpointError);
    expect(() => createEd25519Signer('a+b', k.privateKey)).toThrow(CheckpointError);
    expect(() => createEd25519Signer('ok', k.publicKey)).toThrow(CheckpointError);
    expect(() => createEd25519Signer('ok', generateKeyPairSync('ed448').privateKey)).toThrow(CheckpointError);
  });
});
