/**
 * TOTP as a factor: enrol (the secret, encrypted under the organisation's
 * key, and its URI, shown once), confirm with a first code, and check a code
 * at sign-in. The last accepted step only moves forward (compare-and-swap),
 * so a code is never accepted twice, even by two requests at once.
 */
import type { Executor } from '../../../protection/crypto/keyring.js';
import { AppError } from '../../../platform/errors.js';
import { assertMayEnrol, auditEvent, completeIfUnverified, lockUser, notifyOwner, refuse, settle, type Caller, type Check, type Completion, type Enrolled, type MfaDeps } from './context.js';
import { issueRecoveryCodes } from './recovery.js';
import { matchTotpStep, newTotpSecret, totpUri } from './totp.js';

const secretContext = (userId: string) => ({ table: 'mfa_totp', column: 'secret_enc', rowId: userId });

export type { Enrolled };

export async function startTotpEnrolment(deps: MfaDeps, caller: Caller): Promise<{ secret: string; uri: string }> {
  const { userId, orgId, email } = caller.principal;
  const secret = newTotpSecret();
  await settle(deps, async (trx) => {
    await lockUser(trx, userId);
    const factors = await assertMayEnrol(trx, caller);
    if (factors.totp) throw new AppError('conflict', 'An authenticator app is already set up; remove it before adding another.');
    const secretEnc = await deps.keyring.encrypt({ type: 'organization', id: orgId }, secretContext(userId), secret, trx);
    await trx
      .insertInto('mfa_totp')
      .values({ user_id: userId, secret_enc: secretEnc, confirmed_at: null, last_step: 0 })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ secret_enc: secretEnc, confirmed_at: null, last_step: 0, created_at: new Date() }))
      .execute();
    await deps.audit.append(trx, auditEvent(caller, { action: 'mfa.enrol.start', result: 'success', details: { factor: 'totp' } }));
  });
  return { secret, uri: totpUri({ secret, issuer: deps.rp.name, account: email }) };
}

async function readSecret(trx: Executor, deps: MfaDeps, userId: string, confirmed: boolean): Promise<{ secret: string; lastStep: number } | null> {
  let q = trx.selectFrom('mfa_totp').where('user_id', '=', userId).select(['secret_enc', 'last_step']);
  q = confirmed ? q.where('confirmed_at', 'is not', null) : q.where('confirmed_at', 'is', null);
  const row = await q.executeTakeFirst();
  if (!row) return null;
  return { secret: await deps.keyring.decrypt(secretContext(userId), row.secret_enc, trx), lastStep: Number(row.last_step) };
}

export async function confirmTotpEnrolment(deps: MfaDeps, caller: Caller, code: string): Promise<Enrolled> {
  const userId = caller.principal.userId;
  const result = await settle(deps, async (trx) => {
    await lockUser(trx, userId);
    const factors = await assertMayEnrol(trx, caller);
    const pending = await readSecret(trx, deps, userId, false);
    if (!pending) throw new AppError('gone', 'Start setting up the authenticator app again.');
    const step = matchTotpStep({ secret: pending.secret, code, at: new Date() });
    if (step === null) {
      return refuse(trx, deps, caller, { action: 'mfa.enrol', factor: 'totp', reason: 'wrong_code', error: new AppError('forbidden', 'That code is not correct; check the time on your device and try again.'), countFailure: true });
    }
    const r = await trx.updateTable('mfa_totp').set({ confirmed_at: new Date(), last_step: step }).where('user_id', '=', userId).where('confirmed_at', 'is', null).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new AppError('conflict', 'The authenticator app was set up by another request.');
    const recoveryCodes = factors.recoveryCodes === 0 ? await issueRecoveryCodes(trx, userId) : null;
    await deps.audit.append(trx, auditEvent(caller, { action: 'mfa.enrol', result: 'success', details: { factor: 'totp' } }));
    const completion = await completeIfUnverified(trx, deps, caller, 'totp');
    return { completion, recoveryCodes };
  });
  await notifyOwner(deps, caller, 'authenticator app added', 'An authenticator app was added as a second factor to your account.');
  return result;
}

/** A sign-in or step-up code: matches a step after the last accepted one, which it then becomes. */
export async function checkTotp(trx: Executor, deps: MfaDeps, caller: Caller, code: string): Promise<Check> {
  const userId = caller.principal.userId;
  const stored = await readSecret(trx, deps, userId, true);
  if (!stored) return { ok: false, reason: 'not_enrolled', error: new AppError('bad_request', 'No authenticator app is set up for this account.'), countFailure: false };
  const step = matchTotpStep({ secret: stored.secret, code, at: new Date() });
  if (step === null) return { ok: false, reason: 'wrong_code', error: new AppError('forbidden', 'That code is not correct.'), countFailure: true };
  const swapped = await trx.updateTable('mfa_totp').set({ last_step: step }).where('user_id', '=', userId).where('last_step', '<', step).executeTakeFirst();
  if (Number(swapped.numUpdatedRows) !== 1) {
    return { ok: false, reason: 'replayed', error: new AppError('forbidden', 'That code was already used; wait for the next one.'), countFailure: true };
  }
  return { ok: true };
}
