import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../../platform/app/services.js';
import { testDatabaseKinds } from '../../../platform/db/testing.js';
import { buildOrg, buildUser, signInAs, type TestOrg } from '../testing.js';
import { SoftAuthenticator } from './testing/soft-authenticator.js';
import { assertPasskey, enrolTotp, passwordSession, post, registerPasskey, rotatedHeaders, startMfaApp, totpCode } from './testing/mfa-testing.js';

describe.each(testDatabaseKinds)('WebAuthn with a software authenticator on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let origin: string;
  let org: TestOrg;
  beforeAll(async () => {
    ({ services, app, origin } = await startMfaApp(kind));
    org = await buildOrg(services);
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('registers a security key as the first factor, then signs in with it; the counter moves forward', async () => {
    const user = await buildUser(services, org, { roles: ['administrator'] });
    const pw = await passwordSession(app, user);
    const { authenticator, res } = await registerPasskey(app, pw, origin);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ factor: 'webauthn', mfaComplete: true, next: null });
    expect(res.json().recoveryCodes).toHaveLength(10);
    const verified = rotatedHeaders(res);
    expect((await app.inject({ url: '/api/auth/sessions', headers: verified })).statusCode).toBe(200);

    const next = await passwordSession(app, user);
    const { res: signin } = await assertPasskey(app, next, authenticator);
    expect(signin.statusCode).toBe(200);
    expect(signin.json()).toMatchObject({ mfaComplete: true, method: 'webauthn' });
    const session = rotatedHeaders(signin);
    expect((await app.inject({ url: '/api/auth/sessions', headers: session })).statusCode).toBe(200);
    const stored = await services.database.db.selectFrom('webauthn_credentials').where('user_id', '=', user.userId).select(['credential_id', 'counter', 'last_used_at']).executeTakeFirstOrThrow();
    expect(stored.credential_id).toBe(authenticator.id);
    expect(Number(stored.counter)).toBe(authenticator.signCount);
    expect(stored.last_used_at).not.toBeNull();
  });

  it('refuses a replayed assertion, an assertion for another origin or RP, and a counter that went back', async () => {
    const user = await buildUser(services, org);
    const { authenticator, res } = await registerPasskey(app, await passwordSession(app, user), origin);
    expect(res.statusCode).toBe(200);
    const pw = await passwordSession(app, user);

    // The same challenge twice: consumed the first time.
    const first = await assertPasskey(app, pw, authenticator);
    expect(first.res.statusCode).toBe(200);
    const fresh = rotatedHeaders(first.res);
    const replay = await post(app, '/api/auth/mfa/verify', fresh, { factor: 'webauthn', challengeId: first.challengeId, response: first.response });
    expect(replay.statusCode).toBe(410);
    // The old response against a new challenge: it signed the old one.
    const opts = await post(app, '/api/auth/mfa/webauthn/authenticate/options', fresh);
    const stale = await post(app, '/api/auth/mfa/verify', fresh, { factor: 'webauthn', challengeId: opts.json().challengeId, response: first.response });
    expect(stale.statusCode).toBe(403);

    const attempt = async (overrides: Parameters<SoftAuthenticator['authenticate']>[1]) => {
      const o = await post(app, '/api/auth/mfa/webauthn/authenticate/options', fresh);
      const response = authenticator.authenticate(o.json().options, overrides);
      return post(app, '/api/auth/mfa/verify', fresh, { factor: 'webauthn', challengeId: o.json().challengeId, response });
    };
    expect((await attempt({ origin: 'https://trustdesk.evil.example' })).statusCode).toBe(403);
    expect((await attempt({ rpId: 'evil.example' })).statusCode).toBe(403);
    expect((await attempt({ counter: 1 })).statusCode).toBe(403);
    const audit = await services.database.db.selectFrom('audit_log').where('action', '=', 'mfa.verify').where('actor_id', '=', user.userId).where('result', '=', 'failure').select('details').execute();
    expect(audit.map((a) => (a.details as { reason: string }).reason).sort()).toEqual(['counter_regressed', 'invalid_assertion', 'invalid_assertion', 'invalid_assertion', 'no_live_challenge']);
    // And a genuine assertion still works afterwards.
    expect((await attempt({})).statusCode).toBe(200);
  });

  it('refuses a registration made for another origin', async () => {
    const user = await buildUser(services, org);
    const pw = await passwordSession(app, user);
    const opts = await post(app, '/api/auth/mfa/webauthn/register/options', pw);
    const key = new SoftAuthenticator({ origin: 'https://phish.example' });
    const res = await post(app, '/api/auth/mfa/webauthn/register/verify', pw, { challengeId: opts.json().challengeId, response: key.register(opts.json().options) });
    expect(res.statusCode).toBe(403);
    expect(await services.database.db.selectFrom('webauthn_credentials').where('user_id', '=', user.userId).select('id').execute()).toEqual([]);
  });

  it('accepts synced passkeys that keep no counter', async () => {
    const user = await buildUser(services, org);
    const passkey = new SoftAuthenticator({ origin, counterStep: 0 });
    const pw = await passwordSession(app, user);
    const opts = await post(app, '/api/auth/mfa/webauthn/register/options', pw);
    expect((await post(app, '/api/auth/mfa/webauthn/register/verify', pw, { challengeId: opts.json().challengeId, response: passkey.register(opts.json().options) })).statusCode).toBe(200);
    for (let i = 0; i < 2; i++) expect((await assertPasskey(app, await passwordSession(app, user), passkey)).res.statusCode).toBe(200);
  });

  it('makes a phishing-resistant role use WebAuthn: TOTP only opens the way to registering a key', async () => {
    const admin = await buildUser(services, org, { roles: ['administrator'] });
    const { secret, headers: totpSession } = await enrolTotp(app, admin);
    // TOTP was verified, but the role needs a key: everything but enrolment stays closed.
    const blocked = await app.inject({ url: '/api/auth/sessions', headers: totpSession });
    expect(blocked.json()).toMatchObject({ code: 'mfa_required', phishingResistantRequired: true });
    const { authenticator, res } = await registerPasskey(app, totpSession, origin);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ mfaComplete: true, recoveryCodes: null });
    expect((await app.inject({ url: '/api/auth/sessions', headers: rotatedHeaders(res) })).statusCode).toBe(200);

    // Now that a key exists, TOTP is refused outright, with a clear problem.
    const pw = await passwordSession(app, admin);
    const refused = await post(app, '/api/auth/mfa/verify', pw, { factor: 'totp', code: totpCode(secret, 1) });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ phishingResistantRequired: true });
    expect(refused.json().detail).toMatch(/passkey or security key/);
    expect((await app.inject({ url: '/api/auth/sessions', headers: pw })).statusCode).toBe(401);
    const ok = await assertPasskey(app, pw, authenticator);
    expect(ok.res.json()).toMatchObject({ mfaComplete: true, method: 'webauthn' });
    // Step-up too takes only the key.
    const stale = await signInAs(app, admin, { mfa: 'webauthn', stepUp: false });
    expect((await post(app, '/api/auth/step-up', stale.headers, { factor: 'totp', code: totpCode(secret, 1) })).statusCode).toBe(403);
    expect((await assertPasskey(app, stale.headers, authenticator, '/api/auth/step-up')).res.statusCode).toBe(200);
  });

  it('lists, renames and removes credentials; removal needs step-up and keeps the last key a role needs', async () => {
    const admin = await buildUser(services, org, { roles: ['administrator'] });
    const first = await registerPasskey(app, await passwordSession(app, admin), origin);
    const session = rotatedHeaders(first.res);
    const second = await registerPasskey(app, session, origin);
    expect(second.res.statusCode).toBe(200);
    const list = await app.inject({ url: '/api/auth/mfa/webauthn/credentials', headers: session });
    expect(list.json().credentials).toHaveLength(2);
    const [a, b] = list.json().credentials as Array<{ id: string }>;
    expect((await app.inject({ method: 'PATCH', url: `/api/auth/mfa/webauthn/credentials/${a!.id}`, headers: session, payload: { name: 'Desk key' } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/auth/mfa', headers: session })).json().factors.webauthn[0].name).toBe('Desk key');
    // Someone else's credential id: not found.
    const other = await buildUser(services, org);
    const otherSession = await signInAs(app, other);
    expect((await app.inject({ method: 'PATCH', url: `/api/auth/mfa/webauthn/credentials/${a!.id}`, headers: otherSession.headers, payload: { name: 'Mine now' } })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: `/api/auth/mfa/webauthn/credentials/${a!.id}`, headers: otherSession.headers })).statusCode).toBe(404);

    const stale = await signInAs(app, admin, { mfa: 'webauthn', stepUp: false });
    expect((await app.inject({ method: 'DELETE', url: `/api/auth/mfa/webauthn/credentials/${a!.id}`, headers: stale.headers })).json().code).toBe('step_up_required');
    expect((await app.inject({ method: 'DELETE', url: `/api/auth/mfa/webauthn/credentials/${a!.id}`, headers: session })).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: `/api/auth/mfa/webauthn/credentials/${b!.id}`, headers: session })).statusCode).toBe(409);
    // The removed key no longer signs in.
    const pw = await passwordSession(app, admin);
    const gone = await assertPasskey(app, pw, first.authenticator);
    expect(gone.res.statusCode).toBe(403);
  });
});
