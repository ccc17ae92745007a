/**
 * The web app as served: the HTML shell on the app's paths only, hashed
 * assets, the CSP holding (no violation while the app runs), anonymous
 * visitors sent to sign in, and the navigation following the abilities.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildUser, signIn, type TestOrg } from '../../src/identity/auth/testing.js';
import { startTestProvider, TEST_CLIENT_SECRET, type TestProvider } from '../../src/identity/sso/testing.js';
import { closeBrowser, describeWeb, launchBrowser, runAxe, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

describeWeb('web shell', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;
  let idp: TestProvider;

  beforeAll(async () => {
    // Private outbound allowed: the single-sign-on test's provider runs on a loopback port.
    server = await startWebServer({ kind, config: { TRUSTDESK_ALLOW_PRIVATE_OUTBOUND: 'true' } });
    idp = await startTestProvider(`${server.baseUrl}/api/auth/sso/callback`);
    browser = await launchBrowser();
    org = await buildOrg(server.services);
  });
  afterAll(async () => {
    idp?.close();
    await closeBrowser(browser);
    await server?.close();
  });

  it('serves the shell on app paths with the CSP, and nothing on other paths', async () => {
    const shell = await fetch(`${server.baseUrl}/tickets/123`);
    expect(shell.status).toBe(200);
    expect(shell.headers.get('content-type')).toContain('text/html');
    expect(shell.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await shell.text();
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${server.baseUrl}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');

    const unknown = await fetch(`${server.baseUrl}/nope`);
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    const api = await fetch(`${server.baseUrl}/api/tickets`);
    expect(api.status).toBe(401);
    const manifest = await fetch(`${server.baseUrl}/assets/../.vite/manifest.json`);
    expect(manifest.status).not.toBe(200);
  });

  it('sends an anonymous visitor to sign in, keeping where they were going', async () => {
    const context = await browser.newContext({ baseURL: server.baseUrl });
    const page = await context.newPage();
    const seen = watchPage(page);
    let lookups = 0;
    const failed: string[] = [];
    const consoleErrors: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/api/auth/session') lookups++;
    });
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    await page.goto('/tickets?view=mine');
    await page.waitForURL(/\/signin\?next=/);
    await page.waitForTimeout(1500);
    // The session probe answers a signed-out visitor 200: no failed request, no console error, no lookup loop.
    expect(lookups).toBeGreaterThanOrEqual(1);
    expect(lookups).toBeLessThanOrEqual(3);
    expect(failed).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(decodeURIComponent(new URL(page.url()).searchParams.get('next') ?? '')).toBe('/tickets?view=mine');
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await context.close();
  });

  it('shows a signed-in agent only the areas their abilities allow, accessibly and within the CSP', async () => {
    const agent = await signIn(server.app, org, { roles: ['agent'] });
    const context = await staffContext(browser, server, agent);
    const page = await context.newPage();
    const seen = watchPage(page);
    await page.goto('/account');
    const nav = page.getByRole('navigation', { name: 'Main navigation' });
    // waitFor, not isVisible: isVisible answers at once, before the app has rendered.
    await nav.getByRole('link', { name: 'Tickets' }).waitFor();
    await nav.getByRole('link', { name: 'Account' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Administration' }).count()).toBe(0);
    expect(await nav.getByRole('link', { name: 'Security centre' }).count()).toBe(0);
    expect(await runAxe(page)).toEqual([]);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await context.close();

    const admin = await signIn(server.app, org, { roles: ['administrator'] });
    const adminContext = await staffContext(browser, server, admin);
    const adminPage = await adminContext.newPage();
    await adminPage.goto('/account');
    await adminPage.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Administration' }).waitFor();
    await adminContext.close();
  });

  it('sends a member whose second factor is not verified to the factor step', async () => {
    const pending = await signIn(server.app, org, { roles: ['agent'], mfa: false });
    const context = await staffContext(browser, server, pending);
    const page = await context.newPage();
    await page.goto('/tickets');
    await page.waitForURL(/\/signin\/factor\?next=/);
    await context.close();
  });

  it('signs in with the organisation’s provider from the email alone; Trustdesk’s factor follows unless its MFA is trusted', async () => {
    const ssoOrg = await buildOrg(server.services);
    const admin = await signIn(server.app, ssoOrg, { roles: ['administrator'] });
    const member = await buildUser(server.services, ssoOrg, { roles: ['agent'], email: 'mia@sso-web.example' });
    idp.accounts.set('mia', { email: member.email, emailVerified: true });
    const configure = (trustProviderMfa: boolean) =>
      server.app.inject({ method: 'PUT', url: '/api/sso/connection', headers: admin.headers, payload: { enabled: true, displayName: 'Example IdP', issuer: idp.issuer, clientId: 'trustdesk', clientSecret: TEST_CLIENT_SECRET, emailDomains: ['sso-web.example'], trustProviderMfa } });
    const viaProvider = async () => {
      const context = await browser.newContext({ baseURL: server.baseUrl });
      const page = await context.newPage();
      const seen = watchPage(page);
      await page.goto('/signin');
      await page.getByLabel('Email').fill(member.email);
      await page.getByLabel('Password').focus();
      await page.getByRole('button', { name: 'Sign in with Example IdP' }).click();
      return { context, page, seen };
    };
    idp.login({ accountId: 'mia', amr: ['pwd', 'mfa'] });

    expect((await configure(false)).statusCode).toBe(200);
    const first = await viaProvider();
    await first.page.waitForURL(/\/signin\/factor/);
    expect(first.seen.pageErrors).toEqual([]);
    await first.context.close();

    expect((await configure(true)).statusCode).toBe(200);
    const second = await viaProvider();
    await second.page.getByRole('navigation', { name: 'Main navigation' }).waitFor();
    expect(new URL(second.page.url()).pathname).not.toMatch(/^\/signin/);
    expect(second.seen.cspViolations).toEqual([]);
    await second.context.close();
  }, 90_000);
}, { firstRun: true });
