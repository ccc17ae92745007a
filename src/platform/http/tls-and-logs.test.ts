/**
 * TLS with HSTS when a certificate is configured, and logs that never carry
 * secrets or personal data (invariant 7).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestServices, testConfig, testSchemaCache } from '../app/testing.js';
import type { Services } from '../app/services.js';
import { createLogger } from '../logging.js';
import { buildApp } from './app.js';
import { appRoutes } from './routes.js';

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
})();

describe('TLS and logs', () => {
  const open: Array<{ close(): Promise<unknown> }> = [];
  afterAll(async () => {
    for (const o of open.reverse()) await o.close();
  });

  it.skipIf(!hasOpenssl)('serves HTTPS with HSTS and upgrade-insecure-requests when a certificate is configured', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'td-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const services: Services = await createTestServices('pglite');
    const app = await buildApp({ services: { ...services, config: testConfig({ TRUSTDESK_TLS_CERT: cert, TRUSTDESK_TLS_KEY: key }) }, routes: appRoutes, schemaCache: testSchemaCache });
    open.push(services, app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const { request } = await import('node:https');
    const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.headers);
      }).on('error', reject).end();
    });
    expect(headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(String(headers['content-security-policy'])).toContain('upgrade-insecure-requests');
  });

  it('redacts secrets and personal data from log lines', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const logger = createLogger({ level: 'info', destination: sink as never });
    logger.info({ user: { email: 'alice@example.com', password: 'hunter2hunter2', name: 'Alice Liddell' }, token: 'tdt_secret', req: { headers: { authorization: 'Bearer tdt_x', cookie: 'td_session=tds_y' } } }, 'something happened');
    logger.info({ message: { body: 'my card is 4111 1111 1111 1111', phone: '+44 20 7946 0321' } }, 'another');
    const text = lines.join('');
    for (const secret of ['alice@example.com', 'hunter2hunter2', 'Alice Liddell', 'tdt_secret', '4111 1111', '7946 0321']) expect(text).not.toContain(secret);
    expect(text).toContain('something happened');
    expect(text).toContain('[redacted]');
  });

  it('logs requests by route, never their query strings', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const services: Services = await createTestServices('pglite');
    const app = await buildApp({ services: { ...services, logger: createLogger({ level: 'info', destination: sink as never }) }, routes: appRoutes, schemaCache: testSchemaCache });
    open.push(services, app);
    await app.inject({ url: '/healthz?token=tdl_should_not_be_logged&email=bob@example.com' });
    const text = lines.join('');
    expect(text).toContain('/healthz');
    expect(text).not.toContain('tdl_should_not_be_logged');
    expect(text).not.toContain('bob@example.com');
  });
});
