/**
 * The other emailed links in Chromium: an invitation (password, then the first
 * factor: an authenticator app, recovery codes once) and a password reset
 * (request, link from the email, new password, then sign-in with a recovery
 * code). Tokens travel in the #hash and leave the address bar at once.
 */
import * as OTPAuth from 'otpauth';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { authDeps } from '../../src/identity/auth/auth.routes.js';
import { inviteUser } from '../../src/identity/auth/auth.service.js';
import { buildOrg, buildUser, type TestOrg } from '../../src/identity/auth/testing.js';
import type { MemoryMailer } from '../../src/platform/notify/mailer.js';
import { closeBrowser, describeWeb, launchBrowser, pageFetch, runAxe, startWebServer, watchPage, type WebServer } from './harness.js';

describeWeb('invitation and password-reset links in the browser', (kind) => {
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

  it('accepts an invitation, enrols an authenticator app, then resets the password and signs in with a recovery code', async () => {
    const admin = await buildUser(server.services, org, { roles: ['administrator'] });
    const email = 'newcomer@staff.example';
    const { link } = await inviteUser(authDeps(server.app), { userId: admin.userId, orgId: org.orgId }, { ip: '127.0.0.1', userAgent: null, requestId: 'test' }, { email, name: 'Nia Newcomer', roleIds: [org.roleIds.agent as string], teamIds: [] });
    const context = await browser.newContext({ baseURL: server.baseUrl });
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    const seen = watchPage(page);

    const invite = new URL(link);
    await page.goto(invite.pathname + invite.hash);
    await page.getByRole('heading', { name: 'Join Trustdesk' }).waitFor();
    expect(new URL(page.url()).hash).toBe('');
    expect(await runAxe(page)).toEqual([]);
    await page.getByLabel('New password').fill('newcomer chooses a long phrase');
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.getByRole('heading', { name: 'Set up a second factor' }).waitFor();
    expect(await runAxe(page)).toEqual([]);
    await page.getByRole('button', { name: /^Authenticator app/ }).click();
    await page.getByRole('button', { name: 'Show QR code' }).click();
    const secret = ((await page.getByLabel('Secret key for manual entry').textContent()) ?? '').replace(/\s+/g, '');
    await page.getByLabel('Code from the app').fill(new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate());
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    const codes = await page.getByRole('list', { name: 'Recovery codes' }).locator('li').allTextContents();
    expect(codes).toHaveLength(10);
    await page.getByLabel('I have saved these codes somewhere safe').check();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForURL(/\/tickets/);
    expect((await pageFetch(page, 'GET', '/api/auth/me')).body).toMatchObject({ user: { email }, mfa: { verified: true, method: 'totp' } });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/signin/);

    // Forgot the password: the reset link comes by email.
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    expect(await runAxe(page)).toEqual([]);
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Email me a link' }).click();
    await page.getByText('Check your email').waitFor();
    await server.services.deferred.drain(); // the link is mailed after the answer
    const mail = (server.services.mailer as MemoryMailer).last(email);
    const resetLink = /(http:\/\/\S+\/reset-password#token=\S+)/.exec(mail?.text ?? '')?.[1];
    expect(resetLink).toBeDefined();
    const reset = new URL(resetLink as string);
    await page.goto(reset.pathname + reset.hash);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    expect(new URL(page.url()).hash).toBe('');
    await page.getByLabel('New password').fill('a different long phrase for nia');
    await page.getByRole('button', { name: 'Save password' }).click();
    await page.waitForURL(/\/signin\?reset=done/);
    await page.getByText('Your password was changed. Sign in with it.').waitFor();

    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('a different long phrase for nia');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Confirm it is you' }).waitFor();
    await page.getByRole('button', { name: 'Use a recovery code' }).click();
    await page.getByLabel('Recovery code').fill(codes[0] as string);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(/\/tickets/);
    expect((await pageFetch(page, 'GET', '/api/auth/mfa')).body).toMatchObject({ factors: { recoveryCodesLeft: 9 } });
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await context.close();
  }, 90_000);
});
