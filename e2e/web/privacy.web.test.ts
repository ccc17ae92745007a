/**
 * Privacy requests in Chromium (decision 0198): the queue with an overdue request in red, an erasure approved from
 * the screen (after the browser's confirmation), the certificate offered for download; axe on the screen. The access
 * export (decision 0205): the customer asks in the portal, an officer confirms the identity and approves, the
 * customer downloads the zip from the emailed link after the code; it holds their tickets, messages, file and the
 * staff accesses, and nothing of another customer. Retention (decisions 0207, 0218): an administrator sets a policy,
 * reads the dry run, sets a weekly schedule, and deletes now; the run's progress reaches done with the count the dry
 * run gave.
 */
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildUser, signInAs, type SignedIn, type TestOrg } from '../../src/identity/auth/testing.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import type { MemoryMailer } from '../../src/platform/notify/mailer.js';
import { buildCustomerWithTicket, lastCode, portalSignIn } from '../../src/helpdesk/portal/testing.js';
import type { AccessExport } from '../../src/helpdesk/privacy/bundle.js';
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

  it('a customer asks for their data in the portal, an officer confirms and approves, the customer downloads it after the code', async () => {
    const { services } = server;
    const mailer = () => services.mailer as MemoryMailer;
    const mailCount = (to: string) => mailer().sent.filter((m) => m.to === to).length;
    const waitMail = async (to: string, before: number) => {
      for (let i = 0; i < 200 && mailCount(to) <= before; i++) await new Promise((r) => setTimeout(r, 100));
      if (mailCount(to) <= before) throw new Error(`no new mail to ${to}`);
      return mailer().last(to)!.text;
    };
    const email = 'mira.export@customer.example';
    const mira = await buildCustomerWithTicket(services, { orgId: org.orgId, email, name: 'Mira Exportwell', subject: 'Parcel tangerinewhale', body: 'Where is parcel tangerinewhale-7?' });
    const other = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'otto.other@customer.example', name: 'Otto Otherly', subject: 'Otto private matter', body: 'ottosecret words' });
    // A file on Mira's ticket, sent from her portal session; and a staff read of her ticket (audited).
    const api = await portalSignIn(server.app, { orgId: org.orgId, email });
    const up = await server.app.inject({ method: 'POST', url: `/api/portal/tickets/${mira.ticketId}/attachments?filename=label.txt`, headers: { ...api.headers, 'content-type': 'application/octet-stream' }, payload: Buffer.from('shipping label tangerinewhale'), remoteAddress: '10.66.0.1' });
    expect(up.statusCode, up.body).toBe(201);
    expect((await server.app.inject({ url: `/api/tickets/${mira.ticketId}`, headers: officer.headers })).statusCode).toBe(200);

    // The customer, signed in with a code, asks for their data.
    const customerContext = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1100, height: 820 } });
    const page = await customerContext.newPage();
    const seen = watchPage(page);
    await page.goto('/portal');
    await page.waitForURL(/\/portal\/signin\?next=/);
    let before = mailCount(email);
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await waitMail(email, before);
    await page.getByLabel('One-time code').fill(lastCode(mailer(), email));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/portal');
    await page.getByRole('button', { name: 'Download my data' }).click();
    await page.getByText('We have your request.').waitFor();
    await page.getByRole('table', { name: 'Your data requests' }).getByText('Received').waitFor();

    // The officer confirms the identity and approves, on the requests screen.
    const staff = await staffContext(browser, server, officer);
    const desk = await staff.newPage();
    const deskSeen = watchPage(desk);
    await desk.goto('/security/privacy');
    const row = desk.getByRole('table', { name: 'Privacy requests' }).getByRole('row').filter({ hasText: mira.customerId.slice(0, 8) });
    await row.getByRole('button', { name: 'Confirm identity' }).click();
    await desk.getByLabel('How was the identity checked?').fill('Signed in to the portal with a code to her registered address');
    before = mailCount(email);
    await desk.getByRole('dialog').getByRole('button', { name: 'Confirm identity' }).click();
    await row.getByRole('button', { name: 'Approve' }).click();
    const link = /\/portal\/export\?token=tdx_[A-Za-z0-9_-]+/.exec(await waitMail(email, before))?.[0];
    expect(link).toBeDefined();

    // The customer opens the link, has a code sent, and downloads the zip.
    await page.goto(link!);
    before = mailCount(email);
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await waitMail(email, before);
    await page.getByLabel('One-time code').fill(lastCode(mailer(), email));
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
    const saved = path.join(mkdtempSync(path.join(os.tmpdir(), 'td-export-')), 'export.zip');
    await download.saveAs(saved);
    const files = unzipSync(new Uint8Array(readFileSync(saved)));
    rmSync(path.dirname(saved), { recursive: true, force: true });
    const doc = JSON.parse(strFromU8(files['data.json']!)) as AccessExport;
    expect(doc.customer).toMatchObject({ id: mira.customerId, name: 'Mira Exportwell', email });
    expect(doc.tickets.map((t) => t.subject)).toEqual(['Parcel tangerinewhale']);
    expect(doc.tickets[0]!.messages.map((m) => m.body).join('\n')).toContain('tangerinewhale-7');
    const file = doc.tickets[0]!.messages.flatMap((m) => m.attachments).find((a) => a.filename === 'label.txt');
    expect(strFromU8(files[file!.path!]!)).toBe('shipping label tangerinewhale');
    expect(doc.staffAccesses.some((a) => a.action === 'ticket.read' && a.roles.includes('Security officer'))).toBe(true);
    const everything = Object.values(files).map((f) => Buffer.from(f).toString('utf8')).join('\n');
    expect(everything).not.toContain('ottosecret');
    expect(everything).not.toContain(other.customerId);
    expect(strFromU8(files['index.html']!)).toContain('tangerinewhale-7');
    await page.getByText('Your data is downloading').waitFor();
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    expect(deskSeen.pageErrors).toEqual([]);
    await customerContext.close();
    await staff.close();
  }, 120_000);

  it('retention: policy, dry run, a weekly schedule and a run by hand, on the administration screen', async () => {
    const { services } = server;
    const admin = await signInAs(server.app, await buildUser(services, org, { roles: ['administrator'], name: 'Ada Keeper' }));
    const old = new Date(Date.now() - 20 * 30 * 86_400_000);
    await services.database.db.insertInto('tickets').values([1, 2].map((n) => ({ id: randomUUID(), org_id: org.orgId, number: 900 + n, status: 'closed' as const, channel: 'web' as const, closed_at: old }))).execute();
    const context = await staffContext(browser, server, admin);
    const page = await context.newPage();
    const seen = watchPage(page);
    await page.goto('/admin/retention');
    await page.getByLabel('Solved tickets: months after solving').fill('12');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('The policy would delete now: 2 tickets').waitFor();

    await page.getByText('No schedule: the policy runs only').waitFor();
    await page.getByRole('button', { name: 'Set a schedule' }).click();
    const form = page.getByRole('form', { name: 'Schedule' });
    await form.getByLabel('Runs').selectOption('weekly');
    await form.getByLabel('On').selectOption({ label: 'Sunday' });
    await form.getByLabel('At').selectOption({ label: '03:00 UTC' });
    await form.getByRole('button', { name: 'Save schedule' }).click();
    await page.getByText('Runs by itself every Sunday at 03:00 UTC.').waitFor();
    await page.getByText('Approved by Ada Keeper').waitFor();
    expect(await runAxe(page)).toEqual([]);

    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete now' }).click();
    const run = page.getByRole('table', { name: 'Runs' }).getByRole('row').nth(1);
    await run.getByText('Done').waitFor();
    await expect(run.textContent()).resolves.toContain('By hand');
    await expect(run.textContent()).resolves.toContain('2 tickets');

    // The privacy settings beside the requests: how long exports stay downloadable, and staff named in them.
    await page.goto('/security/privacy');
    const settings = page.locator('section', { has: page.locator('#privacy-settings-title') });
    await settings.getByLabel('Data exports stay downloadable for (days)').fill('14');
    await settings.getByRole('button', { name: 'Save' }).click();
    await settings.getByText('Saved.').waitFor();
    await settings.getByLabel('Name staff in data exports').click();
    await expect.poll(async () => (await pageFetch(page, 'GET', '/api/privacy/settings')).body).toMatchObject({ exportDays: 14, exportStaffNames: true });
    // Refused by the server: none. (A poll in flight when the page navigates is aborted by the browser; not a refusal.)
    expect(seen.failedResponses.filter((f) => !/ERR_ABORTED/.test(f))).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await context.close();
  });
});
