/**
 * Attachments of an inbound message (and agent and portal uploads): sniffed,
 * judged, names and text ones passed through the sensitive-data stage,
 * documents and archives read for what they hold (src/protection/file-scan),
 * sealed into the blob store and recorded. A file over the size limit is
 * recorded as such (its bytes stay in the encrypted raw message), never
 * silently dropped; a document holding a card number is recorded without its
 * bytes ('withheld', decision 0120).
 */
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { sealAttachment } from '../../protection/blobs/attachments.js';
import { inspectAttachment, safeFilename } from '../../protection/blobs/sniff.js';
import type { BlobStore } from '../../protection/blobs/store.js';
import type { Database } from '../../platform/db/schema.js';
import type { ParsedAttachment } from '../../threats/phishing/index.js';
import type { HelpdeskDeps } from '../tickets/context.js';
import type { StoredRedaction } from '../tickets/schema.js';
import { DEFAULT_DLP_POLICY, type DlpPolicy } from '../../protection/dlp/index.js';
import { scanFile, type FileScan } from '../../protection/file-scan/scan-file.js';
import { AppError } from '../../platform/errors.js';
import type { SensitiveDataScanner } from './scan.js';
import { assertStorageAvailable } from '../../identity/organizations/limits.js';

/**
 * Reads every attachment's name and contents against the policy. Slow files
 * (PDFs) are read in a worker, so call this before opening a transaction and
 * pass the result to storeAttachments.
 */
export async function scanAttachmentFiles(attachments: readonly ParsedAttachment[], policy: DlpPolicy, maxBytes: number): Promise<FileScan[]> {
  const out: FileScan[] = [];
  for (const a of attachments) {
    const name = safeFilename(a.filename || 'attachment');
    const bytes: Uint8Array = a.content ?? new Uint8Array();
    const readable = a.content !== undefined && a.size <= maxBytes && bytes.length <= maxBytes;
    const sniffed = readable ? inspectAttachment(name, a.contentType, bytes).type : 'unknown';
    out.push(await scanFile({ name, sniffedType: readable ? sniffed : 'unknown', bytes: readable ? bytes : new Uint8Array(), policy }));
  }
  return out;
}

/**
 * An upload (agent or portal) is read before its transaction; one whose
 * contents hold what must never be stored is refused, since the person
 * uploading can remove it and try again (decision 0120).
 */
export async function scanUpload(file: ParsedAttachment, policy: DlpPolicy, maxBytes: number): Promise<FileScan[]> {
  const files = await scanAttachmentFiles([file], policy, maxBytes);
  const f = files[0] as FileScan;
  if (f.withhold) {
    const types = f.contentFindings.filter((x) => x.action === 'redact').map((x) => x.type.replace(/_/g, ' '));
    throw new AppError('validation_failed', `This file holds data that is never stored (${types.join(', ')}). Remove it from the file and upload it again.`, { extra: { sensitiveTypes: f.contentFindings.filter((x) => x.action === 'redact').map((x) => x.type) } });
  }
  return files;
}

/** Files whose contents must not be kept, or whose names were redacted: the raw message may not keep them either. */
export function filesNeedRawRebuild(files: readonly FileScan[]): boolean {
  return files.some((f) => f.withhold || f.nameFindings.some((x) => x.action === 'redact'));
}

export async function storeAttachments(
  trx: Transaction<Database>,
  deps: HelpdeskDeps,
  input: {
    blobs: BlobStore;
    orgId: string;
    messageId: string;
    customerId: string;
    attachments: ParsedAttachment[];
    maxBytes: number;
    scan: SensitiveDataScanner;
    redactions: StoredRedaction[];
    /** scanAttachmentFiles' result for these attachments; read here (inside the transaction) when absent. */
    files?: readonly FileScan[];
    policy?: DlpPolicy;
  },
): Promise<{ count: number; dangerous: number; withheld: number }> {
  let dangerous = 0;
  let withheld = 0;
  const owner = { type: 'customer' as const, id: input.customerId };
  const files = input.files ?? (await scanAttachmentFiles(input.attachments, input.policy ?? DEFAULT_DLP_POLICY, input.maxBytes));
  // The organisation's storage limit (decision 0235): checked for the files that will be kept, before any is sealed.
  const keeping = input.attachments.reduce((sum, a, i) => (a.content && a.size <= input.maxBytes && a.content.length <= input.maxBytes && !files[i]?.withhold ? sum + a.size : sum), 0);
  await assertStorageAvailable(trx, input.orgId, keeping);
  for (const [index, a] of input.attachments.entries()) {
    const id = randomUUID();
    const file = files[index] as FileScan;
    const name = file.name;
    for (const x of file.nameFindings) input.redactions.push({ field: 'attachment', type: x.type, start: 0, end: 0, action: x.action });
    for (const x of file.contentFindings) input.redactions.push({ field: 'attachment', type: x.type, start: 0, end: 0, action: file.withhold ? 'redact' : x.action });
    const filename_enc = await deps.keyring.encrypt(owner, { table: 'attachments', column: 'filename_enc', rowId: id }, name, trx);
    const tooLarge = !a.content || a.size > input.maxBytes || a.content.length > input.maxBytes;
    let bytes: Uint8Array = a.content ?? new Uint8Array();
    const sniffed = inspectAttachment(name, a.contentType, bytes);
    const verdict = { ...sniffed, dangerous: sniffed.dangerous || file.bomb, reasons: [...sniffed.reasons, ...file.dangerReasons, ...(file.withhold ? file.contentFindings.filter((x) => x.action === 'redact').map((x) => `sensitive:${x.type}`) : [])] };
    if (!tooLarge && verdict.type === 'text/plain') {
      const r = input.scan({ body: Buffer.from(bytes).toString('utf8') });
      if (r.redactedAny) {
        bytes = Buffer.from(r.body, 'utf8');
        for (const x of r.redactions) input.redactions.push({ ...x, field: 'attachment' });
      }
    }
    if (verdict.dangerous) dangerous++;
    if (file.withhold) withheld++;
    let blobKey: string | null = null;
    let contentKeyEnc: Uint8Array | null = null;
    if (!tooLarge && !file.withhold) {
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
        status: tooLarge ? 'too_large' : file.withhold ? 'withheld' : 'stored',
      })
      .execute();
  }
  return { count: input.attachments.length, dangerous, withheld };
}
