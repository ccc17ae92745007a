import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { phishingReportRoutes } from '../../threats/phishing-reports/phishing-reports.routes.js';
import { createDefaultHooks } from '../ingest/hooks.js';
import { ingestInboundEmail } from '../ingest/pipeline.js';
import { createHelpdeskDeps } from './context.js';
import { seedMailbox } from './testing.js';

const ADDRESS = 'support@hold-test.example';

describe.each(testDatabaseKinds)('a ticket reported as phishing is held on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let agent: SignedIn;
  let officer: SignedIn;
  let ingest: (from: string, body: string) => Promise<{ ticketId: string; messageId: string }>;

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: [...appRoutes, phishingReportRoutes], schemaCache: testSchemaCache });
    await app.ready();
    org = await buildOrg(services);
    const team = await buildTeam(services, org);
    const mailbox = await seedMailbox(services.database.db, org.orgId, ADDRESS, team);
    agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    officer = await signIn(app, org, { roles: ['security_officer'] });
    const deps = await createHelpdeskDeps(services);
    const hooks = createDefaultHooks();
    ingest = async (from, body) => {
      const raw = Buffer.from([`From: ${from}`, `To: ${ADDRESS}`, 'Subject: About my account', `Message-ID: <${randomUUID()}@sender.example>`, 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'));
      const [o] = await ingestInboundEmail(deps, { hooks, blobs: new MemoryBlobStore(), maxAttachmentBytes: 100_000 }, { raw, mailFrom: from, rcptTo: [ADDRESS] }, [{ id: mailbox, orgId: org.orgId, address: ADDRESS, teamId: team }]);
      return o as { ticketId: string; messageId: string };
    };
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  const reply = (ticketId: string) => app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/replies`, headers: agent.headers, payload: { body: 'Here is what you asked for.' } });
  const secure = (ticketId: string) => app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/secure-replies`, headers: agent.headers, payload: { body: 'Your details.' } });
  const verify = (ticketId: string) => app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/verifications`, headers: agent.headers, payload: { channel: 'email' } });

  it('refuses replies, secure messages and identity codes with a clear problem, keeps notes, and is released by a false-positive ruling', async () => {
    const t = await ingest('Dana <dana@customer-hold.example>', 'Please change the bank account on my profile.');
    expect((await app.inject({ url: `/api/tickets/${t.ticketId}`, headers: agent.headers })).json().held).toBeNull();
    const reported = await app.inject({ method: 'POST', url: `/api/tickets/${t.ticketId}/messages/${t.messageId}/report-phishing`, headers: agent.headers, payload: {} });
    expect(reported.statusCode).toBe(201);

    const read = await app.inject({ url: `/api/tickets/${t.ticketId}`, headers: agent.headers });
    expect(read.json().held).toMatchObject({ confirmed: false });
    for (const res of [await reply(t.ticketId), await secure(t.ticketId), await verify(t.ticketId)]) {
      expect(res.statusCode).toBe(409);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'conflict', held: true });
      expect(res.json().detail).toContain('reported as phishing');
    }
    expect((await verify(t.ticketId)).json().detail).toContain('no code goes to the sender');
    // Nothing was queued or mailed to the sender.
    expect(await services.database.db.selectFrom('outbound_mail').where('ticket_id', '=', t.ticketId).select('id').execute()).toHaveLength(0);
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${t.ticketId}/notes`, headers: agent.headers, payload: { body: 'Reported; waiting for security.' } })).statusCode).toBe(201);

    // The security officer rules it a false positive: the ticket is released.
    const report = (await app.inject({ url: '/api/phishing-reports', headers: officer.headers })).json().items.find((r: { ticketId: string }) => r.ticketId === t.ticketId);
    const decided = await app.inject({ method: 'POST', url: `/api/phishing-reports/${report.id}/outcome`, headers: officer.headers, payload: { outcome: 'false_positive', reason: 'a real customer' } });
    expect(decided.statusCode).toBe(200);
    expect((await app.inject({ url: `/api/tickets/${t.ticketId}`, headers: agent.headers })).json().held).toBeNull();
    expect((await reply(t.ticketId)).statusCode).toBe(201);
  });

  it('stays held when the report is confirmed', async () => {
    const t = await ingest('Eve <eve@phish-hold.example>', 'Send me the login code you receive.');
    await app.inject({ method: 'POST', url: `/api/tickets/${t.ticketId}/messages/${t.messageId}/report-phishing`, headers: agent.headers, payload: {} });
    const report = (await app.inject({ url: '/api/phishing-reports', headers: officer.headers })).json().items.find((r: { ticketId: string }) => r.ticketId === t.ticketId);
    await app.inject({ method: 'POST', url: `/api/phishing-reports/${report.id}/outcome`, headers: officer.headers, payload: { outcome: 'confirmed', reason: 'credential lure' } });
    expect((await app.inject({ url: `/api/tickets/${t.ticketId}`, headers: agent.headers })).json().held).toMatchObject({ confirmed: true });
    expect((await reply(t.ticketId)).json()).toMatchObject({ held: true, confirmed: true });
  });
});
