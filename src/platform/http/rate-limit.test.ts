/**
 * Rate limits on public endpoints hold across instances when Redis is
 * configured: two app instances share one counter.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { Services } from '../app/services.js';
import { createTestServices, testConfig, testSchemaCache } from '../app/testing.js';
import { buildApp } from './app.js';
import { appRoutes } from './routes.js';

const REDIS_URL = process.env.TEST_REDIS_URL;

describe('rate limits', () => {
  const open: Array<{ close(): Promise<unknown> }> = [];
  afterAll(async () => {
    for (const o of open.reverse()) await o.close();
  });

  async function instance(redisUrl?: string, env: NodeJS.ProcessEnv = {}) {
    const services: Services = await createTestServices('pglite');
    const app = await buildApp({ services: { ...services, config: testConfig({ ...(redisUrl ? { REDIS_URL: redisUrl } : {}), ...env }) }, routes: appRoutes, schemaCache: testSchemaCache });
    open.push(services, app);
    return app;
  }

  it('limit repeated password-reset requests from one address', async () => {
    const app = await instance();
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) {
      codes.push((await app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email: 'x@y.example' }, remoteAddress: '192.0.2.50' })).statusCode);
    }
    expect(codes.slice(0, 5)).toEqual([202, 202, 202, 202, 202]);
    expect(codes.slice(5)).toEqual([429, 429]);
  });

  it('key on the address the nearest trusted proxy saw, never on an X-Forwarded-For a client forged', async () => {
    const reset = (app: Awaited<ReturnType<typeof instance>>, from: string, xff?: string) =>
      app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email: 'x@y.example' }, remoteAddress: from, headers: xff ? { 'x-forwarded-for': xff } : {} });
    // TRUSTDESK_TRUST_PROXY=true is one hop: HAProxy's `option forwardfor` and nginx's $proxy_add_x_forwarded_for
    // append the real address to what the client sent, so only the last entry is the proxy's word.
    const oneHop = await instance(undefined, { TRUSTDESK_TRUST_PROXY: 'true' });
    const codes: number[] = [];
    for (let i = 1; i <= 6; i++) codes.push((await reset(oneHop, '10.0.0.2', `203.0.113.${i}, 192.0.2.60`)).statusCode);
    expect(codes).toEqual([202, 202, 202, 202, 202, 429]);
    // A real client behind the proxy is told apart from the first.
    expect((await reset(oneHop, '10.0.0.2', '192.0.2.61')).statusCode).toBe(202);

    // Trusted by address: the proxy's X-Forwarded-For is believed; anyone else's is not (their socket address counts).
    const listed = await instance(undefined, { TRUSTDESK_TRUST_PROXY: '10.0.0.2' });
    const direct: number[] = [];
    for (let i = 1; i <= 6; i++) direct.push((await reset(listed, '192.0.2.70', `203.0.113.${i}`)).statusCode);
    expect(direct).toEqual([202, 202, 202, 202, 202, 429]);
    expect((await reset(listed, '10.0.0.2', '203.0.113.9, 192.0.2.71')).statusCode).toBe(202);
    expect((await reset(listed, '10.0.0.2', '192.0.2.70')).statusCode).toBe(429);
  }, 60_000);

  it.skipIf(!REDIS_URL)('share one counter across instances through Redis', async () => {
    const client = new Redis(REDIS_URL as string);
    open.push({ close: () => client.quit() });
    const a = await instance(REDIS_URL);
    const b = await instance(REDIS_URL);
    const ip = `198.51.100.${randomInt(1, 250)}`;
    const send = (app: typeof a) => app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email: `${randomUUID()}@y.example` }, remoteAddress: ip });
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await send(i % 2 ? a : b)).statusCode);
    expect(codes).toEqual([202, 202, 202, 202, 202, 429]);
    const keys = await client.keys('trustdesk-rl:*');
    expect(keys.length).toBeGreaterThan(0);
    // Two databases and two whole apps: more than the default 30 s on a loaded machine.
  }, 120_000);
});
