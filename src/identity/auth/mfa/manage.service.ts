/**
 * Looking after factors once they exist: what the user has, renaming and
 * removing them (with a fresh factor, and never the last one that satisfies
 * the user's policy), and an administrator's reset of someone else's factors.
 */
import type { Kysely } from 'kysely';
import type { Executor } from '../../../protection/crypto/keyring.js';
import type { Database } from '../../../platform/db/schema.js';
import { AppError } from '../../../platform/errors.js';
import { requireFreshFactor, type Principal } from '../access.js';
import type { ClientInfo } from '../auth.service.js';
import { loadUserAccess } from '../principals.js';
import { revokeUserSessions } from '../sessions.js';
import { maskPhone } from './codes.js';
import { auditEvent, loadFactors, lockUser, notifyOwner, primaryFactorCount, settle, type Caller, type FactorInventory, type MfaDeps } from './context.js';

export interface CredentialView {
  id: string;
  name: string;
  deviceType: string | null;
  backedUp: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface FactorOverview {
  totp: boolean;
  webauthn: CredentialView[];
  email: boolean;
  sms: { enrolled: boolean; phone: string | null };
  recoveryCodesLeft: number;
}

export async function listCredentials(db: Kysely<Database> | Executor, userId: string): Promise<CredentialView[]> {
  const rows = await db.selectFrom('webauthn_credentials').where('user_id', '=', userId).orderBy('created_at').select(['id', 'name', 'device_type', 'backed_up', 'created_at', 'last_used_at']).execute();
  return rows.map((r) => ({ id: r.id, name: r.name, deviceType: r.device_type, backedUp: r.backed_up, createdAt: r.created_at, lastUsedAt: r.last_used_at }));
}

export async function describeFactors(deps: MfaDeps, userId: string): Promise<FactorOverview> {
  const f = await loadFactors(deps.db, userId);
  let phone: string | null = null;
  if (f.sms) {
    const row = await deps.db.selectFrom('user_phones').where('user_id', '=', userId).select('phone_enc').executeTakeFirst();
    if (row) phone = maskPhone(await deps.keyring.decrypt({ table: 'user_phones', column: 'phone_enc', rowId: userId }, row.phone_enc));
  }
  return { totp: f.totp, webauthn: await listCredentials(deps.db, userId), email: f.email, sms: { enrolled: f.sms, phone }, recoveryCodesLeft: f.recoveryCodes };
}

export async function renameCredential(deps: MfaDeps, caller: Caller, input: { credentialId: string; name: string }): Promise<void> {
  await settle(deps, async (trx) => {
    const r = await trx.updateTable('webauthn_credentials').set({ name: input.name.trim() }).where('id', '=', input.credentialId).where('user_id', '=', caller.principal.userId).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new AppError('not_found', 'No such passkey.');
    await deps.audit.append(trx, auditEvent(caller, { action: 'mfa.rename', result: 'success', details: { factor: 'webauthn', credential: input.credentialId } }));
  });
}

export type RemovableFactor = { factor: 'totp' } | { factor: 'webauthn'; credentialId: string } | { factor: 'email' } | { factor: 'sms' };

/** What would remain after removing `target`, counted the way the user's policy counts. */
function remainingUsable(f: FactorInventory, target: RemovableFactor, phishingResistant: boolean): number {
  const after: FactorInventory = {
    ...f,
    totp: target.factor === 'totp' ? false : f.totp,
    webauthn: target.factor === 'webauthn' ? f.webauthn - 1 : f.webauthn,
    email: target.factor === 'email' ? false : f.email,
    sms: target.factor === 'sms' ? false : f.sms,
  };
  return phishingResistant ? after.webauthn : primaryFactorCount(after);
}

/** Removes one of my factors: needs a fresh factor, and never leaves me without one my policy accepts. */
export async function removeFactor(deps: MfaDeps, caller: Caller, target: RemovableFactor): Promise<void> {
  const p = caller.principal;
  requireFreshFactor(p, deps.stepUpWindowMs);
  await settle(deps, async (trx) => {
    await lockUser(trx, p.userId);
    const f = await loadFactors(trx, p.userId);
    const present =
      target.factor === 'webauthn'
        ? Boolean(await trx.selectFrom('webauthn_credentials').where('id', '=', target.credentialId).where('user_id', '=', p.userId).select('id').executeTakeFirst())
        : f[target.factor];
    if (!present) throw new AppError('not_found', 'That factor is not set up.');
    if (remainingUsable(f, target, p.requirePhishingResistant) < 1) {
      throw new AppError('conflict', p.requirePhishingResistant ? 'Register another passkey or security key before removing this one; your role requires one.' : 'Add another second factor before removing your last one.');
    }
    let removed = 0;
    if (target.factor === 'totp') removed = Number((await trx.deleteFrom('mfa_totp').where('user_id', '=', p.userId).executeTakeFirst()).numDeletedRows);
    if (target.factor === 'email') removed = Number((await trx.deleteFrom('mfa_email').where('user_id', '=', p.userId).executeTakeFirst()).numDeletedRows);
    if (target.factor === 'sms') removed = Number((await trx.deleteFrom('user_phones').where('user_id', '=', p.userId).executeTakeFirst()).numDeletedRows);
    if (target.factor === 'webauthn') {
      removed = Number((await trx.deleteFrom('webauthn_credentials').where('id', '=', target.credentialId).where('user_id', '=', p.userId).executeTakeFirst()).numDeletedRows);
    }
    if (removed === 0) throw new AppError('not_found', 'That factor is not set up.');
    await deps.audit.append(trx, auditEvent(caller, { action: 'mfa.remove', result: 'success', details: { factor: target.factor, ...(target.factor === 'webauthn' ? { credential: target.credentialId } : {}) } }));
  });
  await notifyOwner(deps, caller, 'second factor removed', `A second factor (${target.factor}) was removed from your account.`);
}

/**
 * An administrator clears every factor of another person in the same
 * organisation (a lost phone or key) and ends their sessions; at their next
 * sign-in they enrol again. Needs 'users.manage' and a fresh factor.
 */
export async function resetUserFactors(deps: MfaDeps, admin: Principal, client: ClientInfo, targetUserId: string): Promise<{ removed: Record<string, number>; sessionsEnded: number }> {
  requireFreshFactor(admin, deps.stepUpWindowMs);
  if (targetUserId === admin.userId) throw new AppError('forbidden', 'You cannot reset your own factors; ask another administrator.');
  const target = await loadUserAccess(deps.db, targetUserId);
  // Not found and not yours look the same.
  if (!target || target.orgId !== admin.orgId) throw new AppError('not_found', 'No such user.');
  const result = await deps.db.transaction().execute(async (trx) => {
    await trx.selectFrom('users').where('id', '=', targetUserId).select('id').forUpdate().executeTakeFirstOrThrow();
    const count = async (q: Promise<{ numDeletedRows: bigint }>) => Number((await q).numDeletedRows);
    const removed = {
      totp: await count(trx.deleteFrom('mfa_totp').where('user_id', '=', targetUserId).executeTakeFirst()),
      webauthn: await count(trx.deleteFrom('webauthn_credentials').where('user_id', '=', targetUserId).executeTakeFirst()),
      email: await count(trx.deleteFrom('mfa_email').where('user_id', '=', targetUserId).executeTakeFirst()),
      sms: await count(trx.deleteFrom('user_phones').where('user_id', '=', targetUserId).executeTakeFirst()),
      recoveryCodes: await count(trx.deleteFrom('recovery_codes').where('user_id', '=', targetUserId).executeTakeFirst()),
    };
    await trx.deleteFrom('mfa_challenges').where('user_id', '=', targetUserId).execute();
    await trx.deleteFrom('signin_throttle').where('key', '=', `mfa:${targetUserId}`).execute();
    const sessionsEnded = await revokeUserSessions(trx, targetUserId, 'second factors reset by an administrator');
    await deps.audit.append(trx, {
      orgId: admin.orgId,
      actor: { type: 'user', id: admin.userId },
      action: 'mfa.reset',
      object: { type: 'user', id: targetUserId },
      result: 'success',
      details: { removed, sessionsEnded },
      requestId: client.requestId,
      sourceIp: client.ip,
    });
    return { removed, sessionsEnded };
  });
  await notifyOwner(deps, { principal: target }, 'second factors reset', 'An administrator removed every second factor from your account. You will set one up again at your next sign-in.');
  return result;
}
