import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, signIn, type TestOrg } from '../../identity/auth/testing.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { seedMailbox } from '../tickets/testing.js';
import { createDefaultHooks } from './hooks.js';
import { ingestInboundEmail } from './pipeline.js';

describe.each(testDatabaseKinds)('HTML-only inbound mail on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    await app.ready();
    org = await buildOrg(services);
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('stores a text body derived from the HTML: shown as plain text with links, searchable, not "image only"', async () => {
    const team = await buildTeam(services, org);
    const address = `help-${kind}@htmlonly.example`;
    const mailboxId = await seedMailbox(services.database.db, org.orgId, address, team);
    const html =
      '<html><body><img src="cid:logo" alt=""><p>Hello support team,</p><p>My parcel arrived crushed and the teapot is broken.</p>' +
      '<p>Photos are <a href="https://photos.example.org/album/77">in this album</a>.</p><p>Thanks, Anna</p></body></html>';
    const raw = Buffer.from(`From: Anna <anna@shop-customer.example>\r\nTo: ${address}\r\nSubject: Damaged delivery\r\nMessage-ID: <html-only-${kind}@shop-customer.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}\r\n`);
    const deps = await createHelpdeskDeps(services);
    const [o] = await ingestInboundEmail(deps, { hooks: createDefaultHooks(), blobs: new MemoryBlobStore(), maxAttachmentBytes: 100_000 }, { raw, mailFrom: 'anna@shop-customer.example', rcptTo: [address] }, [{ id: mailboxId, orgId: org.orgId, address, teamId: team }]);
    const ticketId = (o as { ticketId: string }).ticketId;
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });

    const read = await app.inject({ method: 'GET', url: `/api/tickets/${ticketId}`, headers: agent.headers });
    expect(read.statusCode).toBe(200);
    const message = read.json().messages.find((m: { kind: string }) => m.kind === 'inbound_email');
    expect(message.hasHtml).toBe(true);
    expect(message.body).toContain('My parcel arrived crushed and the teapot is broken.');
    expect(message.body).toContain('in this album [https://photos.example.org/album/77]');
    expect(message.threat.codes).not.toContain('html.image_only');

    const found = await app.inject({ method: 'GET', url: '/api/search/tickets?q=teapot', headers: agent.headers });
    expect(found.statusCode).toBe(200);
    expect(found.json().items.map((t: { id: string }) => t.id)).toContain(ticketId);
  });
});
