/**
 * Customer second factors (decision 0220) as an attacker would try them: a replayed authenticator code,
 * another customer's passkey, a portal session without step-up on guarded routes (the UI bypassed),
 * an agent resetting factors without a completed verification, another organisation's customer.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { totpCodeForStep, totpStepAt } from '../../identity/auth/mfa/totp.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildCustomerWithTicket, buildPortalApp, portalSignIn, type PortalSignedIn } from './testing.js';

describe.each(testDatabaseKinds)('customer second factors on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let otherOrg: TestOrg;
  let team: string;
  let admin: SignedIn;
  let agent: SignedIn;
  let ada: Awaited<ReturnType<typeof buildCustomerWithTicket>>;
  let bob: Awaited<ReturnType<typeof buildCustomerWithTicket>>;
  let secureMessageId: string;
  let secret: string;
  let lastStep: number;
  const db = () => services.database.db;
  const get = (url: string, s: PortalSignedIn) => app.inject({ method: 'GET', url, headers: s.headers });
  const post = (url: string, s: PortalSignedIn, payload: unknown = {}) => app.inject({ method: 'POST', url, headers: s.headers, payload: payload as object });
  /** A code for the current step, as if the last accepted one were the step before (tests after the replay test). */
  const nextCode = async () => {
    const step = totpStepAt(new Date());
    await db().updateTable('customer_totp').set({ last_step: step - 1 }).where('customer_id', '=', ada.customerId).execute();
    return totpCodeForStep(secret, step);
  };
  const setPolicy = (policy: string, who: SignedIn = admin) => app.inject({ method: 'PUT', url: '/api/settings/customer-mfa', headers: who.headers, payload: { policy } });

  beforeAll(async () => {
    services = await createTestServices(kind);
    ({ app } = await buildPortalApp(services, { policy: { maxChallengesPerWindow: 50 } }));
    org = await buildOrg(services);
    otherOrg = await buildOrg(services);
    team = await buildTeam(services, org);
    admin = await signIn(app, org, { roles: ['administrator'] });
    agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    ada = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'ada@mfa.example', teamId: team });
    bob = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'bob@mfa.example', teamId: team });
    const sent = await app.inject({ method: 'POST', url: `/api/tickets/${ada.ticketId}/secure-replies`, headers: agent.headers, payload: { body: 'Your new PIN letter is on its way.' } });
    expect(sent.statusCode).toBe(201);
    secureMessageId = sent.json().secureMessageId;
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('only administrators set the requirement, and the change is audited with before and after', async () => {
    expect((await setPolicy('sensitive', agent)).statusCode).toBe(403);
    expect((await setPolicy('sometimes')).statusCode).toBe(400);
    expect((await setPolicy('sensitive')).json()).toEqual({ policy: 'sensitive' });
    const audit = await db().selectFrom('audit_log').where('action', '=', 'policy.customer_mfa.change').where('org_id', '=', org.orgId).select('details').execute();
    expect(audit.map((a) => a.details)).toEqual([{ before: 'never', after: 'sensitive' }]);
  });

  it('refuses a secure message, the conversation and attachments to a session without step-up, and says to add a factor first', async () => {
    const s = await portalSignIn(app, { orgId: org.orgId, email: 'ada@mfa.example' });
    const read = await get(`/api/portal/secure-messages/${secureMessageId}`, s);
    expect(read.statusCode).toBe(403);
    expect(read.headers['content-type']).toContain('application/problem+json');
    expect(read.json()).toMatchObject({ code: 'customer_mfa_required', enrolled: false });
    expect(read.body).not.toContain('PIN');
    expect((await get(`/api/portal/tickets/${ada.ticketId}`, s)).json().code).toBe('customer_mfa_required');
    expect((await get(`/api/portal/tickets/${ada.ticketId}/attachments/${randomUUID()}`, s)).json().code).toBe('customer_mfa_required');
    // Not guarded under `sensitive`: the list and who-am-I.
    expect((await get('/api/portal/tickets', s)).statusCode).toBe(200);
    expect((await get('/api/portal/me', s)).statusCode).toBe(200);
  });

  it('adds an authenticator app (the secret encrypted under the customer’s key), then opens the message; a replayed code is refused', async () => {
    const s = await portalSignIn(app, { orgId: org.orgId, email: 'ada@mfa.example' });
    const started = await post('/api/portal/mfa/totp', s);
    expect(started.statusCode).toBe(200);
    secret = started.json().secret;
    const row = await db().selectFrom('customer_totp').where('customer_id', '=', ada.customerId).select('secret_enc').executeTakeFirstOrThrow();
    expect(Buffer.from(row.secret_enc).toString('latin1')).not.toContain(secret);
    lastStep = totpStepAt(new Date()); // the current step: a step boundary passing before the replay leaves it inside the window
    expect((await post('/api/portal/mfa/totp/confirm', s, { code: totpCodeForStep(secret, lastStep) })).statusCode).toBe(200);
    expect((await get(`/api/portal/secure-messages/${secureMessageId}`, s)).json().body).toContain('PIN');

    // A new session (stolen mailbox): the email code alone no longer opens it, and the used code does not either.
    const thief = await portalSignIn(app, { orgId: org.orgId, email: 'ada@mfa.example' });
    expect((await get(`/api/portal/secure-messages/${secureMessageId}`, thief)).json()).toMatchObject({ code: 'customer_mfa_required', enrolled: true });
    const replay = await post('/api/portal/mfa/verify', thief, { factor: 'totp', code: totpCodeForStep(secret, lastStep) });
    expect(replay.statusCode).toBe(403);
    const wrong = await post('/api/portal/mfa/verify', thief, { factor: 'totp', code: totpCodeForStep(secret, lastStep + 5) });
    expect(wrong.statusCode).toBe(403);
    expect((await get(`/api/portal/secure-messages/${secureMessageId}`, thief)).statusCode).toBe(403);
    const failures = await db().selectFrom('audit_log').where('action', '=', 'portal.mfa.verify').where('result', '=', 'failure').select('details').execute();
    expect(failures.map((f) => (f.details as { reason: string }).reason).sort()).toEqual(['replayed', 'wrong_code']);

    const ok = await post('/api/portal/mfa/verify', thief, { factor: 'totp', code: totpCodeForStep(secret, lastStep + 1) });
    expect(ok.statusCode).toBe(200);
    expect((await get(`/api/portal/secure-messages/${secureMessageId}`, thief)).statusCode).toBe(200);
  });

  it('adding a second factor or removing one needs a fresh step-up; another customer’s passkey is 404', async () => {
    const s = await portalSignIn(app, { orgId: org.orgId, email: 'ada@mfa.example' });
    expect((await post('/api/portal/mfa/passkeys/options', s)).json().code).toBe('customer_mfa_required');
    expect((await app.inject({ method: 'DELETE', url: '/api/portal/mfa/totp', headers: s.headers })).json().code).toBe('customer_mfa_required');
    const bobKey = randomUUID();
    await db().insertInto('customer_webauthn_credentials').values({ id: bobKey, org_id: org.orgId, customer_id: bob.customerId, credential_id: `bob-${bobKey}`, public_key: Buffer.from([1, 2, 3]), name: 'Bob key' }).execute();
    expect((await post('/api/portal/mfa/verify', s, { factor: 'totp', code: await nextCode() })).statusCode).toBe(200);
    const theirs = await app.inject({ method: 'DELETE', url: `/api/portal/mfa/passkeys/${bobKey}`, headers: s.headers });
    expect(theirs.statusCode).toBe(404);
    expect(await db().selectFrom('customer_webauthn_credentials').where('id', '=', bobKey).select('id').executeTakeFirst()).toBeDefined();
    const status = await get('/api/portal/mfa', s);
    expect(status.json()).toMatchObject({ policy: 'sensitive', totp: true, passkeys: [] });
    expect((await post('/api/portal/mfa/passkeys/options', s)).statusCode).toBe(200);
  });

  it('under `always` every portal route needs a session that proved a factor, except who-am-I and the factor routes', async () => {
    await setPolicy('always');
    const s = await portalSignIn(app, { orgId: org.orgId, email: 'ada@mfa.example' });
    expect((await get('/api/portal/tickets', s)).json().code).toBe('customer_mfa_required');
    expect((await get('/api/portal/me', s)).statusCode).toBe(200);
    expect((await get('/api/portal/mfa', s)).statusCode).toBe(200);
    expect((await post('/api/portal/mfa/verify', s, { factor: 'totp', code: await nextCode() })).statusCode).toBe(200);
    expect((await get('/api/portal/tickets', s)).statusCode).toBe(200);
    await setPolicy('sensitive');
  });

  it('an agent resets factors only with a completed verification of that customer; another organisation’s customer is 404', async () => {
    const reset = (who: SignedIn, customerId: string, verificationId: string) => app.inject({ method: 'POST', url: `/api/customers/${customerId}/portal-factors/reset`, headers: who.headers, payload: { verificationId } });
    const verification = async (status: 'pending' | 'verified', customerId = ada.customerId, ticketId = ada.ticketId) => {
      const id = randomUUID();
      await db().insertInto('customer_verifications').values({ id, org_id: org.orgId, ticket_id: ticketId, customer_id: customerId, channel: 'email', code_hmac: Buffer.alloc(32), status, verified_via: status === 'verified' ? 'agent' : null, requested_by: agent.userId, expires_at: new Date(Date.now() + 600_000), decided_at: status === 'verified' ? new Date() : null }).execute();
      return id;
    };
    const pending = await verification('pending');
    expect((await reset(agent, ada.customerId, pending)).statusCode).toBe(403);
    expect((await reset(agent, ada.customerId, randomUUID())).statusCode).toBe(403);
    // Bob's verification does not unlock Ada's factors.
    const bobs = await verification('verified', bob.customerId, bob.ticketId);
    expect((await reset(agent, ada.customerId, bobs)).statusCode).toBe(403);
    const outsider = await signIn(app, otherOrg, { roles: ['administrator'] });
    const done = await verification('verified');
    expect((await reset(outsider, ada.customerId, done)).statusCode).toBe(404);
    expect(await db().selectFrom('customer_totp').where('customer_id', '=', ada.customerId).select('customer_id').executeTakeFirst()).toBeDefined();

    const ok = await reset(agent, ada.customerId, done);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ removed: { totp: true, passkeys: 0 } });
    const audit = await db().selectFrom('audit_log').where('action', '=', 'customer.mfa.reset').where('result', '=', 'success').select(['details', 'actor_id']).execute();
    expect(audit).toEqual([{ actor_id: agent.userId, details: expect.objectContaining({ verificationId: done }) }]);
    // The customer's sessions lost their step-up: the secure message asks again (now: add a factor first).
    const s = await portalSignIn(app, { orgId: org.orgId, email: 'ada@mfa.example' });
    expect((await get(`/api/portal/secure-messages/${secureMessageId}`, s)).json()).toMatchObject({ code: 'customer_mfa_required', enrolled: false });
  });
});
