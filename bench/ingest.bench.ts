/**
 * bench:ingest — emails per second from SMTP to stored ticket: nodemailer
 * sends over a pool of connections to the running SMTP server; a message counts
 * when the server has answered 250, which it does only after the ingest
 * pipeline (parse, phishing analysis, DLP, encryption, storage, audit) has
 * committed. Runs on PGlite, and on PostgreSQL when TEST_DATABASE_URL is set.
 * Prints figures; asserts nothing.
 *
 *   npx tsx bench/ingest.bench.ts [--messages 400] [--connections 8]
 */
import os from 'node:os';
import nodemailer from 'nodemailer';
import { createTestServices } from '../src/platform/app/testing.js';
import { MemoryBlobStore } from '../src/protection/blobs/store.js';
import type { DatabaseKind } from '../src/platform/db/database.js';
import { testDatabaseKinds } from '../src/platform/db/testing.js';
import { createDefaultHooks } from '../src/helpdesk/ingest/hooks.js';
import { createInboundSmtpServer } from '../src/helpdesk/mail/smtp-server.js';
import { createHelpdeskDeps } from '../src/helpdesk/tickets/context.js';
import { seedMailbox, seedOrganization, seedTeam } from '../src/helpdesk/tickets/testing.js';
import { supportMailBody } from './support-mail.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const MESSAGES = arg('messages', 400);
const CONNECTIONS = arg('connections', 8);

async function run(kind: DatabaseKind): Promise<void> {
  const s = await createTestServices(kind, { sequencer: true });
  const deps = await createHelpdeskDeps(s);
  const orgId = await seedOrganization(s.database.db, 'Bench Org');
  const team = await seedTeam(s.database.db, orgId, 'Support');
  await seedMailbox(s.database.db, orgId, 'support@bench.example', team);
  const server = createInboundSmtpServer({ deps, hooks: createDefaultHooks(), blobs: new MemoryBlobStore(), maxBytes: 10 * 1024 * 1024 });
  const port = await server.listen(0, '127.0.0.1');
  const mailer = nodemailer.createTransport({ host: '127.0.0.1', port, pool: true, maxConnections: CONNECTIONS, maxMessages: Infinity, ignoreTLS: true });
  const send = (i: number) =>
    mailer.sendMail({ from: `Customer ${i % 50} <customer${i % 50}@mail.example>`, to: 'support@bench.example', subject: `Where is order ${100000 + i}?`, text: supportMailBody(i) });
  // Warm-up: keys, caches, JIT.
  await Promise.all(Array.from({ length: 20 }, (_, i) => send(i)));
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: MESSAGES }, (_, i) => send(i + 20)));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const stored = await s.database.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  mailer.close();
  await server.close();
  await s.close();
  console.log(
    JSON.stringify({
      database: kind,
      messages: MESSAGES,
      connections: CONNECTIONS,
      seconds: Number(seconds.toFixed(2)),
      emails_per_s: Number((MESSAGES / seconds).toFixed(1)),
      process_cpu_s: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
      stored_messages: Number(stored.n),
    }),
  );
}

console.log(`# bench:ingest — SMTP to stored ticket; node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`);
for (const kind of testDatabaseKinds) await run(kind);
