// Builds what `npm start` runs, each only when its inputs changed (content hashes, not mtimes: a fresh clone gives
// every file a new mtime):
// - the web app (Vite) into web/dist, stamped with a SHA-256 over web/, the shared schemas and the lockfile;
// - the server bundle (esbuild, decision 0232) into dist/server/<sha256>/, where <sha256> is over the files it was
//   built from, named in dist/server/current.json. bin/trustdesk.js runs it when those files are unchanged, and
//   the sources through tsx otherwise.
// `node scripts/build.mjs [--web] [--server] [--force] [--quiet]`: both when neither is named. Plain JavaScript, so
// that the check before every `npm start` costs a node start, not a TypeScript loader's.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CURRENT_FILE, freshServerBundle, hashFiles, ROOT, SERVER_DIST } from './server-bundle.mjs';

const webDir = path.join(ROOT, 'web');
const stampFile = path.join(webDir, 'dist', '.vite', 'inputs.sha256');

function files(dir, skip, base = dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const rel = path.relative(base, full);
    if (skip(rel)) continue;
    if (entry.isDirectory()) out.push(...files(full, skip, base));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** The web app's inputs: web/ without its build, tests and dependencies, the shared schemas and the lockfile. */
export function inputsHash() {
  const list = [
    ...files(webDir, (rel) => rel === 'dist' || rel === 'node_modules' || rel === 'test' || rel.endsWith('.test.ts') || rel.endsWith('.test.tsx')),
    ...files(path.join(ROOT, 'src', 'platform', 'http', 'schemas'), (rel) => rel.endsWith('.test.ts')),
    path.join(ROOT, 'package-lock.json'),
  ].sort();
  const hash = createHash('sha256');
  for (const file of list) {
    hash.update(path.relative(ROOT, file));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** Builds the web app when its inputs changed (or always with force). */
export async function buildWeb(options = {}) {
  const digest = inputsHash();
  const previous = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '';
  if (!options.force && previous === digest && existsSync(path.join(webDir, 'dist', 'index.html'))) return 'fresh';
  const { build } = await import('vite');
  const started = performance.now();
  // Always a production build: under vitest NODE_ENV is 'test', which would give React's development JSX runtime.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    // An incremental build keeps the previous hashed assets, so a server already running (another test run) keeps working.
    await build({ configFile: path.join(webDir, 'vite.config.ts'), mode: 'production', logLevel: options.quiet ? 'warn' : 'info', build: { emptyOutDir: options.force === true } });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  mkdirSync(path.dirname(stampFile), { recursive: true });
  writeFileSync(stampFile, `${digest}\n`);
  if (!options.quiet) console.log(`Web app built in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  return 'built';
}

/** What the bundle holds: the CLI (and with it the server) and the two worker-thread entry points. */
const ENTRIES = {
  trustdesk: 'src/platform/cli/main.ts',
  'verify-worker': 'src/protection/audit/verify-worker.ts',
  'pdf-worker': 'src/protection/file-scan/pdf-worker.mjs',
};
/** Bundles kept besides the current one: a server started from an earlier one still loads its workers from it. */
const KEEP = 3;

/**
 * Bundles the server when its sources changed (or always with force). Packages stay imports of node_modules, so
 * only the project's own modules are joined; files the server reads at run time are found from the project's
 * root (src/platform/paths.ts), and the workers sit next to the entry as they sit next to their starters in src/.
 * Built into a temporary folder and renamed, and current.json replaced by a rename: a concurrent start sees
 * the old bundle or the new one, never half of one.
 */
export async function buildServer(options = {}) {
  if (!options.force && freshServerBundle()) return 'fresh';
  const { build } = await import('esbuild');
  const started = performance.now();
  mkdirSync(SERVER_DIST, { recursive: true });
  const tmp = path.join(SERVER_DIST, `.tmp-${process.pid}-${Date.now()}`);
  try {
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: ENTRIES,
      outdir: tmp,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      metafile: true,
      logLevel: 'warning',
    });
    const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/')).sort();
    const sha256 = hashFiles(ROOT, inputs);
    const dir = path.join(SERVER_DIST, sha256);
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another build of the same sources got there first (test runs start several at once): theirs is ours.
      if (!existsSync(path.join(dir, 'trustdesk.mjs'))) throw err;
    }
    const next = `${CURRENT_FILE}.${process.pid}`;
    writeFileSync(next, `${JSON.stringify({ sha256, builtAt: new Date().toISOString(), inputs })}\n`);
    renameSync(next, CURRENT_FILE);
    prune(sha256);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (!options.quiet) console.log(`Server bundle built in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  return 'built';
}

function prune(current) {
  const bundles = readdirSync(SERVER_DIST, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^[0-9a-f]{64}$/.test(e.name) && e.name !== current)
    .map((e) => ({ name: e.name, mtime: statSync(path.join(SERVER_DIST, e.name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of bundles.slice(KEEP - 1)) rmSync(path.join(SERVER_DIST, old.name), { recursive: true, force: true });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const quiet = args.includes('--quiet');
  const both = !args.includes('--web') && !args.includes('--server');
  try {
    if (both || args.includes('--web')) {
      if ((await buildWeb({ force, quiet })) === 'fresh' && !quiet) console.log('Web app is up to date.');
    }
    if (both || args.includes('--server')) {
      if ((await buildServer({ force, quiet })) === 'fresh' && !quiet) console.log('Server bundle is up to date.');
    }
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
