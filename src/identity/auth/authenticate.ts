/**
 * Authentication for every request: a session cookie or a bearer API token
 * becomes `request.principal`. Cookie-authenticated writes must carry the
 * session's CSRF token; addresses outside an organisation's or role's
 * allowlist are refused. Authorization stays with routes and services.
 */
import { randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors.js';
import { SUSPENDED_MESSAGE } from '../organizations/status.js';
import type { Principal } from './access.js';
import { addressAllowed, loadUserAccess, narrowToScopes, principalFrom } from './principals.js';
import { hashSecret, looksLikeSecret, sameSecret } from './secrets.js';
import { csrfTokenFor, findLiveSession, SESSION_COOKIE, touchSession, type SessionPolicy } from './sessions.js';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

declare module 'fastify' {
  interface FastifyInstance {
    auth: {
      policy: SessionPolicy;
      stepUpWindowMs: number;
      secureCookies: boolean;
      csrfKey: Uint8Array;
      setSessionCookie(reply: FastifyReply, token: string, expiresAt: Date): void;
      clearSessionCookie(reply: FastifyReply): void;
    };
  }
  interface FastifyRequest {
    /** The raw session token, when the request was authenticated by cookie. */
    sessionToken: string | null;
  }
}

export async function registerAuthentication(app: FastifyInstance): Promise<void> {
  const { config, database, keyring, audit } = app.services;
  const db = database.db;
  const { secret: csrfKey } = await keyring.systemSecret('csrf-key', () => ({ secret: randomBytes(32) }));
  const secureCookies = Boolean(config.tlsCert) || config.publicUrl.startsWith('https:');
  const policy: SessionPolicy = { idleMs: config.sessionIdleMinutes * 60_000, absoluteMs: config.sessionMaxHours * 3_600_000 };

  await app.register(cookie);
  app.decorate('auth', {
    policy,
    stepUpWindowMs: config.stepUpMinutes * 60_000,
    secureCookies,
    csrfKey,
    setSessionCookie(reply: FastifyReply, token: string, expiresAt: Date) {
      reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure: secureCookies, path: '/', expires: expiresAt });
    },
    clearSessionCookie(reply: FastifyReply) {
      reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: secureCookies, path: '/' });
    },
  });
  app.decorateRequest('sessionToken', null);

  app.addHook('onRequest', async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    if (header !== undefined) {
      // A route that reads the header itself (/metrics and its own token) gets no principal from it.
      if (request.routeOptions.config.ownAuthorization === true) return;
      request.principal = await fromToken(request, header);
      return;
    }
    const token = request.cookies[SESSION_COOKIE];
    if (!token) return;
    const session = await findLiveSession(db, token, policy);
    if (!session) return;
    const access = await loadUserAccess(db, session.user_id);
    if (!access || access.status !== 'active') return;
    if (access.orgStatus !== 'active') throw new AppError('forbidden', SUSPENDED_MESSAGE, { internal: `organisation ${access.orgId} ${access.orgStatus}` });
    if (!addressAllowed(request.ip, access.allowlists)) {
      throw new AppError('forbidden', 'Sign-in is not allowed from this network.', { internal: 'address allowlist' });
    }
    if (UNSAFE.has(request.method)) {
      const sent = request.headers['x-csrf-token'];
      const expected = csrfTokenFor(token, csrfKey);
      if (typeof sent !== 'string' || !sameSecret(Buffer.from(sent), Buffer.from(expected))) {
        // A public route (the customer portal, say) does not act as the staff member, so a staff
        // cookie that happens to ride along is ignored there rather than refused.
        if (request.routeOptions.config.public === true) return;
        throw new AppError('forbidden', 'The request is missing its CSRF token; reload the page and try again.', { internal: 'csrf' });
      }
    }
    await touchSession(db, session);
    request.sessionToken = token;
    request.principal = principalFrom(access, {
      kind: 'session',
      sessionIdHash: Buffer.from(session.id_hash),
      deviceId: session.device_id,
      mfaAt: session.mfa_at,
      mfaMethod: session.mfa_method,
      stepUpAt: session.step_up_at,
      ip: request.ip,
    });
  });

  async function fromToken(request: FastifyRequest, header: string): Promise<Principal> {
    const match = /^Bearer (\S+)$/.exec(header);
    const raw = match?.[1];
    const refuse = () => new AppError('unauthenticated', 'The API token is missing, malformed, expired or revoked.');
    if (!looksLikeSecret(raw, 'tdt')) throw refuse();
    const hash = hashSecret(raw);
    const token = await db
      .selectFrom('api_tokens')
      .where('token_hash', '=', hash)
      .select(['id', 'user_id', 'org_id', 'scopes', 'expires_at', 'revoked_at', 'last_used_at', 'token_hash'])
      .executeTakeFirst();
    if (!token || token.revoked_at || token.expires_at.getTime() <= Date.now() || !sameSecret(token.token_hash, hash)) {
      await audit.record({ actor: { type: 'anonymous' }, action: 'token.use', result: 'denied', requestId: String(request.id), sourceIp: request.ip });
      throw refuse();
    }
    const access = await loadUserAccess(db, token.user_id);
    if (!access || access.status !== 'active') throw refuse();
    if (access.orgStatus !== 'active') {
      await audit.record({ orgId: token.org_id, actor: { type: 'token', id: token.id }, action: 'token.use', result: 'denied', details: { reason: `organization_${access.orgStatus}` }, requestId: String(request.id), sourceIp: request.ip });
      if (access.orgStatus === 'suspended') throw new AppError('forbidden', SUSPENDED_MESSAGE, { internal: `organisation ${access.orgId} suspended` });
      throw refuse();
    }
    if (!addressAllowed(request.ip, access.allowlists)) throw new AppError('forbidden', 'Requests are not allowed from this network.', { internal: 'address allowlist' });
    const now = new Date();
    if (!token.last_used_at || now.getTime() - token.last_used_at.getTime() > 60_000) {
      await db.updateTable('api_tokens').set({ last_used_at: now, last_used_ip: request.ip.slice(0, 100) }).where('id', '=', token.id).execute();
    }
    await audit.record({
      orgId: token.org_id,
      actor: { type: 'token', id: token.id },
      action: 'token.use',
      object: { type: 'route', id: `${request.method} ${request.routeOptions.url ?? ''}` },
      result: 'success',
      requestId: String(request.id),
      sourceIp: request.ip,
    });
    const principal = principalFrom(access, { kind: 'token', tokenId: token.id, mfaAt: null, mfaMethod: null, stepUpAt: null, ip: request.ip });
    return { ...principal, permissions: narrowToScopes(access.permissions, token.scopes) };
  }
}
