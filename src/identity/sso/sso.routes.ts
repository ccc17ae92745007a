/**
 * Staff single sign-on (docs/sso.md, decision 0204). Schemas: src/platform/http/schemas/sso.ts.
 *  - /api/sso/connection: the organisation's OpenID Connect connection (policies.manage: read, save, remove).
 *  - POST /api/auth/sso/discover (public): the sign-in screen's email → the provider to send the browser to.
 *  - GET /api/auth/sso/callback (public): the provider's answer; a session, then the web app (which asks for
 *    Trustdesk's second factor unless the organisation trusts the provider's and it was asserted).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { requirePermission } from '../auth/access.js';
import { clientOf, requirePrincipal } from '../auth/auth.routes.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { SSO_CALLBACK_PATH, ssoEndpoints as e } from '../../platform/http/schemas/sso.js';
import { deleteConnection, getConnection, saveConnection, type ConnectionDeps } from './connection.service.js';
import { OidcClient, type OidcOptions } from './oidc.js';
import { finishSsoSignIn, redirectUriOf, REQUEST_TTL_MS, SsoSignInError, startSsoSignIn, type SignInDeps } from './signin.service.js';

const tags = ['sso'];
export const SSO_COOKIE = 'td_sso';
const COOKIE_PATH = '/api/auth/sso';

export function createSsoRoutes(options: { oidc?: Partial<OidcOptions> } = {}) {
  return async function ssoRoutes(app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const s = app.services;
    const outbound = { allowPrivate: s.config.allowPrivateWebhooks, ...options.oidc?.outbound };
    const oidc = new OidcClient({ ...options.oidc, outbound });
    const connectionDeps: ConnectionDeps = { db: s.database.db, keyring: s.keyring, audit: s.audit, outbound };
    const signInDeps = (): SignInDeps => ({ db: s.database.db, keyring: s.keyring, audit: s.audit, oidc, publicUrl: s.config.publicUrl, policy: app.auth.policy });
    const manage = requirePermission('policies.manage');
    const actorOf = (request: Parameters<typeof clientOf>[0]) => {
      const p = requirePrincipal(request);
      return { orgId: p.orgId, userId: p.userId, requestId: String(request.id), ip: request.ip };
    };
    const settings = async (orgId: string) => ({ connection: await getConnection(s.database.db, orgId), redirectUri: redirectUriOf(s.config.publicUrl) });
    const clearBinding = (reply: FastifyReply) => reply.clearCookie(SSO_COOKIE, { httpOnly: true, sameSite: 'lax', secure: app.auth.secureCookies, path: COOKIE_PATH });

    r.get(e.settings.url, { preHandler: manage, schema: routeSchema(e.settings, { tags, summary: 'The organisation’s single sign-on connection (the client secret is never returned) and the redirect URI to register' }) }, async (request) =>
      settings(requirePrincipal(request).orgId),
    );

    r.put(e.save.url, { preHandler: manage, schema: routeSchema(e.save, { tags, summary: 'Create or change the single sign-on connection; a secret left out stays (audited)' }) }, async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const actor = actorOf(request);
      await saveConnection(connectionDeps, actor, request.body);
      return settings(actor.orgId);
    });

    r.delete(e.remove.url, { preHandler: manage, schema: routeSchema(e.remove, { tags, summary: 'Remove single sign-on; password sign-in applies again (audited)' }) }, async (request) => {
      await deleteConnection(connectionDeps, actorOf(request));
      return { ok: true as const };
    });

    r.post(e.discover.url, {
      config: { public: true, rateLimit: { max: 20, timeWindow: '1 minute' } },
      schema: routeSchema(e.discover, { tags, summary: 'The identity provider for an email’s domain and where to send the browser (null: sign in with a password)' }),
    }, async (request, reply) => {
      const started = await startSsoSignIn(signInDeps(), clientOf(request), request.body);
      if (!started) return { provider: null, authorizationUrl: null };
      reply.setCookie(SSO_COOKIE, started.binding, { httpOnly: true, sameSite: 'lax', secure: app.auth.secureCookies, path: COOKIE_PATH, maxAge: REQUEST_TTL_MS / 1000 });
      reply.header('cache-control', 'no-store');
      return { provider: started.provider, authorizationUrl: started.authorizationUrl };
    });

    r.get(SSO_CALLBACK_PATH, {
      config: { public: true, rateLimit: { max: 30, timeWindow: '1 minute' } },
      schema: {
        tags,
        summary: 'The identity provider sends the browser back here; a session starts and the web app opens (or the sign-in screen, with a reason)',
        querystring: Type.Record(Type.String(), Type.String({ maxLength: 4096 })),
      },
    }, async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const binding = request.cookies[SSO_COOKIE];
      clearBinding(reply);
      try {
        const done = await finishSsoSignIn(signInDeps(), clientOf(request), { query: request.query as Record<string, unknown>, binding });
        app.auth.setSessionCookie(reply, done.session.token, done.session.expiresAt);
        return reply.redirect('/', 303);
      } catch (err) {
        if (err instanceof SsoSignInError) return reply.redirect(`/signin?sso=${err.publicError}`, 303);
        throw err;
      }
    });
  };
}

export const ssoRoutes = createSsoRoutes();
