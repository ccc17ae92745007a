/**
 * The account pages in Chromium: an authenticator app set up from the QR
 * page's secret, email and SMS codes turned on with the sent codes, the app removed, the password changed (other sessions end),
 * sessions listed with the current one marked and another revoked, and the
 * sign-in page explaining a lock-out. axe on each page.
 */
import * as OTPAuth from 'otpauth';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildUser, signInAs, TEST_PASSWORD, type TestOrg } from '../../src/identity/auth/testing.js';
import type { MemoryMailer } from '../../src/platform/notify/mailer.js';
import { closeBrowser, describeWeb, launchBrowser, pageFetch, runAxe, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

describeWeb('account pages in the browser', (kind) => {
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

  it('sets up an authenticator app (recovery codes shown once), email and SMS codes, then removes the app', async () => {
    const user = await buildUser(server.services, org, { roles: ['agent'], name: 'Tia Totp' });
    const context = await staffContext(browser, server, await signInAs(server.app, user, { mfa: 'webauthn' }));
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    const seen = watchPage(page);
    await page.goto('/account/security');
    // Exactly one tab is current: the section's root tab is not also marked on its sibling pages.
    await page.getByRole('button', { name: 'Set up authenticator app' }).waitFor();
    expect(await page.locator('nav.tabs [aria-current="page"]').allTextContents()).toEqual(['Sign-in methods']);
    await page.getByRole('button', { name: 'Set up authenticator app' }).click();
    await page.getByRole('button', { name: 'Show QR code' }).click();
    const secret = ((await page.getByLabel('Secret key for manual entry').textContent()) ?? '').replace(/\s+/g, '');
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });
    await page.getByLabel('Code from the app').fill('000000' === totp.generate() ? '111111' : '000000');
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    await page.getByRole('alert').first().waitFor();
    await page.getByLabel('Code from the app').fill(totp.generate());
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    await page.getByLabel('I have saved these codes somewhere safe').check();
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('button', { name: 'Remove authenticator app' }).waitFor();
    expect(await page.getByText('10 recovery codes left.').count()).toBe(1);
    expect(await runAxe(page)).toEqual([]);

    // Email codes: the confirmation code arrives by mail; then the app is no longer the only factor.
    const emailCodes = page.getByRole('region', { name: 'Email codes' });
    await emailCodes.getByRole('button', { name: 'Send confirmation code' }).click();
    await emailCodes.getByText(/We sent a code to/).waitFor();
    const mail = (server.services.mailer as MemoryMailer).last(user.email);
    const code = /\b(\d{6})\b/.exec(mail?.text ?? '')?.[1] ?? '';
    expect(code).toMatch(/^\d{6}$/);
    await emailCodes.getByLabel('Code').fill(code);
    await emailCodes.getByRole('button', { name: 'Turn on' }).click();
    await emailCodes.getByRole('button', { name: 'Turn off' }).waitFor();

    // Text-message codes: the development driver's outbox holds the message a phone would get.
    const smsCodes = page.getByRole('region', { name: 'Text message codes' });
    await smsCodes.getByLabel('Mobile number').fill('+44 7911 123456');
    await smsCodes.getByRole('button', { name: 'Send confirmation code' }).click();
    await smsCodes.getByText(/We sent a code to/).waitFor();
    const sms = await server.services.database.db.selectFrom('sms_outbox').where('org_id', '=', org.orgId).orderBy('created_at', 'desc').select('body').executeTakeFirstOrThrow();
    await smsCodes.getByLabel('Code').fill(/\b(\d{6})\b/.exec(sms.body)?.[1] ?? '');
    await smsCodes.getByRole('button', { name: 'Turn on' }).click();
    await smsCodes.getByText(/Codes go to/).waitFor();
    expect(await smsCodes.textContent()).not.toContain('123456');

    // Removing needs a fresh factor; this session's is an hour old, so the step-up dialog asks for the app's
    // code (the next period's: the code just used for enrolment is never accepted twice), then retries.
    await server.services.database.db.updateTable('sessions').set({ mfa_at: new Date(Date.now() - 3_600_000), step_up_at: null }).where('user_id', '=', user.userId).execute();
    await page.getByRole('button', { name: 'Remove authenticator app' }).click();
    await page.getByRole('dialog', { name: 'Remove authenticator app?' }).getByRole('button', { name: 'Remove' }).click();
    const stepUp = page.getByRole('dialog', { name: 'Confirm it is you' });
    await stepUp.getByLabel('Authenticator code').fill(totp.generate({ timestamp: Date.now() + 30_000 }));
    expect(await runAxe(page)).toEqual([]);
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('button', { name: 'Set up authenticator app' }).waitFor();
    const mfa = await pageFetch(page, 'GET', '/api/auth/mfa');
    expect(mfa.body).toMatchObject({ factors: { totp: false } });
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await context.close();
  });

  it('lists sessions with the current one marked, ends another, and changes the password', async () => {
    const user = await buildUser(server.services, org, { roles: ['agent'], name: 'Pat Password' });
    const other = await signInAs(server.app, user, { mfa: 'totp' });
    const context = await staffContext(browser, server, await signInAs(server.app, user, { mfa: 'webauthn' }));
    const page = await context.newPage();
    await page.goto('/account/sessions');
    const table = page.getByRole('table', { name: 'Where you are signed in' });
    await table.getByText('This session').waitFor();
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    expect(await runAxe(page)).toEqual([]);
    await table.getByRole('button', { name: /^End session/ }).click();
    await table.getByRole('button', { name: /^End session/ }).waitFor({ state: 'detached' });
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
    expect((await server.app.inject({ url: '/api/auth/me', headers: other.headers })).statusCode).toBe(401);

    await page.getByRole('link', { name: 'Profile and password' }).click();
    await page.getByRole('heading', { name: 'Your account', level: 1 }).waitFor();
    expect(await runAxe(page)).toEqual([]);
    await page.getByLabel('Current password').fill('wrong current password');
    await page.getByLabel('New password').fill('another long unusual passphrase');
    await page.getByText('This password meets the rules.').waitFor();
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').filter({ hasText: 'The current password is not correct.' }).waitFor();
    await page.getByLabel('Current password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed').waitFor();
    const signin = await server.app.inject({ method: 'POST', url: '/api/auth/signin', payload: { email: user.email, password: 'another long unusual passphrase' } });
    expect(signin.statusCode).toBe(200);
    await context.close();
  });

  it('explains a sign-in lock-out in words', async () => {
    const user = await buildUser(server.services, org, { roles: ['agent'] });
    const context = await browser.newContext({ baseURL: server.baseUrl });
    const page = await context.newPage();
    await page.goto('/signin');
    await page.getByLabel('Email').fill(user.email);
    for (let i = 0; i < 5; i++) {
      await page.getByLabel('Password').fill(`wrong password number ${i}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').waitFor();
    }
    await page.getByRole('alert').filter({ hasText: 'Sign-in is paused after too many attempts.' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/Try again in 1 minute/);
    await context.close();
  });
});
