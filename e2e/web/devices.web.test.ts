/**
 * Registered devices in Chromium (docs/devices.md, decisions 0215–0216): one agent, two browser contexts. The
 * agents' role may take customer data only on registered devices. In the first browser the agent registers it
 * (a WebCrypto key kept in IndexedDB) and downloads an attachment; in the second, never registered, they can
 * still answer the ticket but the download is refused with the explanation. Both outcomes are in the audit
 * trail with the device. Then an administrator's network list that would lock every administrator out is
 * refused on the settings screen with the reason.
 */
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, buildUser, signInAs, type SignedIn } from '../../src/identity/auth/testing.js';
import { roleIdByKey } from '../../src/identity/auth/principals.js';
import { buildCustomerWithTicket } from '../../src/helpdesk/portal/testing.js';
import { closeBrowser, describeWeb, launchBrowser, pageFetch, runAxe, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

describeWeb('registered devices', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let registered: SignedIn;
  let unregistered: SignedIn;
  let ticketId: string;
  let userId: string;
  let admin: SignedIn;

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    const { services, app } = server;
    const org = await buildOrg(services);
    const team = await buildTeam(services, org);
    const agent = await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: 'Dana Okafor', email: `dana-${randomUUID().slice(0, 6)}@staff.example` });
    userId = agent.userId;
    admin = await signInAs(app, await buildUser(services, org, { roles: ['administrator'] }));
    registered = await signInAs(app, agent);
    unregistered = await signInAs(app, agent);
    ticketId = (await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'ines@customer.example', name: 'Ines Lopez', teamId: team, subject: 'Invoice copy' })).ticketId;
    // The customer's file, put on the ticket before the policy applies.
    const up = await app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/attachments?filename=invoice.txt`, headers: { ...registered.headers, 'content-type': 'application/octet-stream' }, payload: Buffer.from('invoice 42\n') });
    expect(up.statusCode, up.body).toBe(201);
    await app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/notes`, headers: registered.headers, payload: { body: 'The invoice, for reference.', attachmentIds: [(up.json() as { attachmentId: string }).attachmentId] } });
    const agentRole = (await roleIdByKey(services.database.db, org.orgId, 'agent'))!;
    await services.database.db.insertInto('data_egress_policies').values({ role_id: agentRole, org_id: org.orgId, require_device: true, allowed_cidrs: [], updated_at: new Date(), updated_by: null }).execute();
  });
  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('the registered browser downloads the file; the unregistered one answers but is refused the file with the reason; both are audited with the device', async () => {
    const { services } = server;
    const cookie = (who: SignedIn) => who.headers.cookie.split(/;\s*/).map((pair) => ({ name: pair.slice(0, pair.indexOf('=')), value: pair.slice(pair.indexOf('=') + 1), url: server.baseUrl }));

    // First browser: register it on the account page, then download from the ticket.
    const first = await browser.newContext({ baseURL: server.baseUrl, acceptDownloads: true });
    await first.addCookies(cookie(registered));
    const page = await first.newPage();
    const seen = watchPage(page);
    await page.goto('/account/devices');
    await page.getByLabel('Name').fill('Office laptop');
    await page.getByRole('button', { name: 'Register this browser' }).click();
    await page.getByText('This browser is registered as “Office laptop”.').waitFor();
    await page.getByRole('table', { name: 'Your registered devices' }).getByText('Office laptop').waitFor();
    await page.goto(`/tickets/${ticketId}`);
    const link = page.getByRole('link', { name: 'invoice.txt' });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('invoice.txt');
    expect(seen.pageErrors).toEqual([]);

    // Second browser, same person, never registered: the console works for answering, the file is refused.
    const second = await browser.newContext({ baseURL: server.baseUrl });
    await second.addCookies(cookie(unregistered));
    const other = await second.newPage();
    await other.goto(`/tickets/${ticketId}`);
    await other.getByLabel('Reply to the customer').fill('Here is what we found: the invoice was paid on the 3rd.');
    await other.getByRole('button', { name: 'Send reply' }).click();
    await other.getByText(/Reply (saved|queued for email)\./).waitFor();
    await other.getByRole('button', { name: 'invoice.txt' }).click();
    await other.getByRole('alert').getByText(/allows customer data only on registered devices/).waitFor();

    const rows = await services.database.db.selectFrom('audit_log').where('action', '=', 'ticket.attachment.download').where('actor_id', '=', userId).select(['result', 'details']).orderBy('seq').execute();
    const device = await services.database.db.selectFrom('devices').where('user_id', '=', userId).select(['id', 'name']).executeTakeFirstOrThrow();
    expect(device.name).toBe('Office laptop');
    expect(rows.map((r) => [r.result, (r.details as { deviceId: string | null }).deviceId, (r.details as { reason?: string }).reason ?? null])).toEqual([
      ['success', device.id, null],
      ['denied', null, 'egress_unregistered_device'],
    ]);
    await first.close();
    await second.close();
  }, 60_000);

  it('an administrator sets the policy on the security settings screen; a network list that would lock every administrator out is refused with the reason', async () => {
    const context = await staffContext(browser, server, admin);
    const page = await context.newPage();
    await page.goto('/admin/devices');
    const networks = page.getByLabel('Allowed networks for Administrator', { exact: false });
    await networks.waitFor();
    expect(await runAxe(page)).toEqual([]);
    await networks.fill('203.0.113.0/24');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').getByText(/would lock every administrator out/).waitFor();
    await networks.fill('203.0.113.0/24\n127.0.0.0/8');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved').first().waitFor();
    const row = await server.services.database.db.selectFrom('data_egress_policies as p').innerJoin('roles as r', 'r.id', 'p.role_id').where('r.org_id', '=', admin.orgId).where('r.key', '=', 'administrator').select('p.allowed_cidrs').executeTakeFirstOrThrow();
    expect(row.allowed_cidrs).toEqual(['203.0.113.0/24', '127.0.0.0/8']);

    // New devices wait for another administrator's approval (decision 0222): the setting is saved with the policy.
    await page.getByLabel('New devices need another administrator’s approval').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await pageFetch(page, 'GET', '/api/devices/policy')).body).toMatchObject({ approvalRequired: true });
    await context.close();
  }, 60_000);
});
