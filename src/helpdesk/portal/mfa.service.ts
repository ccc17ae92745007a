/**
 * Customer second factors in the portal (decision 0220): an authenticator app (TOTP) or passkeys, built
 * from the staff factor's pieces (totp.ts, @simplewebauthn/server) but kept in the customer's own tables.
 * The TOTP secret is encrypted under the customer's data key, so erasing the customer shreds it. A portal
 * session that proves a factor carries `mfa_at` (step-up); the organisation's requirement
 * (never / sensitive / always) is checked on the server for every guarded route (`requireCustomerSecondFactor`).
 * Adding a factor when one exists, and removing one, need a fresh step-up. An agent can remove a customer's
 * factors only with that customer's identity verification that succeeded (audited with its id).
 */
import { randomUUID } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransportFuture,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

/** Loaded on the first passkey ceremony, not at every start (decision 0233). */
const webauthn = () => import('@simplewebauthn/server');
import type { Executor } from '../../protection/crypto/keyring.js';
import { AppError } from '../../platform/errors.js';
import { matchTotpStep, newTotpSecret, totpUri } from '../../identity/auth/mfa/totp.js';
import { brandName } from '../branding/branding.service.js';
import { actingFromAgent, type AgentContext } from '../tickets/context.js';
import { loadTicketForAction } from '../tickets/tickets.service.js';
import { verificationPolicyOf } from '../verification/verification.service.js';
import type { PortalDeps } from './deps.js';
import type { CustomerFactor } from './mfa-schema.js';
import { customerActor, type PortalCustomer } from './sessions.js';
import { CUSTOMER_STEP_UP_MS, customerMfaPolicyOf, factorsOf, fresh, readCustomerMfaPolicy, type CustomerMfaPolicy } from './mfa-policy.js';
import './mfa-schema.js';

export { CUSTOMER_MFA_POLICIES, CUSTOMER_STEP_UP_MS, requireCustomerSecondFactor, type CustomerMfaPolicy, type GuardedAction } from './mfa-policy.js';

const CHALLENGE_TTL_MS = 5 * 60_000;
const ALGORITHMS = [-7, -257];
const secretContext = (customerId: string) => ({ table: 'customer_totp', column: 'secret_enc', rowId: customerId });
const customerKey = (customerId: string) => ({ type: 'customer' as const, id: customerId });

export interface RelyingParty {
  id: string;
  origin: string;
}

export function relyingPartyOf(publicUrl: string): RelyingParty {
  const u = new URL(publicUrl);
  return { id: u.hostname, origin: u.origin };
}

export async function setCustomerMfaPolicy(deps: Pick<PortalDeps, 'db' | 'audit'>, ctx: AgentContext, policy: CustomerMfaPolicy): Promise<{ policy: CustomerMfaPolicy }> {
  return deps.db.transaction().execute(async (trx) => {
    const org = await trx.selectFrom('organizations').where('id', '=', ctx.principal.orgId).select(['settings']).forUpdate().executeTakeFirstOrThrow();
    const before = customerMfaPolicyOf(org.settings);
    const settings = { ...(org.settings ?? {}), customerMfa: policy };
    await trx.updateTable('organizations').set({ settings: JSON.stringify(settings) }).where('id', '=', ctx.principal.orgId).execute();
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'policy.customer_mfa.change', result: 'success', details: { before, after: policy } });
    return { policy };
  });
}

/** Adding a factor: free for the first one (after the email code); with one already there, a fresh step-up. */
async function assertMayEnrol(trx: Executor, customer: PortalCustomer): Promise<void> {
  const f = await factorsOf(trx, customer.customerId);
  if ((f.totp || f.passkeys > 0) && !fresh(customer.mfaAt)) {
    throw new AppError('customer_mfa_required', 'Confirm it is you with a second factor you already have before adding another.', { extra: { enrolled: true, factors: { totp: f.totp, passkey: f.passkeys > 0 } } });
  }
}

async function markSession(trx: Executor, customer: PortalCustomer, method: CustomerFactor, at = new Date()): Promise<void> {
  await trx.updateTable('customer_sessions').set({ mfa_at: at, mfa_method: method }).where('id_hash', '=', customer.sessionHash).where('revoked_at', 'is', null).execute();
}

export interface CustomerMfaStatus {
  policy: CustomerMfaPolicy;
  totp: boolean;
  passkeys: Array<{ id: string; name: string; createdAt: string; lastUsedAt: string | null }>;
  verifiedAt: string | null;
  freshUntil: string | null;
}

export async function customerMfaStatus(deps: PortalDeps, customer: PortalCustomer): Promise<CustomerMfaStatus> {
  const policy = await readCustomerMfaPolicy(deps.db, customer.orgId);
  const f = await factorsOf(deps.db, customer.customerId);
  const keys = await deps.db.selectFrom('customer_webauthn_credentials').where('customer_id', '=', customer.customerId).where('org_id', '=', customer.orgId).select(['id', 'name', 'created_at', 'last_used_at']).orderBy('created_at').execute();
  const until = customer.mfaAt ? new Date(customer.mfaAt.getTime() + CUSTOMER_STEP_UP_MS) : null;
  return {
    policy,
    totp: f.totp,
    passkeys: keys.map((k) => ({ id: k.id, name: k.name, createdAt: new Date(k.created_at).toISOString(), lastUsedAt: k.last_used_at?.toISOString() ?? null })),
    verifiedAt: customer.mfaAt?.toISOString() ?? null,
    freshUntil: until && until.getTime() > Date.now() ? until.toISOString() : null,
  };
}

/* ---------- authenticator app ---------- */

export async function startCustomerTotp(deps: PortalDeps, customer: PortalCustomer): Promise<{ secret: string; uri: string }> {
  const secret = newTotpSecret();
  await deps.db.transaction().execute(async (trx) => {
    await assertMayEnrol(trx, customer);
    const existing = await trx.selectFrom('customer_totp').where('customer_id', '=', customer.customerId).select('confirmed_at').forUpdate().executeTakeFirst();
    if (existing?.confirmed_at) throw new AppError('conflict', 'An authenticator app is already set up; remove it before adding another.');
    const secretEnc = await deps.keyring.encrypt(customerKey(customer.customerId), secretContext(customer.customerId), secret, trx);
    await trx
      .insertInto('customer_totp')
      .values({ customer_id: customer.customerId, org_id: customer.orgId, secret_enc: secretEnc, confirmed_at: null, last_step: 0 })
      .onConflict((oc) => oc.column('customer_id').doUpdateSet({ secret_enc: secretEnc, confirmed_at: null, last_step: 0, created_at: new Date() }))
      .execute();
    await deps.audit.append(trx, { ...customerActor(customer), action: 'portal.mfa.enrol.start', subjectCustomerId: customer.customerId, result: 'success', details: { factor: 'totp' } });
  });
  const account = (await brandName(deps.db, customer.orgId)) + ' portal';
  return { secret, uri: totpUri({ secret, issuer: await brandName(deps.db, customer.orgId), account }) };
}

async function readTotp(trx: Executor, deps: PortalDeps, customerId: string, confirmed: boolean): Promise<{ secret: string; lastStep: number } | null> {
  let q = trx.selectFrom('customer_totp').where('customer_id', '=', customerId).select(['secret_enc', 'last_step']).forUpdate();
  q = confirmed ? q.where('confirmed_at', 'is not', null) : q.where('confirmed_at', 'is', null);
  const row = await q.executeTakeFirst();
  if (!row) return null;
  return { secret: await deps.keyring.decrypt(secretContext(customerId), row.secret_enc, trx), lastStep: Number(row.last_step) };
}

/** Audits a refusal in its own commit (the caller's transaction is about to roll back) and returns the error to throw. */
async function refused(deps: PortalDeps, customer: PortalCustomer, action: string, factor: string, reason: string, error: AppError): Promise<AppError> {
  await deps.audit.record({ ...customerActor(customer), action, subjectCustomerId: customer.customerId, result: 'failure', details: { factor, reason } });
  return error;
}

export async function confirmCustomerTotp(deps: PortalDeps, customer: PortalCustomer, code: string): Promise<{ ok: true }> {
  let failure: AppError | null = null;
  await deps.db.transaction().execute(async (trx) => {
    await assertMayEnrol(trx, customer);
    const pending = await readTotp(trx, deps, customer.customerId, false);
    if (!pending) throw new AppError('gone', 'Start setting up the authenticator app again.');
    const step = matchTotpStep({ secret: pending.secret, code, at: new Date() });
    if (step === null) {
      failure = new AppError('forbidden', 'That code is not correct; check the time on your device and try again.');
      return;
    }
    await trx.updateTable('customer_totp').set({ confirmed_at: new Date(), last_step: step }).where('customer_id', '=', customer.customerId).execute();
    await markSession(trx, customer, 'totp');
    await deps.audit.append(trx, { ...customerActor(customer), action: 'portal.mfa.enrol', subjectCustomerId: customer.customerId, result: 'success', details: { factor: 'totp' } });
  });
  if (failure) throw await refused(deps, customer, 'portal.mfa.enrol', 'totp', 'wrong_code', failure);
  return { ok: true };
}

/* ---------- passkeys ---------- */

async function storeChallenge(trx: Executor, customer: PortalCustomer, kind: 'webauthn-register' | 'webauthn-auth', challenge: string): Promise<string> {
  const id = randomUUID();
  await trx.deleteFrom('customer_mfa_challenges').where('customer_id', '=', customer.customerId).where('expires_at', '<', new Date()).execute();
  await trx.insertInto('customer_mfa_challenges').values({ id, customer_id: customer.customerId, session_hash: customer.sessionHash, kind, challenge, expires_at: new Date(Date.now() + CHALLENGE_TTL_MS), used_at: null }).execute();
  return id;
}

/** Marks the caller's own live challenge used (consume first, then check) and returns its value, or null. */
async function consumeChallenge(trx: Executor, customer: PortalCustomer, kind: 'webauthn-register' | 'webauthn-auth', challengeId: string): Promise<string | null> {
  const row = await trx
    .updateTable('customer_mfa_challenges')
    .set({ used_at: new Date() })
    .where('id', '=', challengeId)
    .where('customer_id', '=', customer.customerId)
    .where('session_hash', '=', customer.sessionHash)
    .where('kind', '=', kind)
    .where('used_at', 'is', null)
    .where('expires_at', '>', new Date())
    .returning('challenge')
    .executeTakeFirst();
  return row?.challenge ?? null;
}

const credentialsOf = (exec: Executor, customerId: string) => exec.selectFrom('customer_webauthn_credentials').where('customer_id', '=', customerId).select(['id', 'credential_id', 'public_key', 'counter', 'transports']).execute();
const userHandle = (customerId: string) => Buffer.from(customerId.replace(/-/g, ''), 'hex');

export async function startCustomerPasskey(deps: PortalDeps, rp: RelyingParty, customer: PortalCustomer): Promise<{ challengeId: string; options: PublicKeyCredentialCreationOptionsJSON }> {
  const brand = await brandName(deps.db, customer.orgId);
  return deps.db.transaction().execute(async (trx) => {
    await assertMayEnrol(trx, customer);
    const existing = await credentialsOf(trx, customer.customerId);
    const options = await (await webauthn()).generateRegistrationOptions({
      rpName: brand,
      rpID: rp.id,
      userName: `${brand} portal`,
      userDisplayName: `${brand} portal`,
      userID: userHandle(customer.customerId),
      attestationType: 'none',
      timeout: CHALLENGE_TTL_MS,
      excludeCredentials: existing.map((c) => ({ id: c.credential_id, transports: c.transports as AuthenticatorTransportFuture[] })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      supportedAlgorithmIDs: ALGORITHMS,
    });
    return { challengeId: await storeChallenge(trx, customer, 'webauthn-register', options.challenge), options };
  });
}

export async function finishCustomerPasskey(deps: PortalDeps, rp: RelyingParty, customer: PortalCustomer, input: { challengeId: string; response: RegistrationResponseJSON; name?: string | undefined }): Promise<{ id: string }> {
  let failure: [string, AppError] | null = null;
  const id = await deps.db.transaction().execute(async (trx) => {
    await assertMayEnrol(trx, customer);
    const expectedChallenge = await consumeChallenge(trx, customer, 'webauthn-register', input.challengeId);
    if (!expectedChallenge) throw new AppError('gone', 'This registration expired or was already used; start again.');
    let verification;
    try {
      verification = await (await webauthn()).verifyRegistrationResponse({ response: input.response, expectedChallenge, expectedOrigin: rp.origin, expectedRPID: rp.id, requireUserVerification: false, supportedAlgorithmIDs: ALGORITHMS });
    } catch {
      verification = null;
    }
    if (!verification?.verified) {
      failure = ['invalid_attestation', new AppError('forbidden', 'The passkey response could not be verified.')];
      return null;
    }
    const info = verification.registrationInfo;
    const newId = randomUUID();
    const inserted = await trx
      .insertInto('customer_webauthn_credentials')
      .values({ id: newId, org_id: customer.orgId, customer_id: customer.customerId, credential_id: info.credential.id, public_key: info.credential.publicKey, counter: info.credential.counter, transports: (input.response.response.transports ?? []).slice(0, 8), name: input.name?.trim() || 'Passkey' })
      .onConflict((oc) => oc.column('credential_id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) throw new AppError('conflict', 'This passkey is already registered.');
    await markSession(trx, customer, 'webauthn');
    await deps.audit.append(trx, { ...customerActor(customer), action: 'portal.mfa.enrol', object: { type: 'customer_passkey', id: newId }, subjectCustomerId: customer.customerId, result: 'success', details: { factor: 'webauthn' } });
    return newId;
  });
  if (failure) {
    const [reason, error] = failure as [string, AppError];
    throw await refused(deps, customer, 'portal.mfa.enrol', 'webauthn', reason, error);
  }
  return { id: id as string };
}

export async function startCustomerPasskeyCheck(deps: PortalDeps, rp: RelyingParty, customer: PortalCustomer): Promise<{ challengeId: string; options: PublicKeyCredentialRequestOptionsJSON }> {
  return deps.db.transaction().execute(async (trx) => {
    const creds = await credentialsOf(trx, customer.customerId);
    if (creds.length === 0) throw new AppError('bad_request', 'No passkey is registered for this account.');
    const options = await (await webauthn()).generateAuthenticationOptions({
      rpID: rp.id,
      allowCredentials: creds.map((c) => ({ id: c.credential_id, transports: c.transports as AuthenticatorTransportFuture[] })),
      userVerification: 'preferred',
      timeout: CHALLENGE_TTL_MS,
    });
    return { challengeId: await storeChallenge(trx, customer, 'webauthn-auth', options.challenge), options };
  });
}

export type CustomerProof = { factor: 'totp'; code: string } | { factor: 'webauthn'; challengeId: string; response: AuthenticationResponseJSON };

/**
 * Step-up: proves a factor on this portal session. A TOTP code must belong to a step after the last one
 * accepted (compare-and-swap: never twice, even by two requests at once); a passkey's challenge is this
 * session's, used once, and its counter only rises. Every outcome is audited.
 */
export async function verifyCustomerFactor(deps: PortalDeps, rp: RelyingParty, customer: PortalCustomer, proof: CustomerProof): Promise<{ verifiedAt: string; freshUntil: string }> {
  let failure: [string, AppError] | null = null;
  const fail = (reason: string, detail = 'The second factor could not be verified.') => {
    failure = [reason, new AppError('forbidden', detail)];
    return null;
  };
  const at = await deps.db.transaction().execute(async (trx) => {
    if (proof.factor === 'totp') {
      const stored = await readTotp(trx, deps, customer.customerId, true);
      if (!stored) throw new AppError('bad_request', 'No authenticator app is set up for this account.');
      const step = matchTotpStep({ secret: stored.secret, code: proof.code, at: new Date() });
      if (step === null) return fail('wrong_code', 'That code is not correct.');
      const swapped = await trx.updateTable('customer_totp').set({ last_step: step }).where('customer_id', '=', customer.customerId).where('last_step', '<', step).executeTakeFirst();
      if (Number(swapped.numUpdatedRows) !== 1) return fail('replayed', 'That code was already used; wait for the next one.');
    } else {
      const expectedChallenge = await consumeChallenge(trx, customer, 'webauthn-auth', proof.challengeId);
      if (!expectedChallenge) throw new AppError('gone', 'This request expired or was already used; start again.');
      const cred = await trx.selectFrom('customer_webauthn_credentials').where('customer_id', '=', customer.customerId).where('credential_id', '=', proof.response.id).select(['id', 'credential_id', 'public_key', 'counter', 'transports']).executeTakeFirst();
      if (!cred) return fail('unknown_credential');
      let verification;
      try {
        verification = await (await webauthn()).verifyAuthenticationResponse({
          response: proof.response,
          expectedChallenge,
          expectedOrigin: rp.origin,
          expectedRPID: rp.id,
          credential: { id: cred.credential_id, publicKey: new Uint8Array(cred.public_key), counter: Number(cred.counter), transports: cred.transports as AuthenticatorTransportFuture[] },
          requireUserVerification: false,
        });
      } catch {
        return fail('invalid_assertion');
      }
      if (!verification.verified) return fail('invalid_assertion');
      const next = verification.authenticationInfo.newCounter;
      const swapped = await trx.updateTable('customer_webauthn_credentials').set({ counter: next, last_used_at: new Date() }).where('id', '=', cred.id).where('counter', next === 0 ? '=' : '<', next).executeTakeFirst();
      if (Number(swapped.numUpdatedRows) !== 1) return fail('counter_regressed', 'This passkey may have been cloned; it was refused.');
    }
    const now = new Date();
    await markSession(trx, customer, proof.factor, now);
    await deps.audit.append(trx, { ...customerActor(customer), action: 'portal.mfa.verify', subjectCustomerId: customer.customerId, result: 'success', details: { factor: proof.factor } });
    return now;
  });
  if (failure || !at) {
    const [reason, error] = failure as unknown as [string, AppError];
    throw await refused(deps, customer, 'portal.mfa.verify', proof.factor, reason, error);
  }
  return { verifiedAt: at.toISOString(), freshUntil: new Date(at.getTime() + CUSTOMER_STEP_UP_MS).toISOString() };
}

/** Removing a factor needs the factor itself: a step-up on this session within the window. Another customer's factor is 404. */
export async function removeCustomerFactor(deps: PortalDeps, customer: PortalCustomer, input: { factor: 'totp' } | { factor: 'webauthn'; id: string }): Promise<{ ok: true }> {
  return deps.db.transaction().execute(async (trx) => {
    let removed: string | null;
    if (input.factor === 'totp') {
      const row = await trx.selectFrom('customer_totp').where('customer_id', '=', customer.customerId).where('org_id', '=', customer.orgId).select('customer_id').executeTakeFirst();
      if (!row) throw new AppError('not_found', 'No authenticator app is set up.');
      removed = null;
    } else {
      const row = await trx.selectFrom('customer_webauthn_credentials').where('id', '=', input.id).where('customer_id', '=', customer.customerId).where('org_id', '=', customer.orgId).select('id').executeTakeFirst();
      if (!row) throw new AppError('not_found', 'No such passkey.');
      removed = row.id;
    }
    if (!fresh(customer.mfaAt)) {
      const f = await factorsOf(trx, customer.customerId);
      throw new AppError('customer_mfa_required', 'Confirm it is you with your second factor before removing one.', { extra: { enrolled: true, factors: { totp: f.totp, passkey: f.passkeys > 0 } } });
    }
    if (input.factor === 'totp') await trx.deleteFrom('customer_totp').where('customer_id', '=', customer.customerId).execute();
    else await trx.deleteFrom('customer_webauthn_credentials').where('id', '=', removed as string).where('customer_id', '=', customer.customerId).execute();
    await deps.audit.append(trx, { ...customerActor(customer), action: 'portal.mfa.remove', ...(removed ? { object: { type: 'customer_passkey', id: removed } } : {}), subjectCustomerId: customer.customerId, result: 'success', details: { factor: input.factor } });
    return { ok: true as const };
  });
}

/**
 * Recovery by an agent: only with an identity verification of this customer that succeeded within the
 * organisation's verification window, on a ticket the agent may write. Removes every factor and the step-up of
 * the customer's sessions; audited with the verification's id. Another organisation's customer is 404.
 */
export async function resetCustomerFactors(deps: Pick<PortalDeps, 'db' | 'audit'>, ctx: AgentContext, input: { customerId: string; verificationId: string; now?: Date }): Promise<{ removed: { totp: boolean; passkeys: number } }> {
  const orgId = ctx.principal.orgId;
  const now = input.now ?? new Date();
  // A refusal is audited after the transaction (on PGlite a second connection would wait for this one).
  const outcome = await deps.db.transaction().execute(async (trx) => {
    const customer = await trx.selectFrom('customers').where('id', '=', input.customerId).where('org_id', '=', orgId).select('id').executeTakeFirst();
    if (!customer) throw new AppError('not_found', 'No such customer.');
    const v = await trx.selectFrom('customer_verifications').where('id', '=', input.verificationId).where('org_id', '=', orgId).where('customer_id', '=', input.customerId).select(['id', 'ticket_id', 'status', 'decided_at']).executeTakeFirst();
    const org = await trx.selectFrom('organizations').where('id', '=', orgId).select('settings').executeTakeFirst();
    const windowMs = verificationPolicyOf(org?.settings).validMinutes * 60_000;
    if (!v) return { denied: 'no_verification' } as const;
    if (v.status !== 'verified' || !v.decided_at) return { denied: 'not_verified' } as const;
    if (now.getTime() - new Date(v.decided_at).getTime() > windowMs) return { denied: 'verification_expired' } as const;
    await loadTicketForAction(trx, ctx, v.ticket_id, 'tickets.write');
    const totp = await trx.deleteFrom('customer_totp').where('customer_id', '=', input.customerId).executeTakeFirst();
    const keys = await trx.deleteFrom('customer_webauthn_credentials').where('customer_id', '=', input.customerId).executeTakeFirst();
    await trx.updateTable('customer_sessions').set({ mfa_at: null, mfa_method: null }).where('customer_id', '=', input.customerId).execute();
    const removed = { totp: Number(totp.numDeletedRows) > 0, passkeys: Number(keys.numDeletedRows) };
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'customer.mfa.reset', object: { type: 'customer', id: input.customerId }, subjectCustomerId: input.customerId, result: 'success', details: { verificationId: v.id, ticketId: v.ticket_id, ...removed } });
    return { removed };
  });
  if ('denied' in outcome) {
    await deps.audit.record({ ...actingFromAgent(ctx), action: 'customer.mfa.reset', object: { type: 'customer', id: input.customerId }, subjectCustomerId: input.customerId, result: 'denied', details: { reason: outcome.denied, verificationId: input.verificationId } });
    throw new AppError('forbidden', 'Verify the customer’s identity first: a verification of this customer that succeeded recently is needed.', { extra: { verificationRequired: true } });
  }
  return outcome;
}
