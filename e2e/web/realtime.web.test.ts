/**
 * The live console in Chromium: with the agent's list open, a ticket arriving in
 * their team's queue and a lead's assignment show up without a reload (well
 * inside the 30-second poll); with a ticket open and a draft typed, a lead's note
 * appears and the draft is still there. No CSP violation (the socket is 'self').
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, buildUser, signInAs, type TestOrg } from '../../src/identity/auth/testing.js';
import { createCustomer } from '../../src/helpdesk/customers/customers.service.js';
import { createHelpdeskDeps } from '../../src/helpdesk/tickets/context.js';
import { insertTicket } from '../../src/helpdesk/tickets/records.js';
import { closeBrowser, describeWeb, launchBrowser, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

describeWeb('the live console', (kind) => {
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

  it('a new ticket, a lead’s assignment and a lead’s note appear without a reload; the draft stays', async () => {
    const team = await buildTeam(server.services, org);
    const lead = await signInAs(server.app, await buildUser(server.services, org, { roles: ['supervisor'], teamIds: [team], name: 'Lena Lead' }));
    const agent = await signInAs(server.app, await buildUser(server.services, org, { roles: ['agent'], teamIds: [team], name: 'Ada Agent' }));
    const deps = await createHelpdeskDeps(server.services);
    const { id: customerId } = await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Cora Customer', email: 'cora@example.org' });
    const newTicket = (subject: string) => deps.db.transaction().execute((trx) => insertTicket(trx, deps, { orgId: org.orgId, subject, channel: 'web', requesterId: customerId, teamId: team }));
    await newTicket('Kettle leaks');

    const context = await staffContext(browser, server, agent);
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    const seen = watchPage(page);
    await page.goto('/tickets?view=my_team');
    await page.getByRole('row').filter({ hasText: 'Kettle leaks' }).waitFor();
    // Let the socket open before the changes (the list refetches on connect anyway).
    await page.waitForTimeout(500);

    const arrived = await newTicket('Toaster sparks');
    await page.getByRole('row').filter({ hasText: 'Toaster sparks' }).waitFor({ timeout: 8000 });

    const res = await server.app.inject({ method: 'POST', url: `/api/tickets/${arrived.id}/assignment`, headers: lead.headers, payload: { assigneeId: lead.userId } });
    expect(res.statusCode).toBe(200);
    await page.getByRole('row').filter({ hasText: 'Toaster sparks' }).filter({ hasText: 'Lena Lead' }).waitFor({ timeout: 8000 });

    await page.goto(`/tickets/${arrived.id}`);
    await page.getByRole('heading', { level: 1, name: /Toaster sparks/ }).waitFor();
    const editor = page.getByRole('textbox', { name: 'Reply to the customer' });
    await editor.click();
    await page.keyboard.type('Half-written answer');
    await page.waitForTimeout(300);
    const note = await server.app.inject({ method: 'POST', url: `/api/tickets/${arrived.id}/notes`, headers: lead.headers, payload: { body: 'Customer called again.' } });
    expect(note.statusCode).toBe(201);
    await page.getByRole('article', { name: 'Internal note by Lena Lead' }).getByText('Customer called again.').waitFor({ timeout: 8000 });
    expect(await editor.textContent()).toContain('Half-written answer');
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await context.close();
  });
});
