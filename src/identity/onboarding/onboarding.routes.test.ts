/**
 * The getting-started checklist: items follow real state (a mailbox, a second member of staff, a policy change, a
 * test email that went out), only administrators see or dismiss it, dismissal is per organisation and remembered.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, signIn, type SignedIn, type TestOrg } from '../auth/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';

describe.each(testDatabaseKinds)('onboarding checklist on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let admin: SignedIn;

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    org = await buildOrg(services);
    admin = await signIn(app, org, { roles: ['administrator'] });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  const read = async (who: SignedIn = admin) => {
    await services.audit.flush();
    return app.inject({ url: '/api/onboarding', headers: who.headers });
  };
  const done = (body: { items: Array<{ key: string; done: boolean }> }) => Object.fromEntries(body.items.map((i) => [i.key, i.done]));

  it('starts with everything to do, each item linking to its screen; only administrators may read or dismiss it', async () => {
    expect((await app.inject({ url: '/api/onboarding' })).statusCode).toBe(401);
    const first = await read();
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ complete: false, dismissed: false, show: true });
    expect(first.json().items).toEqual([
      { key: 'mailbox', done: false, href: '/admin/email' },
      { key: 'team', done: false, href: '/admin/invitations' },
      { key: 'securityPolicy', done: false, href: '/admin/security-policy' },
      { key: 'testEmail', done: false, href: '/admin/email' },
    ]);
    for (const role of ['agent', 'supervisor', 'security_officer', 'auditor'] as const) {
      const who = await signIn(app, org, { roles: [role] });
      expect((await read(who)).statusCode, role).toBe(403);
      expect((await app.inject({ method: 'POST', url: '/api/onboarding/dismiss', headers: who.headers })).statusCode, role).toBe(403);
    }
  });

  it('completes each item from real state, through the real screens’ API', async () => {
    const o = await buildOrg(services);
    const a = await signIn(app, o, { roles: ['administrator'] });
    expect(done((await read(a)).json())).toEqual({ mailbox: false, team: false, securityPolicy: false, testEmail: false });
    expect((await app.inject({ method: 'POST', url: '/api/mailboxes', headers: a.headers, payload: { address: `start-${kind}-${o.orgId.slice(0, 6)}@first.example`, name: 'Support' } })).statusCode).toBe(201);
    expect(done((await read(a)).json())).toMatchObject({ mailbox: true, team: false });
    const invite = await app.inject({ method: 'POST', url: '/api/users/invitations', headers: a.headers, payload: { email: `colleague-${o.orgId.slice(0, 6)}@first.example`, name: 'Colleague', roleIds: [], teamIds: [] } });
    expect(invite.statusCode, invite.body).toBeLessThan(300);
    expect(done((await read(a)).json())).toMatchObject({ team: true, securityPolicy: false });
    const stepped = await signIn(app, o, { roles: ['administrator'], stepUp: true });
    const policy = await app.inject({ method: 'PUT', url: '/api/organization/allowlist', headers: stepped.headers, payload: { allowedCidrs: ['0.0.0.0/0'] } });
    expect(policy.statusCode, policy.body).toBe(200);
    expect(done((await read(a)).json())).toMatchObject({ securityPolicy: true, testEmail: false });
    const test = await app.inject({ method: 'POST', url: '/api/organization/mail/test', headers: a.headers, payload: {} });
    expect(test.statusCode, test.body).toBe(200);
    const end = (await read(a)).json();
    expect(end).toMatchObject({ complete: true, show: false, dismissed: false });
    // Another organisation's progress is its own.
    expect(done((await read()).json()).mailbox).toBe(false);
  });

  it('dismissal hides it for the organisation, is remembered and audited', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/onboarding/dismiss', headers: admin.headers });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ dismissed: true, show: false, complete: false });
    const colleague = await signIn(app, org, { roles: ['administrator'] });
    expect((await read(colleague)).json().show).toBe(false);
    const audit = await services.database.db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', '=', 'onboarding.dismiss').select('actor_id').execute();
    expect(audit).toEqual([{ actor_id: admin.userId }]);
  });
});
