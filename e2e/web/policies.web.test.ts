/**
 * Data-handling policies in Chromium (decisions 0212–0214), one app: an administrator writes, previews (with the
 * generated part) and publishes a new internal policy for agents; an agent opening the console is asked to read
 * and confirm it before working, does, and reaches the tickets; the security officer's list shows the agent who
 * has not confirmed; a customer who emailed a card number is told once about the secure way, and the policy link
 * in that sent mail's text opens the public policy in the portal without signing in. axe on each screen; CSP watched.
 */
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, buildUser, signInAs, type SignedIn, type TestOrg } from '../../src/identity/auth/testing.js';
import type { ComposedMail } from '../../src/helpdesk/mail/compose.js';
import { processOutboundQueue } from '../../src/helpdesk/mail/outbound-queue.js';
import { createDefaultHooks } from '../../src/helpdesk/ingest/hooks.js';
import { ingestInboundEmail } from '../../src/helpdesk/ingest/pipeline.js';
import { createHelpdeskDeps } from '../../src/helpdesk/tickets/context.js';
import { seedMailbox } from '../../src/helpdesk/tickets/testing.js';
import { MemoryBlobStore } from '../../src/protection/blobs/store.js';
import { closeBrowser, describeWeb, launchBrowser, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

describeWeb('data-handling policies', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;
  let team: string;
  let admin: SignedIn;
  let agent: SignedIn;
  let officer: SignedIn;
  const lateName = `Lee Later ${randomUUID().slice(0, 4)}`;

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    const { services } = server;
    org = await buildOrg(services, 'Northwind Traders');
    team = await buildTeam(services, org, 'Support');
    admin = await signInAs(server.app, await buildUser(services, org, { roles: ['administrator'], name: 'Ada Admin', email: `ada-${randomUUID().slice(0, 6)}@northwind.example` }));
    agent = await signInAs(server.app, await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: 'Sam Okafor', email: `sam-${randomUUID().slice(0, 6)}@northwind.example` }));
    await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: lateName, email: `lee-${randomUUID().slice(0, 6)}@northwind.example` });
    officer = await signInAs(server.app, await buildUser(services, org, { roles: ['security_officer'], name: 'Ines Officer', email: `ines-${randomUUID().slice(0, 6)}@northwind.example` }));
  });
  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  it('an administrator publishes an internal policy; an agent confirms it before working; the officer sees who has not', async () => {
    const adminContext = await staffContext(browser, server, admin);
    const page = await adminContext.newPage();
    const seen = watchPage(page);
    await page.goto('/admin/policies');
    await page.getByLabel('Title').fill('Handling customer data');
    await page.getByLabel('Policy text (Markdown)').fill('# Our rules\n\n- Never copy customer data to a personal device.\n- Send anything sensitive as a **secure message**.\n\n<script>alert(1)</script>');
    await page.getByLabel('Agent', { exact: true }).check();
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByText('Draft saved.').waitFor();
    const preview = page.getByTestId('policy-preview');
    await preview.getByText('secure message').waitFor();
    expect(await preview.locator('script').count()).toBe(0);
    await page.getByRole('region', { name: 'Generated from the settings in force' }).getByText('Who sees which customer fields in clear').waitFor();
    expect(await runAxe(page)).toEqual([]);
    await page.getByRole('button', { name: 'Publish as a new version' }).click();
    await page.getByText('Version 1 published.').waitFor();
    await page.getByRole('table', { name: 'Published versions' }).getByText('In force').waitFor();
    await snap(page, 'admin-policies');
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await adminContext.close();

    const agentContext = await staffContext(browser, server, agent);
    const agentPage = await agentContext.newPage();
    const agentSeen = watchPage(agentPage);
    await agentPage.goto('/tickets');
    await agentPage.getByRole('heading', { level: 1, name: 'Please read and confirm our data-handling policy' }).waitFor();
    await agentPage.getByText('Never copy customer data to a personal device.').waitFor();
    expect(await runAxe(agentPage)).toEqual([]);
    await snap(agentPage, 'policy-attest');
    await agentPage.getByRole('button', { name: 'I have read it and will follow it' }).first().click();
    await agentPage.getByRole('heading', { level: 1, name: 'Please read and confirm our data-handling policy' }).waitFor({ state: 'detached' });
    const me = await server.app.inject({ url: '/api/policies/me', headers: agent.headers });
    expect(me.json()).toMatchObject({ pending: false, attestations: [{ version: 1 }] });
    expect(agentSeen.cspViolations).toEqual([]);
    expect(agentSeen.pageErrors).toEqual([]);
    await agentContext.close();

    const officerContext = await staffContext(browser, server, officer);
    const officerPage = await officerContext.newPage();
    await officerPage.goto('/training/policy');
    const table = officerPage.getByRole('table', { name: 'People who have not confirmed the policy in force' });
    await table.getByText(lateName).waitFor();
    expect(await table.getByText('Sam Okafor').count()).toBe(0);
    expect(await runAxe(officerPage)).toEqual([]);
    await officerContext.close();
  }, 120_000);

  it('a customer who emailed a card number gets the secure way once, and the footer link opens the public policy', async () => {
    const { services } = server;
    const draft = await server.app.inject({ method: 'PUT', url: '/api/policies/public/draft', headers: admin.headers, payload: { title: 'How Northwind handles your data', bodyMarkdown: 'We keep your data **encrypted** and never sell it.', audience: [] } });
    expect(draft.statusCode, draft.body).toBe(200);
    expect((await server.app.inject({ method: 'POST', url: '/api/policies/public/publish', headers: admin.headers, payload: { effectiveAt: new Date().toISOString() } })).statusCode).toBe(201);

    const address = `help-${randomUUID().slice(0, 6)}@northwind.example`;
    const mailboxId = await seedMailbox(services.database.db, org.orgId, address, team);
    const deps = await createHelpdeskDeps(services);
    const hooks = { ...createDefaultHooks(), analyzeThreats: async () => ({ score: 0, verdict: 'clean' as const, reasons: [] }) };
    const raw = Buffer.from(`From: Mia <mia@reader.example>\r\nTo: ${address}\r\nSubject: Refund please\r\nMessage-ID: <policy-web-${randomUUID()}@reader.example>\r\n\r\nMy card is 4111 1111 1111 1111.\r\n`);
    await ingestInboundEmail(deps, { hooks, blobs: new MemoryBlobStore(), maxAttachmentBytes: 100_000 }, { raw, mailFrom: 'mia@reader.example', rcptTo: [address] }, [{ id: mailboxId, orgId: org.orgId, address, teamId: team }]);
    const sent: ComposedMail[] = [];
    await processOutboundQueue(deps, { send: async (m) => (sent.push(m), { delivery: 'sent' as const }) }, { limit: 50, blobs: new MemoryBlobStore() });
    const notice = sent.find((m) => m.to === 'mia@reader.example');
    expect(notice?.text).toContain('We will never ask for your full card number or password by email');
    const link = /(https?:\/\/\S+\/portal\/policy\?org=[0-9a-f-]+)/.exec(notice?.text ?? '')?.[1];
    expect(link).toBeDefined();

    const context = await browser.newContext();
    const page = await context.newPage();
    const seen = watchPage(page);
    await page.goto(link!);
    await page.getByRole('heading', { level: 1, name: 'How Northwind handles your data' }).waitFor();
    await page.getByText('We will never ask for your full card number or password by email').waitFor();
    expect(await page.locator('.kb-article strong').textContent()).toBe('encrypted');
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'portal-policy');
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await context.close();
  }, 90_000);
});
