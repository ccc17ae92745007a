/**
 * Pulled mailboxes in Chromium, against a real dovecot: an administrator adds one on Email channels (password,
 * the server's self-signed certificate pasted as the CA), "Test connection" reports the folder's messages; a wrong
 * password reads as words; plaintext needs the confirmation; the password is never sent back; axe on the screen.
 */
import { randomUUID } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, buildUser, signInAs, type SignedIn, type TestOrg } from '../../src/identity/auth/testing.js';
import { dovecotAvailable, startDovecot, type Dovecot } from '../../src/helpdesk/mail/imap/dovecot-testing.js';
import { seedMailbox } from '../../src/helpdesk/tickets/testing.js';
import { closeBrowser, describeWeb, launchBrowser, pageFetch, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

const PASSWORD = 'pull-web-password';

describeWeb('pulled mailboxes', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;
  let admin: SignedIn;
  let dovecot: Dovecot | undefined;

  beforeAll(async () => {
    if (!dovecotAvailable) return;
    dovecot = await startDovecot({ users: [{ name: 'support', password: PASSWORD }] });
    const c = new ImapFlow({ host: dovecot.host, port: dovecot.tlsPort, secure: true, tls: { ca: dovecot.certPem }, auth: { user: 'support', pass: PASSWORD }, logger: false });
    await c.connect();
    await c.append('INBOX', 'From: a@shop.example\r\nTo: support@pull-web.example\r\nSubject: one\r\nMessage-ID: <one@shop.example>\r\n\r\nHello\r\n');
    await c.append('INBOX', 'From: b@shop.example\r\nTo: support@pull-web.example\r\nSubject: two\r\nMessage-ID: <two@shop.example>\r\n\r\nHello\r\n');
    await c.logout();
    server = await startWebServer({ kind, config: { TRUSTDESK_ALLOW_PRIVATE_OUTBOUND: 'true' } });
    browser = await launchBrowser();
    org = await buildOrg(server.services, 'Pull Web');
    const team = await buildTeam(server.services, org, 'Support');
    admin = await signInAs(server.app, await buildUser(server.services, org, { roles: ['administrator'], name: 'Grace Hopper', email: `grace-${randomUUID().slice(0, 6)}@pull-web.example` }));
    await seedMailbox(server.services.database.db, org.orgId, 'support@pull-web.example', team, 'Support');
  }, 90_000);
  afterAll(async () => {
    if (browser) await closeBrowser(browser);
    await server?.close();
    await dovecot?.stop();
  });

  it.skipIf(!dovecotAvailable)('adds a dovecot mailbox, tests it, and a wrong password reads as words', async () => {
    const d = dovecot!;
    const context = await staffContext(browser, server, admin);
    const page = await context.newPage();
    const seen = watchPage(page);
    await page.goto('/admin/email#pulled');
    const section = page.getByRole('region', { name: 'Pulled mailboxes (IMAP)' });
    await section.getByText('No pulled mailboxes.').waitFor();
    await section.getByRole('button', { name: 'Add pulled mailbox' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add pulled mailbox' });
    await dialog.getByLabel('Name', { exact: true }).fill('Dovecot support');
    await dialog.getByLabel('IMAP server').fill(d.host);
    // Plaintext needs the confirmation before it is even saved.
    await dialog.getByLabel('Security').selectOption('none');
    await dialog.getByText('I understand: connect without TLS').waitFor();
    await dialog.getByLabel('Security').selectOption('tls');
    await dialog.getByLabel('Port').fill(String(d.tlsPort));
    await dialog.getByLabel('CA certificate (PEM)').fill(d.certPem);
    await dialog.getByLabel('User name').fill('support');
    await dialog.getByLabel('Password', { exact: true }).fill('wrong-password');
    expect(await runAxe(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Save' }).click();
    const table = section.getByRole('table', { name: 'Pulled mailboxes (IMAP)' });
    await table.getByText('Dovecot support').waitFor();
    await table.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('Could not read Dovecot support: the server refused the sign-in').waitFor();

    // The right password; the saved one is never shown.
    await table.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('dialog', { name: 'Change pulled mailbox' });
    await expect(edit.getByLabel('Password', { exact: true }).getAttribute('placeholder')).resolves.toBe('saved');
    await edit.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    await table.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('Signed in to Dovecot support: the folder holds 2 messages.').waitFor();
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'admin-email-pulled-mailbox');

    const list = await pageFetch(page, 'GET', '/api/organization/mail/imap');
    expect(JSON.stringify(list.body)).not.toContain(PASSWORD);
    expect((list.body as { items: Array<{ hasPassword: boolean }> }).items[0]).toMatchObject({ hasPassword: true });
    const audit = await server.services.database.db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', 'like', 'imap.account.%').orderBy('ts').select(['action', 'result']).execute();
    expect(audit.map((a) => `${a.action}:${a.result}`)).toEqual(['imap.account.create:success', 'imap.account.test:failure', 'imap.account.update:success', 'imap.account.test:success']);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await context.close();
  }, 120_000);
});
