/**
 * The customer portal in Chromium: reading a secure message from the emailed
 * link (token dropped from the address bar, code step, audited read, the link
 * dead afterwards), signing in by code and by magic link, replying with a file,
 * confirming identity for an agent, and the public request form. Each main
 * page passes axe-core's WCAG A/AA rules within the CSP.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../../src/identity/auth/testing.js';
import type { MemoryMailer } from '../../src/platform/notify/mailer.js';
import { buildCustomerWithTicket, lastCode } from '../../src/helpdesk/portal/testing.js';
import { setOrganizationHost } from '../../src/identity/organizations/hosts.js';
import { CLI_OPERATOR } from '../../src/identity/organizations/lifecycle.js';
import { closeBrowser, describeWeb, launchBrowser, runAxe, snap, startWebServer, watchPage, type WebServer } from './harness.js';

const SECRET = 'Your replacement card ending 0042 was posted on Monday; activate it by calling the number on the back.';

describeWeb('customer portal', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;
  let team: string;
  let agent: SignedIn;
  const mailer = () => server.services.mailer as MemoryMailer;
  const contexts: BrowserContext[] = [];

  async function newPage(): Promise<{ page: Page; seen: ReturnType<typeof watchPage> }> {
    const context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1100, height: 820 } });
    contexts.push(context);
    const page = await context.newPage();
    return { page, seen: watchPage(page) };
  }

  /** Waits until the mailer holds a new message to `to` (mail is sent after the answer in some flows; up to 20 s on a loaded CI machine). */
  async function codeFor(to: string, before: number, page?: Page): Promise<string> {
    for (let i = 0; i < 200; i++) {
      if (mailer().sent.filter((m) => m.to === to).length > before) return lastCode(mailer(), to);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Say what the page shows, so a failure in CI can be read from its log.
    const shown = page ? ` (page at ${page.url()} shows: ${JSON.stringify(await page.locator('[role=alert], [role=status]').allTextContents())})` : '';
    throw new Error(`no new mail to ${to}${shown}`);
  }
  const mailCount = (to: string) => mailer().sent.filter((m) => m.to === to).length;

  async function signInWithCode(page: Page, email: string): Promise<void> {
    await page.goto('/portal');
    await page.waitForURL(/\/portal\/signin\?next=/);
    const before = mailCount(email);
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Send me a code' }).click();
    const code = await codeFor(email, before);
    await page.getByLabel('One-time code').fill(code);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/portal');
  }

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    org = await buildOrg(server.services, 'Northwind Support');
    team = await buildTeam(server.services, org);
    agent = await signIn(server.app, org, { roles: ['agent'], teamIds: [team] });
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await closeBrowser(browser);
    await server?.close();
  });

  it('a customer reads a secure message in the portal, and the link replayed afterwards is refused', async () => {
    const email = 'ada@customer.example';
    const c = await buildCustomerWithTicket(server.services, { orgId: org.orgId, email, name: 'Ada Lovelace', teamId: team, subject: 'Lost card', body: 'I lost my card, please send a new one.' });
    const sent = await server.app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/secure-replies`, headers: agent.headers, payload: { body: SECRET } });
    expect(sent.statusCode).toBe(201);
    // The notice email's text (with the link) waits only in the outbound queue, never in the conversation; read the link from there.
    const db = server.services.database.db;
    const notice = await db.selectFrom('outbound_mail').where('ticket_id', '=', c.ticketId).select(['id', 'body_enc']).executeTakeFirstOrThrow();
    const text = await server.services.keyring.decrypt({ table: 'outbound_mail', column: 'body_enc', rowId: notice.id }, notice.body_enc as Uint8Array);
    expect(text).not.toContain(SECRET);
    const link = /(https?:\/\/\S+\/portal\/secure\?token=tdm_[A-Za-z0-9_-]+)/.exec(text)?.[1];
    expect(link).toBeDefined();

    const { page, seen } = await newPage();
    await page.goto(link as string);
    await page.getByRole('heading', { name: 'Secure message' }).waitFor();
    expect(page.url()).not.toContain('token=');
    expect(await page.evaluate(() => (globalThis as unknown as { location: { href: string } }).location.href)).toBe(`${server.baseUrl}/portal/secure`);
    expect(await page.getByText(SECRET).count()).toBe(0);

    const before = mailCount(email);
    await page.getByRole('button', { name: 'Send me a code' }).click();
    const code = await codeFor(email, before);
    const wrong = code === '000000' ? '111111' : '000000';
    await page.getByLabel('One-time code').fill(wrong);
    await page.getByRole('button', { name: 'Read the message' }).click();
    await page.getByText('That code is wrong or has expired').waitFor();
    await page.getByLabel('One-time code').fill(code);
    await page.getByRole('button', { name: 'Read the message' }).click();
    await page.getByText(SECRET).waitFor();
    expect(await page.getByText('About request #').count()).toBe(1);
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'portal-secure-message');

    const reads = await db.selectFrom('audit_log').where('action', '=', 'secure_message.read').where('object_id', '=', sent.json().secureMessageId).select('actor_type').execute();
    expect(reads.map((r) => r.actor_type)).toEqual(['customer']);

    // The whole conversation marks the secure message.
    await page.getByRole('link', { name: 'See the whole conversation' }).click();
    await page.waitForURL(`**/portal/tickets/${c.ticketId}`);
    const secureItem = page.locator('.portal-msg--secure');
    await secureItem.getByText(SECRET).waitFor();
    expect(await secureItem.getByText('Secure message', { exact: true }).count()).toBe(1);

    // Replayed: the link started its session and is dead; the page says so in words.
    const replay = await newPage();
    await replay.page.goto(link as string);
    // The page asks whether the link is still usable before offering anything: no "Send me a code" for a spent link.
    const alert = replay.page.getByRole('alert');
    await alert.getByText('expired or was already used').waitFor();
    expect(await replay.page.getByRole('button', { name: 'Send me a code' }).count()).toBe(0);
    expect(await replay.page.getByText(SECRET).count()).toBe(0);

    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    expect(replay.seen.pageErrors).toEqual([]);
  }, 90_000);

  it('a customer signs in with a one-time code and replies with an attachment', async () => {
    const email = 'grace@customer.example';
    const c = await buildCustomerWithTicket(server.services, { orgId: org.orgId, email, name: 'Grace Hopper', teamId: team, subject: 'Invoice question', body: 'Why was I charged twice in March?' });
    await server.app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/replies`, headers: agent.headers, payload: { body: 'Could you send us the receipt, please?' } });
    const { page, seen } = await newPage();

    await page.goto('/portal');
    await page.waitForURL(/\/portal\/signin/);
    await page.getByLabel('Email address').waitFor();
    expect(await page.getByText('Northwind Support').count()).toBeGreaterThan(0);
    expect(await runAxe(page)).toEqual([]);

    await signInWithCode(page, email);
    await page.getByRole('link', { name: 'Invoice question' }).click();
    await page.waitForURL(`**/portal/tickets/${c.ticketId}`);
    await page.getByText('Could you send us the receipt, please?').waitFor();
    expect(await runAxe(page)).toEqual([]);

    // Too large for the limit: said before anything is sent.
    const fileInput = page.getByLabel('Attach files');
    await fileInput.setInputFiles({ name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(10 * 1024 * 1024 + 1) });
    await page.getByText(/huge\.bin is 10 MB; files can be at most 10 MB/).waitFor();

    const receipt = Buffer.from('Receipt 2026-03-14\nAmount: 42.00 EUR\nCard: 4111 1111 1111 1111\n');
    await fileInput.setInputFiles({ name: 'receipt.txt', mimeType: 'text/plain', buffer: receipt });
    await page.getByLabel('Your message').fill('Here is the receipt. Thank you!');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.getByText('Your reply was sent.').waitFor();
    await page.getByText('Here is the receipt. Thank you!').waitFor();
    const download = page.getByRole('link', { name: 'Download receipt.txt' });
    await download.waitFor();
    // The text and its file are one message, for the customer and for the agent.
    await page.getByRole('article').filter({ hasText: 'Here is the receipt. Thank you!' }).getByRole('link', { name: 'Download receipt.txt' }).waitFor();
    const agentRead = (await server.app.inject({ method: 'GET', url: `/api/tickets/${c.ticketId}`, headers: agent.headers })).json() as { messages: Array<{ body: string | null; attachments: Array<{ filename: string | null }> }> };
    const sent = agentRead.messages.filter((m) => m.body?.includes('Here is the receipt'));
    expect(sent.map((m) => m.attachments.map((a) => a.filename))).toEqual([['receipt.txt']]);
    await page.evaluate(() => (globalThis as unknown as { scrollTo: (x: number, y: number) => void }).scrollTo(0, 0));
    await snap(page, 'portal-ticket');

    // The file is stored, and the card number in it was redacted before storage (download it as the customer).
    const href = await download.getAttribute('href');
    const fetched = await page.evaluate(async (url) => {
      const r = await fetch(url as string, { credentials: 'same-origin' });
      return { status: r.status, disposition: r.headers.get('content-disposition'), nosniff: r.headers.get('x-content-type-options'), text: await r.text() };
    }, href);
    expect(fetched).toMatchObject({ status: 200, nosniff: 'nosniff' });
    expect(fetched.disposition).toContain('attachment');
    expect(fetched.text).toContain('Amount: 42.00 EUR');
    expect(fetched.text).not.toContain('4111 1111 1111 1111');

    // A file that can run code is stored and flagged; downloading it takes a separate, explained link.
    await fileInput.setInputFiles({ name: 'tool.exe', mimeType: 'application/octet-stream', buffer: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(400)]) });
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.getByText('tool.exe looks like a file that can run code').waitFor();
    const anyway = page.getByRole('link', { name: 'Download tool.exe anyway' });
    await anyway.waitFor();
    expect(await anyway.getAttribute('href')).toContain('confirm=1');
    expect(await page.getByRole('link', { name: 'Download tool.exe', exact: true }).count()).toBe(0);

    // On a phone-sized screen nothing runs off the side.
    await page.setViewportSize({ width: 375, height: 740 });
    const overflow = await page.evaluate(() => {
      const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1100, height: 820 });

    // Another customer's ticket is not found, in the page and through the API.
    const other = await buildCustomerWithTicket(server.services, { orgId: org.orgId, email: 'someone-else@customer.example', teamId: team, subject: 'Not for Grace' });
    await page.goto(`/portal/tickets/${other.ticketId}`);
    await page.getByRole('alert').getByText('not found', { exact: false }).waitFor();
    expect(await page.getByText('Not for Grace').count()).toBe(0);

    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
  }, 90_000);

  it('the magic link signs in once and leaves the address bar at once', async () => {
    const email = 'linus@customer.example';
    await buildCustomerWithTicket(server.services, { orgId: org.orgId, email, teamId: team, subject: 'Keyboard' });
    const before = mailCount(email);
    const start = await fetch(`${server.baseUrl}/api/portal/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ organizationId: org.orgId, email }) });
    expect(start.status).toBe(202);
    await codeFor(email, before);
    const link = /(https?:\/\/\S+\/portal\/signin\?link=tdm_[A-Za-z0-9_-]+)/.exec(mailer().last(email)?.text ?? '')?.[1];
    expect(link).toBeDefined();

    const { page, seen } = await newPage();
    await page.goto(link as string);
    await page.waitForURL((url) => url.pathname === '/portal');
    expect(page.url()).not.toContain('link=');
    await page.getByRole('link', { name: 'Keyboard' }).waitFor();

    // The session ends on the server (idle expiry, sign-out elsewhere): the next page asks to sign in again.
    await server.services.database.db.updateTable('customer_sessions').set({ revoked_at: new Date() }).where('method', '=', 'link').where('revoked_at', 'is', null).execute();
    await page.getByRole('link', { name: 'Keyboard' }).click();
    await page.waitForURL(/\/portal\/signin\?next=%2Fportal%2Ftickets%2F/);
    await page.getByLabel('Email address').waitFor();

    const again = await newPage();
    await again.page.goto(link as string);
    await again.page.getByText('This sign-in link has expired or was already used').waitFor();
    expect(again.page.url()).not.toContain('link=');
    expect(seen.pageErrors).toEqual([]);
  }, 90_000);

  it('signing in works from the keyboard alone, and focus lands where the customer types next', async () => {
    const email = 'kb@customer.example';
    await buildCustomerWithTicket(server.services, { orgId: org.orgId, email, teamId: team, subject: 'Keyboard only' });
    const { page } = await newPage();
    await page.goto('/portal/signin');
    await page.getByLabel('Email address').waitFor();
    // The page's heading has focus when it opens, so the next Tab reaches the form.
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } | null } }).document.activeElement?.textContent)).toBe('Sign in to see your requests');
    let label = '';
    for (let i = 0; i < 6 && label !== 'email'; i++) {
      await page.keyboard.press('Tab');
      label = await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { getAttribute: (n: string) => string | null } | null } }).document.activeElement?.getAttribute('name') ?? '');
    }
    expect(label).toBe('email');
    const before = mailCount(email);
    await page.keyboard.type(email);
    await page.keyboard.press('Enter');
    const code = await codeFor(email, before, page);
    await page.getByLabel('One-time code').waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id)).toBe('portal-signin-code');
    await page.keyboard.type(code);
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === '/portal');
    await page.getByRole('link', { name: 'Keyboard only' }).waitFor();
  }, 90_000);

  it('a customer confirms their identity with the code an agent’s verification sent', async () => {
    const email = 'alan@customer.example';
    const c = await buildCustomerWithTicket(server.services, { orgId: org.orgId, email, teamId: team, subject: 'Account access' });
    const { page } = await newPage();
    await signInWithCode(page, email);
    const before = mailCount(email);
    const started = await server.app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/verifications`, headers: agent.headers, payload: { channel: 'email' } });
    expect(started.statusCode).toBe(201);
    const code = await codeFor(email, before);
    await page.reload();
    await page.getByRole('heading', { name: 'Confirm it is you' }).waitFor();
    await page.getByLabel('Verification code').fill(code);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('Thank you, you are verified.').waitFor();
    const row = await server.services.database.db.selectFrom('customer_verifications').where('id', '=', started.json().verificationId).select(['status', 'verified_via']).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'verified', verified_via: 'portal' });
  }, 90_000);

  it('a customer rates a solved request on its page, and can change the rating', async () => {
    const email = 'rita@customer.example';
    const c = await buildCustomerWithTicket(server.services, { orgId: org.orgId, email, teamId: team, subject: 'Late parcel', channel: 'web' });
    expect((await server.app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/status`, headers: agent.headers, payload: { status: 'solved' } })).statusCode).toBe(200);
    const { page, seen } = await newPage();
    await signInWithCode(page, email);
    await page.goto(`/portal/tickets/${c.ticketId}`);
    const section = page.getByRole('region', { name: 'Rate this request' });
    await section.getByRole('radio', { name: 'Good, I am satisfied' }).check();
    await section.getByLabel(/Anything you would like to tell us/).fill('Quick and kind');
    await section.getByRole('button', { name: 'Send my rating' }).click();
    await page.getByText('Thank you! Your rating has been recorded.').waitFor();
    expect(await runAxe(page)).toEqual([]);
    await page.reload();
    await page.getByText('You rated this request: Good, I am satisfied.').waitFor();
    await snap(page, 'portal-rating');
    await section.getByRole('radio', { name: 'Bad, I am not satisfied' }).check();
    await section.getByRole('button', { name: 'Change my rating' }).click();
    await page.getByText('Thank you! Your rating has been recorded.').waitFor();
    const rows = await server.services.database.db.selectFrom('csat_ratings').where('ticket_id', '=', c.ticketId).select(['rating', 'source']).execute();
    expect(rows).toEqual([{ rating: 'bad', source: 'portal' }]);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
  }, 90_000);

  it('the public request form creates a ticket, with the honeypot out of people’s sight', async () => {
    const db = server.services.database.db;
    const count = async () => Number((await db.selectFrom('tickets').where('org_id', '=', org.orgId).where('channel', '=', 'web').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    const { page, seen } = await newPage();
    await page.goto('/portal/request');
    await page.getByRole('heading', { name: 'Contact support' }).waitFor();
    await page.getByLabel('Your name').waitFor();
    expect(await runAxe(page)).toEqual([]);

    // Hidden from people: off-screen by class, not by an inline style (the CSP forbids inline styles anyway).
    const honeypot = page.locator('input[name="website"]');
    expect(await honeypot.getAttribute('style')).toBeNull();
    const box = await honeypot.boundingBox();
    expect(box === null || box.x + box.width <= 0).toBe(true);
    expect(await honeypot.getAttribute('tabindex')).toBe('-1');

    // Bad input is refused on the page with readable messages, before anything is sent.
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.getByText('This field is required.').first().waitFor();
    await page.getByLabel('Your email address').fill('not-an-email');
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.getByText('Enter a valid email address.').waitFor();

    await page.getByLabel('Your name').fill('Margaret Hamilton');
    await page.getByLabel('Your email address').fill('margaret@customer.example');
    await page.getByLabel('Subject').fill('Delivery address change');
    await page.getByLabel('How can we help?').fill('Please send my next order to the new office in Cambridge.');
    expect(await page.getByText('This field is required.').count()).toBe(0);
    await snap(page, 'portal-request-form');
    // Sent faster than the fill-time token allows: the page waits out the remainder instead of losing it.
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.getByRole('heading', { name: 'Thank you' }).waitFor();
    await page.getByText('margaret@customer.example').waitFor();
    expect(await page.getByRole('link', { name: 'Follow your requests' }).getAttribute('href')).toBe('/portal/signin');
    expect(await count()).toBe(before + 1);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
  }, 90_000);
  it('an organisation at its own host name: its customers sign in there, mailed links point there, and the shared address says where it is', async () => {
    // Chromium resolves *.trustdesk.test to this machine (browser.setup.ts); the same server answers every name.
    const harbour = await buildOrg(server.services, 'Harbour Dental');
    const harbourTeam = await buildTeam(server.services, harbour);
    const host = `support-${kind}.trustdesk.test`;
    const s = server.services;
    await setOrganizationHost({ db: s.database.db, audit: s.audit, publicUrl: s.config.publicUrl }, CLI_OPERATOR, harbour.orgId, host);
    const own = `http://${host}:${new URL(server.baseUrl).port}`;
    const email = 'lee@harbour-customer.example';
    await buildCustomerWithTicket(s, { orgId: harbour.orgId, email, name: 'Lee Harbour', teamId: harbourTeam, subject: 'Crown fitting' });

    const { page, seen } = await newPage();
    await page.goto(`${own}/portal`);
    await page.waitForURL((url) => url.host === new URL(own).host && url.pathname === '/portal/signin');
    await page.getByText('Harbour Dental').first().waitFor();
    await page.getByLabel('Email address').waitFor();
    // The code is asked for from another address than the browser's: this file's earlier sign-ins used up the
    // browser's five a minute. The mailed link is this organisation's address, and signs in there.
    const before = mailCount(email);
    const asked = await server.app.inject({ method: 'POST', url: '/api/portal/signin', headers: { host }, remoteAddress: '10.77.0.1', payload: { organizationId: harbour.orgId, email } });
    expect(asked.statusCode).toBe(202);
    await codeFor(email, before);
    const link = new RegExp(`(${own.replace(/[.]/g, '\\.')}/portal/signin\\?link=[A-Za-z0-9_-]+)`).exec(mailer().last(email)!.text)?.[1];
    expect(link, mailer().last(email)!.text).toBeDefined();
    await page.goto(link!);
    await page.waitForURL((url) => url.host === new URL(own).host && url.pathname === '/portal');
    await page.getByText('Crown fitting').waitFor();

    // The installation's shared address no longer serves it, and says where it is instead of a dead end.
    await page.goto(`${server.baseUrl}/portal/signin?org=${harbour.orgId}`);
    const elsewhere = page.getByRole('link', { name: `${own}/portal` });
    await elsewhere.waitFor();
    expect(await elsewhere.getAttribute('href')).toBe(`${own}/portal`);
    // The first organisation, without a host name, is still the one the shared address serves.
    await page.goto(`${server.baseUrl}/portal/request`);
    await page.getByLabel('Your name').waitFor();
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
  }, 90_000);
});
