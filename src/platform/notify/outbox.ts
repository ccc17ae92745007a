/**
 * The development/air-gapped outbox: with no SMTP relay, outgoing mail (ticket
 * replies, sign-in codes, invitations) is written to `<data>/outbox/` sealed,
 * never in clear (decision 0112). Each file is `<id>.eml.enc`:
 *   "TDOX1" ‖ 24-byte nonce ‖ XChaCha20-Poly1305(key, nonce, message, aad = "trustdesk/outbox/v1/<id>")
 * under the installation's `outbox-key` system secret (wrapped by the KEK in the
 * database). The id is bound as associated data, so a file renamed to another
 * id does not open. `trustdesk outbox list|show ID` reads them for an operator.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import type { Keyring } from '../../protection/crypto/keyring.js';

const MAGIC = Buffer.from('TDOX1', 'ascii');
const NONCE_BYTES = 24;
const SUFFIX = '.eml.enc';
const ID = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9-]+Z-[0-9a-f-]{36}$/;

/** Returns the outbox key on demand (unwrapped from the database once, then kept). */
export type OutboxKeySource = () => Promise<Uint8Array>;

export function outboxKeyFrom(keyring: Keyring): OutboxKeySource {
  let key: Promise<Uint8Array> | undefined;
  return () => (key ??= keyring.systemSecret('outbox-key', () => ({ secret: randomBytes(32) })).then((s) => s.secret));
}

const aad = (id: string) => new TextEncoder().encode(`trustdesk/outbox/v1/${id}`);

export function sealOutboxMessage(key: Uint8Array, id: string, message: Uint8Array): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const sealed = xchacha20poly1305(key, nonce, aad(id)).encrypt(message);
  return Buffer.concat([MAGIC, nonce, sealed]);
}

export function openOutboxMessage(key: Uint8Array, id: string, file: Uint8Array): Buffer {
  const buf = Buffer.from(file);
  if (buf.length < MAGIC.length + NONCE_BYTES + 16 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new OutboxError(`${id} is not a sealed outbox file.`);
  const nonce = buf.subarray(MAGIC.length, MAGIC.length + NONCE_BYTES);
  try {
    return Buffer.from(xchacha20poly1305(key, nonce, aad(id)).decrypt(buf.subarray(MAGIC.length + NONCE_BYTES)));
  } catch {
    throw new OutboxError(`${id} does not open with this installation's outbox key (altered, renamed, or from another installation).`);
  }
}

export class OutboxError extends Error {}

/** Seals and writes one message atomically (temporary file, then rename); returns its id. */
export async function writeOutboxMessage(dir: string, keySource: OutboxKeySource, message: Uint8Array): Promise<string> {
  const key = await keySource();
  const id = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${id}.tmp`);
  writeFileSync(tmp, sealOutboxMessage(key, id, message), { mode: 0o600 });
  renameSync(tmp, path.join(dir, `${id}${SUFFIX}`));
  return id;
}

export interface OutboxItem {
  id: string;
  writtenAt: string;
  bytes: number;
}

/** The sealed messages in the folder, newest first (nothing is decrypted). */
export function listOutbox(dir: string): OutboxItem[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((n) => n.endsWith(SUFFIX) && ID.test(n.slice(0, -SUFFIX.length)))
    .map((n) => {
      const st = statSync(path.join(dir, n));
      return { id: n.slice(0, -SUFFIX.length), writtenAt: st.mtime.toISOString(), bytes: st.size };
    })
    .sort((a, b) => (a.id < b.id ? 1 : -1));
}

/** One message in clear, for an operator. */
export async function readOutboxMessage(dir: string, keySource: OutboxKeySource, id: string): Promise<Buffer> {
  if (!ID.test(id)) throw new OutboxError(`"${id}" is not an outbox id (see \`trustdesk outbox list\`).`);
  let file: Buffer;
  try {
    file = readFileSync(path.join(dir, `${id}${SUFFIX}`));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new OutboxError(`No outbox message ${id}.`);
    throw err;
  }
  return openOutboxMessage(await keySource(), id, file);
}
