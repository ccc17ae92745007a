/**
 * The automatic acknowledgement: sent once to a person's new request (email or the public form),
 * threaded and marked auto-replied; never to auto-submitted mail, bounces, mailing lists,
 * quarantined or doubtful messages, a mailbox that has it off, or a customer acknowledged within
 * the quiet window.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, signIn, type TestOrg } from '../../identity/auth/testing.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import type { Analysis } from '../../threats/phishing/index.js';
import { createDefaultHooks } from '../ingest/hooks.js';
import { ingestInboundEmail, type IngestOutcome } from '../ingest/pipeline.js';
import type { ComposedMail } from '../mail/compose.js';
import { processOutboundQueue } from '../mail/outbound-queue.js';
import { createPortalDeps } from '../portal/deps.js';
import { buildPortalApp, nextIp } from '../portal/testing.js';
import { submitWebRequest } from '../portal/web-form.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../tickets/context.js';
import { seedMailbox } from '../tickets/testing.js';
import { ACK_NOTE, ACK_QUIET_MINUTES } from './acknowledgement.js';

const clean: Analysis = { score: 0, verdict: 'clean', reasons: [] };

describe.each(testDatabaseKinds)('customer acknowledgement on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let deps: HelpdeskDeps;
  let org: TestOrg;
  let team: string;
  let on: { id: string; address: string };
  let off: { id: string; address: string };

  beforeAll(async () => {
    services = await createTestServices(kind);
    ({ app } = await buildPortalApp(services));
    deps = await createHelpdeskDeps(services);
    org = await buildOrg(services, 'Lantern Tea Co');
    team = await buildTeam(services, org);
    const address = (n: string) => `${n}-${kind}-${randomUUID().slice(0, 6)}@lantern.example`;
    on = { id: '', address: address('hello') };
    off = { id: '', address: address('quiet') };
    // The form uses the organisation's first mailbox: the one with acknowledgements on.
    on.id = await seedMailbox(services.database.db, org.orgId, on.address, team);
    off.id = await seedMailbox(services.database.db, org.orgId, off.address, team);
    const admin = await signIn(app, org, { roles: ['administrator'] });
    const res = await app.inject({ method: 'PUT', url: `/api/mailboxes/${on.id}/acknowledgement`, headers: admin.headers, payload: { enabled: true, template: 'Hello from {{organization.name}}. Your request is #{{ticket.number}}. Follow it at {{portal.link}}' } });
    expect(res.statusCode, res.body).toBe(200);
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  async function receive(input: { from: string; to?: { id: string; address: string }; headers?: string; mailFrom?: string; analysis?: Analysis; inReplyTo?: string; subject?: string }): Promise<IngestOutcome & { smtpId: string }> {
    const box = input.to ?? on;
    const smtpId = `${randomUUID()}@customer.example`;
    const raw = Buffer.from(
      `From: Customer <${input.from}>\r\nTo: ${box.address}\r\nSubject: ${input.subject ?? 'My tea order'}\r\nMessage-ID: <${smtpId}>\r\n` +
        (input.inReplyTo ? `In-Reply-To: <${input.inReplyTo}>\r\n` : '') +
        (input.headers ?? '') +
        '\r\nThe parcel has not arrived yet.\r\n',
    );
    const hooks = { ...createDefaultHooks(), analyzeThreats: async () => input.analysis ?? clean };
    const [o] = await ingestInboundEmail(deps, { hooks, blobs: new MemoryBlobStore(), maxAttachmentBytes: 100_000 }, { raw, mailFrom: input.mailFrom ?? input.from, rcptTo: [box.address] }, [{ id: box.id, orgId: org.orgId, address: box.address, teamId: team }]);
    return { ...(o as IngestOutcome), smtpId };
  }

  async function acks(ticketId: string) {
    return services.database.db.selectFrom('outbound_mail').where('ticket_id', '=', ticketId).where('auto_reply', '=', true).select(['id', 'message_id']).execute();
  }

  async function send(): Promise<ComposedMail[]> {
    const sent: ComposedMail[] = [];
    await processOutboundQueue(deps, { send: async (m) => (sent.push(m), { delivery: 'sent' as const }) }, { limit: 500 });
    return sent;
  }

  const ticketOf = (o: IngestOutcome) => (o as { ticketId: string }).ticketId;

  it('acknowledges a new email request once: threaded, auto-replied, with the number and portal link', async () => {
    const from = `ada-${kind}@customer.example`;
    const first = await receive({ from });
    expect(first.outcome).toBe('ticket_created');
    const queued = await acks(ticketOf(first));
    expect(queued).toHaveLength(1);
    const mail = (await send()).find((m) => m.to === from) as ComposedMail;
    const ticket = await services.database.db.selectFrom('tickets').where('id', '=', ticketOf(first)).select('number').executeTakeFirstOrThrow();
    expect(mail.text).toContain(`#${ticket.number}`);
    expect(mail.text).toContain(`/portal?org=${org.orgId}`);
    expect(mail.text).toContain('Lantern Tea Co');
    expect(mail.inReplyTo).toBe(`<${first.smtpId}>`);
    expect(mail.references).toEqual([`<${first.smtpId}>`]);
    expect(mail.headers['Auto-Submitted']).toBe('auto-replied');
    expect(mail.headers['X-Auto-Response-Suppress']).toBe('All');
    expect(mail.subject).toBe(`Re: My tea order [#${ticket.number}]`);
    expect((mail.from as { name: string }).name).toBe('Lantern Tea Co');

    // The conversation shows that it was sent, after the request, not the email's text.
    const agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    const read = (await app.inject({ url: `/api/tickets/${ticketOf(first)}`, headers: agent.headers })).json();
    const last = read.messages.at(-1);
    expect(last.body).toBe(ACK_NOTE);
    expect(read.messages[0].kind).toBe('inbound_email');

    // The customer's follow-up in the same conversation is not acknowledged again.
    const followUp = await receive({ from, inReplyTo: first.smtpId, subject: `Re: My tea order [#${ticket.number}]` });
    expect(followUp.outcome).toBe('threaded');
    expect(await acks(ticketOf(first))).toHaveLength(1);
    // Nor a second new request within the quiet window (loop protection and flood guard).
    const second = await receive({ from, subject: 'Another question' });
    expect(second.outcome).toBe('ticket_created');
    expect(await acks(ticketOf(second))).toHaveLength(0);
    // After the window, a new request is acknowledged again.
    await services.database.db.updateTable('outbound_mail').set({ created_at: new Date(Date.now() - (ACK_QUIET_MINUTES + 1) * 60_000) }).where('ticket_id', '=', ticketOf(first)).execute();
    const third = await receive({ from, subject: 'A third question' });
    expect(await acks(ticketOf(third))).toHaveLength(1);
  });

  it('never answers machines, lists, bounces, doubtful or quarantined mail, or a mailbox with it off', async () => {
    const cases: Array<[string, Parameters<typeof receive>[0]]> = [
      ['auto-submitted', { from: 'ooo@customer.example', headers: 'Auto-Submitted: auto-replied\r\n' }],
      ['auto-generated', { from: 'robot@customer.example', headers: 'Auto-Submitted: auto-generated\r\n' }],
      ['list-id', { from: 'list@customer.example', headers: 'List-Id: <tea-lovers.lists.example>\r\n' }],
      ['precedence list', { from: 'plist@customer.example', headers: 'Precedence: list\r\n' }],
      ['precedence bulk', { from: 'bulk@customer.example', headers: 'Precedence: bulk\r\n' }],
      ['precedence junk', { from: 'junk@customer.example', headers: 'Precedence: junk\r\n' }],
      ['bounce (null sender)', { from: 'someone@customer.example', mailFrom: '' }],
      ['bounce (daemon)', { from: 'MAILER-DAEMON@customer.example' }],
      ['x-autoreply', { from: 'xauto@customer.example', headers: 'X-Autoreply: yes\r\n' }],
      ['suspicious', { from: 'sus@customer.example', analysis: { score: 55, verdict: 'suspicious', reasons: [] } }],
      ['mailbox off', { from: 'plain@customer.example', to: undefined }],
    ];
    cases[cases.length - 1]![1].to = off;
    for (const [name, input] of cases) {
      const o = await receive(input);
      expect(o.outcome, name).toBe('ticket_created');
      expect(await acks(ticketOf(o)), name).toHaveLength(0);
    }
    const phishing = await receive({ from: 'phish@customer.example', analysis: { score: 95, verdict: 'phishing', reasons: [{ code: 'brand.lookalike', weight: 95, detail: 'x' } as never] } });
    expect(phishing.outcome).toBe('quarantined');
    const total = await services.database.db.selectFrom('outbound_mail').innerJoin('tickets', 'tickets.id', 'outbound_mail.ticket_id').where('tickets.org_id', '=', org.orgId).where('auto_reply', '=', true).select('outbound_mail.id').execute();
    // Only the first test's two acknowledgements exist.
    expect(total).toHaveLength(2);
  });

  it('acknowledges a form request without echoing the subject a stranger typed, once per address', async () => {
    const portal = await createPortalDeps(services, { policy: { minFillMs: 0 } });
    const email = `form-${kind}@customer.example`;
    const submit = async (subject: string) => {
      const form = await app.inject({ url: `/api/portal/request-form?organizationId=${org.orgId}`, remoteAddress: nextIp() });
      return submitWebRequest(portal, { ip: '198.51.100.9', userAgent: null, requestId: randomUUID() }, { orgId: org.orgId, name: 'Flo', email, subject, body: 'Please call me.', formToken: form.json().formToken }, Date.now() + 60_000);
    };
    const first = await submit('BUY CHEAP WATCHES at spam.example');
    expect(await acks(first.ticketId as string)).toHaveLength(1);
    const mail = (await send()).find((m) => m.to === email) as ComposedMail;
    expect(mail.subject).not.toContain('WATCHES');
    expect(mail.subject).toContain('Lantern Tea Co');
    expect(mail.headers['Auto-Submitted']).toBe('auto-replied');
    const again = await submit('Second');
    expect(await acks(again.ticketId as string)).toHaveLength(0);
  });
});
