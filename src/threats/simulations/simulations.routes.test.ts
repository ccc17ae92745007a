import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createdPerDay } from '../../helpdesk/reports/queries.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, buildUser, signIn, signInAs, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { createDefaultHooks } from '../../helpdesk/ingest/hooks.js';
import { ingestInboundEmail, type IngestOutcome } from '../../helpdesk/ingest/pipeline.js';
import type { MemoryMailer } from '../../platform/notify/mailer.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { seedMailbox } from '../../helpdesk/tickets/testing.js';
import { createSimulationRoutes, simulationRoutes } from './simulations.routes.js';

const ADDRESS = 'support@sims-test.example';

/** How a mail client writes an ordinary message: the shape a simulation must not differ from. */
function realMessage(subject: string): Buffer {
  return Buffer.from([
    'From: "Dana Customer" <dana@customer.example>', `To: ${ADDRESS}`, `Subject: ${subject}`, `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${randomUUID()}@customer.example>`, 'MIME-Version: 1.0', 'Content-Type: multipart/alternative; boundary="b1"', '',
    '--b1', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64', '', Buffer.from('Where is my order?').toString('base64'),
    '--b1', 'Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: base64', '', Buffer.from('<p>Where is my order?</p>').toString('base64'), '--b1--', '',
  ].join('\r\n'));
}

function headerNames(raw: Buffer): string[] {
  const head = raw.toString('utf8').split(/\r?\n\r?\n/)[0] ?? '';
  return [...new Set(head.split(/\r?\n/).filter((l) => /^[^\s:]+:/.test(l)).map((l) => l.split(':')[0]!.toLowerCase()))].sort();
}

describe.each(testDatabaseKinds)('phishing simulations on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let otherOrg: TestOrg;
  let team: string;
  let mailbox: string;
  let officer: SignedIn;
  let admin: SignedIn;
  const agents: SignedIn[] = [];
  let leaver: string;
  let ingest: (raw: Buffer) => Promise<IngestOutcome>;
  let campaignId: string;
  const tickets = new Map<string, { ticketId: string; messageId: string; token: string }>();

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, schemaCache: testSchemaCache, routes: [...appRoutes.filter((r) => r !== simulationRoutes), createSimulationRoutes({ blobs: new MemoryBlobStore(), deliveryIntervalMs: 0 })] });
    await app.ready();
    org = await buildOrg(services);
    otherOrg = await buildOrg(services);
    team = await buildTeam(services, org);
    mailbox = await seedMailbox(services.database.db, org.orgId, ADDRESS, team);
    officer = await signIn(app, org, { roles: ['security_officer'] });
    admin = await signIn(app, org, { roles: ['administrator'] });
    for (let i = 0; i < 3; i++) agents.push(await signIn(app, org, { roles: ['agent'], teamIds: [team] }));
    leaver = (await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: 'Leaving Agent' })).userId;
    const deps = await createHelpdeskDeps(services);
    const hooks = createDefaultHooks({ db: services.database.db, keyring: services.keyring, mailer: services.mailer });
    const route = [{ id: mailbox, orgId: org.orgId, address: ADDRESS, teamId: team }];
    ingest = async (raw) => (await ingestInboundEmail(deps, { hooks, blobs: new MemoryBlobStore(), maxAttachmentBytes: 1_000_000 }, { raw, mailFrom: 'dana@customer.example', rcptTo: [ADDRESS] }, route))[0]!;
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  const db = () => services.database.db;
  const inject = (who: SignedIn | null, method: 'GET' | 'POST', url: string, payload?: unknown) => app.inject({ method, url, ...(who ? { headers: who.headers } : {}), ...(payload !== undefined ? { payload: payload as object } : {}) });
  const body = (targets: object) => ({ name: 'Q4 awareness', templateId: 'shared-document', mailboxId: mailbox, senderDomain: 'docs-share.example', banner: 'as_real', windowMinutes: 0, durationDays: 7, targets });
  const eventCount = async () => Number((await db().selectFrom('simulation_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('lets only holders of simulations.manage create, and of simulations.read read results', async () => {
    expect((await inject(null, 'GET', '/api/simulations/campaigns')).statusCode).toBe(401);
    expect((await inject(null, 'POST', '/api/simulations/campaigns', body({ roles: ['agent'] }))).statusCode).toBe(401);
    expect((await inject(agents[0]!, 'POST', '/api/simulations/campaigns', body({ roles: ['agent'] }))).statusCode).toBe(403);
    expect((await inject(agents[0]!, 'GET', '/api/simulations/campaigns')).statusCode).toBe(403);
    expect((await inject(agents[0]!, 'GET', '/api/simulations/templates')).statusCode).toBe(403);
    const lead = await signIn(app, org, { roles: ['supervisor'], teamIds: [team] });
    expect((await inject(lead, 'POST', '/api/simulations/campaigns', body({ roles: ['agent'] }))).statusCode).toBe(403);
    expect((await inject(admin, 'GET', '/api/simulations/campaigns')).statusCode).toBe(403);
    const preview = await inject(officer, 'GET', '/api/simulations/templates/shared-document/preview');
    expect(preview.statusCode).toBe(200);
    expect(preview.json().redFlags.length).toBeGreaterThan(1);
    expect((await inject(officer, 'GET', '/api/simulations/templates')).json().items.length).toBeGreaterThanOrEqual(10);
    // Targets in another organisation are not resolved: nobody to send to.
    const stranger = await buildUser(services, otherOrg, { roles: ['agent'] });
    expect((await inject(officer, 'POST', '/api/simulations/campaigns', body({ userIds: [stranger.userId] }))).json().code).toBe('validation_failed');
    expect((await inject(officer, 'POST', '/api/simulations/campaigns', { ...body({ roles: ['agent'] }), senderDomain: 'evil.example\r\nBcc: x@y.example' })).statusCode).toBe(400);
  });

  it('delivers into the support queue through ingest, assigned to each target; an agent deactivated mid-campaign is skipped', async () => {
    const created = await inject(officer, 'POST', '/api/simulations/campaigns', body({ userIds: [...agents.map((a) => a.userId), leaver] }));
    expect(created.statusCode).toBe(201);
    expect(created.json().recipients).toBe(4);
    campaignId = created.json().id;
    await db().updateTable('users').set({ status: 'deactivated' }).where('id', '=', leaver).execute();
    const sent = await inject(officer, 'POST', `/api/simulations/campaigns/${campaignId}/deliver`);
    expect(sent.json()).toEqual({ delivered: 3, skipped: 1, failed: 0 });
    expect((await inject(officer, 'POST', `/api/simulations/campaigns/${campaignId}/deliver`)).json()).toEqual({ delivered: 0, skipped: 0, failed: 0 });
    for (const a of agents) {
      const r = await db().selectFrom('simulation_recipients').where('campaign_id', '=', campaignId).where('user_id', '=', a.userId).selectAll().executeTakeFirstOrThrow();
      const t = await inject(a, 'GET', `/api/tickets/${r.ticket_id}`);
      expect(t.statusCode).toBe(200);
      expect(t.json().assigneeId).toBe(a.userId);
      const msg = t.json().messages.find((m: { id: string }) => m.id === r.message_id);
      const token = /\/l\/([A-Za-z0-9_-]+)/.exec(msg.body)?.[1];
      expect(token).toBeTruthy();
      // Only the hash is stored.
      expect(Buffer.from(r.token_hash!).toString('utf8')).not.toContain(token!);
      tickets.set(a.userId, { ticketId: r.ticket_id!, messageId: r.message_id!, token: token! });
    }
    const results = (await inject(officer, 'GET', `/api/simulations/campaigns/${campaignId}`)).json();
    expect(results.recipients.find((r: { userId: string }) => r.userId === leaver)).toMatchObject({ outcome: 'skipped', skipReason: 'deactivated' });
    // Viewing the ticket was recorded as "opened".
    expect(results.counts.opened).toBe(3);
    // In the queue like real mail, but no customer's work: reports leave the simulated tickets out.
    const day = 86_400_000;
    const f = { orgId: org.orgId, scope: 'org' as const, userId: officer.userId, teamIds: [], start: new Date(Date.now() - day), end: new Date(Date.now() + day), timeZone: 'UTC', now: new Date() };
    const reported = [...(await createdPerDay(db(), f)).values()].reduce((a, b) => a + b, 0);
    const all = Number((await db().selectFrom('tickets').where('org_id', '=', org.orgId).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    expect(reported).toBe(all - 3);
  });

  it('stores a simulated message with the same header names as a real inbound message (no fingerprint headers)', async () => {
    const real = await ingest(realMessage('Where is my order?'));
    expect(real.outcome).toBe('ticket_created');
    const raw = async (id: string) => {
      const row = await db().selectFrom('messages').where('id', '=', id).select('raw_enc').executeTakeFirstOrThrow();
      return Buffer.from(await services.keyring.decrypt({ table: 'messages', column: 'raw_enc', rowId: id }, row.raw_enc!), 'base64');
    };
    const simulated = headerNames(await raw(tickets.get(agents[0]!.userId)!.messageId));
    expect(simulated).toEqual(headerNames(await raw((real as { messageId: string }).messageId)));
    expect(simulated.some((h) => h.startsWith('x-'))).toBe(false);
  });

  it('counts a click only once a person saw the landing page; a scanner-like early fetch is discounted with its reason', async () => {
    const { token } = tickets.get(agents[0]!.userId)!;
    const page = await inject(null, 'GET', `/l/${token}`);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<mark');
    expect(page.body).toContain('sign in with your work account');
    let res = (await inject(officer, 'GET', `/api/simulations/campaigns/${campaignId}`)).json();
    expect(res.counts.clicked).toBe(0);
    expect(res.recipients.find((r: { userId: string }) => r.userId === agents[0]!.userId).events.some((e: { type: string; discountedReason: string | null }) => e.type === 'clicked' && e.discountedReason === 'soon_after_delivery_no_script')).toBe(true);
    expect((await inject(null, 'POST', '/api/simulations/landing/seen', { token })).statusCode).toBe(200);
    // Replayed: the page again, the script again: still one click.
    await inject(null, 'GET', `/l/${token}`);
    await inject(null, 'POST', '/api/simulations/landing/seen', { token });
    res = (await inject(officer, 'GET', `/api/simulations/campaigns/${campaignId}`)).json();
    expect(res.counts.clicked).toBe(1);
    // The counted click enrolled the clicker in the matching training module, once.
    const enrolled = await db().selectFrom('training_assignments').where('user_id', '=', agents[0]!.userId).select(['module_key', 'source']).execute();
    expect(enrolled).toEqual([{ module_key: 'phishing-in-the-queue', source: 'simulation' }]);
    // The second agent's link fetched by a scanner only: discounted, not a click.
    await inject(null, 'GET', `/l/${tickets.get(agents[1]!.userId)!.token}`);
    res = (await inject(officer, 'GET', `/api/simulations/campaigns/${campaignId}`)).json();
    expect(res.counts.clicked).toBe(1);
    // A discounted (scanner) click enrols nobody.
    expect(await db().selectFrom('training_assignments').where('user_id', '=', agents[1]!.userId).select('id').execute()).toEqual([]);
  });

  it('answers forged and malformed tokens with a clear error and records nothing', async () => {
    const before = await eventCount();
    const { token } = tickets.get(agents[0]!.userId)!;
    const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const t of [forged, 'short', '..%2F..%2Fetc', 'A'.repeat(64), encodeURIComponent('<script>')]) {
      const r = await inject(null, 'GET', `/l/${t}`);
      expect(r.statusCode, t).toBe(404);
      expect(r.body).toContain('This link is not valid');
    }
    expect((await inject(null, 'POST', '/api/simulations/landing/seen', { token: forged })).statusCode).toBe(404);
    expect((await inject(null, 'POST', '/api/simulations/landing/entered', { token: forged })).statusCode).toBe(404);
    expect(await eventCount()).toBe(before);
    // Another organisation's officer cannot read this campaign.
    const foreign = await signIn(app, otherOrg, { roles: ['security_officer'] });
    expect((await inject(foreign, 'GET', `/api/simulations/campaigns/${campaignId}`)).statusCode).toBe(404);
    expect((await inject(foreign, 'GET', '/api/simulations/campaigns')).json().items).toEqual([]);
  });

  it('"Report phishing" on a simulation counts as reported, quarantines nothing and alerts nobody; real mail keeps its behaviour', async () => {
    const { ticketId, messageId } = tickets.get(agents[1]!.userId)!;
    const mails = (services.mailer as MemoryMailer).sent.length;
    const q = async () => (await db().selectFrom('quarantine').where('org_id', '=', org.orgId).select('id').execute()).length;
    const held = await q();
    const res = await inject(agents[1]!, 'POST', `/api/tickets/${ticketId}/messages/${messageId}/report-phishing`, {});
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ simulation: true, quarantineId: null, blockSuggestionId: null });
    expect(await q()).toBe(held);
    expect((services.mailer as MemoryMailer).sent.length).toBe(mails);
    expect(await db().selectFrom('phishing_reports').where('org_id', '=', org.orgId).select('id').execute()).toEqual([]);
    expect(await db().selectFrom('phishing_labels').where('org_id', '=', org.orgId).select('message_ref').execute()).toEqual([]);
    const results = (await inject(officer, 'GET', `/api/simulations/campaigns/${campaignId}`)).json();
    expect(results.counts).toMatchObject({ delivered: 3, clicked: 1, reported: 1, noAction: 1, skipped: 1 });
    expect(results.recipients.find((r: { userId: string }) => r.userId === agents[1]!.userId).outcome).toBe('reported');

    const real = await ingest(realMessage('Please verify your account'));
    if (!('ticketId' in real)) throw new Error('not ingested');
    await db().updateTable('tickets').set({ assignee_id: agents[2]!.userId }).where('id', '=', real.ticketId).execute();
    const realReport = await inject(agents[2]!, 'POST', `/api/tickets/${real.ticketId}/messages/${real.messageId}/report-phishing`, {});
    expect(realReport.statusCode).toBe(201);
    expect(realReport.json().quarantineId).toEqual(expect.any(String));
    expect(realReport.json().simulation).toBeUndefined();
    expect(await q()).toBe(held + 1);
  });

  it('after the end, clicks count for nothing and nothing more is delivered', async () => {
    expect((await inject(agents[0]!, 'POST', `/api/simulations/campaigns/${campaignId}/end`)).statusCode).toBe(403);
    expect((await inject(officer, 'POST', `/api/simulations/campaigns/${campaignId}/end`)).statusCode).toBe(200);
    expect((await inject(officer, 'POST', `/api/simulations/campaigns/${campaignId}/end`)).statusCode).toBe(409);
    const { token } = tickets.get(agents[2]!.userId)!;
    expect((await inject(null, 'GET', `/l/${token}`)).statusCode).toBe(200);
    expect((await inject(null, 'POST', '/api/simulations/landing/seen', { token })).statusCode).toBe(404);
    const res = (await inject(officer, 'GET', `/api/simulations/campaigns/${campaignId}`)).json();
    expect(res.counts.clicked).toBe(1);
    expect(res.recipients.find((r: { userId: string }) => r.userId === agents[2]!.userId).events.at(-1)).toMatchObject({ type: 'clicked', discountedReason: 'after_campaign_end' });
  });

  it('lets an agent read no results, even through a signed-in session of another role', async () => {
    const auditor = await signIn(app, org, { roles: ['auditor'] });
    expect((await inject(auditor, 'GET', `/api/simulations/campaigns/${campaignId}`)).statusCode).toBe(403);
    expect((await inject(agents[0]!, 'GET', `/api/simulations/campaigns/${campaignId}`)).statusCode).toBe(403);
    void signInAs;
  });

  it('rate limits a flood of landing requests and counts nothing from it', async () => {
    const before = await eventCount();
    const statuses: number[] = [];
    for (let i = 0; i < 35; i++) statuses.push((await inject(null, 'GET', `/l/${randomUUID().replace(/-/g, '')}`)).statusCode);
    expect(statuses).toContain(429);
    expect(statuses.every((s) => s === 404 || s === 429)).toBe(true);
    expect(await eventCount()).toBe(before);
  });
});
