/**
 * /api/setup, /api/auth/*: first-run setup, sign-in and out, who am I,
 * sessions, password change and reset, invitation acceptance.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors.js';
import { abilities, sessionHasRequiredFactor, type Principal } from './access.js';
import { acceptInvite, changePassword, completePasswordReset, completeSetup, requestPasswordReset, setupNeeded, signIn, type AuthDeps, type ClientInfo } from './auth.service.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, passwordProblem } from './passwords.js';
import { ALL_PERMISSIONS } from './permissions.js';
import { authEndpoints as e } from '../../platform/http/schemas/auth.js';
import { problemResponses } from '../../platform/http/schemas/common.js';
import { csrfTokenFor, revokeSession, sessionHandle, type NewSession } from './sessions.js';

export function clientOf(request: FastifyRequest): ClientInfo {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua : null, requestId: String(request.id) };
}

export function authDeps(app: FastifyInstance): AuthDeps {
  const s = app.services;
  return { db: s.database.db, audit: s.audit, mailer: s.mailer, deferred: s.deferred, publicUrl: s.config.publicUrl, policy: app.auth.policy };
}

export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthenticated', 'Sign in to continue.');
  return request.principal;
}

const tags = ['auth'];

export async function authRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = () => authDeps(app);
  const started = (reply: FastifyReply, session: NewSession) => {
    app.auth.setSessionCookie(reply, session.token, session.expiresAt);
    return { csrfToken: csrfTokenFor(session.token, app.auth.csrfKey), mfaRequired: true, expiresAt: session.expiresAt.toISOString() };
  };

  r.get('/api/setup', {
    config: { public: true },
    schema: { tags, summary: 'Whether first-run setup is still needed', response: { 200: e.setupStatus.response, ...problemResponses } },
  }, async () => ({ needed: await setupNeeded(app.services.database.db) }));

  r.post('/api/setup', {
    config: { public: true, rateLimit: { max: 10, timeWindow: '1 minute' } },
    schema: { tags, summary: 'Create the organisation and first administrator with the one-time setup link', body: e.setup.body, response: { 201: e.setup.response, ...problemResponses } },
  }, async (request, reply) => {
    const { session } = await completeSetup(deps(), clientOf(request), request.body);
    return reply.status(201).send(started(reply, session));
  });

  r.post('/api/auth/signin', {
    config: { public: true, rateLimit: { max: 20, timeWindow: '1 minute' } },
    schema: { tags, summary: 'Sign in with email and password; a second factor must follow', body: e.signIn.body, response: { 200: e.signIn.response, ...problemResponses } },
  }, async (request, reply) => {
    const { session } = await signIn(deps(), clientOf(request), request.body);
    return started(reply, session);
  });

  r.post('/api/auth/signout', {
    config: { allowWithoutMfa: true, ownAccount: true },
    schema: { tags, summary: 'End this session', response: { 200: e.signOut.response, ...problemResponses } },
  }, async (request, reply) => {
    const p = requirePrincipal(request);
    if (p.sessionIdHash) {
      await app.services.database.db.transaction().execute(async (trx) => {
        await revokeSession(trx, p.sessionIdHash as Buffer, 'signed out');
        await app.services.audit.append(trx, { orgId: p.orgId, actor: { type: 'user', id: p.userId }, action: 'auth.signout', result: 'success', requestId: String(request.id), sourceIp: request.ip });
      });
    }
    app.auth.clearSessionCookie(reply);
    return { ok: true as const };
  });

  const presentMe = (request: FastifyRequest, p: Principal) => ({
    user: { id: p.userId, email: p.email, name: p.name, orgId: p.orgId, roles: [...p.roleKeys], teamIds: [...p.teamIds] },
    mfa: { verified: p.kind === 'token' || sessionHasRequiredFactor(p), method: p.mfaMethod, phishingResistantRequired: p.requirePhishingResistant },
    csrfToken: request.sessionToken ? csrfTokenFor(request.sessionToken, app.auth.csrfKey) : null,
    abilities: abilities(p, ALL_PERMISSIONS),
  });

  r.get('/api/auth/me', {
    config: { allowWithoutMfa: true },
    schema: { tags, summary: 'Who is signed in, what they may do, and the CSRF token for writes', response: { 200: e.me.response, ...problemResponses } },
  }, async (request) => presentMe(request, requirePrincipal(request)));

  // The web app's first request on every page: a signed-out visitor gets 200 { signedIn: false }, not a 401
  // that the browser logs as a failed request on each load. What a signed-in caller gets is exactly /me.
  r.get(e.session.url, {
    config: { public: true },
    schema: { tags, summary: 'Whether anyone is signed in, and if so the same answer as /api/auth/me', response: { 200: e.session.response, ...problemResponses } },
  }, async (request) => (request.principal ? { signedIn: true, me: presentMe(request, request.principal) } : { signedIn: false, me: null }));

  r.get('/api/auth/sessions', {
    schema: { tags, summary: 'My active sessions, with device and address', response: { 200: e.sessions.response, ...problemResponses } },
  }, async (request) => {
    const p = requirePrincipal(request);
    const rows = await app.services.database.db
      .selectFrom('sessions')
      .where('user_id', '=', p.userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', new Date())
      .where('last_seen_at', '>', new Date(Date.now() - app.auth.policy.idleMs))
      .orderBy('last_seen_at', 'desc')
      .select(['id_hash', 'created_at', 'last_seen_at', 'ip', 'user_agent', 'mfa_method'])
      .execute();
    const current = p.sessionIdHash ? sessionHandle(p.sessionIdHash) : null;
    return {
      sessions: rows.map((s) => {
        const id = sessionHandle(s.id_hash);
        return { id, current: id === current, createdAt: s.created_at.toISOString(), lastSeenAt: s.last_seen_at.toISOString(), ip: s.ip, userAgent: s.user_agent, mfaMethod: s.mfa_method };
      }),
    };
  });

  r.delete('/api/auth/sessions/:id', {
    config: { ownAccount: true },
    schema: { tags, summary: 'End one of my sessions', params: e.revokeSession.params, response: { 200: e.revokeSession.response, ...problemResponses } },
  }, async (request) => {
    const p = requirePrincipal(request);
    const db = app.services.database.db;
    const rows = await db.selectFrom('sessions').where('user_id', '=', p.userId).where('revoked_at', 'is', null).select('id_hash').execute();
    const target = rows.find((s) => sessionHandle(s.id_hash) === request.params.id);
    if (!target) throw new AppError('not_found', 'No such session.');
    await db.transaction().execute(async (trx) => {
      await revokeSession(trx, target.id_hash, 'revoked by user');
      await app.services.audit.append(trx, { orgId: p.orgId, actor: { type: 'user', id: p.userId }, action: 'session.revoke', object: { type: 'session', id: request.params.id }, result: 'success', requestId: String(request.id), sourceIp: request.ip });
    });
    return { ok: true as const };
  });

  r.post('/api/auth/password', {
    config: { ownAccount: true },
    schema: { tags, summary: 'Change my password (ends my other sessions)', body: e.changePassword.body, response: { 200: e.changePassword.response, ...problemResponses } },
  }, async (request) => {
    const p = requirePrincipal(request);
    await changePassword(deps(), clientOf(request), { userId: p.userId, current: request.body.current, next: request.body.next, keepSession: p.sessionIdHash });
    return { ok: true as const };
  });

  r.post('/api/auth/password/check', {
    config: { public: true, rateLimit: { max: 60, timeWindow: '1 minute' } },
    schema: { tags, summary: 'Whether a password being chosen meets the rules (length, not common, not made of your details); nothing is stored', body: e.checkPassword.body, response: { 200: e.checkPassword.response, ...problemResponses } },
  }, async (request) => {
    const problem = passwordProblem(request.body.password, request.body.context ?? []);
    return { acceptable: problem === null, problem, minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH };
  });

  r.post('/api/auth/password-reset', {
    config: { public: true, rateLimit: { max: 5, timeWindow: '1 minute' } },
    schema: { tags, summary: 'Email a password-reset link (same answer whether or not the account exists)', body: e.passwordReset.body, response: { 202: e.passwordReset.response, ...problemResponses } },
  }, async (request, reply) => {
    await requestPasswordReset(deps(), clientOf(request), request.body);
    return reply.status(202).send({ ok: true as const });
  });

  r.post('/api/auth/password-reset/complete', {
    config: { public: true, rateLimit: { max: 10, timeWindow: '1 minute' } },
    schema: { tags, summary: 'Choose a new password with a reset link; all sessions end', body: e.passwordResetComplete.body, response: { 200: e.passwordResetComplete.response, ...problemResponses } },
  }, async (request) => {
    await completePasswordReset(deps(), clientOf(request), request.body);
    return { ok: true as const };
  });

  r.post('/api/auth/accept-invite', {
    config: { public: true, rateLimit: { max: 10, timeWindow: '1 minute' } },
    schema: { tags, summary: 'Accept an invitation: choose a password; a second factor must be enrolled next', body: e.acceptInvite.body, response: { 200: e.acceptInvite.response, ...problemResponses } },
  }, async (request, reply) => {
    const { session } = await acceptInvite(deps(), clientOf(request), request.body);
    return started(reply, session);
  });
}
