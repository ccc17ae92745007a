/**
 * Vitest global setup: builds the web app once per run when its inputs
 * changed (scripts/build-web.ts), under a lock so parallel runs do not write
 * web/dist at the same time. A failed build is reported and the run goes on:
 * the browser tests then fail on the missing or old build, the other tests
 * are unaffected.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWeb } from '../../scripts/build-web.js';

const lockDir = path.join(fileURLToPath(new URL('../../web/', import.meta.url)), '.build-lock');

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      const age = (() => {
        try {
          return Date.now() - statSync(lockDir).mtimeMs;
        } catch {
          return 0;
        }
      })();
      if (age > 120_000) rmSync(lockDir, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lockDir}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

export default async function setup(): Promise<void> {
  try {
    await withLock(() => buildWeb({ quiet: true }));
  } catch (err) {
    console.error(`The web app did not build; browser tests will fail.\n${err instanceof Error ? err.message : String(err)}`);
  }
}
