/**
 * The console's side of live chat in Chromium, against docs/chat.md with the chat endpoints and the socket's chat
 * frames played by the test (page.route, routeWebSocket): the rest — session, ticket, customer panel, macros,
 * teams — is the real server. Checks the inbox (tabs, counts, live clock, offered first), the offer notice and its
 * `c` shortcut, accept → the chat pane, catch-up by seq with live frames (no duplicate), Enter sends with a
 * clientId, the customer's typing, a colleague's typing (collision) on a ticket page with our own typing frames
 * throttled, presence, Admin → Chat's origin errors and secret, axe at 1280 and 800 px.
 */
import type { Browser, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOrg, buildTeam, buildUser, signInAs, type TestOrg } from '../../src/identity/auth/testing.js';
import { createCustomer } from '../../src/helpdesk/customers/customers.service.js';
import { createHelpdeskDeps } from '../../src/helpdesk/tickets/context.js';
import { insertTicket } from '../../src/helpdesk/tickets/records.js';
import { closeBrowser, describeWeb, launchBrowser, runAxe, snap, staffContext, startWebServer, watchPage, type WebServer } from './harness.js';

describeWeb('the chat console (chat API played by the test)', (kind) => {
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

  it('inbox, offer, accept, live conversation, collision, presence and chat settings', async () => {
    const team = await buildTeam(server.services, org);
    const lead = await signInAs(server.app, await buildUser(server.services, org, { roles: ['supervisor'], teamIds: [team], name: 'Lena Lead' }));
    const deps = await createHelpdeskDeps(server.services);
    const { id: customerId } = await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Cora Customer', email: 'cora@example.org' });
    const chat = await deps.db.transaction().execute((trx) => insertTicket(trx, deps, { orgId: org.orgId, subject: 'Chat', channel: 'web', requesterId: customerId, teamId: team }));
    const other = await deps.db.transaction().execute((trx) => insertTicket(trx, deps, { orgId: org.orgId, subject: 'Kettle leaks', channel: 'web', requesterId: customerId, teamId: team }));

    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
    const row = (ticketId: string, name: string, waited: number, extra: Record<string, unknown> = {}) => ({
      ticketId, number: 7, status: 'waiting', customer: { name, masked: true }, waitingSince: minutesAgo(waited), teamId: team, teamName: 'Support',
      assigneeId: null, assigneeName: null, offeredToMe: false, lastSeq: 1, ...extra,
    });
    const state = {
      waiting: [row('00000000-0000-4000-8000-000000000001', 'B••• W•••', 9), row(chat.id, 'C••• C•••', 1, { offeredToMe: true })],
      mine: [] as unknown[],
      messages: [{ seq: 1, id: 'm1', clientId: null, author: 'customer', name: 'Cora', body: 'My card is [redacted:payment_card]', at: minutesAgo(1), redacted: ['payment_card'], attachments: [] }] as Array<Record<string, unknown>>,
      sent: [] as Array<{ clientId: string; body: string }>,
      presence: [] as string[],
      accepted: [] as string[],
    };
    const context = await staffContext(browser, server, lead);
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const seen = watchPage(page);
    let socket: WebSocketRoute | undefined;
    const clientFrames: string[] = [];
    await page.routeWebSocket('**/api/realtime', (ws) => {
      socket = ws;
      ws.onMessage((m) => clientFrames.push(String(m)));
      ws.send(JSON.stringify({ type: 'ready', seq: 1 }));
    });
    await page.route('**/api/chats?box=*', (route) => {
      const box = new URL(route.request().url()).searchParams.get('box');
      void route.fulfill({ json: { items: box === 'waiting' ? state.waiting : box === 'mine' ? state.mine : [] } });
    });
    await page.route(`**/api/chats/${chat.id}/accept`, async (route) => {
      // Accepting assigns the chat's ticket to the agent.
      await server.app.inject({ method: 'POST', url: `/api/tickets/${chat.id}/assignment`, headers: lead.headers, payload: { assigneeId: lead.userId } });
      state.accepted.push(chat.id);
      state.waiting = state.waiting.filter((r) => r.ticketId !== chat.id);
      state.mine = [{ ...row(chat.id, 'C••• C•••', 1), status: 'active', assigneeId: lead.userId, assigneeName: 'Lena Lead' }];
      void route.fulfill({ json: { ok: true } });
    });
    await page.route(`**/api/chats/${chat.id}/messages*`, async (route) => {
      if (route.request().method() === 'POST') {
        const body = route.request().postDataJSON() as { clientId: string; body: string };
        state.sent.push(body);
        const seq = state.messages.length + 1;
        state.messages.push({ seq, id: `m${seq}`, clientId: body.clientId, author: 'agent', name: 'Lena Lead', body: body.body, at: new Date().toISOString(), redacted: [], attachments: [] });
        return route.fulfill({ status: 201, json: { seq, redacted: [] } });
      }
      const after = Number(new URL(route.request().url()).searchParams.get('after') ?? 0);
      // Overlap on purpose: the console must keep each seq once.
      return route.fulfill({ json: { status: state.accepted.length ? 'active' : 'waiting', items: state.messages.filter((m) => (m.seq as number) >= after) } });
    });
    await page.route('**/api/me/presence', (route) => {
      state.presence.push((route.request().postDataJSON() as { status: string }).status);
      void route.fulfill({ json: { ok: true } });
    });

    // The inbox: counts, offered-to-me first, live clock; the nav count.
    // (Reached from the top bar: a hard load of /chats needs '/chats' in the server's WEB_APP_PATHS.)
    await page.goto('/tickets');
    await page.getByRole('link', { name: /^Chats.*2 chats waiting/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Chats' }).waitFor();
    const rows = page.getByRole('list', { name: 'Chats: Waiting' }).getByRole('listitem');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.first().textContent()).toContain('Offered to you');
    const clock = rows.nth(1).getByLabel(/^Waiting for 9:/);
    const before = await clock.textContent();
    await expect.poll(() => clock.textContent(), { timeout: 3000 }).not.toBe(before);
    // The offer: a quiet region, not a dialog.
    await page.getByRole('region', { name: 'Chat offers' }).getByRole('button', { name: 'Accept chat from C••• C•••' }).waitFor();
    expect(await page.locator('dialog[open]').count()).toBe(0);
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'chat-inbox');

    // `c` accepts; the chat opens with the conversation; the composer has focus.
    await page.getByRole('heading', { level: 1 }).focus();
    await page.keyboard.press('c');
    await page.getByRole('heading', { level: 2, name: /Chat with Cora Customer/ }).waitFor();
    expect(state.accepted).toEqual([chat.id]);
    const log = page.getByRole('log', { name: 'Conversation' });
    await log.getByText('Removed before it reached you: Payment card number').waitFor();
    await expect.poll(() => page.evaluate('document.activeElement && document.activeElement.id')).toBe('chat-composer-body');

    // Live: a customer message announced by seq, fetched once; a repeated frame adds nothing.
    state.messages.push({ seq: 2, id: 'm2', clientId: null, author: 'customer', name: 'Cora', body: 'Are you there?', at: new Date().toISOString(), redacted: [], attachments: [] });
    socket?.send(JSON.stringify({ type: 'chat', ticketId: chat.id, seq: 2 }));
    socket?.send(JSON.stringify({ type: 'chat', ticketId: chat.id, seq: 2 }));
    await log.getByText('Are you there?').waitFor();
    socket?.send(JSON.stringify({ type: 'typing', ticketId: chat.id, who: 'customer' }));
    await page.getByText('Cora Customer is typing…').waitFor();

    // Enter sends with a clientId; the message shows once.
    await page.getByRole('textbox', { name: 'Message' }).fill('Yes, one moment.');
    await page.keyboard.press('Enter');
    await log.getByText('Yes, one moment.').waitFor();
    expect(state.sent[0]?.clientId).toMatch(/^[0-9a-f-]{36}$/);
    await expect.poll(() => log.getByText('Yes, one moment.').count()).toBe(1);
    expect(await log.getByRole('listitem').count()).toBe(3);
    expect(clientFrames.some((f) => f === JSON.stringify({ t: 'typing', id: chat.id }))).toBe(true);
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'chat-pane');

    // Narrow: the open chat alone, with a way back to the list.
    await page.setViewportSize({ width: 800, height: 860 });
    await page.getByRole('link', { name: 'Back to the chat list' }).waitFor();
    expect(await page.getByRole('list', { name: 'Chats: Mine' }).isVisible()).toBe(false);
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'chat-pane-800');
    await page.setViewportSize({ width: 1280, height: 860 });

    // Transfer lists people and teams; End asks first, inline.
    await page.getByRole('button', { name: 'Transfer' }).click();
    await page.getByRole('combobox', { name: 'Transfer to' }).waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'End chat' }).click();
    await page.getByRole('group', { name: /End this chat/ }).getByRole('button', { name: 'Keep chatting' }).click();

    // Collision on an ordinary ticket: a colleague's frame shows, ours are throttled to one per 3 s.
    await page.goto(`/tickets/${other.id}`);
    await page.getByRole('heading', { level: 1, name: /Kettle leaks/ }).waitFor();
    socket?.send(JSON.stringify({ type: 'typing', ticketId: other.id, who: 'agent', name: 'Sam Sample' }));
    await page.getByText('Sam Sample is replying…').waitFor();
    socket?.send(JSON.stringify({ type: 'typing', ticketId: other.id, who: 'agent', name: 'Lena Lead' }));
    const editor = page.getByRole('textbox', { name: 'Reply to the customer' });
    await editor.click();
    const sentBefore = clientFrames.filter((f) => f.includes(other.id)).length;
    await page.keyboard.type('Looking into it', { delay: 20 });
    expect(clientFrames.filter((f) => f.includes(other.id)).length - sentBefore).toBe(1);
    expect(await page.getByText('Lena Lead is replying…').count()).toBe(0);
    await page.getByText('Sam Sample is replying…').waitFor({ state: 'detached', timeout: 9000 });

    // Presence: the Away toggle writes through /api/me/presence.
    await page.getByRole('button', { name: 'Away', exact: true }).click();
    await expect.poll(() => state.presence).toEqual(['away']);

    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await context.close();
  });

  it('Admin → Chat: origins checked line by line, embed code, identity secret shown once', async () => {
    const admin = await signInAs(server.app, await buildUser(server.services, org, { roles: ['administrator'], name: 'Ada Admin' }));
    let saved: unknown = null;
    const context = await staffContext(browser, server, admin);
    context.setDefaultTimeout(10_000);
    const page: Page = await context.newPage();
    const seen = watchPage(page);
    await page.route('**/api/chat-settings', (route) => {
      if (route.request().method() === 'PUT') {
        saved = route.request().postDataJSON();
        return route.fulfill({ json: { ok: true } });
      }
      return route.fulfill({ json: { enabled: false, teamId: null, allowedOrigins: [], maxConcurrent: 3, offerTimeoutSeconds: 60, identitySecretCreatedAt: null } });
    });
    await page.route('**/api/chat-settings/identity-secret', (route) => route.fulfill({ status: 201, json: { secret: 'tdcs_example_secret' } }));
    await page.goto('/admin/chat');
    await page.getByRole('heading', { level: 1, name: 'Chat' }).waitFor();
    await page.getByRole('checkbox', { name: 'Chat is on' }).check();
    await page.getByRole('textbox', { name: 'Websites allowed to embed the chat' }).fill('https://www.example.com\nhttps://*.example.com\nhttps://shop.example.com/cart');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText(/Line 2 .*wildcards are not allowed/).first().waitFor();
    expect(saved).toBeNull();
    expect(await runAxe(page)).toEqual([]);
    await page.getByRole('textbox', { name: 'Websites allowed to embed the chat' }).fill('https://WWW.example.com/\n\nhttps://shop.example.com:8443');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Chat settings saved.').waitFor();
    expect(saved).toEqual({ enabled: true, teamId: null, allowedOrigins: ['https://www.example.com', 'https://shop.example.com:8443'], maxConcurrent: 3, offerTimeoutSeconds: 60 });
    expect(await page.locator('.chat-settings__snippet').textContent()).toBe(`<script src="${server.baseUrl}/chat/widget.js" data-org="${org.orgId}" async></script>`);
    await page.getByRole('button', { name: 'Create secret' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Create secret' }).click();
    await page.getByTestId('chat-identity-secret').getByText('tdcs_example_secret').waitFor();
    expect(await runAxe(page)).toEqual([]);
    await snap(page, 'admin-chat');
    expect(seen.cspViolations).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    await context.close();
  });
});
