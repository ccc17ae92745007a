/**
 * Attachment contents: sealed with a fresh random key per blob (field cipher,
 * bound to the attachment row), that key stored in `attachments.content_key_enc`
 * under the customer's key. Rotation re-encrypts the small key column; erasing
 * the customer destroys the way to the blob.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Executor, Keyring, KeyOwner } from '../crypto/keyring.js';
import { decryptField, encryptField, readCiphertextHeader, type DataKey } from '../crypto/field-cipher.js';
import type { BlobStore } from './store.js';

const ctxFor = (attachmentId: string) => ({ table: 'attachments', column: 'content', rowId: attachmentId });

export async function sealAttachment(input: { store: BlobStore; keyring: Keyring; owner: KeyOwner; attachmentId: string; bytes: Uint8Array; trx?: Executor }): Promise<{ blobKey: string; contentKeyEnc: Uint8Array }> {
  const dek: DataKey = { id: randomUUID(), version: 1, key: randomBytes(32) };
  const sealed = encryptField(dek, ctxFor(input.attachmentId), input.bytes);
  const blobKey = await input.store.put(sealed);
  const material = `${dek.id}:${Buffer.from(dek.key).toString('base64')}`;
  const contentKeyEnc = await input.keyring.encrypt(input.owner, { table: 'attachments', column: 'content_key_enc', rowId: input.attachmentId }, material, input.trx);
  return { blobKey, contentKeyEnc };
}

export async function openAttachment(input: { store: BlobStore; keyring: Keyring; attachmentId: string; blobKey: string; contentKeyEnc: Uint8Array; trx?: Executor }): Promise<Uint8Array> {
  const material = await input.keyring.decrypt({ table: 'attachments', column: 'content_key_enc', rowId: input.attachmentId }, input.contentKeyEnc, input.trx);
  const [id, key] = material.split(':') as [string, string];
  const sealed = await input.store.get(input.blobKey);
  if (readCiphertextHeader(sealed).keyId !== id) throw new Error('attachment key does not match its blob');
  return decryptField({ id, version: 1, key: Buffer.from(key, 'base64') }, ctxFor(input.attachmentId), sealed);
}
