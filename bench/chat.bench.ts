/**
 * bench:chat — live chat under load across two real instances on one
 * PostgreSQL and one Redis (e2e/instances.ts), and in the same run the same
 * traffic through a bare WebSocket relay over the same Redis: the ceiling.
 *
 * `BENCH_CUSTOMERS` (1,000) customer sockets on instance A, `BENCH_AGENTS` (50)
 * agent consoles on instance B. After every chat is accepted, customers send
 * `BENCH_RATE` (500) messages a second in all for `BENCH_SECONDS` (20). A
 * message's latency runs from the customer's send to the agent holding its
 * text: the full path (the customer's socket, DLP, encryption, storage, audit,
 * the Redis event, the agent's instance loading the item and auditing its read, the agent's console frame
 * carrying it; a fetch only after a gap). The
 * relay's runs from the same send to the agent socket's frame. Also the
 * per-message DLP cost for chat-sized messages (≤ 200 bytes).
 *
 * Needs PostgreSQL (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test)
 * and Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379). `--json`: the last
 * line is one JSON object.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { WebSocket, WebSocketServer } from 'ws';
import { startCluster, until, freePort } from '../e2e/instances.js';
import { hashSecret, newSecret } from '../src/identity/auth/secrets.js';
import { createSession } from '../src/identity/auth/sessions.js';
import { openDatabase } from '../src/platform/db/database.js';
import { seedOrganization, seedStaff, seedTeam } from '../src/helpdesk/tickets/testing.js';
import { DEFAULT_DLP_POLICY, redactSensitiveData } from '../src/protection/dlp/index.js';

const json = process.argv.includes('--json');
const SERVER = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 1000);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 50);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const SITE = 'https://shop.example.com';

const log = (...args: unknown[]) => {
  if (!json) console.log(...args);
};
const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : NaN);
const round = (x: number) => Math.round(x * 100) / 100;

/** Opens `n` sockets, `batch` at a time. */
async function openMany<T>(n: number, batch: number, open: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += batch) out.push(...(await Promise.all(Array.from({ length: Math.min(batch, n - i) }, (_, k) => open(i + k)))));
  return out;
}

/** A kept-alive connection the server has just closed fails once with ECONNRESET: try again on a fresh one. */
async function fetchRetry(url: string, init: RequestInit): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (err) {
      if (attempt >= 2) throw err;
    }
  }
}

function socket(url: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_q, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
}

/** Sends `RATE` messages a second, round robin over `senders`, for `SECONDS`; returns how many were sent. */
async function drive(senders: number, send: (i: number) => void): Promise<number> {
  const total = RATE * SECONDS;
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * RATE));
    for (; sent < due; sent++) send(sent % senders);
    await new Promise((r) => setTimeout(r, 5));
  }
  return sent;
}

// --- The full path ------------------------------------------------------------------------------

async function fullPath(): Promise<{ p50: number; p99: number; ackP50: number; ackP99: number; delivered: number; sent: number; seconds: number; connections: number }> {
  // Behind a proxy (X-Forwarded-For), so the thousand visitors come from addresses of their own, as in life.
  const cluster = await startCluster({ serverUrl: SERVER, redisUrl: REDIS, count: 2, poolSize: 10, logLevel: 'error', env: { TRUSTDESK_TRUST_PROXY: 'true' }, nodeArgs: process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [] });
  const [a, b] = cluster.instances as [(typeof cluster.instances)[0], (typeof cluster.instances)[0]];
  const origin = new URL(cluster.publicUrl).origin;
  const db = await openDatabase({ url: cluster.databaseUrl, poolSize: 4 });
  try {
    const orgId = await seedOrganization(db.db, 'Bench Chat');
    const team = await seedTeam(db.db, orgId, 'Chat');
    await db.db.updateTable('teams').set({ assignment_strategy: 'least_busy' }).where('id', '=', team).execute();
    // Least busy spreads them evenly (an offer counts against its recipient), so the limit can be exact.
    const perAgent = Math.ceil(CUSTOMERS / AGENTS);
    await db.db.insertInto('chat_settings').values({ org_id: orgId, enabled: true, team_id: team, allowed_origins: [SITE], max_chats_per_agent: Math.min(20, perAgent), offer_timeout_s: 600 }).execute();
    if (perAgent > 20) throw new Error('more than 20 chats per agent: raise BENCH_AGENTS');
    // One at a time: the first also makes the organisation's built-in roles.
    const agentIds: string[] = [];
    for (let i = 0; i < AGENTS; i++) agentIds.push(await seedStaff(db.db, orgId, { teamIds: [team], name: `Agent ${i}` }));
    const agents = await openMany(AGENTS, 25, async (i) => {
      const userId = agentIds[i]!;
      const session = await createSession(db.db, { userId, orgId, ip: '127.0.0.1', userAgent: 'bench', policy: { idleMs: 3_600_000, absoluteMs: 3_600_000 }, mfa: { at: new Date(), method: 'webauthn' } });
      const token = newSecret('tdt');
      await db.db
        .insertInto('api_tokens')
        .values({ id: randomUUID(), org_id: orgId, user_id: userId, kind: 'personal', name: 'bench', token_hash: hashSecret(token), prefix: token.slice(0, 10), scopes: ['tickets.read', 'tickets.write', 'tickets.take'], expires_at: new Date(Date.now() + 3_600_000), created_by: null })
        .execute();
      const ws = await socket(`${b.ws}/api/realtime`, { cookie: `td_session=${session.token}`, origin });
      return { userId, token, ws, holding: new Set<string>(), lastSeq: new Map<string, number>(), fetching: new Map<string, Promise<void>>() };
    });
    const api = (token: string, method: string, url: string) => fetchRetry(`${b.http}${url}`, { method, headers: { authorization: `Bearer ${token}` } });

    // Customers start on A through the API, fifty at a time, each from an address of its own.
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    /** Where the time goes: to the customer's ack (stored), and to the agent's console frame (announced). */
    const ackMs: number[] = [];
    const frameMs: number[] = [];
    let delivered = 0;
    /** Items that came in a frame but after a gap, so were fetched instead (as the console does). */
    let fetchedAfterGap = 0;
    /** Error frames by code, and the bodies of messages not yet acknowledged (to send again after an error). */
    const errors = new Map<string, number>();
    const unsent = new Map<string, string>();
    const customers = await openMany(CUSTOMERS, 20, async (i) => {
      const from = `10.${(i >> 8) & 255}.${i & 255}.1`;
      const res = await fetchRetry(`${a.http}/api/chat/conversations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
        body: JSON.stringify({ orgId, host: SITE, name: `Customer ${i}` }),
      });
      if (res.status !== 201) throw new Error(`start answered ${res.status}: ${await res.text()}`);
      const { token } = (await res.json()) as { token: string };
      const ws = await socket(`${a.ws}/api/chat/socket`, { origin, 'x-forwarded-for': from });
      ws.send(JSON.stringify({ type: 'auth', token, after: 0 }));
      ws.on('message', (raw) => {
        const m = JSON.parse(String(raw)) as { type: string; clientId?: string; code?: string };
        const t0 = m.type === 'ack' && m.clientId ? sentAt.get(m.clientId) : undefined;
        if (t0 !== undefined) ackMs.push(performance.now() - t0);
        if (m.type === 'error') {
          errors.set(m.code ?? '?', (errors.get(m.code ?? '?') ?? 0) + 1);
          // A message the server could not take is sent again with its client id, as the widget's retry does.
          const body = m.clientId ? unsent.get(m.clientId) : undefined;
          if (body !== undefined && m.code !== 'rate_limited') setTimeout(() => ws.send(JSON.stringify({ type: 'message', clientId: m.clientId, body })), 500);
        }
        if (m.type === 'ack' && m.clientId) unsent.delete(m.clientId);
      });
      return ws;
    });

    // Each agent accepts what is offered to them and fetches every new item of their chats.
    let accepted = 0;
    for (const agent of agents) {
      agent.ws.on('message', (raw) => {
        const m = JSON.parse(String(raw)) as { type: string; ticketId?: string; chatSeq?: number; item?: { seq: number; clientId: string | null } };
        if (m.type === 'chat-offer' && m.ticketId) {
          void api(agent.token, 'POST', `/api/chats/${m.ticketId}/accept`)
            .then(async (r) => {
              if (r.status === 200) {
                // Opening the chat reads what came before (the console's catch-up): held up to the accept's seq.
                const { seq } = (await r.json()) as { seq: number };
                agent.lastSeq.set(m.ticketId!, Math.max(agent.lastSeq.get(m.ticketId!) ?? 0, seq));
                agent.holding.add(m.ticketId!);
                accepted++;
              }
            })
            .catch((err: unknown) => console.error(`accept failed: ${String(err)} ${String((err as { cause?: unknown }).cause)}`));
        }
        // Every agent of the team hears of the team's chats (their inbox); each reads only the chats they hold open.
        if (m.type === 'chat' && m.ticketId && agent.holding.has(m.ticketId)) {
          const ticketId = m.ticketId;
          const heardAt = performance.now();
          const take = (item: { seq: number; clientId: string | null }, at: number) => {
            agent.lastSeq.set(ticketId, Math.max(agent.lastSeq.get(ticketId) ?? 0, item.seq));
            const t0 = item.clientId ? sentAt.get(item.clientId) : undefined;
            if (t0 !== undefined) {
              sentAt.delete(item.clientId!);
              frameMs.push(heardAt - t0);
              latencies.push(at - t0);
              delivered++;
            }
          };
          // The console's rule (ChatPane): an item that follows what is held is taken from the frame; after a gap, fetch.
          const held = agent.lastSeq.get(ticketId) ?? 0;
          if ((m.chatSeq ?? 0) <= held) return;
          if (m.item && m.item.seq === held + 1 && !agent.fetching.has(ticketId)) {
            take(m.item, heardAt);
            return;
          }
          if (m.item) fetchedAfterGap++;
          const prev = agent.fetching.get(ticketId) ?? Promise.resolve();
          const next = prev.then(async () => {
            const after = agent.lastSeq.get(ticketId) ?? 0;
            if ((m.chatSeq ?? 0) <= after) return;
            const r = await api(agent.token, 'GET', `/api/chats/${ticketId}/messages?after=${after}`);
            if (r.status !== 200) return;
            const now = performance.now();
            for (const item of ((await r.json()) as { items: Array<{ seq: number; clientId: string | null }> }).items) take(item, now);
          });
          const settled = next.catch(() => undefined);
          agent.fetching.set(ticketId, settled);
          void settled.then(() => {
            if (agent.fetching.get(ticketId) === settled) agent.fetching.delete(ticketId);
          });
        }
      });
    }
    const say = (ws: WebSocket, body: string, track: boolean) => {
      const clientId = randomUUID();
      if (track) sentAt.set(clientId, performance.now());
      unsent.set(clientId, body);
      ws.send(JSON.stringify({ type: 'message', clientId, body }));
    };
    // Every customer says hello (25 a second: each first message makes a ticket and is routed under the team's
    // lock); every chat is offered and accepted before the clock starts.
    for (let i = 0; i < customers.length; i += 5) {
      for (const ws of customers.slice(i, i + 5)) say(ws, 'Hello, I have a question about my order.', false);
      await new Promise((r) => setTimeout(r, 200));
    }
    await until('every chat accepted', () => (accepted >= CUSTOMERS ? true : undefined), 180_000).catch(async (err: unknown) => {
      const states = await db.db.selectFrom('chat_conversations').select(['status', 'offered_to']).execute();
      const count = (f: (x: (typeof states)[0]) => boolean) => states.filter(f).length;
      throw new Error(`${String(err)}: ${accepted} accepted; conversations new ${count((x) => x.status === 'new')}, waiting ${count((x) => x.status === 'waiting')} (offered ${count((x) => x.status === 'waiting' && x.offered_to !== null)}), active ${count((x) => x.status === 'active')}\n${b.output.slice(-2000)}`);
    });
    await new Promise((r) => setTimeout(r, 2000));
    latencies.length = 0;
    ackMs.length = 0;
    frameMs.length = 0;
    delivered = 0;
    if (errors.size) log(`  while starting: ${[...errors].map(([c, n]) => `${n} × ${c}`).join(', ')} (sent again)`);
    errors.clear();
    log(`full path: ${CUSTOMERS} customers on A, ${AGENTS} agents on B, all chats accepted; sending ${RATE}/s for ${SECONDS} s`);
    const t0 = performance.now();
    const sent = await drive(customers.length, (i) => say(customers[i]!, `Message ${i}: my order 4711 has not arrived, can you check?`, true));
    await until('deliveries to settle', () => (sentAt.size === 0 ? true : undefined), 30_000).catch(() => undefined);
    const seconds = (performance.now() - t0) / 1000;
    for (const ws of customers) ws.terminate();
    for (const ag of agents) ag.ws.terminate();
    log(`  where the time goes: send → ack p50 ${pct(ackMs, 50).toFixed(2)} ms p99 ${pct(ackMs, 99).toFixed(2)} ms; send → the agent's console frame p50 ${pct(frameMs, 50).toFixed(2)} ms p99 ${pct(frameMs, 99).toFixed(2)} ms; ${fetchedAfterGap} items fetched after a gap; errors ${errors.size ? [...errors].map(([c, n]) => `${n} × ${c}`).join(', ') : 'none'}`);
    return { p50: pct(latencies, 50), p99: pct(latencies, 99), ackP50: pct(ackMs, 50), ackP99: pct(ackMs, 99), delivered, sent, seconds, connections: customers.length + agents.length };
  } catch (err) {
    for (const [i, inst] of cluster.instances.entries()) console.error(`instance ${i} (${inst.exited ? 'exited' : 'running'}):\n${inst.output.slice(-3000)}`);
    throw err;
  } finally {
    await db.close();
    await cluster.stop();
  }
}

// --- The ceiling: a bare relay over the same Redis ----------------------------------------------

async function bareRelay(): Promise<{ p50: number; p99: number; delivered: number; sent: number; seconds: number }> {
  const channel = `bench-relay-${randomUUID()}`;
  const servers: Array<{ wss: WebSocketServer; pub: Redis; sub: Redis }> = [];
  const agentsByConversation = new Map<string, WebSocket>();
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    const wss = new WebSocketServer({ port, host: '127.0.0.1' });
    const pub = new Redis(REDIS);
    const sub = new Redis(REDIS);
    await sub.subscribe(channel);
    // Instance 1 holds the agents: forward each published message to the agent of its conversation.
    sub.on('message', (_c: string, payload: string) => {
      if (i !== 1) return;
      const m = JSON.parse(payload) as { c: string };
      agentsByConversation.get(m.c)?.send(payload);
    });
    wss.on('connection', (ws) => {
      ws.on('message', (raw) => {
        const m = JSON.parse(String(raw)) as { type: string; c: string };
        if (m.type === 'agent') agentsByConversation.set(m.c, ws);
        else void pub.publish(channel, String(raw));
      });
    });
    servers.push({ wss, pub, sub });
  }
  const url = (i: number) => `ws://127.0.0.1:${(servers[i]!.wss.address() as { port: number }).port}`;
  const agents = await openMany(AGENTS, 25, () => socket(url(1), {}));
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  for (const ws of agents) {
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as { id: string };
      const t0 = sentAt.get(m.id);
      if (t0 !== undefined) {
        sentAt.delete(m.id);
        latencies.push(performance.now() - t0);
      }
    });
  }
  const customers = await openMany(CUSTOMERS, 50, async (i) => {
    const c = randomUUID();
    agents[i % agents.length]!.send(JSON.stringify({ type: 'agent', c }));
    return { ws: await socket(url(0), {}), c };
  });
  await new Promise((r) => setTimeout(r, 500));
  const t0 = performance.now();
  const sent = await drive(customers.length, (i) => {
    const id = randomUUID();
    sentAt.set(id, performance.now());
    customers[i]!.ws.send(JSON.stringify({ type: 'message', c: customers[i]!.c, id, body: `Message ${i}: my order 4711 has not arrived, can you check?` }));
  });
  await until('relay deliveries to settle', () => (sentAt.size === 0 ? true : undefined), 10_000).catch(() => undefined);
  const seconds = (performance.now() - t0) / 1000;
  for (const c of customers) c.ws.terminate();
  for (const a of agents) a.terminate();
  for (const s of servers) {
    s.wss.close();
    s.pub.disconnect();
    s.sub.disconnect();
  }
  return { p50: pct(latencies, 50), p99: pct(latencies, 99), delivered: latencies.length, sent, seconds };
}

// --- DLP on chat-sized messages -----------------------------------------------------------------

function dlpCost(): { us_per_message: number } {
  const samples = [
    'Hi, my order 4711 has not arrived yet, can you check please?',
    'My card is 4111 1111 1111 1111, exp 12/27, can you refund it?',
    'Call me on +44 20 7946 0958 after 5pm, thanks',
    'The password is hunter2 and it does not work anymore',
    'Thanks, that fixed it! Have a nice day.',
    'Order #A-99812 for jane.doe@example.org, delivered to 221B Baker Street',
  ];
  for (let i = 0; i < 2000; i++) redactSensitiveData(samples[i % samples.length]!, DEFAULT_DLP_POLICY);
  const n = 20_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) redactSensitiveData(samples[i % samples.length]!, DEFAULT_DLP_POLICY);
  return { us_per_message: ((performance.now() - t0) * 1000) / n };
}

const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
const dlp = dlpCost();
log(`DLP on chat-sized messages (≤ 200 bytes): ${dlp.us_per_message.toFixed(1)} µs a message`);
const relay = await bareRelay();
log(`bare relay over Redis: sent ${relay.sent}, delivered ${relay.delivered} in ${relay.seconds.toFixed(1)} s; p50 ${relay.p50.toFixed(2)} ms, p99 ${relay.p99.toFixed(2)} ms`);
const full = await fullPath();
log(`full path: sent ${full.sent}, delivered ${full.delivered} in ${full.seconds.toFixed(1)} s (${(full.delivered / full.seconds).toFixed(0)} msgs/s); p50 ${full.p50.toFixed(2)} ms, p99 ${full.p99.toFixed(2)} ms (${(full.p99 / relay.p99).toFixed(1)}× the relay's p99)`);
log(`load before: ${load}; after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (${os.cpus().length} cores)`);
const result = {
  p50_ms: round(full.p50),
  p99_ms: round(full.p99),
  relay_p50_ms: round(relay.p50),
  relay_p99_ms: round(relay.p99),
  msgs_per_s: round(full.delivered / full.seconds),
  sent: full.sent,
  delivered: full.delivered,
  relay_msgs_per_s: round(relay.delivered / relay.seconds),
  connections: full.connections,
  rate: RATE,
  dlp_us_per_message: round(dlp.us_per_message),
  load,
};
if (json) console.log(JSON.stringify(result));
