/**
 * Test helpers for second factors: an app with the MFA routes, sessions that
 * follow a rotation, and TOTP codes for now and the next step.
 */
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { Services } from '../../../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../../../platform/app/testing.js';
import type { DatabaseKind } from '../../../../platform/db/database.js';
import { buildApp } from '../../../../platform/http/app.js';
import { appRoutes } from '../../../../platform/http/routes.js';
import type { MemoryMailer } from '../../../../platform/notify/mailer.js';
import { signInAs, type SignedIn, type TestUser } from '../../testing.js';
import { mfaRoutes } from '../mfa.routes.js';
import { totpCodeForStep, totpStepAt } from '../totp.js';
import { SoftAuthenticator } from './soft-authenticator.js';

export interface MfaTestApp {
  services: Services;
  app: FastifyInstance;
  mailer: MemoryMailer;
  origin: string;
}

export async function startMfaApp(kind: DatabaseKind, extra: Array<(app: FastifyInstance) => Promise<void>> = []): Promise<MfaTestApp> {
  const services = await createTestServices(kind);
  // Once the lead lists mfaRoutes in appRoutes, registering it twice would clash.
  const routes = appRoutes.includes(mfaRoutes) ? appRoutes : [...appRoutes, mfaRoutes];
  const app = await buildApp({ services, routes: [...routes, ...extra], schemaCache: testSchemaCache });
  await app.ready();
  return { services, app, mailer: services.mailer as MemoryMailer, origin: new URL(services.config.publicUrl).origin };
}

export type Headers = SignedIn['headers'];

/** The headers of the session a response rotated to (new cookie, new CSRF token). */
export function rotatedHeaders(res: { cookies: Array<{ name: string; value: string }>; json(): unknown }): Headers {
  const cookie = res.cookies.find((c) => c.name === 'td_session');
  expect(cookie, 'the response set a new session cookie').toBeDefined();
  const body = res.json() as { csrfToken: string };
  return { cookie: `td_session=${cookie?.value}`, 'x-csrf-token': body.csrfToken };
}

/** A password-only session (what /api/auth/signin gives). */
export async function passwordSession(app: FastifyInstance, user: TestUser): Promise<Headers> {
  return (await signInAs(app, user, { mfa: false })).headers;
}

export function totpCode(secret: string, offsetSteps = 0): string {
  return totpCodeForStep(secret, totpStepAt(new Date()) + offsetSteps);
}

/** Lets a test use another code in the same 30 s (the replay guard otherwise, rightly, refuses older steps). */
export async function forgetTotpUse(services: Services, userId: string): Promise<void> {
  await services.database.db.updateTable('mfa_totp').set({ last_step: 0 }).where('user_id', '=', userId).execute();
}

export async function post(app: FastifyInstance, url: string, headers: Headers, payload?: unknown) {
  return app.inject({ method: 'POST', url, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
}

/** Enrols TOTP as the first factor through the routes; returns the secret, the verified session and recovery codes. */
export async function enrolTotp(app: FastifyInstance, user: TestUser): Promise<{ secret: string; headers: Headers; recoveryCodes: string[] | null; confirmedWith: string }> {
  const pw = await passwordSession(app, user);
  const start = await post(app, '/api/auth/mfa/totp/enrol', pw);
  expect(start.statusCode).toBe(200);
  const { secret } = start.json() as { secret: string };
  // The code the confirmation used: a replay test must replay this one, not whatever step it is by then.
  const confirmedWith = totpCode(secret);
  const done = await post(app, '/api/auth/mfa/totp/confirm', pw, { code: confirmedWith });
  expect(done.statusCode).toBe(200);
  return { secret, headers: rotatedHeaders(done), recoveryCodes: (done.json() as { recoveryCodes: string[] | null }).recoveryCodes, confirmedWith };
}

/** Registers a software authenticator through the routes from the given session. */
export async function registerPasskey(app: FastifyInstance, headers: Headers, origin: string): Promise<{ authenticator: SoftAuthenticator; res: Awaited<ReturnType<FastifyInstance['inject']>> }> {
  const authenticator = new SoftAuthenticator({ origin });
  const opts = await post(app, '/api/auth/mfa/webauthn/register/options', headers);
  expect(opts.statusCode).toBe(200);
  const { challengeId, options } = opts.json();
  const res = await post(app, '/api/auth/mfa/webauthn/register/verify', headers, { challengeId, response: authenticator.register(options), name: 'Test key' });
  return { authenticator, res };
}

/** Signs in with the authenticator: options, assertion, verify. */
export async function assertPasskey(app: FastifyInstance, headers: Headers, authenticator: SoftAuthenticator, url = '/api/auth/mfa/verify') {
  const opts = await post(app, '/api/auth/mfa/webauthn/authenticate/options', headers);
  expect(opts.statusCode).toBe(200);
  const { challengeId, options } = opts.json();
  const response = authenticator.authenticate(options);
  const res = await post(app, url, headers, { factor: 'webauthn', challengeId, response });
  return { res, challengeId, options, response };
}
