/**
 * Awareness scores over real simulation, report and training logs: the dashboard agrees with the campaign's
 * results, scores move the expected way, and who sees whom (own / team / organisation) holds, including the
 * attacker's cases: another team's member, another organisation's person, a role without the permission.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, buildUser, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { assignModule } from '../../identity/training/assignments.service.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { seedMailbox } from '../../helpdesk/tickets/testing.js';
import { createDefaultHooks } from '../../helpdesk/ingest/hooks.js';
import { ingestInboundEmail } from '../../helpdesk/ingest/pipeline.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { createSimulationRoutes, simulationRoutes } from '../simulations/simulations.routes.js';
import { BASE_SCORE, WEIGHTS } from './score.js';

const ADDRESS = 'support@awareness-test.example';

describe.each(testDatabaseKinds)('awareness scores on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let otherOrg: TestOrg;
  let teamA: string;
  let teamB: string;
  let officer: SignedIn;
  let lead: SignedIn;
  let admin: SignedIn;
  let clicker: SignedIn;
  let reporter: SignedIn;
  let ignorer: SignedIn;
  let outsider: SignedIn;
  let formula: string;
  let campaignId: string;
  let mailbox: string;

  const inject = (who: SignedIn | null, url: string, method: 'GET' | 'POST' = 'GET', payload?: object) =>
    app.inject({ method, url, ...(who ? { headers: who.headers } : {}), ...(payload ? { payload } : {}) });

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, schemaCache: testSchemaCache, routes: [...appRoutes.filter((r) => r !== simulationRoutes), createSimulationRoutes({ blobs: new MemoryBlobStore(), deliveryIntervalMs: 0 })] });
    await app.ready();
    org = await buildOrg(services);
    otherOrg = await buildOrg(services);
    teamA = await buildTeam(services, org, 'Front line');
    teamB = await buildTeam(services, org, 'Billing');
    mailbox = await seedMailbox(services.database.db, org.orgId, ADDRESS, teamA);
    officer = await signIn(app, org, { roles: ['security_officer'] });
    admin = await signIn(app, org, { roles: ['administrator'] });
    lead = await signIn(app, org, { roles: ['supervisor'], teamIds: [teamA] });
    clicker = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    reporter = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    ignorer = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    outsider = await signIn(app, org, { roles: ['agent'], teamIds: [teamB] });
    formula = (await buildUser(services, org, { roles: ['agent'], teamIds: [teamA], name: '=HYPERLINK("http://evil.example","x")' })).userId;

    // One campaign to the three agents of team A: one clicks (a person, confirmed by the page's script), one reports, one ignores.
    const created = await inject(officer, '/api/simulations/campaigns', 'POST', {
      name: 'November check', templateId: 'vendor-bank-details', mailboxId: mailbox, senderDomain: 'vendor-billing.example', banner: 'none', windowMinutes: 0, durationDays: 7,
      targets: { userIds: [clicker.userId, reporter.userId, ignorer.userId] },
    });
    expect(created.statusCode, created.body).toBe(201);
    campaignId = created.json().id;
    expect((await inject(officer, `/api/simulations/campaigns/${campaignId}/deliver`, 'POST')).json()).toMatchObject({ delivered: 3 });
    const recipient = (userId: string) => services.database.db.selectFrom('simulation_recipients').where('campaign_id', '=', campaignId).where('user_id', '=', userId).selectAll().executeTakeFirstOrThrow();
    const c = await recipient(clicker.userId);
    const ticket = (await inject(clicker, `/api/tickets/${c.ticket_id}`)).json();
    const token = /\/l\/([A-Za-z0-9_-]+)/.exec(ticket.messages.map((m: { body: string | null }) => m.body ?? '').join('\n'))![1]!;
    expect((await inject(null, `/l/${token}`)).statusCode).toBe(200);
    expect((await inject(null, '/api/simulations/landing/seen', 'POST', { token })).statusCode).toBe(200);
    const rr = await recipient(reporter.userId);
    expect((await inject(reporter, `/api/tickets/${rr.ticket_id}/messages/${rr.message_id}/report-phishing`, 'POST', {})).statusCode).toBe(201);
    expect((await inject(officer, `/api/simulations/campaigns/${campaignId}/end`, 'POST')).statusCode).toBe(200);

    // The team-B agent has a module past its due date.
    await services.database.db.transaction().execute((trx) => assignModule({ db: services.database.db, audit: services.audit }, trx, {
      orgId: org.orgId, userId: outsider.userId, moduleKey: 'reporting-incidents', dueAt: new Date(Date.now() - 3 * 86_400_000), source: 'manual',
    }));
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('shows on the dashboard exactly the campaign’s results: 1 click, 1 report, 1 no action', async () => {
    const results = (await inject(officer, `/api/simulations/campaigns/${campaignId}`)).json();
    const res = await inject(officer, '/api/awareness/dashboard');
    expect(res.statusCode, res.body).toBe(200);
    const d = res.json();
    expect(d.scope).toBe('org');
    const row = d.campaigns.find((c: { campaignId: string }) => c.campaignId === campaignId);
    expect(row).toMatchObject({ delivered: 3, clicked: 1, dataEntered: 0, reported: 1, noAction: 1, status: 'ended', template: 'Vendor announces new bank details' });
    expect({ delivered: row.delivered, clicked: row.clicked, reported: row.reported, noAction: row.noAction, dataEntered: row.dataEntered })
      .toEqual({ delivered: results.counts.delivered, clicked: results.counts.clicked, reported: results.counts.reported, noAction: results.counts.noAction, dataEntered: results.counts.dataEntered });
    expect(row.clickRate).toBeCloseTo(1 / 3, 3);
    expect(row.reportRate).toBeCloseTo(1 / 3, 3);
    expect(row.medianMinutesToReport).toBeGreaterThanOrEqual(0);
    expect(d.months.reduce((n: number, m: { delivered: number }) => n + m.delivered, 0)).toBe(3);
    const front = d.teams.find((t: { id: string }) => t.id === teamA);
    expect(front).toMatchObject({ name: 'Front line', clicked: 1, reported: 1, noAction: 1 });
    const billing = d.teams.find((t: { id: string }) => t.id === teamB);
    expect(billing.training).toMatchObject({ assigned: 1, overdue: 1 });
    expect(d.roles.find((r: { id: string }) => r.id === 'agent')).toMatchObject({ delivered: 3, clicked: 1 });
    // The clicker was enrolled in training (due later): one assignment, not overdue; the organisation's figures add up.
    expect(d.training.assigned).toBe(2);
    expect(d.training.overdue).toBe(1);
  });

  it('moves each score in the expected direction and explains it', async () => {
    const score = async (who: SignedIn) => (await inject(who, '/api/awareness/me')).json();
    const c = await score(clicker);
    const r = await score(reporter);
    const i = await score(ignorer);
    const o = await score(outsider);
    expect(c.score).toBe(BASE_SCORE + WEIGHTS.simClicked);
    expect(r.score).toBeGreaterThanOrEqual(BASE_SCORE + WEIGHTS.simReportedWithinDay);
    expect(i.score).toBe(BASE_SCORE + WEIGHTS.simIgnored);
    expect(o.score).toBeLessThan(BASE_SCORE);
    expect(c.explanation[0]).toMatchObject({ kind: 'sim_clicked', points: WEIGHTS.simClicked, subject: 'Vendor announces new bank details' });
    expect(r.explanation[0]).toMatchObject({ kind: 'sim_reported', subject: 'Vendor announces new bank details' });
    expect(r.explanation[0].minutes).toBeLessThan(5);
    expect(o.explanation[0]).toMatchObject({ kind: 'training_overdue', points: WEIGHTS.trainingOverdue });
    expect(c.simulations).toEqual([expect.objectContaining({ campaignId, outcome: 'clicked' })]);
    expect(r.simulations[0].outcome).toBe('reported');
    expect(i.simulations[0].outcome).toBe('no_action');
    expect(c.training).toEqual([expect.objectContaining({ moduleKey: 'social-engineering-phone-chat', status: 'due' })]);
    expect(c.history.at(-1).score).toBe(c.score);
    // Team and organisation means follow the members.
    const d = (await inject(officer, '/api/awareness/dashboard')).json();
    const front = d.teams.find((t: { id: string }) => t.id === teamA);
    expect(front.people).toBe(5);
    expect(d.overall.people).toBe(d.people.length);
  });

  it('lets an agent read only their own page: no dashboard, no one else, no export, no campaigns', async () => {
    expect((await inject(clicker, '/api/awareness/me')).json().person.userId).toBe(clicker.userId);
    // Their own page through the people route needs the permission like any other; the own route does not.
    for (const url of ['/api/awareness/dashboard', `/api/awareness/people/${reporter.userId}`, `/api/awareness/people/${clicker.userId}`, '/api/awareness/export?table=people', `/api/simulations/campaigns/${campaignId}`, '/api/simulations/campaigns']) {
      expect((await inject(clicker, url)).statusCode, url).toBe(403);
    }
    expect((await inject(clicker, '/api/simulations/campaigns', 'POST', { name: 'x', templateId: 'shared-document', mailboxId: teamA, senderDomain: 'a.example', banner: 'none', windowMinutes: 0, durationDays: 1, targets: {} })).statusCode).toBe(403);
    expect((await inject(null, '/api/awareness/me')).statusCode).toBe(401);
  });

  it('lets a lead see their team and themselves; another team’s member or organisation is not found', async () => {
    const d = (await inject(lead, '/api/awareness/dashboard')).json();
    expect(d.scope).toBe('team');
    expect(d.people.map((p: { userId: string }) => p.userId).sort()).toEqual([lead.userId, clicker.userId, reporter.userId, ignorer.userId, formula].sort());
    expect(d.teams.map((t: { id: string }) => t.id)).toEqual([teamA]);
    expect(d.campaigns[0]).toMatchObject({ delivered: 3, clicked: 1, reported: 1, noAction: 1 });
    expect((await inject(lead, `/api/awareness/people/${clicker.userId}`)).json().score).toBe(BASE_SCORE + WEIGHTS.simClicked);
    expect((await inject(lead, `/api/awareness/people/${outsider.userId}`)).statusCode).toBe(404);
    const stranger = await buildUser(services, otherOrg, { roles: ['agent'] });
    expect((await inject(lead, `/api/awareness/people/${stranger.userId}`)).statusCode).toBe(404);
    expect((await inject(lead, '/api/awareness/people/not-a-uuid')).statusCode).toBe(400);
    // A lead creates no campaign and reads no campaign's results.
    expect((await inject(lead, `/api/simulations/campaigns/${campaignId}`)).statusCode).toBe(403);
  });

  it('lets a security officer see everyone, never another organisation; roles without the permission see nobody', async () => {
    expect((await inject(officer, `/api/awareness/people/${outsider.userId}`)).statusCode).toBe(200);
    const foreign = await signIn(app, otherOrg, { roles: ['security_officer'] });
    expect((await inject(foreign, `/api/awareness/people/${clicker.userId}`)).statusCode).toBe(404);
    const theirs = (await inject(foreign, '/api/awareness/dashboard')).json();
    expect(theirs.people.map((p: { userId: string }) => p.userId)).toContain(foreign.userId);
    expect(theirs.people.map((p: { userId: string }) => p.userId)).not.toContain(clicker.userId);
    expect(theirs.campaigns).toEqual([]);
    const auditor = await signIn(app, org, { roles: ['auditor'] });
    for (const who of [admin, auditor]) {
      expect((await inject(who, '/api/awareness/dashboard')).statusCode).toBe(403);
      expect((await inject(who, `/api/awareness/people/${clicker.userId}`)).statusCode).toBe(403);
    }
    await services.audit.flush();
    const reads = await services.database.db.selectFrom('audit_log').where('action', '=', 'awareness.person.read').where('object_id', '=', outsider.userId).select('actor_id').execute();
    expect(reads.map((r) => r.actor_id)).toContain(officer.userId);
  });

  it('exports the per-person and per-campaign tables as CSV downloads with formulas neutralised', async () => {
    const people = await inject(lead, '/api/awareness/export?table=people');
    expect(people.statusCode).toBe(200);
    expect(people.headers['content-type']).toContain('text/csv');
    expect(people.headers['content-disposition']).toMatch(/^attachment; filename="awareness-people-/);
    expect(people.headers['x-content-type-options']).toBe('nosniff');
    // The watermark line first (decision 0217), then the table.
    expect(people.body.split('\r\n')[0]).toMatch(/^"# trustdesk-export; exported_by=/);
    const lines = people.body.trim().split('\r\n').slice(1);
    expect(lines[0]).toBe('user_id,name,teams,roles,score,simulations_delivered,clicked,attachment_opened,data_entered,reported,no_action,training_assigned,training_passed,training_overdue');
    expect(lines).toHaveLength(6);
    expect(people.body).toContain(`${formula},"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(people.body).not.toContain(outsider.userId);
    const campaigns = await inject(officer, '/api/awareness/export?table=campaigns');
    expect(campaigns.body.split('\r\n')[2]).toMatch(new RegExp(`^${campaignId},November check,Vendor announces new bank details,[^,]+,ended,3,1,0,0,1,1,0\\.3333,0,0,0\\.3333,`));
    expect((await inject(officer, '/api/awareness/export?table=secrets')).statusCode).toBe(400);
    expect((await inject(clicker, '/api/awareness/export?table=campaigns')).statusCode).toBe(403);
  });

  it('raises the score for a report of real phishing a security officer confirms; one judged not phishing costs nothing', async () => {
    const deps = await createHelpdeskDeps(services);
    const hooks = createDefaultHooks({ db: services.database.db, keyring: services.keyring, mailer: services.mailer });
    const route = [{ id: mailbox, orgId: org.orgId, address: ADDRESS, teamId: teamA }];
    const reportReal = async (subject: string) => {
      const raw = Buffer.from([`From: "Dana" <dana@customer.example>`, `To: ${ADDRESS}`, `Subject: ${subject}`, `Date: ${new Date().toUTCString()}`, `Message-ID: <${subject.replace(/\W/g, '')}@customer.example>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'Please verify your account at once.', ''].join('\r\n'));
      const out = (await ingestInboundEmail(deps, { hooks, blobs: new MemoryBlobStore(), maxAttachmentBytes: 1_000_000 }, { raw, mailFrom: 'dana@customer.example', rcptTo: [ADDRESS] }, route))[0]!;
      if (!('ticketId' in out) || !out.messageId) throw new Error('not ingested');
      await services.database.db.updateTable('tickets').set({ assignee_id: ignorer.userId }).where('id', '=', out.ticketId).execute();
      const res = await inject(ignorer, `/api/tickets/${out.ticketId}/messages/${out.messageId}/report-phishing`, 'POST', {});
      expect(res.statusCode, res.body).toBe(201);
      return res.json().reportId as string;
    };
    const before = (await inject(ignorer, '/api/awareness/me')).json();
    const wrong = await reportReal('Invoice question');
    expect((await inject(officer, `/api/phishing-reports/${wrong}/outcome`, 'POST', { outcome: 'false_positive', reason: 'a real customer' })).statusCode).toBe(200);
    await reportReal('Account verification');
    let after = (await inject(ignorer, '/api/awareness/me')).json();
    expect(after.score).toBe(before.score);
    expect(after.realReports).toEqual({ confirmed: 0, pending: 1, falsePositive: 1 });
    const real = await reportReal('Verify your mailbox now');
    expect((await inject(officer, `/api/phishing-reports/${real}/outcome`, 'POST', { outcome: 'confirmed', reason: 'credential phish' })).statusCode).toBe(200);
    after = (await inject(ignorer, '/api/awareness/me')).json();
    expect(after.score).toBe(before.score + WEIGHTS.realReportConfirmed);
    expect(after.explanation[0]).toMatchObject({ kind: 'real_report_confirmed', points: WEIGHTS.realReportConfirmed, subject: null });
  });
});
