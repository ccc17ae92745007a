/**
 * CSAT and reports in Chromium: the customer follows the Good link of the solved email (the page
 * records nothing until they confirm), and the rating then shows in the reports page with its
 * charts (uPlot canvases), their data tables and CSV links, within the CSP and axe-core's rules.
 */
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, buildUser, signIn, signInAs, type SignedIn, type TestOrg } from '../../src/identity/auth/testing.js';
import { buildCustomerWithTicket } from '../../src/helpdesk/portal/testing.js';
import '../../src/helpdesk/csat/schema.js';
import { closeBrowser, describeWeb, launchBrowser, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

describeWeb('CSAT and reports', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;
  let team: string;
  let agent: SignedIn;
  let admin: SignedIn;
  let ratedTicketId = '';

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    org = await buildOrg(server.services, 'Contoso Support');
    team = await buildTeam(server.services, org);
    agent = await signIn(server.app, org, { roles: ['agent'], teamIds: [team] });
    admin = await signInAs(server.app, await buildUser(server.services, org, { roles: ['administrator'], name: 'Alex Admin', email: `alex.admin-${randomUUID().slice(0, 6)}@staff.example` }));
  }, 180_000);
  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('the customer rates from the link in the solved email: the page records nothing until they send it', async () => {
    const db = server.services.database.db;
    const c = await buildCustomerWithTicket(server.services, { orgId: org.orgId, email: 'grace@customer.example', name: 'Grace Hopper', teamId: team, subject: 'Printer offline' });
    const solved = await server.app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/status`, headers: agent.headers, payload: { status: 'solved' } });
    expect(solved.statusCode).toBe(200);
    // The survey email's text waits in the outbound queue; take the Good link from it.
    const row = await db.selectFrom('outbound_mail').where('ticket_id', '=', c.ticketId).select(['id', 'body_enc']).executeTakeFirstOrThrow();
    const text = await server.services.keyring.decrypt({ table: 'outbound_mail', column: 'body_enc', rowId: row.id }, row.body_enc as Uint8Array);
    const link = /(https?:\/\/\S+\/portal\/rate\?token=tdc_[A-Za-z0-9_-]+&rating=good)/.exec(text)?.[1];
    expect(link).toBeDefined();

    const context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1100, height: 820 } });
    const page = await context.newPage();
    const seen = watchPage(page);
    await page.goto(link as string);
    await page.getByRole('heading', { name: 'Rate our support' }).waitFor();
    await page.getByText(`request #${c.ticketNumber}`).waitFor();
    expect(page.url()).not.toContain('token=');
    expect(await page.getByLabel('Good, I am satisfied').isChecked()).toBe(true);
    // Opening the link (what a mail scanner does) recorded nothing.
    expect(await db.selectFrom('csat_ratings').where('ticket_id', '=', c.ticketId).select('id').execute()).toEqual([]);
    expect(await runAxe(page)).toEqual([]);
    await page.getByLabel('Anything you would like to tell us?').fill('Fixed within the hour, thank you.');
    await page.getByRole('button', { name: 'Send my rating' }).click();
    await page.getByText('Thank you! Your rating has been recorded.').waitFor();
    await snap(page, 'csat-rate');
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await context.close();
    const rated = await db.selectFrom('csat_ratings').where('ticket_id', '=', c.ticketId).select(['rating', 'source']).execute();
    expect(rated).toEqual([{ rating: 'good', source: 'email' }]);
    ratedTicketId = c.ticketId;
  }, 180_000);

  it('the reports page shows that rating, with uPlot charts, their data tables and CSV links; the agent sees it on the ticket', async () => {
    expect(ratedTicketId).toBeTruthy();

    const staff = await staffContext(browser, server, admin);
    const reports = await staff.newPage();
    const watched = watchPage(reports);
    await reports.goto('/reports');
    await reports.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
    await reports.getByText('The whole organisation').waitFor();
    const csat = reports.locator('section', { has: reports.getByRole('heading', { name: 'Customer satisfaction' }) });
    await csat.getByText('100 %').waitFor();
    // Two uPlot charts drawn on canvas, each with its figures as a table behind a disclosure.
    await reports.locator('.report-chart canvas').first().waitFor();
    expect(await reports.locator('.report-chart canvas').count()).toBeGreaterThanOrEqual(2);
    const volume = reports.locator('figure', { has: reports.getByText('Tickets created and solved per day', { exact: true }) });
    await volume.getByText('Show the figures as a table').click();
    await volume.getByRole('table', { name: 'Tickets created and solved per day' }).waitFor();
    const csv = reports.getByRole('link', { name: 'Download CSV: Customer satisfaction' });
    expect(await csv.getAttribute('href')).toMatch(/^\/api\/reports\/export\?.*report=csat/);
    expect(await runAxe(reports)).toEqual([]);
    await snap(reports, 'reports');
    expect(watched.cspViolations).toEqual([]);
    expect(watched.pageErrors).toEqual([]);

    // The agent sees the rating and its comment on the ticket.
    const agentContext = await staffContext(browser, server, agent);
    const ticket = await agentContext.newPage();
    await ticket.goto(`/tickets/${ratedTicketId}`);
    const panel = ticket.locator('section', { has: ticket.getByRole('heading', { name: 'Satisfaction' }) });
    await panel.getByText('Good', { exact: true }).waitFor();
    await panel.getByText('Fixed within the hour, thank you.').waitFor();
    await agentContext.close();
    await staff.close();
  }, 180_000);
});
