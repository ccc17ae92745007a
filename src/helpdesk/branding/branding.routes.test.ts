/**
 * Branding and acknowledgement settings over HTTP: who may change them, what a logo upload must
 * be (SVG, polyglots, huge files and wrong types refused), how the public logo is served, and
 * that another organisation's mailbox is "not found".
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, signIn, type RoleKey, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { seedMailbox } from '../tickets/testing.js';
import { LOGO_MAX_BYTES } from './brand.js';
import { textChunk, tinyJpeg, tinyPng } from './testing.js';

const octet = (headers: Record<string, string>) => ({ ...headers, 'content-type': 'application/octet-stream' });

describe.each(testDatabaseKinds)('branding routes on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let admin: SignedIn;
  const as: Partial<Record<RoleKey, SignedIn>> = {};

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    org = await buildOrg(services, 'Harbour Lights Ltd');
    admin = await signIn(app, org, { roles: ['administrator'] });
    for (const role of ['agent', 'supervisor', 'security_officer', 'auditor'] as const) as[role] = await signIn(app, org, { roles: [role] });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('only channels.manage reads and changes branding; anonymous callers get 401', async () => {
    expect((await app.inject({ url: '/api/branding' })).statusCode).toBe(401);
    for (const role of ['agent', 'supervisor', 'security_officer', 'auditor'] as const) {
      expect((await app.inject({ url: '/api/branding', headers: as[role]!.headers })).statusCode, role).toBe(403);
      expect((await app.inject({ method: 'PUT', url: '/api/branding', headers: as[role]!.headers, payload: { displayName: 'Evil', accentColor: null } })).statusCode, role).toBe(403);
      expect((await app.inject({ method: 'PUT', url: '/api/branding/logo', headers: octet(as[role]!.headers), payload: tinyPng() })).statusCode, role).toBe(403);
      expect((await app.inject({ method: 'DELETE', url: '/api/branding/logo', headers: as[role]!.headers })).statusCode, role).toBe(403);
    }
    const read = await app.inject({ url: '/api/branding', headers: admin.headers });
    expect(read.json()).toEqual({ displayName: null, accentColor: null, name: 'Harbour Lights Ltd', organizationName: 'Harbour Lights Ltd', logoUrl: null });
  });

  it('sets a display name and a readable accent colour; refuses an unreadable or malformed colour', async () => {
    const ok = await app.inject({ method: 'PUT', url: '/api/branding', headers: admin.headers, payload: { displayName: '  Harbour\r\nLights Help ', accentColor: '#1A5FB4' } });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ displayName: 'Harbour Lights Help', accentColor: '#1a5fb4', name: 'Harbour Lights Help' });
    const pale = await app.inject({ method: 'PUT', url: '/api/branding', headers: admin.headers, payload: { displayName: 'X', accentColor: '#ffee88' } });
    expect(pale.statusCode).toBe(400);
    expect(pale.json().detail).toMatch(/contrast/);
    expect((await app.inject({ method: 'PUT', url: '/api/branding', headers: admin.headers, payload: { displayName: 'X', accentColor: 'red;}' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'PUT', url: '/api/branding', headers: admin.headers, payload: { displayName: 'x'.repeat(101), accentColor: null } })).statusCode).toBe(400);
    // Unchanged by the refusals; the public read-out shows the same name to the portal.
    const pub = await app.inject({ url: `/api/portal/branding/${org.orgId}` });
    expect(pub.statusCode).toBe(200);
    expect(pub.json()).toEqual({ name: 'Harbour Lights Help', accentColor: '#1a5fb4', logoUrl: null });
    // Only the branding key of the settings changed.
    await services.database.db.updateTable('organizations').set({ settings: JSON.stringify({ other: { kept: true }, branding: { displayName: 'Harbour Lights Help', accentColor: '#1a5fb4' } }) }).where('id', '=', org.orgId).execute();
    await app.inject({ method: 'PUT', url: '/api/branding', headers: admin.headers, payload: { displayName: 'Harbour Lights Help', accentColor: null } });
    const row = await services.database.db.selectFrom('organizations').where('id', '=', org.orgId).select('settings').executeTakeFirstOrThrow();
    expect(row.settings).toMatchObject({ other: { kept: true }, branding: { accentColor: null } });
  });

  it('refuses SVG, polyglots, huge files and other types, and audits the refusal', async () => {
    const tries: Array<[string, Buffer, number]> = [
      ['svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), 415],
      ['svg named png', Buffer.concat([Buffer.from('   '), Buffer.from('<?xml version="1.0"?><svg/>')]), 415],
      ['html', Buffer.from('<!doctype html><script>alert(1)</script>'), 415],
      ['gif', Buffer.from('GIF89a\x01\x00\x01\x00'), 415],
      ['png + html polyglot', Buffer.concat([tinyPng(), Buffer.from('<html><script>alert(1)</script></html>')]), 400],
      ['png with script text', tinyPng(4, 4, [0, 0, 0], [textChunk('<script>alert(1)</script>')]), 400],
      ['truncated png', tinyPng().subarray(0, 40), 400],
      ['huge', Buffer.concat([tinyPng(), Buffer.alloc(LOGO_MAX_BYTES + 10)]), 413],
    ];
    for (const [name, bytes, status] of tries) {
      const res = await app.inject({ method: 'PUT', url: '/api/branding/logo', headers: octet(admin.headers), payload: bytes });
      expect(res.statusCode, `${name}: ${res.body.slice(0, 200)}`).toBe(status);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
    const asJson = await app.inject({ method: 'PUT', url: '/api/branding/logo', headers: admin.headers, payload: { image: 'iVBORw0KGgo=' } });
    expect(asJson.statusCode).toBe(415);
    expect((await app.inject({ url: '/api/branding', headers: admin.headers })).json().logoUrl).toBeNull();
    await services.audit.flush();
    const denied = await services.database.db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', '=', 'branding.logo_upload').where('result', '=', 'denied').select('id').execute();
    expect(denied.length).toBeGreaterThanOrEqual(5);
  });

  it('stores a PNG or JPEG and serves it publicly with its exact type, nosniff and a sandbox', async () => {
    const png = tinyPng(16, 8);
    const up = await app.inject({ method: 'PUT', url: '/api/branding/logo', headers: octet({ ...admin.headers, 'x-file-type': 'image/svg+xml' }), payload: png });
    expect(up.statusCode, up.body).toBe(200);
    expect(up.json().contentType).toBe('image/png');
    const url = up.json().logoUrl as string;
    expect(url).toMatch(new RegExp(`^/api/portal/branding/${org.orgId}/logo\\?v=[0-9a-f]{16}$`));
    const got = await app.inject({ url });
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toBe('image/png');
    expect(got.headers['x-content-type-options']).toBe('nosniff');
    expect(got.headers['content-security-policy']).toContain('sandbox');
    expect(Buffer.compare(got.rawPayload, png)).toBe(0);
    expect((await app.inject({ url: `/api/portal/branding/${org.orgId}` })).json().logoUrl).toBe(url);

    const jpeg = await app.inject({ method: 'PUT', url: '/api/branding/logo', headers: octet(admin.headers), payload: tinyJpeg() });
    expect(jpeg.statusCode).toBe(200);
    expect((await app.inject({ url: jpeg.json().logoUrl })).headers['content-type']).toBe('image/jpeg');
    expect(jpeg.json().logoUrl).not.toBe(url);

    expect((await app.inject({ method: 'DELETE', url: '/api/branding/logo', headers: admin.headers })).statusCode).toBe(200);
    expect((await app.inject({ url: `/api/portal/branding/${org.orgId}/logo` })).statusCode).toBe(404);
    expect((await app.inject({ url: '/api/portal/branding/00000000-0000-4000-8000-000000000000' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/api/portal/branding/not-a-uuid/logo' })).statusCode).toBe(400);
  });

  it('acknowledgement settings: default off, saved per mailbox, unknown placeholders refused, another organisation’s mailbox not found', async () => {
    const mailbox = await seedMailbox(services.database.db, org.orgId, `ack-${kind}@harbour.example`, null);
    const url = `/api/mailboxes/${mailbox}/acknowledgement`;
    const first = await app.inject({ url, headers: admin.headers });
    expect(first.json()).toMatchObject({ mailboxId: mailbox, enabled: false, isDefault: true });
    expect(first.json().template).toContain('{{ticket.number}}');
    expect((await app.inject({ url, headers: as.agent!.headers })).statusCode).toBe(403);
    expect((await app.inject({ method: 'PUT', url, headers: as.auditor!.headers, payload: { enabled: true, template: 'x' } })).statusCode).toBe(403);
    const bad = await app.inject({ method: 'PUT', url, headers: admin.headers, payload: { enabled: true, template: 'Hi {{customer.email}}' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toContain('customer.email');
    expect((await app.inject({ method: 'PUT', url, headers: admin.headers, payload: { enabled: true, template: 'x'.repeat(4001) } })).statusCode).toBe(400);
    const saved = await app.inject({ method: 'PUT', url, headers: admin.headers, payload: { enabled: true, template: 'Got it: #{{ticket.number}} {{portal.link}}' } });
    expect(saved.statusCode, saved.body).toBe(200);
    expect((await app.inject({ url, headers: admin.headers })).json()).toEqual({ mailboxId: mailbox, enabled: true, template: 'Got it: #{{ticket.number}} {{portal.link}}', isDefault: false });

    const intruder = await signIn(app, await buildOrg(services), { roles: ['administrator'] });
    expect((await app.inject({ url, headers: intruder.headers })).statusCode).toBe(404);
    expect((await app.inject({ method: 'PUT', url, headers: intruder.headers, payload: { enabled: false, template: 'pwned' } })).statusCode).toBe(404);
    expect((await app.inject({ url, headers: admin.headers })).json().enabled).toBe(true);
  });
});
