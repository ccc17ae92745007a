/**
 * The agent console in Chromium: an email arrives through the ingest pipeline,
 * an agent opens it from the console's view, reads the sanitised HTML in its
 * sandboxed frame and answers with the keyboard only; the reply leaves through
 * the outbound queue to the customer. A suspicious email shows the phishing
 * banner with its reasons and its links go through the warning page. An agent
 * whose role lacks customers.reveal sees no Reveal button and gets 403 when
 * calling the API from the page anyway. The composer uploads a file onto a note,
 * and a reply holding sensitive data goes as a secure message after the DLP
 * check. A team lead finds a ticket by number, words and the customer's
 * address, hands it to a colleague picked by name, and changes several tickets
 * at once (an agent sees no selection boxes). axe on the list, the
 * ticket page, the banner and the warnings.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, buildUser, signInAs, type SignedIn, type TestOrg } from '../../src/identity/auth/testing.js';
import { LocalBlobStore } from '../../src/protection/blobs/store.js';
import { createDefaultHooks, type IngestHooks } from '../../src/helpdesk/ingest/hooks.js';
import { ingestInboundEmail } from '../../src/helpdesk/ingest/pipeline.js';
import type { ComposedMail } from '../../src/helpdesk/mail/compose.js';
import { processOutboundQueue } from '../../src/helpdesk/mail/outbound-queue.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../../src/helpdesk/tickets/context.js';
import { insertMessage, insertTicket } from '../../src/helpdesk/tickets/records.js';
import { seedMailbox } from '../../src/helpdesk/tickets/testing.js';
import { closeBrowser, describeWeb, launchBrowser, pageFetch, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

const MAILBOX = 'help@agent-console.example';
const CUSTOMER = 'grace.hopper@customer.example';
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const REPLY = 'Thanks Grace, the replacement router ships today.';

function htmlEmail(): Buffer {
  return Buffer.from(
    [
      `From: Grace Hopper <${CUSTOMER}>`,
      `To: ${MAILBOX}`,
      'Subject: Router keeps dropping the connection',
      `Message-ID: <${randomUUID()}@customer.example>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/related; boundary="rel"',
      '',
      '--rel',
      'Content-Type: multipart/alternative; boundary="alt"',
      '',
      '--alt',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hello, my router drops the connection every hour. Photo attached.',
      '--alt',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p style="color:#1a4d8f">Hello, my router <b>drops the connection</b> every hour.</p><script>document.title="pwned"</script><img src="cid:photo@customer.example" alt="router photo"><img src="https://tracker.example/open.gif" alt="tracker">',
      '--alt--',
      '--rel',
      'Content-Type: image/png',
      'Content-Transfer-Encoding: base64',
      'Content-ID: <photo@customer.example>',
      'Content-Disposition: inline; filename="router.png"',
      '',
      PNG,
      '--rel--',
      '',
    ].join('\r\n'),
  );
}

function suspiciousEmail(): Buffer {
  return Buffer.from(
    [
      'From: IT Service Desk <it-desk@secure-mailbox-verify.example>',
      `To: ${MAILBOX}`,
      'Subject: Mailbox quota exceeded',
      `Message-ID: <${randomUUID()}@secure-mailbox-verify.example>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Your mailbox is full. Verify your password at https://secure-mailbox-verify.example/login today.',
      '',
    ].join('\r\n'),
  );
}

describeWeb('agent console', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;
  let team: string;
  let agent: SignedIn;
  let trainee: SignedIn;
  let deps: HelpdeskDeps;
  let routerTicket: string;
  let phishTicket: string;

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    const { services } = server;
    org = await buildOrg(services);
    team = await buildTeam(services, org, 'Home broadband');
    agent = await signInAs(server.app, await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: 'Sam Okafor', email: `sam-${randomUUID().slice(0, 6)}@staff.example` }));

    // A custom role for new starters: tickets and masked customers, but no reveal.
    const db = services.database.db;
    const roleId = randomUUID();
    await db.insertInto('roles').values({ id: roleId, org_id: org.orgId, key: 'trainee', name: 'Trainee' }).execute();
    for (const permission of ['tickets.read', 'tickets.write', 'customers.read']) await db.insertInto('role_permissions').values({ role_id: roleId, permission, scope: 'team' }).execute();
    const traineeUser = await buildUser(services, org, { roles: [], teamIds: [team], name: 'Tom Trainee', email: `tom-${randomUUID().slice(0, 6)}@staff.example` });
    await db.insertInto('user_roles').values({ user_id: traineeUser.userId, role_id: roleId, granted_by: null }).execute();
    trainee = await signInAs(server.app, traineeUser);

    const mailbox = await seedMailbox(db, org.orgId, MAILBOX, team);
    deps = await createHelpdeskDeps(services);
    const routes = [{ id: mailbox, orgId: org.orgId, address: MAILBOX, teamId: team }];
    const blobs = new LocalBlobStore(services.config.blobDirPath);
    // Verdicts are fixed here; the analyzer itself is tested in src/threats/phishing.
    const clean: IngestHooks = { ...createDefaultHooks(), analyzeThreats: async () => ({ score: 2, verdict: 'clean' as const, reasons: [] }) };
    const suspicious: IngestHooks = {
      ...createDefaultHooks(),
      analyzeThreats: async () => ({
        score: 71,
        verdict: 'suspicious' as const,
        reasons: [
          { code: 'content.credentials', weight: 0.6, evidence: 'asks you to verify your password' },
          { code: 'sender.first_contact', weight: 0.2, evidence: 'first email from secure-mailbox-verify.example' },
        ],
      }),
    };
    const [first] = await ingestInboundEmail(deps, { hooks: clean, blobs, maxAttachmentBytes: 1_000_000 }, { raw: htmlEmail(), mailFrom: CUSTOMER, rcptTo: [MAILBOX] }, routes);
    const [second] = await ingestInboundEmail(deps, { hooks: suspicious, blobs, maxAttachmentBytes: 1_000_000 }, { raw: suspiciousEmail(), mailFrom: 'it-desk@secure-mailbox-verify.example', rcptTo: [MAILBOX] }, routes);
    expect(first).toMatchObject({ outcome: 'ticket_created' });
    expect(second).toMatchObject({ outcome: 'ticket_created' });
    routerTicket = (first as { ticketId: string }).ticketId;
    phishTicket = (second as { ticketId: string }).ticketId;
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

  it('an email arrives; the agent opens it from the unassigned view and answers with the keyboard; the reply goes to the customer', async () => {
    const { page, seen, close } = await open(agent);
    await page.goto('/tickets');
    const views = page.getByRole('navigation', { name: 'Ticket views' });
    await views.getByRole('link', { name: /Unassigned/ }).click();
    await page.waitForURL(/view=unassigned/);
    const row = page.getByRole('row').filter({ hasText: 'Router keeps dropping the connection' });
    await row.waitFor();
    // The count of the view says 2 open unassigned tickets.
    await views.getByRole('link', { name: /Unassigned/ }).getByText('2').waitFor();
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'agent-ticket-list');

    await row.getByRole('link').click();
    await page.waitForURL(new RegExp(`/tickets/${routerTicket}$`));
    await page.getByRole('heading', { level: 1, name: /Router keeps dropping the connection/ }).waitFor();
    expect(await page.evaluate(() => performance.getEntriesByName('td:ticket-ready').length)).toBe(1);

    // The email's HTML in a frame with an empty sandbox, remote content blocked, the inline photo shown.
    const frame = page.locator('iframe.msg__frame');
    expect(await frame.getAttribute('sandbox')).toBe('');
    expect(await frame.getAttribute('src')).toContain('/html?remote=0');
    await frame.scrollIntoViewIfNeeded();
    const content = await (await frame.elementHandle())?.contentFrame();
    expect(content).toBeTruthy();
    await content?.getByText('drops the connection').waitFor();
    const html = (await content?.content()) ?? '';
    expect(html).toContain('drops the connection');
    expect(html).toContain('style="color:#1a4d8f"');
    expect(html).toContain('src="data:image/png;base64,');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('tracker.example/open.gif"');
    expect(await page.title()).not.toContain('pwned');
    await page.evaluate(() => (globalThis as unknown as { scrollTo: (x: number, y: number) => void }).scrollTo(0, 0));
    await snap(page, 'agent-ticket');
    await page.getByRole('button', { name: 'Load remote content' }).click();
    expect(await frame.getAttribute('src')).toContain('/html?remote=1');

    // Keyboard only: focus the reply box, type, Tab to the send button, Enter.
    await page.getByLabel('Reply to the customer').focus();
    await page.keyboard.type(REPLY);
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string | null } | null } }).document.activeElement?.textContent)) === 'Send reply') break;
    }
    await page.keyboard.press('Enter');
    await page.getByText('Reply queued for email.').waitFor();
    await page.getByRole('article', { name: 'Your reply' }).getByText(REPLY).waitFor();
    expect(await runAxe(page)).toEqual([]);

    const sent: ComposedMail[] = [];
    const result = await processOutboundQueue(deps, { send: async (mail) => { sent.push(mail); return { delivery: 'sent' as const }; } });
    expect(result.sent).toBe(1);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.to).toBe(CUSTOMER);
    expect(sent[0]?.text).toContain(REPLY);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 120_000);

  it('a suspicious email shows the phishing banner with its reasons, and its link opens through the warning page', async () => {
    const { page, seen, close } = await open(agent);
    await page.goto(`/tickets/${phishTicket}`);
    const banner = page.getByRole('alert').filter({ hasText: 'This email looks suspicious' });
    await banner.waitFor();
    await banner.getByText('asks you to verify your password').waitFor();
    await page.getByRole('button', { name: 'Report phishing' }).waitFor();
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'agent-phishing-banner');
    const link = page.getByRole('link', { name: 'https://secure-mailbox-verify.example/login' });
    expect(await link.getAttribute('href')).toMatch(/^\/link\?url=https%3A%2F%2Fsecure-mailbox-verify\.example%2Flogin&ticket=/);
    await link.click();
    await page.getByRole('heading', { level: 1, name: 'Before you open this link' }).waitFor();
    await page.getByText('This link looks risky').waitFor();
    const openAnyway = page.getByRole('link', { name: 'Open anyway' });
    expect(await openAnyway.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await openAnyway.getAttribute('href')).toBe('https://secure-mailbox-verify.example/login');
    expect(await runAxe(page)).toEqual([]);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 90_000);

  it('an agent whose role lacks customers.reveal sees masked fields and no Reveal button, and the API refuses them (403)', async () => {
    const { page, seen, close } = await open(trainee);
    await page.goto(`/tickets/${routerTicket}`);
    const panel = page.getByRole('region', { name: 'Customer' });
    await panel.getByText('Email').waitFor();
    expect(await panel.textContent()).not.toContain(CUSTOMER);
    expect(await page.getByRole('button', { name: /Reveal/ }).count()).toBe(0);
    const customerId = (await pageFetch(page, 'GET', `/api/tickets/${routerTicket}`)).body as { requesterId: string };
    const refused = await pageFetch(page, 'POST', `/api/customers/${customerId.requesterId}/reveal`, { field: 'email', reason: 'Just curious about it' });
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).not.toContain(CUSTOMER);

    // The agent, who may reveal, sees the button (control for the test above).
    const agentView = await open(agent);
    await agentView.page.goto(`/tickets/${routerTicket}`);
    await agentView.page.getByRole('button', { name: 'Reveal Email' }).waitFor();
    await agentView.close();
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 90_000);

  it('the composer uploads a file onto an internal note, and a reply holding sensitive data is offered as a secure message instead', async () => {
    const { page, seen, close } = await open(agent);
    await page.goto(`/tickets/${routerTicket}`);
    await page.getByRole('heading', { level: 1, name: /Router keeps dropping/ }).waitFor();
    await page.getByLabel('Internal note').check();
    // A wrong file, removed before sending, leaves nothing on the ticket.
    await page.getByLabel('Attach files').setInputFiles({ name: 'other-customer.txt', mimeType: 'text/plain', buffer: Buffer.from('not for this ticket\n') });
    await page.getByRole('button', { name: 'Remove other-customer.txt' }).click();
    await page.getByRole('button', { name: 'Remove other-customer.txt' }).waitFor({ state: 'detached' });
    const leftover = await server.services.database.db.selectFrom('attachments').innerJoin('messages', 'messages.id', 'attachments.message_id').where('messages.ticket_id', '=', routerTicket).where('attachments.size', '=', 20).select('attachments.id').execute();
    expect(leftover).toEqual([]);
    await page.getByLabel('Attach files').setInputFiles({ name: 'modem-log.txt', mimeType: 'text/plain', buffer: Buffer.from('sync lost at 03:00\n') });
    await page.getByRole('button', { name: 'Remove modem-log.txt' }).waitFor();
    await page.getByLabel('Internal note (only staff see it)').fill('Modem log from the line test.');
    await page.getByRole('button', { name: 'Add note' }).click();
    await page.getByText('Note added.').waitFor();
    const note = page.getByRole('article', { name: 'Your internal note' });
    const file = note.getByRole('link', { name: 'modem-log.txt' });
    await file.waitFor();
    expect(await file.getAttribute('href')).toMatch(new RegExp(`^/api/tickets/${routerTicket}/attachments/[0-9a-f-]{36}$`));
    const download = await pageFetch(page, 'GET', (await file.getAttribute('href')) ?? '');
    expect(download).toEqual({ status: 200, body: 'sync lost at 03:00\n' });

    await page.getByLabel('Public reply').check();
    await page.getByLabel('Reply to the customer').fill('Your refund goes to IBAN GB82 WEST 1234 5698 7654 32 tomorrow.');
    await page.getByRole('button', { name: 'Send reply' }).click();
    const warning = page.getByRole('alert').filter({ hasText: 'would go by plain email' });
    await warning.getByText('Bank account (IBAN)', { exact: true }).waitFor();
    expect(await runAxe(page)).toEqual([]);
    await warning.getByRole('button', { name: 'Send as secure message' }).click();
    await page.getByText('Sent as a secure message.').waitFor();
    const secure = await server.services.database.db.selectFrom('secure_messages').where('ticket_id', '=', routerTicket).select('id').execute();
    expect(secure).toHaveLength(1);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 90_000);

  it('a team lead finds the ticket by number, by a word and by the customer’s address, and hands it from the agent who replied to a colleague by name', async () => {
    const lead = await signInAs(server.app, await buildUser(server.services, org, { roles: ['supervisor'], teamIds: [team], name: 'Lee Lead', email: `lee-${randomUUID().slice(0, 6)}@staff.example` }));
    const { number } = await server.services.database.db.selectFrom('tickets').where('id', '=', routerTicket).select('number').executeTakeFirstOrThrow();
    const { page, seen, close } = await open(lead);
    await page.goto('/tickets');
    const searchBox = page.getByRole('searchbox', { name: 'Search tickets' });
    const results = page.getByRole('table', { name: /^Search: / });
    for (const query of [`#${number}`, 'router', CUSTOMER]) {
      await searchBox.fill(query);
      await searchBox.press('Enter');
      await page.waitForURL(new RegExp(`[?&]q=${encodeURIComponent(query).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      await results.getByRole('row').filter({ hasText: 'Router keeps dropping the connection' }).waitFor();
      expect(await results.getByRole('row').filter({ hasText: 'Mailbox quota exceeded' }).count()).toBe(0);
    }
    await searchBox.fill('zeppelin');
    await searchBox.press('Enter');
    await page.getByText('No tickets you can see match this search.').waitFor();
    expect(await runAxe(page)).toEqual([]);

    const note = await server.app.inject({ method: 'POST', url: `/api/tickets/${routerTicket}/notes`, headers: agent.headers, payload: { body: 'Line test booked for Friday.' } });
    expect(note.statusCode).toBe(201);
    await page.goto(`/tickets/${routerTicket}`);
    const picker = page.getByLabel('Assign to');
    await picker.waitFor();
    // Colleagues of the ticket's team who work tickets, the lead first named as "(you)".
    const choices = await picker.locator('option').allTextContents();
    expect(choices).toEqual(expect.arrayContaining(['Unassigned', 'Sam Okafor', 'Tom Trainee', 'Lee Lead (you)']));
    // Sam's reply assigned the ticket to Sam (assign on reply); the lead hands it to Tom.
    expect(await picker.inputValue()).toBe(agent.userId);
    await picker.selectOption({ label: 'Tom Trainee' });
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    const details = page.getByRole('region', { name: 'Details' });
    await details.getByRole('definition').filter({ hasText: 'Tom Trainee' }).waitFor();
    // Sam's note is named for the lead.
    await page.getByRole('article', { name: 'Internal note by Sam Okafor' }).getByText('Line test booked for Friday.').waitFor();
    expect(await runAxe(page)).toEqual([]);
    const row = await server.services.database.db.selectFrom('tickets').where('id', '=', routerTicket).select('assignee_id').executeTakeFirstOrThrow();
    expect(row.assignee_id).toBe(trainee.userId);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 90_000);

  it('a team lead changes the priority and tags of several tickets at once, then merges them; an agent has no selection boxes', async () => {
    const lead = await signInAs(server.app, await buildUser(server.services, org, { roles: ['supervisor'], teamIds: [team], name: 'Lea Bulk', email: `lea-${randomUUID().slice(0, 6)}@staff.example` }));
    const { page, seen, close } = await open(lead);
    await page.goto('/tickets?view=my_team');
    const table = page.getByRole('table', { name: /My team/ });
    await table.getByRole('row').filter({ hasText: 'Router keeps dropping the connection' }).waitFor();
    await page.getByRole('checkbox', { name: 'Select all tickets shown' }).check();
    const bar = page.getByRole('form', { name: 'Change the selected tickets' });
    await bar.getByText('2 tickets selected').waitFor();
    await bar.getByLabel('Priority').selectOption({ label: 'High' });
    await bar.getByLabel('Add tag').fill('outage');
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'agent-bulk');
    await bar.getByRole('button', { name: 'Apply to 2 tickets' }).click();
    await page.getByText('Updated 2 tickets.').waitFor();
    const rows = await server.services.database.db.selectFrom('tickets').where('id', 'in', [routerTicket, phishTicket]).select(['priority', 'tags']).execute();
    expect(rows.map((r) => [r.priority, r.tags.includes('outage')])).toEqual([['high', true], ['high', true]]);
    // The bar is gone with the selection; one box unticked leaves one selected.
    expect(await bar.count()).toBe(0);
    await page.getByRole('checkbox', { name: 'Select all tickets shown' }).check();
    await page.getByRole('checkbox', { name: /^Select ticket #/ }).first().uncheck();
    await bar.getByText('1 ticket selected').waitFor();
    await bar.getByRole('button', { name: 'Clear selection' }).click();
    expect(await bar.count()).toBe(0);

    // Merge: the suspicious one into the router ticket, chosen in the dialog.
    const { number: routerNumber } = await server.services.database.db.selectFrom('tickets').where('id', '=', routerTicket).select('number').executeTakeFirstOrThrow();
    await page.getByRole('checkbox', { name: 'Select all tickets shown' }).check();
    await bar.getByRole('button', { name: 'Merge…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Merge 2 tickets into one' });
    await dialog.getByLabel('Ticket to keep').selectOption({ label: `#${routerNumber} Router keeps dropping the connection` });
    expect(await runAxe(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Merge', exact: true }).click();
    await page.getByText(`Merged 1 ticket into #${routerNumber}.`).waitFor();
    const merged = await server.services.database.db.selectFrom('tickets').where('id', '=', phishTicket).select(['status', 'merged_into_id']).executeTakeFirstOrThrow();
    expect(merged).toEqual({ status: 'closed', merged_into_id: routerTicket });
    // The merged ticket says where its conversation went.
    await page.goto(`/tickets/${phishTicket}`);
    await page.getByRole('link', { name: `Open ticket #${routerNumber}` }).click();
    await page.waitForURL(new RegExp(`/tickets/${routerTicket}$`));
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await close();

    const agentView = await open(agent);
    await agentView.page.goto('/tickets?view=my_team');
    await agentView.page.getByRole('row').filter({ hasText: 'Router keeps dropping the connection' }).waitFor();
    expect(await agentView.page.getByRole('checkbox').count()).toBe(0);
    await agentView.close();
  }, 90_000);

  it('a team lead splits a message off into a new ticket with its own subject', async () => {
    const lead = await signInAs(server.app, await buildUser(server.services, org, { roles: ['supervisor'], teamIds: [team], name: 'Sid Split', email: `sid-${randomUUID().slice(0, 6)}@staff.example` }));
    const { requester_id: requesterId } = await server.services.database.db.selectFrom('tickets').where('id', '=', routerTicket).select('requester_id').executeTakeFirstOrThrow();
    // One transaction each: on PostgreSQL rows of one transaction share its timestamp.
    const made = await deps.db.transaction().execute((trx) => insertTicket(trx, deps, { orgId: org.orgId, subject: 'Two questions at once', channel: 'web', requesterId, teamId: team }));
    for (const body of ['My router restarts at night.', 'Also, please change my billing address.']) {
      await deps.db.transaction().execute((trx) => insertMessage(trx, deps, { orgId: org.orgId, ticketId: made.id, kind: 'inbound_email', authorType: 'customer', customerId: requesterId, body }));
    }
    const { page, seen, close } = await open(lead);
    await page.goto(`/tickets/${made.id}`);
    await page.getByRole('button', { name: 'Split…' }).click();
    const dialog = page.getByRole('dialog', { name: `Split messages off ticket #${made.number}` });
    await dialog.locator('.field--check').filter({ hasText: 'Also, please change my billing address.' }).getByRole('checkbox').check();
    await dialog.getByLabel('Subject of the new ticket').fill('Billing address change');
    expect(await runAxe(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Split into a new ticket' }).click();
    await page.getByRole('heading', { level: 1, name: /Billing address change/ }).waitFor();
    await page.getByText('Also, please change my billing address.').waitFor();
    expect(await page.getByText('My router restarts at night.').count()).toBe(0);
    const left = await server.services.database.db.selectFrom('messages').where('ticket_id', '=', made.id).select('id').execute();
    expect(left).toHaveLength(1);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await close();

    // An agent (no tickets.bulk) has no Split button.
    const agentView = await open(agent);
    await agentView.page.goto(`/tickets/${made.id}`);
    await agentView.page.getByRole('heading', { level: 1, name: /Two questions at once/ }).waitFor();
    expect(await agentView.page.getByRole('button', { name: 'Split…' }).count()).toBe(0);
    await agentView.close();
  }, 90_000);
});
