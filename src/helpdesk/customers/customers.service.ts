/**
 * Customers: every personal field encrypted under the customer's own data key,
 * looked up through blind indexes, every read recorded in the audit trail in
 * the same transaction as the read (no record, no data), and erasure by
 * destroying the key.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { AuditEvent } from '../../protection/audit/entry.js';
import type { Executor, Keyring } from '../../protection/crypto/keyring.js';
import { normalizers } from '../../protection/crypto/normalize.js';
import type { Database } from '../../platform/db/schema.js';
import { AppError, KeyDestroyedError } from '../../platform/errors.js';
import { deleteSearchTokensForCustomer } from '../search/search-index.js';
import { deleteLabelsForCustomers } from '../../threats/phishing-learning/store.js';

export interface CustomerDeps {
  db: Kysely<Database>;
  keyring: Keyring;
  audit: AuditLog;
}

/** Who is acting and from where; copied into every audit event. */
export interface ActingContext {
  orgId: string;
  actor: AuditEvent['actor'];
  requestId?: string | null;
  sourceIp?: string | null;
}

export interface CustomerFields {
  name: string;
  email: string;
}

export type CustomerView = { id: string; erased: false; name: string; email: string } | { id: string; erased: true };

const TABLE = 'customers';
const field = (column: 'name_enc' | 'email_enc', rowId: string) => ({ table: TABLE, column, rowId });
const owner = (id: string) => ({ type: 'customer' as const, id });

function auditBase(ctx: ActingContext) {
  return { orgId: ctx.orgId, actor: ctx.actor, requestId: ctx.requestId ?? null, sourceIp: ctx.sourceIp ?? null };
}

async function emailIndex(deps: CustomerDeps, orgId: string, email: string, trx?: Parameters<Keyring['blindIndex']>[3]) {
  return deps.keyring.blindIndex(orgId, { table: TABLE, column: 'email', domain: 'email' }, normalizers.email(email), trx);
}

export async function createCustomer(deps: CustomerDeps, ctx: ActingContext, fields: CustomerFields): Promise<{ id: string }> {
  const id = randomUUID();
  return deps.db.transaction().execute(async (trx) => {
    const name = await deps.keyring.encrypt(owner(id), field('name_enc', id), fields.name, trx);
    const email = await deps.keyring.encrypt(owner(id), field('email_enc', id), fields.email, trx);
    const email_bidx = await emailIndex(deps, ctx.orgId, fields.email, trx);
    await trx.insertInto('customers').values({ id, org_id: ctx.orgId, name_enc: name, email_enc: email, email_bidx }).execute();
    await deps.audit.append(trx, { ...auditBase(ctx), action: 'customer.create', object: { type: 'customer', id }, subjectCustomerId: id, result: 'success' });
    return { id };
  });
}

/** Reads and decrypts a customer; the read is audited with its purpose before any data is returned. */
export async function readCustomer(deps: CustomerDeps, ctx: ActingContext, input: { customerId: string; purpose: string }): Promise<CustomerView> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('customers')
      .where('id', '=', input.customerId)
      .where('org_id', '=', ctx.orgId)
      .select(['id', 'name_enc', 'email_enc'])
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such customer.');
    await deps.audit.append(trx, {
      ...auditBase(ctx),
      action: 'customer.read',
      object: { type: 'customer', id: row.id },
      subjectCustomerId: row.id,
      purpose: input.purpose,
      result: 'success',
    });
    try {
      const name = row.name_enc ? await deps.keyring.decrypt(field('name_enc', row.id), row.name_enc, trx) : '';
      const email = row.email_enc ? await deps.keyring.decrypt(field('email_enc', row.id), row.email_enc, trx) : '';
      return { id: row.id, erased: false as const, name, email };
    } catch (err) {
      if (err instanceof KeyDestroyedError) return { id: row.id, erased: true as const };
      throw err;
    }
  });
}

/** Customers of the organisation with this email (blind-index candidates, confirmed by decryption). */
export async function findCustomerIdsByEmail(deps: CustomerDeps, ctx: ActingContext, email: string): Promise<string[]> {
  const wanted = normalizers.email(email);
  const index = await emailIndex(deps, ctx.orgId, email);
  const candidates = await deps.db.selectFrom('customers').where('org_id', '=', ctx.orgId).where('email_bidx', '=', index).select(['id', 'email_enc']).execute();
  const ids: string[] = [];
  for (const c of candidates) {
    if (!c.email_enc) continue;
    try {
      if (normalizers.email(await deps.keyring.decrypt(field('email_enc', c.id), c.email_enc)) === wanted) ids.push(c.id);
    } catch (err) {
      if (!(err instanceof KeyDestroyedError)) throw err;
    }
  }
  return ids;
}

/** A customer and every record merged into it, directly or through a chain. */
export async function mergedFamily(trx: Executor, orgId: string, customerId: string): Promise<string[]> {
  const family = [customerId];
  for (let i = 0; i < family.length && family.length < 1000; i++) {
    const children = await trx.selectFrom('customers').where('org_id', '=', orgId).where('merged_into', '=', family[i] as string).select('id').execute();
    for (const c of children) if (!family.includes(c.id)) family.push(c.id);
  }
  return family;
}

/** What shredding a customer destroyed: the records (the customer and their merged duplicates), key ids, counts. */
export interface ShredResult {
  family: string[];
  keyIds: string[];
  searchTokens: number;
  phishingLabels: number;
  blindIndexes: number;
}

/**
 * Crypto-shredding inside the caller's transaction: the keys of the customer and of every duplicate merged
 * into them are destroyed, so every field under them is gone, backups included. Lookup indexes, search tokens
 * and phishing labels, keyed by the organisation, go too. The caller checks the customer belongs to `orgId`.
 */
export async function shredCustomerFamily(deps: Pick<CustomerDeps, 'keyring'>, trx: Executor, input: { orgId: string; customerId: string }): Promise<ShredResult> {
  const family = await mergedFamily(trx, input.orgId, input.customerId);
  const keyIds: string[] = [];
  let searchTokens = 0;
  for (const id of family) {
    keyIds.push(...(await deps.keyring.destroyKeys(owner(id), trx)));
    searchTokens += await deleteSearchTokensForCustomer(trx, { orgId: input.orgId, customerId: id });
  }
  // The phishing model's labels keep keyed hashes of the words of their messages.
  const phishingLabels = await deleteLabelsForCustomers(trx, { orgId: input.orgId, customerIds: family });
  // Blind indexes would still link the erased rows to an email or phone; drop them.
  const a = await trx.updateTable('customers').set({ email_bidx: null, updated_at: new Date() }).where('id', 'in', family).where('email_bidx', 'is not', null).executeTakeFirst();
  const b = await trx.updateTable('customer_contacts').set({ value_bidx: null }).where('customer_id', 'in', family).where('value_bidx', 'is not', null).executeTakeFirst();
  return { family, keyIds, searchTokens, phishingLabels, blindIndexes: Number(a.numUpdatedRows) + Number(b.numUpdatedRows) };
}

/**
 * Crypto-shredding of one customer on its own (see shredCustomerFamily). A data-subject request's erasure
 * (src/helpdesk/privacy/erasure.ts) does this and more — queued mail, webhooks, quarantine — in one transaction.
 */
export async function eraseCustomer(deps: CustomerDeps, ctx: ActingContext, input: { customerId: string; purpose: string }): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('customers').where('id', '=', input.customerId).where('org_id', '=', ctx.orgId).select('id').executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such customer.');
    // A legal hold (src/helpdesk/privacy/holds.ts, decision 0207) on the customer, a merged duplicate or a ticket of theirs stops it.
    const family = await mergedFamily(trx, ctx.orgId, row.id);
    const held = await sql<{ id: string }>`SELECT id FROM legal_holds WHERE org_id = ${ctx.orgId} AND lifted_at IS NULL AND ((object_type = 'customer' AND object_id = ANY (${family}::uuid[]))
      OR (object_type = 'ticket' AND object_id IN (SELECT id FROM tickets WHERE org_id = ${ctx.orgId} AND requester_id = ANY (${family}::uuid[]))))`.execute(trx);
    if (held.rows.length) throw new AppError('conflict', 'This customer is on legal hold: nothing of theirs can be erased until the hold is lifted.', { extra: { legalHold: true, holdIds: held.rows.map((h) => h.id) } });
    const shred = await shredCustomerFamily(deps, trx, { orgId: ctx.orgId, customerId: row.id });
    await deps.audit.append(trx, {
      ...auditBase(ctx),
      action: 'customer.erase',
      object: { type: 'customer', id: row.id },
      subjectCustomerId: row.id,
      purpose: input.purpose,
      result: 'success',
      details: { records: shred.family.length },
    });
  });
}
