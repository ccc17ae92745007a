/**
 * Staff single sign-on (docs/sso.md, decisions 0204 and 0209). Schemas: src/platform/http/schemas/sso.ts.
 *  - /api/sso/connection: the organisation's connection (policies.manage: read, save, remove); PUT
 *    /api/sso/connection/saml saves a SAML one from the provider's metadata.
 *  - POST /api/auth/sso/discover (public): the sign-in screen's email → the provider to send the browser to.
 *  - GET /api/auth/sso/callback (public): the provider's answer; a session, then the web app (which asks for
 *    Trustdesk's second factor unless the organisation trusts the provider's and it was asserted).
 *  - GET /api/auth/sso/saml/:connectionId/metadata (public): Trustdesk's SAML metadata for the connection (XML).
 *  - POST /api/auth/sso/saml/acs (public): the SAML provider's Response (a form post, at most SAML_BODY_LIMIT bytes,
 *    refused before parsing when larger); then as the callback above.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { requirePermission } from '../auth/access.js';
import { clientOf, requirePrincipal } from '../auth/auth.routes.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { SSO_CALLBACK_PATH, ssoEndpoints as e } from '../../platform/http/schemas/sso.js';
import { AppError } from '../../platform/errors.js';
import { Uuid } from '../../platform/http/schemas/common.js';
import { deleteConnection, getConnection, SAML_ACS_PATH, samlConnectionOf, samlMetadataPath, saveConnection, saveSamlConnection, type ConnectionDeps } from './connection.service.js';
import { OidcClient, type OidcOptions } from './oidc.js';
import { SAML_BODY_LIMIT, serviceProviderMetadata } from './saml.js';
import { finishSamlSignIn, finishSsoSignIn, redirectUriOf, REQUEST_TTL_MS, SsoSignInError, startSsoSignIn, type Finished, type SignInDeps } from './signin.service.js';

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
    const settings = async (orgId: string) => {
      const connection = await getConnection(s.database.db, orgId);
      return {
        connection,
        redirectUri: redirectUriOf(s.config.publicUrl),
        samlAcsUrl: new URL(SAML_ACS_PATH, s.config.publicUrl).toString(),
        samlMetadataUrl: connection?.protocol === 'saml' ? new URL(samlMetadataPath(connection.id), s.config.publicUrl).toString() : null,
      };
    };
    // A SAML provider posts its answer from its own site: a Lax cookie would not come along, so over https the
    // binding cookie is SameSite=None (it opens nothing by itself; it only ties the answer to this browser).
    const bindingCookie = (protocol: 'oidc' | 'saml') => ({ httpOnly: true, sameSite: protocol === 'saml' && app.auth.secureCookies ? ('none' as const) : ('lax' as const), secure: app.auth.secureCookies, path: COOKIE_PATH });
    const clearBinding = (reply: FastifyReply, protocol: 'oidc' | 'saml' = 'oidc') => reply.clearCookie(SSO_COOKIE, bindingCookie(protocol));
    const signedIn = (reply: FastifyReply, done: Finished) => {
      app.auth.setSessionCookie(reply, done.session.token, done.session.expiresAt);
      return reply.redirect('/', 303);
    };

    r.get(e.settings.url, { preHandler: manage, schema: routeSchema(e.settings, { tags, summary: 'The organisation’s single sign-on connection (the client secret is never returned) and the redirect URI to register' }) }, async (request) =>
      settings(requirePrincipal(request).orgId),
    );

    r.put(e.save.url, { preHandler: manage, schema: routeSchema(e.save, { tags, summary: 'Create or change the single sign-on connection; a secret left out stays (audited)' }) }, async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const actor = actorOf(request);
      await saveConnection(connectionDeps, actor, request.body);
      return settings(actor.orgId);
    });

    r.put(e.saveSaml.url, { preHandler: manage, schema: routeSchema(e.saveSaml, { tags, summary: 'Create or change a SAML connection from the identity provider’s metadata (malformed or expired metadata: nothing saved; audited)' }) }, async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const actor = actorOf(request);
      await saveSamlConnection({ ...connectionDeps, publicUrl: s.config.publicUrl }, actor, request.body);
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
      reply.setCookie(SSO_COOKIE, started.binding, { ...bindingCookie(started.protocol), maxAge: REQUEST_TTL_MS / 1000 });
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
        return signedIn(reply, await finishSsoSignIn(signInDeps(), clientOf(request), { query: request.query as Record<string, unknown>, binding }));
      } catch (err) {
        if (err instanceof SsoSignInError) return reply.redirect(`/signin?sso=${err.publicError}`, 303);
        throw err;
      }
    });

    r.get('/api/auth/sso/saml/:connectionId/metadata', {
      config: { public: true, rateLimit: { max: 30, timeWindow: '1 minute' } },
      schema: { tags, summary: 'Trustdesk’s SAML service-provider metadata for a connection (XML): entity ID, assertion consumer service, encryption certificate', params: Type.Object({ connectionId: Uuid }) },
    }, async (request, reply) => {
      const row = await s.database.db.selectFrom('sso_connections').where('id', '=', request.params.connectionId).where('protocol', '=', 'saml').selectAll().executeTakeFirst();
      if (!row) throw new AppError('not_found', 'There is no SAML connection here.');
      // Public material only (the certificate, not the key): the key is not decrypted for this.
      const xml = serviceProviderMetadata(await samlConnectionOf(s.keyring, { ...row, saml_sp_key_enc: null }, s.config.publicUrl));
      return reply.type('application/samlmetadata+xml; charset=utf-8').header('cache-control', 'no-cache').send(xml);
    });

    // The provider's Response, as a form post: bounded before it is read (enormous assertions never reach a parser).
    await app.register(async (acs) => {
      acs.removeAllContentTypeParsers();
      acs.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: SAML_BODY_LIMIT }, (_req, body, done) => {
        const form = new URLSearchParams(body as string);
        done(null, { SAMLResponse: form.get('SAMLResponse') ?? undefined, RelayState: form.get('RelayState') ?? undefined });
      });
      acs.withTypeProvider<TypeBoxTypeProvider>().post(SAML_ACS_PATH, {
        bodyLimit: SAML_BODY_LIMIT,
        config: { public: true, rateLimit: { max: 30, timeWindow: '1 minute' } },
        schema: {
          tags,
          summary: 'The SAML provider posts its Response here (HTTP-POST binding); a session starts and the web app opens (or the sign-in screen, with a reason)',
          body: Type.Object({ SAMLResponse: Type.Optional(Type.String({ maxLength: SAML_BODY_LIMIT })), RelayState: Type.Optional(Type.String({ maxLength: 1000 })) }),
        },
      }, async (request, reply) => {
        reply.header('cache-control', 'no-store');
        const binding = request.cookies[SSO_COOKIE];
        clearBinding(reply, 'saml');
        try {
          return signedIn(reply, await finishSamlSignIn(signInDeps(), clientOf(request), { samlResponse: request.body.SAMLResponse, binding }));
        } catch (err) {
          if (err instanceof SsoSignInError) return reply.redirect(`/signin?sso=${err.publicError}`, 303);
          throw err;
        }
      });
    });
  };
}

export const ssoRoutes = createSsoRoutes();
