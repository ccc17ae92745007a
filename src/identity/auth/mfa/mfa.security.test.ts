/**
 * Attacker cases against second factors: replayed and foreign challenges,
 * codes for another account, guessing, racing, and secrets leaking into the
 * audit trail.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../../platform/app/services.js';
import { testDatabaseKinds } from '../../../platform/db/testing.js';
import type { MemoryMailer } from '../../../platform/notify/mailer.js';
import { buildOrg, buildUser, type TestOrg, type TestUser } from '../testing.js';
import { CODE_SENDS_PER_WINDOW } from './codes.service.js';
import { FACTOR_FREE_FAILURES } from './context.js';
import { assertPasskey, enrolTotp, passwordSession, post, registerPasskey, rotatedHeaders, startMfaApp, totpCode, type Headers } from './testing/mfa-testing.js';

const codeIn = (text: string | undefined) => /\b(\d{6})\b/.exec(text ?? '')?.[1] ?? '';
const otherThan = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe.each(testDatabaseKinds)('second factors under attack on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let mailer: MemoryMailer;
  let origin: string;
  let org: TestOrg;
  beforeAll(async () => {
    ({ services, app, mailer, origin } = await startMfaApp(kind));
    org = await buildOrg(services);
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  /** A user with email codes turned on, and a password-only session that asked for a code. */
  async function emailCodeFor(user: TestUser): Promise<{ session: Headers; challengeId: string; code: string }> {
    const pw = await passwordSession(app, user);
    const enrol = await post(app, '/api/auth/mfa/codes/enrol', pw, { channel: 'email' });
    expect((await post(app, '/api/auth/mfa/codes/confirm', pw, { channel: 'email', challengeId: enrol.json().challengeId, code: codeIn(mailer.last(user.email)?.text) })).statusCode).toBe(200);
    const session = await passwordSession(app, user);
    const sent = await post(app, '/api/auth/mfa/codes/send', session, { channel: 'email' });
    expect(sent.statusCode).toBe(200);
    return { session, challengeId: sent.json().challengeId, code: codeIn(mailer.last(user.email)?.text) };
  }

  it('refuses a WebAuthn challenge used twice, used from another session, or expired', async () => {
    const user = await buildUser(services, org);
    const { authenticator } = await registerPasskey(app, await passwordSession(app, user), origin);
    const a = await passwordSession(app, user);
    const b = await passwordSession(app, user);
    const opts = await post(app, '/api/auth/mfa/webauthn/authenticate/options', a);
    const response = authenticator.authenticate(opts.json().options);
    // Session b holds a valid assertion for a's challenge: worthless there.
    expect((await post(app, '/api/auth/mfa/verify', b, { factor: 'webauthn', challengeId: opts.json().challengeId, response })).statusCode).toBe(410);
    expect((await post(app, '/api/auth/mfa/verify', a, { factor: 'webauthn', challengeId: opts.json().challengeId, response })).statusCode).toBe(200);
    // Expired: five minutes and it is gone.
    const late = await post(app, '/api/auth/mfa/webauthn/authenticate/options', b);
    await services.database.db.updateTable('mfa_challenges').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', late.json().challengeId).execute();
    const expired = await post(app, '/api/auth/mfa/verify', b, { factor: 'webauthn', challengeId: late.json().challengeId, response: authenticator.authenticate(late.json().options) });
    expect(expired.statusCode).toBe(410);
  });

  it("cannot use another user's challenge or credential", async () => {
    const alice = await buildUser(services, org);
    const mallory = await buildUser(services, org);
    const aliceKey = await registerPasskey(app, await passwordSession(app, alice), origin);
    const malloryKey = await registerPasskey(app, await passwordSession(app, mallory), origin);
    const alicePw = await passwordSession(app, alice);
    const malloryPw = await passwordSession(app, mallory);
    const aliceOpts = await post(app, '/api/auth/mfa/webauthn/authenticate/options', alicePw);
    // Mallory answers Alice's challenge with her own key, and with a stolen assertion of Alice's.
    const own = malloryKey.authenticator.authenticate(aliceOpts.json().options);
    expect((await post(app, '/api/auth/mfa/verify', malloryPw, { factor: 'webauthn', challengeId: aliceOpts.json().challengeId, response: own })).statusCode).toBe(410);
    const malloryOpts = await post(app, '/api/auth/mfa/webauthn/authenticate/options', malloryPw);
    const stolen = aliceKey.authenticator.authenticate(malloryOpts.json().options);
    expect((await post(app, '/api/auth/mfa/verify', malloryPw, { factor: 'webauthn', challengeId: malloryOpts.json().challengeId, response: stolen })).statusCode).toBe(403);
    expect((await app.inject({ url: '/api/auth/sessions', headers: malloryPw })).json().code).toBe('mfa_required');
    // Alice's challenge was never touched by Mallory's tries.
    const genuine = aliceKey.authenticator.authenticate(aliceOpts.json().options);
    expect((await post(app, '/api/auth/mfa/verify', alicePw, { factor: 'webauthn', challengeId: aliceOpts.json().challengeId, response: genuine })).statusCode).toBe(200);
  });

  it("cannot use another user's emailed code, and does not burn its attempts", async () => {
    const alice = await buildUser(services, org);
    const mallory = await buildUser(services, org);
    const aliceCode = await emailCodeFor(alice);
    const mallorySession = (await emailCodeFor(mallory)).session;
    for (let i = 0; i < 6; i++) {
      const res = await post(app, '/api/auth/mfa/verify', mallorySession, { factor: 'email', challengeId: aliceCode.challengeId, code: aliceCode.code });
      expect(res.statusCode).toBe(410);
    }
    const row = await services.database.db.selectFrom('mfa_challenges').where('id', '=', aliceCode.challengeId).select(['attempts', 'used_at']).executeTakeFirstOrThrow();
    expect(row).toEqual({ attempts: 0, used_at: null });
    expect((await post(app, '/api/auth/mfa/verify', aliceCode.session, { factor: 'email', challengeId: aliceCode.challengeId, code: aliceCode.code })).statusCode).toBe(200);
  });

  it("refuses one user's TOTP code for another, and an enrolment code as a sign-in code", async () => {
    const alice = await buildUser(services, org);
    const bob = await buildUser(services, org);
    const a = await enrolTotp(app, alice);
    await enrolTotp(app, bob);
    const bobPw = await passwordSession(app, bob);
    expect((await post(app, '/api/auth/mfa/verify', bobPw, { factor: 'totp', code: totpCode(a.secret, 1) })).statusCode).toBe(403);
    // A code sent to confirm a new channel is not a sign-in code.
    const carol = await buildUser(services, org);
    const carolPw = await passwordSession(app, carol);
    const enrol = await post(app, '/api/auth/mfa/codes/enrol', carolPw, { channel: 'email' });
    const asSignIn = await post(app, '/api/auth/mfa/verify', carolPw, { factor: 'email', challengeId: enrol.json().challengeId, code: codeIn(mailer.last(carol.email)?.text) });
    expect(asSignIn.statusCode).toBe(410);
    expect((await app.inject({ url: '/api/auth/sessions', headers: carolPw })).statusCode).toBe(401);
  });

  it('locks verification after repeated wrong codes, even for the right code, and audits the lock', async () => {
    const user = await buildUser(services, org);
    const { secret } = await enrolTotp(app, user);
    const pw = await passwordSession(app, user);
    const wrong = otherThan(totpCode(secret, 1));
    const statuses: number[] = [];
    for (let i = 0; i < FACTOR_FREE_FAILURES; i++) {
      // Guesses from several sessions count together: the lock is per account.
      const session = i % 2 === 0 ? pw : await passwordSession(app, user);
      statuses.push((await post(app, '/api/auth/mfa/verify', session, { factor: i % 3 === 0 ? 'recovery' : 'totp', code: i % 3 === 0 ? 'aaaaa-bbbbb' : wrong })).statusCode);
    }
    expect(statuses.slice(0, -1).every((s) => s === 403)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    const right = await post(app, '/api/auth/mfa/verify', pw, { factor: 'totp', code: totpCode(secret, 1) });
    expect(right.statusCode).toBe(429);
    expect(right.json().detail).toMatch(/Try again in \d+ minute/);
    const locked = await services.database.db.selectFrom('audit_log').where('action', '=', 'mfa.verify').where('actor_id', '=', user.userId).select('details').execute();
    expect(locked.some((r) => (r.details as { locked?: boolean }).locked === true)).toBe(true);
  });

  it('caps how many codes can be sent, so new codes cannot be farmed for guessing', async () => {
    const user = await buildUser(services, org);
    const { session } = await emailCodeFor(user); // one enrolment code and one sign-in code so far
    const statuses: number[] = [];
    for (let i = 0; i < CODE_SENDS_PER_WINDOW; i++) statuses.push((await post(app, '/api/auth/mfa/codes/send', session, { channel: 'email' })).statusCode);
    expect(statuses.slice(0, CODE_SENDS_PER_WINDOW - 2)).toEqual(Array(CODE_SENDS_PER_WINDOW - 2).fill(200));
    expect(statuses.slice(CODE_SENDS_PER_WINDOW - 2)).toEqual([429, 429]);
    // Only the newest code is live: asking again retired the older ones.
    const live = await services.database.db.selectFrom('mfa_challenges').where('user_id', '=', user.userId).where('purpose', '=', 'verify').where('used_at', 'is', null).select('id').execute();
    expect(live).toHaveLength(1);
  });

  it('lets exactly one of two simultaneous uses of a TOTP code or recovery code through', async () => {
    const user = await buildUser(services, org);
    const { secret, recoveryCodes } = await enrolTotp(app, user);
    const [s1, s2] = [await passwordSession(app, user), await passwordSession(app, user)];
    const code = totpCode(secret, 1);
    const totp = await Promise.all([s1, s2].map((s) => post(app, '/api/auth/mfa/verify', s, { factor: 'totp', code })));
    expect(totp.map((r) => r.statusCode).sort()).toEqual([200, 403]);
    const [s3, s4] = [await passwordSession(app, user), await passwordSession(app, user)];
    const recovery = await Promise.all([s3, s4].map((s) => post(app, '/api/auth/mfa/verify', s, { factor: 'recovery', code: recoveryCodes?.[0] })));
    expect(recovery.map((r) => r.statusCode).sort()).toEqual([200, 403]);
  });

  it('a session id seen before verification is useless after it (fixation)', async () => {
    const user = await buildUser(services, org);
    const { secret } = await enrolTotp(app, user);
    const pw = await passwordSession(app, user);
    const res = await post(app, '/api/auth/mfa/verify', pw, { factor: 'totp', code: totpCode(secret, 1) });
    expect(res.statusCode).toBe(200);
    expect(rotatedHeaders(res).cookie).not.toBe(pw.cookie);
    expect((await app.inject({ url: '/api/auth/me', headers: pw })).statusCode).toBe(401);
  });

  it('never writes a secret, code or phone number into the audit trail', async () => {
    const user = await buildUser(services, org);
    const { secret, recoveryCodes, headers } = await enrolTotp(app, user);
    const sms = await post(app, '/api/auth/mfa/codes/enrol', headers, { channel: 'sms', phone: '+33 6 12 34 56 78' });
    expect(sms.statusCode).toBe(200);
    const smsBody = (await services.database.db.selectFrom('sms_outbox').where('to_number', '=', '+33612345678').select('body').executeTakeFirstOrThrow()).body;
    await post(app, '/api/auth/mfa/codes/confirm', headers, { channel: 'sms', challengeId: sms.json().challengeId, code: codeIn(smsBody) });
    await post(app, '/api/auth/mfa/verify', await passwordSession(app, user), { factor: 'recovery', code: recoveryCodes?.[1] });
    const rows = await services.database.db.selectFrom('audit_log').where('actor_id', '=', user.userId).selectAll().execute();
    expect(rows.length).toBeGreaterThanOrEqual(5);
    const text = JSON.stringify(rows);
    const secrets = [secret, ...(recoveryCodes ?? []), ...(recoveryCodes ?? []).map((c) => c.replace('-', '')), codeIn(smsBody), '612345678'];
    for (const s of secrets) expect(text).not.toContain(s);
    // Codes are stored only as keyed hashes; the pending phone copy is cleared once confirmed.
    const challenge = await services.database.db.selectFrom('mfa_challenges').where('id', '=', sms.json().challengeId).select(['secret_hash', 'payload_enc', 'challenge']).executeTakeFirstOrThrow();
    expect(challenge.challenge).toBeNull();
    expect(challenge.payload_enc).toBeNull();
    expect(Buffer.from(challenge.secret_hash as Uint8Array).toString('latin1')).not.toContain(codeIn(smsBody));
  });
});
