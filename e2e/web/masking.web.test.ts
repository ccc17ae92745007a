/**
 * The field masking policy in Chromium: by default an agent sees the
 * requester's name in clear in the ticket list and the customer panel, the
 * email masked. An administrator changes the policy on the administration
 * page (agents: email in clear, name masked; a reason category); the agent's
 * list column and customer panel follow, and revealing the name asks for the
 * category. axe on both screens, CSP watched.
 */
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, buildUser, signInAs, type SignedIn, type TestOrg } from '../../src/identity/auth/testing.js';
import { buildCustomerWithTicket } from '../../src/helpdesk/portal/testing.js';
import { closeBrowser, describeWeb, launchBrowser, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

const EMAIL = 'wilma.arden@customer.example';

describeWeb('field masking policy', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;
  let admin: SignedIn;
  let agent: SignedIn;
  let ticket: Awaited<ReturnType<typeof buildCustomerWithTicket>>;

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    const { services } = server;
    org = await buildOrg(services, 'Northwind Traders');
    const team = await buildTeam(services, org, 'Billing');
    admin = await signInAs(server.app, await buildUser(services, org, { roles: ['administrator'], name: 'Grace Hopper', email: `grace-${randomUUID().slice(0, 6)}@northwind.example` }));
    agent = await signInAs(server.app, await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: 'Sam Okafor', email: `sam-${randomUUID().slice(0, 6)}@northwind.example` }));
    ticket = await buildCustomerWithTicket(services, { orgId: org.orgId, email: EMAIL, name: 'Wilma Arden', teamId: team, subject: 'Parcel never arrived' });
  });
  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  async function open(who: SignedIn) {
    const context = await staffContext(browser, server, who);
    const page = await context.newPage();
    return { page, seen: watchPage(page), close: () => context.close() };
  }

  it('by default an agent sees the requester’s name in clear in the list and the panel, the email masked', async () => {
    const agentView = await open(agent);
    const row = () => agentView.page.getByRole('row').filter({ hasText: 'Parcel never arrived' });
    await agentView.page.goto('/tickets?view=all');
    await row().getByRole('cell', { name: 'Wilma Arden' }).waitFor();
    await agentView.page.goto(`/tickets/${ticket.ticketId}`);
    const panel = agentView.page.getByRole('region', { name: 'Customer' });
    await panel.getByText('Wilma Arden').waitFor();
    await panel.getByText('w•••@customer.example').waitFor();
    await panel.getByRole('button', { name: 'Reveal Email' }).waitFor();
    expect(await panel.getByRole('button', { name: 'Reveal Name' }).count()).toBe(0);
    await agentView.close();
  }, 90_000);

  it('an administrator shows agents the email and masks the name, with reason categories', async () => {
    const { page, seen, close } = await open(admin);
    await page.goto('/admin/masking');
    await page.getByRole('heading', { level: 1, name: 'Field masking' }).waitFor();
    const table = page.getByRole('table', { name: /Customer fields shown in clear/ });
    await table.getByRole('checkbox', { name: 'Agent sees Name in clear' }).uncheck();
    await table.getByRole('checkbox', { name: 'Agent sees Email in clear' }).check();
    await page.getByLabel('Reason categories').fill('Refund\nDelivery problem');
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'admin-masking');
    await page.getByRole('button', { name: 'Save masking policy' }).click();
    await page.getByText('Saved').first().waitFor();
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 90_000);

  it('the agent’s list column and customer panel follow; revealing the name asks for a category', async () => {
    const agentView = await open(agent);
    const row = () => agentView.page.getByRole('row').filter({ hasText: 'Parcel never arrived' });
    const panel = agentView.page.getByRole('region', { name: 'Customer' });
    await agentView.page.goto('/tickets?view=all');
    await row().getByRole('cell', { name: 'W••• A•••' }).waitFor();
    expect(await row().textContent()).not.toContain('Wilma');
    await agentView.page.goto(`/tickets/${ticket.ticketId}`);
    await panel.getByText(EMAIL).waitFor();
    await panel.getByText('W••• A•••').waitFor();
    expect(await panel.getByRole('button', { name: 'Reveal Email' }).count()).toBe(0);
    await panel.getByRole('button', { name: 'Reveal Name' }).click();
    const dialog = agentView.page.getByRole('dialog', { name: 'Reveal Name' });
    await dialog.getByLabel('Reason category').selectOption('Delivery problem');
    await dialog.getByLabel('Reason', { exact: true }).fill('Courier needs the name for redelivery');
    expect(await runAxe(agentView.page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Reveal', exact: true }).click();
    await panel.getByText('Wilma Arden').waitFor();
    await snap(agentView.page, 'agent-masking-panel');
    expect(agentView.seen.cspViolations).toEqual([]);
    expect(agentView.seen.pageErrors).toEqual([]);
    await agentView.close();

    await server.services.audit.flush();
    const reveal = await server.services.database.db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', '=', 'customer.field.reveal').select(['details', 'purpose']).executeTakeFirstOrThrow();
    expect(reveal).toMatchObject({ purpose: 'Courier needs the name for redelivery', details: { field: 'name', category: 'Delivery problem' } });
  }, 90_000);
});
