/**
 * The organisation's customer second-factor requirement (decision 0220) and the server's gate for it,
 * apart from the factor services so the portal's session hook can use it without import cycles.
 */
import type { Executor } from '../../protection/crypto/keyring.js';
import { AppError } from '../../platform/errors.js';
import './mfa-schema.js';

export type CustomerMfaPolicy = 'never' | 'sensitive' | 'always';
export const CUSTOMER_MFA_POLICIES: readonly CustomerMfaPolicy[] = ['never', 'sensitive', 'always'];
/** What a guarded route protects: the session itself (only under `always`) or a sensitive action. */
export type GuardedAction = 'session' | 'sensitive';

/** A step-up counts this long for sensitive actions (reading secure messages, downloads, contact details). */
export const CUSTOMER_STEP_UP_MS = 15 * 60_000;
export function customerMfaPolicyOf(settings: Record<string, unknown> | null | undefined): CustomerMfaPolicy {
  const v = settings?.customerMfa;
  return v === 'sensitive' || v === 'always' ? v : 'never';
}

export async function readCustomerMfaPolicy(db: Executor, orgId: string): Promise<CustomerMfaPolicy> {
  const org = await db.selectFrom('organizations').where('id', '=', orgId).select('settings').executeTakeFirst();
  return customerMfaPolicyOf(org?.settings);
}

export async function factorsOf(exec: Executor, customerId: string): Promise<{ totp: boolean; passkeys: number }> {
  const totp = await exec.selectFrom('customer_totp').where('customer_id', '=', customerId).where('confirmed_at', 'is not', null).select('customer_id').executeTakeFirst();
  const keys = await exec.selectFrom('customer_webauthn_credentials').where('customer_id', '=', customerId).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return { totp: Boolean(totp), passkeys: Number(keys.n) };
}

export function fresh(mfaAt: Date | null, now = Date.now()): boolean {
  return mfaAt !== null && now - mfaAt.getTime() <= CUSTOMER_STEP_UP_MS;
}

/**
 * The server's gate. `session`: under `always`, the portal session must have proved a factor at some point;
 * `sensitive`: under `sensitive` or `always`, within the step-up window. Refuses with `customer_mfa_required`
 * (saying whether the customer has a factor to use, or must add one first).
 */
export async function requireCustomerSecondFactor(db: Executor, customer: { orgId: string; customerId: string; mfaAt: Date | null }, action: GuardedAction): Promise<void> {
  const policy = await readCustomerMfaPolicy(db, customer.orgId);
  if (policy === 'never') return;
  if (action === 'session' && policy !== 'always') return;
  const ok = action === 'session' ? customer.mfaAt !== null : fresh(customer.mfaAt);
  if (ok) return;
  const factors = await factorsOf(db, customer.customerId);
  const enrolled = factors.totp || factors.passkeys > 0;
  throw new AppError('customer_mfa_required', enrolled ? 'Confirm it is you with your passkey or authenticator app to continue.' : 'Add a passkey or an authenticator app to your account to continue.', {
    extra: { enrolled, policy, factors: { totp: factors.totp, passkey: factors.passkeys > 0 } },
  });
}

