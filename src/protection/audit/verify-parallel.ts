/**
 * Audit verification of the live database in worker threads (issue 21: a
 * million entries in under 3 s on two cores). The log is cut into runs of
 * `chunkSize` tree indexes (a power of two, so each run is a whole subtree);
 * each worker reads its runs itself on its own PostgreSQL connection, keyset
 * pages with no OFFSET, and hashes and checks them (leaf, MAC, the run's Merkle
 * frontier at each signed size) while the next page is on its way. The main
 * thread hands out runs in order, a few ahead, and joins the answers in tree
 * order in `verifyAuditTrail`, which reaches the same verdicts as hashing one
 * entry at a time (a run with a gap or a move is walked entry by entry). On
 * PGlite (one connection, in this process) the main thread reads each run's
 * rows and the workers hash them.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { DatabaseHandle } from '../../platform/db/database.js';
import { storedEntrySelect } from './trail-io.js';
import type { LeafChunk } from './verify.js';
import type { VerifyAnswer, VerifyJob, VerifyWorkerData } from './verify-worker.js';

export interface ParallelHashOptions {
  database: Pick<DatabaseHandle, 'queryArrays' | 'connection'>;
  macKey: Uint8Array;
  /** The sizes of the stored checkpoints: each worker keeps its run's frontier at these. */
  signedSizes: readonly number[];
  /** Worker threads; default: the cores available, at most 4. */
  workers?: number;
  /** Tree indexes per run, a power of two; default 32,768. */
  chunkSize?: number;
  /** Rows per query inside a run; default 8,192. */
  pageSize?: number;
}

export function defaultVerifyWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** The stored entries, hashed and checked in worker threads, in tree order: feed to `verifyAuditTrail({ chunks })`. */
export async function* hashStoredEntriesInParallel(options: ParallelHashOptions): AsyncGenerator<LeafChunk> {
  const chunkSize = options.chunkSize ?? 32_768;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1 || 2 ** Math.round(Math.log2(chunkSize)) !== chunkSize) throw new RangeError('chunkSize must be a power of two');
  const pageSize = options.pageSize ?? 8192;
  const { database } = options;
  // Entries appended after this read are not part of this verification (nor are checkpoints read before it).
  const top = (await database.queryArrays('SELECT max(idx) FROM audit_log', []))[0]?.[0];
  if (top === null || top === undefined) return;
  const runs = Math.floor(Number(top) / chunkSize) + 1;
  const workerCount = Math.max(1, Math.min(options.workers ?? defaultVerifyWorkers(), runs));
  const data: VerifyWorkerData = { connection: database.connection ?? null, macKey: options.macKey, signedSizes: [...options.signedSizes], pageSize };

  const waiting = new Map<number, { resolve: (c: LeafChunk) => void; reject: (e: Error) => void; worker: number }>();
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure ??= err;
    for (const w of waiting.values()) w.reject(failure);
    waiting.clear();
  };
  const workers = Array.from({ length: workerCount }, (_, n) => {
    const w = new Worker(new URL('./verify-worker.mjs', import.meta.url), { workerData: data });
    w.on('message', (answer: VerifyAnswer) => {
      const entry = waiting.get(answer.id);
      if (!entry) return;
      waiting.delete(answer.id);
      if ('error' in answer) entry.reject(new Error(answer.error));
      else entry.resolve(answer.chunk);
    });
    w.on('error', (err) => fail(err));
    w.on('exit', (code) => {
      if ([...waiting.values()].some((x) => x.worker === n)) fail(new Error(`audit verification worker stopped (exit code ${code})`));
    });
    return w;
  });

  const results: Array<Promise<LeafChunk> | undefined> = [];
  let submitted = 0;
  const submit = (k: number) => {
    const lo = k * chunkSize;
    const hi = lo + chunkSize;
    const worker = k % workerCount;
    const answer = (async () => {
      const job: VerifyJob = { id: k, lo, hi };
      if (!data.connection) {
        job.rows = await database.queryArrays(`SELECT ${storedEntrySelect(false)} FROM audit_log WHERE idx >= $1 AND idx < $2 ORDER BY idx`, [lo, hi]);
      }
      if (failure) throw failure;
      return new Promise<LeafChunk>((resolve, reject) => {
        waiting.set(k, { resolve, reject, worker });
        (workers[worker] as Worker).postMessage(job);
      });
    })();
    // Awaited in order below; until then a failure must not count as unhandled.
    answer.catch(() => undefined);
    results[k] = answer;
  };
  // Each worker holds up to two runs: one being read, one being hashed.
  const ahead = workerCount * 2;
  try {
    for (let k = 0; k < runs; k++) {
      while (submitted < runs && submitted < k + ahead) submit(submitted++);
      const chunk = await (results[k] as Promise<LeafChunk>);
      results[k] = undefined;
      yield chunk;
    }
  } finally {
    for (const w of workers) w.postMessage('close');
    await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
      const timer = setTimeout(() => void w.terminate().then(() => resolve()), 2000);
      w.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    })));
  }
}
