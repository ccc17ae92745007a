import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import type { MemoryMailer } from '../../platform/notify/mailer.js';
import { isDormant } from '../access-reviews/usage.js';
import { createSetupLink } from './auth.service.js';
import { buildOrg, buildUser, signIn, signInAs, TEST_PASSWORD } from './testing.js';

const cookieOf = (res: { cookies: Array<{ name: string; value: string }> }) => {
  const c = res.cookies.find((x) => x.name === 'td_session');
  return c ? `td_session=${c.value}` : '';
};

describe.each(testDatabaseKinds)('authentication routes on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });
  const mailer = () => services.mailer as MemoryMailer;

  it('checks a password being chosen against the same rules as setup, publicly and without storing it', async () => {
    const check = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/auth/password/check', payload });
    const short = await check({ password: 'short' });
    expect(short.statusCode).toBe(200);
    expect(short.json()).toEqual({ acceptable: false, problem: 'Use at least 12 characters.', minLength: 12, maxLength: 256 });
    expect((await check({ password: 'password1234' })).json()).toMatchObject({ acceptable: false, problem: expect.stringMatching(/too common/) });
    expect((await check({ password: 'Ada.Lovelace!', context: ['ada.lovelace'] })).json()).toMatchObject({ acceptable: false, problem: expect.stringMatching(/your details/) });
    expect((await check({ password: 'a long and unusual passphrase' })).json()).toMatchObject({ acceptable: true, problem: null });
    expect((await check({ password: 'x', context: ['a', 'b', 'c', 'd', 'e', 'f'] })).statusCode).toBe(400);
    expect((await check({ password: 'x', extra: 1 })).statusCode).toBe(400);
  });

  it('first-run setup creates the organisation and admin once; the link cannot be replayed; MFA is required next', async () => {
    expect((await app.inject('/api/setup')).json()).toEqual({ needed: true });
    const token = await createSetupLink(services.database.db);
    const body = { token, organizationName: 'Acme Support', name: 'Ada Admin', email: 'Ada@Acme.example', password: 'a long and unusual passphrase' };
    const weak = await app.inject({ method: 'POST', url: '/api/setup', payload: { ...body, password: 'password1234' } });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().detail).toMatch(/too common/);
    const res = await app.inject({ method: 'POST', url: '/api/setup', payload: body });
    expect(res.statusCode).toBe(201);
    expect(res.json().mfaRequired).toBe(true);
    const cookie = cookieOf(res);
    expect(res.cookies.find((c) => c.name === 'td_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    // The same link again: refused, nothing changed.
    const replay = await app.inject({ method: 'POST', url: '/api/setup', payload: { ...body, email: 'mallory@evil.example' } });
    expect(replay.statusCode).toBe(410);
    // A fresh link after setup is refused too.
    const second = await app.inject({ method: 'POST', url: '/api/setup', payload: { ...body, token: await createSetupLink(services.database.db), email: 'eve@evil.example' } });
    expect(second.statusCode).toBe(409);
    expect((await app.inject('/api/setup')).json()).toEqual({ needed: false });
    // Password-only session: /me works (to drive enrolment), everything else says mfa_required.
    const me = await app.inject({ url: '/api/auth/me', headers: { cookie } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ user: { email: 'ada@acme.example', roles: ['administrator'] }, mfa: { verified: false, phishingResistantRequired: true } });
    const sessions = await app.inject({ url: '/api/auth/sessions', headers: { cookie } });
    expect(sessions.statusCode).toBe(401);
    expect(sessions.json().code).toBe('mfa_required');
    const audit = await services.database.db.selectFrom('audit_log').where('action', '=', 'setup.complete').select('result').execute();
    expect(audit).toEqual([{ result: 'success' }]);
    // The first administrator's sign-in is recorded: the staff page shows it and reviews do not call them dormant.
    const admin = await services.database.db.selectFrom('users').where('email', '=', 'ada@acme.example').select('last_signin_at').executeTakeFirstOrThrow();
    expect(admin.last_signin_at).not.toBeNull();
    expect(isDormant({ lastSigninAt: admin.last_signin_at, days: 90, now: new Date() })).toBe(false);
  });

  it('signs in with the right password, answers alike for a wrong password and an unknown account', async () => {
    const org = await buildOrg(services);
    const user = await buildUser(services, org, { roles: ['agent'] });
    const ok = await app.inject({ method: 'POST', url: '/api/auth/signin', payload: { email: user.email.toUpperCase(), password: TEST_PASSWORD } });
    expect(ok.statusCode).toBe(200);
    const wrong = await app.inject({ method: 'POST', url: '/api/auth/signin', payload: { email: user.email, password: 'not the password at all' } });
    const unknown = await app.inject({ method: 'POST', url: '/api/auth/signin', payload: { email: 'nobody@nowhere.example', password: 'not the password at all' } });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().detail).toBe(unknown.json().detail);
  });

  it('locks an account after repeated failures, tells its owner, and reveals nothing about unknown accounts', async () => {
    const org = await buildOrg(services);
    const user = await buildUser(services, org);
    const attempt = (email: string, password = 'wrong wrong wrong') => app.inject({ method: 'POST', url: '/api/auth/signin', payload: { email, password }, remoteAddress: '198.51.100.7' });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await attempt(user.email)).statusCode);
    expect(codes).toEqual([401, 401, 401, 401, 429]);
    // Even the right password is refused while locked.
    const locked = await attempt(user.email, TEST_PASSWORD);
    expect(locked.statusCode).toBe(429);
    expect(locked.json().detail).toMatch(/Try again in \d+ minute/);
    await services.deferred.drain();
    expect(mailer().last(user.email)?.subject).toMatch(/locked/);
    // An unknown address locks the same way (no account enumeration).
    const ghost: number[] = [];
    for (let i = 0; i < 5; i++) ghost.push((await attempt('ghost@nowhere.example')).statusCode);
    expect(ghost).toEqual([401, 401, 401, 401, 429]);
    const failures = await services.database.db.selectFrom('audit_log').where('action', '=', 'auth.signin').where('result', '=', 'failure').select('id').execute();
    expect(failures.length).toBeGreaterThanOrEqual(10);
  });

  it('requires the CSRF token for cookie-authenticated writes', async () => {
    const org = await buildOrg(services);
    const s = await signIn(app, org);
    const without = await app.inject({ method: 'POST', url: '/api/auth/signout', headers: { cookie: s.headers.cookie } });
    expect(without.statusCode).toBe(403);
    const forged = await app.inject({ method: 'POST', url: '/api/auth/signout', headers: { cookie: s.headers.cookie, 'x-csrf-token': 'x'.repeat(43) } });
    expect(forged.statusCode).toBe(403);
    const ok = await app.inject({ method: 'POST', url: '/api/auth/signout', headers: s.headers });
    expect(ok.statusCode).toBe(200);
    // Signed out: the cookie no longer works.
    expect((await app.inject({ url: '/api/auth/me', headers: s.headers })).statusCode).toBe(401);
  });

  it('ends idle and over-age sessions', async () => {
    const org = await buildOrg(services);
    const idle = await signIn(app, org);
    await services.database.db.updateTable('sessions').set({ last_seen_at: new Date(Date.now() - 31 * 60_000) }).where('user_id', '=', idle.userId).execute();
    expect((await app.inject({ url: '/api/auth/me', headers: idle.headers })).statusCode).toBe(401);
    const old = await signIn(app, org);
    await services.database.db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('user_id', '=', old.userId).execute();
    expect((await app.inject({ url: '/api/auth/me', headers: old.headers })).statusCode).toBe(401);
  });

  it('lists my sessions and lets me end another one', async () => {
    const org = await buildOrg(services);
    const user = await buildUser(services, org);
    const a = await signInAs(app, user);
    const b = await signInAs(app, user);
    const list = await app.inject({ url: '/api/auth/sessions', headers: a.headers });
    expect(list.statusCode).toBe(200);
    const sessions = list.json().sessions as Array<{ id: string; current: boolean }>;
    expect(sessions).toHaveLength(2);
    const other = sessions.find((s) => !s.current)!;
    expect((await app.inject({ method: 'DELETE', url: `/api/auth/sessions/${other.id}`, headers: a.headers })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/auth/me', headers: b.headers })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/auth/me', headers: a.headers })).statusCode).toBe(200);
  });

  it('resets a password with a single-use emailed link, ends every session, and still requires MFA after', async () => {
    const org = await buildOrg(services);
    const user = await buildUser(services, org);
    const before = await signInAs(app, user);
    const unknown = await app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email: 'nobody@nowhere.example' } });
    const known = await app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email: user.email } });
    expect(unknown.statusCode).toBe(202);
    expect(known.statusCode).toBe(202);
    await services.deferred.drain();
    const token = /token=(tdl_[A-Za-z0-9_-]+)/.exec(mailer().last(user.email)?.text ?? '')?.[1];
    expect(token).toBeDefined();
    const done = await app.inject({ method: 'POST', url: '/api/auth/password-reset/complete', payload: { token, password: 'a brand new long passphrase' } });
    expect(done.statusCode).toBe(200);
    const replay = await app.inject({ method: 'POST', url: '/api/auth/password-reset/complete', payload: { token, password: 'yet another long passphrase' } });
    expect(replay.statusCode).toBe(410);
    expect((await app.inject({ url: '/api/auth/me', headers: before.headers })).statusCode).toBe(401);
    const signin = await app.inject({ method: 'POST', url: '/api/auth/signin', payload: { email: user.email, password: 'a brand new long passphrase' } });
    expect(signin.json().mfaRequired).toBe(true);
    const sessions = await app.inject({ url: '/api/auth/sessions', headers: { cookie: cookieOf(signin) } });
    expect(sessions.json().code).toBe('mfa_required');
  });

  it('refuses malformed link tokens without touching the database state', async () => {
    for (const token of ['tdl_not_a_real_token', `tdl_${'A'.repeat(43)}`, `tds_${'A'.repeat(43)}`]) {
      const res = await app.inject({ method: 'POST', url: '/api/auth/accept-invite', payload: { token, password: 'a long enough passphrase' } });
      expect(res.statusCode).toBe(410);
    }
  });
});
