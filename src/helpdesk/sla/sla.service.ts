/**
 * SLA policies per organisation (one active at a time) and the breach times
 * they put on tickets: first-response and resolution due times, computed in
 * business time when a ticket is created or its priority changes, stored on
 * the ticket so the "breaching" view is a plain indexed SQL condition.
 */
import { randomUUID } from 'node:crypto';
import type { CustomerDeps } from '../customers/customers.service.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { AppError } from '../../platform/errors.js';
import { actingFromAgent, type AgentContext } from '../tickets/context.js';
import { TICKET_PRIORITIES, type TicketPriority } from '../tickets/schema.js';
import { addBusinessMinutes, assertTimeZone, validateBusinessHours } from './business-time.js';
import type { BusinessHours, SlaTarget } from './schema.js';

export interface SlaPolicyInput {
  name: string;
  timeZone: string;
  businessHours: BusinessHours;
  holidays?: string[];
  targets: Partial<Record<TicketPriority, SlaTarget>>;
  active?: boolean;
}

export interface SlaPolicyView extends Required<Omit<SlaPolicyInput, 'active'>> {
  id: string;
  active: boolean;
  updatedAt: string;
}

function validatePolicy(input: SlaPolicyInput): void {
  try {
    assertTimeZone(input.timeZone);
  } catch {
    throw new AppError('validation_failed', 'Unknown time zone.', { extra: { field: 'timeZone' } });
  }
  try {
    validateBusinessHours(input.businessHours);
  } catch (err) {
    throw new AppError('validation_failed', (err as Error).message, { extra: { field: 'businessHours' } });
  }
  for (const h of input.holidays ?? []) if (!/^\d{4}-\d{2}-\d{2}$/.test(h)) throw new AppError('validation_failed', 'Holidays are dates written YYYY-MM-DD.', { extra: { field: 'holidays' } });
  for (const [k, t] of Object.entries(input.targets)) {
    if (!TICKET_PRIORITIES.includes(k as TicketPriority) || !t) throw new AppError('validation_failed', 'Targets are given per priority.', { extra: { field: 'targets' } });
    for (const v of [t.firstResponseMinutes, t.resolutionMinutes]) {
      if (!Number.isInteger(v) || v < 1 || v > 525_600) throw new AppError('validation_failed', 'Targets are whole minutes from 1 to 525600.', { extra: { field: 'targets' } });
    }
  }
}

type PolicyRow = { id: string; name: string; active: boolean; time_zone: string; business_hours: BusinessHours; holidays: string[]; targets: Partial<Record<string, SlaTarget>>; updated_at: Date };

function present(r: PolicyRow): SlaPolicyView {
  return { id: r.id, name: r.name, active: r.active, timeZone: r.time_zone, businessHours: r.business_hours, holidays: r.holidays, targets: r.targets, updatedAt: new Date(r.updated_at).toISOString() };
}

const COLUMNS = ['id', 'name', 'active', 'time_zone', 'business_hours', 'holidays', 'targets', 'updated_at'] as const;

export async function listSlaPolicies(deps: CustomerDeps, ctx: AgentContext): Promise<SlaPolicyView[]> {
  const rows = await deps.db.selectFrom('sla_policies').where('org_id', '=', ctx.principal.orgId).select(COLUMNS).orderBy('created_at').execute();
  return rows.map((r) => present(r as PolicyRow));
}

/** Saves a policy (new when `policyId` is absent). Activating one deactivates the organisation's other policies. */
export async function saveSlaPolicy(deps: CustomerDeps, ctx: AgentContext, input: SlaPolicyInput & { policyId?: string }): Promise<SlaPolicyView> {
  validatePolicy(input);
  const orgId = ctx.principal.orgId;
  const active = input.active ?? true;
  return deps.db.transaction().execute(async (trx) => {
    if (active) await trx.updateTable('sla_policies').set({ active: false }).where('org_id', '=', orgId).where('active', '=', true).$if(Boolean(input.policyId), (q) => q.where('id', '<>', input.policyId as string)).execute();
    const values = {
      name: input.name,
      active,
      time_zone: input.timeZone,
      business_hours: JSON.stringify(input.businessHours),
      holidays: JSON.stringify(input.holidays ?? []),
      targets: JSON.stringify(input.targets),
      updated_at: new Date(),
    };
    let row: PolicyRow | undefined;
    if (input.policyId) {
      row = (await trx.updateTable('sla_policies').set(values).where('id', '=', input.policyId).where('org_id', '=', orgId).returning(COLUMNS).executeTakeFirst()) as PolicyRow | undefined;
      if (!row) throw new AppError('not_found', 'No such SLA policy.');
    } else {
      row = (await trx.insertInto('sla_policies').values({ id: randomUUID(), org_id: orgId, ...values }).returning(COLUMNS).executeTakeFirstOrThrow()) as PolicyRow;
    }
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: input.policyId ? 'sla.policy.update' : 'sla.policy.create', object: { type: 'sla_policy', id: row.id }, result: 'success', details: { active } });
    return present(row);
  });
}

/**
 * Computes and stores a ticket's due times from its organisation's active
 * policy (clears them when there is none or the priority has no target).
 * Called when a ticket is created and when its priority changes.
 */
export async function applySlaToTicket(trx: Executor, input: { orgId: string; ticketId: string; priority: TicketPriority; openedAt: Date }): Promise<{ firstResponseDueAt: Date | null; resolutionDueAt: Date | null }> {
  const policy = (await trx.selectFrom('sla_policies').where('org_id', '=', input.orgId).where('active', '=', true).select(COLUMNS).executeTakeFirst()) as PolicyRow | undefined;
  const target = policy?.targets[input.priority];
  let due = { firstResponseDueAt: null as Date | null, resolutionDueAt: null as Date | null };
  if (policy && target) {
    const cal = { timeZone: policy.time_zone, hours: policy.business_hours, holidays: policy.holidays };
    due = { firstResponseDueAt: addBusinessMinutes(input.openedAt, target.firstResponseMinutes, cal), resolutionDueAt: addBusinessMinutes(input.openedAt, target.resolutionMinutes, cal) };
  }
  await trx
    .updateTable('tickets')
    .set({ sla_policy_id: policy && target ? policy.id : null, first_response_due_at: due.firstResponseDueAt, resolution_due_at: due.resolutionDueAt })
    .where('id', '=', input.ticketId)
    .execute();
  return due;
}

/**
 * Deletes a policy. Tickets it timed keep their due times (a promise made to a
 * customer does not vanish with the policy); they just no longer point at it.
 */
export async function deleteSlaPolicy(deps: CustomerDeps, ctx: AgentContext, input: { policyId: string }): Promise<void> {
  const orgId = ctx.principal.orgId;
  await deps.db.transaction().execute(async (trx) => {
    const policy = await trx.selectFrom('sla_policies').where('id', '=', input.policyId).where('org_id', '=', orgId).select(['id', 'active']).executeTakeFirst();
    if (!policy) throw new AppError('not_found', 'No such SLA policy.');
    const detached = await trx.updateTable('tickets').set({ sla_policy_id: null }).where('org_id', '=', orgId).where('sla_policy_id', '=', policy.id).executeTakeFirst();
    await trx.deleteFrom('sla_policies').where('id', '=', policy.id).execute();
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'sla.policy.delete', object: { type: 'sla_policy', id: policy.id }, result: 'success', details: { wasActive: policy.active, ticketsDetached: Number(detached.numUpdatedRows) } });
  });
}
