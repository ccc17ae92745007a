/**
 * Quarantine decisions: security officers read a held message (an audited read
 * of possibly personal data), release it into the helpdesk (it is ingested as
 * accepted, skipping the threat verdict that held it) or delete it (the raw
 * message is overwritten). Every decision names its reason and is audited in
 * the same transaction as the status change.
 */
import type { Principal } from '../../identity/auth/access.js';
import type { ClientInfo } from '../../identity/auth/auth.service.js';
import type { BlobStore } from '../../protection/blobs/store.js';
import { AppError } from '../../platform/errors.js';
import { createDefaultHooks } from '../../helpdesk/ingest/hooks.js';
import { ingestInboundEmail, type IngestOutcome } from '../../helpdesk/ingest/pipeline.js';
import type { HelpdeskDeps } from '../../helpdesk/tickets/context.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { recordLabel } from '../phishing-learning/labels.js';
import { readEnvelope, type Envelope } from './envelope.js';

const MAX_SHOWN_BYTES = 256 * 1024;
const owner = (orgId: string) => ({ type: 'organization' as const, id: orgId });
const field = (column: 'raw_enc' | 'details_enc', id: string) => ({ table: 'quarantine', column, rowId: id });

/** The ticket message a held message was reported from (decision 0036), so its decision relabels that message. */
async function reportedFrom(deps: HelpdeskDeps, trx: Executor, row: { id: string; details_enc: Uint8Array | null }): Promise<string | null> {
  if (!row.details_enc) return null;
  try {
    const details = JSON.parse(await deps.keyring.decrypt(field('details_enc', row.id), row.details_enc, trx)) as { reportedFrom?: { messageId?: unknown } };
    return typeof details.reportedFrom?.messageId === 'string' ? details.reportedFrom.messageId : null;
  } catch {
    return null;
  }
}

function auditBase(p: Principal, client: ClientInfo) {
  return { orgId: p.orgId, actor: { type: 'user' as const, id: p.userId }, requestId: client.requestId, sourceIp: client.ip };
}

export interface QuarantineListItem {
  id: string;
  mailboxId: string | null;
  reason: string;
  codes: string[];
  threatScore: number | null;
  rawSize: number;
  status: string;
  createdAt: string;
  /** Decrypted here for quarantine.read holders; null once deleted or when the header has none. */
  from: string | null;
  subject: string | null;
}

/**
 * The organisation's quarantine with each message's sender and subject. They
 * are personal data kept encrypted: decrypting them is an audited read (one
 * entry per list, naming how many were shown). Messages held before the
 * envelope was stored with the details have it read from their header block.
 */
export async function listQuarantined(deps: HelpdeskDeps, p: Principal, client: ClientInfo, input: { status?: 'held' | 'released' | 'deleted'; limit?: number }): Promise<QuarantineListItem[]> {
  const status = input.status ?? 'held';
  return deps.db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('quarantine')
      .where('org_id', '=', p.orgId)
      .where('status', '=', status)
      .select(['id', 'mailbox_id', 'reason', 'codes', 'threat_score', 'raw_size', 'status', 'created_at', 'details_enc'])
      .orderBy('created_at', 'desc')
      .limit(Math.min(input.limit ?? 50, 200))
      .execute();
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'quarantine.list', result: 'success', details: { status, count: rows.length } });
    const items: QuarantineListItem[] = [];
    for (const r of rows) {
      let envelope: Envelope = { from: null, subject: null };
      if (r.status !== 'deleted') {
        const details = r.details_enc ? (JSON.parse(await deps.keyring.decrypt(field('details_enc', r.id), r.details_enc, trx)) as { envelope?: Envelope }) : {};
        if (details.envelope) envelope = details.envelope;
        else {
          const raw = await trx.selectFrom('quarantine').where('id', '=', r.id).select('raw_enc').executeTakeFirstOrThrow();
          envelope = await readEnvelope(Buffer.from(await deps.keyring.decrypt(field('raw_enc', r.id), raw.raw_enc, trx), 'base64'));
        }
      }
      items.push({ id: r.id, mailboxId: r.mailbox_id, reason: r.reason, codes: r.codes, threatScore: r.threat_score, rawSize: r.raw_size, status: r.status, createdAt: new Date(r.created_at).toISOString(), from: envelope.from, subject: envelope.subject });
    }
    return items;
  });
}

export interface QuarantineDetail {
  id: string;
  reason: string;
  codes: string[];
  threatScore: number | null;
  status: string;
  createdAt: string;
  decidedAt: string | null;
  reasons: Array<{ code: string; weight: number; evidence: string }>;
  /** The message source after sensitive-data redaction, cut to 256 KiB. */
  source: string;
  truncated: boolean;
}

export async function readQuarantined(deps: HelpdeskDeps, p: Principal, client: ClientInfo, id: string): Promise<QuarantineDetail> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('quarantine').where('id', '=', id).where('org_id', '=', p.orgId).selectAll().executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such quarantined message.');
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'quarantine.read', object: { type: 'quarantine', id }, result: 'success' });
    const raw = Buffer.from(await deps.keyring.decrypt(field('raw_enc', id), row.raw_enc, trx), 'base64');
    const details = row.details_enc ? (JSON.parse(await deps.keyring.decrypt(field('details_enc', id), row.details_enc, trx)) as { reasons?: QuarantineDetail['reasons'] }) : {};
    return {
      id: row.id,
      reason: row.reason,
      codes: row.codes,
      threatScore: row.threat_score,
      status: row.status,
      createdAt: new Date(row.created_at).toISOString(),
      decidedAt: row.decided_at ? new Date(row.decided_at).toISOString() : null,
      reasons: details.reasons ?? [],
      source: raw.subarray(0, MAX_SHOWN_BYTES).toString('utf8'),
      truncated: raw.length > MAX_SHOWN_BYTES,
    };
  });
}

/**
 * Releases a held message into the helpdesk. The decision is recorded first;
 * if the ingest then fails, the message goes back to held and the failure is
 * recorded too, so nothing is lost either way.
 */
export async function releaseQuarantined(
  deps: HelpdeskDeps,
  options: { blobs: BlobStore; maxAttachmentBytes: number },
  p: Principal,
  client: ClientInfo,
  input: { id: string; reason: string },
): Promise<IngestOutcome> {
  const held = await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('quarantine').where('id', '=', input.id).where('org_id', '=', p.orgId).select(['id', 'status', 'reason', 'raw_enc', 'details_enc', 'mailbox_id']).forUpdate().executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such quarantined message.');
    if (row.status !== 'held') throw new AppError('conflict', `This message was already ${row.status}.`);
    if (row.reason === 'malformed') throw new AppError('conflict', 'A malformed message cannot be released into the helpdesk; read its source instead.');
    const mailbox = row.mailbox_id ? await trx.selectFrom('mailboxes').where('id', '=', row.mailbox_id).select(['id', 'org_id', 'address', 'team_id']).executeTakeFirst() : undefined;
    if (!mailbox) throw new AppError('conflict', 'The mailbox this message was sent to no longer exists.');
    await trx.updateTable('quarantine').set({ status: 'released', decided_by: p.userId, decided_at: new Date() }).where('id', '=', row.id).execute();
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'quarantine.release', object: { type: 'quarantine', id: row.id }, purpose: input.reason, result: 'success' });
    const raw = Buffer.from(await deps.keyring.decrypt(field('raw_enc', row.id), row.raw_enc, trx), 'base64');
    return { raw, reportedFrom: await reportedFrom(deps, trx, row), mailbox: { id: mailbox.id, orgId: mailbox.org_id, address: mailbox.address, teamId: mailbox.team_id } };
  });
  const hooks = { ...createDefaultHooks(), analyzeThreats: async () => null };
  let outcome: IngestOutcome | undefined;
  try {
    [outcome] = await ingestInboundEmail(deps, { hooks, blobs: options.blobs, maxAttachmentBytes: options.maxAttachmentBytes }, { raw: held.raw, mailFrom: '', rcptTo: [held.mailbox.address] }, [held.mailbox]);
    if (!outcome) throw new Error('nothing was ingested');
  } catch (err) {
    await deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('quarantine').set({ status: 'held', decided_by: null, decided_at: null }).where('id', '=', input.id).execute();
      await deps.audit.append(trx, { ...auditBase(p, client), action: 'quarantine.release', object: { type: 'quarantine', id: input.id }, result: 'failure', details: { error: 'ingest_failed' } });
    });
    throw new AppError('unavailable', 'The message could not be released; it is still held.', { cause: err });
  }
  // A release says the message was legitimate (decision 0174): it labels the reported ticket message, else the
  // ticket message the release created (so a later reply does not label it twice). Best effort, after the commit.
  const ref = held.reportedFrom ?? ('messageId' in outcome ? outcome.messageId : input.id);
  await recordLabel(deps, { orgId: p.orgId, messageRef: ref, label: 'ham', source: 'release', labellerId: p.userId, raw: held.raw });
  return outcome;
}

/** Deletes a held message: its source is overwritten, the record and the decision stay. */
export async function deleteQuarantined(deps: HelpdeskDeps, p: Principal, client: ClientInfo, input: { id: string; reason: string }): Promise<void> {
  const deleted = await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('quarantine').where('id', '=', input.id).where('org_id', '=', p.orgId).select(['id', 'status', 'reason', 'raw_enc', 'details_enc']).forUpdate().executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such quarantined message.');
    if (row.status !== 'held') throw new AppError('conflict', `This message was already ${row.status}.`);
    // Read before the source is overwritten: a deletion says the message was phishing (decision 0174). A malformed
    // message is held for its shape, not its content, and teaches nothing.
    const raw = row.reason === 'malformed' ? null : await deps.keyring.decrypt(field('raw_enc', row.id), row.raw_enc, trx).catch(() => null);
    const learnFrom = raw ? { raw: Buffer.from(raw, 'base64'), ref: (await reportedFrom(deps, trx, row)) ?? row.id } : null;
    const empty = await deps.keyring.encrypt(owner(p.orgId), field('raw_enc', row.id), '', trx);
    await trx.updateTable('quarantine').set({ status: 'deleted', raw_enc: empty, details_enc: null, decided_by: p.userId, decided_at: new Date() }).where('id', '=', row.id).execute();
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'quarantine.delete', object: { type: 'quarantine', id: row.id }, purpose: input.reason, result: 'success' });
    return learnFrom;
  });
  if (deleted) await recordLabel(deps, { orgId: p.orgId, messageRef: deleted.ref, label: 'phish', source: 'delete', labellerId: p.userId, raw: deleted.raw });
}
