/**
 * Email in and out with real protocols: nodemailer → our SMTP server → ticket;
 * an agent's reply → the outbound queue → a local SMTP sink, with threading
 * headers and the reply token; the customer's answer threads into the same
 * ticket; malformed MIME lands in quarantine; and a raw dump of every table
 * holds none of the customer's plaintext nor the card number they sent.
 */
import net from 'node:net';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const hasSwaks = spawnSync('swaks', ['--version'], { encoding: 'utf8' }).status === 0;
const execFileAsync = promisify(execFile);
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { Services } from '../src/platform/app/services.js';
import { createTestServices } from '../src/platform/app/testing.js';
import { MemoryBlobStore } from '../src/protection/blobs/store.js';
import { dumpAllTables, dumpContains } from '../src/platform/db/dump.js';
import { testDatabaseKinds } from '../src/platform/db/testing.js';
import { createDefaultHooks } from '../src/helpdesk/ingest/hooks.js';
import type { IngestOutcome } from '../src/helpdesk/ingest/pipeline.js';
import { processOutboundQueue } from '../src/helpdesk/mail/outbound-queue.js';
import { createInboundSmtpServer, type InboundSmtpServer } from '../src/helpdesk/mail/smtp-server.js';
import { createMailTransport } from '../src/helpdesk/mail/transport.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../src/helpdesk/tickets/context.js';
import { replyToTicket } from '../src/helpdesk/tickets/ticket-actions.js';
import { listTickets, readTicket } from '../src/helpdesk/tickets/tickets.service.js';
import { buildPrincipal, seedMailbox, seedOrganization, seedStaff, seedTeam } from '../src/helpdesk/tickets/testing.js';

const CUSTOMER = { name: 'Rosalind Featherstonehaugh', email: 'rosalind.fh@customer-mail.example', phone: '+44 20 7946 0321', street: '42 Wimbleton Crescent' };
const PAN = '4539 1488 0343 6467';
const FIRST_BODY = `Hello, my parcel never arrived. Please call me on ${CUSTOMER.phone}; I live at ${CUSTOMER.street}. I paid with card ${PAN}.`;
const SECOND_BODY = 'Thanks, the courier reference you sent matches the receipt in my drawer.';

describe.each(testDatabaseKinds)('email in and out on %s', (kind) => {
  let s: Services;
  let deps: HelpdeskDeps;
  let inbound: InboundSmtpServer;
  let inboundPort = 0;
  let sink: SMTPServer;
  let sinkPort = 0;
  const captured: Array<{ envelopeTo: string[]; mail: ParsedMail; raw: string }> = [];
  const outcomes: IngestOutcome[] = [];
  let orgId: string;
  let agent: ReturnType<typeof buildPrincipal>;

  const customerMailer = () => nodemailer.createTransport({ host: '127.0.0.1', port: inboundPort, secure: false, ignoreTLS: true, tls: { rejectUnauthorized: false } });

  beforeAll(async () => {
    s = await createTestServices(kind);
    deps = await createHelpdeskDeps(s);
    orgId = await seedOrganization(s.database.db, 'Parcelworks');
    const team = await seedTeam(s.database.db, orgId, 'Support');
    agent = buildPrincipal({ orgId, userId: await seedStaff(s.database.db, orgId, { teamIds: [team] }), role: 'agent', teamIds: [team] });
    await seedMailbox(s.database.db, orgId, 'support@parcelworks.example', team);
    inbound = createInboundSmtpServer({ deps, hooks: createDefaultHooks(), blobs: new MemoryBlobStore(), maxBytes: 1024 * 1024, onIngested: (o) => outcomes.push(...o) });
    inboundPort = await inbound.listen(0, '127.0.0.1');
    sink = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          void simpleParser(raw).then((mail) => {
            captured.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), mail, raw: raw.toString('utf8') });
            cb();
          });
        });
      },
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
    sinkPort = (sink.server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await inbound?.close();
    await new Promise<void>((resolve) => (sink ? sink.close(() => resolve()) : resolve()));
    await s?.close();
  });

  it('turns a customer email into a ticket, with the card number redacted before storage', async () => {
    const info = await customerMailer().sendMail({
      from: { name: CUSTOMER.name, address: CUSTOMER.email },
      to: 'support@parcelworks.example',
      subject: 'Parcel 55-1902 never arrived',
      text: FIRST_BODY,
      messageId: '<first-7731@customer-mail.example>',
    });
    expect(info.response).toMatch(/^250/);
    expect(outcomes.at(-1)?.outcome).toBe('ticket_created');
    const list = await listTickets(deps, { principal: agent });
    expect(list).toHaveLength(1);
    const t = await readTicket(deps, { principal: agent }, { ticketId: list[0]!.id });
    expect(t.subject).toBe('Parcel 55-1902 never arrived');
    expect(t.channel).toBe('email');
    expect(t.messages[0]?.body).toContain('4539 14** **** 6467');
    expect(t.messages[0]?.body).not.toContain(PAN);
    expect(t.messages[0]?.threat?.verdict).toBeDefined();
    expect(t.messages[0]?.redactions.some((r) => r.type === 'payment_card' && r.action === 'redact')).toBe(true);
  });

  it('sends the agent reply through the relay with threading headers and a reply token; the answer threads back', async () => {
    const [t] = await listTickets(deps, { principal: agent });
    await replyToTicket(deps, { principal: agent }, { ticketId: t!.id, body: 'Sorry about that. The courier reference is CR-88120.' });
    const transport = createMailTransport({ relayUrl: `smtp://127.0.0.1:${sinkPort}`, outboxDir: '/nonexistent', outboxKey: async () => { throw new Error('a relay is configured: nothing is written to the outbox'); } });
    const r = await processOutboundQueue(deps, transport);
    expect(r).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(captured).toHaveLength(1);
    const out = captured[0]!;
    expect(out.envelopeTo).toEqual([CUSTOMER.email]);
    expect(out.mail.inReplyTo).toBe('<first-7731@customer-mail.example>');
    expect(out.mail.references).toContain('<first-7731@customer-mail.example>');
    expect(out.mail.subject).toBe(`Re: Parcel 55-1902 never arrived [#${t!.number}]`);
    const replyTo = out.mail.replyTo?.value[0]?.address ?? '';
    expect(replyTo).toMatch(/^support\+[a-z2-7]{20}@parcelworks\.example$/);
    const detail = await readTicket(deps, { principal: agent }, { ticketId: t!.id });
    expect(detail.messages.at(-1)?.deliveryStatus).toBe('sent');

    // The customer's client answers to Reply-To with the usual headers.
    const info = await customerMailer().sendMail({
      from: { name: CUSTOMER.name, address: CUSTOMER.email },
      to: replyTo,
      subject: out.mail.subject ?? '',
      text: SECOND_BODY,
      inReplyTo: out.mail.messageId ?? '',
      references: [out.mail.messageId ?? ''],
    });
    expect(info.response).toMatch(/^250/);
    expect(outcomes.at(-1)?.outcome).toBe('threaded');
    const after = await readTicket(deps, { principal: agent }, { ticketId: t!.id });
    expect(after.messages.map((m) => m.kind)).toEqual(['inbound_email', 'public_reply', 'inbound_email']);
    expect(after.messages.at(-1)?.body).toContain('courier reference');
    expect(after.status).toBe('open');
    expect(await listTickets(deps, { principal: agent })).toHaveLength(1);
  });

  it('keeps malformed MIME in quarantine and refuses unknown mailboxes at RCPT', async () => {
    const raw = [
      `From: ${CUSTOMER.name} <${CUSTOMER.email}>`,
      'To: support@parcelworks.example',
      'Subject: broken',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="XYZ"',
      '',
      '--XYZ',
      'Content-Type: text/plain',
      '',
      `never closed ${CUSTOMER.street}`,
      '',
    ].join('\r\n');
    const info = await customerMailer().sendMail({ envelope: { from: CUSTOMER.email, to: ['support@parcelworks.example'] }, raw });
    expect(info.response).toMatch(/^250/);
    const q = outcomes.at(-1);
    expect(q).toMatchObject({ outcome: 'quarantined', reason: 'malformed' });
    const held = await s.database.db.selectFrom('quarantine').where('org_id', '=', orgId).select(['reason', 'codes', 'raw_size']).execute();
    expect(held).toHaveLength(1);
    expect(held[0]?.codes).toContain('unterminated_multipart');
    await expect(customerMailer().sendMail({ from: CUSTOMER.email, to: 'nobody@parcelworks.example', subject: 'x', text: 'x' })).rejects.toMatchObject({ responseCode: 550 });
  });

  // swaks is a second, independent SMTP client (Debian's package; .ci/run installs it).
  it.skipIf(!hasSwaks)('accepts a message sent by swaks and turns it into a ticket', async () => {
    const before = outcomes.length;
    // Asynchronous: the SMTP server under test runs in this same process.
    const run = await execFileAsync('swaks', [
      '--server', '127.0.0.1', '--port', String(inboundPort), '--from', CUSTOMER.email, '--to', 'support@parcelworks.example',
      '--header', 'Subject: Sent with swaks', '--body', 'Hello from a different SMTP client', '--silent', '2',
    ], { encoding: 'utf8', timeout: 20_000 });
    expect(run.stderr).toBe('');
    expect(outcomes.length).toBe(before + 1);
    expect(outcomes.at(-1)).toMatchObject({ outcome: expect.stringMatching(/^(ticket_created|threaded)$/) });
  });

  it('leaves no customer plaintext and no full card number in a raw dump of every table', async () => {
    await s.audit.flush();
    const dump = await dumpAllTables(s.database.db);
    expect(dump).toContain('-- messages');
    const forbidden = [
      CUSTOMER.name, 'Rosalind', 'Featherstonehaugh', CUSTOMER.email, 'rosalind.fh', CUSTOMER.phone, '7946 0321', CUSTOMER.street, 'Wimbleton',
      'never arrived', 'parcel never', 'courier reference', 'CR-88120', 'first-7731',
      PAN, PAN.replace(/ /g, ''), '4539148803436467',
    ];
    for (const needle of forbidden) expect({ needle, found: dumpContains(dump, needle) }).toEqual({ needle, found: false });
  });
});
