/**
 * Merging duplicate customers. The duplicate's tickets, and the addresses it
 * was known by, move to the surviving record; the duplicate stays, read-only,
 * linked by `merged_into`. Its ciphertexts stay under its own key (each header
 * names the key), so nothing is re-encrypted, and erasing the survivor also
 * destroys the keys of every record merged into it.
 */
import { AppError, KeyDestroyedError } from '../../platform/errors.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import type { ActingContext, CustomerDeps } from './customers.service.js';
import { addCustomerContact } from './customer-fields.js';

/** Runs in `trx` when given (a chat identified by an email code merges its anonymous visitor: decision 0186). */
export async function mergeCustomers(deps: CustomerDeps, ctx: ActingContext, input: { sourceId: string; targetId: string; reason: string }, trx?: Executor): Promise<{ ticketsMoved: number }> {
  if (input.sourceId === input.targetId) throw new AppError('validation_failed', 'Choose two different customers.');
  const run = async (trx: Executor) => {
    const rows = await trx
      .selectFrom('customers')
      .where('org_id', '=', ctx.orgId)
      .where('id', 'in', [input.sourceId, input.targetId])
      .select(['id', 'merged_into', 'email_enc'])
      .forUpdate()
      .execute();
    const source = rows.find((r) => r.id === input.sourceId);
    const target = rows.find((r) => r.id === input.targetId);
    if (!source || !target) throw new AppError('not_found', 'No such customer.');
    if (source.merged_into || target.merged_into) throw new AppError('conflict', 'One of these customers was already merged into another record.');
    // The survivor must still be readable; an erased record cannot absorb others.
    const keys = await trx.selectFrom('data_keys').where('owner_type', '=', 'customer').where('owner_id', 'in', [source.id, target.id]).select(['owner_id', 'destroyed_at']).execute();
    if (keys.some((k) => k.destroyed_at)) throw new AppError('gone', 'One of these customers was erased.');
    // The duplicate's primary address becomes a contact of the survivor, so lookups by it find the survivor.
    if (source.email_enc) {
      try {
        const email = await deps.keyring.decrypt({ table: 'customers', column: 'email_enc', rowId: source.id }, source.email_enc, trx);
        if (email) await addCustomerContact(deps, ctx, { customerId: target.id, kind: 'email', value: email }, trx);
      } catch (err) {
        if (!(err instanceof KeyDestroyedError)) throw err;
      }
    }
    const moved = await trx.updateTable('tickets').set({ requester_id: target.id }).where('org_id', '=', ctx.orgId).where('requester_id', '=', source.id).executeTakeFirst();
    await trx.updateTable('customers').set({ merged_into: target.id, email_bidx: null, updated_at: new Date() }).where('id', '=', source.id).execute();
    const ticketsMoved = Number(moved.numUpdatedRows);
    await deps.audit.append(trx, {
      orgId: ctx.orgId,
      actor: ctx.actor,
      action: 'customer.merge',
      object: { type: 'customer', id: target.id },
      subjectCustomerId: target.id,
      purpose: input.reason,
      result: 'success',
      details: { merged: source.id, ticketsMoved },
      requestId: ctx.requestId ?? null,
      sourceIp: ctx.sourceIp ?? null,
    });
    return { ticketsMoved };
  };
  return trx ? run(trx) : deps.db.transaction().execute(run);
}
