/**
 * First-run setup in Chromium, from the link `trustdesk start` prints: the
 * organisation and administrator, an authenticator app enrolled with the code
 * computed from the secret the page shows, the recovery codes confirmed, the
 * passkey the administrator role requires (virtual authenticator), and the
 * administrator lands signed in with a phishing-resistant session.
 */
import * as OTPAuth from 'otpauth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSetupLink } from '../../src/identity/auth/auth.service.js';
import { addVirtualAuthenticator, closeBrowser, describeWeb, launchBrowser, pageFetch, runAxe, snap, startWebServer, watchPage, type WebServer } from './harness.js';

describeWeb('first-run setup in the browser', (kind) => {
  let server: WebServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('refuses to start without the printed link, and says so', async () => {
    const context = await browser.newContext({ baseURL: server.baseUrl });
    const page = await context.newPage();
    await page.goto('/setup');
    await page.getByText('This page needs the setup link').waitFor();
    expect(await runAxe(page)).toEqual([]);
    await context.close();
  });

  it('creates the organisation and administrator, enrols TOTP then the required passkey, and lands signed in', async () => {
    const token = await createSetupLink(server.services.database.db);
    const context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const seen = watchPage(page);
    await addVirtualAuthenticator(context, page);

    await page.goto(`/setup#token=${token}`);
    await page.getByRole('heading', { name: 'Set up Trustdesk' }).waitFor();
    // The token left the address bar (and history) as soon as the page read it.
    expect(new URL(page.url()).hash).toBe('');
    expect(await runAxe(page)).toEqual([]);

    await page.getByLabel('Organisation name').fill('Acme Support');
    await page.getByLabel('Your name').fill('Ada Admin');
    await page.getByLabel('Email').fill('ada@acme.example');
    const password = page.getByLabel('New password');
    // The server's rules show while typing: a common password is called out before submitting.
    await password.fill('password1234');
    await page.getByText(/too common/).waitFor();
    await password.fill('a long and unusual passphrase');
    await page.getByText('This password meets the rules.').waitFor();
    await page.getByRole('button', { name: 'Create organisation' }).click();

    await page.getByRole('heading', { name: 'Protect the administrator account' }).waitFor();
    expect(await runAxe(page)).toEqual([]);
    await page.getByRole('button', { name: /Authenticator app first/ }).click();
    await page.getByRole('button', { name: 'Show QR code' }).click();
    const qr = page.getByRole('img', { name: 'QR code for your authenticator app' });
    await qr.waitFor();
    expect(await qr.locator('path').getAttribute('d')).toMatch(/^M\d+ \d+h1v1h-1z/);
    const shown = (await page.getByLabel('Secret key for manual entry').textContent()) ?? '';
    const secret = shown.replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await snap(page, 'setup-factor');
    expect(await runAxe(page)).toEqual([]);

    const code = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate();
    await page.getByLabel('Code from the app').fill(code);
    await page.getByRole('button', { name: 'Confirm' }).click();

    // Recovery codes, once; going on needs the confirmation.
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    const codes = await page.getByRole('list', { name: 'Recovery codes' }).locator('li').allTextContents();
    expect(codes).toHaveLength(10);
    const next = page.getByRole('button', { name: 'Next' });
    expect(await next.isDisabled()).toBe(true);
    await page.getByLabel('I have saved these codes somewhere safe').check();
    await next.click();

    // TOTP verified the session, but the administrator role needs a passkey before anything else opens.
    await page.getByText('Your role requires a passkey').first().waitFor();
    await page.getByLabel('Name').fill('Ada’s laptop');
    await page.getByRole('button', { name: 'Create passkey' }).click();

    await page.waitForURL(/\/tickets/);
    await page.getByText('Signed in as Ada Admin').waitFor();
    const me = await pageFetch(page, 'GET', '/api/auth/me');
    expect(me.body).toMatchObject({ user: { email: 'ada@acme.example', roles: ['administrator'] }, mfa: { verified: true, method: 'webauthn', phishingResistantRequired: true } });
    const mfa = await pageFetch(page, 'GET', '/api/auth/mfa');
    expect(mfa.body).toMatchObject({ factors: { totp: true, recoveryCodesLeft: 10, webauthn: [{ name: 'Ada’s laptop' }] } });

    // The link was single-use: the same address now says setup is done.
    await page.goto(`/setup#token=${token}`);
    await page.getByText('Trustdesk is already set up').waitFor();
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await context.close();
  });
}, { firstRun: true });
