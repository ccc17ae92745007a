/**
 * Erasure of a data-subject request, in the transaction that approves it: either everything below commits with
 * the request marked done and its certificate, or nothing does (the customer stays whole, the request stays
 * verified). What the customer's key covers is crypto-shredded (shredCustomerFamily); what it does not cover is
 * removed here: queued outbound mail to or about the customer, undelivered webhook events naming their tickets,
 * quarantined messages they sent (kept under the organisation's key, so overwritten), portal sessions and codes.
 *
 * Racing inbound mail: the erasure takes the same advisory lock per address that the ingest takes when it looks
 * up a sender (src/helpdesk/ingest/sender.ts). Mail stored first is erased with the customer; mail arriving after
 * finds no customer (the blind index is gone) and starts a new record, which this erasure does not cover.
 *
 * After the commit: every instance drops its cached copies of the destroyed keys (`onKeysDestroyed`, the bus with
 * Redis), and files outside the database go — sealed outbox files addressed to the customer, attachment blobs.
 * Those are unreadable already (the blobs' keys are destroyed; the outbox files are deleted by address); a failure
 * there is written into the certificate's `incomplete`.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import type { BlobStore } from '../../protection/blobs/store.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { normalizers } from '../../protection/crypto/normalize.js';
import { openOutboxMessage, type OutboxKeySource } from '../../platform/notify/outbox.js';
import { AppError, KeyDestroyedError } from '../../platform/errors.js';
import { readEnvelope } from '../../threats/quarantine/envelope.js';
import type { ActingContext } from '../customers/customers.service.js';
import { mergedFamily, shredCustomerFamily } from '../customers/customers.service.js';
import type { HelpdeskDeps } from '../tickets/context.js';
import '../portal/schema.js';
import '../sla/schema.js';
import type { ErasureCertificate, ErasureCounts } from './certificate.js';
import { removeExportsOf } from './export.js';
import { assertNoLegalHold } from './holds.js';
import { appendLedger, ledgerEntryOf } from './ledger.js';
import './schema.js';

/** A step of the erasure, named for the fault-injection test (nothing half-erased survives a failure). */
export type ErasureStep = 'locked' | 'mail' | 'webhooks' | 'quarantine' | 'portal' | 'shredded' | 'recorded';

export interface ErasureOptions {
  /** Files outside the database: sealed outbox (no SMTP relay) and attachment blobs. */
  outbox?: { dir: string; key: OutboxKeySource };
  blobs?: BlobStore;
  /** Tells every instance to drop cached copies of these keys (the bus with Redis; the keyring forgets its own). */
  onKeysDestroyed?: (keyIds: string[]) => void;
  /** Tests only: called after each step inside the transaction; a throw rolls everything back. */
  afterStep?: (step: ErasureStep) => void | Promise<void>;
}

/** The request as the caller locked and checked it (status verified, erasure, same organisation). */
export interface ErasureRequest {
  id: string;
  orgId: string;
  customerId: string;
  receivedAt: Date;
  verification: 'code' | 'staff' | 'policy';
  verificationId: string | null;
  requestedBy: string | null;
  verifiedBy: string | null;
  verifiedAt: Date | null;
}

const addressIn = (from: string | null): string | null => {
  if (!from) return null;
  const m = /<([^<>\s]+@[^<>\s]+)>\s*$/.exec(from) ?? /([^\s<>",]+@[^\s<>",]+)/.exec(from);
  return m?.[1] ? normalizers.email(m[1]) : null;
};

/** Every email address of the customer and their merged duplicates, decrypted before their keys go. */
async function familyAddresses(deps: HelpdeskDeps, trx: Executor, family: string[]): Promise<string[]> {
  const out = new Set<string>();
  const main = await trx.selectFrom('customers').where('id', 'in', family).select(['id', 'email_enc']).execute();
  const contacts = await trx.selectFrom('customer_contacts').where('customer_id', 'in', family).where('kind', '=', 'email').select(['id', 'value_enc']).execute();
  try {
    for (const c of main) if (c.email_enc) out.add(normalizers.email(await deps.keyring.decrypt({ table: 'customers', column: 'email_enc', rowId: c.id }, c.email_enc, trx)));
    for (const c of contacts) out.add(normalizers.email(await deps.keyring.decrypt({ table: 'customer_contacts', column: 'value_enc', rowId: c.id }, c.value_enc, trx)));
  } catch (err) {
    if (err instanceof KeyDestroyedError) throw new AppError('conflict', 'This customer has already been erased.');
    throw err;
  }
  return [...out].sort();
}

export interface ErasureOutcome {
  certificate: ErasureCertificate;
  /** Run after the commit: cache invalidation on every instance, files outside the database. */
  afterCommit: () => Promise<ErasureCertificate>;
}

/**
 * Erases the request's customer inside `trx` (the caller's approval transaction) and returns the certificate.
 * The caller has locked the request row; the customer row is locked here.
 */
export async function eraseForRequest(deps: HelpdeskDeps, trx: Executor, ctx: ActingContext & { userId: string | null }, req: ErasureRequest, options: ErasureOptions = {}): Promise<ErasureOutcome> {
  const step = async (s: ErasureStep) => options.afterStep?.(s);
  // FOR NO KEY UPDATE: an ingest holding the sender lock below still inserts rows that reference the customer (FOR KEY SHARE).
  const customer = await trx.selectFrom('customers').where('id', '=', req.customerId).where('org_id', '=', req.orgId).select('id').forNoKeyUpdate().executeTakeFirst();
  if (!customer) throw new AppError('not_found', 'No such customer.');
  const family = await mergedFamily(trx, req.orgId, customer.id);
  const addresses = await familyAddresses(deps, trx, family);
  // The ingest's lock per sender address (sender.ts): an inbound message from the customer waits, or is waited for.
  for (const address of addresses) {
    const bidx = await deps.keyring.blindIndex(req.orgId, { table: 'customers', column: 'email', domain: 'email' }, address, trx);
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`${req.orgId}:${bidx.toString('hex')}`}, 0))`.execute(trx);
  }
  // Read after the locks: a message committed meanwhile is included.
  const tickets = (await trx.selectFrom('tickets').where('org_id', '=', req.orgId).where('requester_id', 'in', family).select('id').execute()).map((t) => t.id);
  // A legal hold on the customer, a merged duplicate or one of their tickets stops the erasure (decision 0207).
  await assertNoLegalHold(trx, req.orgId, { customerIds: family, ticketIds: tickets });
  await step('locked');

  // Outbound mail not yet sent, to the customer or about their tickets. Sent rows keep only their (shredded) address.
  let mailQuery = trx.deleteFrom('outbound_mail').where('org_id', '=', req.orgId).where('status', 'in', ['queued', 'sending']);
  mailQuery = tickets.length ? mailQuery.where((eb) => eb.or([eb('customer_id', 'in', family), eb('ticket_id', 'in', tickets)])) : mailQuery.where('customer_id', 'in', family);
  const queuedMail = Number((await mailQuery.executeTakeFirst()).numDeletedRows);
  await step('mail');

  // Webhook events not yet delivered that name one of the customer's tickets (payloads carry ids, never PII).
  let pendingWebhooks = 0;
  if (tickets.length) {
    const r = await sql`DELETE FROM webhook_deliveries WHERE org_id = ${req.orgId} AND status IN ('queued', 'sending')
      AND (payload->'data'->>'ticketId' = ANY (${tickets}::text[]) OR payload->'data'->>'mergedIntoId' = ANY (${tickets}::text[]) OR payload->'data'->>'splitFromId' = ANY (${tickets}::text[]))`.execute(trx);
    pendingWebhooks = Number(r.numAffectedRows ?? 0);
  }
  await step('webhooks');

  // Quarantined messages the customer sent: held under the organisation's key, so the key going does not reach
  // them. Their source and details are overwritten (as a quarantine deletion does); the row and reason code stay.
  let quarantinedMessages = 0;
  if (addresses.length) {
    const held = await trx.selectFrom('quarantine').where('org_id', '=', req.orgId).where('status', '<>', 'deleted').select(['id', 'raw_enc', 'details_enc']).forUpdate().execute();
    for (const q of held) {
      let from: string | null = null;
      if (q.details_enc) {
        const details = JSON.parse(await deps.keyring.decrypt({ table: 'quarantine', column: 'details_enc', rowId: q.id }, q.details_enc, trx)) as { envelope?: { from?: string | null } };
        from = details.envelope?.from ?? null;
      }
      if (!from) from = (await readEnvelope(Buffer.from(await deps.keyring.decrypt({ table: 'quarantine', column: 'raw_enc', rowId: q.id }, q.raw_enc, trx), 'base64'))).from;
      const address = addressIn(from);
      if (!address || !addresses.includes(address)) continue;
      const empty = await deps.keyring.encrypt({ type: 'organization', id: req.orgId }, { table: 'quarantine', column: 'raw_enc', rowId: q.id }, '', trx);
      await trx.updateTable('quarantine').set({ status: 'deleted', raw_enc: empty, raw_size: 0, details_enc: null, decided_by: ctx.userId, decided_at: new Date() }).where('id', '=', q.id).execute();
      quarantinedMessages++;
    }
  }
  await step('quarantine');

  // Portal sessions and codes: hashed, but they would still let someone act as the customer or link an address.
  const portalSessions = Number((await trx.deleteFrom('customer_sessions').where('customer_id', 'in', family).executeTakeFirst()).numDeletedRows);
  const hashes: Buffer[] = [];
  for (const address of addresses) hashes.push(await deps.keyring.exactKeyedHash(req.orgId, { table: 'portal_challenges', column: 'address' }, address, trx));
  let challenges = trx.deleteFrom('portal_challenges').where('org_id', '=', req.orgId);
  challenges = hashes.length ? challenges.where((eb) => eb.or([eb('customer_id', 'in', family), eb('address_hash', 'in', hashes)])) : challenges.where('customer_id', 'in', family);
  const portalChallenges = Number((await challenges.executeTakeFirst()).numDeletedRows);
  await step('portal');

  // Attachment files: their per-file keys are wrapped under the customer's key (gone below); the files go after the commit.
  const blobRows = await trx.selectFrom('attachments').where('org_id', '=', req.orgId).where('customer_id', 'in', family).where('blob_key', 'is not', null).select(['id', 'blob_key']).execute();
  if (blobRows.length) await trx.updateTable('attachments').set({ blob_key: null }).where('id', 'in', blobRows.map((b) => b.id)).execute();

  // Access-export bundles: encrypted under the customer's key (unreadable once it goes); their rows and links go now.
  const exportBundles = await removeExportsOf(trx, req.orgId, family);

  const shred = await shredCustomerFamily(deps, trx, { orgId: req.orgId, customerId: customer.id });
  await step('shredded');

  const counts: ErasureCounts = {
    customerRecords: shred.family.length,
    dataKeys: shred.keyIds.length,
    blindIndexes: shred.blindIndexes,
    searchTokens: shred.searchTokens,
    phishingLabels: shred.phishingLabels,
    queuedMail,
    outboxFiles: 0,
    pendingWebhooks,
    quarantinedMessages,
    portalSessions,
    portalChallenges,
    attachmentBlobs: blobRows.length,
    exportBundles,
  };
  const base = { orgId: req.orgId, actor: ctx.actor, requestId: ctx.requestId ?? null, sourceIp: ctx.sourceIp ?? null };
  const eraseId = await deps.audit.append(trx, { ...base, action: 'customer.erase', object: { type: 'customer', id: customer.id }, subjectCustomerId: customer.id, purpose: `data-subject request ${req.id}`, result: 'success', details: { request: req.id, records: family.length, ...counts } });
  const doneId = await deps.audit.append(trx, { ...base, action: 'privacy.request.complete', object: { type: 'privacy_request', id: req.id }, subjectCustomerId: customer.id, result: 'success', details: { kind: 'erasure' } });
  const seqs = await trx.selectFrom('audit_log').where('id', 'in', [eraseId, doneId]).select(['id', 'seq', 'action']).execute();
  const erasedAt = new Date().toISOString();
  const certificate: ErasureCertificate = {
    format: 'trustdesk-erasure-certificate/v1',
    requestId: req.id,
    organizationId: req.orgId,
    customerId: customer.id,
    mergedRecordIds: family.filter((id) => id !== customer.id),
    receivedAt: req.receivedAt.toISOString(),
    verification: { method: req.verification, verificationId: req.verificationId, verifiedBy: req.verifiedBy, verifiedAt: req.verifiedAt?.toISOString() ?? null },
    requestedBy: req.requestedBy,
    approvedBy: ctx.userId,
    erasedAt,
    destroyed: { dataKeyIds: shred.keyIds, counts },
    auditEntries: seqs.sort((a, b) => Number(a.seq) - Number(b.seq)).map((s) => ({ action: s.action, seq: Number(s.seq), id: s.id })),
    remains: [
      { kind: 'ticket shells', count: tickets.length, note: 'number, status, dates and team; subject and messages unreadable' },
      { kind: 'customer record shells', count: family.length, note: 'id and dates; every field unreadable, no blind index' },
      { kind: 'audit entries', count: await countAuditEntries(trx, deps, customer.id), note: 'the customer named only by a keyed hash; kept for the integrity of the trail' },
    ],
    incomplete: [],
  };
  await trx.updateTable('privacy_requests').set({ status: 'done', completed_at: new Date(erasedAt), certificate: JSON.stringify(certificate) }).where('id', '=', req.id).execute();
  await step('recorded');

  const afterCommit = async (): Promise<ErasureCertificate> => {
    deps.keyring.forget(shred.keyIds);
    options.onKeysDestroyed?.(shred.keyIds);
    const incomplete: string[] = [];
    if (deps.erasureLedger) {
      try {
        appendLedger(deps.erasureLedger, [ledgerEntryOf(certificate)]);
      } catch (err) {
        // The periodic sync writes it from the database; until then a restore could bring the customer back.
        deps.logger.error({ err, requestId: req.id }, 'erasure: not written to the erasure ledger');
        incomplete.push('the erasure ledger (written by the next sync, within a minute)');
      }
    }
    let outboxFiles = 0;
    if (options.outbox) {
      try {
        outboxFiles = await removeOutboxFiles(options.outbox, addresses);
      } catch (err) {
        deps.logger.warn({ err, requestId: req.id }, 'erasure: sealed outbox files not removed');
        incomplete.push('sealed outbox files addressed to the customer');
      }
    }
    let failedBlobs = 0;
    if (options.blobs) {
      for (const b of blobRows) await options.blobs.delete(b.blob_key as string).catch(() => void failedBlobs++);
      if (failedBlobs) incomplete.push(`${failedBlobs} attachment files (encrypted under destroyed keys)`);
    }
    if (!outboxFiles && !incomplete.length) return certificate;
    const final: ErasureCertificate = { ...certificate, destroyed: { ...certificate.destroyed, counts: { ...counts, outboxFiles } }, incomplete };
    await deps.db.updateTable('privacy_requests').set({ certificate: JSON.stringify(final) }).where('id', '=', req.id).execute();
    return final;
  };
  return { certificate, afterCommit };
}

async function countAuditEntries(trx: Executor, deps: HelpdeskDeps, customerId: string): Promise<number> {
  const subject = deps.audit.subject(customerId);
  const r = await trx.selectFrom('audit_log').where('subject', '=', subject).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Deletes the sealed outbox files whose To/Cc header names one of the addresses; returns how many. */
async function removeOutboxFiles(outbox: { dir: string; key: OutboxKeySource }, addresses: string[]): Promise<number> {
  let names: string[];
  try {
    names = readdirSync(outbox.dir).filter((n) => n.endsWith('.eml.enc'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  const key = await outbox.key();
  let removed = 0;
  for (const name of names) {
    const file = path.join(outbox.dir, name);
    let message: Buffer;
    try {
      message = openOutboxMessage(key, name.slice(0, -'.eml.enc'.length), readFileSync(file));
    } catch {
      continue;
    }
    const text = message.subarray(0, 65_536).toString('utf8');
    const end = text.search(/\r?\n\r?\n/);
    const head = (end >= 0 ? text.slice(0, end) : text).replace(/\r?\n[ \t]+/g, ' ');
    const recipients = [...head.matchAll(/^(?:to|cc|bcc):(.*)$/gim)].flatMap((m) => [...(m[1] ?? '').matchAll(/[^\s<>",;:]+@[^\s<>",;]+/g)].map((a) => normalizers.email(a[0])));
    if (recipients.some((r) => addresses.includes(r))) {
      rmSync(file, { force: true });
      removed++;
    }
  }
  return removed;
}
