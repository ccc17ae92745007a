/**
 * npm run bench:audit [-- --sizes 100000,1000000 --skip-pglite-verify]
 *
 * Prints: audit appends per second (group-committed records, and one
 * transaction per append) on PGlite and PostgreSQL; sequencing throughput;
 * time for `audit verify` over N entries; proof and checkpoint sizes.
 * PostgreSQL figures need TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test).
 */
import { cpus } from 'node:os';
import { sql } from 'kysely';
import { createTestServices } from '../src/platform/app/testing.js';
import type { Services } from '../src/platform/app/services.js';
import { consistencyProof, inclusionProof } from '../src/protection/audit/merkle.js';
import { readStoredCheckpoints, readStoredEntries } from '../src/protection/audit/trail-io.js';
import { verifyAuditTrail } from '../src/protection/audit/verify.js';
import type { DatabaseKind } from '../src/platform/db/database.js';
import { TEST_DATABASE_URL } from '../src/platform/db/testing.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const SIZES = arg('sizes', '100000,1000000').split(',').map(Number);
const PGLITE_VERIFY_MAX = Number(arg('pglite-verify-max', '100000'));

const event = (i: number) => ({
  orgId: '00000000-0000-4000-8000-000000000001',
  actor: { type: 'user' as const, id: `agent-${i % 50}` },
  action: 'customer.read',
  object: { type: 'customer', id: `c-${i}` },
  subjectCustomerId: `c-${i}`,
  purpose: 'order enquiry',
  result: 'success' as const,
  requestId: `req-${i}`,
  sourceIp: '192.0.2.10',
});

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function appendsPerSecond(s: Services, n: number, concurrency: number, mode: 'record' | 'transaction'): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        if (mode === 'record') await s.audit.record(event(i));
        else await s.database.db.transaction().execute((trx) => s.audit.append(trx, event(i)).then(() => undefined));
      }
    }),
  );
  return n / ((performance.now() - started) / 1000);
}

/** Bulk-loads N pending entries with SQL (fast), then times the sequencer turning them into a signed tree. */
async function loadAndSequence(s: Services, n: number): Promise<number> {
  const db = s.database.db;
  for (let start = 0; start < n; start += 100_000) {
    const count = Math.min(100_000, n - start);
    await sql`INSERT INTO audit_log (id, ts, org_id, actor_type, actor_id, action, object_type, object_id, subject, purpose, result, request_id, source_ip, details)
      SELECT gen_random_uuid(), date_trunc('milliseconds', now()), '00000000-0000-4000-8000-000000000001', 'user', 'agent-' || (g % 50), 'customer.read',
             'customer', 'c-' || g, 'cs1:' || md5(g::text), 'order enquiry', 'success', 'req-' || g, '192.0.2.10', NULL
      FROM generate_series(${start}::int, ${start + count - 1}::int) AS g`.execute(db);
  }
  const started = performance.now();
  await s.audit.flush();
  return n / ((performance.now() - started) / 1000);
}

async function timeVerify(s: Services): Promise<{ seconds: number; entries: number; ok: boolean }> {
  const started = performance.now();
  const report = await verifyAuditTrail({
    entries: readStoredEntries(s.database, { leafHashes: false }),
    checkpoints: await readStoredCheckpoints(s.database.db),
    vkey: s.audit.vkey,
    macKey: s.audit.macKeyForVerification(),
  });
  return { seconds: (performance.now() - started) / 1000, entries: report.entries, ok: report.ok };
}

async function benchKind(kind: DatabaseKind) {
  console.log(`\n## ${kind}`);
  {
    const s = await createTestServices(kind);
    const n = kind === 'pglite' ? 5000 : 20_000;
    const grouped = await appendsPerSecond(s, n, 64, 'record');
    console.log(`appends/s, group commit (record, 64 concurrent callers, ${fmt(n)} events): ${fmt(grouped)}`);
    const own = await appendsPerSecond(s, Math.floor(n / 4), 16, 'transaction');
    console.log(`appends/s, one transaction per append (16 concurrent): ${fmt(own)}`);
    const started = performance.now();
    const sequenced = await s.audit.flush();
    console.log(`sequencing ${fmt(sequenced)} entries (hash + MAC + checkpoint): ${fmt(sequenced / ((performance.now() - started) / 1000))} entries/s`);
    await s.close();
  }
  for (const size of SIZES) {
    if (kind === 'pglite' && size > PGLITE_VERIFY_MAX) {
      console.log(`verify ${fmt(size)}: skipped on PGlite (use --pglite-verify-max)`);
      continue;
    }
    const s = await createTestServices(kind);
    const rate = await loadAndSequence(s, size);
    const v = await timeVerify(s);
    const cps = await readStoredCheckpoints(s.database.db);
    console.log(`verify ${fmt(v.entries)} entries: ${v.seconds.toFixed(2)} s (${fmt(v.entries / v.seconds)} entries/s, ok=${v.ok}); sequencer on bulk load: ${fmt(rate)} entries/s; ${cps.length} checkpoints`);
    await s.close();
  }
}

async function proofSizes() {
  console.log('\n## proof sizes (32-byte hashes)');
  for (const n of [1000, 100_000, 1_000_000]) {
    const leaves = Array.from({ length: n }, (_, i) => Buffer.alloc(32, i % 251));
    const inc = inclusionProof(leaves, Math.floor(n / 3), n);
    const con = consistencyProof(leaves, Math.floor(n / 2) + 1, n);
    console.log(`n=${fmt(n)}: inclusion ${inc.length} hashes (${inc.length * 32} B), consistency ${con.length} hashes (${con.length * 32} B)`);
  }
}

console.log(`# bench:audit — ${new Date().toISOString()} — node ${process.version} — ${cpus()[0]?.model} x${cpus().length}`);
await benchKind('pglite');
if (TEST_DATABASE_URL) await benchKind('postgres');
else console.log('\n(PostgreSQL skipped: set TEST_DATABASE_URL)');
await proofSizes();
