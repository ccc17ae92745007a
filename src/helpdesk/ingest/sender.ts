/**
 * The sender of an inbound message as a customer: found through the email
 * blind index (main address or a further one), or created. Runs inside the
 * ingest transaction under an advisory lock on the index value, so two
 * messages from a new address at once make one customer, not two.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Transaction } from 'kysely';
import { normalizers } from '../../protection/crypto/normalize.js';
import type { Database } from '../../platform/db/schema.js';
import { KeyDestroyedError } from '../../platform/errors.js';
import type { HelpdeskDeps } from '../tickets/context.js';
import '../tickets/schema.js';

const SYSTEM = { type: 'system' as const, id: 'mail-in' };

export async function findOrCreateSender(
  trx: Transaction<Database>,
  deps: HelpdeskDeps,
  input: { orgId: string; address: string; name: string; /** Who creates a new customer (default: inbound mail) and from where. */ actor?: { type: 'system'; id: string }; source?: string },
): Promise<{ id: string; created: boolean }> {
  const wanted = normalizers.email(input.address);
  const bidx = await deps.keyring.blindIndex(input.orgId, { table: 'customers', column: 'email', domain: 'email' }, wanted, trx);
  const contactBidx = await deps.keyring.blindIndex(input.orgId, { table: 'customer_contacts', column: 'email', domain: 'email' }, wanted, trx);
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`${input.orgId}:${bidx.toString('hex')}`}, 0))`.execute(trx);
  const main = await trx
    .selectFrom('customers')
    .where('org_id', '=', input.orgId)
    .where('email_bidx', '=', bidx)
    .where('merged_into', 'is', null)
    .select(['id', 'email_enc'])
    .orderBy('created_at')
    .execute();
  for (const c of main) {
    if (!c.email_enc) continue;
    try {
      if (normalizers.email(await deps.keyring.decrypt({ table: 'customers', column: 'email_enc', rowId: c.id }, c.email_enc, trx)) === wanted) return { id: c.id, created: false };
    } catch (err) {
      if (!(err instanceof KeyDestroyedError)) throw err;
    }
  }
  const extra = await trx
    .selectFrom('customer_contacts as c')
    .innerJoin('customers as cu', 'cu.id', 'c.customer_id')
    .where('c.org_id', '=', input.orgId)
    .where('c.kind', '=', 'email')
    .where('c.value_bidx', '=', contactBidx)
    .where('cu.merged_into', 'is', null)
    .select(['c.id', 'c.customer_id', 'c.value_enc'])
    .execute();
  for (const c of extra) {
    try {
      if (normalizers.email(await deps.keyring.decrypt({ table: 'customer_contacts', column: 'value_enc', rowId: c.id }, c.value_enc, trx)) === wanted) return { id: c.customer_id, created: false };
    } catch (err) {
      if (!(err instanceof KeyDestroyedError)) throw err;
    }
  }
  const id = randomUUID();
  const owner = { type: 'customer' as const, id };
  await trx
    .insertInto('customers')
    .values({
      id,
      org_id: input.orgId,
      name_enc: await deps.keyring.encrypt(owner, { table: 'customers', column: 'name_enc', rowId: id }, input.name, trx),
      email_enc: await deps.keyring.encrypt(owner, { table: 'customers', column: 'email_enc', rowId: id }, input.address, trx),
      email_bidx: bidx,
    })
    .execute();
  await deps.audit.append(trx, { orgId: input.orgId, actor: input.actor ?? SYSTEM, action: 'customer.create', object: { type: 'customer', id }, subjectCustomerId: id, result: 'success', details: { source: input.source ?? 'email' } });
  return { id, created: true };
}
