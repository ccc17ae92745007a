/**
 * Quarantine: messages held back (malformed, phishing). The raw message (after
 * the sensitive-data stage) is kept encrypted under the organisation's key (the
 * sender may not be a known customer) with reason codes in clear and the
 * analysis evidence encrypted. Never dropped; released or deleted only by an
 * audited decision (quarantine.release).
 */
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import type { Analysis } from '../../threats/phishing/index.js';
import { readEnvelope } from '../../threats/quarantine/envelope.js';
import type { HelpdeskDeps } from '../tickets/context.js';
import type { QuarantineReason, StoredRedaction } from '../tickets/schema.js';

export async function quarantineMessage(
  deps: HelpdeskDeps,
  input: { orgId: string; mailboxId: string | null; reason: QuarantineReason; codes: string[]; raw: Buffer; threat: Analysis | null; redactions: StoredRedaction[] },
  /** The caller's own record, committed with the quarantined copy (IngestOptions.withinStore). */
  withinStore?: (trx: Transaction<Database>, orgId: string) => Promise<void>,
): Promise<string> {
  const id = randomUUID();
  const owner = { type: 'organization' as const, id: input.orgId };
  // Sender and subject for the security centre's list, encrypted with the details (the raw message is not reopened per list).
  const envelope = await readEnvelope(input.raw).catch(() => ({ from: null, subject: null }));
  await deps.db.transaction().execute(async (trx) => {
    const raw_enc = await deps.keyring.encrypt(owner, { table: 'quarantine', column: 'raw_enc', rowId: id }, input.raw.toString('base64'), trx);
    const details = { reasons: input.threat?.reasons ?? [], redactions: input.redactions, envelope };
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
    if (withinStore) await withinStore(trx, input.orgId);
  });
  return id;
}
