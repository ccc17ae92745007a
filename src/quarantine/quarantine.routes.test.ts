import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../app/services.js';
import { createTestServices } from '../app/testing.js';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../auth/testing.js';
import { MemoryBlobStore } from '../blobs/store.js';
import { testDatabaseKinds } from '../db/testing.js';
import { buildApp } from '../http/app.js';
import { appRoutes } from '../http/routes.js';
import { createDefaultHooks } from '../ingest/hooks.js';
import { ingestInboundEmail } from '../ingest/pipeline.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { seedMailbox } from '../tickets/testing.js';
import { createQuarantineRoutes, quarantineRoutes } from './quarantine.routes.js';

const ADDRESS = 'support@quarantine-test.example';

function message(subject: string, body: string, extra = ''): Buffer {
  return Buffer.from(
    [`From: Someone <someone@sender.example>`, `To: ${ADDRESS}`, `Subject: ${subject}`, `Message-ID: <${randomUUID()}@sender.example>`, 'MIME-Version: 1.0', extra, 'Content-Type: text/plain; charset=utf-8', '', body, '']
      .filter((l, i) => l !== '' || i > 5)
      .join('\r\n'),
  );
}

describe.each(testDatabaseKinds)('quarantine on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let officer: SignedIn;
  let agent: SignedIn;
  let phishId: string;
  let malformedId: string;

  beforeAll(async () => {
    services = await createTestServices(kind);
    const blobs = new MemoryBlobStore();
    app = await buildApp({ services, routes: [...appRoutes.filter((r) => r !== quarantineRoutes), createQuarantineRoutes({ blobs })] });
    await app.ready();
    org = await buildOrg(services);
    const team = await buildTeam(services, org);
    const mailbox = await seedMailbox(services.database.db, org.orgId, ADDRESS, team);
    officer = await signIn(app, org, { roles: ['security_officer'] });
    agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    const deps = await createHelpdeskDeps(services);
    const route = [{ id: mailbox, orgId: org.orgId, address: ADDRESS, teamId: team }];
    // A verdict of "phishing" (forced here; the engine's own verdicts are tested in src/phishing) holds the message.
    const phishing = { ...createDefaultHooks(), analyzeThreats: async () => ({ score: 96, verdict: 'phishing' as const, reasons: [{ code: 'sender.lookalike', weight: 0.9, evidence: 'paypa1.com looks like paypal.com' }] }) };
    const [held] = await ingestInboundEmail(deps, { hooks: phishing, blobs, maxAttachmentBytes: 1_000_000 }, { raw: message('Verify your account', 'Click here to keep your account'), mailFrom: 'someone@sender.example', rcptTo: [ADDRESS] }, route);
    expect(held).toMatchObject({ outcome: 'quarantined', reason: 'phishing' });
    phishId = (held as { quarantineId: string }).quarantineId;
    const broken = Buffer.from(`From: a@b.example\r\nTo: ${ADDRESS}\r\nSubject: broken\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="Q"\r\n\r\n--Q\r\nContent-Type: text/plain\r\n\r\nnever closed\r\n`);
    const [mal] = await ingestInboundEmail(deps, { hooks: createDefaultHooks(), blobs, maxAttachmentBytes: 1_000_000 }, { raw: broken, mailFrom: 'a@b.example', rcptTo: [ADDRESS] }, route);
    expect(mal).toMatchObject({ outcome: 'quarantined', reason: 'malformed' });
    malformedId = (mal as { quarantineId: string }).quarantineId;
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('lists held messages for security officers only', async () => {
    const res = await app.inject({ url: '/api/quarantine', headers: officer.headers });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((i: { id: string }) => i.id).sort()).toEqual([phishId, malformedId].sort());
    expect((await app.inject({ url: '/api/quarantine', headers: agent.headers })).statusCode).toBe(403);
  });

  it('shows the reasons and the source, and audits the read; another organisation sees nothing', async () => {
    const res = await app.inject({ url: `/api/quarantine/${phishId}`, headers: officer.headers });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ reason: 'phishing', reasons: [{ code: 'sender.lookalike' }] });
    expect(res.json().source).toContain('Verify your account');
    const reads = await services.database.db.selectFrom('audit_log').where('action', '=', 'quarantine.read').where('object_id', '=', phishId).select('actor_id').execute();
    expect(reads).toEqual([{ actor_id: officer.userId }]);
    const stranger = await signIn(app, await buildOrg(services), { roles: ['security_officer'] });
    expect((await app.inject({ url: `/api/quarantine/${phishId}`, headers: stranger.headers })).statusCode).toBe(404);
  });

  it('releases a held message into the helpdesk once, with an audited reason', async () => {
    const res = await app.inject({ method: 'POST', url: `/api/quarantine/${phishId}/release`, headers: officer.headers, payload: { reason: 'Known partner; false positive' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().outcome).toBe('ticket_created');
    const ticket = await services.database.db.selectFrom('tickets').where('id', '=', res.json().ticketId).select('org_id').executeTakeFirst();
    expect(ticket?.org_id).toBe(org.orgId);
    const again = await app.inject({ method: 'POST', url: `/api/quarantine/${phishId}/release`, headers: officer.headers, payload: { reason: 'again' } });
    expect(again.statusCode).toBe(409);
    const decision = await services.database.db.selectFrom('audit_log').where('action', '=', 'quarantine.release').where('object_id', '=', phishId).select(['purpose', 'result']).execute();
    expect(decision).toEqual([{ purpose: 'Known partner; false positive', result: 'success' }]);
  });

  it('refuses to release malformed mail, and deletes it by overwriting its source', async () => {
    expect((await app.inject({ method: 'POST', url: `/api/quarantine/${malformedId}/release`, headers: officer.headers, payload: { reason: 'try' } })).statusCode).toBe(409);
    expect((await app.inject({ method: 'POST', url: `/api/quarantine/${malformedId}/delete`, headers: agent.headers, payload: { reason: 'junk' } })).statusCode).toBe(403);
    const del = await app.inject({ method: 'POST', url: `/api/quarantine/${malformedId}/delete`, headers: officer.headers, payload: { reason: 'junk mail' } });
    expect(del.statusCode).toBe(200);
    const after = await app.inject({ url: `/api/quarantine/${malformedId}`, headers: officer.headers });
    expect(after.json()).toMatchObject({ status: 'deleted', source: '' });
  });
});
