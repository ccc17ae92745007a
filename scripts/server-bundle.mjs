// Which server bundle (scripts/build.mjs, decision 0232) may run: the one whose recorded inputs still hash to what
// they hashed to when it was built. Plain JavaScript with no dependencies, because bin/trustdesk.js asks before
// it has loaded anything: a missing, partial or stale bundle answers null and the CLI runs from the sources.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SERVER_DIST = path.join(ROOT, 'dist', 'server');
export const CURRENT_FILE = path.join(SERVER_DIST, 'current.json');

/** SHA-256 over the files' names and contents, in the order given (names relative to root). */
export function hashFiles(root, files) {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(file);
    hash.update('\0');
    hash.update(readFileSync(path.join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/**
 * The entry file of the current bundle when every input it was built from is unchanged, else null (with the reason,
 * for `why`). `root` and `dist` are parameters for the tests; the CLI uses the checkout's own.
 */
export function freshServerBundle({ root = ROOT, dist = SERVER_DIST, why } = {}) {
  const say = (reason) => {
    if (why) why(reason);
    return null;
  };
  const currentFile = path.join(dist, 'current.json');
  if (!existsSync(currentFile)) return say('not built');
  let current;
  try {
    current = JSON.parse(readFileSync(currentFile, 'utf8'));
  } catch {
    return say('current.json unreadable');
  }
  if (!current || typeof current.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(current.sha256) || !Array.isArray(current.inputs)) return say('current.json malformed');
  const entry = path.join(dist, current.sha256, 'trustdesk.mjs');
  if (!existsSync(entry)) return say('bundle missing');
  let now;
  try {
    now = hashFiles(root, current.inputs);
  } catch {
    return say('an input is gone');
  }
  return now === current.sha256 ? entry : say('sources changed');
}
