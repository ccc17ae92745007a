/**
 * Quarantine: messages held back (malformed, phishing). The raw message (after
 * the sensitive-data stage) is kept encrypted under the organisation's key (the
 * sender may not be a known customer) with reason codes in clear and the
 * analysis evidence encrypted. Never dropped; released or deleted only by an
 * audited decision (quarantine.release).
 */
import { randomUUID } from 'node:crypto';
import type { Analysis } from '../phishing/index.js';
import type { HelpdeskDeps } from '../tickets/context.js';
import type { QuarantineReason, StoredRedaction } from '../tickets/schema.js';

export async function quarantineMessage(
  deps: HelpdeskDeps,
  input: { orgId: string; mailboxId: string | null; reason: QuarantineReason; codes: string[]; raw: Buffer; threat: Analysis | null; redactions: StoredRedaction[] },
): Promise<string> {
  const id = randomUUID();
  const owner = { type: 'organization' as const, id: input.orgId };
  await deps.db.transaction().execute(async (trx) => {
    const raw_enc = await deps.keyring.encrypt(owner, { table: 'quarantine', column: 'raw_enc', rowId: id }, input.raw.toString('base64'), trx);
    const details = { reasons: input.threat?.reasons ?? [], redactions: input.redactions };
    const details_enc = await deps.keyring.encrypt(owner, { table: 'quarantine', column: 'details_enc', rowId: id }, JSON.stringify(details), trx);
    await trx
      .insertInto('quarantine')
      .values({ id, org_id: input.orgId, mailbox_id: input.mailboxId, reason: input.reason, codes: [...new Set(input.codes)].slice(0, 50), threat_score: input.threat?.score ?? null, raw_enc, raw_size: input.raw.length, details_enc })
      .execute();
    await deps.audit.append(trx, {
      orgId: input.orgId,
      actor: { type: 'system', id: 'mail-in' },
      action: 'email.quarantine',
      object: { type: 'quarantine', id },
      result: 'success',
      details: { reason: input.reason, codes: [...new Set(input.codes)].slice(0, 50), score: input.threat?.score ?? null },
    });
  });
  return id;
}

export interface QuarantineItem {
  id: string;
  mailboxId: string | null;
  reason: QuarantineReason;
  codes: string[];
  threatScore: number | null;
  rawSize: number;
  status: 'held' | 'released' | 'deleted';
  createdAt: string;
}

/** Held messages for security officers (metadata only; reading the raw message is a separate, audited read). */
export async function listQuarantine(deps: HelpdeskDeps, input: { orgId: string; status?: 'held' | 'released' | 'deleted'; limit?: number }): Promise<QuarantineItem[]> {
  const rows = await deps.db
    .selectFrom('quarantine')
    .where('org_id', '=', input.orgId)
    .where('status', '=', input.status ?? 'held')
    .select(['id', 'mailbox_id', 'reason', 'codes', 'threat_score', 'raw_size', 'status', 'created_at'])
    .orderBy('created_at', 'desc')
    .limit(Math.min(input.limit ?? 50, 200))
    .execute();
  return rows.map((r) => ({ id: r.id, mailboxId: r.mailbox_id, reason: r.reason, codes: r.codes, threatScore: r.threat_score, rawSize: r.raw_size, status: r.status, createdAt: new Date(r.created_at).toISOString() }));
}
