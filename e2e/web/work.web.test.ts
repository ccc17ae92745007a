/**
 * Taking and sharing work in Chromium: an agent presses "Assign to me" (the button the `a` shortcut clicks) and
 * finds the ticket in Mine, then "Take next" opens the next waiting ticket; replying to an unassigned ticket
 * assigns it to the replier; a team lead saves the Unassigned view as a view shared with the team, and a team
 * mate sees it under "Views" with its count and opens it. axe on the list with views and the ticket page.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, buildUser, signInAs, type SignedIn, type TestOrg } from '../../src/identity/auth/testing.js';
import { createCustomer } from '../../src/helpdesk/customers/customers.service.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../../src/helpdesk/tickets/context.js';
import { insertMessage, insertTicket } from '../../src/helpdesk/tickets/records.js';
import { closeBrowser, describeWeb, launchBrowser, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

describeWeb('taking and sharing work', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;
  let team: string;
  let agent: SignedIn;
  let mate: SignedIn;
  let lead: SignedIn;
  let deps: HelpdeskDeps;
  let customerId: string;

  const ticket = async (subject: string) => {
    const t = await deps.db.transaction().execute(async (trx) => {
      const created = await insertTicket(trx, deps, { orgId: org.orgId, subject, channel: 'web', requesterId: customerId, teamId: team });
      await insertMessage(trx, deps, { orgId: org.orgId, ticketId: created.id, kind: 'public_reply', authorType: 'customer', customerId, body: `About: ${subject}`, redactions: [] });
      return created;
    });
    return t.id;
  };
  const assigneeOf = async (id: string) => (await deps.db.selectFrom('tickets').where('id', '=', id).select('assignee_id').executeTakeFirstOrThrow()).assignee_id;

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    const { services } = server;
    org = await buildOrg(services);
    team = await buildTeam(services, org, 'Billing desk');
    const person = (name: string, roles: Array<'agent' | 'supervisor'>) => buildUser(services, org, { roles, teamIds: [team], name, email: `${name.split(' ')[0]?.toLowerCase()}-${randomUUID().slice(0, 6)}@staff.example` });
    agent = await signInAs(server.app, await person('Ada Agent', ['agent']));
    mate = await signInAs(server.app, await person('Max Mate', ['agent']));
    lead = await signInAs(server.app, await person('Lea Lead', ['supervisor']));
    deps = await createHelpdeskDeps(services);
    customerId = (await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Cornelius Fudge', email: 'cf@customer.example' })).id;
  }, 120_000);
  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  async function open(who: SignedIn): Promise<{ page: Page; seen: ReturnType<typeof watchPage>; close: () => Promise<void> }> {
    const context = await staffContext(browser, server, who);
    const page = await context.newPage();
    return { page, seen: watchPage(page), close: () => context.close() };
  }

  it('an agent takes a ticket with "Assign to me" and finds it in Mine; "Take next" opens the next waiting one', async () => {
    const first = await ticket('Invoice shows the wrong VAT number');
    const { page, seen, close } = await open(agent);
    await page.goto(`/tickets/${first}`);
    await page.getByRole('heading', { level: 1, name: /wrong VAT number/ }).waitFor();
    const take = page.locator('[data-shortcut="a"]');
    expect(await take.textContent()).toBe('Assign to me');
    expect(await runAxe(page)).toEqual([]);
    await take.click();
    await take.waitFor({ state: 'detached' });
    expect(await assigneeOf(first)).toBe(agent.userId);

    await page.goto('/tickets?view=mine');
    await page.getByRole('row').filter({ hasText: 'wrong VAT number' }).waitFor();

    const second = await ticket('Refund for a double charge');
    await page.goto('/tickets?view=unassigned');
    await page.getByRole('button', { name: 'Take next' }).click();
    await page.waitForURL(new RegExp(`/tickets/${second}$`));
    expect(await assigneeOf(second)).toBe(agent.userId);
    await page.goto('/tickets?view=unassigned');
    await page.getByRole('button', { name: 'Take next' }).click();
    await page.getByText('Nothing is waiting in this view').waitFor();

    // Away in the top bar: a toggle whose state is announced, stored for automatic assignment to skip.
    const away = page.getByRole('button', { name: 'Away', exact: true });
    expect(await away.getAttribute('aria-pressed')).toBe('false');
    await away.click();
    await page.locator('button.away[aria-pressed="true"]').waitFor();
    expect((await server.services.database.db.selectFrom('users').where('id', '=', agent.userId).select('away').executeTakeFirstOrThrow()).away).toBe(true);
    expect(await runAxe(page)).toEqual([]);
    await away.click();
    await page.locator('button.away[aria-pressed="false"]').waitFor();
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 120_000);

  it('replying to an unassigned ticket assigns it to the replier', async () => {
    const id = await ticket('Card declined at checkout');
    const { page, seen, close } = await open(mate);
    await page.goto(`/tickets/${id}`);
    await page.getByRole('heading', { level: 1, name: /Card declined/ }).waitFor();
    await page.getByLabel('Reply to the customer').fill('Please try again now, the block is lifted.');
    await page.getByRole('button', { name: 'Send reply' }).click();
    // The assignment box now says it is yours, and the take button is gone.
    await page.locator('[data-shortcut="a"]').waitFor({ state: 'detached' });
    expect(await assigneeOf(id)).toBe(mate.userId);
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 120_000);

  it('a lead shares a view with the team; a team mate sees it with its count and opens it', async () => {
    await ticket('Quote for twelve seats');
    await ticket('Change of billing address');
    const lp = await open(lead);
    await lp.page.goto('/tickets?view=unassigned');
    await lp.page.getByRole('button', { name: 'Save view' }).click();
    const dialog = lp.page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('Waiting in billing');
    await dialog.getByLabel('Who sees it').selectOption({ label: 'Billing desk' });
    await dialog.getByRole('button', { name: 'Save' }).click();
    await lp.page.waitForURL(/saved=/);
    await lp.close();

    const { page, seen, close } = await open(agent);
    await page.goto('/tickets');
    const views = page.getByRole('navigation', { name: 'Views' });
    const link = views.getByRole('link', { name: /Waiting in billing/ });
    await link.getByText('2', { exact: true }).waitFor();
    await link.click();
    await page.getByRole('row').filter({ hasText: 'Quote for twelve seats' }).waitFor();
    await page.getByRole('row').filter({ hasText: 'Change of billing address' }).waitFor();
    // A team mate may use it, not change it.
    expect(await page.getByRole('button', { name: 'Edit view' }).count()).toBe(0);
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'work-saved-view');
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 120_000);
});
