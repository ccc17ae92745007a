/**
 * The knowledge base in Chromium: a team lead writes an article in the rich-text editor, sees the scanner's
 * finding and publishes it anyway; on the portal's request form, typing a subject suggests it, and it opens
 * (in a new tab, the request kept). An agent inserts the article's link into a reply with the picker. Each
 * page passes axe-core's WCAG A/AA rules within the CSP.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../../src/identity/auth/testing.js';
import { buildCustomerWithTicket } from '../../src/helpdesk/portal/testing.js';
import { closeBrowser, describeWeb, launchBrowser, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

describeWeb('knowledge base', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;
  let lead: SignedIn;
  let agent: SignedIn;
  let team: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    org = await buildOrg(server.services, 'Northwind Support');
    team = await buildTeam(server.services, org);
    lead = await signIn(server.app, org, { roles: ['supervisor'], teamIds: [team] });
    agent = await signIn(server.app, org, { roles: ['agent'], teamIds: [team] });
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await closeBrowser(browser);
    await server?.close();
  });

  it('a lead writes and publishes an article; the portal request form suggests it as the customer types, and it opens', async () => {
    const context = await staffContext(browser, server, lead);
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const seen = watchPage(page);
    await page.goto('/knowledge');
    // The first page of a run waits for the app's chunks on a busy machine.
    await page.getByRole('heading', { level: 1, name: 'Knowledge base' }).waitFor({ timeout: 60_000 });
    await page.getByText('No articles yet').waitFor();
    expect(await runAxe(page)).toEqual([]);

    await page.getByRole('link', { name: 'New article' }).click();
    await page.getByRole('heading', { level: 1, name: 'New article' }).waitFor();
    await page.getByLabel('Title').fill('Resetting your password');
    const body = page.getByRole('textbox', { name: 'Article' });
    await body.click();
    await page.keyboard.type('Open the sign-in page and choose Forgot password. ');
    // Each toolbar press is read back from its pressed state before typing on, as a person sees it change.
    const bold = page.getByRole('button', { name: 'Bold' });
    await bold.click();
    await page.locator('button.rich__button--bold[aria-pressed="true"]').waitFor();
    await page.keyboard.type('The link works for one hour.');
    await bold.click();
    await page.locator('button.rich__button--bold[aria-pressed="false"]').waitFor();
    await page.keyboard.press('Enter');
    await page.keyboard.type('Still stuck? Call +44 20 7946 0958.');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByText('Draft saved.').waitFor();
    await page.waitForURL(/\/knowledge\/[0-9a-f-]{36}$/);
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'knowledge-editor');

    // The phone number needs the lead's say-so before it goes public.
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await page.getByText('Sensitive data found').waitFor();
    await page.getByText(/phone: .*•••/).waitFor();
    await page.getByRole('button', { name: 'Publish anyway' }).click();
    await page.getByText('Published as version 1.').waitFor();
    await page.getByText('Version 1', { exact: false }).first().waitFor();
    const stored = await server.services.database.db.selectFrom('kb_articles').where('org_id', '=', org.orgId).select(['slug', 'body_html', 'published_version_id']).executeTakeFirstOrThrow();
    expect(stored.published_version_id).not.toBeNull();
    expect(stored.body_html).toContain('<strong>The link works for one hour.</strong>');

    // The list shows its status.
    await page.getByRole('link', { name: 'All articles' }).click();
    const row = page.getByRole('row', { name: /Resetting your password/ });
    await row.getByText('Published').waitFor();
    await row.getByText('Public').waitFor();
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);

    // A customer on the request form.
    const customer = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1100, height: 820 } });
    contexts.push(customer);
    const form = await customer.newPage();
    const seenPortal = watchPage(form);
    await form.goto(`/portal/request?org=${org.orgId}`);
    await form.getByLabel('Subject').fill('How do I reset my passw');
    const suggestions = form.getByRole('complementary', { name: 'Did any of these answer your question?' });
    await suggestions.waitFor();
    const link = suggestions.getByRole('link', { name: 'Resetting your password' });
    expect(await runAxe(form)).toEqual([]);
    await snap(form, 'knowledge-suggestion');
    const [opened] = await Promise.all([customer.waitForEvent('page'), link.click()]);
    await opened.waitForLoadState();
    await opened.getByRole('heading', { level: 1, name: 'Resetting your password' }).waitFor();
    await opened.getByText('The link works for one hour.').waitFor();
    expect(await opened.locator('.kb-article strong').textContent()).toBe('The link works for one hour.');
    expect(await runAxe(opened)).toEqual([]);
    // The request being written is still there.
    expect(await form.getByLabel('Subject').inputValue()).toBe('How do I reset my passw');
    // The help centre lists it too.
    await opened.getByRole('link', { name: 'Help centre' }).first().click();
    await opened.getByRole('heading', { level: 1, name: 'Help centre' }).waitFor();
    await opened.getByRole('link', { name: 'Resetting your password' }).waitFor();
    expect(await runAxe(opened)).toEqual([]);
    expect(seenPortal.cspViolations).toEqual([]);
    expect(seenPortal.pageErrors).toEqual([]);
  }, 120_000);

  it('an agent inserts the article’s portal link into a reply with the picker', async () => {
    const c = await buildCustomerWithTicket(server.services, { orgId: org.orgId, email: 'mina@customer.example', teamId: team, subject: 'Locked out', body: 'I cannot sign in.' });
    const context = await staffContext(browser, server, agent);
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const seen = watchPage(page);
    await page.goto(`/tickets/${c.ticketId}`);
    await page.getByRole('button', { name: 'Insert article link' }).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Insert article link' }).click();
    const dialog = page.getByRole('dialog', { name: 'Link a knowledge-base article' });
    await dialog.getByLabel('Search public articles').fill('password');
    await dialog.getByRole('button', { name: 'Insert: Resetting your password' }).click();
    const slug = (await server.services.database.db.selectFrom('kb_articles').where('org_id', '=', org.orgId).select('slug').executeTakeFirstOrThrow()).slug;
    // The rich-text editor gets a link: the article's title, pointing at its portal address.
    const link = page.locator('#composer-body a', { hasText: 'Resetting your password' });
    await expect.poll(() => link.count()).toBe(1);
    expect(await link.getAttribute('href')).toContain(`/portal/help/${slug}?org=${org.orgId}`);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
  }, 90_000);
});
