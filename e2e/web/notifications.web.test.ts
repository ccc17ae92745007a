/**
 * Notifications in Chromium: a lead assigns a ticket to an agent; the agent's
 * bell count rises (the count refreshes when the tab becomes visible again),
 * the panel, opened from the keyboard, links to the ticket and marks it read;
 * the preferences page saves a choice. axe with the panel open; no CSP
 * violation.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, buildUser, signInAs, type TestOrg } from '../../src/identity/auth/testing.js';
import { createCustomer } from '../../src/helpdesk/customers/customers.service.js';
import { createHelpdeskDeps } from '../../src/helpdesk/tickets/context.js';
import { insertTicket } from '../../src/helpdesk/tickets/records.js';
import { closeBrowser, describeWeb, launchBrowser, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

describeWeb('notifications in the browser', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    org = await buildOrg(server.services);
  });
  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('an assignment by a lead reaches the agent’s bell, which links to the ticket', async () => {
    const team = await buildTeam(server.services, org);
    const lead = await signInAs(server.app, await buildUser(server.services, org, { roles: ['supervisor'], teamIds: [team], name: 'Lena Lead' }));
    const agent = await signInAs(server.app, await buildUser(server.services, org, { roles: ['agent'], teamIds: [team], name: 'Ada Agent' }));
    const deps = await createHelpdeskDeps(server.services);
    const { id: customerId } = await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Cora Customer', email: 'cora@example.org' });
    const ticket = await deps.db.transaction().execute((trx) => insertTicket(trx, deps, { orgId: org.orgId, subject: 'Kettle leaks', channel: 'web', requesterId: customerId, teamId: team }));

    const context = await staffContext(browser, server, agent);
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    const seen = watchPage(page);
    await page.goto('/tickets');
    const bell = page.getByRole('button', { name: /^Notifications/ });
    await bell.waitFor();
    expect(await bell.getAttribute('aria-label')).toBe('Notifications');

    const res = await server.app.inject({ method: 'POST', url: `/api/tickets/${ticket.id}/assignment`, headers: lead.headers, payload: { assigneeId: agent.userId } });
    expect(res.statusCode).toBe(200);
    // Coming back to the tab refreshes the count at once (otherwise every 30 seconds).
    await page.evaluate(() => {
      const doc = (globalThis as unknown as { document: { dispatchEvent(e: Event): boolean } }).document;
      doc.dispatchEvent(new Event('visibilitychange'));
    });
    await page.getByRole('button', { name: 'Notifications, 1 unread' }).waitFor();
    expect(await page.getByTestId('bell-count').textContent()).toBe('1');

    // Keyboard only: one Enter opens the bell, even while the list behind it is still loading.
    const expanded = page.locator('button.bell__button[aria-expanded="true"]');
    await bell.press('Enter');
    await expanded.waitFor();
    const panel = page.getByRole('region', { name: 'Recent notifications' });
    const link = panel.getByRole('link', { name: `Ticket #${ticket.number} was assigned to you` });
    await link.waitFor({ timeout: 30_000 });
    expect(await panel.textContent()).toContain('by Lena Lead');
    expect(await panel.textContent()).not.toContain('Kettle leaks');
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'agent-notifications');
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
    expect(await bell.evaluate((el) => el === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement)).toBe(true);

    await page.keyboard.press('Enter');
    await link.click();
    await page.waitForURL(`**/tickets/${ticket.id}`);
    await page.getByRole('button', { name: 'Notifications', exact: true }).waitFor();
    // The bell drops its count at once and marks the notification read in the background: wait for the write.
    await expect
      .poll(() => server.services.database.db.selectFrom('notifications').where('user_id', '=', agent.userId).where('read_at', 'is', null).select('id').execute(), { timeout: 10_000 })
      .toEqual([]);

    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await context.close();
  }, 90_000);

  it('saves a notification preference on the account page', async () => {
    const agent = await signInAs(server.app, await buildUser(server.services, org, { roles: ['agent'], name: 'Pat Prefs' }));
    const context = await staffContext(browser, server, agent);
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    const seen = watchPage(page);
    await page.goto('/account/notifications');
    const emailAssigned = page.getByLabel('A ticket is assigned to me: by email');
    await emailAssigned.waitFor();
    expect(await emailAssigned.isChecked()).toBe(true);
    await emailAssigned.uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Your notification preferences are saved.').waitFor();
    const stored = await server.services.database.db.selectFrom('notification_preferences').where('user_id', '=', agent.userId).where('kind', '=', 'assigned').select(['in_app', 'email']).executeTakeFirstOrThrow();
    expect(stored).toEqual({ in_app: true, email: false });
    expect(await runAxe(page)).toEqual([]);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await context.close();
  }, 90_000);
});
