/**
 * Finding an export's files and reading its small side files (people,
 * organisations, mailboxes) into maps keyed by the source's ids. Each file may
 * be NDJSON or a JSON document (json-stream.ts); a damaged record there is a
 * problem to report, not a reason to stop.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { readRecords, type StreamLimits } from './json-stream.js';
import { RecordError, type Rec } from './model.js';

/** `<dir>/<name>.json`, `.ndjson` or `.jsonl`, whichever exists. */
export function exportFile(dir: string, name: string): string | null {
  for (const ext of ['json', 'ndjson', 'jsonl']) {
    const file = path.join(dir, `${name}.${ext}`);
    if (existsSync(file) && statSync(file).isFile()) return file;
  }
  return null;
}

export class ExportLayoutError extends Error {}

export function requireExportFile(dir: string, name: string, what: string): string {
  const file = exportFile(dir, name);
  if (!file) throw new ExportLayoutError(`${what} not found: expected ${name}.json (or .ndjson) in ${dir}.`);
  return file;
}

export async function readSideFile<T>(
  file: string | null,
  collection: readonly string[],
  parse: (r: Rec) => [string, T],
  problem: (message: string) => void,
  limits?: StreamLimits,
): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  if (!file) return out;
  const name = path.basename(file);
  try {
    for await (const item of readRecords(file, collection, limits)) {
      if (!item.ok) {
        problem(`${name}, record ${item.index + 1}: ${item.error}; skipped.`);
        continue;
      }
      try {
        const [id, value] = parse(item.value);
        out.set(id, value);
      } catch (err) {
        if (!(err instanceof RecordError)) throw err;
        problem(`${name}, record ${item.index + 1}: ${err.message}; skipped.`);
      }
    }
  } catch (err) {
    if (err instanceof RecordError) throw err;
    problem(`${name}: ${(err as Error).message}`);
  }
  return out;
}
