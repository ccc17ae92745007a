/**
 * npm run bench:privacy [-- --tickets 1000 --messages 3 --files-every 10 --runs 3 --db pglite|postgres --json]
 *
 * Prints the time to build a customer's access export (decision 0205) for one customer with N tickets: the read of
 * everything under the share lock, the zip, and (the approval's path) its encryption and storage. The last line is
 * JSON with --json. PostgreSQL needs TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { createTestServices } from '../src/platform/app/testing.js';
import { buildOrg } from '../src/identity/auth/testing.js';
import { createCustomer } from '../src/helpdesk/customers/customers.service.js';
import { buildAccessExport } from '../src/helpdesk/privacy/export.js';
import { createHelpdeskDeps } from '../src/helpdesk/tickets/context.js';
import { insertMessage, insertTicket } from '../src/helpdesk/tickets/records.js';
import { sealAttachment } from '../src/protection/blobs/attachments.js';
import { MemoryBlobStore } from '../src/protection/blobs/store.js';
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
const KIND = arg('db', process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite') as 'pglite' | 'postgres';
const JSON_OUT = args.includes('--json');

const ms = (t0: number) => performance.now() - t0;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const services = await createTestServices(KIND);
  try {
    const deps = await createHelpdeskDeps(services);
    const blobs = new MemoryBlobStore();
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
    const result = {
      bench: 'privacy-export',
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
    };
    console.log(`access export on ${KIND} (${result.cpus} cpus): ${TICKETS} tickets, ${result.messages} messages, ${files} files of 20 kB`);
    console.log(`  seeding                          ${result.seedMs} ms`);
    console.log(`  read + zip (the CLI's path)      ${result.buildMsMedian} ms median of ${RUNS}`);
    console.log(`  read + zip + encrypt + store     ${result.buildAndStoreMsMedian} ms median of ${RUNS} (the approval's path)`);
    console.log(`  bundle                           ${(result.bundleBytes / 1024 / 1024).toFixed(2)} MiB`);
    if (JSON_OUT) console.log(JSON.stringify(result));
  } finally {
    await services.close();
  }
}

await main();
