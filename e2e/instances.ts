/**
 * Real `trustdesk start` processes for tests and benchmarks that need several
 * instances: a fresh PostgreSQL database on the given server, one Redis, one
 * key-encryption key (env provider) and one public URL for all of them, as
 * behind a load balancer. The first instance migrates; the others start after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * Linux hands out ports for outgoing connections from 32768–60999: a port taken
 * there with listen(0) and closed can be someone's outgoing connection (PostgreSQL,
 * Chromium, Redis) before the server under test binds it, which failed a CI run with
 * EADDRINUSE. Ports for tests come from below that range, at random, and are tried
 * before they are handed out.
 */
const EPHEMERAL_LOW = (() => {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
})();
const PORT_LOW = 10_000;
const PORT_HIGH = Math.max(PORT_LOW + 1_000, EPHEMERAL_LOW); // exclusive
const handedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = PORT_LOW + Math.floor(Math.random() * (PORT_HIGH - PORT_LOW));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port between ${PORT_LOW} and ${PORT_HIGH}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it gives something other than undefined/false. */
export async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await Promise.resolve(fn()).catch(() => undefined);
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export interface Instance {
  proc: ChildProcess;
  http: string;
  ws: string;
  output: string;
  exited: boolean;
}

export interface Cluster {
  instances: Instance[];
  databaseUrl: string;
  publicUrl: string;
  /** TRUSTDESK_KEK of every instance, for a process that opens the same database's keys. */
  kek: string;
  /** Starts instance `index` again (after it was killed) on its port and data folder; replaces it in `instances`. */
  restart(index: number): Promise<Instance>;
  stop(): Promise<void>;
}

export async function startCluster(options: { serverUrl: string; redisUrl: string; count: number; poolSize?: number; logLevel?: string; env?: NodeJS.ProcessEnv; nodeArgs?: string[] }): Promise<Cluster> {
  const dbName = `trustdesk_${randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: options.serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(options.serverUrl);
  url.pathname = `/${dbName}`;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'trustdesk-cluster-'));
  const kek = `cluster:${randomBytes(32).toString('base64')}`;
  const ports: number[] = [];
  for (let i = 0; i < options.count; i++) ports.push(await freePort());
  const publicUrl = `http://127.0.0.1:${ports[0]}`;
  const instances: Instance[] = [];

  const launch = async (port: number, index: number): Promise<Instance> => {
    const inst: Instance = { proc: null as unknown as ChildProcess, http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}`, output: '', exited: false };
    inst.proc = spawn(process.execPath, [...(options.nodeArgs ?? []), 'bin/trustdesk.js', 'start'], {
      cwd: path.resolve(import.meta.dirname, '..'),
      env: {
        ...process.env,
        DATABASE_URL: url.toString(),
        REDIS_URL: options.redisUrl,
        TRUSTDESK_KEY_PROVIDER: 'env',
        TRUSTDESK_KEK: kek,
        TRUSTDESK_DATA_DIR: path.join(tmp, `data-${index}`),
        TRUSTDESK_PORT: String(port),
        TRUSTDESK_PUBLIC_URL: publicUrl,
        TRUSTDESK_SMTP_PORT: String(await freePort()),
        TRUSTDESK_DATABASE_POOL_SIZE: String(options.poolSize ?? 4),
        TRUSTDESK_LOG_LEVEL: options.logLevel ?? 'warn',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    inst.proc.stdout!.on('data', (c: Buffer) => (inst.output += c.toString()));
    inst.proc.stderr!.on('data', (c: Buffer) => (inst.output += c.toString()));
    inst.proc.on('exit', () => (inst.exited = true));
    await until('trustdesk to listen', () => (/inbound mail: +SMTP/.test(inst.output) ? true : inst.exited ? Promise.reject(new Error(inst.output)) : undefined), 90_000).catch((err: unknown) => {
      throw new Error(`trustdesk did not start: ${String(err)}\n${inst.output}`);
    });
    return inst;
  };

  const stop = async () => {
    for (const i of instances) if (!i.exited) i.proc.kill('SIGTERM');
    await until('instances to stop', () => instances.every((i) => i.exited) || undefined, 15_000).catch(() => {
      for (const i of instances) if (!i.exited) i.proc.kill('SIGKILL');
    });
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  };

  // A benchmark or test that dies leaves no instance behind.
  const killAll = () => {
    for (const i of instances) if (!i.exited) i.proc.kill('SIGKILL');
  };
  process.once('exit', killAll);
  try {
    // The first migrates; the rest start on the migrated database.
    for (let i = 0; i < options.count; i++) instances.push(await launch(ports[i]!, i));
  } catch (err) {
    await stop();
    throw err;
  }
  const restart = async (index: number) => {
    const old = instances[index];
    if (old && !old.exited) throw new Error(`instance ${index} is still running`);
    const inst = await launch(ports[index]!, index);
    instances[index] = inst;
    return inst;
  };
  return { instances, databaseUrl: url.toString(), publicUrl, kek, restart, stop };
}
