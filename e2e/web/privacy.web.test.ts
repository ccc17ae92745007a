/**
 * Privacy requests in Chromium (decision 0198): the queue with an overdue request in red, an erasure approved from
 * the screen (after the browser's confirmation), the certificate offered for download; axe on the screen.
 */
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildUser, signInAs, type SignedIn, type TestOrg } from '../../src/identity/auth/testing.js';
import { buildCustomerWithTicket } from '../../src/helpdesk/portal/testing.js';
import { createPrivacyRequest } from '../../src/helpdesk/privacy/requests.service.js';
import { createHelpdeskDeps } from '../../src/helpdesk/tickets/context.js';
import { buildPrincipal } from '../../src/helpdesk/tickets/testing.js';
import { closeBrowser, describeWeb, launchBrowser, pageFetch, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

describeWeb('privacy requests', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;
  let officer: SignedIn;
  let erasureId: string;

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    const { services } = server;
    org = await buildOrg(services);
    officer = await signInAs(server.app, await buildUser(services, org, { roles: ['security_officer'], name: 'Priya Raman', email: `priya-${randomUUID().slice(0, 6)}@staff.example` }));
    const deps = await createHelpdeskDeps(services);
    const admin = buildPrincipal({ orgId: org.orgId, role: 'administrator', userId: (await buildUser(services, org, { roles: ['administrator'] })).userId });
    const client = { ip: '127.0.0.1', userAgent: null, requestId: 'seed' };
    const late = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'late@customer.example', name: 'Late Asker' });
    // Received 40 days ago: overdue.
    await createPrivacyRequest(deps, admin, client, { customerId: late.customerId, kind: 'access', now: new Date(Date.now() - 40 * 86_400_000) });
    const gone = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'gone@customer.example', name: 'Gone Soon' });
    erasureId = (await createPrivacyRequest(deps, admin, client, { customerId: gone.customerId, kind: 'erasure' })).id;
    await services.database.db.updateTable('privacy_requests').set({ status: 'verified', verification: 'staff', verified_by: admin.userId, verified_at: new Date() }).where('id', '=', erasureId).execute();
  });
  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('shows the queue with the overdue request in red, approves an erasure and offers its certificate', async () => {
    const context = await staffContext(browser, server, officer);
    const page = await context.newPage();
    const seen = watchPage(page);
    await page.goto('/security/privacy');
    const table = page.getByRole('table', { name: 'Privacy requests' });
    await table.getByRole('row').nth(2).waitFor();
    const overdue = table.getByRole('row').filter({ hasText: 'Access' });
    await overdue.getByText('Overdue').waitFor();
    await expect(overdue.locator('.privacy-overdue').count()).resolves.toBe(1);
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'security-privacy');

    page.once('dialog', (d) => void d.accept());
    await table.getByRole('row').filter({ hasText: 'Erasure' }).getByRole('button', { name: 'Approve and erase' }).click();
    await page.getByRole('combobox', { name: 'Show' }).selectOption('done');
    const done = page.getByRole('table', { name: 'Privacy requests' }).getByRole('row').filter({ hasText: 'Erasure' });
    await done.getByRole('link', { name: 'Certificate (text)' }).waitFor();
    const cert = await pageFetch(page, 'GET', `/api/privacy/requests/${erasureId}/certificate`);
    expect(cert.status).toBe(200);
    expect(cert.body).toMatchObject({ requestId: erasureId, approvedBy: officer.userId });
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await context.close();
  }, 90_000);
});
