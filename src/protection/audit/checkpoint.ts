/**
 * Signed checkpoints: a C2SP tlog-checkpoint body (origin, size, root) inside a
 * C2SP signed note with Ed25519 signatures, byte-compatible with
 * golang.org/x/mod/sumdb/note, so standard tools can check our tree heads.
 *
 * Spec points that matter: the signature covers the body text including its
 * final newline; key hash = SHA-256(name || 0x0A || 0x01 || 32-byte key)[:4];
 * a verifier key reads `<name>+<8 hex>+<base64(0x01 || key)>`.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Buffer;
  extensions?: string[];
}

export interface NoteSigner {
  name: string;
  /** 4-byte key hash, the first bytes of each signature. */
  keyHash: Buffer;
  sign(msg: Buffer): Buffer;
}

const ALG_ED25519 = 0x01;
const ROOT_SIZE = 32;
const MAX_SIGNATURES = 100;
const SIG_PREFIX = '\u2014 '; // em dash, space
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

// Invalid UTF-16 cannot be encoded as the UTF-8 a note must be.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// eslint-disable-next-line no-control-regex
const CONTROL_EXCEPT_NEWLINE = /[\u0000-\u0009\u000B-\u001F]/;
// JS \s covers Unicode Zs/Zl/Zp and ASCII spaces; Go's unicode.IsSpace adds NEL.
const SPACE_OR_PLUS = /[\s\u0085+]/;

/** Strict standard base64: canonical padding, nothing else. */
function decodeBase64(s: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(s, 'base64');
  return bytes.toString('base64') === s ? bytes : undefined;
}

function isValidKeyName(name: string): boolean {
  return name.length > 0 && !SPACE_OR_PLUS.test(name) && !LONE_SURROGATE.test(name) && !CONTROL_EXCEPT_NEWLINE.test(name);
}

function checkNoteText(text: string, what: string): void {
  if (LONE_SURROGATE.test(text)) throw new CheckpointError(`${what} is not valid UTF-8`);
  if (CONTROL_EXCEPT_NEWLINE.test(text)) throw new CheckpointError(`${what} contains a control character (CR, tab, ...)`);
}

function rawEd25519PublicKey(key: KeyObject): Buffer {
  if (key.asymmetricKeyType !== 'ed25519') throw new CheckpointError('key is not Ed25519');
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const { x } = publicKey.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new CheckpointError('cannot export Ed25519 public key');
  return Buffer.from(x, 'base64url');
}

function keyHashOf(name: string, encodedKey: Uint8Array): Buffer {
  return createHash('sha256').update(name, 'utf8').update(Buffer.of(0x0a)).update(encodedKey).digest().subarray(0, 4);
}

/** The note key hash of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4]. */
export function ed25519KeyHash(name: string, publicKey: KeyObject): Buffer {
  return keyHashOf(name, Buffer.concat([Buffer.of(ALG_ED25519), rawEd25519PublicKey(publicKey)]));
}

/** The `<name>+<hash>+<key>` line a third party pins to verify our checkpoints. */
export function verifierKeyString(name: string, publicKey: KeyObject): string {
  if (!isValidKeyName(name)) throw new CheckpointError(`invalid key name ${JSON.stringify(name)}`);
  const encoded = Buffer.concat([Buffer.of(ALG_ED25519), rawEd25519PublicKey(publicKey)]);
  return `${name}+${keyHashOf(name, encoded).toString('hex')}+${encoded.toString('base64')}`;
}

/** x/mod/sumdb/note's secret key form, `PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>`. */
export function signerKeyString(name: string, privateKey: KeyObject): string {
  if (!isValidKeyName(name)) throw new CheckpointError(`invalid key name ${JSON.stringify(name)}`);
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') throw new CheckpointError('not an Ed25519 private key');
  const { d } = privateKey.export({ format: 'jwk' });
  if (typeof d !== 'string') throw new CheckpointError('cannot export Ed25519 private key');
  const seed = Buffer.concat([Buffer.of(ALG_ED25519), Buffer.from(d, 'base64url')]);
  return `PRIVATE+KEY+${name}+${ed25519KeyHash(name, privateKey).toString('hex')}+${seed.toString('base64')}`;
}

/** Splits `name+hash+key`; the key part may itself contain '+'. */
function splitKeyString(s: string): { name: string; hash: string; key: string } | undefined {
  const a = s.indexOf('+');
  const b = a < 0 ? -1 : s.indexOf('+', a + 1);
  if (b < 0) return undefined;
  return { name: s.slice(0, a), hash: s.slice(a + 1, b), key: s.slice(b + 1) };
}

function decodeKeyParts(s: string, what: string): { name: string; hash: Buffer; key: Buffer } {
  const parts = splitKeyString(s);
  const key = parts && decodeBase64(parts.key);
  if (!parts || !isValidKeyName(parts.name) || !/^[0-9a-fA-F]{8}$/.test(parts.hash) || !key || key.length !== 33) {
    throw new CheckpointError(`malformed ${what}`);
  }
  if (key[0] !== ALG_ED25519) throw new CheckpointError(`${what}: unknown algorithm ${key[0]}`);
  return { name: parts.name, hash: Buffer.from(parts.hash, 'hex'), key: key.subarray(1) };
}

export interface VerifierKey {
  name: string;
  keyHash: Buffer;
  publicKey: KeyObject;
}

export function parseVerifierKey(vkey: string): VerifierKey {
  const { name, hash, key } = decodeKeyParts(vkey, 'verifier key');
  if (!keyHashOf(name, Buffer.concat([Buffer.of(ALG_ED25519), key])).equals(hash)) {
    throw new CheckpointError('verifier key hash does not match its key');
  }
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.toString('base64url') }, format: 'jwk' });
  return { name, keyHash: hash, publicKey };
}

export function createEd25519Signer(name: string, privateKey: KeyObject): NoteSigner {
  if (!isValidKeyName(name)) throw new CheckpointError(`invalid key name ${JSON.stringify(name)}`);
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') throw new CheckpointError('not an Ed25519 private key');
  const keyHash = ed25519KeyHash(name, privateKey);
  return { name, keyHash, sign: (msg) => sign(null, msg, privateKey) };
}

/** A signer from the `PRIVATE+KEY+...` string; checks the hash against the derived public key. */
export function createSignerFromKeyString(skey: string): NoteSigner {
  if (!skey.startsWith('PRIVATE+KEY+')) throw new CheckpointError('malformed signer key');
  const { name, hash, key } = decodeKeyParts(skey.slice('PRIVATE+KEY+'.length), 'signer key');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, key]), format: 'der', type: 'pkcs8' });
  const signer = createEd25519Signer(name, privateKey);
  if (!signer.keyHash.equals(hash)) throw new CheckpointError('signer key hash does not match its key');
  return signer;
}

/** Body + blank line + one `— name base64(keyHash || sig)` line per signer. */
export function signNote(body: string, signers: NoteSigner[]): string {
  if (!body.endsWith('\n')) throw new CheckpointError('note text must end with a newline');
  checkNoteText(body, 'note text');
  if (signers.length === 0) throw new CheckpointError('at least one signer is needed');
  const msg = Buffer.from(body, 'utf8');
  const lines = signers.map((s) => {
    if (!isValidKeyName(s.name) || s.keyHash.length !== 4) throw new CheckpointError(`invalid signer ${JSON.stringify(s.name)}`);
    const sig = Buffer.concat([s.keyHash, s.sign(msg)]);
    return `${SIG_PREFIX}${s.name} ${sig.toString('base64')}\n`;
  });
  return `${body}\n${lines.join('')}`;
}

function decodeNote(note: string | Uint8Array): string {
  if (typeof note === 'string') return note;
  try {
    // ignoreBOM keeps a leading BOM as text, so the signed bytes are unchanged.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(note);
  } catch {
    throw new CheckpointError('note is not valid UTF-8');
  }
}

/**
 * Opens a signed note: every signature by a pinned key must verify and at
 * least one must exist; signatures by other keys are ignored (c2sp.org/signed-note).
 * `verifiedBy` lists the pinned verifier key strings whose signature verified.
 */
export function openNote(note: string | Uint8Array, verifierKeys: string[]): { body: string; verifiedBy: string[] } {
  const known = new Map<string, { vkey: string; key: VerifierKey }>();
  for (const vkey of verifierKeys) {
    const key = parseVerifierKey(vkey);
    const id = `${key.name}+${key.keyHash.toString('hex')}`;
    const prior = known.get(id);
    if (prior && !prior.key.publicKey.equals(key.publicKey)) throw new CheckpointError(`ambiguous verifier keys for ${id}`);
    known.set(id, { vkey, key });
  }

  const text = decodeNote(note);
  checkNoteText(text, 'note');
  const split = text.lastIndexOf('\n\n');
  if (split < 0) throw new CheckpointError('malformed note: no blank line before the signatures');
  const body = text.slice(0, split + 1);
  const sigBlock = text.slice(split + 2);
  if (sigBlock.length === 0 || !sigBlock.endsWith('\n')) throw new CheckpointError('malformed note: no signature lines');

  const lines = sigBlock.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new CheckpointError('malformed note: too many signatures');
  const msg = Buffer.from(body, 'utf8');
  const verifiedBy: string[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    if (!line.startsWith(SIG_PREFIX)) throw new CheckpointError('malformed note: bad signature line');
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = space < 0 ? rest : rest.slice(0, space);
    const b64 = space < 0 ? '' : rest.slice(space + 1);
    const sig = decodeBase64(b64);
    if (!isValidKeyName(name) || !sig || sig.length < 5) throw new CheckpointError('malformed note: bad signature line');
    const id = `${name}+${sig.subarray(0, 4).toString('hex')}`;
    const entry = known.get(id);
    if (!entry || seen.has(id)) continue;
    seen.add(id);
    let ok = false;
    try {
      ok = verify(null, msg, entry.key.publicKey, sig.subarray(4));
    } catch {
      ok = false;
    }
    if (!ok) throw new CheckpointError(`invalid signature for key ${id}`);
    verifiedBy.push(entry.vkey);
  }
  if (verifiedBy.length === 0) throw new CheckpointError('note has no signature from a known key');
  return { body, verifiedBy };
}

export function formatCheckpoint(cp: Checkpoint): string {
  const lines = [cp.origin, String(cp.size), Buffer.from(cp.rootHash).toString('base64'), ...(cp.extensions ?? [])];
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw new CheckpointError(`invalid tree size ${cp.size}`);
  if (cp.rootHash.length !== ROOT_SIZE) throw new CheckpointError(`root hash must be ${ROOT_SIZE} bytes`);
  for (const line of lines) {
    if (line.length === 0 || line.includes('\n')) throw new CheckpointError('checkpoint lines must be non-empty single lines');
  }
  const body = `${lines.join('\n')}\n`;
  checkNoteText(body, 'checkpoint');
  return body;
}

/** Strict parse of a checkpoint body (the note text, final newline included). */
export function parseCheckpoint(body: string): Checkpoint {
  checkNoteText(body, 'checkpoint');
  if (!body.endsWith('\n')) throw new CheckpointError('checkpoint must end with a newline');
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) throw new CheckpointError('checkpoint needs origin, size and root hash lines');
  if (lines.some((l) => l.length === 0)) throw new CheckpointError('checkpoint has an empty line');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw new CheckpointError(`invalid tree size ${JSON.stringify(sizeText)}`);
  }
  const rootHash = decodeBase64(rootText);
  if (!rootHash || rootHash.length !== ROOT_SIZE) throw new CheckpointError('root hash is not base64 of 32 bytes');
  const cp: Checkpoint = { origin, size: Number(sizeText), rootHash };
  if (extensions.length > 0) cp.extensions = extensions;
  return cp;
}

/** openNote + parseCheckpoint, and the origin must be the one expected when given. */
export function openCheckpoint(
  note: string | Uint8Array,
  opts: { verifierKeys: string[]; origin?: string },
): { checkpoint: Checkpoint; verifiedBy: string[] } {
  const { body, verifiedBy } = openNote(note, opts.verifierKeys);
  const checkpoint = parseCheckpoint(body);
  if (opts.origin !== undefined && checkpoint.origin !== opts.origin) {
    throw new CheckpointError(`checkpoint origin ${JSON.stringify(checkpoint.origin)} is not ${JSON.stringify(opts.origin)}`);
  }
  return { checkpoint, verifiedBy };
}
