/**
 * Security incidents in Chromium (decision 0195): an agent's phishing report becomes an incident with one
 * click, its evidence attached; the reporter's session is ended as a containment action (and is really dead);
 * the incident is marked a personal-data breach, the 72-hour clock and the notification record appear; the
 * downloaded evidence bundle verifies offline with `trustdesk audit verify --bundle`. Each page passes axe-core.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, buildUser, signInAs, type SignedIn, type TestOrg } from '../../src/identity/auth/testing.js';
import { createDefaultHooks } from '../../src/helpdesk/ingest/hooks.js';
import { ingestInboundEmail } from '../../src/helpdesk/ingest/pipeline.js';
import { createHelpdeskDeps } from '../../src/helpdesk/tickets/context.js';
import { seedMailbox } from '../../src/helpdesk/tickets/testing.js';
import { MemoryBlobStore } from '../../src/protection/blobs/store.js';
import { verifyBundleZip } from '../../src/threats/incidents/testing.js';
import { closeBrowser, describeWeb, launchBrowser, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

const MAILBOX = 'support@fabrikam.example';

describeWeb('security incidents', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;
  let officer: SignedIn;
  let agent: SignedIn;
  let context: BrowserContext | undefined;
  let page: Page;
  let seen: ReturnType<typeof watchPage>;
  let incidentId = '';

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    const services = server.services;
    org = await buildOrg(services, 'Fabrikam Support');
    const team = await buildTeam(services, org, 'Billing');
    agent = await signInAs(server.app, await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: 'Sam Okafor', email: `sam-${randomUUID().slice(0, 6)}@staff.example` }));
    officer = await signInAs(server.app, await buildUser(services, org, { roles: ['security_officer'], name: 'Priya Raman', email: `priya-${randomUUID().slice(0, 6)}@staff.example` }));
    const mailbox = await seedMailbox(services.database.db, org.orgId, MAILBOX, team);
    const raw = Buffer.from(
      ['From: IT Desk <it-desk@mailbox-verify.example>', `To: ${MAILBOX}`, 'Subject: Mailbox quota', `Message-ID: <${randomUUID()}@mailbox-verify.example>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'Your mailbox is full. Sign in again to keep receiving mail.', ''].join('\r\n'),
    );
    const deps = await createHelpdeskDeps(services);
    const hooks = { ...createDefaultHooks(), analyzeThreats: async () => null };
    const [t] = await ingestInboundEmail(deps, { hooks, blobs: new MemoryBlobStore(), maxAttachmentBytes: 1_000_000 }, { raw, mailFrom: 'it-desk@mailbox-verify.example', rcptTo: [MAILBOX] }, [{ id: mailbox, orgId: org.orgId, address: MAILBOX, teamId: team }]);
    const ticket = t as { ticketId: string; messageId: string };
    const report = await server.app.inject({ method: 'POST', url: `/api/tickets/${ticket.ticketId}/messages/${ticket.messageId}/report-phishing`, headers: agent.headers, payload: {} });
    expect(report.statusCode).toBe(201);
  });
  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await closeBrowser(browser);
    await server?.close();
  });

  it('a reported phishing message becomes an incident with its evidence; ending the reporter’s session really ends it', async () => {
    context = await staffContext(browser, server, officer);
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    seen = watchPage(page);
    await page.goto('/security/phishing-reports');
    await page.getByRole('heading', { level: 1, name: 'Phishing reports' }).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Open incident' }).click();
    await page.waitForURL(/\/incidents\/[0-9a-f-]{36}$/);
    incidentId = /\/incidents\/([0-9a-f-]{36})$/.exec(page.url())![1]!;
    await page.getByRole('heading', { level: 1, name: /Phishing reported on ticket/ }).waitFor();
    // The evidence the report brought: the report, its ticket, the quarantined copy and the reporter.
    const evidence = page.getByRole('table', { name: 'Evidence' });
    for (const kind of ['Phishing report', 'Ticket', 'Quarantined message', 'Staff account']) await evidence.getByRole('cell', { name: kind, exact: true }).waitFor();
    await evidence.getByRole('cell', { name: 'Staff: Sam Okafor (active)' }).waitFor();
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'incident-detail');

    // Containment: end the reporter's sessions, confirmed with a reason.
    expect((await server.app.inject({ url: '/api/auth/me', headers: agent.headers })).statusCode).toBe(200);
    await page.getByRole('button', { name: 'End sessions' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm: End sessions' });
    await dialog.getByLabel('Reason').fill('They typed their password into the page');
    expect(await runAxe(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'End sessions' }).click();
    await page.getByText('Done: End sessions.').waitFor();
    expect((await server.app.inject({ url: '/api/auth/me', headers: agent.headers })).statusCode).toBe(401);
    await page.getByRole('list').getByText('They typed their password into the page').waitFor();
  });

  it('the incident is marked a personal-data breach with its 72-hour clock and record; the downloaded bundle verifies offline', async () => {
    // Personal-data breach: the 72-hour clock and the notification record.
    await page.getByRole('button', { name: 'Mark as personal-data breach' }).click();
    await page.getByText(/^(71|72) h \d+ min left$/).first().waitFor();
    const form = page.getByRole('form', { name: 'Personal-data breach' });
    await form.getByLabel('Nature of the breach').fill('An agent entered their password on a phishing page.');
    await form.getByLabel('Measures taken or proposed').fill('Sessions ended; password reset.');
    await form.getByRole('button', { name: 'Save breach record' }).click();
    await page.getByText('Breach record saved.').waitFor();
    await page.getByRole('link', { name: 'Markdown' }).waitFor();
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'incident-breach');

    // The evidence bundle, downloaded as the browser does and checked offline.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download evidence bundle' }).click()]);
    const saved = path.join(mkdtempSync(path.join(tmpdir(), 'td-incident-download-')), download.suggestedFilename());
    await download.saveAs(saved);
    expect(download.suggestedFilename()).toMatch(/^incident-\d+\.zip$/);
    const zip = readFileSync(saved);
    rmSync(path.dirname(saved), { recursive: true, force: true });
    const verified = await verifyBundleZip(zip);
    expect(verified.text).toContain('OK: the audit trail is intact.');
    expect(verified.code).toBe(0);

    // The list shows it with its clock.
    await page.goto('/incidents');
    await page.getByRole('heading', { level: 1, name: 'Security incidents' }).waitFor();
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: /Phishing reported on ticket/ }) });
    await row.getByText(/h \d+ min left/).waitFor();
    expect(await runAxe(page)).toEqual([]);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    const timeline = (await server.app.inject({ url: `/api/incidents/${incidentId}`, headers: officer.headers })).json().timeline.map((i: { kind: string }) => i.kind);
    expect(timeline).toEqual(['created', 'containment', 'breach', 'breach']);
  });
});
