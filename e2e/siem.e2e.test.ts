/**
 * The audit trail streamed to a real rsyslog over TLS (RFC 5425, octet-counted frames): rsyslogd runs in the
 * foreground with a generated configuration (imtcp + gtls, anonymous client auth, a CA and server certificate made
 * now with openssl) and writes every message it receives to a file. A scripted workload writes audit entries into
 * the database while a real `trustdesk start` sequences and streams them; mid-stream the process is killed with
 * SIGKILL, the workload goes on, and a new process resumes from the durable cursor. The receiver must hold every
 * sequence number of the organisation, none missing; duplicates are allowed, counted and printed. Every message
 * must read as RFC 5424 with a CEF payload, and the signed checkpoints that cover them arrive as the trail stored them.
 *
 * Needs rsyslogd (Debian `rsyslog` and `rsyslog-gnutls`; .ci/run installs them), openssl, and PostgreSQL and Redis
 * (TEST_DATABASE_URL, TEST_REDIS_URL) for the real process.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganization } from '../src/helpdesk/tickets/testing.js';
import { openDatabase, type DatabaseHandle } from '../src/platform/db/database.js';
import { TEST_DATABASE_URL } from '../src/platform/db/testing.js';
import { eventToColumns } from '../src/protection/audit/entry.js';
import '../src/protection/siem/schema.js';
import { freePort, sleep, startCluster, until, type Cluster } from './instances.js';

const RSYSLOGD = ['/usr/sbin/rsyslogd', '/sbin/rsyslogd'].find((p) => existsSync(p));
const GTLS = ['/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so', '/usr/lib/aarch64-linux-gnu/rsyslog/lmnsd_gtls.so', '/usr/lib/rsyslog/lmnsd_gtls.so'].some((p) => existsSync(p));
const REDIS_URL = process.env.TEST_REDIS_URL;
const missing = !RSYSLOGD ? 'rsyslogd is not installed (apt-get install rsyslog rsyslog-gnutls)' : !GTLS ? 'rsyslog-gnutls is not installed' : !TEST_DATABASE_URL || !REDIS_URL ? 'TEST_DATABASE_URL and TEST_REDIS_URL are not set' : null;
if (missing) console.warn(`SIEM e2e skipped: ${missing}`);

/** RFC 5424 as Trustdesk writes it: PRI, version 1, timestamp, host, app, procid, msgid, one SD-ELEMENT, MSG. */
const RFC5424 = /^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (\S+) trustdesk - (\S+) \[trustdesk@32473 ([^\]]*)\] (CEF:0\|.*)$/;

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

describe.skipIf(missing !== null)('the audit trail streamed to rsyslog over TLS, through a SIGKILL', () => {
  let dir: string;
  let rsyslog: ChildProcess;
  let rsyslogOut = '';
  let port: number;
  let cluster: Cluster;
  let db: DatabaseHandle;
  let orgId: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'trustdesk-siem-'));
    // A CA and a server certificate for 127.0.0.1, made for this run.
    openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=Trustdesk test CA']);
    openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
    writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
    openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext.cnf']);
    port = await freePort();
    writeFileSync(
      path.join(dir, 'rsyslog.conf'),
      [
        `global(workDirectory="${dir}" defaultNetstreamDriver="gtls" defaultNetstreamDriverCAFile="${dir}/ca.pem"`,
        `       defaultNetstreamDriverCertFile="${dir}/server.pem" defaultNetstreamDriverKeyFile="${dir}/server.key" maxMessageSize="64k")`,
        'module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")',
        `input(type="imtcp" address="127.0.0.1" port="${port}")`,
        'template(name="raw" type="string" string="%rawmsg%\\n")',
        `action(type="omfile" file="${dir}/received.log" template="raw")`,
        '',
      ].join('\n'),
    );
    rsyslog = spawn(RSYSLOGD!, ['-n', '-f', path.join(dir, 'rsyslog.conf'), '-i', path.join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    rsyslog.stdout!.on('data', (c: Buffer) => (rsyslogOut += c.toString()));
    rsyslog.stderr!.on('data', (c: Buffer) => (rsyslogOut += c.toString()));
    await until('rsyslogd to listen', async () => {
      if (rsyslog.exitCode !== null) throw new Error(`rsyslogd exited: ${rsyslogOut}`);
      const net = await import('node:net');
      return new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
    }, 10_000);

    cluster = await startCluster({
      serverUrl: TEST_DATABASE_URL!,
      redisUrl: REDIS_URL!,
      count: 1,
      env: { TRUSTDESK_ALLOW_PRIVATE_OUTBOUND: 'true', TRUSTDESK_SIEM_INTERVAL_MS: '100', TRUSTDESK_AUDIT_BATCH_MS: '50' },
    });
    db = await openDatabase({ url: cluster.databaseUrl, poolSize: 2 });
    orgId = await seedOrganization(db.db, 'Streaming Ltd');
    // The destination as the admin screen would save it: TLS, the test CA, the server name checked (127.0.0.1).
    const id = randomUUID();
    await db.db
      .insertInto('siem_destinations')
      .values({ id, org_id: orgId, name: 'rsyslog', transport: 'tls', host: '127.0.0.1', port, url: null, format: 'cef', ca_pem: readFileSync(path.join(dir, 'ca.pem'), 'utf8'), client_cert_pem: null, client_key_enc: null, token_enc: null, created_by: null, updated_at: new Date() })
      .execute();
    await db.db.insertInto('siem_cursors').values({ destination_id: id, org_id: orgId, cursor_idx: -1, next_attempt_at: new Date() }).execute();
  }, 120_000);

  afterAll(async () => {
    await db?.close().catch(() => undefined);
    await cluster?.stop();
    if (rsyslog && rsyslog.exitCode === null) rsyslog.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** The workload: audit entries of the organisation written as the application writes them (sequenced by Trustdesk). */
  let written = 0;
  const produce = async (n: number) => {
    const rows = Array.from({ length: n }, () => {
      written++;
      const c = eventToColumns({ orgId, actor: { type: 'user', id: randomUUID() }, action: written % 3 ? 'ticket.read' : 'customer.field.reveal', object: { type: 'ticket', id: randomUUID() }, result: 'success', sourceIp: '203.0.113.5', requestId: `req-${written}` }, { id: randomUUID(), ts: new Date(), subject: null });
      return { ...c, details: null };
    });
    await db.db.insertInto('audit_log').values(rows).execute();
  };
  const receivedLines = () => {
    try {
      return readFileSync(path.join(dir, 'received.log'), 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  const seqOf = (line: string) => Number(/ seq="(\d+)"/.exec(line)?.[1] ?? NaN);
  // Signed checkpoints travel in the stream too, without a sequence number.
  const isCheckpoint = (line: string) => / trustdesk - audit\.checkpoint \[/.test(line);
  const unescapeCef = (v: string) => v.replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', r: '\r' })[c] ?? c);

  it('every sequence number arrives as RFC 5424 + CEF; after a SIGKILL mid-stream the new process resumes and none is missing', async () => {
    const started = Date.now();
    // The workload runs throughout: entries keep coming while the stream runs, while the process is dead, and after.
    let producing = true;
    const workload = (async () => {
      // Bounded, so a slow start-up does not make the run longer.
      while (producing && written < 600) {
        await produce(5);
        await sleep(50);
      }
    })();
    await until('the first entries at the receiver', () => receivedLines().length >= 50 || undefined, 20_000);
    const atKill = receivedLines().length;
    cluster.instances[0]!.proc.kill('SIGKILL');
    await until('the process to die', () => cluster.instances[0]!.exited || undefined, 10_000);
    await sleep(200);
    await cluster.restart(0);
    await sleep(300);
    producing = false;
    await workload;

    const orgSeqs = async () => (await db.db.selectFrom('audit_log').where('org_id', '=', orgId).where('idx', 'is not', null).orderBy('idx').select('idx').execute()).map((r) => Number(r.idx));
    await until('every entry sequenced', async () => (await orgSeqs()).length === written || undefined, 30_000);
    const expected = await orgSeqs();
    await until('every sequence number at the receiver', () => {
      const got = new Set(receivedLines().map(seqOf));
      return expected.every((s) => got.has(s)) || undefined;
    }, 30_000).catch((err: unknown) => {
      const got = new Set(receivedLines().map(seqOf));
      throw new Error(`${String(err)}: missing ${expected.filter((s) => !got.has(s)).slice(0, 20).join(', ')}…\n${rsyslogOut}\n${cluster.instances[0]!.output}`);
    });

    const lines = receivedLines().filter((l) => !isCheckpoint(l));
    const seqs = lines.map(seqOf);
    const counts = new Map<number, number>();
    for (const s of seqs) counts.set(s, (counts.get(s) ?? 0) + 1);
    const duplicates = [...counts.values()].reduce((n, c) => n + (c - 1), 0);
    const missingSeqs = expected.filter((s) => !counts.has(s));
    const unexpected = [...counts.keys()].filter((s) => !expected.includes(s));
    console.log(`SIEM e2e: ${written} entries written, ${expected.length} sequenced, ${lines.length} messages received (${atKill} before the SIGKILL), ${duplicates} duplicates, ${missingSeqs.length} missing; ${Date.now() - started} ms`);
    expect(missingSeqs).toEqual([]);
    expect(unexpected).toEqual([]);
    for (const line of lines) {
      const m = RFC5424.exec(line);
      expect(m, line).not.toBeNull();
      expect(Number(m![1])).toBe(13 * 8 + 6);
      expect(m![5]).toContain(`org="${orgId}"`);
      expect(m![6]).toMatch(/^CEF:0\|Trustdesk\|Trustdesk\|[^|]+\|(ticket\.read|customer\.field\.reveal)\|/);
      expect(m![6]).toContain(`cn1=${seqOf(line)} cn1Label=seq`);
    }
    // Each message names the organisation's previous entry: in trail order, the chain has no hole.
    const firstOf = new Map<number, string>();
    for (const line of lines) if (!firstOf.has(seqOf(line))) firstOf.set(seqOf(line), line);
    for (let i = 1; i < expected.length; i++) expect(firstOf.get(expected[i]!)).toContain(`prev="${expected[i - 1]}"`);

    // Checkpoints: the signed note arrives byte for byte as the audit trail stored it, and the newest one received
    // covers the organisation's last entry.
    const newest = await until('a checkpoint covering the last entry', () => {
      const sizes = receivedLines().filter(isCheckpoint).map((l) => Number(/ size="(\d+)"/.exec(l)?.[1]));
      return sizes.some((n) => n > expected.at(-1)!) || undefined;
    }, 10_000).then(() => receivedLines().filter(isCheckpoint));
    for (const line of newest) {
      const m = RFC5424.exec(line);
      expect(m, line).not.toBeNull();
      expect(m![6]).toMatch(/^CEF:0\|Trustdesk\|Trustdesk\|[^|]+\|audit\.checkpoint\|/);
      const size = Number(/ size="(\d+)"/.exec(line)![1]);
      const stored = await db.db.selectFrom('audit_checkpoints').where('tree_size', '=', size).select('note').executeTakeFirstOrThrow();
      expect(unescapeCef(/ msg=(.*)$/.exec(m![6]!)![1]!)).toBe(stored.note);
      expect(m![5]).toContain(`org="${orgId}"`);
    }
    console.log(`SIEM e2e: ${newest.length} signed checkpoints received`);
  }, 120_000);
});
