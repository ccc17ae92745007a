/**
 * What Trustdesk learned, in Chromium (decision 0174): an administrator reads it beside the sender
 * lists, resets it with a reason (confirmed in a dialog, audited); a security officer reads it on the
 * phishing reports page without the reset button; axe on both.
 */
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildUser, signInAs, type SignedIn, type TestOrg } from '../../src/identity/auth/testing.js';
import { learnLabel } from '../../src/threats/phishing-learning/store.js';
import { closeBrowser, describeWeb, launchBrowser, runAxe, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

describeWeb('phishing learning', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;
  let admin: SignedIn;
  let officer: SignedIn;

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    const { services } = server;
    org = await buildOrg(services, 'Northwind Traders');
    admin = await signInAs(server.app, await buildUser(services, org, { roles: ['administrator'], name: 'Grace Hopper', email: `grace-${randomUUID().slice(0, 6)}@northwind.example` }));
    officer = await signInAs(server.app, await buildUser(services, org, { roles: ['security_officer'], name: 'Lin Chen', email: `lin-${randomUUID().slice(0, 6)}@northwind.example` }));
    for (let i = 0; i < 3; i++) {
      await services.database.db.transaction().execute((trx) => learnLabel(trx, services.keyring, { orgId: org.orgId, messageRef: randomUUID(), label: 'phish', source: 'report', labellerId: officer.userId, tokens: [`w:lure${i}`] }));
    }
  });
  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('an officer reads what was learned; an administrator resets it with a reason', async () => {
    const officerContext = await staffContext(browser, server, officer);
    const officerPage = await officerContext.newPage();
    const officerSeen = watchPage(officerPage);
    await officerPage.goto('/security/phishing-reports');
    const section = officerPage.getByRole('region', { name: 'What Trustdesk learned from your team' });
    await section.getByText('Still learning').waitFor();
    await section.getByText('Messages: 3; people: 1').waitFor();
    expect(await section.getByRole('button', { name: 'Reset what Trustdesk learned' }).count()).toBe(0);
    expect(await runAxe(officerPage)).toEqual([]);
    expect(officerSeen.pageErrors).toEqual([]);
    await officerContext.close();

    const context = await staffContext(browser, server, admin);
    const page = await context.newPage();
    const seen = watchPage(page);
    await page.goto('/admin/sender-lists');
    await page.getByText('Messages: 3; people: 1').waitFor();
    await page.getByRole('button', { name: 'Reset what Trustdesk learned' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reset what Trustdesk learned' });
    await dialog.getByLabel('Reason').fill('Taught by a test run');
    expect(await runAxe(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Reset', exact: true }).click();
    await page.getByText('Nothing yet.', { exact: false }).waitFor();
    await page.getByText('Last reset').waitFor();
    await server.services.audit.flush();
    const events = await server.services.database.db.selectFrom('audit_log').where('action', '=', 'policy.phishing_learning_reset').where('org_id', '=', org.orgId).select(['actor_id', 'purpose']).execute();
    expect(events).toEqual([{ actor_id: admin.userId, purpose: 'Taught by a test run' }]);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await context.close();
  }, 90_000);
});
