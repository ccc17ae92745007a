/**
 * Customer second factors in Chromium (decision 0220), with its virtual authenticator: a customer signs in
 * to the portal by email code and adds a passkey on "Sign-in security"; the organisation then requires a
 * second factor for secure messages; the customer opens a secure message from its emailed link, enters
 * the emailed code, and the message shows only after the passkey confirms it is them. Then the customer has lost
 * the laptop: an agent confirms who they are by a code to their address and removes their portal second factors.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../../src/identity/auth/testing.js';
import type { MemoryMailer } from '../../src/platform/notify/mailer.js';
import { buildCustomerWithTicket, lastCode } from '../../src/helpdesk/portal/testing.js';
import { addVirtualAuthenticator, closeBrowser, describeWeb, launchBrowser, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

const SECRET = 'Your new PIN letter left on Tuesday; it comes in a plain envelope.';

describeWeb('customer second factors in the portal', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let context: BrowserContext;
  let org: TestOrg;
  let team: string;
  let agent: SignedIn;
  let admin: SignedIn;
  const mailer = () => server.services.mailer as MemoryMailer;
  const mailCount = (to: string) => mailer().sent.filter((m) => m.to === to).length;

  async function codeFor(to: string, before: number): Promise<string> {
    for (let i = 0; i < 200; i++) {
      if (mailCount(to) > before) return lastCode(mailer(), to);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no new mail to ${to}`);
  }

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    org = await buildOrg(server.services, 'Northwind Support');
    team = await buildTeam(server.services, org);
    agent = await signIn(server.app, org, { roles: ['agent'], teamIds: [team] });
    admin = await signIn(server.app, org, { roles: ['administrator'] });
  });
  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await closeBrowser(browser);
    await server?.close();
  });

  it('a customer adds a passkey, the organisation requires it for secure messages, and the message opens only after it', async () => {
    const email = 'grace@customer.example';
    const c = await buildCustomerWithTicket(server.services, { orgId: org.orgId, email, name: 'Grace Hopper', teamId: team, subject: 'New PIN', body: 'Please send a new PIN.' });
    context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1100, height: 820 } });
    context.setDefaultTimeout(30_000);
    const page: Page = await context.newPage();
    const seen = watchPage(page);
    // The virtual authenticator lives with this page: the passkey is made and used here.
    await addVirtualAuthenticator(context, page);

    await page.goto('/portal/security');
    await page.waitForURL(/\/portal\/signin\?next=/);
    let before = mailCount(email);
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.getByLabel('One-time code').fill(await codeFor(email, before));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Sign-in security', level: 1 }).waitFor();
    await page.getByText('No passkeys yet.').waitFor();
    await page.getByRole('textbox', { name: /^Passkey name/ }).fill('Grace laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByText('Grace laptop').waitFor();
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'portal-security');

    // An administrator requires it before secure messages, on the security policy screen.
    const staff = await staffContext(browser, server, admin);
    const adminPage = await staff.newPage();
    await adminPage.goto('/admin/security-policy');
    const section = adminPage.getByRole('region', { name: 'Customer second factors' });
    await section.getByLabel('Ask customers for a second factor in the portal').selectOption('sensitive');
    await section.getByRole('button', { name: 'Save', exact: true }).click();
    await section.getByText('Saved.').waitFor();
    expect(await runAxe(adminPage)).toEqual([]);
    await staff.close();
    const changed = await server.services.database.db.selectFrom('audit_log').where('action', '=', 'policy.customer_mfa.change').select(['details', 'actor_id']).execute();
    expect(changed).toEqual([{ actor_id: admin.userId, details: { before: 'never', after: 'sensitive' } }]);
    const sent = await server.app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/secure-replies`, headers: agent.headers, payload: { body: SECRET } });
    expect(sent.statusCode).toBe(201);
    // The step-up made when adding the passkey has passed: this session has to prove the factor again.
    await server.services.database.db.updateTable('customer_sessions').set({ mfa_at: null }).where('customer_id', '=', c.customerId).execute();
    const db = server.services.database.db;
    const notice = await db.selectFrom('outbound_mail').where('ticket_id', '=', c.ticketId).select(['id', 'body_enc']).executeTakeFirstOrThrow();
    const text = await server.services.keyring.decrypt({ table: 'outbound_mail', column: 'body_enc', rowId: notice.id }, notice.body_enc as Uint8Array);
    const link = /(https?:\/\/\S+\/portal\/secure\?token=tdm_[A-Za-z0-9_-]+)/.exec(text)?.[1];
    expect(link).toBeDefined();

    await page.goto(link as string);
    before = mailCount(email);
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.getByLabel('One-time code').fill(await codeFor(email, before));
    await page.getByRole('button', { name: 'Read the message' }).click();
    await page.getByRole('heading', { name: 'Confirm it is you' }).waitFor();
    expect(await page.getByText(SECRET).count()).toBe(0);
    expect(await runAxe(page)).toEqual([]);
    // Bypassing the page changes nothing: the server refuses the read itself.
    const direct = await page.evaluate(async (id) => {
      const res = await fetch(`/api/portal/secure-messages/${id}`);
      return { status: res.status, code: ((await res.json()) as { code: string }).code };
    }, sent.json().secureMessageId as string);
    expect(direct).toEqual({ status: 403, code: 'customer_mfa_required' });

    await page.getByRole('button', { name: 'Use passkey' }).click();
    await page.getByText(SECRET).waitFor();
    const reads = await db.selectFrom('audit_log').where('action', '=', 'secure_message.read').where('object_id', '=', sent.json().secureMessageId).select('actor_type').execute();
    expect(reads.map((r) => r.actor_type)).toEqual(['customer']);
    const verified = await db.selectFrom('audit_log').where('action', '=', 'portal.mfa.verify').where('result', '=', 'success').select('details').execute();
    expect(verified.map((v) => v.details)).toEqual([{ factor: 'webauthn' }]);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
  });

  it('an agent confirms the customer by a code to their address, then removes their lost passkey', async () => {
    const db = server.services.database.db;
    const grace = await db.selectFrom('customer_webauthn_credentials').select(['customer_id']).executeTakeFirstOrThrow();
    const ticket = await db.selectFrom('tickets').where('requester_id', '=', grace.customer_id).select('id').executeTakeFirstOrThrow();
    const staff = await staffContext(browser, server, agent);
    const desk = await staff.newPage();
    const seen = watchPage(desk);
    desk.on('dialog', (d) => void d.accept());
    await desk.goto(`/tickets/${ticket.id}`);
    const verify = desk.getByRole('region', { name: 'Verify customer' });
    const before = mailCount('grace@customer.example');
    await verify.getByRole('button', { name: 'Send code' }).click();
    await verify.getByLabel('Code the customer reads back').fill(await codeFor('grace@customer.example', before));
    await verify.getByRole('button', { name: 'Check code' }).click();
    await verify.getByRole('button', { name: 'Remove their portal second factors' }).click();
    await verify.getByText('Removed: no authenticator app, 1 passkeys.', { exact: false }).waitFor();
    expect(await db.selectFrom('customer_webauthn_credentials').where('customer_id', '=', grace.customer_id).select('id').execute()).toEqual([]);
    const reset = await db.selectFrom('audit_log').where('action', '=', 'customer.mfa.reset').select(['result', 'actor_id']).execute();
    expect(reset).toEqual([{ result: 'success', actor_id: agent.userId }]);
    expect(seen.pageErrors).toEqual([]);
    await staff.close();
  });
});
