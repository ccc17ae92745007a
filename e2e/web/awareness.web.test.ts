/**
 * Awareness in Chromium: after a campaign where one agent reports and one ignores, the security officer's
 * dashboard shows the campaign's figures with its charts, and the reporting agent reaches "My awareness" from
 * the training page: the score, its history chart and what moved it. Each page passes axe-core, no CSP violation.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, signIn, type SignedIn } from '../../src/identity/auth/testing.js';
import { seedMailbox } from '../../src/helpdesk/tickets/testing.js';
import { closeBrowser, describeWeb, launchBrowser, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

describeWeb('awareness scores', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let officer: SignedIn;
  let reporter: SignedIn;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    const org = await buildOrg(server.services, 'Northwind Support');
    const team = await buildTeam(server.services, org, 'Front line');
    const mailbox = await seedMailbox(server.services.database.db, org.orgId, 'support@northwind.example', team);
    officer = await signIn(server.app, org, { roles: ['security_officer'] });
    reporter = await signIn(server.app, org, { roles: ['agent'], teamIds: [team] });
    const ignorer = await signIn(server.app, org, { roles: ['agent'], teamIds: [team] });
    const created = await server.app.inject({ method: 'POST', url: '/api/simulations/campaigns', headers: officer.headers, payload: {
      name: 'Autumn check', templateId: 'it-password-expiry', mailboxId: mailbox, senderDomain: 'northwind-it.example', banner: 'none', windowMinutes: 0, durationDays: 7,
      targets: { userIds: [reporter.userId, ignorer.userId] },
    } });
    const campaignId = created.json().id;
    await server.app.inject({ method: 'POST', url: `/api/simulations/campaigns/${campaignId}/deliver`, headers: officer.headers });
    const r = await server.services.database.db.selectFrom('simulation_recipients').where('campaign_id', '=', campaignId).where('user_id', '=', reporter.userId).select(['ticket_id', 'message_id']).executeTakeFirstOrThrow();
    await server.app.inject({ method: 'POST', url: `/api/tickets/${r.ticket_id}/messages/${r.message_id}/report-phishing`, headers: reporter.headers, payload: {} });
    await server.app.inject({ method: 'POST', url: `/api/simulations/campaigns/${campaignId}/end`, headers: officer.headers });
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await closeBrowser(browser);
    await server?.close();
  });

  it('the officer’s dashboard shows the campaign’s figures, charts and each person', async () => {
    const context = await staffContext(browser, server, officer);
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const seen = watchPage(page);
    await page.goto('/security/awareness');
    await page.getByRole('heading', { level: 1, name: 'Security awareness' }).waitFor({ timeout: 60_000 });
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'Autumn check' }) });
    await row.waitFor();
    // Delivered 2, clicked 0, entered data 0, reported 1, no action 1.
    expect(await row.getByRole('cell').allInnerTexts()).toEqual(expect.arrayContaining(['Autumn check', 'Your password expires today', '2', '0', '1', '50 %']));
    expect(await page.getByRole('img', { name: 'Click, data-entry and report rate per campaign' }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Download CSV: Per campaign' }).getAttribute('href')).toBe('/api/awareness/export?table=campaigns');
    expect(await runAxe(page)).toEqual([]);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await snap(page, 'security-awareness-dashboard');
  });

  it('an agent opens their own awareness from the training page: score, history and what moved it', async () => {
    const context = await staffContext(browser, server, reporter);
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const seen = watchPage(page);
    await page.goto('/training');
    await page.getByRole('link', { name: 'My awareness' }).click({ timeout: 60_000 });
    await page.getByRole('heading', { level: 1, name: 'My awareness' }).waitFor();
    await page.getByText('reported “Your password expires today” within 1 min').waitFor();
    expect(await page.locator('.aw-score__value').innerText()).toBe('62');
    expect(await page.getByRole('img', { name: 'Awareness score over time' }).count()).toBe(1);
    expect(await page.getByRole('cell', { name: 'Reported', exact: true }).count()).toBe(1);
    expect(await runAxe(page)).toEqual([]);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await page.mouse.wheel(0, 420);
    await snap(page, 'training-my-awareness');
  });
});
