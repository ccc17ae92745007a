/**
 * Administration in Chromium: an administrator invites a staff member and
 * finds the invitation; creates an API token and sees it exactly once; issues a SCIM
 * token on the single sign-on screen, shown once; a form
 * with invalid input shows the shared schema's field error without a request
 * reaching the server, and a server refusal reads as words, never a stack; an
 * agent sees no Administration and gets 403 from the API; axe on the main
 * screens; screenshots of staff, roles and email channels.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, buildUser, signInAs, type SignedIn, type TestOrg } from '../../src/identity/auth/testing.js';
import type { MemoryMailer } from '../../src/platform/notify/mailer.js';
import { seedMailbox } from '../../src/helpdesk/tickets/testing.js';
import { closeBrowser, describeWeb, launchBrowser, pageFetch, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

describeWeb('administration', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;
  let admin: SignedIn;
  let agent: SignedIn;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'trustdesk-admin-web-'));
    server = await startWebServer({ kind, config: { TRUSTDESK_DATA_DIR: dataDir, TRUSTDESK_MAIL_FROM: 'Northwind Support <support@northwind.example>' } });
    browser = await launchBrowser();
    const { services } = server;
    org = await buildOrg(services, 'Northwind Traders');
    const billing = await buildTeam(services, org, 'Billing');
    const returns = await buildTeam(services, org, 'Returns');
    admin = await signInAs(server.app, await buildUser(services, org, { roles: ['administrator'], name: 'Grace Hopper', email: `grace.hopper-${randomUUID().slice(0, 6)}@northwind.example` }));
    agent = await signInAs(server.app, await buildUser(services, org, { roles: ['agent'], teamIds: [billing], name: 'Sam Okafor', email: `sam.okafor-${randomUUID().slice(0, 6)}@northwind.example` }));
    await buildUser(services, org, { roles: ['supervisor'], teamIds: [billing, returns], name: 'Priya Raman', email: `priya.raman-${randomUUID().slice(0, 6)}@northwind.example` });
    await buildUser(services, org, { roles: ['security_officer'], name: 'Lin Chen', email: `lin.chen-${randomUUID().slice(0, 6)}@northwind.example` });
    await seedMailbox(services.database.db, org.orgId, 'support@northwind.example', billing, 'Support');
    await seedMailbox(services.database.db, org.orgId, 'returns@northwind.example', returns, 'Returns');
  });
  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function adminPage(): Promise<{ page: Page; seen: ReturnType<typeof watchPage>; requests: string[]; close: () => Promise<void> }> {
    const context = await staffContext(browser, server, admin);
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(`${r.method()} ${new URL(r.url()).pathname}`));
    return { page, seen: watchPage(page), requests, close: () => context.close() };
  }

  it('an administrator invites a staff member and sees the invitation', async () => {
    const { page, seen, close } = await adminPage();
    await page.goto('/admin');
    await page.waitForURL(/\/admin\/staff$/);
    await page.getByRole('heading', { level: 1, name: 'Staff' }).waitFor();
    await page.getByRole('table', { name: 'Staff' }).getByText('Priya Raman').waitFor();
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'admin-staff');

    const email = `new.colleague-${randomUUID().slice(0, 6)}@northwind.example`;
    await page.getByRole('button', { name: 'Invite someone' }).click();
    const dialog = page.getByRole('dialog', { name: 'Invite a staff member' });
    await dialog.getByLabel('Email address').fill(email);
    await dialog.getByLabel('Full name').fill('Ada Lovelace');
    await dialog.getByRole('checkbox', { name: 'Agent' }).check();
    await dialog.getByRole('checkbox', { name: 'Returns' }).check();
    await dialog.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByText(`Invitation sent to ${email}`).waitFor();
    expect((server.services.mailer as MemoryMailer).last(email)?.text).toMatch(/accept-invite#token=tdl_/);

    await page.getByRole('navigation', { name: 'Administration sections' }).getByRole('link', { name: 'Invitations' }).click();
    const row = page.getByRole('table', { name: 'Invitations' }).getByRole('row').filter({ hasText: email });
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('Waiting');
    await expect(row.textContent()).resolves.toContain('Ada Lovelace');
    expect(await runAxe(page)).toEqual([]);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 90_000);

  it('creates an API token and sees it exactly once', async () => {
    const { page, seen, close } = await adminPage();
    await page.goto('/admin/tokens');
    await page.getByRole('heading', { level: 1, name: 'API tokens' }).waitFor();
    await page.getByRole('button', { name: 'New token' }).click();
    const dialog = page.getByRole('dialog', { name: 'New token' });
    await dialog.getByLabel('Name').fill('Nightly export');
    await dialog.getByRole('checkbox', { name: 'tickets.read' }).check();
    await dialog.getByRole('button', { name: 'Create token' }).click();
    const secret = page.getByTestId('token-secret');
    await secret.waitFor();
    const token = (await secret.textContent()) ?? '';
    expect(token).toMatch(/^tdt_[A-Za-z0-9_-]{20,}$/);
    await page.getByRole('table', { name: 'API tokens' }).getByText('Nightly export').waitFor();
    expect(await runAxe(page)).toEqual([]);

    // The token works for what it was given, and only that.
    const res = await fetch(`${server.baseUrl}/api/tickets`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);

    await page.getByRole('button', { name: 'I have stored it' }).click();
    await expect(page.locator('main').textContent()).resolves.not.toContain(token);
    await page.reload();
    await page.getByRole('table', { name: 'API tokens' }).getByText('Nightly export').waitFor();
    await expect(page.content()).resolves.not.toContain(token);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 90_000);

  it('issues a SCIM token on the single sign-on screen, shown once; it provisions over /scim/v2 and opens no /api route', async () => {
    const { page, seen, close } = await adminPage();
    await page.goto('/admin/single-sign-on');
    await page.getByRole('heading', { name: 'Provisioning (SCIM)' }).waitFor();
    await expect(page.getByTestId('scim-base-url').textContent()).resolves.toMatch(/\/scim\/v2$/);
    const section = page.getByRole('region', { name: 'Provisioning (SCIM)' });
    await section.getByLabel('Name', { exact: true }).fill('Entra ID');
    await section.getByRole('button', { name: 'Issue a SCIM token' }).click();
    const secret = page.getByTestId('scim-token-secret');
    await secret.waitFor();
    const token = (await secret.textContent()) ?? '';
    expect(token).toMatch(/^tdp_[A-Za-z0-9_-]{40,}$/);
    await page.getByRole('table', { name: 'Provisioning (SCIM)' }).getByText('Entra ID').waitFor();
    expect(await runAxe(page)).toEqual([]);
    const scim = await fetch(`${server.baseUrl}/scim/v2/Users?count=1`, { headers: { authorization: `Bearer ${token}` } });
    expect(scim.status).toBe(200);
    expect(scim.headers.get('content-type')).toMatch(/scim\+json/);
    expect((await fetch(`${server.baseUrl}/api/users`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    await page.reload();
    await page.getByRole('table', { name: 'Provisioning (SCIM)' }).getByText('Entra ID').waitFor();
    await expect(page.content()).resolves.not.toContain(token);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 90_000);

  it('invalid input shows the shared schema’s field error without a request; a server refusal reads as words', async () => {
    const { page, seen, requests, close } = await adminPage();
    await page.goto('/admin/staff');
    await page.getByRole('button', { name: 'Invite someone' }).click();
    const dialog = page.getByRole('dialog', { name: 'Invite a staff member' });
    await dialog.getByLabel('Email address').fill('not-an-address');
    await dialog.getByLabel('Full name').fill('Someone');
    const before = requests.length;
    await dialog.getByRole('button', { name: 'Send invitation' }).click();
    await dialog.getByText('Enter a valid email address.').waitFor();
    await expect(dialog.getByLabel('Email address').getAttribute('aria-invalid')).resolves.toBe('true');
    expect(requests.slice(before).filter((r) => r.startsWith('POST /api/users/invitations'))).toEqual([]);

    // The server refuses an address that already has an account: words, not a stack.
    await dialog.getByLabel('Email address').fill(agent.email);
    await dialog.getByRole('button', { name: 'Send invitation' }).click();
    const alert = dialog.getByRole('alert').filter({ hasText: 'This address already has an account.' });
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    // The reason alone: no generic "conflicts with the current state" line above it.
    expect(text).not.toContain('That conflicts with the current state');
    expect(text).toMatch(/Reference: [0-9a-f-]{36}/);
    expect(text).not.toMatch(/\bat .+\(|Error:|\.ts:\d+/);
    expect(requests.filter((r) => r === 'POST /api/users/invitations').length).toBe(1);
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 90_000);

  it('an agent sees no Administration and the API answers 403', async () => {
    const context = await staffContext(browser, server, agent);
    const page = await context.newPage();
    const seen = watchPage(page);
    await page.goto('/account');
    const nav = page.getByRole('navigation', { name: 'Main navigation' });
    await nav.getByRole('link', { name: 'Account' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Administration' }).count()).toBe(0);
    expect((await pageFetch(page, 'GET', '/api/users')).status).toBe(403);
    expect((await pageFetch(page, 'POST', '/api/users/invitations', { email: 'x@northwind.example', name: 'X', roleIds: [org.roleIds.administrator], teamIds: [] })).status).toBe(403);
    expect((await pageFetch(page, 'GET', '/api/organization/mail')).status).toBe(403);
    // Typing the address shows only what the abilities allow: the token page, no staff section.
    await page.goto('/admin');
    await page.waitForURL(/\/admin\/tokens$/);
    const sections = page.getByRole('navigation', { name: 'Administration sections' });
    expect(await sections.getByRole('link').allTextContents()).toEqual(['API tokens']);
    expect(seen.pageErrors).toEqual([]);
    await context.close();
  }, 90_000);

  it('roles, email channels, sensitive data and sender lists: read-outs, the send test outcome, changes, axe and screenshots', async () => {
    const { page, seen, close } = await adminPage();
    await page.goto('/admin/roles');
    await page.getByRole('heading', { level: 2, name: 'Administrator' }).waitFor();
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'admin-roles');

    // A custom role from the grouped catalogue, with its scope and the passkey requirement.
    await page.getByRole('button', { name: 'New custom role' }).click();
    const dialog = page.getByRole('dialog', { name: 'New custom role' });
    await dialog.getByLabel('Key', { exact: true }).fill('Billing Lead');
    await dialog.getByLabel('Name', { exact: true }).fill('Billing lead');
    await dialog.getByLabel('Members must use a passkey').check();
    await dialog.getByRole('checkbox', { name: /^tickets\.read/ }).check();
    await dialog.getByLabel('Scope of tickets.read').selectOption('team');
    await dialog.getByRole('button', { name: 'Create role' }).click();
    await dialog.getByText('The format is not valid.').waitFor();
    await dialog.getByLabel('Key', { exact: true }).fill('billing_lead');
    await dialog.getByRole('button', { name: 'Create role' }).click();
    const card = page.getByRole('region', { name: 'Billing lead' });
    await card.waitFor();
    await expect(card.textContent()).resolves.toContain('Passkey required');
    await expect(card.textContent()).resolves.toContain('tickets.read (Their teams)');

    await page.goto('/admin/email');
    await page.getByRole('table', { name: 'Inbound addresses' }).getByText('support@northwind.example').waitFor();
    await expect(page.locator('main').textContent()).resolves.toContain('Northwind Support <support@northwind.example>');
    await snap(page, 'admin-email-channels');
    await page.getByRole('button', { name: 'Send test' }).click();
    await page.getByText(`the test message to ${admin.email} was written to the outbox folder`).waitFor();
    expect(await runAxe(page)).toEqual([]);

    // The sensitive-data policy and the sender lists, from the same schemas.
    await page.goto('/admin/sensitive-data');
    await page.getByLabel('Card security codes').waitFor();
    await expect(page.getByLabel('Card security codes').isDisabled()).resolves.toBe(true);
    await page.getByLabel('Phone numbers').selectOption('redact');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Saved.').waitFor();
    const dlp = await pageFetch(page, 'GET', '/api/organization/dlp-policy');
    expect((dlp.body as { effective: Record<string, string> }).effective).toMatchObject({ phone: 'redact', card_security_code: 'redact' });
    expect(await runAxe(page)).toEqual([]);
    await page.goto('/admin/sender-lists');
    await page.getByLabel('Address or domain').fill('paypa1-billing.example');
    await page.getByLabel('Reason').fill('Lookalike of a payment provider');
    await page.getByRole('button', { name: 'Add to list' }).click();
    await page.getByRole('table', { name: 'Sender allow and block lists' }).getByText('paypa1-billing.example').waitFor();
    expect(await runAxe(page)).toEqual([]);

    const audit = await server.services.database.db.selectFrom('audit_log').where('action', '=', 'mail.test').where('actor_id', '=', admin.userId).select('result').execute();
    expect(audit).toEqual([{ result: 'success' }]);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 90_000);
});
