/**
 * bench:ingest-instances — emails per second from SMTP to stored ticket with several `trustdesk start` processes
 * on one PostgreSQL and one Redis (issue 21: at least 300/s with two instances). The peer in the same run is one
 * instance on its own. Each instance gets a share of nodemailer's pooled connections; a message counts when its
 * instance has answered 250, which it does only after the pipeline (parse, phishing analysis, DLP, encryption,
 * storage, audit) has committed. The stored count is checked against the sent one at the end.
 *
 *   TEST_DATABASE_URL=… TEST_REDIS_URL=… npm run bench:ingest-instances [-- --messages 600] [--connections 8] [--json]
 *
 * The instances run the server bundle when it is fresh (`npm run build:server`), as `npm start` would.
 * Prints figures; asserts nothing.
 */
import os from 'node:os';
import nodemailer from 'nodemailer';
import { startCluster, type Cluster } from '../e2e/instances.js';
import { openDatabase } from '../src/platform/db/database.js';
import { seedMailbox, seedOrganization, seedTeam } from '../src/helpdesk/tickets/testing.js';
import { supportMailBody } from './support-mail.js';

const serverUrl = process.env.TEST_DATABASE_URL;
const redisUrl = process.env.TEST_REDIS_URL;
if (!serverUrl || !redisUrl) {
  console.error('bench:ingest-instances needs TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL (Redis).');
  process.exit(2);
}
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const MESSAGES = arg('messages', 600);
const CONNECTIONS = arg('connections', 8);
const JSON_OUT = process.argv.includes('--json');

interface Result {
  instances: number;
  messages: number;
  connections: number;
  seconds: number;
  emails_per_s: number;
  stored_messages: number;
  load_before: number;
}

async function run(count: number): Promise<Result> {
  const cluster: Cluster = await startCluster({ serverUrl: serverUrl!, redisUrl: redisUrl!, count, poolSize: 10 });
  const db = await openDatabase({ url: cluster.databaseUrl, poolSize: 2 });
  try {
    const orgId = await seedOrganization(db.db, 'Bench Org');
    const team = await seedTeam(db.db, orgId, 'Support');
    await seedMailbox(db.db, orgId, 'support@bench.example', team);
    const smtpPorts = cluster.instances.map((inst) => {
      const m = /SMTP on [^:\s]+:(\d+)/.exec(inst.output);
      if (!m) throw new Error(`no SMTP port in the output of an instance:\n${inst.output}`);
      return Number(m[1]);
    });
    // The connections split evenly over the instances, as a load balancer in front of port 25 would.
    const perInstance = Math.max(1, Math.round(CONNECTIONS / count));
    const mailers = smtpPorts.map((port) => nodemailer.createTransport({ host: '127.0.0.1', port, pool: true, maxConnections: perInstance, maxMessages: Infinity, ignoreTLS: true }));
    const send = (i: number) =>
      mailers[i % mailers.length]!.sendMail({ from: `Customer ${i % 50} <customer${i % 50}@mail.example>`, to: 'support@bench.example', subject: `Where is order ${100000 + i}?`, text: supportMailBody(i) });
    // Warm-up: keys, caches, JIT, the lazily compiled parts of each instance.
    await Promise.all(Array.from({ length: 20 * count }, (_, i) => send(i)));
    const load = os.loadavg()[0] as number;
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: MESSAGES }, (_, i) => send(i + 20 * count)));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    for (const m of mailers) m.close();
    const stored = await db.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return { instances: count, messages: MESSAGES, connections: perInstance * count, seconds: Number(seconds.toFixed(2)), emails_per_s: Number((MESSAGES / seconds).toFixed(1)), stored_messages: Number(stored.n) - 20 * count, load_before: Number(load.toFixed(2)) };
  } finally {
    await db.close();
    await cluster.stop();
  }
}

console.log(`# bench:ingest-instances — SMTP to stored ticket, PostgreSQL + Redis; ${new Date().toISOString()}; node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`);
const results: Result[] = [];
for (const count of [1, 2]) {
  const r = await run(count);
  results.push(r);
  console.log(`${r.instances} instance(s): ${r.emails_per_s} emails/s (${r.messages} in ${r.seconds} s over ${r.connections} connections; stored ${r.stored_messages}; load before ${r.load_before})`);
}
if (JSON_OUT) console.log(JSON.stringify({ bench: 'ingest-instances', date: new Date().toISOString(), results }));
process.exit(0);
