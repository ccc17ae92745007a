/**
 * Files the server reads at run time from the checkout (migrations, shipped training modules, phishing word lists,
 * the built web app, package.json), named from the project's root rather than from the module that reads them.
 *
 * A module's own `import.meta.url` is not a stable anchor: run from the sources it is the module's file, run from
 * the server bundle (`scripts/build.mjs`, decision 0232) it is `dist/server/trustdesk.mjs` for every module.
 * The root is the nearest folder above this module that holds both `package.json` and `src/platform/`, which is
 * the same folder either way.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  let dir = from;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'src', 'platform'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`Cannot find the Trustdesk folder (package.json and src/) above ${from}`);
    dir = up;
  }
}

export const PROJECT_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

/** A path inside the checkout, from its root: `projectPath('src', 'platform', 'db', 'migrations')`. */
export function projectPath(...parts: string[]): string {
  return path.join(PROJECT_ROOT, ...parts);
}
