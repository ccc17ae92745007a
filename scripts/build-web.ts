/**
 * Builds the web app when its inputs changed since the last build: a SHA-256
 * over the contents of web/ (not dist), the shared schemas and the lockfile,
 * compared with web/dist/.vite/inputs.sha256. Contents, not mtimes, because a
 * fresh clone gives every file a new mtime. Run by `npm start` (prestart) and
 * by the browser tests' global setup. `--force` always builds.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const webDir = path.join(root, 'web');
const stampFile = path.join(webDir, 'dist', '.vite', 'inputs.sha256');

function files(dir: string, skip: (rel: string) => boolean, base = dir): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const rel = path.relative(base, full);
    if (skip(rel)) continue;
    if (entry.isDirectory()) out.push(...files(full, skip, base));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

export function inputsHash(): string {
  const hash = createHash('sha256');
  const list = [
    ...files(webDir, (rel) => rel === 'dist' || rel === 'node_modules' || rel === 'test' || rel.endsWith('.test.ts') || rel.endsWith('.test.tsx')),
    ...files(path.join(root, 'src', 'platform', 'http', 'schemas'), (rel) => rel.endsWith('.test.ts')),
    path.join(root, 'package-lock.json'),
  ].sort();
  for (const file of list) {
    hash.update(path.relative(root, file));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

export async function buildWeb(options: { force?: boolean; quiet?: boolean } = {}): Promise<'built' | 'fresh'> {
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

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const force = process.argv.includes('--force');
  buildWeb({ force, quiet: process.argv.includes('--quiet') }).then(
    (result) => {
      if (result === 'fresh') console.log('Web app is up to date.');
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
