/**
 * Answering well, in Chromium: the agent writes their signature on the account page, opens a customer's reply
 * whose quoted history is folded, writes a rich reply (bold with Ctrl+B, a bulleted list and a link from the
 * toolbar) with the signature previewed under it, and the customer receives it as text + HTML with the
 * signatures (the delivered MIME read back with mailparser). Shortcuts: `?` opens the list as a dialog, `r`
 * focuses the reply, keys typed in the editor stay text, Esc leaves it, j/k step through the list's tickets.
 * axe and the CSP watch on each page.
 */
import { randomUUID } from 'node:crypto';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, buildUser, signInAs, type SignedIn, type TestOrg } from '../../src/identity/auth/testing.js';
import { createCustomer } from '../../src/helpdesk/customers/customers.service.js';
import type { ComposedMail } from '../../src/helpdesk/mail/compose.js';
import { processOutboundQueue } from '../../src/helpdesk/mail/outbound-queue.js';
import { toNodemailer } from '../../src/helpdesk/mail/transport.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../../src/helpdesk/tickets/context.js';
import { insertMessage, insertTicket } from '../../src/helpdesk/tickets/records.js';
import { seedMailbox } from '../../src/helpdesk/tickets/testing.js';
import '../../src/helpdesk/signatures/schema.js';
import { closeBrowser, describeWeb, launchBrowser, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

const INBOUND = 'Thanks, the router works again.\n\nOn Tue, 1 Dec 2026 at 10:00, Shop Support <help@shop.example> wrote:\n> Please restart the router\n> and tell us if it helps.\n';

describeWeb('composer, signatures, quoted text and shortcuts', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;
  let agent: SignedIn;
  let deps: HelpdeskDeps;
  const tickets: string[] = [];

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    const { services } = server;
    org = await buildOrg(services);
    const team = await buildTeam(services, org, 'Home broadband');
    agent = await signInAs(server.app, await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: 'Sam Okafor', email: `sam-${randomUUID().slice(0, 6)}@staff.example` }));
    const db = services.database.db;
    const mailbox = await seedMailbox(db, org.orgId, `help-${randomUUID().slice(0, 6)}@shop.example`, team, 'Shop Support');
    await db.updateTable('mailboxes').set({ signature_html: '<p><em>{{mailbox.name}}</em> · open 9–17</p>' }).where('id', '=', mailbox).execute();
    deps = await createHelpdeskDeps(services);
    const customerId = (await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Grace Hopper', email: 'grace@customer.example' })).id;
    for (const subject of ['Router works again', 'Invoice question', 'Password reset']) {
      const id = await db.transaction().execute(async (trx) => {
        const t = await insertTicket(trx, deps, { orgId: org.orgId, subject, channel: 'email', requesterId: customerId, teamId: team, mailboxId: mailbox });
        await insertMessage(trx, deps, { orgId: org.orgId, ticketId: t.id, kind: 'inbound_email', authorType: 'customer', customerId, body: subject === 'Router works again' ? INBOUND : `About: ${subject}` });
        return t.id;
      });
      tickets.push(id);
    }
  }, 90_000);
  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  async function open(who: SignedIn): Promise<{ page: Page; seen: ReturnType<typeof watchPage>; close: () => Promise<void> }> {
    const context = await staffContext(browser, server, who);
    const page = await context.newPage();
    return { page, seen: watchPage(page), close: () => context.close() };
  }
  const activeId = (page: Page) => page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id ?? '');
  // r and n focus the editor on the next frame.
  const editorFocused = (page: Page) => page.waitForFunction(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id === 'composer-body');

  it('a rich reply with bold, a list and a link reaches the customer as HTML with both signatures; quoted history is folded', async () => {
    const { page, seen, close } = await open(agent);
    // The personal signature, written in the same editor on the account page.
    await page.goto('/account');
    const sigEditor = page.getByRole('textbox', { name: 'Your signature' });
    await sigEditor.click();
    await page.keyboard.type('Kind regards, {{agent.name}}');
    await page.getByRole('button', { name: 'Save' }).last().click();
    await page.getByText('Signature saved.').waitFor();
    expect(await runAxe(page)).toEqual([]);

    await page.goto(`/tickets/${tickets[0]}`);
    await page.getByRole('heading', { level: 1, name: /Router works again/ }).waitFor();
    const message = page.getByRole('article', { name: 'Customer' });
    await message.getByText('Thanks, the router works again.').waitFor();
    const quoted = message.getByText('Please restart the router', { exact: false });
    expect(await quoted.isVisible()).toBe(false);
    await message.getByText('Show quoted text').click();
    await quoted.waitFor();

    const editor = page.getByRole('textbox', { name: 'Reply to the customer' });
    await editor.click();
    await page.keyboard.type('Hello Grace, ');
    await page.keyboard.press('Control+b');
    await page.keyboard.type('good news');
    await page.keyboard.press('Control+b');
    await page.keyboard.press('Enter');
    const toolbar = page.getByRole('toolbar', { name: 'Formatting' });
    await toolbar.getByRole('button', { name: 'Bulleted list' }).click();
    await page.keyboard.type('keep the router on');
    await page.keyboard.press('Enter');
    await page.keyboard.type('call us if it drops');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await page.keyboard.type('Our guide');
    await page.keyboard.press('Shift+Home');
    await toolbar.getByRole('button', { name: 'Link' }).click();
    await page.getByLabel('Link address').fill('https://shop.example/guide');
    await page.getByLabel('Link address').press('Enter');
    // The signature preview: the person's, then the mailbox's.
    await page.getByText('Kind regards, Sam Okafor').waitFor();
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'agent-composer');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.getByText('Reply queued for email.').waitFor();

    const sent: ComposedMail[] = [];
    await processOutboundQueue(deps, { send: async (mail) => { sent.push(mail); return { delivery: 'sent' as const }; } });
    expect(sent).toHaveLength(1);
    const built = await nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'crlf' }).sendMail(toNodemailer(sent[0] as ComposedMail));
    const raw = (built.message as Buffer).toString('utf8');
    expect(raw).toContain('multipart/alternative');
    const mail = await simpleParser(raw);
    const html = mail.html as string;
    expect(html).toContain('<strong>good news</strong>');
    expect(html).toMatch(/<ul><li><p>keep the router on<\/p><\/li><li><p>call us if it drops<\/p><\/li><\/ul>/);
    expect(html).toMatch(/<a href="https:\/\/shop\.example\/guide"[^>]*>Our guide<\/a>/);
    expect(html.indexOf('Kind regards, Sam Okafor')).toBeGreaterThan(html.indexOf('Our guide'));
    expect(html.indexOf('<em>Shop Support</em>')).toBeGreaterThan(html.indexOf('Kind regards, Sam Okafor'));
    expect(mail.text).toContain('Hello Grace, good news');
    expect(mail.text).toContain('Our guide [https://shop.example/guide]');
    expect(mail.text).toContain('-- \nKind regards, Sam Okafor');
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 120_000);

  it('shortcuts: ? lists them in a dialog, r focuses the reply, typing stays text, Esc leaves the editor, j/k step through the list', async () => {
    const { page, seen, close } = await open(agent);
    await page.goto('/tickets?view=all');
    await page.getByRole('link', { name: /Password reset/ }).waitFor();
    const order = await page.locator('a.ticket-link').evaluateAll((links) => links.map((a) => (a.getAttribute('href') ?? '').split('/').pop() ?? ''));
    expect(order.length).toBeGreaterThanOrEqual(3);
    // j on the list moves along the rows.
    await page.keyboard.press('j');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { className: string } | null } }).document.activeElement?.className)).toContain('ticket-link');

    await page.goto(`/tickets/${order[0]}`);
    await page.getByRole('textbox', { name: 'Reply to the customer' }).waitFor();
    await page.keyboard.press('?');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor();
    await dialog.getByText('Write a public reply').waitFor();
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'agent-shortcuts');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    await page.keyboard.press('r');
    await editorFocused(page);
    await page.keyboard.type('just jk text');
    await page.getByRole('textbox', { name: 'Reply to the customer' }).getByText('just jk text').waitFor();
    expect(page.url()).toContain(order[0] as string);
    await page.keyboard.press('Escape');
    expect(await activeId(page)).not.toBe('composer-body');

    await page.keyboard.press('j');
    await page.waitForURL(new RegExp(`/tickets/${order[1]}$`));
    await page.getByRole('heading', { level: 1 }).waitFor();
    await page.keyboard.press('k');
    await page.waitForURL(new RegExp(`/tickets/${order[0]}$`));
    // n opens an internal note.
    await page.getByRole('heading', { level: 1 }).waitFor();
    await page.getByRole('textbox', { name: 'Reply to the customer' }).waitFor();
    await page.keyboard.press('n');
    await page.getByRole('textbox', { name: 'Internal note (only staff see it)' }).waitFor();
    await editorFocused(page);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 120_000);
});
