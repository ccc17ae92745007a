/**
 * Every mail a customer receives goes out under the organisation's name and never says
 * "Trustdesk" (decision 0158). PATHS lists each customer-facing mail and how to trigger it; the
 * source check below fails when a new `mailer.send` in the customer-facing code has no sender
 * name, or when a new file starts sending mail without being listed here.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, signIn, type TestOrg } from '../../identity/auth/testing.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import type { MemoryMailer } from '../../platform/notify/mailer.js';
import type { ComposedMail } from '../mail/compose.js';
import { processOutboundQueue } from '../mail/outbound-queue.js';
import { createDefaultHooks } from '../ingest/hooks.js';
import { ingestInboundEmail } from '../ingest/pipeline.js';
import { createPortalDeps } from '../portal/deps.js';
import { buildCustomerWithTicket, buildPortalApp, nextIp } from '../portal/testing.js';
import { submitWebRequest } from '../portal/web-form.js';
import { authenticateVisitor, startConversation } from '../chat/conversations.js';
import { requestEmailCode } from '../chat/identify.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { seedMailbox } from '../tickets/testing.js';

const BRAND = 'Quillfeather Support';

/** Files under src/helpdesk that send mail to customers: each has a path below. */
const SENDING_FILES = [
  'chat/identify.ts',
  'mail/outbound-queue.ts',
  'portal/signin.service.ts',
  'privacy/export.ts',
  'secure-messages/secure-messages.service.ts',
  'verification/verification.service.ts',
];

/** Files under src/helpdesk that send mail to staff only (no customer ever receives it). */
const STAFF_MAIL_FILES = new Set(['notifications/digest.ts']);

interface Received {
  fromName: string;
  subject: string;
  text: string;
  headers?: Record<string, string>;
}

describe.each(testDatabaseKinds)('customer-facing mail carries the organisation’s name on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let team: string;
  let mailboxId: string;
  const address = `desk-${kind}@quillfeather.example`;
  const mailer = () => services.mailer as MemoryMailer;

  beforeAll(async () => {
    services = await createTestServices(kind);
    ({ app } = await buildPortalApp(services));
    org = await buildOrg(services, 'Quillfeather Books Ltd');
    team = await buildTeam(services, org);
    mailboxId = await seedMailbox(services.database.db, org.orgId, address, team, 'Trustdesk inbox');
    await sql`UPDATE organizations SET settings = jsonb_set(settings, '{branding}', ${JSON.stringify({ displayName: BRAND, accentColor: null })}::jsonb, true) WHERE id = ${org.orgId}`.execute(services.database.db);
    await services.database.db.insertInto('mailbox_acknowledgements').values({ mailbox_id: mailboxId, org_id: org.orgId, enabled: true, template: 'Thanks, {{organization.name}} got #{{ticket.number}}: {{portal.link}}' }).execute();
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  async function queued(match: (m: ComposedMail) => boolean): Promise<Received> {
    const sent: ComposedMail[] = [];
    await processOutboundQueue(await createHelpdeskDeps(services), { send: async (m) => (sent.push(m), { delivery: 'sent' as const }) }, { limit: 500, blobs: new MemoryBlobStore() });
    const mail = sent.find(match);
    if (!mail) throw new Error('no queued mail matched');
    expect(typeof mail.from).toBe('object');
    return { fromName: (mail.from as { name: string }).name, subject: mail.subject, text: mail.text, headers: mail.headers };
  }
  function mailed(to: string): Received {
    const m = mailer().last(to);
    if (!m) throw new Error(`nothing mailed to ${to}`);
    return { fromName: m.fromName ?? '', subject: m.subject, text: m.text };
  }

  const PATHS: Record<string, () => Promise<Received>> = {
    'ticket reply': async () => {
      const c = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'reply@reader.example', teamId: team });
      await services.database.db.updateTable('tickets').set({ mailbox_id: mailboxId }).where('id', '=', c.ticketId).execute();
      const agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
      const res = await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/replies`, headers: agent.headers, payload: { body: 'Your order ships on Monday.' } });
      expect(res.statusCode, res.body).toBe(201);
      return queued((m) => m.to === 'reply@reader.example');
    },
    'secure-message notice': async () => {
      const c = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'notice@reader.example', teamId: team });
      const agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
      const res = await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/secure-replies`, headers: agent.headers, payload: { body: 'Your account number is 12345678.' } });
      expect(res.statusCode, res.body).toBe(201);
      return queued((m) => m.to === 'notice@reader.example');
    },
    'secure-message code': async () => {
      const c = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'seccode@reader.example', teamId: team });
      const agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
      await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/secure-replies`, headers: agent.headers, payload: { body: 'Private.' } });
      const row = await services.database.db.selectFrom('outbound_mail').where('ticket_id', '=', c.ticketId).select(['id', 'body_enc']).executeTakeFirstOrThrow();
      const text = await services.keyring.decrypt({ table: 'outbound_mail', column: 'body_enc', rowId: row.id }, row.body_enc as Uint8Array);
      const token = /token=(tdm_[A-Za-z0-9_-]+)/.exec(text)?.[1] as string;
      const open = await app.inject({ method: 'POST', url: '/api/portal/secure/open', remoteAddress: nextIp(), payload: { token } });
      expect(open.statusCode, open.body).toBe(202);
      return mailed('seccode@reader.example');
    },
    'portal sign-in code and link': async () => {
      await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'signin@reader.example', teamId: team });
      const res = await app.inject({ method: 'POST', url: '/api/portal/signin', remoteAddress: nextIp(), payload: { organizationId: org.orgId, email: 'signin@reader.example' } });
      expect(res.statusCode).toBe(202);
      await app.services.deferred.drain();
      return mailed('signin@reader.example');
    },
    'verification code': async () => {
      const c = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'verify@reader.example', teamId: team });
      const agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
      const res = await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/verifications`, headers: agent.headers, payload: { channel: 'email' } });
      expect(res.statusCode, res.body).toBe(201);
      return mailed('verify@reader.example');
    },
    'acknowledgement of an email request': async () => {
      const raw = Buffer.from(`From: Ada <ack-mail@reader.example>\r\nTo: ${address}\r\nSubject: Where is my book?\r\nMessage-ID: <brand-ack-${kind}@reader.example>\r\n\r\nIt has not arrived.\r\n`);
      const deps = await createHelpdeskDeps(services);
      const hooks = { ...createDefaultHooks(), analyzeThreats: async () => ({ score: 0, verdict: 'clean' as const, reasons: [] }) };
      await ingestInboundEmail(deps, { hooks, blobs: new MemoryBlobStore(), maxAttachmentBytes: 100_000 }, { raw, mailFrom: 'ack-mail@reader.example', rcptTo: [address] }, [{ id: mailboxId, orgId: org.orgId, address, teamId: team }]);
      return queued((m) => m.to === 'ack-mail@reader.example');
    },
    'satisfaction survey': async () => {
      const c = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'rate@reader.example', teamId: team });
      const agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
      const res = await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/status`, headers: agent.headers, payload: { status: 'solved' } });
      expect(res.statusCode, res.body).toBe(200);
      return queued((m) => m.to === 'rate@reader.example' && m.text.includes('/portal/rate?'));
    },
    'chat email code': async () => {
      const deps = { ...(await createPortalDeps(services)), bus: app.bus, presence: app.presence };
      const site = 'https://shop.quillfeather.example';
      await services.database.db.insertInto('chat_settings').values({ org_id: org.orgId, enabled: true, team_id: team, allowed_origins: [site] }).onConflict((oc) => oc.column('org_id').doUpdateSet({ enabled: true, allowed_origins: [site] })).execute();
      const client = { ip: '198.51.100.9', userAgent: null, requestId: 'chat' };
      const started = await startConversation(deps, client, { orgId: org.orgId, host: site, name: 'Visitor' });
      const visitor = await authenticateVisitor(deps, started.token, client);
      await requestEmailCode(deps, visitor, { email: 'chat@reader.example' });
      await services.deferred.drain();
      return mailed('chat@reader.example');
    },
    'acknowledgement of a form request': async () => {
      const deps = await createPortalDeps(services, { policy: { minFillMs: 0 } });
      const form = await app.inject({ url: `/api/portal/request-form?organizationId=${org.orgId}`, remoteAddress: nextIp() });
      await submitWebRequest(deps, { ip: '198.51.100.7', userAgent: null, requestId: 'form' }, { orgId: org.orgId, name: 'Bo', email: 'ack-form@reader.example', subject: 'Refund', body: 'Please refund order 12.', formToken: form.json().formToken }, Date.now() + 60_000);
      return queued((m) => m.to === 'ack-form@reader.example');
    },
  };

  for (const [name, trigger] of Object.entries(PATHS)) {
    it(`${name}: sent as "${BRAND}", names it, and never says Trustdesk`, async () => {
      const mail = await trigger();
      expect(mail.fromName).toBe(BRAND);
      expect(`${mail.subject}\n${mail.text}`).not.toMatch(/trustdesk/i);
      expect(mail.fromName).not.toMatch(/trustdesk/i);
      // Replies are the agent's own words; every mail Trustdesk writes itself names the organisation.
      if (name !== 'ticket reply') expect(`${mail.subject}\n${mail.text}`).toContain(BRAND);
      if (name.startsWith('acknowledgement')) expect(mail.headers?.['Auto-Submitted']).toBe('auto-replied');
    });
  }

  it('every customer-facing sender is listed, and every direct send names its sender', () => {
    const root = path.resolve(__dirname, '..');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const f of readdirSync(dir)) {
        const p = path.join(dir, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('testing.ts')) files.push(p);
      }
    };
    walk(root);
    const senders: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const rel = path.relative(root, file).split(path.sep).join('/');
      if (STAFF_MAIL_FILES.has(rel)) continue;
      // The sender name comes first in each call (right after `to`), so a short window finds it.
      const sends = [...text.matchAll(/mailer\.send\(\{/g)].map((m) => text.slice(m.index, m.index + 160));
      for (const call of sends) expect(call, `${rel}: mail to a customer without fromName`).toMatch(/fromName\b/);
      if (sends.length || /transport\.send\(/.test(text)) senders.push(rel);
    }
    expect(senders.sort()).toEqual([...SENDING_FILES].sort());
  });
});
