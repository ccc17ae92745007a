/**
 * Insider-threat alerts in Chromium: a security officer reads an alert's explanation and evidence links,
 * acknowledges it, dismisses it with a reason, and a malformed threshold is refused with the field named.
 * The page passes axe-core and the CSP.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildUser, signIn, type SignedIn, type TestOrg } from '../../src/identity/auth/testing.js';
import { closeBrowser, describeWeb, launchBrowser, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

describeWeb('insider-threat alerts', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;
  let officer: SignedIn;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    org = await buildOrg(server.services, 'Northwind Support');
    officer = await signIn(server.app, org, { roles: ['security_officer'] });
    const dana = await buildUser(server.services, org, { roles: ['agent'], name: 'Dana Reyes' });
    await server.services.database.db.insertInto('insider_alerts').values({
      id: randomUUID(), org_id: org.orgId, rule: 'volume', user_id: dana.userId,
      explanation: 'Dana Reyes revealed 48 customer fields between 14:00 and 15:00; their usual for Tuesday 14h is 3 ± 2.',
      evidence: JSON.stringify([{ id: randomUUID(), idx: 41 }, { id: randomUUID(), idx: 42 }]), facts: JSON.stringify({ count: 48 }),
      since: new Date(Date.now() - 3_600_000), raised_at: new Date(), event_idx: 42,
    }).execute();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await closeBrowser(browser);
    await server?.close();
  });

  it('the officer reads, acknowledges and dismisses an alert, and a malformed threshold names its field', async () => {
    const context = await staffContext(browser, server, officer);
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const seen = watchPage(page);
    await page.goto('/security/insider');
    await page.getByRole('heading', { level: 1, name: 'Insider-threat alerts' }).waitFor({ timeout: 60_000 });
    await page.getByText('Dana Reyes revealed 48 customer fields between 14:00 and 15:00').waitFor();
    expect(await page.getByRole('link', { name: '#42' }).getAttribute('href')).toBe('/security/audit/42');
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'security-insider-alerts');
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByRole('combobox', { name: 'Show' }).selectOption('');
    await page.getByRole('cell', { name: 'Acknowledged' }).waitFor();
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await page.getByRole('textbox', { name: 'Why is it not a concern?' }).fill('Quarterly data clean-up agreed with the lead');
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await page.getByText('Quarterly data clean-up agreed with the lead').waitFor();
    const sigmas = page.getByRole('textbox', { name: 'Standard deviations above the person’s usual' }).first();
    await sigmas.fill('0');
    await page.getByRole('button', { name: 'Save thresholds' }).click();
    await page.getByText('must be a number from 1 to 20').first().waitFor();
    expect(await runAxe(page)).toEqual([]);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
  });
});
