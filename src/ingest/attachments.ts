/**
 * Attachments of an inbound message: sniffed, judged, text ones passed through
 * the sensitive-data stage, sealed into the blob store and recorded. A file over
 * the size limit is recorded as such (its bytes stay in the encrypted raw
 * message), never silently dropped.
 */
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { sealAttachment } from '../blobs/attachments.js';
import { inspectAttachment, safeFilename } from '../blobs/sniff.js';
import type { BlobStore } from '../blobs/store.js';
import type { Database } from '../db/schema.js';
import type { ParsedAttachment } from '../phishing/index.js';
import type { HelpdeskDeps } from '../tickets/context.js';
import type { StoredRedaction } from '../tickets/schema.js';
import type { SensitiveDataScanner } from './scan.js';

export async function storeAttachments(
  trx: Transaction<Database>,
  deps: HelpdeskDeps,
  input: { blobs: BlobStore; orgId: string; messageId: string; customerId: string; attachments: ParsedAttachment[]; maxBytes: number; scan: SensitiveDataScanner; redactions: StoredRedaction[] },
): Promise<{ count: number; dangerous: number }> {
  let dangerous = 0;
  const owner = { type: 'customer' as const, id: input.customerId };
  for (const a of input.attachments) {
    const id = randomUUID();
    const name = safeFilename(a.filename || 'attachment');
    const filename_enc = await deps.keyring.encrypt(owner, { table: 'attachments', column: 'filename_enc', rowId: id }, name, trx);
    const tooLarge = !a.content || a.size > input.maxBytes || a.content.length > input.maxBytes;
    let bytes: Uint8Array = a.content ?? new Uint8Array();
    const verdict = inspectAttachment(name, a.contentType, bytes);
    if (!tooLarge && verdict.type === 'text/plain') {
      const r = input.scan({ body: Buffer.from(bytes).toString('utf8') });
      if (r.redactedAny) {
        bytes = Buffer.from(r.body, 'utf8');
        for (const x of r.redactions) input.redactions.push({ ...x, field: 'attachment' });
      }
    }
    if (verdict.dangerous) dangerous++;
    let blobKey: string | null = null;
    let contentKeyEnc: Uint8Array | null = null;
    if (!tooLarge) {
      const sealed = await sealAttachment({ store: input.blobs, keyring: deps.keyring, owner, attachmentId: id, bytes, trx });
      blobKey = sealed.blobKey;
      contentKeyEnc = sealed.contentKeyEnc;
    }
    await trx
      .insertInto('attachments')
      .values({
        id,
        org_id: input.orgId,
        message_id: input.messageId,
        customer_id: input.customerId,
        blob_key: blobKey,
        filename_enc,
        content_key_enc: contentKeyEnc,
        declared_type: a.contentType.slice(0, 200),
        sniffed_type: tooLarge ? 'unknown' : verdict.type,
        size: a.size,
        dangerous: verdict.dangerous,
        danger_reasons: verdict.reasons,
        status: tooLarge ? 'too_large' : 'stored',
      })
      .execute();
  }
  return { count: input.attachments.length, dangerous };
}
