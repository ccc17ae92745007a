/**
 * Phishing simulations in Chromium, the whole story: a security officer's campaign with a shipped template
 * reaches three agents through the support queue. A link scanner fetches one link seconds after delivery
 * without running script (discounted). One agent opens the ticket and clicks the link: the landing page shows
 * the red flags and its script (within the CSP) confirms a person, so the click counts and enrols the agent
 * in the matching module, which they complete, passing the quiz. One presses "Report phishing": thanked,
 * counted as reported, nothing quarantined, nobody alerted. One does nothing. The officer's results show
 * 1 click, 1 report, 1 no action. A campaign with a sign-in form records that something was typed, never
 * what. An agent opens a simulated invoice attachment from the ticket and is shown the teaching page instead
 * (decision 0200). The officer writes a template of their own. Each page passes axe-core. (That a simulated message's
 * header names match a real inbound message's is checked in simulations.routes.test.ts.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, buildUser, signIn, signInAs, type SignedIn, type TestOrg } from '../../src/identity/auth/testing.js';
import { parseModule } from '../../src/identity/training/format.js';
import { dumpAllTables, dumpContains } from '../../src/platform/db/dump.js';
import type { MemoryMailer } from '../../src/platform/notify/mailer.js';
import { seedMailbox } from '../../src/helpdesk/tickets/testing.js';
import { closeBrowser, describeWeb, launchBrowser, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

const MODULE = 'phishing-in-the-queue';
const quiz = parseModule(readFileSync(path.join(import.meta.dirname, '../../src/identity/training/modules', `${MODULE}.md`), 'utf8'));
const TYPED = 'Browser-Typed-Secret-91xq';

describeWeb('phishing simulations', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;
  let mailbox: string;
  let team: string;
  let officer: SignedIn;
  /** A team lead: reads the delivered tickets for the test without counting as their target opening them. */
  let lead: SignedIn;
  let clicker: SignedIn;
  let reporter: SignedIn;
  let ignorer: SignedIn;
  let campaignId: string;
  const delivered = new Map<string, { ticketId: string; token: string }>();
  const contexts: BrowserContext[] = [];

  const api = (who: SignedIn, method: 'GET' | 'POST', url: string, payload?: object) => server.app.inject({ method, url, headers: who.headers, ...(payload ? { payload } : {}) });
  const results = async () => (await api(officer, 'GET', `/api/simulations/campaigns/${campaignId}`)).json();

  /** Creates and delivers a campaign now; returns each target's ticket and token (read by the team lead). */
  async function run(name: string, targets: SignedIn[], over: object = {}) {
    const created = await api(officer, 'POST', '/api/simulations/campaigns', {
      name, templateId: 'shared-document', mailboxId: mailbox, senderDomain: 'northwind-share.example', banner: 'as_real', windowMinutes: 0, durationDays: 7, targets: { userIds: targets.map((t) => t.userId) }, ...over,
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    expect((await api(officer, 'POST', `/api/simulations/campaigns/${id}/deliver`)).json().delivered).toBe(targets.length);
    const out = new Map<string, { ticketId: string; token: string }>();
    for (const who of targets) {
      const r = await server.services.database.db.selectFrom('simulation_recipients').where('campaign_id', '=', id).where('user_id', '=', who.userId).select('ticket_id').executeTakeFirstOrThrow();
      const ticket = (await api(lead, 'GET', `/api/tickets/${r.ticket_id}`)).json();
      const token = /\/l\/([A-Za-z0-9_-]+)/.exec(ticket.messages.map((m: { body: string | null }) => m.body ?? '').join('\n'))![1]!;
      out.set(who.userId, { ticketId: r.ticket_id!, token });
    }
    return { id, out };
  }

  async function page(who: SignedIn | null): Promise<{ page: Page; seen: ReturnType<typeof watchPage> }> {
    const context = who ? await staffContext(browser, server, who) : await browser.newContext({ baseURL: server.baseUrl });
    contexts.push(context);
    const p = await context.newPage();
    p.setDefaultTimeout(20_000);
    return { page: p, seen: watchPage(p) };
  }

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    const { services } = server;
    org = await buildOrg(services, 'Northwind Support');
    team = await buildTeam(services, org);
    mailbox = await seedMailbox(services.database.db, org.orgId, 'support@northwind.example', team);
    officer = await signIn(server.app, org, { roles: ['security_officer'] });
    lead = await signIn(server.app, org, { roles: ['supervisor'], teamIds: [team] });
    clicker = await signInAs(server.app, await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: 'Casey Clicker' }));
    reporter = await signInAs(server.app, await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: 'Riley Reporter' }));
    ignorer = await signInAs(server.app, await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: 'Ida Ignorer' }));
    const campaign = await run('Autumn check', [clicker, reporter, ignorer]);
    campaignId = campaign.id;
    for (const [k, v] of campaign.out) delivered.set(k, v);
    // A link scanner: follows the link within seconds of delivery and runs no script.
    const scanned = await fetch(`${server.baseUrl}/l/${delivered.get(ignorer.userId)!.token}`, { headers: { 'user-agent': 'LinkChecker/1.0' } });
    expect(scanned.status).toBe(200);
    await scanned.text();
  }, 120_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await closeBrowser(browser);
    await server?.close();
  });

  it('the clicker opens the ticket and clicks: the landing page shows the red flags, and the script makes the click count', async () => {
    const { page: p, seen } = await page(clicker);
    const { ticketId, token } = delivered.get(clicker.userId)!;
    await p.goto(`/tickets/${ticketId}`);
    // The HTML part shows in a sandbox that cannot navigate; its links are under "Plain text and links".
    await p.getByText('Plain text and links').click({ timeout: 60_000 });
    const link = p.getByRole('link', { name: new RegExp(`/l/${token}`) }).first();
    await link.waitFor();
    let landing: Page = p;
    if ((await link.getAttribute('target')) === '_blank') {
      [landing] = await Promise.all([p.context().waitForEvent('page'), link.click()]);
    } else {
      await link.click();
      // A guarded link opens through the warning page first.
      const warning = p.getByRole('heading', { level: 1, name: 'Before you open this link' });
      await warning.waitFor();
      const href = await p.getByRole('link', { name: 'Open anyway' }).getAttribute('href');
      expect(href).toContain(`/l/${token}`);
      await p.goto(href!);
    }
    const seenLanding = landing === p ? seen : watchPage(landing);
    await landing.getByRole('heading', { level: 1, name: 'This was a phishing simulation' }).waitFor();
    // The page's script posts its token back: the click, first discounted as a possible scanner's, now counts.
    for (let i = 0; i < 50 && (await results()).counts.clicked === 0; i++) await landing.waitForTimeout(200);
    expect(await landing.locator('mark').count()).toBeGreaterThanOrEqual(3);
    expect(seenLanding.cspViolations).toEqual([]);
    expect(seenLanding.pageErrors).toEqual([]);
    expect(await runAxe(landing)).toEqual([]);
    await snap(landing, 'simulation-landing');
    expect((await results()).counts.clicked).toBe(1);
    if (landing !== p) await landing.close();
  }, 120_000);

  it('the reporter presses "Report phishing": thanked, counted, nothing quarantined, nobody alerted', async () => {
    const mails = (server.services.mailer as MemoryMailer).sent.length;
    const { page: p, seen } = await page(reporter);
    await p.goto(`/tickets/${delivered.get(reporter.userId)!.ticketId}`);
    await p.getByRole('button', { name: 'Report phishing' }).click();
    await p.getByRole('dialog', { name: 'Report this email as phishing' }).getByRole('button', { name: 'Report and quarantine' }).click();
    await p.getByRole('dialog', { name: 'Well spotted: this was a phishing simulation' }).waitFor();
    expect(await runAxe(p)).toEqual([]);
    expect(seen.cspViolations).toEqual([]);
    const db = server.services.database.db;
    expect(await db.selectFrom('quarantine').where('org_id', '=', org.orgId).select('id').execute()).toEqual([]);
    expect(await db.selectFrom('phishing_reports').where('org_id', '=', org.orgId).select('id').execute()).toEqual([]);
    expect((server.services.mailer as MemoryMailer).sent.length).toBe(mails);
  }, 90_000);

  it('the clicker was enrolled in the matching module, completes it and passes the quiz', async () => {
    const { page: p, seen } = await page(clicker);
    await p.goto('/training');
    await p.getByRole('link', { name: quiz.title }).click();
    await p.getByRole('heading', { name: 'Lesson' }).waitFor();
    for (const [i, q] of quiz.quiz.entries()) {
      const group = p.getByRole('group', { name: `${i + 1}. ${q.text}` });
      for (const c of q.correct) await group.getByLabel(q.choices[c]!, { exact: true }).check();
    }
    await p.getByRole('button', { name: 'Submit answers' }).click();
    await p.getByText('Passed with 100%').waitFor();
    expect(seen.cspViolations).toEqual([]);
    const assignment = await server.services.database.db.selectFrom('training_assignments').where('user_id', '=', clicker.userId).select(['module_key', 'source', 'status']).execute();
    expect(assignment).toEqual([{ module_key: MODULE, source: 'simulation', status: 'passed' }]);
  }, 90_000);

  it('the results show 1 click, 1 report, 1 no action, and the scanner’s fetch discounted with its reason', async () => {
    const r = await results();
    expect(r.counts).toMatchObject({ delivered: 3, clicked: 1, reported: 1, noAction: 1 });
    const byUser = (id: string) => r.recipients.find((x: { userId: string }) => x.userId === id);
    expect(byUser(ignorer.userId).outcome).toBe('no_action');
    expect(byUser(ignorer.userId).events).toContainEqual(expect.objectContaining({ type: 'clicked', discountedReason: 'soon_after_delivery_no_script' }));
    expect(await server.services.database.db.selectFrom('training_assignments').where('user_id', '=', ignorer.userId).select('id').execute()).toEqual([]);
    const { page: p, seen } = await page(officer);
    await p.goto(`/security/simulations/${campaignId}`);
    await p.getByRole('heading', { level: 1, name: 'Autumn check' }).waitFor({ timeout: 60_000 });
    const counts = p.locator('.sim-counts');
    await counts.getByText('Clicked').waitFor();
    const count = async (label: string) => (await counts.locator('div').filter({ has: p.getByText(label, { exact: true }) }).locator('dd').textContent())?.trim();
    expect([await count('Clicked'), await count('Reported'), await count('No action')]).toEqual(['1', '1', '1']);
    await p.getByRole('row').filter({ hasText: 'Ida Ignorer' }).getByText(/seconds after delivery, no script ran/).waitFor();
    expect(await runAxe(p)).toEqual([]);
    expect(seen.cspViolations).toEqual([]);
    await snap(p, 'security-simulation-results');
  }, 90_000);

  it('a sign-in form on the landing page records THAT something was typed, never what', async () => {
    const typist = await signIn(server.app, org, { roles: ['agent'], teamIds: [team] });
    const { id, out } = await run('Sign-in form', [typist], { landingForm: 'credentials' });
    const { page: p, seen } = await page(null);
    await p.goto(`/l/${out.get(typist.userId)!.token}`);
    await p.getByRole('heading', { level: 1, name: 'Sign in to continue' }).waitFor();
    expect(await runAxe(p)).toEqual([]);
    await snap(p, 'simulation-landing-form');
    await p.getByLabel('Email address').fill('casey@northwind.example');
    await p.getByLabel('Password').fill(TYPED);
    const posted = p.waitForRequest((req) => req.method() === 'POST' && req.url().includes('/l/'));
    await p.getByRole('button', { name: 'Sign in' }).click();
    expect((await posted).postData() ?? '').not.toContain(TYPED);
    await p.getByRole('heading', { level: 1, name: 'This was a phishing simulation' }).waitFor();
    await p.getByText(/Nothing you typed left your computer/).waitFor();
    expect(seen.cspViolations).toEqual([]);
    const r = (await api(officer, 'GET', `/api/simulations/campaigns/${id}`)).json();
    expect(r.counts.dataEntered).toBe(1);
    expect(dumpContains(await dumpAllTables(server.services.database.db), TYPED)).toBe(false);
  }, 90_000);

  it('an agent opens the invoice attachment from the ticket and is shown the teaching page; the opening counts', async () => {
    const opener = await signIn(server.app, org, { roles: ['agent'], teamIds: [team] });
    const created = await api(officer, 'POST', '/api/simulations/campaigns', { name: 'Invoice check', templateId: 'invoice-attachment', mailboxId: mailbox, senderDomain: 'billing-notice.example', banner: 'as_real', windowMinutes: 0, durationDays: 7, targets: { userIds: [opener.userId] } });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    expect((await api(officer, 'POST', `/api/simulations/campaigns/${id}/deliver`)).json().delivered).toBe(1);
    const r = await server.services.database.db.selectFrom('simulation_recipients').where('campaign_id', '=', id).select('ticket_id').executeTakeFirstOrThrow();
    const { page: p, seen } = await page(opener);
    await p.goto(`/tickets/${r.ticket_id}`);
    await p.getByRole('link', { name: /^Invoice_[A-Za-z0-9-]+\.pdf$/ }).click({ timeout: 60_000 });
    await p.getByRole('heading', { level: 1, name: 'This was a phishing simulation' }).waitFor();
    await p.getByText(/You opened the attachment of a phishing message/).waitFor();
    expect(seen.cspViolations).toEqual([]);
    expect(await runAxe(p)).toEqual([]);
    const r2 = (await api(officer, 'GET', `/api/simulations/campaigns/${id}`)).json();
    expect(r2.counts.attachmentOpened).toBe(1);
    expect(r2.recipients[0].outcome).toBe('attachment_opened');
  }, 90_000);

  it('the officer writes a template of their own from a shipped one and previews it; the builder offers it', async () => {
    const { page: p, seen } = await page(officer);
    await p.goto('/security/simulations');
    await p.getByRole('heading', { level: 1, name: 'Phishing simulations' }).waitFor({ timeout: 60_000 });
    await p.getByRole('button', { name: 'Copy “Shared document needs a sign-in”' }).click();
    await p.getByRole('button', { name: 'Edit “Copy of Shared document needs a sign-in”' }).click();
    await p.getByLabel('Template name').fill('Shared contract (our version)');
    await p.getByRole('button', { name: 'Preview for a sample agent' }).click();
    await p.locator('.sim-preview').getByText('Jordan Miller has shared a document with you.', { exact: false }).first().waitFor();
    expect(await runAxe(p)).toEqual([]);
    await p.getByLabel('Template name').scrollIntoViewIfNeeded();
    await snap(p, 'security-simulation-template-editor');
    await p.getByRole('button', { name: 'Save template' }).click();
    await p.getByRole('button', { name: 'Edit “Shared contract (our version)”' }).waitFor();
    await p.getByRole('button', { name: 'New campaign' }).click();
    await p.getByText('Red flags shown after a click').waitFor();
    expect(await p.getByRole('option', { name: /Shared contract \(our version\)/ }).count()).toBe(1);
    expect(await runAxe(p)).toEqual([]);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await snap(p, 'security-simulation-builder');
  }, 90_000);

  it('the officer words the attachment of their own template, sees it in the preview, and a hostile file name is refused', async () => {
    const { page: p, seen } = await page(officer);
    await p.goto('/security/simulations');
    await p.getByRole('heading', { level: 1, name: 'Phishing simulations' }).waitFor({ timeout: 60_000 });
    await p.getByRole('button', { name: 'Copy “Overdue invoice to open”' }).click();
    await p.getByRole('button', { name: 'Edit “Copy of Overdue invoice to open”' }).click();
    await p.getByLabel('Template name').fill('Quote to open (our version)');
    expect(await p.getByLabel('Attach a harmless file that reports when opened').isChecked()).toBe(true);
    await p.getByLabel('File name, without extension').fill('../Quote\\x');
    await p.getByRole('button', { name: 'Save template' }).click();
    await p.getByText(/no path separators/).first().waitFor();
    await p.getByLabel('File name, without extension').fill('Quote {{document.number}}');
    await p.getByLabel('Heading of the file').fill('QUOTE for {{organisation.name}}');
    await p.getByRole('button', { name: 'Preview for a sample agent' }).click();
    const shown = p.locator('.sim-preview__attachment');
    await shown.getByText('Quote INV-2026-04817.pdf').waitFor();
    await shown.getByText('QUOTE for Example Support').waitFor();
    expect(await runAxe(p)).toEqual([]);
    await shown.scrollIntoViewIfNeeded();
    await snap(p, 'security-simulation-template-attachment');
    await p.getByRole('button', { name: 'Save template' }).click();
    await p.getByRole('button', { name: 'Edit “Quote to open (our version)”' }).waitFor();
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
  }, 90_000);
});
