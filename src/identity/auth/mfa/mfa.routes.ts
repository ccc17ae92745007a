/**
 * /api/auth/mfa/*, /api/auth/step-up: enrol, verify, step up, manage and
 * reset second factors. Enrolment and verification are reachable by a
 * password-only session (`allowWithoutMfa`); the services decide whether the
 * account may still enrol without a verified factor (only when it has none).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { requirePermission, sessionHasRequiredFactor } from '../access.js';
import { clientOf, requirePrincipal } from '../auth.routes.js';
import { csrfTokenFor } from '../sessions.js';
import { confirmCodeEnrolment, sendVerificationCode, startCodeEnrolment, type CodeSent } from './codes.service.js';
import { callerFrom, type Caller, type Completion, type MfaDeps } from './context.js';
import { describeFactors, listCredentials, removeFactor, renameCredential, resetUserFactors } from './manage.service.js';
import { toAttestation, toProof } from './mfa.schemas.js';
import { mfaEndpoints as e } from '../../../platform/http/schemas/mfa.js';
import { problemResponses } from '../../../platform/http/schemas/common.js';
import { regenerateRecoveryCodes } from './recovery.js';
import { listSmsOutbox, OutboxSmsSender, type SmsSender } from './sms.js';
import { confirmTotpEnrolment, startTotpEnrolment, type Enrolled } from './totp.service.js';
import { verifySecondFactor } from './verify.service.js';
import { finishWebAuthnRegistration, startWebAuthnAuthentication, startWebAuthnRegistration } from './webauthn.service.js';

export interface MfaRoutesOptions {
  /** The SMS driver; the development outbox when absent. */
  sms?: SmsSender;
  /** Shown in authenticator apps and passkey prompts. */
  rpName?: string;
}

const tags = ['mfa'];
/** Per signed-in user (or address), on top of the per-user lock-out in the services. */
const perUser = (max: number) => ({ max, timeWindow: '1 minute', keyGenerator: (req: FastifyRequest) => req.principal?.userId ?? req.ip });

export function createMfaRoutes(options: MfaRoutesOptions = {}) {
  return async function mfaRoutes(app: FastifyInstance): Promise<void> {
    const s = app.services;
    const { secret: codeKey } = await s.keyring.systemSecret('mfa-code-key', () => ({ secret: randomBytes(32) }));
    const publicUrl = new URL(s.config.publicUrl);
    const deps: MfaDeps = {
      db: s.database.db,
      audit: s.audit,
      keyring: s.keyring,
      mailer: s.mailer,
      sms: options.sms ?? new OutboxSmsSender(s.database.db),
      codeKey,
      rp: { id: publicUrl.hostname, name: options.rpName ?? 'Trustdesk', origin: publicUrl.origin },
      policy: app.auth.policy,
      stepUpWindowMs: app.auth.stepUpWindowMs,
    };
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const caller = (request: FastifyRequest): Caller => callerFrom(request.principal, clientOf(request));

    /** Sets the rotated session's cookie and returns the CSRF token that goes with the session now in use. */
    const present = (request: FastifyRequest, reply: FastifyReply, c: Caller, completion: Completion) => {
      let token = request.sessionToken ?? '';
      if (completion.session) {
        app.auth.setSessionCookie(reply, completion.session.token, completion.session.expiresAt);
        token = completion.session.token;
      }
      const next = !completion.complete && c.principal.requirePhishingResistant ? 'enrol_webauthn' : null;
      return { mfaComplete: completion.complete, method: completion.method, csrfToken: csrfTokenFor(token, app.auth.csrfKey), next };
    };
    const enrolled = (request: FastifyRequest, reply: FastifyReply, c: Caller, factor: string, e: Enrolled) => {
      const { mfaComplete, csrfToken, next } = present(request, reply, c, e.completion);
      return { factor, mfaComplete, csrfToken, next, recoveryCodes: e.recoveryCodes };
    };
    const sent = (x: CodeSent) => ({ challengeId: x.challengeId, expiresAt: x.expiresAt.toISOString(), destination: x.destination });
    const iso = (d: Date | null) => (d ? d.toISOString() : null);

    // ------------------------------------------------------------ overview

    r.get('/api/auth/mfa', {
      config: { allowWithoutMfa: true },
      schema: { tags, summary: 'My second factors and whether this session has verified one', response: { 200: e.overview.response, ...problemResponses } },
    }, async (request) => {
      const c = caller(request);
      const f = await describeFactors(deps, c.principal.userId);
      return {
        verified: sessionHasRequiredFactor(c.principal),
        method: c.principal.mfaMethod,
        phishingResistantRequired: c.principal.requirePhishingResistant,
        factors: { ...f, webauthn: f.webauthn.map((w) => ({ ...w, createdAt: w.createdAt.toISOString(), lastUsedAt: iso(w.lastUsedAt) })) },
      };
    });

    // ------------------------------------------------------------ verification and step-up

    r.post('/api/auth/mfa/verify', {
      config: { ownAccount: true, allowWithoutMfa: true, rateLimit: perUser(30) },
      schema: { tags, summary: 'Prove a second factor to complete sign-in; the session gets a new id', body: e.verify.body, response: { 200: e.verify.response, ...problemResponses } },
    }, async (request, reply) => {
      const c = caller(request);
      const v = await verifySecondFactor(deps, c, toProof(request.body), 'signin');
      if (v.purpose !== 'signin') throw new Error('unreachable');
      return present(request, reply, c, v.completion);
    });

    r.post('/api/auth/step-up', {
      config: { ownAccount: true, rateLimit: perUser(30) },
      schema: { tags, summary: 'Prove a fresh second factor before a sensitive action', body: e.stepUp.body, response: { 200: e.stepUp.response, ...problemResponses } },
    }, async (request) => {
      const v = await verifySecondFactor(deps, caller(request), toProof(request.body), 'step-up');
      if (v.purpose !== 'step-up') throw new Error('unreachable');
      return { stepUpUntil: new Date(v.stepUpAt.getTime() + deps.stepUpWindowMs).toISOString(), method: v.method };
    });

    r.post('/api/auth/mfa/webauthn/authenticate/options', {
      config: { ownAccount: true, allowWithoutMfa: true, rateLimit: perUser(30) },
      schema: { tags, summary: 'A WebAuthn challenge for sign-in or step-up (single-use, 5 minutes, this session only)', response: { 200: e.webauthnAuthOptions.response, ...problemResponses } },
    }, async (request) => startWebAuthnAuthentication(deps, caller(request)));

    r.post('/api/auth/mfa/codes/send', {
      config: { ownAccount: true, allowWithoutMfa: true, rateLimit: perUser(10) },
      schema: { tags, summary: 'Send a sign-in code by email or SMS to a confirmed address or phone', body: e.sendCode.body, response: { 200: e.sendCode.response, ...problemResponses } },
    }, async (request) => sent(await sendVerificationCode(deps, caller(request), request.body.channel)));

    // ------------------------------------------------------------ enrolment

    r.post('/api/auth/mfa/totp/enrol', {
      config: { ownAccount: true, allowWithoutMfa: true, rateLimit: perUser(10) },
      schema: { tags, summary: 'Start setting up an authenticator app: the secret and otpauth:// URI, shown once', response: { 200: e.totpEnrol.response, ...problemResponses } },
    }, async (request) => startTotpEnrolment(deps, caller(request)));

    r.post('/api/auth/mfa/totp/confirm', {
      config: { ownAccount: true, allowWithoutMfa: true, rateLimit: perUser(30) },
      schema: { tags, summary: 'Finish setting up an authenticator app with its first code', body: e.totpConfirm.body, response: { 200: e.totpConfirm.response, ...problemResponses } },
    }, async (request, reply) => {
      const c = caller(request);
      return enrolled(request, reply, c, 'totp', await confirmTotpEnrolment(deps, c, request.body.code));
    });

    r.post('/api/auth/mfa/webauthn/register/options', {
      config: { ownAccount: true, allowWithoutMfa: true, rateLimit: perUser(10) },
      schema: { tags, summary: 'Options for registering a passkey or security key', response: { 200: e.webauthnRegisterOptions.response, ...problemResponses } },
    }, async (request) => startWebAuthnRegistration(deps, caller(request)));

    r.post('/api/auth/mfa/webauthn/register/verify', {
      config: { ownAccount: true, allowWithoutMfa: true, rateLimit: perUser(10) },
      schema: { tags, summary: 'Register the passkey or security key that answered the options', body: e.webauthnRegister.body, response: { 200: e.webauthnRegister.response, ...problemResponses } },
    }, async (request, reply) => {
      const c = caller(request);
      const e = await finishWebAuthnRegistration(deps, c, { challengeId: request.body.challengeId, response: toAttestation(request.body.response), name: request.body.name });
      return { ...enrolled(request, reply, c, 'webauthn', e), credentialId: e.credentialId };
    });

    r.post('/api/auth/mfa/codes/enrol', {
      config: { ownAccount: true, allowWithoutMfa: true, rateLimit: perUser(10) },
      schema: { tags, summary: 'Turn on email or SMS codes: sends a confirmation code', body: e.codesEnrol.body, response: { 200: e.codesEnrol.response, ...problemResponses } },
    }, async (request) => sent(await startCodeEnrolment(deps, caller(request), request.body)));

    r.post('/api/auth/mfa/codes/confirm', {
      config: { ownAccount: true, allowWithoutMfa: true, rateLimit: perUser(30) },
      schema: { tags, summary: 'Finish turning on email or SMS codes', body: e.codesConfirm.body, response: { 200: e.codesConfirm.response, ...problemResponses } },
    }, async (request, reply) => {
      const c = caller(request);
      return enrolled(request, reply, c, request.body.channel, await confirmCodeEnrolment(deps, c, request.body));
    });

    // ------------------------------------------------------------ managing factors (verified session)

    r.get('/api/auth/mfa/webauthn/credentials', {
      schema: { tags, summary: 'My passkeys and security keys', response: { 200: e.credentials.response, ...problemResponses } },
    }, async (request) => {
      const rows = await listCredentials(deps.db, caller(request).principal.userId);
      return { credentials: rows.map((w) => ({ ...w, createdAt: w.createdAt.toISOString(), lastUsedAt: iso(w.lastUsedAt) })) };
    });

    r.patch('/api/auth/mfa/webauthn/credentials/:id', {
      config: { ownAccount: true },
      schema: { tags, summary: 'Rename a passkey', params: e.renameCredential.params, body: e.renameCredential.body, response: { 200: e.renameCredential.response, ...problemResponses } },
    }, async (request) => {
      await renameCredential(deps, caller(request), { credentialId: request.params.id, name: request.body.name });
      return { ok: true as const };
    });

    r.delete('/api/auth/mfa/webauthn/credentials/:id', {
      config: { ownAccount: true },
      schema: { tags, summary: 'Remove a passkey (needs a fresh factor; never the last one your role needs)', params: e.deleteCredential.params, response: { 200: e.deleteCredential.response, ...problemResponses } },
    }, async (request) => {
      await removeFactor(deps, caller(request), { factor: 'webauthn', credentialId: request.params.id });
      return { ok: true as const };
    });

    r.delete('/api/auth/mfa/totp', {
      config: { ownAccount: true },
      schema: { tags, summary: 'Remove the authenticator app (needs a fresh factor)', response: { 200: e.deleteTotp.response, ...problemResponses } },
    }, async (request) => {
      await removeFactor(deps, caller(request), { factor: 'totp' });
      return { ok: true as const };
    });

    r.delete('/api/auth/mfa/codes/:channel', {
      config: { ownAccount: true },
      schema: { tags, summary: 'Turn off email or SMS codes (needs a fresh factor)', params: e.deleteCodes.params, response: { 200: e.deleteCodes.response, ...problemResponses } },
    }, async (request) => {
      await removeFactor(deps, caller(request), { factor: request.params.channel });
      return { ok: true as const };
    });

    r.post('/api/auth/mfa/recovery-codes', {
      config: { ownAccount: true },
      schema: { tags, summary: 'Replace my recovery codes with ten new ones, shown once (needs a fresh factor)', response: { 200: e.recoveryCodes.response, ...problemResponses } },
    }, async (request) => ({ recoveryCodes: await regenerateRecoveryCodes(deps, caller(request)) }));

    // ------------------------------------------------------------ administration

    r.post('/api/auth/mfa/reset/:userId', {
      preHandler: requirePermission('users.manage'),
      schema: { tags, summary: "Remove every second factor of another person and end their sessions (users.manage, fresh factor)", params: e.reset.params, response: { 200: e.reset.response, ...problemResponses } },
    }, async (request) => resetUserFactors(deps, requirePrincipal(request), clientOf(request), request.params.userId));

    r.get('/api/auth/mfa/sms-outbox', {
      preHandler: requirePermission('policies.manage', { stepUpWindowMs: deps.stepUpWindowMs }),
      schema: { tags, summary: 'Messages the development SMS driver would have sent (policies.manage)', response: { 200: e.smsOutbox.response, ...problemResponses } },
    }, async (request) => {
      const rows = await listSmsOutbox(deps.db, requirePrincipal(request).orgId);
      return { driver: deps.sms.name, messages: rows.map((m) => ({ ...m, createdAt: m.createdAt.toISOString() })) };
    });
  };
}

/** The route plugin with the development SMS outbox; the lead registers it in src/platform/http/routes.ts. */
export const mfaRoutes = createMfaRoutes();
