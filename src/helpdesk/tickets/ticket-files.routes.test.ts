import { randomBytes } from 'node:crypto';
import { buildPdf, buildZip } from '../../protection/file-scan/testing.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { createCustomer } from '../customers/customers.service.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { processOutboundQueue } from '../mail/outbound-queue.js';
import { createMailTransport } from '../mail/transport.js';
import { createHelpdeskDeps, type HelpdeskDeps } from './context.js';
import { insertMessage, insertTicket } from './records.js';
import { createTicketFileRoutes, ticketFileRoutes } from './ticket-files.routes.js';
import { listOutbox, readOutboxMessage } from '../../platform/notify/outbox.js';

// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const HTML = `<div style="color:#333" onclick="steal()">Hello <b>there</b><script>alert(1)</script>
<form action="https://evil.example"><input name="pw"></form><iframe src="https://evil.example"></iframe>
<a href="javascript:alert(2)">click</a> <a href="https://paypa1.example/login">PayPal</a>
<img src="https://tracker.example/pixel.gif" alt="pixel"><img src="cid:logo@example.org" alt="logo"></div>`;
const RAW = [
  'From: Ottilie <ottilie@example.org>',
  'To: support@example.test',
  'Subject: Hello',
  'MIME-Version: 1.0',
  'Content-Type: multipart/related; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/html; charset=utf-8',
  '',
  HTML,
  '--b1',
  'Content-Type: image/png',
  'Content-Transfer-Encoding: base64',
  'Content-ID: <logo@example.org>',
  'Content-Disposition: inline; filename="logo.png"',
  '',
  PNG.toString('base64'),
  '--b1--',
  '',
].join('\r\n');

describe.each(testDatabaseKinds)('ticket files and email HTML on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let teamA: string;
  let ticketA: string;
  let ticketB: string;
  let htmlMessage: string;
  let plainMessage: string;
  let agentA: SignedIn;
  let agentB: SignedIn;
  let deps: HelpdeskDeps;
  const blobs = new MemoryBlobStore();

  beforeAll(async () => {
    services = await createTestServices(kind);
    const routes = [...appRoutes.filter((r) => r !== ticketFileRoutes), createTicketFileRoutes({ blobs, maxUploadBytes: 64 * 1024 })];
    app = await buildApp({ services, routes, schemaCache: testSchemaCache });
    org = await buildOrg(services);
    teamA = await buildTeam(services, org);
    const teamB = await buildTeam(services, org);
    deps = await createHelpdeskDeps(services);
    const { id: customerId } = await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Ottilie Brandreth', email: 'ottilie@example.org' });
    const made = await deps.db.transaction().execute(async (trx) => {
      const a = await insertTicket(trx, deps, { orgId: org.orgId, subject: 'Team A', channel: 'email', requesterId: customerId, teamId: teamA });
      const b = await insertTicket(trx, deps, { orgId: org.orgId, subject: 'Team B', channel: 'email', requesterId: customerId, teamId: teamB });
      const h = await insertMessage(trx, deps, { orgId: org.orgId, ticketId: a.id, kind: 'inbound_email', authorType: 'customer', customerId, body: 'Hello there', html: HTML, raw: Buffer.from(RAW) });
      const p = await insertMessage(trx, deps, { orgId: org.orgId, ticketId: a.id, kind: 'inbound_email', authorType: 'customer', customerId, body: 'plain only' });
      return { a: a.id, b: b.id, h: h.id, p: p.id };
    });
    ticketA = made.a;
    ticketB = made.b;
    htmlMessage = made.h;
    plainMessage = made.p;
    agentA = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    agentB = await signIn(app, org, { roles: ['agent'], teamIds: [teamB] });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  const upload = (who: SignedIn, ticketId: string, filename: string, bytes: Buffer, type = 'application/octet-stream') =>
    app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/attachments?filename=${encodeURIComponent(filename)}`, headers: { ...who.headers, 'content-type': type }, payload: bytes });

  it('serves the email HTML sanitised, with its own sandboxing policy, remote images only when asked, cid images inlined; the read is audited', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/tickets/${ticketA}/messages/${htmlMessage}/html?remote=0`, headers: agentA.headers });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBe("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'");
    const body = res.body;
    for (const bad of ['<script', 'onclick', '<form', '<input', '<iframe', 'javascript:', 'tracker.example', 'href=']) expect(body).not.toContain(bad);
    expect(body).toContain('style="color:#333"');
    expect(body).toContain(`src="data:image/png;base64,${PNG.toString('base64')}"`);
    expect(body).toContain('[https://paypa1.example/login]');
    const remote = await app.inject({ method: 'GET', url: `/api/tickets/${ticketA}/messages/${htmlMessage}/html?remote=1`, headers: agentA.headers });
    expect(remote.headers['content-security-policy']).toContain('img-src data: https:;');
    expect(remote.body).toContain('src="https://tracker.example/pixel.gif"');
    const audited = await services.database.db.selectFrom('audit_log').where('action', '=', 'ticket.message.html.read').select(['object_id', 'result']).execute();
    expect(audited.filter((a) => a.object_id === htmlMessage)).toHaveLength(2);
  });

  it('refuses the HTML to another team (404), a role without tickets.read (403), a message without HTML or on another ticket (404), and bad paths (400)', async () => {
    expect((await app.inject({ method: 'GET', url: `/api/tickets/${ticketA}/messages/${htmlMessage}/html`, headers: agentB.headers })).statusCode).toBe(404);
    const auditor = await signIn(app, org, { roles: ['auditor'] });
    expect((await app.inject({ method: 'GET', url: `/api/tickets/${ticketA}/messages/${htmlMessage}/html`, headers: auditor.headers })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: `/api/tickets/${ticketA}/messages/${plainMessage}/html`, headers: agentA.headers })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/api/tickets/${ticketB}/messages/${htmlMessage}/html`, headers: agentB.headers })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/api/tickets/${ticketA}/messages/..%2F..%2Fetc/html`, headers: agentA.headers })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: `/api/tickets/${ticketA}/messages/${htmlMessage}/html?remote=yes`, headers: agentA.headers })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: `/api/tickets/${ticketA}/messages/${htmlMessage}/html` })).statusCode).toBe(401);
  });

  it('refuses an upload whose document holds a card number, and masks one in a file name', { timeout: 60_000 }, async () => {
    const pdf = await upload(agentA, ticketA, 'statement.pdf', buildPdf(['Card 4297 2559 4628 5297']));
    expect(pdf.statusCode).toBe(400);
    expect(pdf.headers['content-type']).toContain('application/problem+json');
    expect(pdf.json()).toMatchObject({ detail: expect.stringContaining('payment card'), sensitiveTypes: ['payment_card'] });
    const zip = await upload(agentA, ticketA, 'docs.zip', buildZip({ 'card.txt': 'card 4297.2559.4628.5297' }));
    expect(zip.statusCode).toBe(400);
    // Someone who may not write to the ticket learns nothing from the file: the ticket is checked before it is read.
    const foreign = await upload(agentB, ticketA, 'docs.zip', buildZip({ 'card.txt': 'card 4297.2559.4628.5297' }));
    expect(foreign.statusCode).toBe(404);
    const named = await upload(agentA, ticketA, 'card 4297 2559 4628 5297.txt', Buffer.from('hello'));
    expect(named.statusCode).toBe(201);
    expect(named.json().filename).toBe('card 4297 25** **** 5297.txt');
  });

  it('an agent uploads a file, sends it on a reply, and downloads it with a safe name; the list shows it on the reply', async () => {
    const up = await upload(agentA, ticketA, '../../etc/"quote"\r\nX: y.txt', Buffer.from('Invoice number 42\n'));
    expect(up.statusCode).toBe(201);
    const file = up.json();
    expect(file).toMatchObject({ sniffedType: 'text/plain', dangerous: false, size: 18 });
    expect(file.filename).not.toContain('/');
    const reply = await app.inject({ method: 'POST', url: `/api/tickets/${ticketA}/replies`, headers: agentA.headers, payload: { body: 'Here is the invoice.', attachmentIds: [file.attachmentId] } });
    expect(reply.statusCode).toBe(201);
    const read = (await app.inject({ method: 'GET', url: `/api/tickets/${ticketA}`, headers: agentA.headers })).json();
    const onReply = read.messages.find((m: { id: string }) => m.id === reply.json().messageId);
    expect(onReply.attachments.map((a: { id: string }) => a.id)).toEqual([file.attachmentId]);
    expect(read.messages.find((m: { id: string }) => m.id === htmlMessage).hasHtml).toBe(true);
    const dl = await app.inject({ method: 'GET', url: `/api/tickets/${ticketA}/attachments/${file.attachmentId}`, headers: agentA.headers });
    expect(dl.statusCode).toBe(200);
    expect(dl.body).toBe('Invoice number 42\n');
    expect(dl.headers['x-content-type-options']).toBe('nosniff');
    expect(dl.headers['content-type']).toBe('text/plain');
    const disposition = String(dl.headers['content-disposition']);
    expect(disposition.startsWith('attachment; filename="')).toBe(true);
    expect(disposition).not.toMatch(/[\r\n]/);
    expect(disposition.split('filename="')[1]?.split('"')[0]).not.toMatch(/[/\\"]/);
    // The same file cannot be taken twice, nor by a reply on another ticket.
    const again = await app.inject({ method: 'POST', url: `/api/tickets/${ticketA}/notes`, headers: agentA.headers, payload: { body: 'again', attachmentIds: [file.attachmentId] } });
    expect(again.statusCode).toBe(404);
    const audited = await services.database.db.selectFrom('audit_log').where('action', 'in', ['ticket.attachment.upload', 'ticket.attachment.download']).where('object_id', '=', file.attachmentId).select('action').execute();
    expect(audited.map((a) => a.action).sort()).toEqual(['ticket.attachment.download', 'ticket.attachment.upload']);
  });

  it('the email of a reply carries its files; a worker without the file store retries rather than send without them', async () => {
    await processOutboundQueue(deps, { send: async () => ({ delivery: 'sent' as const }) }, { blobs }); // earlier tests' replies
    const up = await upload(agentA, ticketA, 'Rechnung März.pdf', Buffer.from('%PDF-1.4\n%fake\n'));
    expect(up.statusCode).toBe(201);
    const reply = await app.inject({ method: 'POST', url: `/api/tickets/${ticketA}/replies`, headers: agentA.headers, payload: { body: 'The corrected invoice is attached.', attachmentIds: [up.json().attachmentId] } });
    expect(reply.statusCode).toBe(201);
    const outbox = mkdtempSync(path.join(os.tmpdir(), 'td-outbox-'));
    try {
      const key = randomBytes(32);
      const transport = createMailTransport({ outboxDir: outbox, outboxKey: async () => key });
      const noStore = await processOutboundQueue(deps, transport, { backoff: { baseMs: 0, maxMs: 0, maxAttempts: 5 } });
      expect(noStore).toMatchObject({ sent: 0, retried: 1 });
      expect(readdirSync(outbox)).toEqual([]);
      const pass = await processOutboundQueue(deps, transport, { blobs });
      expect(pass).toMatchObject({ sent: 1, retried: 0, failed: 0 });
      // Sealed at rest: neither the body nor the file is readable in the folder; the operator's reader opens it.
      expect(readdirSync(outbox).filter((f) => f.endsWith('.eml'))).toEqual([]);
      const files = listOutbox(outbox);
      expect(files).toHaveLength(1);
      expect(readdirSync(outbox).some((f) => readFileSync(path.join(outbox, f)).includes('The corrected invoice'))).toBe(false);
      expect(readdirSync(outbox).some((f) => readFileSync(path.join(outbox, f)).includes('%PDF-1.4'))).toBe(false);
      const mail = await simpleParser(await readOutboxMessage(outbox, async () => key, files[0]!.id));
      expect(mail.text).toContain('The corrected invoice is attached.');
      expect(mail.attachments.map((a) => ({ name: a.filename, type: a.contentType, body: a.content.toString() }))).toEqual([
        { name: 'Rechnung März.pdf', type: 'application/pdf', body: '%PDF-1.4\n%fake\n' },
      ]);
    } finally {
      rmSync(outbox, { recursive: true, force: true });
    }
  });

  it('an agent discards their own waiting upload (file, holder note and blob gone, audited); nobody else’s, and not a sent file', async () => {
    const up = await upload(agentA, ticketA, 'wrong-customer.txt', Buffer.from('someone else entirely\n'));
    expect(up.statusCode).toBe(201);
    const { attachmentId, messageId } = up.json();
    const key = (await services.database.db.selectFrom('attachments').where('id', '=', attachmentId).select('blob_key').executeTakeFirstOrThrow()).blob_key as string;
    expect(blobs.blobs.has(key)).toBe(true);
    const discard = (who: SignedIn, ticketId: string, id: string) => app.inject({ method: 'DELETE', url: `/api/tickets/${ticketId}/attachments/${id}`, headers: who.headers });
    // Another team's agent, a colleague on the same team, the wrong ticket: not found, nothing removed.
    const colleague = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    expect((await discard(agentB, ticketA, attachmentId)).statusCode).toBe(404);
    expect((await discard(colleague, ticketA, attachmentId)).statusCode).toBe(404);
    expect((await discard(agentA, ticketB, attachmentId)).statusCode).toBe(404);
    const auditor = await signIn(app, org, { roles: ['auditor'] });
    expect((await discard(auditor, ticketA, attachmentId)).statusCode).toBe(403);
    const ok = await discard(agentA, ticketA, attachmentId);
    expect(ok.statusCode).toBe(200);
    expect(await services.database.db.selectFrom('attachments').where('id', '=', attachmentId).select('id').executeTakeFirst()).toBeUndefined();
    expect(await services.database.db.selectFrom('messages').where('id', '=', messageId).select('id').executeTakeFirst()).toBeUndefined();
    expect(blobs.blobs.has(key)).toBe(false);
    expect((await discard(agentA, ticketA, attachmentId)).statusCode).toBe(404);
    const audited = await services.database.db.selectFrom('audit_log').where('action', '=', 'ticket.attachment.discard').where('object_id', '=', attachmentId).select('result').execute();
    expect(audited).toEqual([{ result: 'success' }]);
    // A file already sent on a reply stays: it is part of the conversation now.
    const sent = await upload(agentA, ticketA, 'kept.txt', Buffer.from('kept\n'));
    await app.inject({ method: 'POST', url: `/api/tickets/${ticketA}/notes`, headers: agentA.headers, payload: { body: 'Keeping this.', attachmentIds: [sent.json().attachmentId] } });
    expect((await discard(agentA, ticketA, sent.json().attachmentId)).statusCode).toBe(404);
  });

  it('a dangerous file downloads only when confirmed; the refusal is audited', async () => {
    const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(64, 1)]);
    const up = await upload(agentA, ticketA, 'invoice.pdf.exe', exe);
    expect(up.statusCode).toBe(201);
    expect(up.json().dangerous).toBe(true);
    const id = up.json().attachmentId as string;
    const refused = await app.inject({ method: 'GET', url: `/api/tickets/${ticketA}/attachments/${id}`, headers: agentA.headers });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'conflict', dangerous: true });
    const ok = await app.inject({ method: 'GET', url: `/api/tickets/${ticketA}/attachments/${id}?confirm=1`, headers: agentA.headers });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toBe('application/octet-stream');
    const denied = await services.database.db.selectFrom('audit_log').where('action', '=', 'ticket.attachment.download').where('object_id', '=', id).select('result').execute();
    expect(denied.map((d) => d.result).sort()).toEqual(['denied', 'success']);
  });

  it('refuses uploads and downloads across teams and roles, oversized and mistyped bodies, and files of another ticket', async () => {
    const up = await upload(agentA, ticketA, 'a.txt', Buffer.from('hello'));
    const id = up.json().attachmentId as string;
    expect((await upload(agentB, ticketA, 'x.txt', Buffer.from('x'))).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/api/tickets/${ticketA}/attachments/${id}`, headers: agentB.headers })).statusCode).toBe(404);
    // The attachment id with a ticket the caller may see, but not its own: not found.
    expect((await app.inject({ method: 'GET', url: `/api/tickets/${ticketB}/attachments/${id}`, headers: agentB.headers })).statusCode).toBe(404);
    const auditor = await signIn(app, org, { roles: ['auditor'] });
    expect((await upload(auditor, ticketA, 'x.txt', Buffer.from('x'))).statusCode).toBe(403);
    expect((await upload(agentA, ticketA, 'big.bin', Buffer.alloc(65 * 1024, 7))).statusCode).toBe(413);
    expect((await upload(agentA, ticketA, 'a.json', Buffer.from('{}'), 'application/json')).statusCode).toBe(415);
    expect((await upload(agentA, ticketA, 'empty.txt', Buffer.alloc(0))).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${ticketA}/attachments`, headers: { ...agentA.headers, 'content-type': 'application/octet-stream' }, payload: Buffer.from('x') })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: `/api/tickets/${ticketA}/attachments/not-a-uuid`, headers: agentA.headers })).statusCode).toBe(400);
    // Another team's agent cannot send a file of ticket A on their own ticket's reply.
    const cross = await app.inject({ method: 'POST', url: `/api/tickets/${ticketB}/replies`, headers: agentB.headers, payload: { body: 'x', attachmentIds: [id] } });
    expect(cross.statusCode).toBe(404);
    // Without the CSRF header the upload is refused.
    const { 'x-csrf-token': _csrf, ...noCsrf } = agentA.headers;
    void _csrf;
    expect((await app.inject({ method: 'POST', url: `/api/tickets/${ticketA}/attachments?filename=a.txt`, headers: { ...noCsrf, 'content-type': 'application/octet-stream' }, payload: Buffer.from('x') })).statusCode).toBe(403);
  });
});
