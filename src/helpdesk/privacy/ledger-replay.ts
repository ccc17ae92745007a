/**
 * Replaying the erasure ledger after a restore (decision 0219): every ledgered customer whose destroyed keys are
 * live again in the restored database is erased again, by the operator's erasure (a request of its own, a
 * certificate, the audit trail), so a backup taken before an erasure never brings the customer back.
 */
import { isAppError } from '../../platform/errors.js';
import type { HelpdeskDeps } from '../tickets/context.js';
import type { ErasureOptions } from './erasure.js';
import { readLedger } from './ledger.js';
import { eraseByOperator } from './requests.service.js';

export interface ReplayOutcome {
  /** Customers erased again. */
  erased: string[];
  /** Ledgered erasures the restored database already reflects (or customers it never had). */
  alreadyGone: number;
  /** Customers that could not be erased again, with the reason (a legal hold in the restored data). */
  refused: Array<{ customerId: string; reason: string }>;
}

export async function replayLedger(deps: HelpdeskDeps, file: string, options: ErasureOptions = {}): Promise<ReplayOutcome> {
  const out: ReplayOutcome = { erased: [], alreadyGone: 0, refused: [] };
  for (const e of readLedger(file)) {
    const live = e.keyIds.length ? await deps.db.selectFrom('data_keys').where('id', 'in', e.keyIds).where('destroyed_at', 'is', null).select('id').executeTakeFirst() : undefined;
    const customer = await deps.db.selectFrom('customers').where('id', '=', e.customerId).where('org_id', '=', e.orgId).select('id').executeTakeFirst();
    if (!live || !customer) {
      out.alreadyGone++;
      continue;
    }
    try {
      await eraseByOperator(deps, { orgId: e.orgId, customerId: e.customerId }, options);
      out.erased.push(e.customerId);
    } catch (err) {
      if (!isAppError(err)) throw err;
      if (/already (been )?erased/.test(err.message)) out.alreadyGone++;
      else out.refused.push({ customerId: e.customerId, reason: err.message });
    }
  }
  return out;
}
