import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { buildOrg, signIn, type TestOrg } from './testing.js';

describe('the web app session probe', () => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  beforeAll(async () => {
    services = await createTestServices('pglite');
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    await app.ready();
    org = await buildOrg(services);
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('answers a signed-out visitor 200 { signedIn: false } instead of a failing 401', async () => {
    const res = await app.inject({ url: '/api/auth/session' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ signedIn: false, me: null });
    // A stale or forged cookie is simply signed out too.
    const stale = await app.inject({ url: '/api/auth/session', headers: { cookie: 'td_session=not-a-session' } });
    expect(stale.json()).toEqual({ signedIn: false, me: null });
    // /me itself still refuses anonymous callers.
    expect((await app.inject({ url: '/api/auth/me' })).statusCode).toBe(401);
  });

  it('gives a signed-in member exactly what /me gives, factor state included', async () => {
    const agent = await signIn(app, org, { roles: ['agent'] });
    const probe = await app.inject({ url: '/api/auth/session', headers: agent.headers });
    const me = await app.inject({ url: '/api/auth/me', headers: agent.headers });
    expect(probe.json()).toEqual({ signedIn: true, me: me.json() });
    const passwordOnly = await signIn(app, org, { roles: ['administrator'], mfa: false });
    const half = (await app.inject({ url: '/api/auth/session', headers: passwordOnly.headers })).json();
    expect(half.signedIn).toBe(true);
    expect(half.me.mfa.verified).toBe(false);
  });
});
