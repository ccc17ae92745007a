/**
 * npm run bench:startup [-- --runs 3] [--json]
 *
 * Cold start, as an operator meets it (issue 21):
 *   first start — right after `npm install`: no built web app (web/dist removed), no server bundle (dist/server
 *     removed), an empty TypeScript transform cache (tsx's, kept under TMPDIR: the child gets a fresh TMPDIR), a
 *     new data folder (database created, migrations, keys);
 *   built start — the same checkout started again: web app and server bundle built, data folder in place.
 * Each is timed from spawning `npm start` to the first 200 from /healthz. What takes the time is measured by the
 * same steps run alone, in the same state: `npm start`'s prestart (`node scripts/build.mjs`: the builds, or the
 * check that they are up to date), importing the CLI's modules as bin/trustdesk.js does, and
 * `node bin/trustdesk.js start` to /healthz (import + database, migrations, keys, listening).
 * The peer, in the same run: the built checkout started from the TypeScript sources through tsx
 * (TRUSTDESK_FROM_SOURCE=1), as every start ran before the server bundle (decision 0232).
 * node_modules is never touched.
 * --json: a last line with every run and the medians.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

interface State {
  tmp: string;
  data: string;
  fromSource?: boolean;
}

function env(state: State, port: number, smtpPort: number): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, TMPDIR: state.tmp, TRUSTDESK_DATA_DIR: state.data, TRUSTDESK_PORT: String(port), TRUSTDESK_SMTP_PORT: String(smtpPort), TRUSTDESK_LOG_LEVEL: 'warn' };
  delete e.TRUSTDESK_DATABASE_URL;
  delete e.DATABASE_URL;
  if (state.fromSource) e.TRUSTDESK_FROM_SOURCE = '1';
  else delete e.TRUSTDESK_FROM_SOURCE;
  return e;
}

async function until(fn: () => Promise<boolean>, child: ChildProcess, limitMs = 120_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode} before answering`);
    if (await fn().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error('did not answer in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  // npm runs the server in a child of its own: signal the whole group.
  try {
    process.kill(-(child.pid as number), 'SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGKILL');
}

/** Seconds from spawning `command` to /healthz answering 200. */
async function timeToHealthy(command: string[], state: State): Promise<number> {
  const port = await freePort();
  const smtpPort = await freePort();
  const started = performance.now();
  const child = spawn(command[0] as string, command.slice(1), { cwd: root, env: env(state, port, smtpPort), stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  try {
    await until(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200, child);
    return (performance.now() - started) / 1000;
  } finally {
    await stop(child);
  }
}

/** Seconds a command takes to finish. */
async function timeToExit(command: string[], state: State): Promise<number> {
  const started = performance.now();
  const child = spawn(command[0] as string, command.slice(1), { cwd: root, env: env(state, 0, 0), stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`${command.join(' ')} exited with ${code}`);
  return (performance.now() - started) / 1000;
}

// What bin/trustdesk.js imports: the server bundle when it is fresh, the sources through tsx otherwise.
const importCli = [
  'node',
  '--input-type=module',
  '-e',
  "import { freshServerBundle } from './scripts/server-bundle.mjs'; const b = process.env.TRUSTDESK_FROM_SOURCE === '1' ? null : freshServerBundle(); if (b) await import(b); else { const { register } = await import('tsx/esm/api'); register(); await import('./src/platform/cli/main.ts'); }",
];
const prestart = ['node', 'scripts/build.mjs'];
const npmStart = ['npm', 'start', '--silent'];
const nodeStart = ['node', 'bin/trustdesk.js', 'start'];

function fresh(): { tmp: string; data: string; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'trustdesk-startup-'));
  return { dir, tmp: mkdtempSync(path.join(dir, 'tmp-')), data: path.join(dir, 'data') };
}
const removeBuilds = () => {
  rmSync(path.join(root, 'web', 'dist'), { recursive: true, force: true });
  rmSync(path.join(root, 'dist', 'server'), { recursive: true, force: true });
};

type Row = Record<string, number>;
const rows: Row[] = [];
console.log(`# bench:startup — ${new Date().toISOString()} — node ${process.version} — ${cpus()[0]?.model} x${cpus().length}`);
for (let run = 0; run < RUNS; run++) {
  const row: Row = { load: loadavg()[0] as number };
  // The parts of a first start, each from the first-start state: the builds, then import and start on a new data folder.
  {
    const s = fresh();
    removeBuilds();
    row.firstPrestart = await timeToExit(prestart, s);
    row.firstImport = await timeToExit(importCli, s);
    row.firstNodeStart = await timeToHealthy(nodeStart, s);
    rmSync(s.dir, { recursive: true, force: true });
  }
  // The aim: a first start after npm install, then the same checkout started again.
  const s = fresh();
  removeBuilds();
  row.firstStart = await timeToHealthy(npmStart, s);
  row.builtStart = await timeToHealthy(npmStart, s);
  row.builtPrestart = await timeToExit(prestart, s);
  row.builtImport = await timeToExit(importCli, s);
  row.builtNodeStart = await timeToHealthy(nodeStart, s);
  // The peer: the same built start from the TypeScript sources (as before the server bundle).
  row.sourceImport = await timeToExit(importCli, { ...s, fromSource: true });
  row.sourceNodeStart = await timeToHealthy(nodeStart, { ...s, fromSource: true });
  rmSync(s.dir, { recursive: true, force: true });
  rows.push(row);
  console.log(
    `run ${run + 1} (load ${row.load?.toFixed(1)}): first start ${row.firstStart?.toFixed(2)} s [prestart/web build ${row.firstPrestart?.toFixed(2)}, ` +
      `import ${row.firstImport?.toFixed(2)}, node start ${row.firstNodeStart?.toFixed(2)}]; built start ${row.builtStart?.toFixed(2)} s ` +
      `[prestart/check ${row.builtPrestart?.toFixed(2)}, import ${row.builtImport?.toFixed(2)}, node start ${row.builtNodeStart?.toFixed(2)}]; ` +
      `from the sources (peer): import ${row.sourceImport?.toFixed(2)}, node start ${row.sourceNodeStart?.toFixed(2)}`,
  );
}
const median = (k: string) => [...rows.map((r) => r[k] as number)].sort((a, b) => a - b)[Math.floor(rows.length / 2)] as number;
const keys = Object.keys(rows[0] ?? {});
const medians = Object.fromEntries(keys.map((k) => [k, median(k)]));
console.log(`median: ${keys.map((k) => `${k} ${(medians[k] as number).toFixed(2)}`).join(', ')}`);
if (args.includes('--json')) console.log(JSON.stringify({ bench: 'startup', date: new Date().toISOString(), runs: rows, medians }));
