/**
 * One audit verification worker: reads a run of entries (by idx range, on its
 * own PostgreSQL connection, keyset pages with the next page in flight while
 * this one is hashed) or receives its rows from the main thread (PGlite), and
 * answers the run hashed and checked (`EntryHasher`, the same code the main
 * thread uses). Started by verify-parallel.ts through verify-worker.mjs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { rowToStoredEntry, storedEntrySelect } from './trail-io.js';
import { EntryHasher, type LeafChunk } from './verify.js';

export interface VerifyWorkerData {
  connection: { url: string; schema?: string | undefined } | null;
  macKey: Uint8Array;
  signedSizes: number[];
  pageSize: number;
}
export type VerifyJob = { id: number; lo: number; hi: number; rows?: unknown[][] };
export type VerifyAnswer = { id: number; chunk: LeafChunk } | { id: number; error: string };

const data = workerData as VerifyWorkerData;
const port = parentPort;
if (!port) throw new Error('verify-worker runs in a worker thread');
const frontiersAt = new Set(data.signedSizes);
const INT8_OID = 20;
let client: Promise<pg.Client> | undefined;

function connect(): Promise<pg.Client> {
  const { connection } = data;
  if (!connection) throw new Error('no database connection for this worker');
  client ??= (async () => {
    const c = new pg.Client({
      connectionString: connection.url,
      application_name: 'trustdesk-audit-verify',
      ...(connection.schema ? { options: `-c search_path="${connection.schema.replaceAll('"', '""')}"` } : {}),
      types: { getTypeParser: ((oid: number, format?: string) => (oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser },
    });
    await c.connect();
    return c;
  })();
  return client;
}

async function run(job: VerifyJob): Promise<LeafChunk> {
  const hasher = new EntryHasher({ macKey: data.macKey, first: job.lo, frontiersAt });
  if (job.rows) {
    hasher.add(job.rows.map(rowToStoredEntry));
    return hasher.finish();
  }
  const c = await connect();
  const columns = storedEntrySelect(false);
  const page = (from: number) =>
    c.query<unknown[]>({ text: `SELECT ${columns} FROM audit_log WHERE idx >= $1 AND idx < $2 ORDER BY idx LIMIT $3`, values: [from, job.hi, data.pageSize], rowMode: 'array' });
  let pending = page(job.lo);
  for (;;) {
    const { rows } = await pending;
    const full = rows.length === data.pageSize;
    if (full) pending = page(Number((rows.at(-1) as unknown[])[0]) + 1);
    const entries = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) entries[i] = rowToStoredEntry(rows[i] as unknown[]);
    hasher.add(entries);
    if (!full) return hasher.finish();
  }
}

port.on('message', (job: VerifyJob | 'close') => {
  if (job === 'close') {
    void (client ? client.then((c) => c.end()).catch(() => undefined) : Promise.resolve()).then(() => port.close());
    return;
  }
  run(job).then(
    (chunk) => {
      const answer: VerifyAnswer = { id: job.id, chunk };
      const leaves = chunk.leaves;
      port.postMessage(answer, leaves.byteOffset === 0 && leaves.byteLength === leaves.buffer.byteLength ? [leaves.buffer as ArrayBuffer] : []);
    },
    (err: unknown) => port.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) } satisfies VerifyAnswer),
  );
});
