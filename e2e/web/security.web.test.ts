/**
 * The security centre in Chromium: an agent's reveal (with its reason) found
 * in the audit view by customer and action, its proof checked in the browser;
 * "Verify integrity" with the signed checkpoint; a quarantined message released
 * with an audited reason; an access review decided; axe on each screen.
 * The agent reveals with the console's own Reveal button and reason dialog.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, buildUser, signInAs, type SignedIn, type TestOrg } from '../../src/identity/auth/testing.js';
import { LocalBlobStore } from '../../src/protection/blobs/store.js';
import { createDefaultHooks } from '../../src/helpdesk/ingest/hooks.js';
import { ingestInboundEmail } from '../../src/helpdesk/ingest/pipeline.js';
import { buildCustomerWithTicket } from '../../src/helpdesk/portal/testing.js';
import { createHelpdeskDeps } from '../../src/helpdesk/tickets/context.js';
import { seedMailbox } from '../../src/helpdesk/tickets/testing.js';
import { closeBrowser, describeWeb, launchBrowser, pageFetch, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

const MAILBOX = 'support@security-centre.example';
const REASON = 'Customer asked to confirm the refund address';

describeWeb('security centre', (kind) => {
  let server: WebServer;
  let browser: Browser;
  let org: TestOrg;
  let team: string;
  let agent: SignedIn;
  let officer: SignedIn;
  let customerId: string;
  let ticketId: string;
  let quarantineId: string;

  beforeAll(async () => {
    server = await startWebServer({ kind });
    browser = await launchBrowser();
    const { services } = server;
    org = await buildOrg(services);
    team = await buildTeam(services, org, 'Billing');
    agent = await signInAs(server.app, await buildUser(services, org, { roles: ['agent'], teamIds: [team], name: 'Sam Okafor', email: `sam.okafor-${randomUUID().slice(0, 6)}@staff.example` }));
    officer = await signInAs(server.app, await buildUser(services, org, { roles: ['security_officer'], name: 'Priya Raman', email: `priya.raman-${randomUUID().slice(0, 6)}@staff.example` }));
    ({ customerId, ticketId } = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'ada.lovelace@customer.example', name: 'Ada Lovelace', teamId: team }));

    // A message the phishing engine held (the verdict is forced; the engine itself is tested in src/threats/phishing).
    const mailbox = await seedMailbox(services.database.db, org.orgId, MAILBOX, team);
    const deps = await createHelpdeskDeps(services);
    const hooks = {
      ...createDefaultHooks(),
      analyzeThreats: async () => ({
        score: 94,
        verdict: 'phishing' as const,
        reasons: [
          { code: 'sender.lookalike', weight: 0.9, evidence: 'paypa1-billing.example looks like paypal.com' },
          { code: 'link.text_mismatch', weight: 0.6, evidence: 'text shows paypal.com, link goes to paypa1-billing.example' },
        ],
      }),
    };
    const raw = Buffer.from(
      [`From: PayPal Billing <billing@paypa1-billing.example>`, `To: ${MAILBOX}`, 'Subject: Your account is on hold', `Message-ID: <${randomUUID()}@paypa1-billing.example>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'Confirm your password at https://paypa1-billing.example/login within 24 hours.', ''].join('\r\n'),
    );
    const [held] = await ingestInboundEmail(deps, { hooks, blobs: new LocalBlobStore(services.config.blobDirPath), maxAttachmentBytes: 1_000_000 }, { raw, mailFrom: 'billing@paypa1-billing.example', rcptTo: [MAILBOX] }, [
      { id: mailbox, orgId: org.orgId, address: MAILBOX, teamId: team },
    ]);
    expect(held).toMatchObject({ outcome: 'quarantined' });
    quarantineId = (held as { quarantineId: string }).quarantineId;
  });
  afterAll(async () => {
    await closeBrowser(browser);
    await server?.close();
  });

  async function officerPage(): Promise<{ page: Page; seen: ReturnType<typeof watchPage>; close: () => Promise<void> }> {
    const context = await staffContext(browser, server, officer);
    const page = await context.newPage();
    return { page, seen: watchPage(page), close: () => context.close() };
  }

  it('a reveal with reason then shows in the security centre’s audit view, and its proof verifies in the browser', async () => {
    // The agent reveals the customer's email on the ticket page: Reveal, a reason, and the value appears.
    const agentContext = await staffContext(browser, server, agent);
    const agentPage = await agentContext.newPage();
    await agentPage.goto(`/tickets/${ticketId}`);
    await agentPage.getByRole('button', { name: 'Reveal Email' }).click();
    const dialog = agentPage.getByRole('dialog', { name: 'Reveal Email' });
    await dialog.getByLabel('Reason').fill(REASON);
    await dialog.getByRole('button', { name: 'Reveal' }).click();
    await agentPage.getByText('ada.lovelace@customer.example').waitFor();
    // The same agent has no audit view: no tab, and the API says 403.
    expect((await pageFetch(agentPage, 'GET', '/api/audit/entries')).status).toBe(403);
    await agentContext.close();
    await server.services.audit.flush();

    const { page, seen, close } = await officerPage();
    await page.goto('/security/audit');
    await page.getByRole('heading', { level: 1, name: 'Audit trail' }).waitFor();
    await page.getByLabel('Customer id').fill(customerId);
    await page.getByLabel('Action', { exact: false }).first().fill('customer.field.reveal');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/customerId=/);
    const table = page.getByRole('table', { name: 'Entries, newest first' });
    const row = table.getByRole('row').filter({ hasText: REASON });
    await row.waitFor();
    expect(await table.getByRole('row').count()).toBe(2); // header + the one reveal
    await expect(row.textContent()).resolves.toContain('customer.field.reveal');
    // Named from the staff list (the log itself holds the id).
    await expect(row.textContent()).resolves.toContain('Sam Okafor');
    await expect(row.textContent()).resolves.toContain('success');
    // The customer's identity is nowhere on the page: the log holds a keyed hash.
    await expect(page.locator('main').textContent()).resolves.not.toContain('ada.lovelace');
    expect(await runAxe(page)).toEqual([]);
    await page.evaluate(() => (globalThis as unknown as { document: { getElementById: (id: string) => { scrollIntoView: () => void } | null } }).document.getElementById('audit-filters-title')?.scrollIntoView());
    await snap(page, 'security-audit-trail');

    await row.getByRole('link').click();
    await page.waitForURL(/\/security\/audit\/\d+$/);
    await page.getByText('Proof verified in your browser').waitFor();
    const checks = page.locator('.sec-check');
    expect(await checks.count()).toBe(4);
    expect((await checks.allTextContents()).map((text) => text.slice(0, 5))).toEqual(['Pass ', 'Pass ', 'Pass ', 'Pass ']);
    await expect(page.locator('main').textContent()).resolves.toContain(REASON);
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'security-audit-proof');

    // The officer's looking was recorded too.
    await server.services.audit.flush();
    const reads = await server.services.database.db.selectFrom('audit_log').where('actor_id', '=', officer.userId).where('action', 'in', ['audit.entries.read', 'audit.proof.read']).select('action').execute();
    expect(new Set(reads.map((r) => r.action))).toEqual(new Set(['audit.entries.read', 'audit.proof.read']));
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 90_000);

  it('"Verify integrity" shows the result and the latest signed checkpoint', async () => {
    await server.services.audit.flush();
    const { page, seen, close } = await officerPage();
    await page.goto('/security/audit');
    const checkpoint = page.getByRole('region', { name: 'Latest signed checkpoint' });
    await checkpoint.getByText('Tree size').waitFor();
    await page.getByRole('button', { name: 'Verify integrity' }).click();
    await page.getByText(/Intact: all \d+ entries match the signed checkpoints/).waitFor();
    const result = page.getByRole('region', { name: 'Integrity' });
    await expect(result.textContent()).resolves.toMatch(/Signature key id[0-9a-f]{8}/);
    await expect(result.textContent()).resolves.toMatch(/Root hash[0-9a-f]{64}/);

    // The first visit remembered the checkpoint; the next one checks, in the browser, that the log extends it.
    await page.reload();
    await checkpoint.getByText(/Consistent with the checkpoint this browser saw on .+ \(\d+ entries\)\./).waitFor();
    // A remembered checkpoint longer than the log (as after the newest entries were deleted): the loud warning.
    await page.evaluate(() => {
      const localStorage = (globalThis as unknown as { localStorage: { length: number; key(i: number): string | null; getItem(k: string): string | null; setItem(k: string, v: string): void } }).localStorage;
      for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i) ?? '';
        if (!key.startsWith('trustdesk.audit.seenCheckpoint:')) continue;
        const seen = JSON.parse(localStorage.getItem(key) ?? '{}') as { note: string; size: number };
        const lines = seen.note.split('\n');
        lines[1] = String(seen.size + 1000);
        localStorage.setItem(key, JSON.stringify({ ...seen, note: lines.join('\n'), size: seen.size + 1000 }));
      }
    });
    await page.reload();
    await page.getByRole('alert').filter({ hasText: 'Warning: audit entries were deleted' }).waitFor();
    await expect(page.getByRole('alert').filter({ hasText: 'Warning: audit entries were deleted' }).textContent()).resolves.toMatch(/Tell the other security officers/);
    expect(await runAxe(page)).toEqual([]);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 90_000);

  it('a quarantined message is released with a reason, and the decision is audited', async () => {
    const { page, seen, close } = await officerPage();
    await page.goto('/quarantine');
    const link = page.getByRole('table', { name: 'Quarantine' }).getByRole('link');
    await link.first().waitFor();
    const row = page.getByRole('table', { name: 'Quarantine' }).getByRole('row').filter({ hasText: 'Your account is on hold' });
    await expect(row.textContent()).resolves.toContain('PayPal Billing <billing@paypa1-billing.example>');
    expect(await runAxe(page)).toEqual([]);

    // The emailed link opens the item directly.
    await page.goto(`/quarantine/${quarantineId}`);
    await page.getByText('paypa1-billing.example looks like paypal.com').waitFor();
    await expect(page.locator('pre').textContent()).resolves.toContain('Your account is on hold');
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'security-quarantine');

    await page.getByRole('button', { name: 'Release' }).click();
    const dialog = page.getByRole('dialog', { name: 'Release into the helpdesk' });
    await dialog.getByRole('button', { name: 'Release' }).click();
    // Checked in the browser with the route's own schema before anything is sent.
    await dialog.getByText('Must be at least 3 characters.').waitFor();
    await dialog.getByLabel('Reason').fill('Known partner; the engine was wrong');
    await dialog.getByRole('button', { name: 'Release' }).click();
    await page.getByText(/Released into the helpdesk/).waitFor();
    await page.getByText('Released', { exact: true }).first().waitFor();

    const decision = await server.services.database.db.selectFrom('audit_log').where('action', '=', 'quarantine.release').where('object_id', '=', quarantineId).select(['actor_id', 'purpose', 'result']).execute();
    expect(decision).toEqual([{ actor_id: officer.userId, purpose: 'Known partner; the engine was wrong', result: 'success' }]);
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 90_000);

  it('an access review is started, opened by its emailed link and decided item by item', async () => {
    const { page, seen, close } = await officerPage();
    await page.goto('/access-reviews');
    await page.getByLabel('Name').fill('Q4 access review');
    await page.getByRole('button', { name: 'Start campaign' }).click();
    await page.waitForURL(/\/access-reviews\/[0-9a-f-]{36}$/);
    const url = page.url();
    // A fresh load of the link works (it is what the reminder email points to).
    await page.goto(url);
    await page.getByRole('heading', { level: 1, name: 'Q4 access review' }).waitFor();
    const items = page.getByRole('table', { name: 'Access to review' });
    const agentRow = items.getByRole('row').filter({ hasText: agent.email }).first();
    await agentRow.waitFor();
    // Never signed in through the UI, so the agent is flagged dormant.
    await expect(agentRow.textContent()).resolves.toContain('Dormant');
    await agentRow.getByRole('button', { name: /^Certify / }).click();
    const dialog = page.getByRole('dialog', { name: 'Certify access' });
    await dialog.getByLabel('Comment').fill('Still on the billing team');
    await dialog.getByRole('button', { name: 'Certify' }).click();
    await items.getByRole('row').filter({ hasText: 'Still on the billing team' }).first().waitFor();
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'security-access-review');
    const csv = await pageFetch(page, 'GET', `${new URL(url).pathname.replace('/access-reviews/', '/api/access-reviews/')}/export?format=csv`);
    expect(csv.status).toBe(200);
    expect(String(csv.body)).toContain('Still on the billing team');
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 90_000);

  it('an agent’s phishing report reaches the officer, who records the outcome; the overview counts what waits', async () => {
    const message = await server.services.database.db.selectFrom('messages').where('ticket_id', '=', ticketId).where('author_type', '=', 'customer').select('id').executeTakeFirstOrThrow();
    const agentContext = await staffContext(browser, server, agent);
    const agentPage = await agentContext.newPage();
    await agentPage.goto('/account');
    const reported = await pageFetch(agentPage, 'POST', `/api/tickets/${ticketId}/messages/${message.id}/report-phishing`, { comment: 'Asked for my password' });
    expect(reported.status).toBe(201);

    const { page, seen, close } = await officerPage();
    await page.goto('/security');
    await page.getByText('1 report waiting for a decision').waitFor();
    expect(await runAxe(page)).toEqual([]);
    await page.getByRole('link', { name: 'Open phishing reports' }).click();
    await page.waitForURL(/\/security\/phishing-reports$/);
    const table = page.getByRole('table', { name: 'Reports' });
    await table.getByText('Waiting').waitFor();
    expect(await runAxe(page)).toEqual([]);
    await table.getByRole('button', { name: 'Decide' }).click();
    const dialog = page.getByRole('dialog', { name: 'Record the outcome' });
    await dialog.getByLabel('Outcome').selectOption('false_positive');
    await dialog.getByLabel('Reason').fill('The customer really wrote this');
    await dialog.getByRole('button', { name: 'Record outcome' }).click();
    await table.getByText('Not phishing').waitFor();
    expect(seen.pageErrors).toEqual([]);
    await close();

    // The agent's awareness record shows the outcome too, and no other section of the centre.
    await agentPage.goto('/security/phishing-reports');
    await agentPage.getByRole('table', { name: 'Reports' }).getByText('Not phishing').waitFor();
    const tabs = agentPage.getByRole('navigation', { name: 'Security centre sections' });
    expect(await tabs.getByRole('link').allTextContents()).toEqual(['Phishing reports']);
    await agentPage.goto('/security/audit');
    await agentPage.getByText('You do not have permission to do that.').first().waitFor();
    await agentContext.close();
  }, 90_000);

  it('SIEM streaming: the officer adds a destination, a test names why it cannot be reached, and the list shows the sender’s last error and what waits', async () => {
    const { page, seen, close } = await officerPage();
    await page.goto('/security/siem');
    await page.getByText('No destinations yet.').waitFor();
    expect(await page.getByRole('navigation', { name: 'Security centre sections' }).getByRole('link', { name: 'SIEM' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Add destination' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add destination' });
    await dialog.getByLabel('Name').fill('Central rsyslog');
    await dialog.getByLabel('Transport').selectOption('tcp');
    await dialog.getByLabel('Host').fill('bad host');
    await dialog.getByLabel('Port', { exact: true }).fill('6514');
    await dialog.getByLabel('Start with').selectOption('beginning');
    await dialog.getByRole('button', { name: 'Save' }).click();
    // The server's check, shown in the form.
    await dialog.getByText('The host must be a host name or an IP address').waitFor();
    await dialog.getByLabel('Host').fill('127.0.0.1');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const table = page.getByRole('table', { name: 'SIEM streaming' });
    await table.getByText('tcp://127.0.0.1:6514').waitFor();
    expect(await runAxe(page)).toEqual([]);
    // Loopback is refused here (TRUSTDESK_ALLOW_PRIVATE_OUTBOUND is off): the test says so.
    await table.getByRole('button', { name: 'Send test' }).click();
    await page.getByText('The test message to Central rsyslog failed: That address cannot be reached from this server.').waitFor();
    // One pass of the background sender records the same reason as the destination's last error.
    const { SiemSender } = await import('../../src/protection/siem/sender.js');
    const { siemDepsOf } = await import('../../src/protection/siem/deps.js');
    const sender = new SiemSender({ ...siemDepsOf(server.services), owner: 'web-test' });
    await server.services.audit.flush();
    await sender.runOnce();
    await sender.stop();
    await page.reload();
    await table.getByText('Failing (1 attempt)').waitFor();
    await table.getByText('That address cannot be reached from this server.').waitFor();
    await snap(page, 'security-siem');
    expect(Number((await table.getByRole('cell').nth(3).textContent())?.replace(/\D/g, ''))).toBeGreaterThan(0);
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 90_000);

  it('an administrator opening /security is told whom the centre is for and where to give the role, with no link in the top bar', async () => {
    const admin = await signInAs(server.app, await buildUser(server.services, org, { roles: ['administrator'], name: 'Alex Admin', email: `alex.admin-${randomUUID().slice(0, 6)}@staff.example` }));
    const context = await staffContext(browser, server, admin);
    const page = await context.newPage();
    const seen = watchPage(page);
    await page.goto('/security');
    await page.getByText('The security centre holds the audit trail').waitFor();
    expect(await page.getByRole('link', { name: 'Open Administration → Staff' }).getAttribute('href')).toBe('/admin/staff');
    expect(await page.getByRole('navigation', { name: 'Security centre sections' }).count()).toBe(0);
    expect(await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Security centre' }).count()).toBe(0);
    expect(await runAxe(page)).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await context.close();
  }, 90_000);

  // Last: it alters the log behind the application's back.
  it('"Verify integrity" names an entry changed in the database, and that entry’s proof fails in the browser', async () => {
    await server.services.audit.flush();
    const db = server.services.database.db;
    const target = await db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', '=', 'customer.field.reveal').select('idx').executeTakeFirstOrThrow();
    // Someone with owner access to the database softens the recorded reason.
    await sql`ALTER TABLE audit_log DISABLE TRIGGER USER`.execute(db);
    await sql`UPDATE audit_log SET purpose = 'routine check' WHERE idx = ${target.idx}`.execute(db);
    await sql`ALTER TABLE audit_log ENABLE TRIGGER USER`.execute(db);

    const { page, seen, close } = await officerPage();
    await page.goto('/security/audit');
    await page.getByRole('button', { name: 'Verify integrity' }).click();
    const alert = page.getByText(`The audit trail was altered. First bad entry: #${target.idx}.`);
    await alert.waitFor();
    await page.getByRole('region', { name: 'Integrity' }).getByRole('link', { name: `#${target.idx}` }).click();
    await page.waitForURL(new RegExp(`/security/audit/${target.idx}$`));
    await page.getByText('The proof does not verify.').waitFor();
    const checks = (await page.locator('.sec-check').allTextContents()).map((text) => text.slice(0, 5));
    // The leaf recomputed from the altered row no longer leads to the signed root; the signature itself is fine.
    expect(checks).toEqual(['Pass ', 'Fail ', 'Pass ', 'Fail ']);
    expect(await runAxe(page)).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await close();
  }, 90_000);
});
