/**
 * Legal hold (decision 0207): a hold on a customer or a ticket stops every deletion of it — the retention run skips
 * it and an erasure refuses — until someone lifts it, with a reason. Setting and lifting are audited in the same
 * transaction; a lifted hold stays as the record of who held what, why and until when.
 *
 * What a hold covers: a hold on a customer covers the customer, the duplicates merged into them, and every ticket
 * they requested; a hold on a ticket covers the ticket, and its requester cannot be erased while it holds (their
 * key encrypts it).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { ClientInfo } from '../../identity/auth/auth.service.js';
import type { Principal } from '../../identity/auth/access.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { AppError } from '../../platform/errors.js';
import type { HelpdeskDeps } from '../tickets/context.js';
import type { LegalHoldsTable } from './schema.js';
import './schema.js';

export interface LegalHold {
  id: string;
  objectType: 'customer' | 'ticket';
  objectId: string;
  reason: string;
  setBy: string | null;
  setAt: string;
  liftedBy: string | null;
  liftedAt: string | null;
  liftReason: string | null;
  active: boolean;
}

type Row = Pick<LegalHoldsTable, 'id' | 'object_type' | 'object_id' | 'reason' | 'set_by' | 'lifted_by' | 'lifted_at' | 'lift_reason'> & { set_at: Date };
const COLUMNS = ['id', 'object_type', 'object_id', 'reason', 'set_by', 'set_at', 'lifted_by', 'lifted_at', 'lift_reason'] as const;

const present = (r: Row): LegalHold => ({
  id: r.id,
  objectType: r.object_type,
  objectId: r.object_id,
  reason: r.reason,
  setBy: r.set_by,
  setAt: new Date(r.set_at).toISOString(),
  liftedBy: r.lifted_by,
  liftedAt: r.lifted_at ? new Date(r.lifted_at).toISOString() : null,
  liftReason: r.lift_reason,
  active: r.lifted_at === null,
});

const auditBase = (p: Principal, client: ClientInfo) => ({ orgId: p.orgId, actor: { type: 'user' as const, id: p.userId }, requestId: client.requestId, sourceIp: client.ip });

/**
 * The customer an object is about (the ticket's requester), for the audit entry; not_found outside the
 * organisation. The rows are locked FOR SHARE: an erasure (customer FOR NO KEY UPDATE) or a retention batch (DELETE)
 * already under way finishes first, and one that starts later sees the hold.
 */
async function subjectOf(trx: Executor, orgId: string, objectType: 'customer' | 'ticket', objectId: string, lock = true): Promise<string | null> {
  const customer = async (id: string) => {
    const q = trx.selectFrom('customers').where('id', '=', id).where('org_id', '=', orgId).select('id');
    return lock ? q.forShare().executeTakeFirst() : q.executeTakeFirst();
  };
  if (objectType === 'customer') {
    const c = await customer(objectId);
    if (!c) throw new AppError('not_found', 'No such customer.');
    return c.id;
  }
  const q = trx.selectFrom('tickets').where('id', '=', objectId).where('org_id', '=', orgId).select('requester_id');
  const t = lock ? await q.forShare().executeTakeFirst() : await q.executeTakeFirst();
  if (!t) throw new AppError('not_found', 'No such ticket.');
  if (t.requester_id) await customer(t.requester_id);
  return t.requester_id;
}

export async function setLegalHold(deps: HelpdeskDeps, p: Principal, client: ClientInfo, input: { objectType: 'customer' | 'ticket'; objectId: string; reason: string }): Promise<LegalHold> {
  return deps.db.transaction().execute(async (trx) => {
    const subject = await subjectOf(trx, p.orgId, input.objectType, input.objectId);
    const existing = await trx.selectFrom('legal_holds').where('org_id', '=', p.orgId).where('object_type', '=', input.objectType).where('object_id', '=', input.objectId).where('lifted_at', 'is', null).select('id').executeTakeFirst();
    if (existing) throw new AppError('conflict', `This ${input.objectType} is already on legal hold.`, { extra: { holdId: existing.id } });
    const id = randomUUID();
    const row = await trx
      .insertInto('legal_holds')
      .values({ id, org_id: p.orgId, object_type: input.objectType, object_id: input.objectId, reason: input.reason, set_by: p.userId })
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'privacy.hold.set', object: { type: input.objectType, id: input.objectId }, subjectCustomerId: subject, purpose: input.reason, result: 'success', details: { hold: id } });
    return present(row as Row);
  });
}

export async function liftLegalHold(deps: HelpdeskDeps, p: Principal, client: ClientInfo, input: { id: string; reason: string }): Promise<LegalHold> {
  return deps.db.transaction().execute(async (trx) => {
    const hold = await trx.selectFrom('legal_holds').where('id', '=', input.id).where('org_id', '=', p.orgId).select(COLUMNS).forUpdate().executeTakeFirst();
    if (!hold) throw new AppError('not_found', 'No such legal hold.');
    if (hold.lifted_at) throw new AppError('conflict', 'This legal hold was already lifted.');
    const subject = await subjectOf(trx, p.orgId, hold.object_type, hold.object_id, false).catch(() => null);
    const row = await trx.updateTable('legal_holds').set({ lifted_by: p.userId, lifted_at: new Date(), lift_reason: input.reason }).where('id', '=', hold.id).returning(COLUMNS).executeTakeFirstOrThrow();
    await deps.audit.append(trx, { ...auditBase(p, client), action: 'privacy.hold.lift', object: { type: hold.object_type, id: hold.object_id }, subjectCustomerId: subject, purpose: input.reason, result: 'success', details: { hold: hold.id } });
    return present(row as Row);
  });
}

export async function listLegalHolds(deps: Pick<HelpdeskDeps, 'db'>, p: Principal, filter: { active?: boolean; objectType?: 'customer' | 'ticket'; objectId?: string; limit?: number } = {}): Promise<LegalHold[]> {
  let q = deps.db.selectFrom('legal_holds').where('org_id', '=', p.orgId).select(COLUMNS);
  if (filter.active === true) q = q.where('lifted_at', 'is', null);
  if (filter.active === false) q = q.where('lifted_at', 'is not', null);
  if (filter.objectType) q = q.where('object_type', '=', filter.objectType);
  if (filter.objectId) q = q.where('object_id', '=', filter.objectId);
  const rows = await q.orderBy('set_at', 'desc').orderBy('id').limit(filter.limit ?? 200).execute();
  return rows.map((r) => present(r as Row));
}

/**
 * Refuses (409, `legalHold: true`) when a hold covers any of the customers or tickets: the erasure's guard. The
 * customers are a whole merged family; their tickets are checked too (the customer's key encrypts them).
 */
export async function assertNoLegalHold(trx: Executor, orgId: string, objects: { customerIds: string[]; ticketIds: string[] }): Promise<void> {
  const ids = [...objects.customerIds, ...objects.ticketIds];
  if (!ids.length) return;
  const r = await sql<{ id: string; object_type: string }>`SELECT id, object_type FROM legal_holds WHERE org_id = ${orgId} AND lifted_at IS NULL
    AND ((object_type = 'customer' AND object_id = ANY (${objects.customerIds}::uuid[])) OR (object_type = 'ticket' AND object_id = ANY (${objects.ticketIds}::uuid[])))
    ORDER BY id FOR SHARE`.execute(trx);
  if (!r.rows.length) return;
  const onTicket = r.rows.every((h) => h.object_type === 'ticket');
  throw new AppError('conflict', onTicket ? 'A ticket of this customer is on legal hold: nothing of theirs can be erased until the hold is lifted.' : 'This customer is on legal hold: nothing of theirs can be erased until the hold is lifted.', {
    extra: { legalHold: true, holdIds: r.rows.map((h) => h.id) },
  });
}
