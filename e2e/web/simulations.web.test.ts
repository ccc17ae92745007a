/**
 * Phishing simulations in Chromium: a security officer's campaign reaches an agent through the support queue;
 * the agent's click opens the landing page, whose script (within the CSP) confirms a person saw it, so the
 * click counts; the officer sees the builder with its preview and the results. Each page passes axe-core.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../../src/identity/auth/testing.js';
import { seedMailbox } from '../../src/helpdesk/tickets/testing.js';
import { closeBrowser, describeWeb, launchBrowser, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

describeWeb('phishing simulations', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;
  let officer: SignedIn;
  let agent: SignedIn;
  let campaignId: string;
  let token: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    org = await buildOrg(server.services, 'Northwind Support');
    const team = await buildTeam(server.services, org);
    const mailbox = await seedMailbox(server.services.database.db, org.orgId, 'support@northwind.example', team);
    officer = await signIn(server.app, org, { roles: ['security_officer'] });
    agent = await signIn(server.app, org, { roles: ['agent'], teamIds: [team] });
    const created = await server.app.inject({ method: 'POST', url: '/api/simulations/campaigns', headers: officer.headers, payload: {
      name: 'Autumn check', templateId: 'shared-document', mailboxId: mailbox, senderDomain: 'northwind-share.example', banner: 'as_real', windowMinutes: 0, durationDays: 7, targets: { userIds: [agent.userId] },
    } });
    campaignId = created.json().id;
    await server.app.inject({ method: 'POST', url: `/api/simulations/campaigns/${campaignId}/deliver`, headers: officer.headers });
    const r = await server.services.database.db.selectFrom('simulation_recipients').where('campaign_id', '=', campaignId).select('ticket_id').executeTakeFirstOrThrow();
    const ticket = (await server.app.inject({ url: `/api/tickets/${r.ticket_id}`, headers: agent.headers })).json();
    token = /\/l\/([A-Za-z0-9_-]+)/.exec(ticket.messages.map((m: { body: string | null }) => m.body ?? '').join('\n'))![1]!;
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await closeBrowser(browser);
    await server?.close();
  });

  it('a click opens the message with its red flags; the page’s script confirms a person, so the click counts', async () => {
    const context = await browser.newContext({ baseURL: server.baseUrl });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const seen = watchPage(page);
    const confirmed = page.waitForResponse((res) => res.url().endsWith('/api/simulations/landing/seen'));
    await page.goto(`/l/${token}`);
    await page.getByRole('heading', { level: 1, name: 'This was a phishing simulation' }).waitFor();
    expect((await confirmed).status()).toBe(200);
    expect(await page.locator('mark').count()).toBeGreaterThanOrEqual(3);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'simulation-landing');
    const results = (await server.app.inject({ url: `/api/simulations/campaigns/${campaignId}`, headers: officer.headers })).json();
    expect(results.counts.clicked).toBe(1);
  });

  it('the officer sees the builder with a preview and the campaign’s results', async () => {
    const context = await staffContext(browser, server, officer);
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const seen = watchPage(page);
    await page.goto('/security/simulations');
    await page.getByRole('heading', { level: 1, name: 'Phishing simulations' }).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'New campaign' }).click();
    await page.getByText('Red flags shown after a click').waitFor();
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'security-simulation-builder');
    await page.goto(`/security/simulations/${campaignId}`);
    await page.getByRole('heading', { level: 1, name: 'Autumn check' }).waitFor();
    await page.getByRole('cell', { name: 'Clicked', exact: true }).waitFor();
    expect(await runAxe(page)).toEqual([]);
    expect(seen.cspViolations).toEqual([]);
    await snap(page, 'security-simulation-results');
  });
});
