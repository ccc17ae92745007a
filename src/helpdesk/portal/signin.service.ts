/**
 * Customer sign-in to the portal by an emailed one-time code or the magic link
 * in the same email. Starting a sign-in answers the same way whether or not
 * the address belongs to a customer (no enumeration); the per-address cap is
 * silent for the same reason, and per-source limits sit on the route.
 */
import { brandName } from '../branding/branding.service.js';
import { randomUUID } from 'node:crypto';
import { hashSecret } from '../../identity/auth/secrets.js';
import { findCustomerIdsByEmail } from '../customers/customers.service.js';
import { findCustomerIdsByContactEmail } from '../customers/customer-fields.js';
import { AppError } from '../../platform/errors.js';
import { checkChallengeCode, consumeChallenge, createChallenge, recentChallengeCount } from './challenges.js';
import type { ClientInfo, PortalDeps } from './deps.js';
import { looksLikePortalToken } from './keys.js';
import { createPortalSession, type NewPortalSession } from './sessions.js';
import { withSecureWayFooter } from '../../identity/policies/public.service.js';
import { customerBaseUrl } from '../../identity/organizations/hosts.js';

const anon = (orgId: string | null, client: ClientInfo) => ({ orgId, actor: { type: 'anonymous' as const }, requestId: client.requestId, sourceIp: client.ip });

/**
 * Both paths do the same work before answering (the organisation, both blind-index
 * lookups) and answer with a fresh challenge id; the cap check, the challenge, its
 * audit event and the mail come after the answer (`deps.deferred`), so neither the
 * writes nor the relay's speed show whether the address is a customer's. For an
 * unknown address (or one over its cap) no challenge is made under that id, so a
 * code sent for it is refused like any wrong code.
 */
export async function startPortalSignIn(deps: PortalDeps, client: ClientInfo, input: { orgId: string; email: string }): Promise<{ challengeId: string }> {
  const challengeId = randomUUID();
  // Which organisations exist is no secret (their ids are in portal links); which addresses are customers' is.
  const org = await deps.db.selectFrom('organizations').where('id', '=', input.orgId).select('id').executeTakeFirst();
  if (!org) return { challengeId };
  const ctx = { orgId: input.orgId, actor: { type: 'system' as const, id: 'portal' } };
  const ids = [...(await findCustomerIdsByEmail(deps, ctx, input.email)), ...(await findCustomerIdsByContactEmail(deps, ctx, input.email))];
  const customerId = ids[0];
  deps.deferred.run('portal sign-in code', () => sendPortalSignInCode(deps, client, { orgId: input.orgId, email: input.email, customerId, challengeId }));
  return { challengeId };
}

async function sendPortalSignInCode(deps: PortalDeps, client: ClientInfo, input: { orgId: string; email: string; customerId: string | undefined; challengeId: string }): Promise<void> {
  const { customerId } = input;
  if (!customerId) {
    await deps.audit.record({ ...anon(input.orgId, client), action: 'portal.signin.start', result: 'failure', details: { reason: 'unknown_address' } });
    return;
  }
  if ((await recentChallengeCount(deps.db, customerId, deps.policy.challengeWindowMs)) >= deps.policy.maxChallengesPerWindow) {
    await deps.audit.record({ ...anon(input.orgId, client), action: 'portal.signin.start', subjectCustomerId: customerId, result: 'denied', details: { reason: 'address_cap' } });
    return;
  }
  const challenge = await deps.db.transaction().execute(async (trx) => {
    const c = await createChallenge(trx, deps, { id: input.challengeId, orgId: input.orgId, customerId, purpose: 'signin', withLink: true });
    await deps.audit.append(trx, { ...anon(input.orgId, client), action: 'portal.signin.start', object: { type: 'portal_challenge', id: c.id }, subjectCustomerId: customerId, result: 'success' });
    return c;
  });
  // The code goes to the address the customer typed only if it is one of theirs; we send to exactly that address.
  const minutes = Math.round(deps.policy.codeTtlMs / 60_000);
  const brand = await brandName(deps.db, input.orgId);
  await deps.mailer.send({
    to: input.email,
    fromName: brand,
    subject: `Your ${brand} sign-in code`,
    text: await withSecureWayFooter(deps.db, deps.publicUrl, input.orgId, [
      `Your code to sign in to ${brand} support is ${challenge.code}. It expires in ${minutes} minutes.`,
      '',
      'Or open this link to sign in (it works once):',
      `${await customerBaseUrl(deps, input.orgId)}/portal/signin?link=${challenge.linkToken}`,
      '',
      'If you did not ask to sign in, ignore this email.',
    ].join('\n')),
  });
}

export async function verifyPortalSignInCode(deps: PortalDeps, client: ClientInfo, input: { challengeId: string; code: string }): Promise<NewPortalSession> {
  const c = await checkChallengeCode(deps, { challengeId: input.challengeId, code: input.code, purpose: 'signin' });
  return deps.db.transaction().execute(async (trx) => {
    await consumeChallenge(trx, c.id);
    const session = await createPortalSession(trx, deps, { orgId: c.org_id, customerId: c.customer_id, method: 'code', client });
    await deps.audit.append(trx, { ...anon(c.org_id, client), actor: { type: 'customer', id: c.customer_id }, action: 'portal.signin', subjectCustomerId: c.customer_id, result: 'success', details: { method: 'code' } });
    return session;
  });
}

/** The magic link, posted by the portal page (never consumed by a GET, so mail scanners cannot burn it). */
export async function signInWithPortalLink(deps: PortalDeps, client: ClientInfo, input: { token: string }): Promise<NewPortalSession> {
  const refuse = () => new AppError('gone', 'This sign-in link has expired or was already used. Request a new one.');
  if (!looksLikePortalToken(input.token, 'tdm')) throw refuse();
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('portal_challenges')
      .set({ consumed_at: new Date() })
      .where('link_hash', '=', hashSecret(input.token))
      .where('purpose', '=', 'signin')
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', new Date())
      .returning(['id', 'org_id', 'customer_id'])
      .executeTakeFirst();
    if (!row) throw refuse();
    const session = await createPortalSession(trx, deps, { orgId: row.org_id, customerId: row.customer_id, method: 'link', client });
    await deps.audit.append(trx, { ...anon(row.org_id, client), actor: { type: 'customer', id: row.customer_id }, action: 'portal.signin', subjectCustomerId: row.customer_id, result: 'success', details: { method: 'link' } });
    return session;
  });
}

