/**
 * bench:imap-pull — emails per second from an IMAP mailbox to stored ticket: a real dovecot (started here, TLS)
 * holds N messages; one ImapPuller reads them (size first, fetch, the ingest pipeline, then the move to
 * "Processed"), timed until every message is moved. Runs on PGlite, and on PostgreSQL when TEST_DATABASE_URL is set.
 * Needs dovecot-imapd. Prints figures; asserts nothing.
 *
 *   npx tsx bench/imap-pull.bench.ts [--messages 200]
 */
import os from 'node:os';
import { ImapFlow } from 'imapflow';
import { createTestServices } from '../src/platform/app/testing.js';
import { MemoryBlobStore } from '../src/protection/blobs/store.js';
import type { DatabaseKind } from '../src/platform/db/database.js';
import { testDatabaseKinds } from '../src/platform/db/testing.js';
import { createDefaultHooks } from '../src/helpdesk/ingest/hooks.js';
import { createAccount } from '../src/helpdesk/mail/imap/accounts.service.js';
import { startDovecot } from '../src/helpdesk/mail/imap/dovecot-testing.js';
import { ImapPuller } from '../src/helpdesk/mail/imap/puller.js';
import { createHelpdeskDeps } from '../src/helpdesk/tickets/context.js';
import { seedMailbox, seedOrganization, seedTeam } from '../src/helpdesk/tickets/testing.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const MESSAGES = arg('messages', 200);
const PASSWORD = 'bench-password';

async function run(kind: DatabaseKind): Promise<void> {
  const user = `bench-${kind}`;
  const dovecot = await startDovecot({ users: [{ name: user, password: PASSWORD }] });
  const admin = new ImapFlow({ host: dovecot.host, port: dovecot.tlsPort, secure: true, tls: { ca: dovecot.certPem }, auth: { user, pass: PASSWORD }, logger: false });
  await admin.connect();
  for (let i = 0; i < MESSAGES; i++) {
    await admin.append('INBOX', [`From: Customer ${i % 50} <customer${i % 50}@mail.example>`, 'To: support@bench.example', `Subject: Where is order ${100000 + i}?`, `Message-ID: <bench-${i}@mail.example>`, '', `Hello, order ${100000 + i} has not arrived yet.`, ''].join('\r\n'));
  }
  const s = await createTestServices(kind, { sequencer: true, config: { TRUSTDESK_ALLOW_PRIVATE_OUTBOUND: 'true' } });
  const deps = await createHelpdeskDeps(s);
  const orgId = await seedOrganization(s.database.db, 'Bench Org');
  const team = await seedTeam(s.database.db, orgId, 'Support');
  const mailboxId = await seedMailbox(s.database.db, orgId, 'support@bench.example', team);
  await createAccount(
    { db: s.database.db, keyring: s.keyring, audit: s.audit, outbound: { allowPrivate: true } },
    { orgId, userId: null, actor: { type: 'system', id: 'bench' }, requestId: null, sourceIp: null },
    { name: 'Bench', mailboxId, host: dovecot.host, port: dovecot.tlsPort, security: 'tls', caPem: dovecot.certPem, username: user, auth: 'password', password: PASSWORD, afterStore: 'move', moveTo: 'Processed' },
  );
  const puller = new ImapPuller({ deps, hooks: createDefaultHooks(), blobs: new MemoryBlobStore(), outbound: { allowPrivate: true } });
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  puller.start(50);
  for (;;) {
    const st = await admin.status('Processed', { messages: true }).catch(() => false as const);
    if (st && st.messages === MESSAGES) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await puller.stop();
  const tickets = await s.database.db.selectFrom('tickets').where('org_id', '=', orgId).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  await admin.logout();
  await s.close();
  await dovecot.stop();
  console.log(
    JSON.stringify({
      database: kind,
      messages: MESSAGES,
      seconds: Number(seconds.toFixed(2)),
      emails_per_s: Number((MESSAGES / seconds).toFixed(1)),
      process_cpu_s: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
      tickets: Number(tickets.n),
      load: os.loadavg().map((l) => Number(l.toFixed(2))),
    }),
  );
}

console.log(`# bench:imap-pull — IMAP (dovecot, TLS) to stored ticket, one mailbox, one poller; node ${process.version}, ${os.cpus().length} CPUs`);
for (const kind of testDatabaseKinds) await run(kind);
