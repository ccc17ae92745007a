import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../../platform/app/services.js';
import { testDatabaseKinds } from '../../../platform/db/testing.js';
import type { MemoryMailer } from '../../../platform/notify/mailer.js';
import { requirePermission } from '../access.js';
import { hashSecret, newSecret } from '../secrets.js';
import { buildOrg, buildUser, signIn, signInAs, TEST_PASSWORD, type TestOrg } from '../testing.js';
import { enrolTotp, forgetTotpUse, passwordSession, post, rotatedHeaders, startMfaApp, totpCode } from './testing/mfa-testing.js';

/** A route only the test registers: reveal needs 'customers.reveal', a step-up permission. */
async function revealRoute(app: FastifyInstance): Promise<void> {
  app.get('/api/test/reveal', { preHandler: requirePermission('customers.reveal', { stepUpWindowMs: app.auth.stepUpWindowMs }) }, async () => ({ revealed: true }));
}

const codeIn = (text: string | undefined) => /\b(\d{6})\b/.exec(text ?? '')?.[1] ?? '';

describe.each(testDatabaseKinds)('second-factor routes on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let mailer: MemoryMailer;
  let org: TestOrg;
  beforeAll(async () => {
    ({ services, app, mailer } = await startMfaApp(kind, [revealRoute]));
    org = await buildOrg(services);
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });
  const actions = async (name: string) =>
    services.database.db.selectFrom('audit_log').where('action', '=', name).select(['result', 'details', 'actor_id']).execute();

  it('requires a second factor before anything else after the first password sign-in, then rotates the session', async () => {
    const user = await buildUser(services, org);
    const signin = await app.inject({ method: 'POST', url: '/api/auth/signin', payload: { email: user.email, password: TEST_PASSWORD } });
    expect(signin.statusCode).toBe(200);
    const pw = rotatedHeaders(signin);
    const blocked = await app.inject({ url: '/api/auth/sessions', headers: pw });
    expect(blocked.statusCode).toBe(401);
    expect(blocked.json().code).toBe('mfa_required');
    const overview = await app.inject({ url: '/api/auth/mfa', headers: pw });
    expect(overview.statusCode).toBe(200);
    expect(overview.json()).toMatchObject({ verified: false, factors: { totp: false, webauthn: [], recoveryCodesLeft: 0 } });

    const start = await post(app, '/api/auth/mfa/totp/enrol', pw);
    expect(start.statusCode).toBe(200);
    const { secret, uri } = start.json();
    expect(uri).toMatch(/^otpauth:\/\/totp\/.*secret=/);
    expect((await post(app, '/api/auth/mfa/totp/confirm', pw, { code: '000000' === totpCode(secret) ? '111111' : '000000' })).statusCode).toBe(403);
    const done = await post(app, '/api/auth/mfa/totp/confirm', pw, { code: totpCode(secret) });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ factor: 'totp', mfaComplete: true, next: null });
    expect(done.json().recoveryCodes).toHaveLength(10);
    const verified = rotatedHeaders(done);
    // The pre-MFA session id is dead; the new one reaches everything its role allows.
    expect((await app.inject({ url: '/api/auth/me', headers: pw })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/auth/sessions', headers: verified })).statusCode).toBe(200);
    expect((await actions('mfa.enrol')).filter((a) => a.actor_id === user.userId).map((a) => a.result)).toEqual(['failure', 'success']);
    // The secret is stored encrypted, not as the base32 the app showed.
    const row = await services.database.db.selectFrom('mfa_totp').where('user_id', '=', user.userId).select('secret_enc').executeTakeFirstOrThrow();
    expect(Buffer.from(row.secret_enc).toString('latin1')).not.toContain(secret);
  });

  it('refuses a TOTP code that was already used, and accepts the next one', async () => {
    const user = await buildUser(services, org);
    const { secret, confirmedWith } = await enrolTotp(app, user);
    const pw = await passwordSession(app, user);
    // The confirmation used this code (this step, or the one just gone): the same code cannot sign in.
    const replay = await post(app, '/api/auth/mfa/verify', pw, { factor: 'totp', code: confirmedWith });
    expect(replay.statusCode).toBe(403);
    expect(replay.json().detail).toMatch(/already used/);
    const next = await post(app, '/api/auth/mfa/verify', pw, { factor: 'totp', code: totpCode(secret, 1) });
    expect(next.statusCode).toBe(200);
    expect(next.json()).toMatchObject({ mfaComplete: true, method: 'totp' });
    // And that one cannot be used again, from another session either.
    const other = await passwordSession(app, user);
    expect((await post(app, '/api/auth/mfa/verify', other, { factor: 'totp', code: totpCode(secret, 1) })).statusCode).toBe(403);
    expect((await app.inject({ url: '/api/auth/sessions', headers: other })).json().code).toBe('mfa_required');
  });

  it('needs a verified session to add a factor once one exists (a stolen password cannot add one)', async () => {
    const user = await buildUser(services, org);
    const { headers } = await enrolTotp(app, user);
    const pw = await passwordSession(app, user);
    for (const url of ['/api/auth/mfa/totp/enrol', '/api/auth/mfa/webauthn/register/options']) {
      const res = await post(app, url, pw);
      expect(res.statusCode, url).toBe(401);
      expect(res.json().code).toBe('mfa_required');
    }
    expect((await post(app, '/api/auth/mfa/codes/enrol', pw, { channel: 'email' })).json().code).toBe('mfa_required');
    // From the verified session it works.
    expect((await post(app, '/api/auth/mfa/webauthn/register/options', headers)).statusCode).toBe(200);
    // An authenticator app is one per account.
    expect((await post(app, '/api/auth/mfa/totp/enrol', headers)).statusCode).toBe(409);
  });

  it('accepts a recovery code once; regenerating needs step-up and replaces every code', async () => {
    const user = await buildUser(services, org);
    const { recoveryCodes, headers } = await enrolTotp(app, user);
    const [first, second] = recoveryCodes as [string, string];
    const a = await passwordSession(app, user);
    const used = await post(app, '/api/auth/mfa/verify', a, { factor: 'recovery', code: first.toUpperCase().replace('-', ' ') });
    expect(used.statusCode).toBe(200);
    expect(used.json()).toMatchObject({ mfaComplete: true, method: 'recovery' });
    const b = await passwordSession(app, user);
    expect((await post(app, '/api/auth/mfa/verify', b, { factor: 'recovery', code: first })).statusCode).toBe(403);
    const overview = await app.inject({ url: '/api/auth/mfa', headers });
    expect(overview.json().factors.recoveryCodesLeft).toBe(9);

    const stale = await signInAs(app, user, { mfa: 'totp', stepUp: false });
    const refused = await post(app, '/api/auth/mfa/recovery-codes', stale.headers);
    expect(refused.json().code).toBe('step_up_required');
    const regen = await post(app, '/api/auth/mfa/recovery-codes', headers);
    expect(regen.statusCode).toBe(200);
    expect(regen.json().recoveryCodes).toHaveLength(10);
    expect((await post(app, '/api/auth/mfa/verify', b, { factor: 'recovery', code: second })).statusCode).toBe(403);
    expect((await post(app, '/api/auth/mfa/verify', b, { factor: 'recovery', code: regen.json().recoveryCodes[0] })).statusCode).toBe(200);
  });

  it('enforces step-up on a customers.reveal route until a fresh factor is proven', async () => {
    const user = await buildUser(services, org, { roles: ['agent'] });
    const { secret } = await enrolTotp(app, user);
    const stale = await signInAs(app, user, { mfa: 'totp', stepUp: false });
    const before = await app.inject({ url: '/api/test/reveal', headers: stale.headers });
    expect(before.statusCode).toBe(401);
    expect(before.json().code).toBe('step_up_required');
    const wrong = await post(app, '/api/auth/step-up', stale.headers, { factor: 'totp', code: totpCode(secret, 1) === '123456' ? '654321' : '123456' });
    expect(wrong.statusCode).toBe(403);
    expect((await app.inject({ url: '/api/test/reveal', headers: stale.headers })).statusCode).toBe(401);
    const step = await post(app, '/api/auth/step-up', stale.headers, { factor: 'totp', code: totpCode(secret, 1) });
    expect(step.statusCode).toBe(200);
    expect(Date.parse(step.json().stepUpUntil)).toBeGreaterThan(Date.now());
    const after = await app.inject({ url: '/api/test/reveal', headers: stale.headers });
    expect(after.statusCode).toBe(200);
    expect(after.json()).toEqual({ revealed: true });
    // A password-only session cannot step up; the gate answers first.
    const pw = await passwordSession(app, user);
    expect((await post(app, '/api/auth/step-up', pw, { factor: 'totp', code: totpCode(secret, 1) })).json().code).toBe('mfa_required');
    const audit = await actions('auth.step_up');
    expect(audit.filter((a) => a.actor_id === user.userId).map((a) => a.result)).toEqual(['failure', 'success']);
  });

  it('sends email codes only to people who turned them on, and caps attempts at five per code', async () => {
    const user = await buildUser(services, org);
    const pw = await passwordSession(app, user);
    expect((await post(app, '/api/auth/mfa/codes/send', pw, { channel: 'email' })).statusCode).toBe(400);
    const enrol = await post(app, '/api/auth/mfa/codes/enrol', pw, { channel: 'email' });
    expect(enrol.statusCode).toBe(200);
    const confirm = await post(app, '/api/auth/mfa/codes/confirm', pw, { channel: 'email', challengeId: enrol.json().challengeId, code: codeIn(mailer.last(user.email)?.text) });
    expect(confirm.statusCode).toBe(200);
    expect(confirm.json()).toMatchObject({ factor: 'email', mfaComplete: true });

    const next = await passwordSession(app, user);
    const sent = await post(app, '/api/auth/mfa/codes/send', next, { channel: 'email' });
    expect(sent.statusCode).toBe(200);
    const { challengeId } = sent.json();
    const code = codeIn(mailer.last(user.email)?.text);
    const wrong = code === '000000' ? '000001' : '000000';
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(app, '/api/auth/mfa/verify', next, { factor: 'email', challengeId, code: wrong })).statusCode);
    expect(statuses).toEqual([403, 403, 403, 403, 403]);
    // The sixth try, even with the right code, finds the challenge spent.
    const late = await post(app, '/api/auth/mfa/verify', next, { factor: 'email', challengeId, code });
    expect(late.statusCode).toBe(410);
    const row = await services.database.db.selectFrom('mfa_challenges').where('id', '=', challengeId).select(['attempts', 'used_at']).executeTakeFirstOrThrow();
    expect(row.attempts).toBe(5);
    // A fresh code works once.
    const again = await post(app, '/api/auth/mfa/codes/send', next, { channel: 'email' });
    const ok = await post(app, '/api/auth/mfa/verify', next, { factor: 'email', challengeId: again.json().challengeId, code: codeIn(mailer.last(user.email)?.text) });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ method: 'email', mfaComplete: true });
  });

  it('sends SMS codes through the development outbox, which only an administrator (with step-up) can read', async () => {
    const admin = await signIn(app, org, { roles: ['administrator'] });
    const user = await buildUser(services, org);
    const pw = await passwordSession(app, user);
    expect((await post(app, '/api/auth/mfa/codes/enrol', pw, { channel: 'sms', phone: 'not a phone' })).statusCode).toBe(400);
    const enrol = await post(app, '/api/auth/mfa/codes/enrol', pw, { channel: 'sms', phone: '+44 7911 123456' });
    expect(enrol.statusCode).toBe(200);
    expect(enrol.json().destination).toMatch(/^\+44•+56$/);
    const outbox = await app.inject({ url: '/api/auth/mfa/sms-outbox', headers: admin.headers });
    expect(outbox.statusCode).toBe(200);
    expect(outbox.json().driver).toBe('outbox');
    const message = outbox.json().messages[0];
    expect(message.to).toBe('+447911123456');
    const confirm = await post(app, '/api/auth/mfa/codes/confirm', pw, { channel: 'sms', challengeId: enrol.json().challengeId, code: codeIn(message.body) });
    expect(confirm.statusCode).toBe(200);
    const verifiedHeaders = rotatedHeaders(confirm);
    expect((await app.inject({ url: '/api/auth/mfa', headers: verifiedHeaders })).json().factors.sms).toEqual({ enrolled: true, phone: expect.stringMatching(/^\+44•+56$/) });
    // The phone number is stored encrypted.
    const phone = await services.database.db.selectFrom('user_phones').where('user_id', '=', user.userId).select('phone_enc').executeTakeFirstOrThrow();
    expect(Buffer.from(phone.phone_enc).toString('latin1')).not.toContain('7911123456');

    const later = await passwordSession(app, user);
    const sent = await post(app, '/api/auth/mfa/codes/send', later, { channel: 'sms' });
    const body = (await app.inject({ url: '/api/auth/mfa/sms-outbox', headers: admin.headers })).json().messages[0].body;
    const ok = await post(app, '/api/auth/mfa/verify', later, { factor: 'sms', challengeId: sent.json().challengeId, code: codeIn(body) });
    expect(ok.json()).toMatchObject({ method: 'sms', mfaComplete: true });

    // The outbox: anonymous 401, an agent 403, an administrator without a fresh factor step_up_required.
    expect((await app.inject({ url: '/api/auth/mfa/sms-outbox' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/auth/mfa/sms-outbox', headers: verifiedHeaders })).statusCode).toBe(403);
    const staleAdmin = await signIn(app, org, { roles: ['administrator'], stepUp: false });
    expect((await app.inject({ url: '/api/auth/mfa/sms-outbox', headers: staleAdmin.headers })).json().code).toBe('step_up_required');
    // Another organisation's administrator sees none of these messages.
    const otherAdmin = await signIn(app, await buildOrg(services), { roles: ['administrator'] });
    expect((await app.inject({ url: '/api/auth/mfa/sms-outbox', headers: otherAdmin.headers })).json().messages).toEqual([]);
  });

  it('removes my own factor only with step-up and never the last one', async () => {
    const user = await buildUser(services, org);
    const { headers, secret } = await enrolTotp(app, user);
    const stale = await signInAs(app, user, { mfa: 'totp', stepUp: false });
    expect((await app.inject({ method: 'DELETE', url: '/api/auth/mfa/totp', headers: stale.headers })).json().code).toBe('step_up_required');
    const last = await app.inject({ method: 'DELETE', url: '/api/auth/mfa/totp', headers });
    expect(last.statusCode).toBe(409);
    // Add email codes, then the app can go.
    const enrol = await post(app, '/api/auth/mfa/codes/enrol', headers, { channel: 'email' });
    const confirm = await post(app, '/api/auth/mfa/codes/confirm', headers, { channel: 'email', challengeId: enrol.json().challengeId, code: codeIn(mailer.last(user.email)?.text) });
    expect(confirm.json()).toMatchObject({ factor: 'email', recoveryCodes: null });
    expect((await app.inject({ method: 'DELETE', url: '/api/auth/mfa/totp', headers })).statusCode).toBe(200);
    await forgetTotpUse(services, user.userId);
    const pw = await passwordSession(app, user);
    expect((await post(app, '/api/auth/mfa/verify', pw, { factor: 'totp', code: totpCode(secret) })).statusCode).toBe(400);
    expect((await actions('mfa.remove')).filter((a) => a.actor_id === user.userId)).toHaveLength(1);
    expect(mailer.last(user.email)?.subject).toMatch(/removed/);
  });

  it("lets an administrator with step-up reset another person's factors, ending their sessions", async () => {
    const user = await buildUser(services, org);
    const { headers } = await enrolTotp(app, user);
    const admin = await signIn(app, org, { roles: ['administrator'] });
    const agent = await signIn(app, org, { roles: ['agent'] });
    const staleAdmin = await signIn(app, org, { roles: ['administrator'], stepUp: false });
    const url = `/api/auth/mfa/reset/${user.userId}`;
    expect((await app.inject({ method: 'POST', url })).statusCode).toBe(401);
    expect((await post(app, url, agent.headers)).statusCode).toBe(403);
    expect((await post(app, url, staleAdmin.headers)).json().code).toBe('step_up_required');
    const otherOrgAdmin = await signIn(app, await buildOrg(services), { roles: ['administrator'] });
    expect((await post(app, url, otherOrgAdmin.headers)).statusCode).toBe(404);
    expect((await post(app, `/api/auth/mfa/reset/${admin.userId}`, admin.headers)).statusCode).toBe(403);
    const reset = await post(app, url, admin.headers);
    expect(reset.statusCode).toBe(200);
    expect(reset.json()).toMatchObject({ removed: { totp: 1, recoveryCodes: 10 }, sessionsEnded: 1 });
    expect((await app.inject({ url: '/api/auth/me', headers })).statusCode).toBe(401);
    // At the next sign-in the person enrols again from the password session.
    const pw = await passwordSession(app, user);
    expect((await post(app, '/api/auth/mfa/totp/enrol', pw)).statusCode).toBe(200);
    const audit = await actions('mfa.reset');
    expect(audit.at(-1)).toMatchObject({ result: 'success', actor_id: admin.userId });
  });

  it('refuses API tokens on factor routes: factors belong to browser sessions', async () => {
    const user = await buildUser(services, org);
    const token = newSecret('tdt');
    await services.database.db.insertInto('api_tokens').values({ id: randomUUID(), org_id: org.orgId, user_id: user.userId, kind: 'personal', name: 'ci', token_hash: hashSecret(token), prefix: token.slice(0, 8), scopes: ['users.read'], expires_at: new Date(Date.now() + 3_600_000) }).execute();
    const authorization = `Bearer ${token}`;
    expect((await app.inject({ url: '/api/auth/me', headers: { authorization } })).statusCode).toBe(200);
    for (const [method, url] of [['GET', '/api/auth/mfa'], ['POST', '/api/auth/mfa/totp/enrol'], ['POST', '/api/auth/mfa/webauthn/register/options']] as const) {
      const res = await app.inject({ method, url, headers: { authorization } });
      expect(res.statusCode, url).toBe(403);
    }
    expect(await services.database.db.selectFrom('mfa_totp').where('user_id', '=', user.userId).select('user_id').execute()).toEqual([]);
  });
});
