/**
 * Customer second factors (decision 0220). Customer side, /api/portal/mfa/*: public to the staff gate, a
 * portal session required, exempt from the organisation's requirement (they are how it is met): status,
 * authenticator app, passkeys, step-up, removal. Staff side: the organisation's requirement
 * (`policies.manage`, audited) and an agent's reset after a successful identity verification
 * (`customers.verify`, audited with the verification's id). Register `portalMfaRoutes`.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requirePermission } from '../../identity/auth/access.js';
import { toAssertion, toAttestation } from '../../identity/auth/mfa/mfa.schemas.js';
import { AppError } from '../../platform/errors.js';
import { ProblemRef, routeSchema } from '../../platform/http/schemas/common.js';
import { portalMfaEndpoints as e } from '../../platform/http/schemas/portal-mfa.js';
import type { AgentContext } from '../tickets/context.js';
import { createPortalDeps } from './deps.js';
import {
  confirmCustomerTotp,
  customerMfaStatus,
  finishCustomerPasskey,
  relyingPartyOf,
  removeCustomerFactor,
  resetCustomerFactors,
  setCustomerMfaPolicy,
  startCustomerPasskey,
  startCustomerPasskeyCheck,
  startCustomerTotp,
  verifyCustomerFactor,
} from './mfa.service.js';
import { readCustomerMfaPolicy } from './mfa-policy.js';
import { authenticatePortal, requirePortalSessionFirst } from './sessions.js';
import { customerBaseUrl } from '../../identity/organizations/hosts.js';

const portalDoc = (summary: string) => ({ tags: ['portal'], summary, extraResponses: { 410: ProblemRef, 429: ProblemRef } });
const staffDoc = (summary: string) => ({ tags: ['customers'], summary });
/** The factor routes themselves are how the requirement is met. */
const portal = { public: true, portalSession: true, customerMfa: 'exempt' } as const;

function agent(request: FastifyRequest): AgentContext {
  if (!request.principal) throw new AppError('unauthenticated', 'Sign in to continue.');
  return { principal: request.principal, requestId: String(request.id), sourceIp: request.ip };
}

export const portalMfaRoutes = async function portalMfaRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps = await createPortalDeps(app.services);
  // A customer's passkey belongs to the address their portal is at: the organisation's own host name, if it has one.
  const rpOf = async (c: { orgId: string }) => relyingPartyOf(await customerBaseUrl(deps, c.orgId));
  requirePortalSessionFirst(app, deps);
  const me = (request: FastifyRequest) => authenticatePortal(deps, request);
  const withRp = async (request: FastifyRequest) => {
    const c = await me(request);
    return [await rpOf(c), c] as const;
  };

  r.get(e.status.url, { config: portal, schema: routeSchema(e.status, portalDoc('My second factors, the organisation’s requirement and this session’s step-up')) }, async (request) => customerMfaStatus(deps, await me(request)));

  r.post(e.totpStart.url, { config: { ...portal, rateLimit: { max: 10, timeWindow: '1 minute' } }, schema: routeSchema(e.totpStart, portalDoc('Start adding an authenticator app: its secret, shown once (a fresh step-up when a factor exists)')) }, async (request) => startCustomerTotp(deps, await me(request)));

  r.post(e.totpConfirm.url, { config: { ...portal, rateLimit: { max: 10, timeWindow: '1 minute' } }, schema: routeSchema(e.totpConfirm, portalDoc('Confirm the authenticator app with its first code (counts as a step-up)')) }, async (request) => confirmCustomerTotp(deps, await me(request), request.body.code));

  r.delete(e.totpRemove.url, { config: portal, schema: routeSchema(e.totpRemove, portalDoc('Remove the authenticator app (needs a fresh step-up)')) }, async (request) => removeCustomerFactor(deps, await me(request), { factor: 'totp' }));

  r.post(e.passkeyOptions.url, { config: { ...portal, rateLimit: { max: 10, timeWindow: '1 minute' } }, schema: routeSchema(e.passkeyOptions, portalDoc('Options to create a passkey (a fresh step-up when a factor exists)')) }, async (request) => startCustomerPasskey(deps, ...(await withRp(request))));

  r.post(e.passkeyRegister.url, { config: { ...portal, rateLimit: { max: 10, timeWindow: '1 minute' } }, schema: routeSchema(e.passkeyRegister, portalDoc('Register the passkey that answered the options (counts as a step-up)')) }, async (request, reply) => {
    const res = await finishCustomerPasskey(deps, ...(await withRp(request)), { challengeId: request.body.challengeId, response: toAttestation(request.body.response), name: request.body.name });
    return reply.code(201).send(res);
  });

  r.delete(e.passkeyRemove.url, { config: portal, schema: routeSchema(e.passkeyRemove, portalDoc('Remove one of my passkeys (needs a fresh step-up; another customer’s is 404)')) }, async (request) => removeCustomerFactor(deps, await me(request), { factor: 'webauthn', id: request.params.id }));

  r.post(e.verifyOptions.url, { config: { ...portal, rateLimit: { max: 20, timeWindow: '1 minute' } }, schema: routeSchema(e.verifyOptions, portalDoc('A challenge for my passkey (step-up)')) }, async (request) => startCustomerPasskeyCheck(deps, ...(await withRp(request))));

  r.post(e.verify.url, { config: { ...portal, rateLimit: { max: 10, timeWindow: '1 minute' } }, schema: routeSchema(e.verify, portalDoc('Prove a second factor on this portal session (step-up; every attempt audited)')) }, async (request) => {
    const b = request.body;
    const proof = b.factor === 'totp' ? { factor: 'totp' as const, code: b.code } : { factor: 'webauthn' as const, challengeId: b.challengeId, response: toAssertion(b.response) };
    return verifyCustomerFactor(deps, ...(await withRp(request)), proof);
  });

  r.get(e.policy.url, { preHandler: requirePermission('policies.manage'), schema: routeSchema(e.policy, staffDoc('When customers must prove a second factor in the portal')) }, async (request) => ({ policy: await readCustomerMfaPolicy(deps.db, agent(request).principal.orgId) }));

  r.put(e.setPolicy.url, { preHandler: requirePermission('policies.manage'), schema: routeSchema(e.setPolicy, staffDoc('Require a customer second factor never, before sensitive actions, or always (audited with before and after)')) }, async (request) => setCustomerMfaPolicy(deps, agent(request), request.body.policy));

  r.post(e.reset.url, { preHandler: requirePermission('customers.verify'), config: { rateLimit: { max: 10, timeWindow: '1 minute' } }, schema: routeSchema(e.reset, staffDoc('Remove a customer’s second factors after their identity verification succeeded (audited with its id)')) }, async (request) =>
    resetCustomerFactors(deps, agent(request), { customerId: request.params.id, verificationId: request.body.verificationId }),
  );
};
