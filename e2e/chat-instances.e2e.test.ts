/**
 * Live chat across two real `trustdesk start` processes on one PostgreSQL and
 * one Redis (only when TEST_DATABASE_URL and TEST_REDIS_URL are set; .ci/run
 * sets both). The customer is on instance A, the agent's console on B: the
 * offer and every message cross through Redis. Mid-conversation B is killed
 * with SIGKILL; the console reconnects to A and catches up from its last seq.
 * Neither side may miss or see twice a single message, and the database holds
 * each message once.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, newSecret } from '../src/identity/auth/secrets.js';
import { createSession } from '../src/identity/auth/sessions.js';
import { openDatabase, type DatabaseHandle } from '../src/platform/db/database.js';
import { connectSocket, type Client, type ServerMessageSeen } from '../src/platform/realtime/testing.js';
import { seedOrganization, seedStaff, seedTeam } from '../src/helpdesk/tickets/testing.js';
import { TEST_DATABASE_URL } from '../src/platform/db/testing.js';
import { sleep, startCluster, until, type Cluster, type Instance } from './instances.js';

const REDIS_URL = process.env.TEST_REDIS_URL;
const SITE = 'https://www.example.com';

describe.skipIf(!TEST_DATABASE_URL || !REDIS_URL)('live chat across two instances, one killed mid-conversation', () => {
  let cluster: Cluster;
  let db: DatabaseHandle;
  let publicUrl: string;
  let instances: Instance[];
  let orgId: string;
  let agentCookie: string;
  let apiToken: string;

  beforeAll(async () => {
    cluster = await startCluster({ serverUrl: TEST_DATABASE_URL!, redisUrl: REDIS_URL!, count: 2 });
    ({ instances, publicUrl } = cluster);
    db = await openDatabase({ url: cluster.databaseUrl, poolSize: 2 });
    orgId = await seedOrganization(db.db, 'Two Instances Ltd');
    const team = await seedTeam(db.db, orgId, 'Chat');
    await db.db.updateTable('teams').set({ assignment_strategy: 'least_busy' }).where('id', '=', team).execute();
    const agentId = await seedStaff(db.db, orgId, { teamIds: [team], name: 'Sam Agent' });
    await db.db.insertInto('chat_settings').values({ org_id: orgId, enabled: true, team_id: team, allowed_origins: [SITE] }).execute();
    const session = await createSession(db.db, { userId: agentId, orgId, ip: '127.0.0.1', userAgent: 'e2e', policy: { idleMs: 3_600_000, absoluteMs: 3_600_000 }, mfa: { at: new Date(), method: 'webauthn' } });
    agentCookie = `td_session=${session.token}`;
    apiToken = newSecret('tdt');
    await db.db
      .insertInto('api_tokens')
      .values({ id: randomUUID(), org_id: orgId, user_id: agentId, kind: 'personal', name: 'console', token_hash: hashSecret(apiToken), prefix: apiToken.slice(0, 10), scopes: ['tickets.read', 'tickets.write', 'tickets.take'], expires_at: new Date(Date.now() + 3_600_000), created_by: null })
      .execute();
  }, 200_000);

  afterAll(async () => {
    await db?.close().catch(() => undefined);
    await cluster?.stop();
  }, 60_000);

  it('the customer on A and the agent on B chat; B is SIGKILLed; the console resumes on A; nothing is lost or doubled', async () => {
    const [a, b] = instances as [Instance, Instance];
    const origin = new URL(publicUrl).origin;
    const api = (inst: Instance, method: string, url: string, body?: unknown) =>
      fetch(`${inst.http}${url}`, { method, headers: { authorization: `Bearer ${apiToken}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });

    // The agent's console on B (online for routing through Redis presence).
    let agentInst = b;
    let console_: Client = await connectSocket(`${b.ws}/api/realtime`, { cookie: agentCookie, origin });
    await console_.next((m) => m.type === 'ready');

    // The customer on A.
    const started = await fetch(`${a.http}/api/chat/conversations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orgId, host: SITE, name: 'Dana' }) });
    expect(started.status, await started.clone().text()).toBe(201);
    const { token } = (await started.json()) as { token: string };
    const customer = await connectSocket(`${a.ws}/api/chat/socket`, { origin });
    customer.ws.send(JSON.stringify({ type: 'auth', token, after: 0 }));
    await customer.next((m) => m.type === 'ready');
    const acks = new Map<string, number[]>();
    customer.ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as ServerMessageSeen;
      if (m.type === 'ack') acks.set(String(m.clientId), [...(acks.get(String(m.clientId)) ?? []), Number(m.seq)]);
    });
    const say = (text: string) => customer.ws.send(JSON.stringify({ type: 'message', clientId: randomUUID(), body: text }));

    say('Hello from instance A');
    const offer = await console_.next((m) => m.type === 'chat-offer', 15_000);
    const ticketId = offer.ticketId!;
    expect((await api(b, 'POST', `/api/chats/${ticketId}/accept`)).status).toBe(200);
    await customer.next((m) => m.type === 'status' && m.status === 'active', 10_000);

    // The console's view: everything after the last seq it has, fetched whenever it is told of one.
    const agentSeqs: number[] = [];
    let fetching = Promise.resolve();
    const catchUp = () => {
      fetching = fetching.then(async () => {
        const res = await api(agentInst, 'GET', `/api/chats/${ticketId}/messages?after=${agentSeqs.at(-1) ?? 0}`).catch(() => null);
        if (res?.status !== 200) return;
        for (const item of ((await res.json()) as { items: Array<{ seq: number }> }).items) agentSeqs.push(item.seq);
      });
      return fetching;
    };
    const watch = (c: Client) => c.ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as ServerMessageSeen;
      if (m.type === 'chat' || m.type === 'resync' || m.type === 'ready') void catchUp();
    });
    watch(console_);
    await catchUp();

    for (let i = 1; i <= 30; i++) {
      say(`customer message ${i}`);
      if (i % 3 === 0) {
        const r = await api(agentInst, 'POST', `/api/chats/${ticketId}/messages`, { clientId: randomUUID(), body: `agent reply ${i}` }).catch(() => null);
        expect(r?.status, `reply ${i}: ${r?.status === 201 ? "" : await r?.text()}`).toBe(201);
      }
      if (i === 12) {
        // B dies mid-conversation; the console reconnects to A, which resumes it from its last seq.
        b.proc.kill('SIGKILL');
        await until('B to die', () => b.exited || undefined);
        await console_.closed;
        agentInst = a;
        console_ = await connectSocket(`${a.ws}/api/realtime`, { cookie: agentCookie, origin });
        watch(console_);
        await console_.next((m) => m.type === 'ready');
      }
      // Below the widget socket's frame limit (10 a second).
      await sleep(150);
    }

    const last = await until('every message stored', async () => {
      const row = await db.db.selectFrom('chat_conversations').where('ticket_id', '=', ticketId).select('last_seq').executeTakeFirstOrThrow();
      // 1 greeting + 1 accepted event + 30 customer messages + 10 replies.
      return row.last_seq >= 42 ? row.last_seq : undefined;
    });
    expect(last).toBe(42);
    await until('the customer to have everything', () => (customer.seen.filter((m) => m.type === 'message').length >= last ? true : undefined));
    await until('the console to have everything', async () => {
      await catchUp();
      return agentSeqs.length >= last ? true : undefined;
    });
    const expected = Array.from({ length: last }, (_, i) => i + 1);
    expect(customer.seen.filter((m) => m.type === 'message').map((m) => Number(m.seq))).toEqual(expected);
    expect(agentSeqs).toEqual(expected);
    expect([...acks.values()].every((seqs) => seqs.length === 1)).toBe(true);
    expect(acks.size).toBe(31);
    const stored = await db.db.selectFrom('chat_events').innerJoin('chat_conversations', 'chat_conversations.id', 'chat_events.conversation_id').where('chat_conversations.ticket_id', '=', ticketId).select(['seq', 'client_id']).execute();
    expect(stored.map((s) => s.seq).sort((x, y) => x - y)).toEqual(expected);
    const clientIds = stored.map((s) => s.client_id).filter(Boolean);
    expect(new Set(clientIds).size).toBe(clientIds.length);
    customer.ws.terminate();
    console_.ws.terminate();
  }, 120_000);
});
