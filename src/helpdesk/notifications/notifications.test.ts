/**
 * Notifications per kind, through the real producers: who is told (and never
 * the actor, someone who may not read the ticket, or another organisation),
 * preferences, SLA warnings once per target, and a flood of 500 events
 * folded into a handful of rows and a bounded number of emails.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { MemoryMailer } from '../../platform/notify/mailer.js';
import { buildOrg, buildTeam, buildUser, signInAs, type SignedIn, type TestOrg, type TestUser } from '../../identity/auth/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { createCustomer } from '../customers/customers.service.js';
import { createDefaultHooks } from '../ingest/hooks.js';
import { ingestInboundEmail } from '../ingest/pipeline.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../tickets/context.js';
import { insertTicket } from '../tickets/records.js';
import { seedMailbox } from '../tickets/testing.js';
import { processNotificationEmails, requeueWaitingDigests } from './digest.js';
import { notifyAssigned, notifyCustomerMessage } from './notify.js';
import { savePreferences } from './preferences.js';
import { mentionedReaders } from './recipients.js';
import { warnBreachingTickets } from './sla-warnings.js';

describe('mentionedReaders', () => {
  const readers = [
    { id: 'a', name: 'Alice Martin', email: 'alice@staff.example', orgId: 'o' },
    { id: 'b', name: 'Bob Stone', email: 'bstone@staff.example', orgId: 'o' },
    { id: 'c', name: 'Bob Ray', email: 'ray@staff.example', orgId: 'o' },
  ];
  const ids = (body: string) => mentionedReaders(body, readers).map((r) => r.id);
  it('finds full names, unique first names and address names, case-insensitively, never inside a word or an address', () => {
    expect(ids('@alice please look')).toEqual(['a']);
    expect(ids('cc @Bob Stone and @RAY.')).toEqual(['b', 'c']);
    expect(ids('@bob is ambiguous')).toEqual([]);
    expect(ids('mail alice@staff.example or foo@alice')).toEqual([]);
    expect(ids('@alicex')).toEqual([]);
    expect(ids('no mention at all')).toEqual([]);
  });
});

describe.each(testDatabaseKinds)('notifications on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let deps: HelpdeskDeps;
  const mailer = new MemoryMailer();
  let org: TestOrg;
  let team: string;
  let otherTeam: string;
  let lead: SignedIn;
  let agent: SignedIn;
  let agent2: TestUser;
  let outsider: TestUser;
  let mailboxId: string;
  const address = `support-${randomUUID().slice(0, 6)}@help.example`;

  beforeAll(async () => {
    services = await createTestServices(kind, { mailer });
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    deps = await createHelpdeskDeps(services);
    org = await buildOrg(services);
    team = await buildTeam(services, org);
    otherTeam = await buildTeam(services, org);
    lead = await signInAs(app, await buildUser(services, org, { roles: ['supervisor'], teamIds: [team], name: 'Lena Lead' }));
    agent = await signInAs(app, await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: 'Alice Martin', email: `alice-${randomUUID().slice(0, 6)}@staff.example` }));
    agent2 = await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: 'Bruno Diaz' });
    outsider = await buildUser(services, org, { roles: ['agent'], teamIds: [otherTeam], name: 'Oscar Other' });
    mailboxId = await seedMailbox(services.database.db, org.orgId, address, team);
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  const newTicket = async (options: { teamId?: string | null; assigneeId?: string; orgId?: string } = {}) => {
    const orgId = options.orgId ?? org.orgId;
    const { id: customerId } = await createCustomer(deps, { orgId, actor: { type: 'system' } }, { name: 'Cora Customer', email: `cora-${randomUUID().slice(0, 6)}@example.org` });
    return (await deps.db.transaction().execute((trx) => insertTicket(trx, deps, { orgId, subject: 'Broken kettle', channel: 'web', requesterId: customerId, teamId: options.teamId === undefined ? team : options.teamId, ...(options.assigneeId ? { assigneeId: options.assigneeId } : {}) }))).id;
  };
  const rowsFor = (userId: string, ticketId?: string) => {
    let q = services.database.db.selectFrom('notifications').where('user_id', '=', userId);
    if (ticketId) q = q.where('ticket_id', '=', ticketId);
    return q.select(['kind', 'count', 'in_app', 'email_pending', 'read_at', 'actor_id']).orderBy('created_at').execute();
  };
  const emailsFor = (email: string) => mailer.sent.filter((m) => m.to === email);

  it('tells the assignee when a lead assigns a ticket, not the lead, not when an agent takes it themselves', async () => {
    const ticketId = await newTicket();
    const res = await app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/assignment`, headers: lead.headers, payload: { assigneeId: agent.userId } });
    expect(res.statusCode).toBe(200);
    expect(await rowsFor(agent.userId, ticketId)).toEqual([expect.objectContaining({ kind: 'assigned', count: 1, in_app: true, email_pending: true, actor_id: lead.userId })]);
    expect(await rowsFor(lead.userId, ticketId)).toEqual([]);

    // The actor is never told: the same call from the assignee (as notifyAssigned's other callers do) records nothing.
    const mine = await newTicket();
    await deps.db.transaction().execute((trx) => notifyAssigned(trx, { orgId: org.orgId, ticketId: mine, assigneeId: agent.userId, actorId: agent.userId }));
    expect(await rowsFor(agent.userId, mine)).toEqual([]);
  });

  it('a bulk assignment tells each new assignee; a bulk move to another team tells that team’s queue', async () => {
    const a = await newTicket();
    const b = await newTicket();
    const res = await app.inject({ method: 'POST', url: '/api/tickets/bulk', headers: lead.headers, payload: { ticketIds: [a, b], assigneeId: agent.userId } });
    expect(res.statusCode, res.body).toBe(200);
    expect(await rowsFor(agent.userId, a)).toEqual([expect.objectContaining({ kind: 'assigned', actor_id: lead.userId })]);
    expect(await rowsFor(agent.userId, b)).toEqual([expect.objectContaining({ kind: 'assigned', actor_id: lead.userId })]);
    expect(await rowsFor(lead.userId, a)).toEqual([]);

    const admin = await signInAs(app, await buildUser(services, org, { roles: ['administrator'] }));
    const c = await newTicket();
    const moved = await app.inject({ method: 'POST', url: '/api/tickets/bulk', headers: admin.headers, payload: { ticketIds: [c], teamId: otherTeam } });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(await rowsFor(outsider.userId, c)).toEqual([expect.objectContaining({ kind: 'new_ticket' })]);
    expect(await rowsFor(agent.userId, c)).toEqual([]);
  });

  it('never tells someone who may not read the ticket, nor anyone in another organisation', async () => {
    const ticketId = await newTicket();
    // Outsider's team-scoped role does not cover this team's ticket.
    await deps.db.transaction().execute((trx) => notifyAssigned(trx, { orgId: org.orgId, ticketId, assigneeId: outsider.userId, actorId: lead.userId }));
    expect(await rowsFor(outsider.userId, ticketId)).toEqual([]);
    const other = await buildOrg(services);
    const foreign = await buildUser(services, other, { roles: ['administrator'] });
    await deps.db.transaction().execute((trx) => notifyAssigned(trx, { orgId: org.orgId, ticketId, assigneeId: foreign.userId, actorId: null }));
    await deps.db.transaction().execute((trx) => notifyAssigned(trx, { orgId: other.orgId, ticketId, assigneeId: agent.userId, actorId: null }));
    expect(await rowsFor(foreign.userId)).toEqual([]);
    expect(await rowsFor(agent.userId, ticketId)).toEqual([]);
  });

  it('a new email ticket tells its team (not other teams); a reply tells the assignee; an out-of-office tells no one', async () => {
    const ingest = (raw: string) =>
      ingestInboundEmail(deps, { hooks: createDefaultHooks(), blobs: new MemoryBlobStore(), maxAttachmentBytes: 100_000 }, { raw: Buffer.from(raw), mailFrom: 'cora@example.org', rcptTo: [address] }, [{ id: mailboxId, orgId: org.orgId, address, teamId: team }]);
    const id = randomUUID().slice(0, 8);
    const [o] = await ingest(`From: Cora <cora@example.org>\r\nTo: ${address}\r\nSubject: Kettle ${id}\r\nMessage-ID: <first-${id}@example.org>\r\n\r\nMy kettle broke.\r\n`);
    const ticketId = (o as { ticketId: string }).ticketId;
    for (const u of [agent.userId, agent2.userId, lead.userId]) expect(await rowsFor(u, ticketId)).toEqual([expect.objectContaining({ kind: 'new_ticket' })]);
    expect(await rowsFor(outsider.userId, ticketId)).toEqual([]);

    await app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/assignment`, headers: lead.headers, payload: { assigneeId: agent2.userId } });
    await ingest(`From: Cora <cora@example.org>\r\nTo: ${address}\r\nSubject: Re: Kettle ${id}\r\nMessage-ID: <second-${id}@example.org>\r\nIn-Reply-To: <first-${id}@example.org>\r\n\r\nAny news?\r\n`);
    expect((await rowsFor(agent2.userId, ticketId)).map((r) => r.kind)).toEqual(['new_ticket', 'assigned', 'customer_reply']);
    expect((await rowsFor(agent.userId, ticketId)).map((r) => r.kind)).toEqual(['new_ticket']);
    await ingest(`From: Cora <cora@example.org>\r\nTo: ${address}\r\nSubject: Out of office: Kettle ${id}\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <ooo-${id}@example.org>\r\nIn-Reply-To: <first-${id}@example.org>\r\n\r\nI am away.\r\n`);
    expect((await rowsFor(agent2.userId, ticketId)).find((r) => r.kind === 'customer_reply')?.count).toBe(1);
  });

  it('a portal reply tells the assignee', async () => {
    const ticketId = await newTicket({ assigneeId: agent2.userId });
    await deps.db.transaction().execute((trx) => notifyCustomerMessage(trx, { orgId: org.orgId, ticketId, newTicket: false }));
    expect(await rowsFor(agent2.userId, ticketId)).toEqual([expect.objectContaining({ kind: 'customer_reply' })]);
  });

  it('an @mention in a note tells the named staff who may read the ticket, not the writer, not others', async () => {
    const ticketId = await newTicket();
    const res = await app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/notes`, headers: lead.headers, payload: { body: 'Could @Alice Martin and @bruno check this? @Oscar too. (@Lena Lead)' } });
    expect(res.statusCode).toBe(201);
    expect(await rowsFor(agent.userId, ticketId)).toEqual([expect.objectContaining({ kind: 'mention', actor_id: lead.userId })]);
    expect(await rowsFor(agent2.userId, ticketId)).toEqual([expect.objectContaining({ kind: 'mention' })]);
    expect(await rowsFor(outsider.userId, ticketId)).toEqual([]);
    expect(await rowsFor(lead.userId, ticketId)).toEqual([]);
  });

  it('warns once per ticket and SLA target, to the assignee, and again for a new due time', async () => {
    const ticketId = await newTicket({ assigneeId: agent2.userId });
    const soon = new Date(Date.now() + 10 * 60_000);
    await services.database.db.updateTable('tickets').set({ first_response_due_at: soon, resolution_due_at: new Date(Date.now() + 86_400_000) }).where('id', '=', ticketId).execute();
    const first = await warnBreachingTickets(services.database.db);
    expect(first.warned).toBeGreaterThanOrEqual(1);
    expect(await rowsFor(agent2.userId, ticketId)).toEqual([expect.objectContaining({ kind: 'sla_breach', count: 1 })]);
    await warnBreachingTickets(services.database.db);
    expect((await rowsFor(agent2.userId, ticketId))[0]?.count).toBe(1);
    await services.database.db.updateTable('tickets').set({ resolution_due_at: soon }).where('id', '=', ticketId).execute();
    await warnBreachingTickets(services.database.db);
    expect((await rowsFor(agent2.userId, ticketId))[0]?.count).toBe(2);
    // Solved tickets never warn.
    const solved = await newTicket({ assigneeId: agent2.userId });
    await services.database.db.updateTable('tickets').set({ status: 'solved', first_response_due_at: soon }).where('id', '=', solved).execute();
    await warnBreachingTickets(services.database.db);
    expect(await rowsFor(agent2.userId, solved)).toEqual([]);
  });

  it('honours preferences: nothing when both are off; email only is emailed but not listed', async () => {
    const pref = await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: 'Pia Prefs' });
    await savePreferences(services.database.db, pref.userId, [{ kind: 'assigned', inApp: false, email: false }, { kind: 'customer_reply', inApp: false, email: true }]);
    const t1 = await newTicket();
    await app.inject({ method: 'POST', url: `/api/tickets/${t1}/assignment`, headers: lead.headers, payload: { assigneeId: pref.userId } });
    expect(await rowsFor(pref.userId, t1)).toEqual([]);
    await deps.db.transaction().execute((trx) => notifyCustomerMessage(trx, { orgId: org.orgId, ticketId: t1, newTicket: false }));
    expect(await rowsFor(pref.userId, t1)).toEqual([expect.objectContaining({ kind: 'customer_reply', in_app: false, email_pending: true })]);
    await processNotificationEmails({ db: services.database.db, mailer, publicUrl: 'https://desk.example' });
    const mails = emailsFor(pref.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.text).toContain(`https://desk.example/tickets/${t1}`);
    expect(mails[0]?.text).not.toContain('Broken kettle');
    expect(await rowsFor(pref.userId, t1)).toEqual([expect.objectContaining({ email_pending: false, read_at: expect.any(Date) })]);
  });

  it('folds a flood of 500 events into one row per ticket and kind and a bounded number of emails', async () => {
    const busy = await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: 'Busy Bee' });
    const tickets = [await newTicket({ assigneeId: busy.userId }), await newTicket({ assigneeId: busy.userId }), await newTicket({ assigneeId: busy.userId })];
    // 500 customer replies in batches of 50 per transaction (as a burst of inbound mail commits them).
    const flood = async (n: number) => {
      for (let i = 0; i < n; i += 50) {
        await deps.db.transaction().execute(async (trx) => {
          for (let j = i; j < Math.min(n, i + 50); j++) await notifyCustomerMessage(trx, { orgId: org.orgId, ticketId: tickets[j % 3] as string, newTicket: false });
        });
      }
    };
    await flood(500);
    const sentAt = Date.now();
    const rows = await rowsFor(busy.userId);
    expect(rows).toHaveLength(3);
    expect(rows.reduce((s, r) => s + r.count, 0)).toBe(500);
    const digest = (now: Date) => processNotificationEmails({ db: services.database.db, mailer, publicUrl: 'https://desk.example', intervalMinutes: 10, now });
    await digest(new Date(sentAt));
    expect(emailsFor(busy.email)).toHaveLength(1);
    expect(emailsFor(busy.email)[0]?.subject).toBe('[Trustdesk] 500 updates on 3 tickets');

    // More events right after: they wait for the interval, however many passes run meanwhile.
    await flood(60);
    await requeueWaitingDigests(services.database.db);
    for (const minutes of [1, 2, 5, 9]) await digest(new Date(sentAt + minutes * 60_000));
    expect(emailsFor(busy.email)).toHaveLength(1);
    await digest(new Date(sentAt + 11 * 60_000));
    expect(emailsFor(busy.email)).toHaveLength(2);
    // Unread in-app rows kept folding: still three, now counting every event.
    expect((await rowsFor(busy.userId)).reduce((s, r) => s + r.count, 0)).toBe(560);
    const queued = await services.database.db.selectFrom('notification_emails').where('user_id', '=', busy.userId).select(['status']).execute();
    expect(queued.filter((q) => q.status === 'sent')).toHaveLength(2);
  }, 90_000);

  it('a ticket change made while a digest is being sent does not wait for the relay, and is mailed next time', async () => {
    const sender = await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: 'Sam Slowmail' });
    const ticketId = await newTicket({ assigneeId: sender.userId });
    await deps.db.transaction().execute((trx) => notifyCustomerMessage(trx, { orgId: org.orgId, ticketId, newTicket: false }));
    // The relay is slow; meanwhile the customer writes again (a separate transaction on the same notification row).
    const slow = { send: async (m: { to: string; subject: string; text: string }) => {
      await deps.db.transaction().execute((trx) => notifyCustomerMessage(trx, { orgId: org.orgId, ticketId, newTicket: false }));
      await mailer.send(m);
    } };
    await processNotificationEmails({ db: services.database.db, mailer: slow, publicUrl: 'https://desk.example' });
    expect(emailsFor(sender.email)).toHaveLength(1);
    expect(await rowsFor(sender.userId, ticketId)).toEqual([expect.objectContaining({ count: 2, email_pending: true })]);
    expect(await requeueWaitingDigests(services.database.db)).toBeGreaterThanOrEqual(1);
  });

  it('a failed send keeps the events waiting and retries later', async () => {
    const flaky = await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: 'Flaky Mail' });
    const ticketId = await newTicket();
    await app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/assignment`, headers: lead.headers, payload: { assigneeId: flaky.userId } });
    const failing = { send: async () => Promise.reject(Object.assign(new Error('relay down'), { code: 'ECONNREFUSED' })) };
    const r1 = await processNotificationEmails({ db: services.database.db, mailer: failing, publicUrl: 'https://desk.example' });
    expect(r1.retried).toBeGreaterThanOrEqual(1);
    expect(await rowsFor(flaky.userId, ticketId)).toEqual([expect.objectContaining({ email_pending: true })]);
    await processNotificationEmails({ db: services.database.db, mailer, publicUrl: 'https://desk.example', now: new Date(Date.now() + 3600_000) });
    expect(emailsFor(flaky.email)).toHaveLength(1);
    expect(emailsFor(flaky.email)[0]?.subject).toMatch(/^\[Trustdesk\] Ticket #\d+: assigned to you$/);
  });
});
