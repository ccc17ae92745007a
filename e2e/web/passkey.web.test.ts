/**
 * Passkeys in Chromium with its virtual authenticator: an agent registers one
 * on the account page, signs out, and signs in with password + passkey. A
 * sensitive action after the step-up window opens the step-up dialog, which
 * takes the passkey and retries the action. `next=` is honoured only for
 * same-origin paths.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildUser, signInAs, TEST_PASSWORD, type TestOrg, type TestUser } from '../../src/identity/auth/testing.js';
import { enrolTotp, forgetTotpUse, totpCode } from '../../src/identity/auth/mfa/testing/mfa-testing.js';
import { addVirtualAuthenticator, closeBrowser, describeWeb, launchBrowser, pageFetch, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

describeWeb('passkeys in the browser', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;
  let agent: TestUser;

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    org = await buildOrg(server.services);
    agent = await buildUser(server.services, org, { roles: ['agent'], name: 'Sam Agent', email: 'sam@staff.example' });
  });
  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('registers a passkey on the account page, signs out, and signs in with password and passkey', async () => {
    const session = await signInAs(server.app, agent, { mfa: 'totp' });
    const context = await staffContext(browser, server, session);
    const page = await context.newPage();
    const seen = watchPage(page);
    await addVirtualAuthenticator(context, page);

    await page.goto('/account/security');
    await page.getByRole('heading', { name: 'Sign-in methods', level: 1 }).waitFor();
    await page.getByText('No passkeys yet.').waitFor();
    expect(await runAxe(page)).toEqual([]);
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByRole('textbox', { name: /^Name/ }).fill('Work laptop');
    await page.getByRole('button', { name: 'Create passkey' }).click();
    // The first factor of the account brings its recovery codes, shown once.
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    await page.getByLabel('I have saved these codes somewhere safe').check();
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByText('Work laptop').waitFor();
    await snap(page, 'account-security');
    expect(await runAxe(page)).toEqual([]);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/signin/);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await runAxe(page)).toEqual([]);

    await page.getByLabel('Email').fill(agent.email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await snap(page, 'signin');
    // A wrong password reads as such, not as an expired session.
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Email or password is incorrect.' }).waitFor();

    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/signin\/factor/);
    await page.getByRole('heading', { name: 'Confirm it is you' }).waitFor();
    expect(await runAxe(page)).toEqual([]);
    await page.getByRole('button', { name: 'Use passkey' }).click();
    await page.waitForURL(/\/tickets/);
    const me = await pageFetch(page, 'GET', '/api/auth/me');
    expect(me.body).toMatchObject({ user: { email: agent.email }, mfa: { verified: true, method: 'webauthn' } });
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await context.close();
  });

  it('asks for the passkey again (step-up) before replacing recovery codes, then retries; renames and removes passkeys', async () => {
    // Same person, same passkey (the virtual authenticator lives per page, so register a fresh one here).
    const session = await signInAs(server.app, agent, { mfa: 'webauthn' });
    const context = await staffContext(browser, server, session);
    const page = await context.newPage();
    await addVirtualAuthenticator(context, page);
    await page.goto('/account/security');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByRole('textbox', { name: /^Name/ }).fill('Second key');
    await page.getByRole('button', { name: 'Create passkey' }).click();
    await page.getByText('Second key').waitFor();

    // The factor this session verified is now older than the step-up window.
    await server.services.database.db.updateTable('sessions').set({ mfa_at: new Date(Date.now() - 3_600_000), step_up_at: null }).where('user_id', '=', agent.userId).execute();
    await page.getByRole('button', { name: 'Make new codes' }).click();
    const confirm = page.getByRole('dialog', { name: 'Replace your recovery codes?' });
    await confirm.getByRole('button', { name: 'Make new codes' }).click();
    const stepUp = page.getByRole('dialog', { name: 'Confirm it is you' });
    await stepUp.waitFor();
    expect(await runAxe(page)).toEqual([]);
    await stepUp.getByRole('button', { name: 'Use passkey' }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    expect(await page.getByRole('list', { name: 'Recovery codes' }).locator('li').count()).toBe(10);
    await page.getByLabel('I have saved these codes somewhere safe').check();
    await page.getByRole('button', { name: 'Done' }).click();

    // Rename one passkey, remove the other (the factor is fresh now, so no second prompt).
    await page.getByRole('button', { name: 'Rename Second key' }).click();
    await page.getByLabel('Passkey name').fill('Backup key');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Backup key').waitFor();
    await page.getByRole('button', { name: 'Remove Work laptop' }).click();
    await page.getByRole('dialog', { name: 'Remove passkey?' }).getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('button', { name: 'Remove Work laptop' }).waitFor({ state: 'detached' });
    const keys = await pageFetch(page, 'GET', '/api/auth/mfa/webauthn/credentials');
    expect(keys.body).toMatchObject({ credentials: [{ name: 'Backup key' }] });
    const steps = await server.services.database.db.selectFrom('audit_log').where('action', '=', 'auth.step_up').where('actor_id', '=', agent.userId).select('result').execute();
    expect(steps.map((s) => s.result)).toContain('success');
    await context.close();
  });

  it('makes a security officer who has only an authenticator app register a passkey right after using it', async () => {
    const officer = await buildUser(server.services, org, { roles: ['security_officer'], name: 'Sol Officer' });
    const { secret } = await enrolTotp(server.app, officer);
    await forgetTotpUse(server.services, officer.userId);
    const context = await browser.newContext({ baseURL: server.baseUrl });
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    await addVirtualAuthenticator(context, page);
    await page.goto('/signin?next=%2Faccount%2Fsecurity');
    await page.getByLabel('Email').fill(officer.email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Authenticator code').fill(totpCode(secret));
    await page.getByRole('button', { name: 'Verify' }).click();
    // The code was accepted, but the role needs a passkey: nothing else opens until one is registered.
    await page.getByRole('heading', { name: 'Add a passkey to continue' }).waitFor();
    expect((await pageFetch(page, 'GET', '/api/auth/me')).body).toMatchObject({ mfa: { verified: false, method: 'totp', phishingResistantRequired: true } });
    expect(await runAxe(page)).toEqual([]);
    await page.getByRole('textbox', { name: /^Name/ }).fill('Officer key');
    await page.getByRole('button', { name: 'Create passkey' }).click();
    await page.waitForURL(/\/account\/security/);
    await page.getByText('Officer key').waitFor();
    expect((await pageFetch(page, 'GET', '/api/auth/me')).body).toMatchObject({ mfa: { verified: true, method: 'webauthn' } });
    await context.close();
  });

  it('follows next= to a same-origin path only', async () => {
    const context = await browser.newContext({ baseURL: server.baseUrl });
    const page = await context.newPage();
    const signInWith = async (next: string) => {
      await page.goto(`/signin?next=${encodeURIComponent(next)}`);
      await page.getByLabel('Email').fill(agent.email);
      await page.getByLabel('Password').fill(TEST_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/signin\/factor/);
      return new URL(page.url()).searchParams.get('next');
    };
    expect(await signInWith('//evil.example/steal')).toBe('/tickets');
    expect(await signInWith('https://evil.example/')).toBe('/tickets');
    expect(await signInWith('/\\evil.example')).toBe('/tickets');
    expect(await signInWith('/account/sessions?x=1')).toBe('/account/sessions?x=1');
    await context.close();
  });
});
