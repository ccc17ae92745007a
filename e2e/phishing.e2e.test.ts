/**
 * Phishing defence end to end, over real SMTP (nodemailer → our inbound
 * server) and the HTTP API: a lookalike of the organisation's own domain
 * asking for credentials lands in quarantine with its reasons readable by a
 * security officer (who is mailed about it); a real customer's message lands
 * clean as a ticket; an agent's "report phishing" moves that clean message to
 * quarantine and records the report (awareness row and audit event).
 */
import type { FastifyInstance } from 'fastify';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../src/platform/app/services.js';
import { createTestServices, testSchemaCache } from '../src/platform/app/testing.js';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../src/identity/auth/testing.js';
import { MemoryBlobStore } from '../src/protection/blobs/store.js';
import { testDatabaseKinds } from '../src/platform/db/testing.js';
import { buildApp } from '../src/platform/http/app.js';
import { appRoutes } from '../src/platform/http/routes.js';
import { createDefaultHooks } from '../src/helpdesk/ingest/hooks.js';
import type { IngestOutcome } from '../src/helpdesk/ingest/pipeline.js';
import { createInboundSmtpServer, type InboundSmtpServer } from '../src/helpdesk/mail/smtp-server.js';
import type { MemoryMailer } from '../src/platform/notify/mailer.js';
import { phishingReportRoutes } from '../src/threats/phishing-reports/phishing-reports.routes.js';
import { createHelpdeskDeps } from '../src/helpdesk/tickets/context.js';
import { seedMailbox } from '../src/helpdesk/tickets/testing.js';

const SUPPORT = 'support@acme-support.example';

describe.each(testDatabaseKinds)('phishing defence end to end on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let inbound: InboundSmtpServer;
  let port = 0;
  let org: TestOrg;
  let agent: SignedIn;
  let officer: SignedIn;
  const outcomes: IngestOutcome[] = [];

  const send = (mail: nodemailer.SendMailOptions) =>
    nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true }).sendMail(mail);
  const lastOutcome = () => outcomes[outcomes.length - 1]!;

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: [...appRoutes, phishingReportRoutes], schemaCache: testSchemaCache });
    await app.ready();
    org = await buildOrg(services, 'Acme Support');
    const team = await buildTeam(services, org);
    await seedMailbox(services.database.db, org.orgId, SUPPORT, team);
    agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    officer = await signIn(app, org, { roles: ['security_officer'] });
    inbound = createInboundSmtpServer({
      deps: await createHelpdeskDeps(services),
      hooks: createDefaultHooks({ db: services.database.db, keyring: services.keyring, mailer: services.mailer }),
      blobs: new MemoryBlobStore(),
      maxBytes: 1024 * 1024,
      onIngested: (o) => outcomes.push(...o),
    });
    port = await inbound.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await inbound?.close();
    await app?.close();
    await services?.close();
  });

  it('quarantines a lookalike of our own domain asking for credentials, with its reasons shown, and tells security', async () => {
    const sentBefore = (services.mailer as MemoryMailer).sent.length;
    await send({
      from: '"Acme Support" <security@acrne-support.example>',
      to: SUPPORT,
      subject: 'Action required: confirm your password',
      text: 'Your support account will be suspended today. Confirm your password and the verification code we sent you at https://acme-support.example/login',
      html: '<p>Your support account will be suspended today.</p><p>Confirm your password and the verification code we sent you: <a href="https://acrne-support.example.session-check.example/login">https://acme-support.example/login</a></p>',
    });
    const held = lastOutcome();
    expect(held).toMatchObject({ outcome: 'quarantined', reason: 'phishing' });
    const id = (held as { quarantineId: string }).quarantineId;
    const res = await app.inject({ url: `/api/quarantine/${id}`, headers: officer.headers });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { reason: string; codes: string[]; reasons: Array<{ code: string; evidence: string }> };
    expect(body.reason).toBe('phishing');
    // The lookalike sender and the deceptive link are among the reasons, with evidence a person can check.
    expect(body.reasons.some((r) => r.code.includes('lookalike') && r.evidence.includes('acrne-support.example'))).toBe(true);
    // (The engine reads shown domains only under real public suffixes, so on .example it names the link's
    // real destination through another link reason; the warning page's check below names the mismatch.)
    expect(body.reasons.some((r) => r.code.startsWith('link.') && r.evidence.includes('session-check.example'))).toBe(true);
    expect(body.reasons.some((r) => r.code === 'content.credentials')).toBe(true);
    const notices = (services.mailer as MemoryMailer).sent.slice(sentBefore);
    expect(notices.map((n) => n.to)).toEqual([officer.email]);
    expect(notices[0]!.text).toContain(id);
    expect(notices[0]!.text).not.toContain('acrne');
  });

  it('lets a real customer’s message through clean, then the report button quarantines it and records the report', async () => {
    await send({
      from: '"Dana Whitcombe" <dana.whitcombe@customer-mail.example>',
      to: SUPPORT,
      subject: 'Question about my order',
      text: 'Hello, my order 5521 arrived with a cracked lid. Could you send a replacement? Thank you, Dana',
    });
    const clean = lastOutcome();
    expect(clean.outcome).toBe('ticket_created');
    const { ticketId, messageId } = clean as { ticketId: string; messageId: string };
    const ticket = await app.inject({ url: `/api/tickets/${ticketId}`, headers: agent.headers });
    expect(ticket.statusCode).toBe(200);
    const shown = (ticket.json() as { messages: Array<{ id: string; threat: { verdict: string } | null }> }).messages.find((m) => m.id === messageId);
    expect(shown?.threat?.verdict).toBe('clean');
    // Links in a clean message still pass the warning check before opening.
    const u = encodeURIComponent('https://acrne-support.example.session-check.example/login');
    const check = await app.inject({ url: `/api/links/check?u=${u}&m=${messageId}&t=${encodeURIComponent('https://acme-support.example/login')}`, headers: agent.headers });
    expect(check.json()).toMatchObject({ domain: 'session-check.example', level: 'warn', warn: true, reasons: [{ code: 'link.text_mismatch' }], message: { verdict: 'clean', reported: false } });

    const reported = await app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/messages/${messageId}/report-phishing`, headers: agent.headers, payload: { comment: 'odd request' } });
    expect(reported.statusCode).toBe(201);
    const { reportId, quarantineId } = reported.json() as { reportId: string; quarantineId: string };
    const q = await app.inject({ url: `/api/quarantine/${quarantineId}`, headers: officer.headers });
    expect(q.json()).toMatchObject({ reason: 'reported', status: 'held' });
    expect(q.json().source).toContain('cracked lid');
    const db = services.database.db;
    expect(await db.selectFrom('phishing_reports').where('id', '=', reportId).select(['reporter_id', 'message_id', 'quarantine_id', 'outcome']).executeTakeFirst()).toEqual({ reporter_id: agent.userId, message_id: messageId, quarantine_id: quarantineId, outcome: 'pending' });
    expect(await db.selectFrom('audit_log').where('action', '=', 'message.report_phishing').where('object_id', '=', messageId).select('actor_id').execute()).toEqual([{ actor_id: agent.userId }]);
    expect((await db.selectFrom('messages').where('id', '=', messageId).select('reported_at').executeTakeFirstOrThrow()).reported_at).not.toBeNull();
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/messages/${messageId}/report-phishing`, headers: agent.headers, payload: {} })).statusCode).toBe(409);
  });
});
