import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Three tiers (decision 0135), one `npm test`:
 * - unit: test files whose imports never reach a database, a browser, a
 *   server or a password hash; worker threads, cheap to start.
 * - integration: every other src/ and web/ test (PGlite, PostgreSQL, HTTP);
 *   forked processes, each running many files in turn so PGlite's
 *   WebAssembly is compiled once per process, not once per file.
 * - browser: e2e/web, on the built web app and one Chromium for the run.
 */
const root = path.dirname(fileURLToPath(import.meta.url));

/** Packages that make a test more than pure code. */
const IMPURE = /^(@electric-sql\/pglite|pg|kysely|kysely-pglite-dialect|ioredis|argon2|fastify|@fastify\/.*|playwright-core|smtp-server|nodemailer|(node:)?(child_process|worker_threads|net|http|https|tls|dgram))$/;
const IMPORT = /(?:^|[\s;])(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function testFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

/** Whether a module and everything it imports, transitively, is free of IMPURE packages. */
function isPure(file: string, seen = new Map<string, boolean>()): boolean {
  const known = seen.get(file);
  if (known !== undefined) return known;
  seen.set(file, true); // an import cycle does not make a module impure by itself
  let pure = true;
  for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const spec = (match[1] ?? match[2]) as string;
    if (spec.startsWith('.')) {
      const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, '');
      const resolved = ['.ts', '.tsx', '/index.ts'].map((ext) => target + ext).find((f) => existsSync(f));
      if (resolved && !isPure(resolved, seen)) pure = false;
    } else if (IMPURE.test(spec)) pure = false;
    if (!pure) break;
  }
  seen.set(file, pure);
  return pure;
}

const seen = new Map<string, boolean>();
const serverTests = [...testFiles(path.join(root, 'src')), ...testFiles(path.join(root, 'web', 'test')), ...testFiles(path.join(root, 'web', 'src')), ...testFiles(path.join(root, 'e2e')).filter((f) => !f.endsWith('.web.test.ts'))];
const unitTests = serverTests.filter((f) => isPure(path.join(root, f), seen));

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Vitest's default is one worker fewer than the cores: a single worker on a 2-core machine, which ran the
    // files one after another (the sum of file times equalled the wall time). Much of a database or browser test
    // waits on I/O, so two workers on two cores finish far sooner.
    // A third worker: the run is mostly waiting on PostgreSQL, Chromium and child processes, and a third file in
    // flight took 882 s down to about 781 s with four (measured 2026-12-03; four made two browser waits flaky).
    maxWorkers: Math.max(3, availableParallelism() + 1),
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: unitTests, pool: 'threads' },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['src/**/*.test.ts', 'web/test/**/*.test.ts', 'web/src/**/*.test.ts', 'e2e/**/*.test.ts'],
          exclude: [...unitTests, 'e2e/web/**', '**/node_modules/**'],
          // Database tests start PGlite from templates built once per set of migrations.
          globalSetup: ['src/platform/db/testing.ts'],
          // A test that opens PGlite on a data folder three times (the CLI's tests), or sweeps every route, takes
          // 5–10 s alone and went past 30 s in a CI run where three files and PostgreSQL shared the two cores.
          testTimeout: 90_000,
          // expect.poll's default 1 s is a single slow commit under load.
          expect: { poll: { timeout: 15_000 } },
          // PGlite instances are WebAssembly heaps; separate processes keep them apart. A process runs
          // several files in turn (no test file changes globals, mocks modules or fakes timers).
          pool: 'forks',
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['e2e/web/**/*.test.ts'],
          // A browser test is one user's whole scenario (thirty steps, each a render and a request): 17 s alone, and
          // past 30 s while two other files load the same two cores.
          testTimeout: 90_000,
          // expect.poll waits 1 s by default: a list the page fills after a request and a render missed it in a
          // loaded CI run (chat console, 0 rows after 1 s). The same 30 s as a single wait.
          expect: { poll: { timeout: 30_000 } },
          // The web app built once when its inputs changed; one Chromium for every browser test file.
          globalSetup: ['e2e/web/build.setup.ts', 'src/platform/db/testing.ts', 'e2e/web/browser.setup.ts'],
          pool: 'forks',
          isolate: false,
        },
      },
    ],
  },
});
