/**
 * npm run bench:privacy [-- --tickets 1000 --messages 3 --files-every 10 --runs 3 --retention 3000 --db pglite|postgres --json]
 *
 * Prints, on one installation in a scratch data folder (files on disk, as in production):
 * - the time to build a customer's access export (decision 0205) for one customer with N tickets: the read of
 *   everything under the share lock, the zip, and (the approval's path) its encryption and storage;
 * - `trustdesk backup create` and `restore` throughput (decision 0219), MB of archive plaintext per second;
 * - retention throughput (decision 0207): tickets deleted per second by a run, batches of 200 without the pause
 *   the server adds between batches, over --retention solved tickets with a message each;
 * - the erasure of that customer (all N tickets: keys destroyed, outside-the-key cleanup, certificate).
 * The last line is JSON with --json. PostgreSQL needs TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createTestEnvironment, silentLogger } from '../src/platform/app/testing.js';
import { openServices } from '../src/platform/app/services.js';
import { writeOrgSetting } from '../src/identity/organization/settings.js';
import { eraseByOperator } from '../src/helpdesk/privacy/requests.service.js';
import { processRetentionRun, startRetentionRun } from '../src/helpdesk/privacy/retention.js';
import { createBackup, restoreBackup } from '../src/protection/backup/backup.js';
import { createKeyProvider } from '../src/protection/crypto/key-provider.js';
import { buildOrg } from '../src/identity/auth/testing.js';
import { createCustomer } from '../src/helpdesk/customers/customers.service.js';
import { buildAccessExport } from '../src/helpdesk/privacy/export.js';
import { createHelpdeskDeps } from '../src/helpdesk/tickets/context.js';
import { insertMessage, insertTicket } from '../src/helpdesk/tickets/records.js';
import { sealAttachment } from '../src/protection/blobs/attachments.js';
import { LocalBlobStore } from '../src/protection/blobs/store.js';
import '../src/helpdesk/privacy/schema.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const TICKETS = Number(arg('tickets', '1000'));
const MESSAGES = Number(arg('messages', '3'));
const FILES_EVERY = Number(arg('files-every', '10'));
const RUNS = Number(arg('runs', '3'));
const RETENTION = Number(arg('retention', '3000'));
const KIND = arg('db', process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite') as 'pglite' | 'postgres';
const JSON_OUT = args.includes('--json');

const ms = (t0: number) => performance.now() - t0;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const env = await createTestEnvironment(KIND);
  const config = env.config();
  const services = await openServices({ config, logger: silentLogger, migrate: true });
  let closed = false;
  try {
    const deps = await createHelpdeskDeps(services);
    const blobs = new LocalBlobStore(config.blobDirPath);
    const org = await buildOrg(services);
    const { id: customerId } = await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Bench Customer', email: 'bench@customer.example' });
    const seeded = performance.now();
    let files = 0;
    for (let i = 0; i < TICKETS; i += 50) {
      await deps.db.transaction().execute(async (trx) => {
        for (let j = i; j < Math.min(i + 50, TICKETS); j++) {
          const t = await insertTicket(trx, deps, { orgId: org.orgId, subject: `Question ${j} about order ${100000 + j}`, channel: 'email', requesterId: customerId, teamId: null });
          for (let m = 0; m < MESSAGES; m++) {
            const messageId = randomUUID();
            await insertMessage(trx, deps, { id: messageId, orgId: org.orgId, ticketId: t.id, kind: m % 2 ? 'public_reply' : 'inbound_email', authorType: m % 2 ? 'user' : 'customer', customerId, body: `Message ${m} of ticket ${j}. `.repeat(20) });
            if (m === 0 && FILES_EVERY > 0 && j % FILES_EVERY === 0) {
              const id = randomUUID();
              const sealed = await sealAttachment({ store: blobs, keyring: deps.keyring, owner: { type: 'customer', id: customerId }, attachmentId: id, bytes: randomBytes(20_000), trx });
              await trx.insertInto('attachments').values({ id, org_id: org.orgId, message_id: messageId, customer_id: customerId, blob_key: sealed.blobKey, filename_enc: await deps.keyring.encrypt({ type: 'customer', id: customerId }, { table: 'attachments', column: 'filename_enc', rowId: id }, `file-${j}.bin`, trx), content_key_enc: sealed.contentKeyEnc, declared_type: 'application/octet-stream', sniffed_type: 'application/octet-stream', size: 20_000, status: 'stored' }).execute();
              files++;
            }
          }
          await deps.audit.append(trx, { orgId: org.orgId, actor: { type: 'user', id: randomUUID() }, action: 'ticket.read', object: { type: 'ticket', id: t.id }, subjectCustomerId: customerId, result: 'success' });
        }
      });
    }
    const seedMs = ms(seeded);
    const runs: Array<{ readZipMs: number; storedMs: number; bytes: number }> = [];
    for (let r = 0; r < RUNS; r++) {
      const requestId = randomUUID();
      await deps.db.insertInto('privacy_requests').values({ id: requestId, org_id: org.orgId, customer_id: customerId, kind: 'access', via: 'cli', status: 'done', verification: 'staff', verification_id: null, requested_by: null, verified_by: null, verified_at: new Date(), decided_by: null, decided_at: null, rejected_reason: null, received_at: new Date(), due_at: new Date(), completed_at: new Date() }).execute();
      const input = { requestId, customerId, receivedAt: new Date(), approvedAt: new Date(), staffNames: false, via: 'bench' };
      const acting = { orgId: org.orgId, actor: { type: 'system' as const, id: 'bench' } };
      let t0 = performance.now();
      const plain = await deps.db.transaction().execute((trx) => buildAccessExport(deps, trx, acting, { ...input, expiresAt: null, store: false }, blobs));
      const readZipMs = ms(t0);
      t0 = performance.now();
      await deps.db.transaction().execute((trx) => buildAccessExport(deps, trx, acting, { ...input, expiresAt: new Date(Date.now() + 86_400_000), store: true }, blobs));
      runs.push({ readZipMs, storedMs: ms(t0), bytes: plain.bytes.length });
    }
    // The ceiling: the raw dump alone (pg_dump of the schema, or PGlite's data-folder tar), no files, no encryption.
    let t0 = performance.now();
    if (config.databaseUrl) {
      const u = new URL(config.databaseUrl);
      const schema = /search_path=(\S+)/.exec(u.searchParams.get('options') ?? '')?.[1] ?? 'public';
      u.searchParams.delete('options');
      execFileSync('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--schema=${schema}`, `--file=${path.join(env.dir, 'raw.dump')}`, u.toString()]);
    } else await services.database.dumpDataDir!();
    const rawDumpMs = ms(t0);

    // Backup of everything so far (the export bundles included).
    const archive = path.join(env.dir, 'bench.tdbak');
    t0 = performance.now();
    const backup = await createBackup({ config, database: services.database, provider: services.keyring.provider, installation: services.audit.vkey, out: archive });
    const backupMs = ms(t0);

    // Retention: RETENTION solved tickets of another customer, a message each, solved two years ago.
    const { id: otherId } = await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Old Customer', email: 'old@customer.example' });
    const old = new Date(Date.now() - 2 * 365 * 86_400_000);
    for (let i = 0; i < RETENTION; i += 100) {
      await deps.db.transaction().execute(async (trx) => {
        for (let j = i; j < Math.min(i + 100, RETENTION); j++) {
          const t = await insertTicket(trx, deps, { orgId: org.orgId, subject: `Old question ${j}`, channel: 'web', requesterId: otherId, teamId: null });
          await insertMessage(trx, deps, { id: randomUUID(), orgId: org.orgId, ticketId: t.id, kind: 'inbound_email', authorType: 'customer', customerId: otherId, body: `Old message ${j}. `.repeat(10) });
          await trx.updateTable('tickets').set({ status: 'solved', solved_at: old }).where('id', '=', t.id).execute();
        }
      });
    }
    await writeOrgSetting(deps.db, org.orgId, 'retention', { tickets: { months: 12, channels: ['web'], tags: [], teamIds: [] }, quarantineDays: null, exportDays: null, inactiveCustomerMonths: null });
    t0 = performance.now();
    const run = await startRetentionRun(deps, { orgId: org.orgId, userId: null, via: 'cli' });
    const planMs = ms(t0);
    const done = await processRetentionRun(deps, run.id, { batchSize: 200, pauseMs: 0, blobs });
    const retentionMs = ms(t0);

    // Erasure of the customer with TICKETS tickets.
    t0 = performance.now();
    await eraseByOperator(deps, { orgId: org.orgId, customerId }, { blobs });
    const erasureMs = ms(t0);
    await services.close();
    closed = true;

    // Restore into the emptied installation (the key file stays, as it would).
    rmSync(path.join(config.dataDirPath, 'pgdata'), { recursive: true, force: true });
    rmSync(config.blobDirPath, { recursive: true, force: true });
    rmSync(path.join(config.dataDirPath, 'outbox'), { recursive: true, force: true });
    if (config.databaseUrl) {
      const schema = backup.manifest.schema!;
      const c = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP SCHEMA ${pg.escapeIdentifier(schema)} CASCADE`);
      await c.end();
    }
    t0 = performance.now();
    await restoreBackup({ config, provider: createKeyProvider(config, { create: false }).provider, file: archive });
    const restoreMs = ms(t0);

    const mbps = (bytes: number, msTaken: number) => Math.round((bytes / 1024 / 1024 / (msTaken / 1000)) * 10) / 10;
    const result = {
      bench: 'privacy',
      db: KIND,
      cpus: cpus().length,
      tickets: TICKETS,
      messages: TICKETS * MESSAGES,
      files,
      seedMs: Math.round(seedMs),
      runs: RUNS,
      buildMsMedian: Math.round(median(runs.map((r) => r.readZipMs))),
      buildAndStoreMsMedian: Math.round(median(runs.map((r) => r.storedMs))),
      bundleBytes: runs[0]?.bytes ?? 0,
      backupBytes: backup.bytes,
      backupMs: Math.round(backupMs),
      backupMBps: mbps(backup.bytes, backupMs),
      rawDumpMs: Math.round(rawDumpMs),
      restoreMs: Math.round(restoreMs),
      restoreMBps: mbps(backup.bytes, restoreMs),
      retentionTickets: done?.deleted.tickets ?? 0,
      retentionPlanMs: Math.round(planMs),
      retentionMs: Math.round(retentionMs),
      retentionTicketsPerSecond: Math.round(((done?.deleted.tickets ?? 0) / retentionMs) * 1000),
      erasureMs: Math.round(erasureMs),
    };
    console.log(`privacy operations on ${KIND} (${result.cpus} cpus): ${TICKETS} tickets, ${result.messages} messages, ${files} files of 20 kB`);
    console.log(`  seeding                          ${result.seedMs} ms`);
    console.log(`  export: read + zip (the CLI's)   ${result.buildMsMedian} ms median of ${RUNS}`);
    console.log(`  export: + encrypt + store        ${result.buildAndStoreMsMedian} ms median of ${RUNS} (the approval's path)`);
    console.log(`  export bundle                    ${(result.bundleBytes / 1024 / 1024).toFixed(2)} MiB`);
    console.log(`  backup create                    ${(result.backupBytes / 1024 / 1024).toFixed(1)} MB in ${result.backupMs} ms: ${result.backupMBps} MB/s`);
    console.log(`  raw dump alone (the ceiling)     ${result.rawDumpMs} ms (${config.databaseUrl ? 'pg_dump of the schema' : 'PGlite data-folder tar'}, no files, no encryption)`);
    console.log(`  backup restore                   ${result.restoreMs} ms: ${result.restoreMBps} MB/s (checked, then written)`);
    console.log(`  retention run                    ${result.retentionTickets} tickets in ${result.retentionMs} ms (plan ${result.retentionPlanMs} ms): ${result.retentionTicketsPerSecond} tickets/s`);
    console.log(`  erasure of the ${TICKETS}-ticket customer  ${result.erasureMs} ms`);
    if (JSON_OUT) console.log(JSON.stringify(result));
  } finally {
    if (!closed) await services.close();
    await env.cleanup();
  }
}

await main();
