/**
 * Getting started in Chromium: on an empty installation the administrator lands on the checklist, adds a mailbox
 * through the linked screen and sees the step tick itself; each other role lands on its own page; an uploaded
 * logo appears in the customer portal's header. Pages pass axe-core within the CSP.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, signIn, type SignedIn, type TestOrg } from '../../src/identity/auth/testing.js';
import { tinyPng } from '../../src/helpdesk/branding/testing.js';
import { closeBrowser, describeWeb, launchBrowser, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

describeWeb('getting started', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;
  let admin: SignedIn;

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    org = await buildOrg(server.services, 'Fernhill Garden Centre');
    admin = await signIn(server.app, org, { roles: ['administrator'] });
  });
  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  async function pageAs(who: SignedIn): Promise<{ page: Page; seen: ReturnType<typeof watchPage>; close: () => Promise<void> }> {
    const context = await staffContext(browser, server, who);
    const page = await context.newPage();
    return { page, seen: watchPage(page), close: () => context.close() };
  }

  it('an administrator of an empty installation lands on the checklist; adding a mailbox ticks its step', async () => {
    const { page, seen, close } = await pageAs(admin);
    await page.goto('/');
    await page.waitForURL((url) => url.pathname === '/admin/getting-started');
    await expect.poll(() => page.getByTestId('start-mailbox').getAttribute('data-done')).toBe('false');
    for (const key of ['team', 'securityPolicy', 'testEmail']) expect(await page.getByTestId(`start-${key}`).getAttribute('data-done')).toBe('false');
    expect(await page.getByRole('status').filter({ hasText: '0 of 4 done' }).count()).toBe(1);
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'admin-getting-started');

    await page.getByRole('link', { name: 'Add a mailbox' }).click();
    await page.waitForURL((url) => url.pathname === '/admin/email');
    await page.getByLabel('Address', { exact: true }).fill(`hello-${kind}@fernhill.example`);
    await page.getByLabel('Display name').fill('Hello');
    await page.getByRole('button', { name: 'Add address' }).click();
    await page.getByText(`hello-${kind}@fernhill.example`).first().waitFor();

    await page.goto('/admin/getting-started');
    await expect.poll(() => page.getByTestId('start-mailbox').getAttribute('data-done')).toBe('true');
    expect(await page.getByTestId('start-team').getAttribute('data-done')).toBe('false');
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await close();
  });

  it('each other role lands on its own page', async () => {
    for (const [role, path] of [['agent', '/tickets'], ['security_officer', '/security'], ['auditor', '/security/audit']] as const) {
      const who = await signIn(server.app, org, { roles: [role] });
      const { page, close } = await pageAs(who);
      await page.goto('/');
      await page.waitForURL((url) => url.pathname === path);
      await close();
    }
  });

  it('the logo uploaded in Branding appears in the portal header', async () => {
    const { page, seen, close } = await pageAs(admin);
    await page.goto('/admin/branding');
    await page.getByLabel('Display name').fill('Fernhill Help');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Customers now see “Fernhill Help”.').waitFor();
    await page.getByLabel('Logo file').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: tinyPng(48, 16, [20, 90, 50]) });
    await page.getByRole('button', { name: 'Portal logo' }).click();
    await page.getByText('Logo uploaded.').waitFor();
    expect(seen.cspViolations).toEqual([]);
    await close();

    const context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1100, height: 820 } });
    const portal = await context.newPage();
    const watched = watchPage(portal);
    await portal.goto(`/portal/request?org=${org.orgId}`);
    const logo = portal.getByRole('img', { name: 'Fernhill Help logo' });
    await logo.waitFor();
    await expect.poll(() => logo.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(48);
    expect(await portal.locator('.portal-header').getByText('Fernhill Help').count()).toBeGreaterThan(0);
    expect(await runAxe(portal)).toEqual([]);
    expect(watched.cspViolations).toEqual([]);
    expect(watched.pageErrors).toEqual([]);
    await context.close();
  });
}, { firstRun: true });
