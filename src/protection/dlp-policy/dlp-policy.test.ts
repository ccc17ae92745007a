/**
 * Sensitive-data protection on every path: the organisation's policy, the
 * reply-path warning (or block) before sensitive data leaves by plain email,
 * and card numbers sent through every ingest channel, then searched for in
 * every table, in the logs and in the audit trail.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../../platform/app/services.js';
import { randomKekSpec, testConfig } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { EnvKeyProvider } from '../crypto/key-provider.js';
import { dumpAllTables } from '../../platform/db/dump.js';
import { createTestDatabase, testDatabaseKinds } from '../../platform/db/testing.js';
import { createDefaultHooks } from '../../helpdesk/ingest/hooks.js';
import { ingestInboundEmail } from '../../helpdesk/ingest/pipeline.js';
import { createLogger } from '../../platform/logging.js';
import { MemoryMailer } from '../../platform/notify/mailer.js';
import { buildCustomerWithTicket, buildPortalApp, nextIp, portalSignIn } from '../../helpdesk/portal/testing.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { seedMailbox } from '../../helpdesk/tickets/testing.js';
import { MemoryBlobStore } from '../blobs/store.js';
import { effectivePolicy, parseOrgDlpSettings } from './org-policy.js';

// Luhn-valid test numbers of several brands, each sent through a different channel.
const CARDS = {
  email: '4539 1488 0343 6467',
  attachment: '5555-5555-5555-4444',
  portal: '4111111111111111',
  webForm: '3782 822463 10005',
  agentNote: '6011 1111 1111 1117',
  agentReply: '5105 1051 0510 5100',
  secureMessage: '4012 8888 8888 1881',
};
const digits = (s: string) => s.replace(/\D/g, '');

describe('organisation DLP settings', () => {
  it('never let card numbers or security codes be flagged or ignored', () => {
    expect(() => parseOrgDlpSettings({ actions: { payment_card: 'flag' } })).toThrow(/always redacted/);
    expect(() => parseOrgDlpSettings({ actions: { card_security_code: 'ignore' } })).toThrow(/always redacted/);
    expect(() => parseOrgDlpSettings({ actions: { not_a_type: 'flag' } })).toThrow(/Unknown/);
    const p = effectivePolicy(parseOrgDlpSettings({ actions: { email: 'ignore', iban: 'redact' }, cardRedaction: 'last4', replyMode: 'block' }));
    expect(p.actions).toMatchObject({ payment_card: 'redact', card_security_code: 'redact', email: 'ignore', iban: 'redact' });
    expect(p.cardRedaction).toBe('last4');
  });
});

describe.each(testDatabaseKinds)('sensitive data on every path, on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let admin: SignedIn;
  let agent: SignedIn;
  let teamId: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); cb(); } });
    services = await openServices({
      config: testConfig(),
      logger: createLogger({ level: 'debug', destination: sink as never }),
      migrate: false,
      database: await createTestDatabase(kind),
      provider: new EnvKeyProvider(randomKekSpec()),
      mailer: new MemoryMailer(),
    });
    ({ app } = await buildPortalApp(services));
    await app.ready();
    org = await buildOrg(services);
    teamId = await buildTeam(services, org);
    admin = await signIn(app, org, { roles: ['administrator'] });
    agent = await signIn(app, org, { roles: ['agent'], teamIds: [teamId] });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('warns before sensitive data leaves by plain email, lets the agent confirm, and blocks when the organisation says so', async () => {
    const t = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'warned@customer.example', teamId });
    const body = 'Your refund goes to IBAN GB82 WEST 1234 5698 7654 32 as requested.';
    const check = await app.inject({ method: 'POST', url: `/api/tickets/${t.ticketId}/replies/check`, headers: agent.headers, payload: { body } });
    expect(check.json()).toMatchObject({ sensitiveTypes: ['iban'], byPlainEmail: true, replyMode: 'warn', suggestSecureMessage: true });
    const warned = await app.inject({ method: 'POST', url: `/api/tickets/${t.ticketId}/replies`, headers: agent.headers, payload: { body } });
    expect(warned.statusCode).toBe(409);
    expect(warned.json()).toMatchObject({ sensitiveTypes: ['iban'], blocked: false, useSecureMessage: true });
    const confirmed = await app.inject({ method: 'POST', url: `/api/tickets/${t.ticketId}/replies`, headers: agent.headers, payload: { body, acknowledgeSensitive: true } });
    expect(confirmed.statusCode).toBe(201);
    const plain = await app.inject({ method: 'POST', url: `/api/tickets/${t.ticketId}/replies`, headers: agent.headers, payload: { body: 'Thanks, all sorted.' } });
    expect(plain.statusCode).toBe(201);

    expect((await app.inject({ method: 'PUT', url: '/api/organization/dlp-policy', headers: agent.headers, payload: { actions: {}, cardRedaction: 'first6last4', replyMode: 'block' } })).statusCode).toBe(403);
    const set = await app.inject({ method: 'PUT', url: '/api/organization/dlp-policy', headers: admin.headers, payload: { actions: {}, cardRedaction: 'first6last4', replyMode: 'block' } });
    expect(set.statusCode).toBe(200);
    const blocked = await app.inject({ method: 'POST', url: `/api/tickets/${t.ticketId}/replies`, headers: agent.headers, payload: { body, acknowledgeSensitive: true } });
    expect(blocked.statusCode).toBe(409);
    expect(blocked.json()).toMatchObject({ blocked: true, useSecureMessage: true });
    // The secure-message path is the way through.
    const secure = await app.inject({ method: 'POST', url: `/api/tickets/${t.ticketId}/secure-replies`, headers: agent.headers, payload: { body } });
    expect(secure.statusCode).toBeLessThan(300);
    const weaken = await app.inject({ method: 'PUT', url: '/api/organization/dlp-policy', headers: admin.headers, payload: { actions: { payment_card: 'ignore' }, cardRedaction: 'first6last4', replyMode: 'warn' } });
    expect(weaken.statusCode).toBe(400);
    await app.inject({ method: 'PUT', url: '/api/organization/dlp-policy', headers: admin.headers, payload: { actions: {}, cardRedaction: 'first6last4', replyMode: 'warn' } });
  });

  it('leaves no full card number in any table, log line or audit entry after cards arrive on every channel', async () => {
    const address = `support-${kind}@dlp-test.example`;
    const mailboxId = await seedMailbox(services.database.db, org.orgId, address, teamId);
    const deps = await createHelpdeskDeps(services);
    const route = [{ id: mailboxId, orgId: org.orgId, address, teamId }];
    const blobs = new MemoryBlobStore();
    // 1. Email, with a card in the body and another in a text attachment.
    const raw = Buffer.from([
      'From: Card Holder <holder@customer.example>', `To: ${address}`, 'Subject: My card', 'Message-ID: <dlp-1@customer.example>', 'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="B"', '', '--B', 'Content-Type: text/plain; charset=utf-8', '',
      `Please charge my card ${CARDS.email} exp 04/29 cvv 123.`, '--B', 'Content-Type: text/plain; name="card.txt"', 'Content-Disposition: attachment; filename="card.txt"', '',
      `card: ${CARDS.attachment}`, '--B--', '',
    ].join('\r\n'));
    const [emailOutcome] = await ingestInboundEmail(deps, { hooks: createDefaultHooks(), blobs, maxAttachmentBytes: 1_000_000 }, { raw, mailFrom: 'holder@customer.example', rcptTo: [address] }, route);
    expect(emailOutcome?.outcome).toBe('ticket_created');
    const ticketId = (emailOutcome as { ticketId: string }).ticketId;
    // 2. The customer portal.
    const portal = await portalSignIn(app, { orgId: org.orgId, email: 'holder@customer.example' });
    const pr = await app.inject({ method: 'POST', url: `/api/portal/tickets/${ticketId}/replies`, headers: portal.headers, remoteAddress: nextIp(), payload: { body: `Use ${CARDS.portal} instead` } });
    expect(pr.statusCode).toBeLessThan(300);
    // 3. The public web form.
    const form = await app.inject({ url: `/api/portal/request-form?organizationId=${org.orgId}`, remoteAddress: nextIp() });
    await new Promise((r) => setTimeout(r, 80));
    const wf = await app.inject({ method: 'POST', url: '/api/portal/requests', remoteAddress: nextIp(), payload: { organizationId: org.orgId, name: 'Form Sender', email: 'form@customer.example', subject: `Card ${CARDS.webForm}`, body: `My card is ${CARDS.webForm}`, formToken: form.json().formToken } });
    expect(wf.statusCode).toBe(202);
    // 4. An agent's internal note and public reply; 5. a secure message.
    const lead = await signIn(app, org, { roles: ['supervisor'], teamIds: [teamId] });
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/notes`, headers: lead.headers, payload: { body: `Customer said ${CARDS.agentNote}` } })).statusCode).toBeLessThan(300);
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/replies`, headers: lead.headers, payload: { body: `We charged ${CARDS.agentReply}`, acknowledgeSensitive: true } })).statusCode).toBeLessThan(300);
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/secure-replies`, headers: lead.headers, payload: { body: `Card on file ${CARDS.secureMessage}` } })).statusCode).toBeLessThan(300);
    // The agent sees the masked form (first 6, last 4).
    const read = await app.inject({ url: `/api/tickets/${ticketId}`, headers: lead.headers });
    expect(read.body).toContain('4539 14** **** 6467');
    expect(read.body).not.toContain(digits(CARDS.email));

    await services.audit.flush();
    const dump = await dumpAllTables(services.database.db);
    const blobText = [...(blobs as unknown as { blobs: Map<string, Buffer> }).blobs?.values?.() ?? []].map((b) => b.toString('latin1')).join('\n');
    const logs = logLines.join('');
    const mails = (services.mailer as MemoryMailer).sent.map((m) => `${m.subject}\n${m.text}`).join('\n');
    for (const [channel, card] of Object.entries(CARDS)) {
      for (const form of [card, digits(card)]) {
        expect({ channel, where: 'tables', found: dump.includes(form) || dump.toLowerCase().includes(Buffer.from(form).toString('hex')) }).toEqual({ channel, where: 'tables', found: false });
        expect({ channel, where: 'logs', found: logs.includes(form) }).toEqual({ channel, where: 'logs', found: false });
        expect({ channel, where: 'mail', found: mails.includes(form) }).toEqual({ channel, where: 'mail', found: false });
        expect({ channel, where: 'blobs', found: blobText.includes(form) }).toEqual({ channel, where: 'blobs', found: false });
      }
    }
    expect(dump).toContain('-- audit_log');
  });
});
