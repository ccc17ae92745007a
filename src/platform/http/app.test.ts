import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServices, testSchemaCache } from '../app/testing.js';
import type { Services } from '../app/services.js';
import { AppError } from '../errors.js';
import { buildApp } from './app.js';

describe('HTTP skeleton', () => {
  let services: Services;
  let app: FastifyInstance;

  beforeAll(async () => {
    services = await createTestServices('pglite');
    app = await buildApp({
      services,
      schemaCache: testSchemaCache,
      routes: [
        async (r) => {
          r.get('/api/boom', { config: { public: true } }, async () => {
            throw new Error('relation "customers" does not exist at /srv/secret/path');
          });
          r.get('/api/refused', { config: { public: true } }, async () => {
            throw new AppError('forbidden', 'You may not do that.', { internal: 'role agent lacks customers.reveal' });
          });
          r.post(
            '/api/echo',
            { config: { public: true }, schema: { body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', maxLength: 5 } } } } },
            async (req) => req.body,
          );
          r.get('/api/private', async () => ({ secret: true }));
        },
      ],
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('answers /healthz and /readyz', async () => {
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
  });

  it('denies a route that did not declare itself public, as problem+json', async () => {
    const res = await app.inject('/api/private');
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 401, code: 'unauthenticated', requestId: res.headers['x-request-id'] });
    expect(res.body).not.toContain('secret');
  });

  it('never echoes the text of a 5xx', async () => {
    const res = await app.inject('/api/boom');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ code: 'internal', status: 500 });
    expect(res.body).not.toMatch(/customers|secret|srv/);
  });

  it('shows the safe message of a known error and hides its internal one', async () => {
    const res = await app.inject('/api/refused');
    expect(res.statusCode).toBe(403);
    expect(res.json().detail).toBe('You may not do that.');
    expect(res.body).not.toContain('lacks');
  });

  it('answers invalid input with the fields at fault', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/echo', payload: { name: 'much too long' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'name' }] });
    const bad = await app.inject({ method: 'POST', url: '/api/echo', headers: { 'content-type': 'application/json' }, payload: '{"name":' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/problem\+json/);
  });

  it('refuses an oversized body with 413', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/echo', headers: { 'content-type': 'application/json' }, payload: `{"name":"${'a'.repeat(2 * 1024 * 1024)}"}` });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('payload_too_large');
  });

  it('keeps a well-formed incoming request id and replaces a malformed one', async () => {
    const kept = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'lb-1234567890' } });
    expect(kept.headers['x-request-id']).toBe('lb-1234567890');
    // (A word that is not hex: a generated UUID once contained "bad" itself.)
    const replaced = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'evil id\r\nx' } });
    expect(replaced.headers['x-request-id']).not.toContain('evil');
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('sends strict security headers and no HSTS without TLS', async () => {
    const res = await app.inject('/healthz');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });

  it('publishes the OpenAPI document and its docs without a session', async () => {
    const doc = await app.inject('/api/openapi.json');
    expect(doc.statusCode).toBe(200);
    expect(doc.json().openapi).toBe('3.1.0');
    expect(Object.keys(doc.json().paths)).toContain('/healthz');
    expect((await app.inject('/api/docs/')).statusCode).toBe(200);
  });

  it('answers unknown paths with problem+json', async () => {
    const res = await app.inject('/nope');
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect([401, 404]).toContain(res.statusCode);
  });
});
