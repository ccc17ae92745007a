/**
 * Live chat end to end on a listening app: a real `ws` customer socket and a
 * real staff console socket, the HTTP API for the agent, the database for what
 * was stored. On PGlite always, on PostgreSQL when TEST_DATABASE_URL is set.
 * The attacks of docs/chat.md are here too: wrong origin, no auth, expired and
 * forged tokens, another team's or organisation's chat, bad frames, floods.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import type { MemoryMailer } from '../../platform/notify/mailer.js';
import { realtimeRoutes } from '../../platform/realtime/realtime.routes.js';
import { connectSocket, upgradeStatus, type Client } from '../../platform/realtime/testing.js';
import { hashSecret } from '../../identity/auth/secrets.js';
import { createPortalDeps } from '../portal/deps.js';
import { chatRoutes, chatRoutesWith } from './chat.routes.js';
import { CODES_PER_ADDRESS_PER_HOUR, CODES_PER_CONVERSATION_PER_HOUR } from './identify.js';
import { sweepAbandonedChats } from './abandoned.js';
import { sweepOffers } from './inbox.js';

const SITE = 'https://shop.example.com';
const CARD = '4111 1111 1111 1111';
const CARD_DIGITS = '4111111111111111';
const digits = (s: string) => s.replace(/\D/g, '');

describe.each(testDatabaseKinds)('live chat on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let base: string;
  let origin: string;
  let org: TestOrg;
  let otherOrg: TestOrg;
  let team: string;
  let otherTeam: string;
  let agent: SignedIn;
  let outsider: SignedIn;
  let foreigner: SignedIn;
  let admin: SignedIn;
  let secret: string;
  let console_: Client;
  const open: Client[] = [];

  const identityToken = async (claims: { email?: string; name?: string; aud?: string; iat?: number; exp?: number; jti?: string; key?: string }) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ email: claims.email ?? 'casey@example.org', name: claims.name ?? 'Casey Quill' })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience(claims.aud ?? org.orgId)
      .setSubject('site-user-1')
      .setIssuedAt(claims.iat ?? now)
      .setExpirationTime(claims.exp ?? now + 300)
      .setJti(claims.jti ?? randomUUID())
      .sign(new TextEncoder().encode(claims.key ?? secret));
  };

  const start = async (body: Record<string, unknown> = {}) => {
    const res = await app.inject({ method: 'POST', url: '/api/chat/conversations', payload: { orgId: org.orgId, host: SITE, ...body } });
    return res;
  };

  const customer = async (token: string, after = 0) => {
    const c = await connectSocket(`${base.replace('http', 'ws')}/api/chat/socket`, { origin });
    open.push(c);
    c.ws.send(JSON.stringify({ type: 'auth', token, after }));
    await c.next((m) => m.type === 'ready');
    return c;
  };

  const staffSocket = async (who: SignedIn) => {
    const c = await connectSocket(`${base.replace('http', 'ws')}/api/realtime`, { cookie: who.headers.cookie, origin });
    open.push(c);
    await c.next((m) => m.type === 'ready');
    return c;
  };

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({
      services,
      schemaCache: testSchemaCache,
      routes: [...appRoutes.filter((r) => r !== chatRoutes), chatRoutesWith({ socket: { authTimeoutMs: 400, maxFramesPerSecond: 100, recheckMs: 200 }, sweepEveryMs: 0 })],
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
    origin = new URL(services.config.publicUrl).origin;
    org = await buildOrg(services);
    otherOrg = await buildOrg(services);
    team = await buildTeam(services, org);
    otherTeam = await buildTeam(services, org);
    await services.database.db.updateTable('teams').set({ assignment_strategy: 'least_busy' }).where('id', '=', team).execute();
    agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    outsider = await signIn(app, org, { roles: ['agent'], teamIds: [otherTeam] });
    foreigner = await signIn(app, otherOrg, { roles: ['administrator'] });
    admin = await signIn(app, org, { roles: ['administrator'], stepUp: true });
    const put = await app.inject({ method: 'PUT', url: '/api/chat-settings', headers: admin.headers, payload: { enabled: true, teamId: team, allowedOrigins: [SITE], maxChatsPerAgent: 2, offerTimeoutSeconds: 30 } });
    expect(put.statusCode, put.body).toBe(200);
    const rotated = await app.inject({ method: 'POST', url: '/api/chat-settings/identity-secret', headers: admin.headers });
    expect(rotated.statusCode, rotated.body).toBe(201);
    secret = rotated.json().secret;
    // The agent is at a console: online for routing.
    console_ = await staffSocket(agent);
  });
  afterAll(async () => {
    for (const c of open) c.ws.terminate();
    await app?.close();
    await services?.close();
  });

  it('a chat from the website: card number redacted before storage, offered to the agent, accepted, answered, verified, ended, continued as a ticket', async () => {
    const avail = await app.inject({ method: 'GET', url: `/api/chat/availability?orgId=${org.orgId}&host=${encodeURIComponent(SITE)}` });
    expect(avail.json()).toMatchObject({ available: true });
    const started = await start({ identityToken: await identityToken({}) });
    expect(started.statusCode, started.body).toBe(201);
    const { token, identity } = started.json();
    expect(identity).toEqual({ kind: 'site', name: 'Casey Quill' });

    const c = await customer(token);
    const clientId = randomUUID();
    c.ws.send(JSON.stringify({ type: 'message', clientId, body: `Hi, my card ${CARD} was charged twice` }));
    const ack = await c.next((m) => m.type === 'ack');
    expect(ack).toMatchObject({ clientId, seq: 1, redacted: ['payment_card'] });
    const echo = await c.next((m) => m.type === 'message' && m.seq === 1);
    expect(digits(String(echo.body))).not.toContain(CARD_DIGITS);
    expect(String(echo.body)).toContain('**** 1111');
    // The sender's copy is sent from what was stored, not read back: it is the item a reconnecting socket reads.
    const again = await customer(token);
    expect(await again.next((m) => m.type === 'message' && m.seq === 1)).toEqual(echo);
    again.ws.terminate();

    const offer = await console_.next((m) => m.type === 'chat-offer');
    const ticketId = offer.ticketId!;
    const inbox = await app.inject({ method: 'GET', url: '/api/chats?box=waiting', headers: agent.headers });
    expect(inbox.json().chats).toEqual([expect.objectContaining({ ticketId, status: 'waiting', offeredToMe: true })]);
    expect(inbox.json().enabled).toBe(true);
    expect(JSON.stringify(inbox.json())).not.toContain('Casey Quill');

    // Another team's agent and another organisation cannot take it.
    expect((await app.inject({ method: 'POST', url: `/api/chats/${ticketId}/accept`, headers: outsider.headers })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: `/api/chats/${ticketId}/accept`, headers: foreigner.headers })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/api/chats/${ticketId}/messages`, headers: outsider.headers })).statusCode).toBe(404);

    const accepted = await app.inject({ method: 'POST', url: `/api/chats/${ticketId}/accept`, headers: agent.headers });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(await c.next((m) => m.type === 'status' && m.status === 'active')).toMatchObject({ agent: { name: expect.any(String) } });

    const read = await app.inject({ method: 'GET', url: `/api/chats/${ticketId}/messages?after=0`, headers: agent.headers });
    expect(read.statusCode).toBe(200);
    const items = read.json().items as Array<{ body: string; author: string; event: string | null }>;
    expect(items[0]!.body).toContain('**** 1111');
    expect(digits(JSON.stringify(items))).not.toContain(CARD_DIGITS);
    expect(items.map((i) => i.event)).toEqual([null, 'accepted']);

    // Typing: the agent's is shown to the customer; the customer's to the agent.
    console_.ws.send(JSON.stringify({ t: 'typing', id: ticketId }));
    await c.next((m) => m.type === 'typing');
    c.ws.send(JSON.stringify({ type: 'typing' }));
    await console_.next((m) => m.type === 'typing' && m.who === 'customer' && m.ticketId === ticketId);

    // A new message reaches the agent holding the chat inside the frame — redacted, its read audited first; a
    // colleague who may read the ticket hears that the ticket changed; another team's agent hears nothing.
    const watcher = await staffSocket(admin);
    const outsiderSocket = await staffSocket(outsider);
    const second = randomUUID();
    c.ws.send(JSON.stringify({ type: 'message', clientId: second, body: `Tried again with ${CARD}, still no luck` }));
    const pushed = await console_.next((m) => m.type === 'chat' && m.ticketId === ticketId && (m.item as { clientId?: string } | undefined)?.clientId === second);
    const pushedItem = pushed.item as { seq: number; body: string; author: string };
    expect(pushedItem).toMatchObject({ seq: pushed.chatSeq, author: 'customer' });
    expect(pushedItem.body).toContain('**** 1111');
    expect(digits(JSON.stringify(pushed))).not.toContain(CARD_DIGITS);
    const liveReads = await services.database.db.selectFrom('audit_log').where('action', '=', 'chat.read').where('actor_id', '=', agent.userId).select('details').execute();
    expect(liveReads.map((r) => (typeof r.details === 'string' ? JSON.parse(r.details) : r.details))).toContainEqual(expect.objectContaining({ ticketId, after: pushedItem.seq - 1, items: 1, live: true }));
    await watcher.next((m) => m.type === 'ticket' && m.ticketId === ticketId);
    expect(watcher.seen.filter((m) => m.type === 'chat')).toEqual([]);
    expect(outsiderSocket.seen.filter((m) => m.ticketId === ticketId)).toEqual([]);
    watcher.ws.terminate();
    outsiderSocket.ws.terminate();

    const reply = await app.inject({ method: 'POST', url: `/api/chats/${ticketId}/messages`, headers: agent.headers, payload: { clientId: randomUUID(), body: 'Sorry about that, let me check.' } });
    expect(reply.statusCode, reply.body).toBe(201);
    expect(await c.next((m) => m.type === 'message' && m.author === 'agent')).toMatchObject({ body: 'Sorry about that, let me check.' });
    await console_.next((m) => m.type === 'chat' && m.ticketId === ticketId && m.chatSeq === reply.json().seq);

    // "Verify customer" inside the chat: the code goes to the registered address, the customer types it in.
    const v = await app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/verifications`, headers: agent.headers, payload: { channel: 'email' } });
    expect(v.statusCode, v.body).toBe(201);
    const ask = await c.next((m) => m.type === 'verify');
    expect(ask).toMatchObject({ verificationId: v.json().verificationId, sentTo: expect.stringContaining('@example.org') });
    const code = /code is (\d{6})/.exec((services.mailer as MemoryMailer).last('casey@example.org')!.text ?? '')![1]!;
    c.ws.send(JSON.stringify({ type: 'verify', verificationId: v.json().verificationId, code: '000000' === code ? '111111' : '000000' }));
    expect(await c.next((m) => m.type === 'verify-result')).toMatchObject({ status: 'pending' });
    c.ws.send(JSON.stringify({ type: 'verify', verificationId: v.json().verificationId, code }));
    expect(await c.next((m) => m.type === 'verify-result')).toMatchObject({ status: 'verified' });
    await c.next((m) => m.type === 'message' && m.event === 'verified');
    const list = await app.inject({ method: 'GET', url: `/api/tickets/${ticketId}/verifications`, headers: agent.headers });
    expect(list.json().items[0]).toMatchObject({ status: 'verified', verifiedVia: 'chat' });

    // Nothing holds the full number: not the stored messages (decrypted), not the audit trail, not the search index.
    const db = services.database.db;
    const bodies = await db.selectFrom('messages').where('ticket_id', '=', ticketId).select(['id', 'body_enc']).execute();
    for (const m of bodies) expect(digits(await services.keyring.decrypt({ table: 'messages', column: 'body_enc', rowId: m.id }, m.body_enc!))).not.toContain(CARD_DIGITS);
    const audit = await sql<{ t: string }>`SELECT coalesce(string_agg(details::text, ' '), '') AS t FROM audit_log WHERE org_id = ${org.orgId}`.execute(db);
    expect(digits(audit.rows[0]!.t)).not.toContain(CARD_DIGITS);
    const subject = await db.selectFrom('tickets').where('id', '=', ticketId).select(['channel', 'assignee_id', 'status']).executeTakeFirstOrThrow();
    expect(subject).toEqual({ channel: 'chat', assignee_id: agent.userId, status: 'open' });

    // The customer ends it; the ticket stays open with its agent, and can continue by email.
    c.ws.send(JSON.stringify({ type: 'end' }));
    await c.next((m) => m.type === 'status' && m.status === 'ended');
    c.ws.send(JSON.stringify({ type: 'message', clientId: randomUUID(), body: 'one more thing' }));
    expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'ended' });
    const email = await app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/replies`, headers: agent.headers, payload: { body: 'Following up by email: the double charge is refunded.' } });
    expect(email.statusCode, email.body).toBe(201);
  });

  it('resumes after a reconnect without losing or repeating a message, and stores a resent message once', async () => {
    const { token } = (await start({ name: 'Robin' })).json();
    const a = await customer(token);
    const first = randomUUID();
    a.ws.send(JSON.stringify({ type: 'message', clientId: first, body: 'first' }));
    await a.next((m) => m.type === 'ack' && m.clientId === first);
    a.ws.terminate();
    // While away: the same message resent (the ack was lost) and a second one.
    const b = await customer(token, 1);
    b.ws.send(JSON.stringify({ type: 'message', clientId: first, body: 'first' }));
    expect(await b.next((m) => m.type === 'ack' && m.clientId === first)).toMatchObject({ seq: 1 });
    const second = randomUUID();
    b.ws.send(JSON.stringify({ type: 'message', clientId: second, body: 'second' }));
    expect(await b.next((m) => m.type === 'ack' && m.clientId === second)).toMatchObject({ seq: 2 });
    await b.next((m) => m.type === 'message' && m.seq === 2);
    expect(b.seen.filter((m) => m.type === 'message').map((m) => m.seq)).toEqual([2]);
    const c = await customer(token, 0);
    await c.next((m) => m.type === 'message' && m.seq === 2);
    expect(c.seen.filter((m) => m.type === 'message').map((m) => m.body)).toEqual(['first', 'second']);
  });

  it('refuses a socket from another origin, without auth, with an unknown or expired token', async () => {
    const url = `${base.replace('http', 'ws')}/api/chat/socket`;
    expect(await upgradeStatus(url, { origin: SITE })).toBe(403);
    expect(await upgradeStatus(url, { origin: 'https://evil.example' })).toBe(403);
    const silent = await connectSocket(url, { origin });
    open.push(silent);
    expect((await silent.closed).code).toBe(4408);
    const forged = await connectSocket(url, { origin });
    open.push(forged);
    forged.ws.send(JSON.stringify({ type: 'auth', token: `tdc_${'A'.repeat(43)}` }));
    expect((await forged.closed).code).toBe(4401);
    const { token } = (await start()).json();
    await services.database.db.updateTable('chat_conversations').set({ expires_at: new Date(Date.now() - 1000) }).where('token_hash', '=', hashSecret(token)).execute();
    const late = await connectSocket(url, { origin });
    open.push(late);
    late.ws.send(JSON.stringify({ type: 'auth', token }));
    expect((await late.closed).code).toBe(4401);
  });

  it('closes on binary, oversized, malformed and flooding frames', async () => {
    const { token } = (await start()).json();
    const cases: Array<[string, (c: Client) => void, number]> = [
      ['binary', (c) => c.ws.send(Buffer.from([1, 2, 3])), 1008],
      ['oversized', (c) => c.ws.send(JSON.stringify({ type: 'message', clientId: randomUUID(), body: 'x'.repeat(9000) })), 1009],
      ['huge', (c) => c.ws.send('x'.repeat(100_000)), 1009],
      ['malformed', (c) => c.ws.send('{"type":'), 1008],
      ['nested', (c) => c.ws.send('['.repeat(3000) + ']'.repeat(3000)), 1008],
      ['flood', (c) => { for (let i = 0; i < 150; i++) c.ws.send('{"type":"typing"}'); }, 4429],
    ];
    for (const [name, act, code] of cases) {
      const c = await customer(token);
      act(c);
      expect((await c.closed).code, name).toBe(code);
    }
  });

  it('refuses forged, replayed, skewed, long-lived and foreign identity tokens, and pages not on the allowed list', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await start({ identityToken: await identityToken({ key: 'not-the-secret-at-all-not-the-secret' }) })).statusCode).toBe(401);
    const once = await identityToken({});
    expect((await start({ identityToken: once })).statusCode).toBe(201);
    expect((await start({ identityToken: once })).statusCode).toBe(401);
    expect((await start({ identityToken: await identityToken({ iat: now + 600, exp: now + 900 }) })).statusCode).toBe(401);
    expect((await start({ identityToken: await identityToken({ iat: now - 900, exp: now - 300 }) })).statusCode).toBe(401);
    expect((await start({ identityToken: await identityToken({ iat: now, exp: now + 3600 }) })).statusCode).toBe(401);
    expect((await start({ identityToken: await identityToken({ aud: otherOrg.orgId }) })).statusCode).toBe(401);
    // Clocks 30 seconds apart are fine.
    expect((await start({ identityToken: await identityToken({ iat: now + 30, exp: now + 300 }) })).statusCode).toBe(201);
    expect((await start({ host: 'https://evil.example' })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/api/chat/conversations', payload: { orgId: otherOrg.orgId, host: SITE } })).statusCode).toBe(404);
    const frame = await app.inject({ method: 'GET', url: `/chat/frame?org=${org.orgId}&host=${encodeURIComponent(SITE)}` });
    if (frame.statusCode === 200) expect(frame.headers['content-security-policy']).toContain(`frame-ancestors ${SITE}`);
    expect((await app.inject({ method: 'GET', url: `/chat/frame?org=${org.orgId}&host=${encodeURIComponent('https://evil.example')}` })).statusCode).toBeGreaterThanOrEqual(403);
  });

  it('keeps to the per-agent limit, and a message for an ended chat changes nothing', async () => {
    const tickets: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { token } = (await start()).json();
      const c = await customer(token);
      const clientId = randomUUID();
      c.ws.send(JSON.stringify({ type: 'message', clientId, body: `chat ${i}` }));
      await c.next((m) => m.type === 'ack');
      const row = await services.database.db.selectFrom('chat_conversations').where('token_hash', '=', hashSecret(token)).select('ticket_id').executeTakeFirstOrThrow();
      tickets.push(row.ticket_id!);
    }
    // Whatever the agent had open from earlier tests is ended first.
    const mine = await app.inject({ method: 'GET', url: '/api/chats?box=mine', headers: agent.headers });
    for (const ch of mine.json().chats) await app.inject({ method: 'POST', url: `/api/chats/${ch.ticketId}/end`, headers: agent.headers });
    const results = await Promise.all(tickets.map((t) => app.inject({ method: 'POST', url: `/api/chats/${t}/accept`, headers: agent.headers })));
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 200, 409]);
    const ended = tickets[results.findIndex((r) => r.statusCode === 200)]!;
    expect((await app.inject({ method: 'POST', url: `/api/chats/${ended}/end`, headers: agent.headers })).statusCode).toBe(200);
    const after = await app.inject({ method: 'POST', url: `/api/chats/${ended}/messages`, headers: agent.headers, payload: { clientId: randomUUID(), body: 'hello?' } });
    expect(after.statusCode).toBe(409);
  });
  it('takes a file (type sniffed, dangerous flagged), sends a transcript as a secure message, and turns the offline form into a ticket', async () => {
    const begun = await start({ identityToken: await identityToken({ email: 'files@example.org', name: 'Fi Les' }) });
    expect(begun.statusCode, begun.body).toBe(201);
    const { token } = begun.json();
    const c = await customer(token);
    const early = await app.inject({ method: 'POST', url: '/api/chat/files?name=a.txt', headers: { 'x-chat-token': token, 'content-type': 'application/octet-stream' }, payload: Buffer.from('x') });
    expect(early.statusCode).toBe(409);
    c.ws.send(JSON.stringify({ type: 'message', clientId: randomUUID(), body: 'here is the invoice' }));
    await c.next((m) => m.type === 'ack');
    // An executable in a PDF's clothing: stored, flagged, announced on the socket like any message.
    const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 1)]);
    const up = await app.inject({ method: 'POST', url: '/api/chat/files?name=invoice.pdf', headers: { 'x-chat-token': token, 'content-type': 'application/octet-stream' }, payload: exe });
    expect(up.statusCode, up.body).toBe(201);
    expect(up.json()).toMatchObject({ dangerous: true });
    const item = await c.next((m) => m.type === 'message' && m.seq === up.json().seq);
    expect(item.attachments).toEqual([expect.objectContaining({ filename: 'invoice.pdf', dangerous: true })]);
    expect((await app.inject({ method: 'POST', url: '/api/chat/files?name=a.txt', headers: { 'x-chat-token': 'tdc_forged', 'content-type': 'application/octet-stream' }, payload: Buffer.from('x') })).statusCode).toBe(401);

    const mailer = services.mailer as MemoryMailer;
    const before = mailer.sent.length;
    c.ws.send(JSON.stringify({ type: 'transcript' }));
    await c.next((m) => m.type === 'message' && m.event === 'transcript');
    const notice = mailer.sent.slice(before).find((m) => m.to === 'files@example.org');
    // Only a notice and a link leave by email: never the conversation.
    expect(notice?.text ?? '').not.toContain('invoice');
    c.ws.send(JSON.stringify({ type: 'transcript' }));
    expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'rate_limited' });

    const offline = await app.inject({ method: 'POST', url: '/api/chat/offline', payload: { orgId: org.orgId, host: SITE, name: 'Olli Offline', email: 'olli@example.org', message: `Call me back, card ${CARD}` } });
    expect(offline.statusCode, offline.body).toBe(202);
    const forged = await app.inject({ method: 'POST', url: '/api/chat/offline', payload: { orgId: org.orgId, host: 'https://evil.example', name: 'X', email: 'x@example.org', message: 'hi' } });
    expect(forged.statusCode).toBe(403);
  });

  it('passes an unanswered offer on to the next available agent, and closes on invalid UTF-8', async () => {
    const second = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
    const secondConsole = await staffSocket(second);
    // The earlier tests' chats are over: both agents start with nothing open or offered.
    await services.database.db.updateTable('chat_conversations').set({ status: 'ended', offered_to: null }).where('org_id', '=', org.orgId).execute();
    const { token } = (await start()).json();
    const c = await customer(token);
    c.ws.send(JSON.stringify({ type: 'message', clientId: randomUUID(), body: 'anyone there?' }));
    await c.next((m) => m.type === 'ack');
    const row = await services.database.db.selectFrom('chat_conversations').where('token_hash', '=', hashSecret(token)).select(['id', 'offered_to', 'ticket_id']).executeTakeFirstOrThrow();
    const first = row.offered_to!;
    expect([agent.userId, second.userId]).toContain(first);
    // The offer times out unanswered: the sweep offers it to the other one, who is told.
    const deps = { ...(await createPortalDeps(services)), bus: app.bus, presence: app.presence };
    expect(await sweepOffers(deps, new Date(Date.now() + 31_000))).toBeGreaterThanOrEqual(1);
    const after = await services.database.db.selectFrom('chat_conversations').where('id', '=', row.id).select('offered_to').executeTakeFirstOrThrow();
    const next = first === agent.userId ? second : agent;
    expect(after.offered_to).toBe(next.userId);
    await (next === second ? secondConsole : console_).next((m) => m.type === 'chat-offer' && m.ticketId === row.ticket_id);

    const raw = await connectSocket(`${base.replace('http', 'ws')}/api/chat/socket`, { origin });
    open.push(raw);
    raw.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await raw.closed).code).toBe(1007);
  });

  it('lets the agent holding a chat list the teams and pass it to one, without the staff list; nobody else', async () => {
    await services.database.db.updateTable('chat_conversations').set({ status: 'ended', offered_to: null }).where('org_id', '=', org.orgId).execute();
    const { token } = (await start({ name: 'Transfer Tom' })).json();
    const c = await customer(token);
    c.ws.send(JSON.stringify({ type: 'message', clientId: randomUUID(), body: 'I need billing, please' }));
    await c.next((m) => m.type === 'ack');
    const row = await services.database.db.selectFrom('chat_conversations').where('token_hash', '=', hashSecret(token)).select('ticket_id').executeTakeFirstOrThrow();
    const ticketId = row.ticket_id!;
    expect((await app.inject({ method: 'POST', url: `/api/chats/${ticketId}/accept`, headers: agent.headers })).statusCode).toBe(200);
    // A plain agent may not read the staff list, but may pass their own chat to a team.
    expect((await app.inject({ method: 'GET', url: '/api/teams', headers: agent.headers })).statusCode).toBe(403);
    const listed = await app.inject({ method: 'GET', url: `/api/chats/${ticketId}/transfer-teams`, headers: agent.headers });
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json().teams.map((x: { id: string }) => x.id)).toEqual(expect.arrayContaining([team, otherTeam]));
    expect(Object.keys(listed.json().teams[0]).sort()).toEqual(['id', 'name']);
    // Not theirs, not their team's, not their organisation's: refused alike.
    for (const who of [outsider, foreigner]) expect((await app.inject({ method: 'GET', url: `/api/chats/${ticketId}/transfer-teams`, headers: who.headers })).statusCode).toBe(404);
    const moved = await app.inject({ method: 'POST', url: `/api/chats/${ticketId}/transfer`, headers: agent.headers, payload: { teamId: otherTeam } });
    expect(moved.statusCode, moved.body).toBe(200);
    // Once passed on, it is no longer theirs to list targets for.
    expect((await app.inject({ method: 'GET', url: `/api/chats/${ticketId}/transfer-teams`, headers: agent.headers })).statusCode).toBe(404);
  });

  it('forgets a visitor who opened the chat and never said anything, once their token is dead; never a chat with a ticket', async () => {
    const db = services.database.db;
    const idOf = async (token: string) => db.selectFrom('chat_conversations').where('token_hash', '=', hashSecret(token)).select(['id', 'customer_id']).executeTakeFirstOrThrow();
    const silent = await idOf((await start({ name: 'Silent Sam' })).json().token);
    const spokeToken = (await start({ name: 'Talkative Tess' })).json().token;
    const c = await customer(spokeToken);
    c.ws.send(JSON.stringify({ type: 'message', clientId: randomUUID(), body: 'hello?' }));
    await c.next((m) => m.type === 'ack');
    const spoke = await idOf(spokeToken);
    const fresh = await idOf((await start({ name: 'Just Arrived' })).json().token);
    const old = new Date(Date.now() - 31 * 60_000);
    await db.updateTable('chat_conversations').set({ last_activity_at: old }).where('id', 'in', [silent.id, spoke.id]).execute();

    expect(await sweepAbandonedChats({ db, keyring: services.keyring, audit: services.audit })).toBeGreaterThanOrEqual(1);
    const left = await db.selectFrom('chat_conversations').where('id', 'in', [silent.id, spoke.id, fresh.id]).select('id').execute();
    expect(left.map((r) => r.id).sort()).toEqual([spoke.id, fresh.id].sort());
    expect(await db.selectFrom('customers').where('id', '=', silent.customer_id).select('id').executeTakeFirst()).toBeUndefined();
    const keys = await db.selectFrom('data_keys').where('owner_type', '=', 'customer').where('owner_id', '=', silent.customer_id).select('destroyed_at').execute();
    expect(keys.every((k) => k.destroyed_at !== null)).toBe(true);
    expect(await db.selectFrom('customers').where('id', '=', spoke.customer_id).select('id').executeTakeFirst()).toBeDefined();
    const trail = await db.selectFrom('audit_log').where('action', '=', 'chat.discard').where('object_id', '=', silent.id).select('result').execute();
    expect(trail).toEqual([{ result: 'success' }]);
  });

  it('holds each visitor to 60 messages a minute, across connections', async () => {
    const { token } = (await start()).json();
    const a = await customer(token);
    let limited = false;
    for (let i = 0; i < 61 && !limited; i++) {
      const ws = a;
      ws.ws.send(JSON.stringify({ type: 'message', clientId: randomUUID(), body: `m${i}` }));
      const reply = await ws.next((m) => m.type === 'ack' || m.type === 'error');
      if (reply.type === 'error') {
        expect(reply).toMatchObject({ code: 'rate_limited' });
        expect(i).toBe(60);
        limited = true;
      }
    }
    expect(limited).toBe(true);
    const other = await customer(token);
    other.ws.send(JSON.stringify({ type: 'message', clientId: randomUUID(), body: 'from another tab' }));
    expect(await other.next((m) => m.type === 'ack' || m.type === 'error')).toMatchObject({ type: 'error', code: 'rate_limited' });
  });
  it('keeps a waiting customer’s chat alive while their socket is open, however long nobody answers', async () => {
    const { token } = (await start()).json();
    const c = await customer(token);
    const hash = hashSecret(token);
    const idleSince = new Date(Date.now() - 29.5 * 60_000);
    await services.database.db.updateTable('chat_conversations').set({ last_activity_at: idleSince }).where('token_hash', '=', hash).execute();
    await new Promise((r) => setTimeout(r, 600));
    const row = await services.database.db.selectFrom('chat_conversations').where('token_hash', '=', hash).select('last_activity_at').executeTakeFirstOrThrow();
    expect(row.last_activity_at.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(c.ws.readyState).toBe(c.ws.OPEN);
  });

  describe('identification by an email code', () => {
    const mailer = () => services.mailer as MemoryMailer;
    // Each request from an address of its own: these tests make more requests than one visitor's address may a minute.
    let n = 0;
    const from = () => `10.86.${Math.floor(++n / 250)}.${(n % 250) + 1}`;
    const identify = (token: string, email: string) => app.inject({ method: 'POST', url: '/api/chat/identify', remoteAddress: from(), headers: { 'x-chat-token': token }, payload: { email } });
    const confirm = (token: string, challengeId: string, code: string) => app.inject({ method: 'POST', url: '/api/chat/identify/confirm', remoteAddress: from(), headers: { 'x-chat-token': token }, payload: { challengeId, code } });
    /** The code of the newest mail to `to` (the mail goes after the answer). */
    const codeFor = async (to: string) => {
      await services.deferred.drain();
      return /is (\d{6})\./.exec(mailer().last(to)?.text ?? '')?.[1] ?? null;
    };
    const wrong = (code: string) => (code === '000000' ? '111111' : '000000');
    const anonymous = async (name?: string) => {
      const res = await app.inject({ method: 'POST', url: '/api/chat/conversations', remoteAddress: from(), payload: { orgId: org.orgId, host: SITE, ...(name ? { name } : {}) } });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().token as string;
    };
    const asked = async (token: string, email: string) => {
      const res = await identify(token, email);
      expect(res.statusCode, res.body).toBe(202);
      return { challengeId: res.json().challengeId as string, code: (await codeFor(email))! };
    };

    it('turns an anonymous chat into the known customer’s: what was said moves with it, the agent sees who it is, the mail holds only the code', async () => {
      // A customer already known by the address (they chatted before, identified by the website).
      const known = await start({ identityToken: await identityToken({ email: 'dana@example.org', name: 'Dana Known' }) });
      const danaId = (await services.database.db.selectFrom('chat_conversations').where('token_hash', '=', hashSecret(known.json().token)).select('customer_id').executeTakeFirstOrThrow()).customer_id;

      const token = await anonymous('Dee');
      const c = await customer(token);
      const said = 'my parcel with the blue lid never arrived';
      c.ws.send(JSON.stringify({ type: 'message', clientId: randomUUID(), body: said }));
      await c.next((m) => m.type === 'ack');
      const conv = await services.database.db.selectFrom('chat_conversations').where('token_hash', '=', hashSecret(token)).select(['id', 'customer_id', 'ticket_id']).executeTakeFirstOrThrow();
      const visitorId = conv.customer_id;
      const ticketId = conv.ticket_id!;

      const { challengeId, code } = await asked(token, 'Dana@Example.org');
      const mail = mailer().last('Dana@Example.org')!;
      expect(mail.text).not.toContain('blue lid');
      expect(mail.text).not.toContain('Dee');
      expect(mail.subject).not.toContain('parcel');
      // Only the code is in it: no link, no other number, nothing of the chat.
      const orgName = (await services.database.db.selectFrom('organizations').where('id', '=', org.orgId).select('name').executeTakeFirstOrThrow()).name;
      expect(mail.text).toContain(orgName);
      expect(mail.text!.replaceAll(orgName, 'ORG').match(/\d+/g)).toEqual([code, '10']);
      expect(mail.text).not.toMatch(/https?:/);

      // A wrong code is refused and does not end the challenge.
      const bad = await confirm(token, challengeId, wrong(code));
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ code: 'validation_failed', reason: 'bad_code' });
      const ok = await confirm(token, challengeId, code);
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json()).toEqual({ identity: { kind: 'email', name: 'Dana Known' } });

      // The conversation, its ticket and the anonymous visitor's record now belong to Dana.
      const db = services.database.db;
      expect(await db.selectFrom('chat_conversations').where('id', '=', conv.id).select(['customer_id', 'identity']).executeTakeFirstOrThrow()).toEqual({ customer_id: danaId, identity: 'email' });
      expect((await db.selectFrom('tickets').where('id', '=', ticketId).select('requester_id').executeTakeFirstOrThrow()).requester_id).toBe(danaId);
      expect((await db.selectFrom('customers').where('id', '=', visitorId).select('merged_into').executeTakeFirstOrThrow()).merged_into).toBe(danaId);

      // The customer sees it in the chat; their socket now acts for Dana (a transcript goes to her address).
      await c.next((m) => m.type === 'message' && m.event === 'identified');
      c.ws.send(JSON.stringify({ type: 'transcript' }));
      await c.next((m) => m.type === 'message' && m.event === 'transcript');
      expect((await services.database.db.selectFrom('secure_messages').where('ticket_id', '=', ticketId).select('customer_id').executeTakeFirstOrThrow()).customer_id).toBe(danaId);

      // The agent: the event in the conversation, the earlier message still readable, the ticket's customer is Dana.
      const read = await app.inject({ method: 'GET', url: `/api/chats/${ticketId}/messages?after=0`, headers: agent.headers });
      expect(read.statusCode, read.body).toBe(200);
      const items = read.json().items as Array<{ body: string; event: string | null }>;
      expect(items.map((i) => i.event)).toContain('identified');
      expect(items[0]!.body).toBe(said);
      const ticket = await app.inject({ method: 'GET', url: `/api/tickets/${ticketId}`, headers: agent.headers });
      expect(ticket.statusCode, ticket.body).toBe(200);
      expect(ticket.json().requesterId).toBe(danaId);
      expect(JSON.stringify(ticket.json().requester)).not.toMatch(/Dee|Visitor/);

      // The code is nowhere in the audit trail; the address is stored only encrypted.
      const audit = await sql<{ t: string }>`SELECT coalesce(string_agg(details::text, ' '), '') AS t FROM audit_log WHERE org_id = ${org.orgId}`.execute(db);
      expect(audit.rows[0]!.t).not.toContain(code);
      const actions = await db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', 'in', ['chat.identify.request', 'chat.identify']).select(['action', 'result']).execute();
      expect(actions).toEqual(expect.arrayContaining([{ action: 'chat.identify.request', result: 'success' }, { action: 'chat.identify', result: 'failure' }, { action: 'chat.identify', result: 'success' }]));
      const plain = await sql<{ n: number }>`SELECT count(*)::int AS n FROM portal_challenges WHERE position(convert_to('xample.org', 'UTF8') in coalesce(address_enc, ''::bytea)) > 0`.execute(db);
      expect(plain.rows[0]!.n).toBe(0);

      // Used once: the same code again is refused (the chat is identified now, so it is refused before any attempt).
      const again = await confirm(token, challengeId, code);
      expect(again.statusCode).toBe(409);
      expect((await identify(token, 'someone@example.org')).statusCode).toBe(409);
    });

    it('makes a new customer for an unknown address, answering exactly as for a known one', async () => {
      const a = await anonymous();
      const b = await anonymous();
      const stranger = `nobody-${randomUUID().slice(0, 8)}@example.net`;
      const knownAnswer = await identify(a, 'casey@example.org');
      const unknownAnswer = await identify(b, stranger);
      expect([knownAnswer.statusCode, unknownAnswer.statusCode]).toEqual([202, 202]);
      const shape = (r: typeof knownAnswer) => `${Object.keys(r.json()).sort().join(',')} ${r.headers['content-type']}`;
      expect(shape(unknownAnswer)).toBe(shape(knownAnswer));
      // Both addresses get a code: an unknown one becomes a customer only when its code comes back.
      expect(await codeFor('casey@example.org')).toMatch(/^\d{6}$/);
      const code = (await codeFor(stranger))!;
      expect(code).toMatch(/^\d{6}$/);
      const ok = await confirm(b, unknownAnswer.json().challengeId, code);
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json().identity).toEqual({ kind: 'email', name: stranger.split('@')[0] });
      const conv = await services.database.db.selectFrom('chat_conversations').where('token_hash', '=', hashSecret(b)).select('customer_id').executeTakeFirstOrThrow();
      const row = await services.database.db.selectFrom('customers').where('id', '=', conv.customer_id).select(['id', 'email_enc', 'merged_into']).executeTakeFirstOrThrow();
      expect(row.merged_into).toBeNull();
      expect(await services.keyring.decrypt({ table: 'customers', column: 'email_enc', rowId: row.id }, row.email_enc!)).toBe(stranger);
    });

    it('refuses a wrong, expired, exhausted or replayed code, and another conversation’s code', async () => {
      const db = services.database.db;
      // Expired.
      const t1 = await anonymous();
      const first = await asked(t1, 'erin@example.org');
      await db.updateTable('portal_challenges').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', first.challengeId).execute();
      expect((await confirm(t1, first.challengeId, first.code)).json()).toMatchObject({ reason: 'bad_code' });

      // Five wrong tries void it: the right code afterwards is refused too.
      const t2 = await anonymous();
      const second = await asked(t2, 'erin2@example.org');
      for (let i = 0; i < 5; i++) expect((await confirm(t2, second.challengeId, wrong(second.code))).statusCode).toBe(400);
      expect((await confirm(t2, second.challengeId, second.code)).json()).toMatchObject({ reason: 'bad_code' });

      // Another conversation's token with this one's challenge and code: refused, and this one's attempts untouched.
      const t3 = await anonymous();
      const t4 = await anonymous();
      const third = await asked(t3, 'erin3@example.org');
      expect((await confirm(t4, third.challengeId, third.code)).json()).toMatchObject({ reason: 'bad_code' });
      expect((await db.selectFrom('portal_challenges').where('id', '=', third.challengeId).select('attempts').executeTakeFirstOrThrow()).attempts).toBe(0);
      // Asking again voids the earlier code.
      const fourth = await asked(t3, 'erin3@example.org');
      expect((await confirm(t3, third.challengeId, third.code)).json()).toMatchObject({ reason: 'bad_code' });

      // The right code sent twice at once: exactly one wins.
      const both = await Promise.all([confirm(t3, fourth.challengeId, fourth.code), confirm(t3, fourth.challengeId, fourth.code)]);
      // (The loser waits for the winner's lock on the conversation, then finds it identified.)
      expect(both.map((r) => r.statusCode).sort()).toEqual([200, 409]);
      // A malformed request is a 400 too, and no token is a 401.
      expect((await confirm(t4, 'not-a-uuid', '123456')).statusCode).toBe(400);
      expect((await app.inject({ method: 'POST', url: '/api/chat/identify', payload: { email: 'x@example.org' } })).statusCode).toBe(401);
      expect((await identify(t4, 'not an address')).statusCode).toBe(400);
    });

    it('caps codes per conversation and per address, and refuses identified and ended chats', async () => {
      const t = await anonymous();
      for (let i = 0; i < CODES_PER_CONVERSATION_PER_HOUR; i++) expect((await identify(t, `cap-${i}@example.org`)).statusCode).toBe(202);
      const over = await identify(t, 'cap-x@example.org');
      expect(over.statusCode).toBe(429);
      expect(over.json()).toMatchObject({ code: 'rate_limited' });

      // One address, many conversations: after the cap, the same answer, but no more mail (no mail-bombing through the widget).
      const victim = `victim-${randomUUID().slice(0, 8)}@example.org`;
      const answers = [];
      for (let i = 0; i < CODES_PER_ADDRESS_PER_HOUR + 2; i++) answers.push(await identify(await anonymous(), victim));
      expect(answers.map((r) => r.statusCode)).toEqual(answers.map(() => 202));
      await services.deferred.drain();
      expect(mailer().sent.filter((m) => m.to === victim)).toHaveLength(CODES_PER_ADDRESS_PER_HOUR);

      const site = (await start({ identityToken: await identityToken({ email: 'sid@example.org' }) })).json().token;
      const refused = await identify(site, 'other@example.org');
      expect(refused.statusCode).toBe(409);
      expect(refused.json()).toMatchObject({ reason: 'identified' });

      const gone = await anonymous();
      const c = await customer(gone);
      c.ws.send(JSON.stringify({ type: 'end' }));
      await c.next((m) => m.type === 'status' && m.status === 'ended');
      expect((await identify(gone, 'late@example.org')).json()).toMatchObject({ code: 'conflict', reason: 'ended' });
    });
  });
});
