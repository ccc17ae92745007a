/**
 * Customer portal sessions: the `td_portal` cookie holds a random token, the
 * database its SHA-256. Idle and absolute expiry are checked on every request.
 * Writes need `X-Portal-CSRF` = HMAC(portal key, token), the same derived-token
 * scheme as staff sessions (decision 0005) under a separate key and header, so
 * neither kind of session can stand in for the other.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Executor } from '../../protection/crypto/keyring.js';
import { hashSecret, sameSecret } from '../../identity/auth/secrets.js';
import { AppError } from '../../platform/errors.js';
import type { ClientInfo, PortalDeps } from './deps.js';
import './mfa-schema.js';
import { looksLikePortalToken, newPortalToken, portalCsrfToken } from './keys.js';
import type { PortalSessionMethod } from './schema.js';
import { requireCustomerSecondFactor } from './mfa-policy.js';
import { assertPortalSessionHost } from './organization.js';

export const PORTAL_COOKIE = 'td_portal';
export const PORTAL_CSRF_HEADER = 'x-portal-csrf';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The signed-in customer. */
export interface PortalCustomer {
  orgId: string;
  customerId: string;
  sessionHash: Buffer;
  method: PortalSessionMethod;
  /** When this session last proved a customer second factor (migration 0048); null until it does. */
  mfaAt: Date | null;
  ip: string;
  requestId: string;
}

export interface NewPortalSession {
  token: string;
  expiresAt: Date;
  csrfToken: string;
}

export async function createPortalSession(trx: Executor, deps: PortalDeps, input: { orgId: string; customerId: string; method: PortalSessionMethod; client: ClientInfo }): Promise<NewPortalSession> {
  const token = newPortalToken('tdp');
  const expiresAt = new Date(Date.now() + deps.policy.absoluteMs);
  await trx
    .insertInto('customer_sessions')
    .values({
      id_hash: hashSecret(token),
      org_id: input.orgId,
      customer_id: input.customerId,
      method: input.method,
      expires_at: expiresAt,
      ip: input.client.ip.slice(0, 100),
      user_agent: input.client.userAgent?.slice(0, 300) ?? null,
    })
    .execute();
  return { token, expiresAt, csrfToken: portalCsrfToken(deps.keys, token) };
}

export function setPortalCookie(reply: FastifyReply, session: NewPortalSession, secure: boolean): void {
  reply.setCookie(PORTAL_COOKIE, session.token, { httpOnly: true, sameSite: 'lax', secure, path: '/', expires: session.expiresAt });
}

export function clearPortalCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(PORTAL_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}

export function clientOf(request: FastifyRequest): ClientInfo {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua : null, requestId: String(request.id) };
}

/**
 * The customer behind the request's portal cookie, or `unauthenticated`.
 * Portal routes are `public` to the staff gate and call this first: the
 * staff session never reaches customer data, and a customer session never
 * reaches staff routes (it is not a principal).
 */
type PortalCaller = PortalCustomer & { token: string };
/** One check per request: the route's onRequest hook checks first, the handler gets the same answer. */
const checked = new WeakMap<FastifyRequest, Promise<PortalCaller>>();

/** The signed-in customer (and the CSRF token on writes), checked once per request. */
export function authenticatePortal(deps: PortalDeps, request: FastifyRequest): Promise<PortalCaller> {
  let caller = checked.get(request);
  if (!caller) {
    caller = checkPortalSession(deps, request);
    checked.set(request, caller);
  }
  return caller;
}

/**
 * Routes marked `portalSession` are refused before their body is read when the caller has no
 * live portal session (and no CSRF token on a write): an anonymous caller learns nothing of
 * their schemas, and the staff gate, for which these routes are public, stays out of it.
 * Then the organisation's customer second-factor requirement (decision 0220), deny by default:
 * under `always` every portal-session route needs a session that proved a factor unless it says
 * `customerMfa: 'exempt'` (who am I, sign-out, the factor routes themselves); routes marked
 * `customerMfa: 'sensitive'` need a fresh step-up under `sensitive` and `always`.
 */
export function requirePortalSessionFirst(app: FastifyInstance, deps: PortalDeps): void {
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    if (config.portalSession !== true) return;
    const caller = await authenticatePortal(deps, request);
    if (config.customerMfa === 'exempt') return;
    await requireCustomerSecondFactor(deps.db, caller, config.customerMfa === 'sensitive' ? 'sensitive' : 'session');
  });
}

async function checkPortalSession(deps: PortalDeps, request: FastifyRequest, now = new Date()): Promise<PortalCaller> {
  const refuse = () => new AppError('unauthenticated', 'Sign in to the portal to continue.');
  const token = request.cookies?.[PORTAL_COOKIE];
  if (!looksLikePortalToken(token, 'tdp')) throw refuse();
  const idHash = hashSecret(token);
  const row = await deps.db
    .selectFrom('customer_sessions as s')
    .innerJoin('organizations as o', 'o.id', 's.org_id')
    .where('s.id_hash', '=', idHash)
    .where('s.revoked_at', 'is', null)
    .select(['s.org_id', 's.customer_id', 's.method', 's.expires_at', 's.last_seen_at', 's.mfa_at', 'o.host_name'])
    .executeTakeFirst();
  if (!row || row.expires_at.getTime() <= now.getTime() || now.getTime() - new Date(row.last_seen_at).getTime() > deps.policy.idleMs) throw refuse();
  await assertPortalSessionHost(deps, { id: row.org_id, host_name: row.host_name }, request.hostname);
  if (UNSAFE.has(request.method)) {
    const sent = request.headers[PORTAL_CSRF_HEADER];
    if (typeof sent !== 'string' || !sameSecret(Buffer.from(sent), Buffer.from(portalCsrfToken(deps.keys, token)))) {
      throw new AppError('forbidden', 'The request is missing its CSRF token; reload the page and try again.', { internal: 'portal csrf' });
    }
  }
  if (now.getTime() - new Date(row.last_seen_at).getTime() > 60_000) {
    await deps.db.updateTable('customer_sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
  }
  return { orgId: row.org_id, customerId: row.customer_id, sessionHash: idHash, method: row.method, mfaAt: row.mfa_at ? new Date(row.mfa_at) : null, ip: request.ip, requestId: String(request.id), token };
}

export async function revokePortalSession(deps: PortalDeps, sessionHash: Buffer): Promise<void> {
  await deps.db.updateTable('customer_sessions').set({ revoked_at: new Date() }).where('id_hash', '=', sessionHash).where('revoked_at', 'is', null).execute();
}

/** Audit fields for an action by the signed-in customer. */
export function customerActor(c: Pick<PortalCustomer, 'orgId' | 'customerId' | 'ip' | 'requestId'>) {
  return { orgId: c.orgId, actor: { type: 'customer' as const, id: c.customerId }, requestId: c.requestId, sourceIp: c.ip };
}
