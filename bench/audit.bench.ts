/**
 * npm run bench:audit [-- --sizes 100000,1000000 --skip-pglite-verify]
 * npm run bench:audit -- --verify-only [--size 1000000] [--runs 3] [--workers 2] [--json]
 *   (PostgreSQL: loads N entries once into the schema bench_audit_verify, kept with its key in the temporary
 *   folder for later runs, then times, alternating: verification in worker threads, on one thread, and the peer,
 *   a plain read of the same rows; wall and process CPU seconds, and the load average. --json: last line.)
 *
 * Prints: audit appends per second (group-committed records, and one
 * transaction per append) on PGlite and PostgreSQL; sequencing throughput;
 * time for `audit verify` over N entries; proof and checkpoint sizes.
 * PostgreSQL figures need TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { randomKekSpec, silentLogger, testConfig } from '../src/platform/app/testing.js';
import { openServices } from '../src/platform/app/services.js';
import { openDatabase } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import { MemoryMailer } from '../src/platform/notify/mailer.js';
import { EnvKeyProvider } from '../src/protection/crypto/key-provider.js';
import { hashStoredEntriesInParallel } from '../src/protection/audit/verify-parallel.js';
import { storedEntrySelect } from '../src/protection/audit/trail-io.js';
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

/** A kept schema with `size` sequenced entries and its key, so repeated verification runs skip the load. */
async function keptServices(size: number): Promise<Services> {
  const url = TEST_DATABASE_URL as string;
  const schema = 'bench_audit_verify';
  const kekFile = path.join(tmpdir(), 'trustdesk-bench-audit-verify.kek');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  let kept = existsSync(kekFile) && (await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount === 1;
  if (kept) {
    const n = await admin.query(`SELECT count(*)::int AS n FROM ${schema}.audit_log WHERE idx IS NOT NULL`).catch(() => null);
    kept = n?.rows[0]?.n === size;
  }
  if (!kept) {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.query(`CREATE SCHEMA ${schema}`);
    writeFileSync(kekFile, randomKekSpec(), { mode: 0o600 });
  }
  await admin.end();
  const database = await openDatabase({ url, schema, poolSize: 4 });
  if (!kept) await migrateToLatest(database.scripts);
  const s = await openServices({ config: testConfig(), logger: silentLogger, migrate: false, database, provider: new EnvKeyProvider(readFileSync(kekFile, 'utf8')), sequencer: false, mailer: new MemoryMailer() });
  if (!kept) await loadAndSequence(s, size);
  return s;
}

async function verifyOnly(): Promise<void> {
  if (!TEST_DATABASE_URL) throw new Error('--verify-only needs TEST_DATABASE_URL');
  const size = Number(arg('size', '1000000'));
  const runs = Number(arg('runs', '3'));
  const workers = Number(arg('workers', '0')) || undefined;
  const s = await keptServices(size);
  const checkpoints = await readStoredCheckpoints(s.database.db);
  const macKey = s.audit.macKeyForVerification();
  const timed = async <T>(fn: () => Promise<T>) => {
    const load = loadavg()[0] as number;
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    const value = await fn();
    const cpu = process.cpuUsage(cpu0);
    return { value, wall: (performance.now() - started) / 1000, cpu: (cpu.user + cpu.system) / 1e6, load };
  };
  const cases: Record<string, () => Promise<{ entries: number; ok: boolean }>> = {
    workers: () => verifyAuditTrail({ chunks: hashStoredEntriesInParallel({ database: s.database, macKey, signedSizes: checkpoints.map((c) => c.treeSize), ...(workers ? { workers } : {}) }), checkpoints, vkey: s.audit.vkey, macKey }),
    'one thread': () => verifyAuditTrail({ entries: readStoredEntries(s.database, { leafHashes: false }), checkpoints, vkey: s.audit.vkey, macKey }),
    'peer: plain read of the same rows': async () => {
      let entries = 0;
      for (let after = -1; ; ) {
        const rows = await s.database.queryArrays(`SELECT ${storedEntrySelect(false)} FROM audit_log WHERE idx > $1 ORDER BY idx LIMIT 20000`, [after]);
        entries += rows.length;
        if (rows.length < 20_000) break;
        after = Number(rows.at(-1)?.[0]);
      }
      return { entries, ok: true };
    },
  };
  const results: Record<string, Array<{ wall: number; cpu: number; load: number }>> = {};
  for (let r = 0; r < runs; r++) {
    for (const [name, fn] of Object.entries(cases)) {
      const t = await timed(fn);
      (results[name] ??= []).push({ wall: t.wall, cpu: t.cpu, load: t.load });
      console.log(`${name}: ${fmt(t.value.entries)} entries, ok=${t.value.ok}, ${t.wall.toFixed(2)} s wall, ${t.cpu.toFixed(2)} s CPU (this process, all threads), load ${t.load.toFixed(1)}`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const summary = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { medianWall: median(v.map((x) => x.wall)), medianCpu: median(v.map((x) => x.cpu)), runs: v }]));
  for (const [k, v] of Object.entries(summary)) console.log(`median ${k}: ${v.medianWall.toFixed(2)} s wall, ${v.medianCpu.toFixed(2)} s CPU`);
  if (args.includes('--json')) console.log(JSON.stringify({ bench: 'audit-verify', date: new Date().toISOString(), size, workers: workers ?? 'default', results: summary }));
  await s.close();
}

if (args.includes('--verify-only')) {
  console.log(`# bench:audit --verify-only — ${new Date().toISOString()} — node ${process.version} — ${cpus()[0]?.model} x${cpus().length}`);
  await verifyOnly();
  process.exit(0);
}

console.log(`# bench:audit — ${new Date().toISOString()} — node ${process.version} — ${cpus()[0]?.model} x${cpus().length}`);
await benchKind('pglite');
if (TEST_DATABASE_URL) await benchKind('postgres');
else console.log('\n(PostgreSQL skipped: set TEST_DATABASE_URL)');
await proofSizes();
