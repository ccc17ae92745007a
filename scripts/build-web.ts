/**
 * The web app's build, for the TypeScript callers (the browser tests' global setup, bench:web): the logic is in
 * scripts/build.mjs, plain JavaScript so that `npm start` checks it without a TypeScript loader. `--force` always builds.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWeb } from './build.mjs';

export { buildWeb, inputsHash } from './build.mjs';

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  buildWeb({ force: process.argv.includes('--force'), quiet: process.argv.includes('--quiet') }).then(
    (result) => {
      if (result === 'fresh') console.log('Web app is up to date.');
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
