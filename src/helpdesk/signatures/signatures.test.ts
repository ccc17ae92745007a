/**
 * Rich replies, notes and signatures over HTTP: the server sanitises the composer's HTML (images only as cid of
 * the reply's own files), derives the text twin, removes card numbers from both however the HTML hides them, and
 * a reply sent by email becomes multipart/alternative with the person's then the mailbox's signature and its
 * inline image as a related part (the MIME is built by nodemailer and read back with mailparser). Signatures:
 * sanitised and redacted on save, mailbox ones only for channels.manage and only in the organisation.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { createCustomer } from '../customers/customers.service.js';
import type { ComposedMail } from '../mail/compose.js';
import { processOutboundQueue } from '../mail/outbound-queue.js';
import { toNodemailer } from '../mail/transport.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../tickets/context.js';
import { insertTicket } from '../tickets/records.js';
import { seedMailbox } from '../tickets/testing.js';
import { createTicketFileRoutes, ticketFileRoutes } from '../tickets/ticket-files.routes.js';
import { fillSignature } from './signatures.js';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const CARD = '4111 1111 1111 1111';
const CARD_FORMS = [CARD, '4111 <b>1111</b> 1111 <em>1111</em>', '&#52;111&nbsp;1111&nbsp;1111&nbsp;1111', '4111<br>1111<br>1111<br>1111', '4111</p><p>1111 1111</p><ul><li>1111</li></ul><p>'];
const hasFullCard = (s: string) => /4111\D{0,12}1111\D{0,12}1111\D{0,12}1111/.test(s.replace(/<[^>]*>|&#52;|&nbsp;/g, (m) => (m === '&#52;' ? '4' : m === '&nbsp;' ? ' ' : '')));

async function mime(mail: ComposedMail) {
  const stream = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'crlf' });
  const info = await stream.sendMail(toNodemailer(mail));
  const raw = (info.message as Buffer).toString('utf8');
  return { raw, parsed: await simpleParser(raw) };
}

describe.each(testDatabaseKinds)('rich replies and signatures on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let other: TestOrg;
  let deps: HelpdeskDeps;
  let team: string;
  let agent: SignedIn;
  let outsider: SignedIn;
  let admin: SignedIn;
  let mailbox: string;
  let otherMailbox: string;
  let customerId: string;
  const blobs = new MemoryBlobStore();
  const sent: ComposedMail[] = [];
  const transport = { send: async (m: ComposedMail) => { sent.push(m); return { delivery: 'sent' as const }; } };

  const newTicket = async (channel: 'email' | 'web' = 'email') =>
    (await deps.db.transaction().execute((trx) => insertTicket(trx, deps, { orgId: org.orgId, subject: 'Router', channel, requesterId: customerId, teamId: team, mailboxId: mailbox }))).id;
  const post = (who: SignedIn, url: string, payload: object) => app.inject({ method: 'POST', url, headers: who.headers, payload });
  const put = (who: SignedIn, url: string, payload: object) => app.inject({ method: 'PUT', url, headers: who.headers, payload });
  const stored = async (messageId: string) => {
    const m = await deps.db.selectFrom('messages').where('id', '=', messageId).select(['id', 'body_enc', 'html_enc']).executeTakeFirstOrThrow();
    return {
      text: await deps.keyring.decrypt({ table: 'messages', column: 'body_enc', rowId: m.id }, m.body_enc as Uint8Array),
      html: m.html_enc ? await deps.keyring.decrypt({ table: 'messages', column: 'html_enc', rowId: m.id }, m.html_enc) : null,
      rawHtml: m.html_enc ? Buffer.from(m.html_enc).toString('latin1') : '',
    };
  };
  const upload = async (ticketId: string) => {
    const res = await app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/attachments?filename=shot.png`, headers: { ...agent.headers, 'content-type': 'application/octet-stream' }, payload: PNG });
    expect(res.statusCode).toBe(201);
    return res.json().attachmentId as string;
  };

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: [...appRoutes.filter((r) => r !== ticketFileRoutes), createTicketFileRoutes({ blobs, maxUploadBytes: 64 * 1024 })], schemaCache: testSchemaCache });
    org = await buildOrg(services);
    other = await buildOrg(services);
    team = await buildTeam(services, org);
    deps = await createHelpdeskDeps(services);
    customerId = (await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Grace Hopper', email: 'grace@customer.example' })).id;
    mailbox = await seedMailbox(deps.db, org.orgId, `help-${randomUUID().slice(0, 6)}@shop.example`, team, 'Shop Support');
    otherMailbox = await seedMailbox(deps.db, other.orgId, `help-${randomUUID().slice(0, 6)}@other.example`, null);
    agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    outsider = await signIn(app, other, { roles: ['administrator'] });
    admin = await signIn(app, org, { roles: ['administrator'] });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('signatures are sanitised and redacted on save; mailbox ones need channels.manage and stay in the organisation', async () => {
    const mine = await put(agent, '/api/account/signature', { html: `<p>Best, <strong>{{agent.name}}</strong><script>alert(1)</script><img src="https://tracker.example/p.gif"></p><p onclick="x()">Card ${CARD}</p>` });
    expect(mine.statusCode).toBe(200);
    expect(mine.json().html).toBe('<p>Best, <strong>{{agent.name}}</strong></p><p>Card 4111 11** **** 1111</p>');
    expect((await app.inject({ method: 'GET', url: '/api/account/signature', headers: agent.headers })).json()).toEqual({ html: mine.json().html });
    // Back to a plain sign-off for the rest of the suite.
    await put(agent, '/api/account/signature', { html: '<p>Best, <strong>{{agent.name}}</strong></p>' });

    const url = `/api/mailboxes/${mailbox}/signature`;
    expect((await put(agent, url, { html: '<p>x</p>' })).statusCode).toBe(403);
    expect((await put(outsider, url, { html: '<p>x</p>' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url, headers: outsider.headers })).statusCode).toBe(404);
    expect((await put(admin, `/api/mailboxes/${otherMailbox}/signature`, { html: '<p>x</p>' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'PUT', url, payload: { html: '<p>x</p>' } })).statusCode).toBe(401);
    expect((await put(admin, url, { html: 'x'.repeat(10_001) })).statusCode).toBe(400);
    const saved = await put(admin, url, { html: '<p><em>{{mailbox.name}}</em> · <a href="https://shop.example/help">Help centre</a></p>' });
    expect(saved.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url, headers: admin.headers })).json().html).toContain('{{mailbox.name}}');
    const audits = await deps.db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', '=', 'signature.update').select('object_type').execute();
    expect(audits.map((a) => a.object_type).sort()).toEqual(['mailbox', 'user', 'user']);
  });

  it('placeholders are filled in escaped', () => {
    expect(fillSignature('<p>{{agent.name}} {{ mailbox.name }} {{unknown}}</p>', { agentName: '<b>Sam</b>', mailboxName: 'A&B', mailboxAddress: '' })).toBe('<p>&lt;b&gt;Sam&lt;/b&gt; A&amp;B {{unknown}}</p>');
  });

  it('the composer preview shows what an email reply ends with, and nothing on a non-email ticket or another team’s', async () => {
    const ticket = await newTicket();
    const res = await app.inject({ method: 'GET', url: `/api/tickets/${ticket}/signature`, headers: agent.headers });
    expect(res.statusCode).toBe(200);
    expect(res.json().html).toBe('<p>Best, <strong>Test User</strong></p><p><em>Shop Support</em> · <a href="https://shop.example/help" target="_blank" rel="noopener noreferrer nofollow">Help centre</a></p>');
    const web = await newTicket('web');
    expect((await app.inject({ method: 'GET', url: `/api/tickets/${web}/signature`, headers: agent.headers })).json()).toEqual({ html: null, text: null });
    const stranger = await signIn(app, org, { roles: ['agent'], teamIds: [await buildTeam(services, org)] });
    expect((await app.inject({ method: 'GET', url: `/api/tickets/${ticket}/signature`, headers: stranger.headers })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/api/tickets/${ticket}/signature`, headers: outsider.headers })).statusCode).toBe(404);
  });

  it('a rich reply is sanitised, keeps only its own cid image, and leaves as text + HTML with the signatures and the image as a related part', async () => {
    const ticket = await newTicket();
    const image = await upload(ticket);
    const elsewhere = await upload(await newTicket());
    const html = `<p>Hello <strong>Grace</strong>,</p><ul><li>restart the router</li><li>wait a minute</li></ul><p><a href="https://shop.example/kb/1">Guide</a> <a href="javascript:alert(1)">bad</a></p>`
      + `<p><img src="cid:${image}@trustdesk" alt="screenshot"><img src="cid:${elsewhere}@trustdesk" alt="other"><img src="https://tracker.example/x.gif"><img src="data:image/png;base64,AAAA"></p><script>steal()</script><p style="color:red" onmouseover="x()">Thanks</p>`;
    const res = await post(agent, `/api/tickets/${ticket}/replies`, { body: 'ignored when html is sent', html, attachmentIds: [image] });
    expect(res.statusCode).toBe(201);
    const msg = await stored(res.json().messageId);
    expect(msg.html).toContain('<strong>Grace</strong>');
    expect(msg.html).toContain(`<img src="cid:${image}@trustdesk" alt="screenshot" />`);
    for (const bad of ['script', 'javascript:', elsewhere, 'tracker.example', 'data:', 'style=', 'onmouseover']) expect(msg.html).not.toContain(bad);
    expect(msg.text).toMatch(/^Hello Grace,/);
    expect(msg.text).toContain('Guide [https://shop.example/kb/1]');
    expect(msg.text).not.toContain('ignored when html is sent');
    expect(msg.text).toContain('\n-- \nBest, Test User');

    sent.length = 0;
    await processOutboundQueue(deps, transport, { blobs });
    const mail = sent.find((m) => m.text.includes('restart the router')) as ComposedMail;
    const { raw, parsed } = await mime(mail);
    expect(raw).toMatch(/Content-Type: multipart\/related/);
    expect(raw).toMatch(/Content-Type: multipart\/alternative/);
    expect(parsed.text).toContain('restart the router');
    expect(parsed.html).toContain('<li>restart the router</li>');
    // Personal signature first, then the mailbox's.
    expect((parsed.html as string).indexOf('Best, <strong>Test User</strong>')).toBeLessThan((parsed.html as string).indexOf('<em>Shop Support</em>'));
    expect(parsed.text).toContain('Shop Support · Help centre [https://shop.example/help]');
    const inline = parsed.attachments.find((a) => a.cid === `${image}@trustdesk`);
    expect(inline?.contentType).toBe('image/png');
    expect(inline?.related).toBe(true);
    expect(inline?.content.equals(PNG)).toBe(true);

    // The agent's own view of the reply shows the image inline from the stored file.
    const view = await app.inject({ method: 'GET', url: `/api/tickets/${ticket}/messages/${res.json().messageId}/html`, headers: agent.headers });
    expect(view.statusCode).toBe(200);
    expect(view.body).toContain(`src="data:image/png;base64,${PNG.toString('base64')}"`);
  });

  it('a card number in the HTML never reaches storage or the customer, however the markup hides it', async () => {
    for (const form of CARD_FORMS) {
      const ticket = await newTicket();
      const res = await post(agent, `/api/tickets/${ticket}/replies`, { body: 'x', html: `<p>Your card <strong>on file</strong>: ${form}</p>`, acknowledgeSensitive: true });
      expect(res.statusCode, form).toBe(201);
      expect(res.json().redactions).toBeGreaterThan(0);
      const msg = await stored(res.json().messageId);
      expect(hasFullCard(msg.text), form).toBe(false);
      expect(hasFullCard(msg.html ?? ""), form).toBe(false);
      // A card wrapped across lines is masked where it stands (decision 0166), so the groups may keep their line breaks.
      expect(msg.text).toMatch(/4111[\s\S]{0,8}11\*\*[\s\S]{0,8}\*\*\*\*[\s\S]{0,8}1111/);
    }
    sent.length = 0;
    await processOutboundQueue(deps, transport, { blobs });
    expect(sent.length).toBe(CARD_FORMS.length);
    for (const m of sent) {
      const { raw } = await mime(m);
      expect(hasFullCard(m.text) || hasFullCard(m.html ?? '') || hasFullCard(raw.replace(/=\r\n/g, ''))).toBe(false);
    }
    // Not in the search index either: the card's groups are not searchable words.
    const ticket = await newTicket();
    await post(agent, `/api/tickets/${ticket}/notes`, { body: 'x', html: `<p>${CARD_FORMS[1]}</p>` });
    const search = await app.inject({ method: 'GET', url: `/api/search?q=${encodeURIComponent('4111111111111111')}`, headers: agent.headers });
    expect(search.statusCode === 200 ? JSON.stringify(search.json()) : '').not.toContain(ticket);
  });

  it('without acknowledgement a rich reply holding sensitive data is stopped before plain email (409), judged on its text', async () => {
    const ticket = await newTicket();
    const res = await post(agent, `/api/tickets/${ticket}/replies`, { body: 'x', html: `<p>Card: 4111 <b>1111</b> 1111 1111</p>` });
    expect(res.statusCode).toBe(409);
    expect(res.json().sensitiveTypes).toContain('payment_card');
  });

  it('notes take HTML too, without a signature; a plain reply keeps working as text only; blank or oversized HTML is refused', async () => {
    const ticket = await newTicket();
    const note = await post(agent, `/api/tickets/${ticket}/notes`, { body: 'x', html: '<p>Check the <em>warranty</em></p><iframe src="https://evil.example"></iframe>' });
    expect(note.statusCode).toBe(201);
    expect(await stored(note.json().messageId)).toMatchObject({ text: 'Check the warranty', html: '<p>Check the <em>warranty</em></p>' });

    // Editor HTML with nothing but paragraphs is stored as text alone.
    const paragraphs = await post(agent, `/api/tickets/${ticket}/notes`, { body: 'x', html: '<p>Just words.</p><p>Two lines.</p>' });
    expect(await stored(paragraphs.json().messageId)).toMatchObject({ text: 'Just words.\n\nTwo lines.', html: null });
    const plain = await post(agent, `/api/tickets/${ticket}/replies`, { body: 'Plain text still works.' });
    expect(plain.statusCode).toBe(201);
    const web = await newTicket('web');
    const portal = await post(agent, `/api/tickets/${web}/replies`, { body: 'On the portal.' });
    expect(await stored(portal.json().messageId)).toMatchObject({ text: 'On the portal.', html: null });
    expect((await post(agent, `/api/tickets/${ticket}/replies`, { body: 'x', html: '<p> </p><script>x</script>' })).statusCode).toBe(400);
    expect((await post(agent, `/api/tickets/${ticket}/replies`, { body: 'x', html: 'a'.repeat(500_001) })).statusCode).toBe(400);
    expect((await post(outsider, `/api/tickets/${ticket}/replies`, { body: 'x', html: '<p>hi</p>' })).statusCode).toBe(404);

    sent.length = 0;
    await processOutboundQueue(deps, transport, { blobs });
    const mail = sent.find((m) => m.text.startsWith('Plain text still works.')) as ComposedMail;
    expect(mail.text).toContain('\n-- \nBest, Test User');
    const { parsed } = await mime(mail);
    expect(parsed.html).toContain('<p>Plain text still works.</p><p>-- </p><p>Best, <strong>Test User</strong></p>');
  });
});
