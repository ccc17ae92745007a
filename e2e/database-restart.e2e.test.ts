/**
 * A PostgreSQL restart under load: a real `trustdesk start` process against a
 * private PostgreSQL cluster (initdb/pg_ctl in a temporary folder, never the
 * shared server), with HTTP and SMTP traffic running while the database stops,
 * starts, restarts and has its connections terminated. The process must stay
 * up, answer 503 + Retry-After (HTTP) and 451 (SMTP) while the database is
 * away, report it on /readyz and recover by itself; every message a sender was
 * told 250 is stored exactly once.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../src/platform/db/database.js';
import { hashSecret, newSecret } from '../src/identity/auth/secrets.js';
import { seedMailbox, seedOrganization, seedStaff, seedTeam } from '../src/helpdesk/tickets/testing.js';
import { freePort, sleep, until } from './instances.js';

const execFileAsync = promisify(execFile);
const hasInitdb = spawnSync('initdb', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasInitdb) console.warn('database-restart e2e skipped: initdb is not on the PATH (install the PostgreSQL server package)');

/** initdb and postgres refuse to run as root: under root the cluster belongs to the postgres account. */
const asPostgres = process.getuid?.() === 0 && spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).status === 0;
const pgUser = asPostgres ? { uid: Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout), gid: Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout) } : null;

/** Asynchronous, so the load keeps running while pg_ctl waits for the server. */
async function pgTool(args: string[]): Promise<void> {
  const [cmd, ...rest] = asPostgres ? ['runuser', '-u', 'postgres', '--', ...args] : args;
  await execFileAsync(cmd!, rest, { encoding: 'utf8', timeout: 60_000 }).catch((err: { stderr?: string; stdout?: string }) => {
    throw new Error(`${args.join(' ')} failed: ${err.stderr || err.stdout || String(err)}`);
  });
}

describe.skipIf(!hasInitdb)('a PostgreSQL restart under HTTP and SMTP load', () => {
  let tmp: string;
  let pgData: string;
  let pgPort: number;
  let dbUrl: string;
  let proc: ChildProcess;
  let output = '';
  let httpUrl: string;
  let smtpPort: number;
  let db: DatabaseHandle;
  let orgId: string;
  let token: string;
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  const pgCtl = (...args: string[]) => pgTool(['pg_ctl', '-D', pgData, '-w', '-t', '60', ...args]);
  const startPg = () => pgCtl('-o', `-p ${pgPort} -k ${pgData} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', path.join(pgData, 'server.log'), 'start');

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'trustdesk-pg-restart-'));
    pgData = path.join(tmp, 'pg');
    if (pgUser) {
      chmodSync(tmp, 0o755);
      spawnSync('mkdir', ['-m', '700', pgData]);
      chownSync(pgData, pgUser.uid, pgUser.gid);
    }
    pgPort = await freePort();
    await pgTool(['initdb', '-D', pgData, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    await startPg();
    dbUrl = `postgres://postgres@127.0.0.1:${pgPort}/postgres`;

    const [httpPort, smtp] = [await freePort(), await freePort()];
    smtpPort = smtp;
    proc = spawn(process.execPath, ['bin/trustdesk.js', 'start'], {
      cwd: path.resolve(import.meta.dirname, '..'),
      env: {
        ...process.env,
        DATABASE_URL: dbUrl,
        TRUSTDESK_DATA_DIR: path.join(tmp, 'data'),
        TRUSTDESK_PORT: String(httpPort),
        TRUSTDESK_PUBLIC_URL: `http://127.0.0.1:${httpPort}`,
        TRUSTDESK_SMTP_PORT: String(smtpPort),
        TRUSTDESK_DATABASE_POOL_SIZE: '6',
        TRUSTDESK_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    proc.on('exit', (code, signal) => (exited = { code, signal }));
    httpUrl = `http://127.0.0.1:${httpPort}`;
    await until('trustdesk to listen', async () => (/inbound mail: +SMTP/.test(output) ? true : exited ? Promise.reject(new Error(output)) : undefined), 90_000).catch((err: unknown) => {
      throw new Error(`trustdesk did not start: ${String(err)}\n${output}`);
    });

    db = await openDatabase({ url: dbUrl, poolSize: 2 });
    orgId = await seedOrganization(db.db, 'Restartworks');
    const team = await seedTeam(db.db, orgId, 'Support');
    await seedMailbox(db.db, orgId, 'support@restartworks.example', team);
    const userId = await seedStaff(db.db, orgId, { teamIds: [team], role: 'agent' });
    token = newSecret('tdt');
    await db.db
      .insertInto('api_tokens')
      .values({ id: randomUUID(), org_id: orgId, user_id: userId, kind: 'personal', name: 'load', token_hash: hashSecret(token), prefix: token.slice(0, 10), scopes: ['tickets.read'], expires_at: new Date(Date.now() + 86_400_000), created_by: null })
      .execute();
  }, 180_000);

  afterAll(async () => {
    if (proc && !exited) {
      proc.kill('SIGTERM');
      await until('trustdesk to stop', async () => (exited ? true : undefined), 20_000).catch(() => proc.kill('SIGKILL'));
    }
    await db?.close().catch(() => undefined);
    if (pgData) {
      try {
        await pgCtl('-m', 'immediate', 'stop');
      } catch {
        // already stopped
      }
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  const readyz = async () => (await fetch(`${httpUrl}/readyz`, { signal: AbortSignal.timeout(15_000) })).status;

  it('rides out stop, start, restart and terminated connections; nothing acknowledged is lost or stored twice', async () => {
    expect(await readyz()).toBe(200);

    // HTTP load: every answer is 200, or 503 problem+json with Retry-After while the database is away.
    const http = { ok: 0, unavailable: 0, other: [] as string[] };
    let running = true;
    const httpLoop = async () => {
      while (running) {
        try {
          const res = await fetch(`${httpUrl}/api/tickets`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(20_000) });
          const body = await res.text();
          if (res.status === 200) http.ok++;
          else if (res.status === 503 && res.headers.get('content-type')?.startsWith('application/problem+json') && Number(res.headers.get('retry-after')) > 0) http.unavailable++;
          else http.other.push(`${res.status} ${res.headers.get('retry-after')} ${body.slice(0, 200)}`);
        } catch (err) {
          http.other.push(`request failed: ${String(err)}`);
        }
        await sleep(20);
      }
    };

    // SMTP load: a sender that retries on 4xx, as an MTA does, until it hears 250.
    const mailer = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
    const acknowledged = new Set<string>();
    const deferrals: string[] = [];
    const unexpected: string[] = [];
    let sent = 0;
    const smtpLoop = async (n: number) => {
      while (running) {
        const messageId = `<load-${n}-${sent++}-${randomUUID()}@customer.example>`;
        for (let attempt = 0; ; attempt++) {
          try {
            const info = await mailer.sendMail({ from: 'customer@customer.example', to: 'support@restartworks.example', subject: `Load ${messageId}`, text: 'Where is my parcel?', messageId });
            if (/^250/.test(info.response)) acknowledged.add(messageId);
            break;
          } catch (err) {
            const e = err as { responseCode?: number; response?: string; code?: string };
            if (e.responseCode && e.responseCode >= 400 && e.responseCode < 500) deferrals.push(e.response ?? String(e.responseCode));
            else if (!e.responseCode && (e.code === 'ECONNECTION' || e.code === 'ESOCKET')) unexpected.push(`connection: ${String(err)}`);
            else {
              unexpected.push(`${e.responseCode} ${e.response}`);
              break;
            }
            if (attempt > 200) throw new Error(`message never accepted: ${messageId}`);
            await sleep(100);
          }
        }
      }
    };
    const loops = [httpLoop(), httpLoop(), smtpLoop(1), smtpLoop(2), smtpLoop(3)];
    const stopLoad = async () => {
      running = false;
      await Promise.all(loops);
      mailer.close();
    };
    try {
      await until('some traffic', async () => (acknowledged.size >= 3 && http.ok >= 3 ? true : undefined));

      // 1. The database goes away: readiness, HTTP and SMTP say so; the process stays up.
      await pgCtl('-m', 'fast', 'stop');
      await until('/readyz 503', async () => ((await readyz()) === 503 ? true : undefined));
      await until('HTTP 503 with Retry-After', async () => (http.unavailable > 0 ? true : undefined));
      await until('SMTP 451', async () => (deferrals.length > 0 ? true : undefined));
      expect(exited).toBeNull();
      await sleep(1000);

      // 2. It comes back: readiness recovers without anyone touching Trustdesk.
      await startPg();
      await until('/readyz 200', async () => ((await readyz()) === 200 ? true : undefined));
      const before = acknowledged.size;
      await until('mail flowing again', async () => (acknowledged.size > before + 3 ? true : undefined));

      // 3. A fast restart under load, then every backend terminated.
      await pgCtl('-m', 'fast', 'restart');
      await until('/readyz 200 after restart', async () => ((await readyz()) === 200 ? true : undefined));
      const admin = await openDatabase({ url: dbUrl, poolSize: 1 });
      await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`.execute(admin.db);
      await admin.close();
      const after = acknowledged.size;
      await until('mail flowing after terminated connections', async () => (acknowledged.size > after + 3 ? true : undefined));
      expect(await readyz()).toBe(200);
    } finally {
      await stopLoad();
    }

    expect(exited, output).toBeNull();
    expect(output).not.toMatch(/Unhandled 'error' event|unhandled rejection|uncaught/i);
    expect(http.other).toEqual([]);
    expect(unexpected).toEqual([]);
    expect(deferrals.every((d) => /^451 4\.3\.0 /.test(d))).toBe(true);

    // Every acknowledged message is stored exactly once, and nothing else was stored.
    const rows = await db.db
      .selectFrom('messages')
      .where('org_id', '=', orgId)
      .where('kind', '=', 'inbound_email')
      .select([sql<number>`count(*)::int`.as('n'), sql<number>`count(DISTINCT message_id_hash)::int`.as('distinct_ids')])
      .executeTakeFirstOrThrow();
    expect(rows.n).toBe(acknowledged.size);
    expect(rows.distinct_ids).toBe(acknowledged.size);
    const quarantined = await db.db.selectFrom('quarantine').where('org_id', '=', orgId).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    expect(quarantined.n).toBe(0);
  }, 240_000);

  it('still stops gracefully afterwards', async () => {
    proc.kill('SIGTERM');
    await until('exit', async () => (exited ? true : undefined), 20_000);
    expect(exited).toEqual({ code: 0, signal: null });
  }, 30_000);
});
