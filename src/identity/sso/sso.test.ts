/**
 * Staff single sign-on against a real OpenID provider (oidc-provider, in this process on a random port, with a
 * client registered for Trustdesk): discovery by email domain, the whole code flow followed redirect by redirect
 * with a cookie jar, the second-factor policy in both modes, and the attacks — state mismatch, another browser,
 * nonce mismatch, an ID token for another client, from another issuer, with a bad signature, expired, an email
 * not verified, an unknown person, another organisation's member, a replayed answer and a reused code. The
 * provider's token answers pass through a proxy the test can tamper with, signing ID tokens with the provider's
 * own key, so each refusal is openid-client's validation at work, not a broken signature.
 */
import type { FastifyInstance } from 'fastify';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { dumpAllTables } from '../../platform/db/dump.js';
import { SESSION_COOKIE } from '../auth/sessions.js';
import { buildOrg, buildUser, signInAs, type SignedIn, type TestOrg, type TestUser } from '../auth/testing.js';
import { outboundFetch } from './oidc.js';
import { createSsoRoutes, ssoRoutes, SSO_COOKIE } from './sso.routes.js';
import { startTestProvider, TEST_CLIENT_SECRET as CLIENT_SECRET, type TestProvider } from './testing.js';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

describe('staff single sign-on (OpenID Connect)', () => {
  let services: Services;
  let app: FastifyInstance;
  let idp: TestProvider;
  let issuer: string;
  let orgA: TestOrg;
  let orgB: TestOrg;
  let admin: SignedIn;
  let alice: TestUser;
  let ada: TestUser;
  let privateKey: SigningKey;
  let attackerKey: SigningKey;
  let accounts: TestProvider['accounts'];
  type Login = Parameters<TestProvider['login']>[0];
  /** Rewrites the ID token of the next token answer. */
  let tamper: ((claims: JWTPayload) => Promise<string>) | null = null;

  beforeAll(async () => {
    services = await createTestServices('pglite', { config: { TRUSTDESK_ALLOW_PRIVATE_OUTBOUND: 'true' } });
    const redirectUri = new URL('/api/auth/sso/callback', services.config.publicUrl).toString();
    const keys = await generateKeyPair('RS256', { extractable: true });
    privateKey = keys.privateKey;
    attackerKey = (await generateKeyPair('RS256', { extractable: true })).privateKey;
    const jwk: JWK = { ...(await exportJWK(keys.privateKey)), kid: 'k1', alg: 'RS256', use: 'sig' };

    idp = await startTestProvider(redirectUri, {
      jwks: { keys: [jwk] },
      clients: [{ client_id: 'other-app', client_secret: 'other-secret-0123456789', redirect_uris: ['https://other.example/cb'], response_types: ['code'], grant_types: ['authorization_code'] }],
    });
    issuer = idp.issuer;
    accounts = idp.accounts;

    // Every provider request goes through the outbound wrapper; token answers may be tampered with on the way.
    const viaWrapper = outboundFetch({ allowPrivate: true });
    const fetch: typeof viaWrapper = async (url, init) => {
      const res = await viaWrapper(url, init);
      if (!tamper || !url.endsWith('/token')) return res;
      const body = (await res.json()) as { id_token: string };
      const forged = await tamper(decodeJwt(body.id_token));
      tamper = null;
      return new Response(JSON.stringify({ ...body, id_token: forged }), { status: res.status, headers: res.headers });
    };
    app = await buildApp({ services, schemaCache: testSchemaCache, routes: [...appRoutes.filter((r) => r !== ssoRoutes), createSsoRoutes({ oidc: { fetch } })] });

    orgA = await buildOrg(services);
    orgB = await buildOrg(services);
    admin = await signInAs(app, await buildUser(services, orgA, { roles: ['administrator'], email: 'root@a.example' }), { mfa: 'webauthn' });
    alice = await buildUser(services, orgA, { roles: ['agent'], email: 'alice@a.example' });
    ada = await buildUser(services, orgA, { roles: ['administrator'], email: 'ada@a.example' });
    await buildUser(services, orgA, { roles: ['agent'], email: 'dave@a.example' });
    await buildUser(services, orgB, { roles: ['agent'], email: 'bob@b.example' });
    accounts.set('alice', { email: 'alice@a.example', emailVerified: true });
    accounts.set('ada', { email: 'ada@a.example', emailVerified: true });
    accounts.set('dave', { email: 'dave@a.example', emailVerified: false });
    accounts.set('carol', { email: 'carol@a.example', emailVerified: true });
    accounts.set('bob', { email: 'bob@b.example', emailVerified: true });
  });
  afterAll(async () => {
    idp?.close();
    await app?.close();
    await services?.close();
  });

  const connection = (over: Record<string, unknown> = {}) => ({
    enabled: true,
    displayName: 'Example IdP',
    issuer,
    clientId: 'trustdesk',
    clientSecret: CLIENT_SECRET,
    emailDomains: ['a.example'],
    trustProviderMfa: false,
    ...over,
  });
  const save = (body: Record<string, unknown>, who: SignedIn = admin) => app.inject({ method: 'PUT', url: '/api/sso/connection', headers: who.headers, payload: body });

  /** A browser: discovery at Trustdesk, then the provider's redirects with its own cookie jar, up to the callback. */
  async function toCallback(email: string, login: Login): Promise<{ path: string; binding: string; nonce: string }> {
    idp.login(login);
    const discovered = await app.inject({ method: 'POST', url: '/api/auth/sso/discover', payload: { email }, remoteAddress: nextAddress() });
    expect(discovered.statusCode, discovered.body).toBe(200);
    const { authorizationUrl } = discovered.json() as { authorizationUrl: string };
    const binding = discovered.cookies.find((c) => c.name === SSO_COOKIE)?.value as string;
    const nonce = new URL(authorizationUrl).searchParams.get('nonce') as string;
    const jar = new Map<string, string>();
    let url = authorizationUrl;
    for (let hop = 0; hop < 10; hop++) {
      if (url.startsWith(services.config.publicUrl)) {
        const u = new URL(url);
        return { path: `${u.pathname}${u.search}`, binding, nonce };
      }
      const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const [k, v] = (pair as string).split('=') as [string, string];
        if (v) jar.set(k, v);
        else jar.delete(k);
      }
      const location = res.headers.get('location');
      if (!location) throw new Error(`provider stopped at ${url}: ${res.status} ${await res.text()}`);
      url = new URL(location, url).toString();
    }
    throw new Error('too many redirects');
  }
  // Each browser its own address: the sign-in routes' rate limits are per address.
  let flows = 0;
  const nextAddress = () => `10.9.${Math.floor(++flows / 250)}.${(flows % 250) + 1}`;
  const finish = (path: string, binding: string | null) => app.inject({ url: path, remoteAddress: nextAddress(), ...(binding ? { cookies: { [SSO_COOKIE]: binding } } : {}) });
  async function signInVia(email: string, login: Login) {
    const cb = await toCallback(email, login);
    return finish(cb.path, cb.binding);
  }
  async function meOf(res: Awaited<ReturnType<typeof finish>>) {
    const token = res.cookies.find((c) => c.name === SESSION_COOKIE)?.value;
    expect(token, res.headers.location as string).toBeTruthy();
    const me = await app.inject({ url: '/api/auth/me', cookies: { [SESSION_COOKIE]: token as string } });
    return { token: token as string, me: me.json() as { user: { email: string }; mfa: { verified: boolean; method: string | null } } };
  }
  const lastSignIn = async () => {
    const row = await services.database.db.selectFrom('audit_log').where('action', '=', 'auth.signin').orderBy('seq', 'desc').select(['result', 'details', 'org_id']).executeTakeFirstOrThrow();
    return row as { result: string; details: Record<string, unknown>; org_id: string | null };
  };
  const refusedWith = async (res: Awaited<ReturnType<typeof finish>>, reason: string, shown: string) => {
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe(`/signin?sso=${shown}`);
    expect(res.cookies.find((c) => c.name === SESSION_COOKIE)).toBeUndefined();
    expect(await lastSignIn()).toMatchObject({ result: 'failure', details: { factor: 'sso', reason } });
  };
  const sign = (claims: JWTPayload, key: SigningKey = privateKey) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(key);

  it('lets administrators configure the connection (secret stored encrypted, never returned); others are refused', async () => {
    const agent = await signInAs(app, await buildUser(services, orgA, { roles: ['agent'] }));
    const auditor = await signInAs(app, await buildUser(services, orgA, { roles: ['auditor'] }));
    expect((await save(connection(), agent)).statusCode).toBe(403);
    expect((await save(connection(), auditor)).statusCode).toBe(403);
    expect((await app.inject({ url: '/api/sso/connection', headers: agent.headers })).statusCode).toBe(403);

    const saved = await save(connection());
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.body).not.toContain(CLIENT_SECRET);
    expect(saved.json()).toMatchObject({ connection: { issuer, clientId: 'trustdesk', hasClientSecret: true, emailDomains: ['a.example'], scopes: ['openid', 'email', 'profile'], trustProviderMfa: false }, redirectUri: expect.stringMatching(/\/api\/auth\/sso\/callback$/) });
    expect(await dumpAllTables(services.database.db)).not.toContain(CLIENT_SECRET);
    // Left out, the secret stays.
    const { clientSecret: _dropped, ...withoutSecret } = connection({ displayName: 'Example' });
    expect((await save(withoutSecret)).json()).toMatchObject({ connection: { displayName: 'Example', hasClientSecret: true } });

    // Bad settings: a plain-http issuer elsewhere than loopback, scopes without email, SSO-only without break-glass.
    expect((await save(connection({ issuer: 'http://idp.example.com' }))).json()).toMatchObject({ code: 'validation_failed' });
    expect((await save(connection({ scopes: ['openid'] }))).json()).toMatchObject({ code: 'validation_failed' });
    expect((await save(connection({ ssoOnly: true }))).json()).toMatchObject({ code: 'validation_failed' });
    // A break-glass account of another organisation is not accepted.
    const stranger = await buildUser(services, orgB, { roles: ['administrator'] });
    expect((await save(connection({ ssoOnly: true, breakGlassUserIds: [stranger.userId] }))).json()).toMatchObject({ code: 'validation_failed' });

    // Another organisation cannot claim the domain, and sees only its own (empty) settings.
    const adminB = await signInAs(app, await buildUser(services, orgB, { roles: ['administrator'] }));
    expect((await save(connection({ emailDomains: ['b.example', 'a.example'] }), adminB)).statusCode).toBe(409);
    expect((await app.inject({ url: '/api/sso/connection', headers: adminB.headers })).json()).toMatchObject({ connection: null });
    const audit = await services.database.db.selectFrom('audit_log').where('action', '=', 'sso.connection.save').select('details').execute();
    expect(audit.length).toBe(2);
    expect(JSON.stringify(audit)).not.toContain(CLIENT_SECRET);
  });

  it('discovers the provider by email domain only', async () => {
    const other = await app.inject({ method: 'POST', url: '/api/auth/sso/discover', payload: { email: 'someone@elsewhere.example' } });
    expect(other.json()).toEqual({ provider: null, authorizationUrl: null });
    expect(other.cookies.find((c) => c.name === SSO_COOKIE)).toBeUndefined();
    const res = await app.inject({ method: 'POST', url: '/api/auth/sso/discover', payload: { email: 'Alice@A.example' } });
    const url = new URL((res.json() as { authorizationUrl: string }).authorizationUrl);
    expect(url.origin).toBe(issuer);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ client_id: 'trustdesk', response_type: 'code', code_challenge_method: 'S256', scope: 'openid email profile' });
    expect(url.searchParams.get('state')).toBeTruthy();
    expect(url.searchParams.get('nonce')).toBeTruthy();
    // The PKCE verifier is never stored: only hashes of the state and the browser's cookie, and the nonce.
    const stored = await services.database.db.selectFrom('sso_requests').selectAll().orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    expect(Object.keys(stored).sort()).toEqual(['binding_hash', 'connection_id', 'created_at', 'expires_at', 'nonce', 'org_id', 'state_hash', 'used_at']);
  });

  it('signs a member in; by default Trustdesk still asks for its own second factor, and the session says it began with SSO', async () => {
    const res = await signInVia('alice@a.example', { accountId: 'alice', amr: ['pwd', 'mfa'] });
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe('/');
    const { token, me } = await meOf(res);
    expect(me).toMatchObject({ user: { email: 'alice@a.example' }, mfa: { verified: false, method: null } });
    // Everything but the second-factor step stays closed.
    expect((await app.inject({ url: '/api/tickets', cookies: { [SESSION_COOKIE]: token } })).json()).toMatchObject({ code: 'mfa_required' });
    const session = await services.database.db.selectFrom('sessions').where('user_id', '=', alice.userId).orderBy('created_at', 'desc').select(['signin_method', 'mfa_at']).executeTakeFirstOrThrow();
    expect(session).toEqual({ signin_method: 'sso', mfa_at: null });
    expect(await lastSignIn()).toMatchObject({ result: 'success', org_id: orgA.orgId, details: { factor: 'sso', secondFactor: 'trustdesk', amr: ['pwd', 'mfa'] } });
  });

  it('trusts the provider’s MFA only when the organisation says so, and a passkey-only role only on a phishing-resistant assertion', async () => {
    expect((await save(connection({ trustProviderMfa: true, phishingResistantAcrValues: ['urn:example:acr:phr'] }))).statusCode).toBe(200);
    // An agent with the provider's MFA is done.
    expect((await meOf(await signInVia('alice@a.example', { accountId: 'alice', amr: ['pwd', 'mfa'] }))).me.mfa).toEqual({ verified: true, method: 'sso-mfa', phishingResistantRequired: false });
    expect(await lastSignIn()).toMatchObject({ details: { secondFactor: 'sso-mfa' } });
    // Password alone at the provider: Trustdesk's factor follows.
    expect((await meOf(await signInVia('alice@a.example', { accountId: 'alice', amr: ['pwd'] }))).me.mfa.verified).toBe(false);
    // An administrator (passkey required): MFA is not enough, a hardware key or the configured acr is.
    expect((await meOf(await signInVia('ada@a.example', { accountId: 'ada', amr: ['pwd', 'mfa'] }))).me.mfa).toMatchObject({ verified: false, method: 'sso-mfa', phishingResistantRequired: true });
    expect((await meOf(await signInVia('ada@a.example', { accountId: 'ada', amr: ['hwk'] }))).me.mfa).toMatchObject({ verified: true, method: 'sso-phishing-resistant' });
    expect((await meOf(await signInVia('ada@a.example', { accountId: 'ada', acr: 'urn:example:acr:phr' }))).me.mfa).toMatchObject({ verified: true, method: 'sso-phishing-resistant' });
    expect(await lastSignIn()).toMatchObject({ details: { secondFactor: 'sso-phishing-resistant', acr: 'urn:example:acr:phr' } });
    expect(ada.orgId).toBe(orgA.orgId);
    await save(connection());
  });

  it('refuses a changed state, another browser, and a replayed answer', async () => {
    const cb = await toCallback('alice@a.example', { accountId: 'alice' });
    const changed = new URL(cb.path, 'http://x');
    changed.searchParams.set('state', 'forged-state-value');
    await refusedWith(await finish(`${changed.pathname}${changed.search}`, cb.binding), 'state_mismatch', 'expired');
    // Someone else's browser (a login-CSRF attempt: the attacker's answer in the victim's browser).
    const other = await toCallback('alice@a.example', { accountId: 'alice' });
    await refusedWith(await finish(other.path, 'not-this-browser'), 'browser_mismatch', 'expired');
    // The same answer twice: the first signs in, the second is refused without reaching the provider.
    const once = await toCallback('alice@a.example', { accountId: 'alice' });
    expect((await finish(once.path, once.binding)).headers.location).toBe('/');
    await refusedWith(await finish(once.path, once.binding), 'response_replayed', 'expired');
  });

  it('refuses a code used twice, even with a fresh request around it (the provider refuses the code)', async () => {
    const first = await toCallback('alice@a.example', { accountId: 'alice' });
    expect((await finish(first.path, first.binding)).headers.location).toBe('/');
    const second = await toCallback('alice@a.example', { accountId: 'alice' });
    const reused = new URL(second.path, 'http://x');
    reused.searchParams.set('code', new URL(first.path, 'http://x').searchParams.get('code') as string);
    await refusedWith(await finish(`${reused.pathname}${reused.search}`, second.binding), 'code_rejected', 'failed');
  });

  it('refuses ID tokens with a wrong nonce, for another client, from another issuer, with a bad signature, or expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, (c: JWTPayload) => Promise<string>]> = [
      ['nonce_mismatch', (c) => sign({ ...c, email: 'alice@a.example', email_verified: true, nonce: 'another-nonce' })],
      ['audience_mismatch', (c) => sign({ ...c, email: 'alice@a.example', email_verified: true, aud: 'other-app', azp: 'other-app' })],
      ['issuer_mismatch', (c) => sign({ ...c, email: 'alice@a.example', email_verified: true, iss: 'https://evil.example' }, attackerKey)],
      ['signature_invalid', (c) => sign({ ...c, email: 'alice@a.example', email_verified: true }, attackerKey)],
      ['token_expired', (c) => sign({ ...c, email: 'alice@a.example', email_verified: true, iat: now - 7200, exp: now - 3600 })],
    ];
    for (const [reason, forge] of cases) {
      const cb = await toCallback('alice@a.example', { accountId: 'alice' });
      tamper = forge;
      await refusedWith(await finish(cb.path, cb.binding), reason, 'failed');
      expect(tamper, reason).toBeNull();
    }
    // The proxy itself is sound: the provider's token, re-signed with its own key and unchanged, is accepted.
    const cb = await toCallback('alice@a.example', { accountId: 'alice' });
    tamper = (c) => sign({ ...c, email: 'alice@a.example', email_verified: true });
    expect((await finish(cb.path, cb.binding)).headers.location).toBe('/');
  });

  it('refuses an unverified email, an unknown person, and another organisation’s member', async () => {
    await refusedWith(await signInVia('dave@a.example', { accountId: 'dave' }), 'email_not_verified', 'email_not_verified');
    await refusedWith(await signInVia('carol@a.example', { accountId: 'carol' }), 'unknown_person', 'no_account');
    // Org A's provider asserts an address that belongs to a member of org B.
    await refusedWith(await signInVia('alice@a.example', { accountId: 'bob' }), 'other_organization', 'no_account');
    expect((await lastSignIn()).org_id).toBe(orgA.orgId);
    // A suspended organisation's member: the provider's word does not open what a password may not.
    const db = services.database.db;
    await db.updateTable('organizations').set({ status: 'suspended' }).where('id', '=', orgA.orgId).execute();
    try {
      await refusedWith(await signInVia('alice@a.example', { accountId: 'alice' }), 'organization_suspended', 'suspended');
    } finally {
      await db.updateTable('organizations').set({ status: 'active' }).where('id', '=', orgA.orgId).execute();
    }
  });

  it('never writes a token, code or state into the audit trail', async () => {
    const cb = await toCallback('alice@a.example', { accountId: 'alice' });
    const res = await finish(cb.path, cb.binding);
    expect(res.headers.location).toBe('/');
    const params = new URL(cb.path, 'http://x').searchParams;
    const trail = JSON.stringify(await services.database.db.selectFrom('audit_log').selectAll().execute());
    for (const secret of [params.get('code'), params.get('state'), cb.binding, cb.nonce, CLIENT_SECRET]) expect(trail).not.toContain(secret as string);
    expect(trail).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  });

  it('SSO-only: password sign-in is refused except for named break-glass accounts', async () => {
    const breakGlass = await buildUser(services, orgA, { roles: ['administrator'], email: 'breakglass@a.example' });
    expect((await save(connection({ ssoOnly: true, breakGlassUserIds: [breakGlass.userId] }))).statusCode).toBe(200);
    const refused = await app.inject({ method: 'POST', url: '/api/auth/signin', payload: { email: alice.email, password: alice.password } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ ssoRequired: true });
    expect(await lastSignIn()).toMatchObject({ result: 'denied', details: { reason: 'sso_required' } });
    // A wrong password is answered as before: nothing about SSO.
    expect((await app.inject({ method: 'POST', url: '/api/auth/signin', payload: { email: alice.email, password: 'wrong password entirely' } })).statusCode).toBe(401);
    const allowed = await app.inject({ method: 'POST', url: '/api/auth/signin', payload: { email: breakGlass.email, password: breakGlass.password } });
    expect(allowed.statusCode, allowed.body).toBe(200);
    // Another organisation's password sign-in is untouched.
    const bob = await buildUser(services, orgB, { roles: ['agent'] });
    expect((await app.inject({ method: 'POST', url: '/api/auth/signin', payload: { email: bob.email, password: bob.password } })).statusCode).toBe(200);
    await save(connection());
  });
});
