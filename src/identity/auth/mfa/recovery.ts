/**
 * Recovery codes: ten, shown once, stored as hashes, each usable once
 * (compare-and-swap on used_at), all replaced on regeneration.
 */
import type { Executor } from '../../../protection/crypto/keyring.js';
import { AppError } from '../../../platform/errors.js';
import { requireFreshFactor } from '../access.js';
import { hashRecoveryCode, newRecoveryCodes, normalizeRecoveryCode } from './codes.js';
import { auditEvent, lockUser, loadFactors, primaryFactorCount, settle, type Caller, type Check, type MfaDeps } from './context.js';

/** Replaces every recovery code of the user with ten new ones; returns them (shown once). */
export async function issueRecoveryCodes(trx: Executor, userId: string): Promise<string[]> {
  const codes = newRecoveryCodes();
  await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  await trx.insertInto('recovery_codes').values(codes.map((c) => ({ user_id: userId, code_hash: hashRecoveryCode(normalizeRecoveryCode(c) as string) }))).execute();
  return codes;
}

/** Consumes the code if it is one of the user's unused codes. */
export async function checkRecoveryCode(trx: Executor, caller: Caller, code: string): Promise<Check> {
  const normalized = normalizeRecoveryCode(code);
  const used = normalized
    ? await trx
        .updateTable('recovery_codes')
        .set({ used_at: new Date() })
        .where('user_id', '=', caller.principal.userId)
        .where('code_hash', '=', hashRecoveryCode(normalized))
        .where('used_at', 'is', null)
        .returning('user_id')
        .executeTakeFirst()
    : undefined;
  if (!used) return { ok: false, reason: 'wrong_code', error: new AppError('forbidden', 'That recovery code is not valid or was already used.'), countFailure: true };
  return { ok: true };
}

/** New codes for a user who has a factor, with a fresh second factor (step-up). */
export async function regenerateRecoveryCodes(deps: MfaDeps, caller: Caller): Promise<string[]> {
  requireFreshFactor(caller.principal, deps.stepUpWindowMs);
  return settle(deps, async (trx) => {
    await lockUser(trx, caller.principal.userId);
    if (primaryFactorCount(await loadFactors(trx, caller.principal.userId)) === 0) {
      throw new AppError('conflict', 'Add a second factor before creating recovery codes.');
    }
    const codes = await issueRecoveryCodes(trx, caller.principal.userId);
    await deps.audit.append(trx, auditEvent(caller, { action: 'mfa.recovery_codes.regenerate', result: 'success', details: { factor: 'recovery', count: codes.length } }));
    return codes;
  });
}
