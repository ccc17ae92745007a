/**
 * Staff sign-in through the organisation's identity provider (OpenID Connect, decision 0204; SAML 2.0, decision 0209).
 *
 * Start: the person's email domain names the connection; a pending request is stored under the hash of a random
 * `state`, bound to this browser by the hash of a cookie; the PKCE verifier is derived from that cookie and the
 * state, so the database never holds it. Finish: the request is consumed first (single use, in its own commit),
 * then the code is exchanged and the ID token validated by openid-client; the email must be verified and belong to
 * an active member of the connection's organisation. The session records that it began with single sign-on; it
 * carries a second factor only when the organisation trusts the provider's MFA and the assertion says so.
 * Every outcome is audited as `auth.signin` with factor `sso`; no token, code or state is ever written down.
 *
 * SAML follows the same path: the AuthnRequest's ID takes the place of `state` (the pending request is stored under
 * its hash and consumed when the Response claiming to answer it arrives), node-saml validates the Response (saml.ts),
 * and the assertion's ID is recorded so that it is accepted once, by any instance. The AuthnContextClassRef plays
 * the `acr` in the second-factor policy; there is no `amr`.
 */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Keyring } from '../../protection/crypto/keyring.js';
import { SSO_CALLBACK_PATH, type SSO_PUBLIC_ERRORS } from '../../platform/http/schemas/sso.js';
import { deviceOf, type ClientInfo } from '../auth/auth.service.js';
import { createSession, type NewSession, type SessionPolicy } from '../auth/sessions.js';
import { assertSeatsAvailable, isLimitReached } from '../organizations/limits.js';
import { organizationStatus } from '../organizations/status.js';
import { providerAssurance, type Assurance } from './assurance.js';
import { oidcConnectionOf, samlConnectionOf, type ConnectionRow } from './connection.service.js';
import { OidcError, type OidcClient } from './oidc.js';
import { authorizationUrl as samlAuthorizationUrl, claimedInResponseTo, CLOCK_SKEW_MS, newRequestId, SamlError, validateResponse } from './saml.js';
import './schema.js';

export interface SignInDeps {
  db: Kysely<Database>;
  keyring: Keyring;
  audit: AuditLog;
  oidc: OidcClient;
  publicUrl: string;
  policy: SessionPolicy;
}

export const REQUEST_TTL_MS = 10 * 60_000;

type PublicError = (typeof SSO_PUBLIC_ERRORS)[number];

/** A refused sign-in: `reason` goes to the audit trail, `publicError` to the sign-in screen. */
export class SsoSignInError extends Error {
  constructor(readonly reason: string, readonly publicError: PublicError) {
    super(reason);
  }
}

const sha256 = (value: string) => createHash('sha256').update(value).digest();
const random = () => randomBytes(32).toString('base64url');
/** RFC 7636 verifier (43 characters of base64url) from the browser's cookie and the state. */
const codeVerifierOf = (binding: string, state: string) => createHmac('sha256', binding).update(`pkce:${state}`).digest('base64url');

export function redirectUriOf(publicUrl: string): string {
  return new URL(SSO_CALLBACK_PATH, publicUrl).toString();
}

async function enabledConnection(db: Kysely<Database>, where: { domain: string } | { id: string }): Promise<ConnectionRow | undefined> {
  let q = db.selectFrom('sso_connections').where('sso_connections.enabled', '=', true).selectAll('sso_connections');
  if ('domain' in where) q = q.innerJoin('sso_domains', 'sso_domains.connection_id', 'sso_connections.id').where('sso_domains.domain', '=', where.domain);
  else q = q.where('sso_connections.id', '=', where.id);
  return q.executeTakeFirst();
}

export interface Started {
  protocol: 'oidc' | 'saml';
  provider: string;
  authorizationUrl: string;
  /** The cookie binding the request to this browser (set it, httpOnly). */
  binding: string;
}

/** The provider for this email's domain, and where to send the browser; null when the domain has no single sign-on. */
export async function startSsoSignIn(deps: SignInDeps, client: ClientInfo, input: { email: string }): Promise<Started | null> {
  const email = input.email.trim().toLowerCase();
  const domain = email.slice(email.lastIndexOf('@') + 1);
  if (!domain) return null;
  const connection = await enabledConnection(deps.db, { domain });
  if (!connection) return null;
  const binding = random();
  // SAML: the AuthnRequest's ID is the request's key, as `state` is for OpenID Connect.
  const state = connection.protocol === 'saml' ? newRequestId() : random();
  const nonce = connection.protocol === 'saml' ? 'saml' : random();
  let authorizationUrl: string;
  try {
    authorizationUrl =
      connection.protocol === 'saml'
        ? await samlAuthorizationUrl(await samlConnectionOf(deps.keyring, connection, deps.publicUrl), { requestId: state, relayState: '' })
        : await deps.oidc.authorizationUrl(await oidcConnectionOf(deps.keyring, connection), {
            redirectUri: redirectUriOf(deps.publicUrl),
            scopes: connection.scopes,
            state,
            nonce,
            codeVerifier: codeVerifierOf(binding, state),
            loginHint: email,
          });
  } catch (e) {
    const reason = e instanceof OidcError ? e.reason : 'discovery_failed';
    await deps.audit.record({ orgId: connection.org_id, actor: { type: 'anonymous' }, action: 'auth.signin', object: null, result: 'failure', details: { factor: 'sso', connection: connection.id, reason }, requestId: client.requestId, sourceIp: client.ip });
    throw new AppError('unavailable', 'Your organisation’s sign-in provider cannot be reached. Try again in a moment.', { internal: e instanceof Error ? e.message : 'discovery' });
  }
  const now = new Date();
  await deps.db.deleteFrom('sso_requests').where('expires_at', '<', new Date(now.getTime() - 3_600_000)).execute();
  await deps.db.insertInto('sso_requests').values({ state_hash: sha256(state), binding_hash: sha256(binding), connection_id: connection.id, org_id: connection.org_id, nonce, expires_at: new Date(now.getTime() + REQUEST_TTL_MS) }).execute();
  return { protocol: connection.protocol, provider: connection.display_name, authorizationUrl, binding };
}

export interface Finished {
  session: NewSession;
  userId: string;
  /** Trustdesk's own second factor must still be verified (the session is password-only until then). */
  mfaRequired: boolean;
}

type Fail = (reason: string, publicError: PublicError, at?: { orgId?: string | null; connectionId?: string | null; userId?: string | null; extra?: Record<string, unknown> }) => Promise<never>;

function failWith(deps: SignInDeps, client: ClientInfo): Fail {
  return async (reason, publicError, at = {}) => {
    await deps.audit.record({
      orgId: at.orgId ?? null,
      actor: { type: 'anonymous' },
      action: 'auth.signin',
      object: at.userId ? { type: 'user', id: at.userId } : null,
      result: 'failure',
      details: { factor: 'sso', reason, ...(at.connectionId ? { connection: at.connectionId } : {}), ...(at.extra ?? {}) },
      requestId: client.requestId,
      sourceIp: client.ip,
    });
    throw new SsoSignInError(reason, publicError);
  };
}

/** Consumes the pending request (single use, first of all), checks this browser started it and the connection is on. */
async function consumeRequest(deps: SignInDeps, fail: Fail, key: string, binding: string | undefined, protocol: 'oidc' | 'saml') {
  const now = new Date();
  const request = await deps.db
    .updateTable('sso_requests')
    .set({ used_at: now })
    .where('state_hash', '=', sha256(key))
    .where('used_at', 'is', null)
    .returning(['connection_id', 'org_id', 'binding_hash', 'nonce', 'expires_at', 'created_at'])
    .executeTakeFirst();
  if (!request) {
    const seen = await deps.db.selectFrom('sso_requests').where('state_hash', '=', sha256(key)).select(['org_id', 'connection_id']).executeTakeFirst();
    return seen ? fail('response_replayed', 'expired', { orgId: seen.org_id, connectionId: seen.connection_id }) : fail('state_mismatch', 'expired');
  }
  const at = { orgId: request.org_id, connectionId: request.connection_id };
  const bound = binding !== undefined && binding.length <= 100 && timingSafeEqual(sha256(binding), Buffer.from(request.binding_hash));
  if (!bound) return fail('browser_mismatch', 'expired', at);
  if (request.expires_at.getTime() <= now.getTime()) return fail('request_expired', 'expired', at);
  const connection = await enabledConnection(deps.db, { id: request.connection_id });
  if (!connection || connection.protocol !== protocol) return fail('connection_disabled', 'unavailable', at);
  return { request, connection, at };
}

/** The provider's answer, at the callback. Throws SsoSignInError (already audited) when refused. */
export async function finishSsoSignIn(deps: SignInDeps, client: ClientInfo, input: { query: Record<string, unknown>; binding: string | undefined }): Promise<Finished> {
  const state = typeof input.query.state === 'string' && input.query.state.length <= 200 ? input.query.state : null;
  const fail = failWith(deps, client);
  if (!state) return fail('state_missing', 'failed');

  // Consume first: whatever follows, this answer cannot be used again.
  const { request, connection, at } = await consumeRequest(deps, fail, state, input.binding, 'oidc');
  if (typeof input.query.error === 'string') {
    const code = /^[a-z_]{1,40}$/.test(input.query.error) ? input.query.error : 'other';
    return fail('provider_error', 'provider', { ...at, extra: { providerError: code } });
  }

  const callbackUrl = new URL(redirectUriOf(deps.publicUrl));
  for (const [k, v] of Object.entries(input.query)) if (typeof v === 'string') callbackUrl.searchParams.set(k, v);
  let claims: Record<string, unknown>;
  try {
    ({ claims } = await deps.oidc.exchange(await oidcConnectionOf(deps.keyring, connection), { callbackUrl, state, nonce: request.nonce, codeVerifier: codeVerifierOf(input.binding as string, state) }));
  } catch (e) {
    if (e instanceof OidcError) return fail(e.reason, e.reason === 'discovery_failed' ? 'unavailable' : 'failed', at);
    throw e;
  }

  const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : null;
  if (!email) return fail('email_missing', 'failed', at);
  if (claims.email_verified !== true) return fail('email_not_verified', 'email_not_verified', at);
  const assurance = providerAssurance(claims, { trustProviderMfa: connection.trust_provider_mfa, mfaAcrValues: connection.mfa_acr_values, phishingResistantAcrValues: connection.phishing_resistant_acr_values });
  const groups = Array.isArray(claims.groups) ? claims.groups.filter((g): g is string => typeof g === 'string' && g.length <= 200).slice(0, 100) : [];
  return signInMember(deps, client, fail, connection, at, { email, groups, name: typeof claims.name === 'string' ? claims.name : null }, assurance, {});
}

/**
 * A SAML Response at the assertion consumer service. Unsolicited responses (no InResponseTo naming a request this
 * browser started) are refused. Throws SsoSignInError (already audited) when refused.
 */
export async function finishSamlSignIn(deps: SignInDeps, client: ClientInfo, input: { samlResponse: unknown; binding: string | undefined }): Promise<Finished> {
  const fail = failWith(deps, client);
  if (typeof input.samlResponse !== 'string' || input.samlResponse.length === 0) return fail('response_missing', 'failed');
  const samlResponse = input.samlResponse;
  let requestId: string | null;
  try {
    requestId = claimedInResponseTo(samlResponse);
  } catch (e) {
    if (e instanceof SamlError) return fail(e.reason, 'failed');
    throw e;
  }
  if (!requestId) return fail('unsolicited_response', 'expired');
  const { request, connection, at } = await consumeRequest(deps, fail, requestId, input.binding, 'saml');
  // The provider's certificates are trusted only while its metadata says they are (decision 0209).
  if (connection.saml_metadata_valid_until && connection.saml_metadata_valid_until.getTime() <= Date.now()) return fail('metadata_expired', 'failed', at);

  let identity: Awaited<ReturnType<typeof validateResponse>>;
  try {
    identity = await validateResponse(await samlConnectionOf(deps.keyring, connection, deps.publicUrl), { samlResponse, requestId, issuedAt: request.created_at });
  } catch (e) {
    if (e instanceof SamlError) return fail(e.reason, e.reason === 'provider_error' ? 'provider' : 'failed', at);
    throw e;
  }
  // Each assertion is accepted once, by whichever instance sees it first: the database's primary key decides.
  const now = Date.now();
  const keepUntil = new Date(Math.max(identity.notOnOrAfter?.getTime() ?? now + 3_600_000, now) + CLOCK_SKEW_MS);
  await deps.db.deleteFrom('sso_saml_assertions').where('expires_at', '<', new Date(now - CLOCK_SKEW_MS)).execute();
  const fresh = await deps.db
    .insertInto('sso_saml_assertions')
    .values({ connection_id: connection.id, assertion_hash: sha256(identity.assertionId), expires_at: keepUntil })
    .onConflict((oc) => oc.columns(['connection_id', 'assertion_hash']).doNothing())
    .returning('connection_id')
    .executeTakeFirst();
  if (!fresh) return fail('assertion_replayed', 'expired', at);

  const email = identity.email?.trim().toLowerCase() ?? null;
  if (!email || !/^[^@\s]+@[^@\s]+$/.test(email) || email.length > 320) return fail('email_missing', 'failed', at);
  const assurance = providerAssurance({ acr: identity.authnContextClassRef ?? undefined }, { trustProviderMfa: connection.trust_provider_mfa, mfaAcrValues: connection.mfa_acr_values, phishingResistantAcrValues: connection.phishing_resistant_acr_values });
  return signInMember(deps, client, fail, connection, at, { email, groups: identity.groups, name: identity.name }, assurance, { protocol: 'saml', assertion: identity.encrypted ? 'encrypted' : 'plain' });
}

/** Thrown inside the sign-in transaction when a concurrent first sign-in created the same person. */
class ProvisionedMeanwhile extends Error {}

/** The provider vouched for `person.email`: an active member of the connection's organisation gets a session. */
async function signInMember(deps: SignInDeps, client: ClientInfo, fail: Fail, connection: ConnectionRow, at: { orgId: string; connectionId: string }, person: { email: string; groups: string[]; name: string | null }, assurance: Assurance, extra: Record<string, unknown>): Promise<Finished> {
  const email = person.email;
  let user = await deps.db.selectFrom('users').where('email', '=', email).select(['id', 'org_id', 'status']).executeTakeFirst();
  let provision: { roleIds: string[]; teamIds: string[]; groups: string[] } | null = null;
  if (!user && connection.jit_provisioning) {
    // Just-in-time: only an address in one of the connection's own domains, only a person in a mapped group.
    const domain = email.slice(email.lastIndexOf('@') + 1);
    const owned = await deps.db.selectFrom('sso_domains').where('connection_id', '=', connection.id).where('domain', '=', domain).select('domain').executeTakeFirst();
    if (!owned) return fail('unknown_person', 'no_account', { ...at, extra: { provisioning: 'domain_not_claimed' } });
    const matched = connection.group_mappings.filter((m) => person.groups.includes(m.group));
    if (matched.length === 0) return fail('no_mapped_group', 'no_account', at);
    const roleKeys = [...new Set(matched.flatMap((m) => m.roles))];
    const teamIds = [...new Set(matched.flatMap((m) => m.teams))];
    const roles = await deps.db.selectFrom('roles').where('org_id', '=', connection.org_id).where('key', 'in', roleKeys).select('id').execute();
    const teams = teamIds.length ? await deps.db.selectFrom('teams').where('org_id', '=', connection.org_id).where('id', 'in', teamIds).select('id').execute() : [];
    // A role or team removed since the mapping was saved: refused, not provisioned with less than was meant.
    if (roles.length !== roleKeys.length || teams.length !== teamIds.length) return fail('mapping_stale', 'failed', at);
    provision = { roleIds: roles.map((r) => r.id), teamIds, groups: matched.map((m) => m.group) };
    user = { id: randomUUID(), org_id: connection.org_id, status: 'active' };
  }
  // Another organisation's member is refused like a stranger, and recorded only in the connection's organisation.
  if (!user) return fail('unknown_person', 'no_account', at);
  if (user.org_id !== connection.org_id) return fail('other_organization', 'no_account', at);
  if (user.status !== 'active') return fail('account_inactive', 'no_account', { ...at, userId: user.id });
  // A suspended organisation takes no sign-in by any way in (decision 0202), its provider's included.
  const orgStatus = await organizationStatus(deps.db, user.org_id);
  if (orgStatus !== 'active') return fail(`organization_${orgStatus ?? 'deleted'}`, orgStatus === 'suspended' ? 'suspended' : 'no_account', { ...at, userId: user.id });
  const member = user;

  try {
    return await deps.db.transaction().execute(async (trx) => {
      const signedIn = new Date();
      const user = member;
      if (provision) {
        const name = (person.name?.trim() || email.slice(0, email.indexOf('@'))).slice(0, 200);
        await assertSeatsAvailable(trx, user.org_id);
        // Two first sign-ins of one new person at once: the second finds the address taken and signs in as the first made it.
        const created = await trx.insertInto('users').values({ id: user.id, org_id: user.org_id, email, name, password_hash: null, status: 'active' }).onConflict((oc) => oc.column('email').doNothing()).returning('id').executeTakeFirst();
        if (!created) throw new ProvisionedMeanwhile();
        for (const roleId of provision.roleIds) await trx.insertInto('user_roles').values({ user_id: user.id, role_id: roleId, granted_by: null }).execute();
        for (const teamId of provision.teamIds) await trx.insertInto('team_members').values({ team_id: teamId, user_id: user.id, added_by: null }).execute();
        await deps.audit.append(trx, {
          orgId: user.org_id,
          actor: { type: 'system' },
          action: 'user.provision',
          object: { type: 'user', id: user.id },
          result: 'success',
          details: { via: 'sso', connection: connection.id, groups: provision.groups, roles: provision.roleIds, teams: provision.teamIds },
          requestId: client.requestId,
          sourceIp: client.ip,
        });
      }
      await trx.updateTable('users').set({ last_signin_at: signedIn }).where('id', '=', user.id).execute();
      const session = await createSession(trx, {
        userId: user.id,
        orgId: user.org_id,
        ip: client.ip,
        userAgent: client.userAgent,
        policy: deps.policy,
        signinMethod: 'sso',
        mfa: assurance.factor ? { at: signedIn, method: assurance.factor } : null,
      });
      await deps.audit.append(trx, {
        orgId: user.org_id,
        actor: { type: 'user', id: user.id },
        action: 'auth.signin',
        object: { type: 'user', id: user.id },
        result: 'success',
        details: {
          factor: 'sso',
          ...extra,
          connection: connection.id,
          // Whose second factor counts for this session: the provider's (trusted and asserted) or Trustdesk's, still to come.
          secondFactor: assurance.factor ?? 'trustdesk',
          amr: assurance.amr,
          acr: assurance.acr,
          device: deviceOf(client.userAgent),
        },
        requestId: client.requestId,
        sourceIp: client.ip,
      });
      return { session, userId: user.id, mfaRequired: assurance.factor === null };
    });
  } catch (err) {
    if (err instanceof ProvisionedMeanwhile && provision) return signInMember(deps, client, fail, connection, at, person, assurance, extra);
    if (isLimitReached(err)) return fail('seat_limit_reached', 'seats', at);
    throw err;
  }
}
