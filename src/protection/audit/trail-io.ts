/**
 * Reading the audit trail out of the database, and writing or reading an
 * export bundle that a third party verifies with no database and no secret:
 *   entries.jsonl    one line per entry: {"idx", "leaf_hash", "entry"} (entry is the canonical JSON that was hashed)
 *   checkpoints.jsonl one line per signed checkpoint: {"tree_size", "note"}
 *   audit.vkey       the verifier key the checkpoints are signed with
 * A bundle of selected entries (an incident's evidence bundle) has proofs.jsonl
 * instead of entries.jsonl: {"idx", "leaf_hash", "entry", "tree_size", "proof": [hex]}
 * per line, and may name the entries it must carry in expected.json ([idx, …]).
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Kysely } from 'kysely';
import type { DatabaseHandle } from '../../platform/db/database.js';
import type { Database } from '../../platform/db/schema.js';
import { canonicalEntry, type AuditEntryColumns } from './entry.js';
import type { ProvenEntry, StoredCheckpoint, StoredEntry } from './verify.js';

/**
 * The columns of a sequenced entry as `rowToStoredEntry` reads them: arrays, not objects, and timestamps as
 * epoch milliseconds. Shared by the reader below and the verification workers (verify-worker.ts), so both
 * build an entry from the same columns the same way.
 */
export function storedEntrySelect(leafHashes = true): string {
  // Verification with the MAC key recomputes leaves and never needs the stored ones.
  return `idx, id, (extract(epoch from ts) * 1000)::float8, org_id, actor_type, actor_id, action, object_type, object_id,
              subject, purpose, result, request_id, source_ip, details::text, ${leafHashes ? 'leaf_hash' : 'NULL::bytea'}, mac`;
}

/** One row of `storedEntrySelect` as an entry. */
export function rowToStoredEntry(r: unknown[]): StoredEntry {
  const [idx, id, tsMs, org, actorType, actorId, action, objectType, objectId, subject, purpose, result, requestId, sourceIp, details, leaf, mac] = r as [
    number | string, string, number, string | null, string, string | null, string, string | null, string | null,
    string | null, string | null, string, string | null, string | null, string | null, Uint8Array | null, Uint8Array | null,
  ];
  return {
    idx: Number(idx),
    columns: {
      id, ts: new Date(tsMs), org_id: org, actor_type: actorType, actor_id: actorId, action, object_type: objectType, object_id: objectId,
      subject, purpose, result, request_id: requestId, source_ip: sourceIp, details: details === null ? null : (JSON.parse(details) as Record<string, unknown>),
    },
    leafHash: leaf,
    mac,
  };
}

/**
 * Sequenced entries in tree order, read in pages so a million rows stream in
 * bounded memory. Rows come as arrays (no object per row), timestamps as epoch
 * milliseconds, and the next page is fetched while the caller hashes this one:
 * reading dominated verification time. (Verification of the live database on
 * PostgreSQL reads and hashes in worker threads instead: verify-parallel.ts.)
 */
export async function* readStoredEntries(
  database: Pick<DatabaseHandle, 'queryArrays'>,
  options: { pageSize?: number; leafHashes?: boolean } = {},
): AsyncGenerator<StoredEntry[]> {
  const pageSize = options.pageSize ?? 20_000;
  const columns = storedEntrySelect(options.leafHashes !== false);
  const page = (after: number) =>
    database.queryArrays(`SELECT ${columns} FROM audit_log WHERE idx IS NOT NULL AND idx > $1 ORDER BY idx LIMIT $2`, [after, pageSize]);
  let pending = page(-1);
  for (;;) {
    const rows = await pending;
    const last = rows.at(-1)?.[0];
    if (rows.length === pageSize && last !== undefined) pending = page(Number(last));
    // Pages, not single entries: a million awaited yields cost more than the hashing they feed.
    const entries: StoredEntry[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) entries[i] = rowToStoredEntry(rows[i] as unknown[]);
    if (entries.length) yield entries;
    if (rows.length < pageSize) return;
  }
}

export async function readStoredCheckpoints(db: Kysely<Database>): Promise<StoredCheckpoint[]> {
  const rows = await db.selectFrom('audit_checkpoints').select(['tree_size', 'note']).orderBy('tree_size').execute();
  return rows.map((r) => ({ treeSize: r.tree_size, note: r.note }));
}

export async function exportBundle(options: { database: DatabaseHandle; dir: string; vkey: string }): Promise<{ entries: number; checkpoints: number }> {
  mkdirSync(options.dir, { recursive: true });
  const out = createWriteStream(path.join(options.dir, 'entries.jsonl'));
  let entries = 0;
  for await (const page of readStoredEntries(options.database)) {
    for (const e of page) {
      const line = `{"idx":${e.idx},"leaf_hash":"${Buffer.from(e.leafHash ?? []).toString('hex')}","entry":${canonicalEntry(e.columns)}}\n`;
      if (!out.write(line)) await once(out, 'drain');
      entries += 1;
    }
  }
  out.end();
  await once(out, 'finish');
  const checkpoints = await readStoredCheckpoints(options.database.db);
  writeFileSync(
    path.join(options.dir, 'checkpoints.jsonl'),
    checkpoints.map((c) => JSON.stringify({ tree_size: c.treeSize, note: c.note })).join('\n') + (checkpoints.length ? '\n' : ''),
  );
  writeFileSync(path.join(options.dir, 'audit.vkey'), `${options.vkey}\n`);
  writeFileSync(
    path.join(options.dir, 'README.txt'),
    [
      'Trustdesk audit trail export.',
      'Each line of entries.jsonl holds an entry in RFC 8785 canonical JSON; its leaf hash is SHA-256(0x00 || entry bytes),',
      'and the leaves form an RFC 6962 Merkle tree. checkpoints.jsonl holds C2SP signed-note checkpoints over that tree,',
      'signed with the Ed25519 key in audit.vkey. Check it with: trustdesk audit verify --bundle <this folder> [--vkey <pinned key>]',
      '',
    ].join('\n'),
  );
  return { entries, checkpoints: checkpoints.length };
}

export interface Bundle {
  vkey: string;
  checkpoints: StoredCheckpoint[];
  entries: AsyncIterable<StoredEntry[]>;
}

export interface ProofBundle {
  vkey: string;
  checkpoints: StoredCheckpoint[];
  entries: ProvenEntry[];
  expected: number[];
}

/** One line of proofs.jsonl: the entry as the canonical text that was hashed (never re-serialised), and its proof. */
export function provenEntryLine(idx: number, leafHash: Uint8Array, treeSize: number, proof: readonly Uint8Array[], canonical: string): string {
  return `{"idx":${idx},"leaf_hash":"${Buffer.from(leafHash).toString('hex')}","tree_size":${treeSize},"proof":${JSON.stringify(proof.map((h) => Buffer.from(h).toString('hex')))},"entry":${canonical}}`;
}

/** True when the folder is a bundle of selected entries with inclusion proofs. */
export function isProofBundle(dir: string): boolean {
  return existsSync(path.join(dir, 'proofs.jsonl')) && !existsSync(path.join(dir, 'entries.jsonl'));
}

export function openProofBundle(dir: string): ProofBundle {
  const { vkey, checkpoints } = openBundleHead(dir);
  const entries = readFileSync(path.join(dir, 'proofs.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line, i) => {
      let o: { idx?: unknown; leaf_hash?: unknown; entry?: unknown; tree_size?: unknown; proof?: unknown };
      try {
        o = JSON.parse(line);
      } catch {
        throw new Error(`proofs.jsonl line ${i + 1} is not JSON`);
      }
      if (typeof o.idx !== 'number' || typeof o.tree_size !== 'number' || typeof o.entry !== 'object' || o.entry === null || !Array.isArray(o.proof) || !o.proof.every((h) => typeof h === 'string')) {
        throw new Error(`proofs.jsonl line ${i + 1} is malformed`);
      }
      return {
        idx: o.idx,
        treeSize: o.tree_size,
        columns: columnsFromCanonical(o.entry as Record<string, unknown>),
        leafHash: typeof o.leaf_hash === 'string' ? Buffer.from(o.leaf_hash, 'hex') : null,
        proof: (o.proof as string[]).map((h) => Buffer.from(h, 'hex')),
      };
    });
  const expectedFile = path.join(dir, 'expected.json');
  const expected = existsSync(expectedFile) ? (JSON.parse(readFileSync(expectedFile, 'utf8')) as unknown) : [];
  if (!Array.isArray(expected) || !expected.every((n) => typeof n === 'number')) throw new Error('expected.json is malformed');
  return { vkey, checkpoints, entries, expected: expected as number[] };
}

function openBundleHead(dir: string): { vkey: string; checkpoints: StoredCheckpoint[] } {
  const vkey = readFileSync(path.join(dir, 'audit.vkey'), 'utf8').trim();
  const checkpoints = readFileSync(path.join(dir, 'checkpoints.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      const o = JSON.parse(l) as { tree_size?: unknown; note?: unknown };
      if (typeof o.tree_size !== 'number' || typeof o.note !== 'string') throw new Error(`checkpoints.jsonl line ${i + 1} is malformed`);
      return { treeSize: o.tree_size, note: o.note };
    });
  return { vkey, checkpoints };
}

export function openBundle(dir: string): Bundle {
  const { vkey, checkpoints } = openBundleHead(dir);
  return { vkey, checkpoints, entries: readBundleEntries(path.join(dir, 'entries.jsonl')) };
}

async function* readBundleEntries(file: string): AsyncGenerator<StoredEntry[]> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  let page: StoredEntry[] = [];
  for await (const line of lines) {
    n += 1;
    if (line.trim() === '') continue;
    let o: { idx?: unknown; leaf_hash?: unknown; entry?: Record<string, unknown> };
    try {
      o = JSON.parse(line);
    } catch {
      throw new Error(`entries.jsonl line ${n} is not JSON`);
    }
    if (typeof o.idx !== 'number' || typeof o.entry !== 'object' || o.entry === null) throw new Error(`entries.jsonl line ${n} is malformed`);
    page.push({ idx: o.idx, columns: columnsFromCanonical(o.entry), leafHash: typeof o.leaf_hash === 'string' ? Buffer.from(o.leaf_hash, 'hex') : null });
    if (page.length === 10_000) {
      yield page;
      page = [];
    }
  }
  if (page.length) yield page;
}

function columnsFromCanonical(e: Record<string, unknown>): AuditEntryColumns {
  const s = (k: string) => (e[k] == null ? null : String(e[k]));
  return {
    id: String(e.id),
    ts: new Date(String(e.ts)),
    org_id: s('org'),
    actor_type: String(e.actor_type),
    actor_id: s('actor_id'),
    action: String(e.action),
    object_type: s('object_type'),
    object_id: s('object_id'),
    subject: s('subject'),
    purpose: s('purpose'),
    result: String(e.result),
    request_id: s('request_id'),
    source_ip: s('source_ip'),
    details: (e.details ?? null) as Record<string, unknown> | null,
  };
}
