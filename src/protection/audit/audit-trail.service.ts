/**
 * The audit trail as the security centre reads it: one organisation's entries
 * (newest first, filtered), an entry's RFC 6962 inclusion proof against the
 * latest signed checkpoint, the checkpoint, and the integrity check of the
 * whole log. Every call records its own audit event (decision 0094).
 *
 * The tree spans every organisation, so a proof carries sibling hashes of
 * other organisations' entries. They are SHA-256 of canonical entries that
 * hold random UUIDs, so they reveal nothing but their existence.
 */
import { sql, type Kysely } from 'kysely';
import type { Principal } from '../../identity/auth/access.js';
import type { DatabaseHandle } from '../../platform/db/database.js';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import type { AuditLog } from './audit-log.js';
import { openCheckpoint, parseVerifierKey } from './checkpoint.js';
import { canonicalEntry, type AuditEntryColumns } from './entry.js';
import { CompactRange, consistencyRanges, hashChildren, hashLeaf, MerkleProofError, verifyInclusion } from './merkle.js';
import { readStoredCheckpoints } from './trail-io.js';
import { verifyAuditTrail, type LeafChunk } from './verify.js';
import { hashStoredEntriesInParallel } from './verify-parallel.js';

export interface AuditTrailDeps {
  database: DatabaseHandle;
  audit: AuditLog;
}

export interface ReadContext {
  principal: Principal;
  requestId: string;
  sourceIp: string;
}

export interface EntryFilter {
  actor?: string | undefined;
  customerId?: string | undefined;
  action?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  cursor?: number | undefined;
  limit?: number | undefined;
}

export interface EntryView {
  index: number;
  id: string;
  time: string;
  actorType: string;
  actorId: string | null;
  action: string;
  result: string;
  objectType: string | null;
  objectId: string | null;
  subject: string | null;
  purpose: string | null;
  requestId: string | null;
  sourceIp: string | null;
  details: Record<string, unknown> | null;
}

export interface CheckpointView {
  origin: string;
  treeSize: number;
  rootHash: string;
  note: string;
  vkey: string;
  keyId: string;
  signedAt: string;
}

const actorOf = (p: Principal) => (p.kind === 'token' && p.tokenId ? { type: 'token' as const, id: p.tokenId } : { type: 'user' as const, id: p.userId });

function record(deps: AuditTrailDeps, ctx: ReadContext, event: { action: string; result?: 'success' | 'failure'; object?: { type: string; id: string } | null; subjectCustomerId?: string | null; details?: Record<string, unknown> | null }): Promise<void> {
  return deps.audit.record({
    orgId: ctx.principal.orgId,
    actor: actorOf(ctx.principal),
    action: event.action,
    object: event.object ?? null,
    subjectCustomerId: event.subjectCustomerId ?? null,
    result: event.result ?? 'success',
    requestId: ctx.requestId,
    sourceIp: ctx.sourceIp,
    details: event.details ?? null,
  });
}

type Row = AuditEntryColumns & { idx: number | string | null };

function present(row: Row): EntryView {
  return {
    index: Number(row.idx),
    id: row.id,
    time: new Date(row.ts).toISOString(),
    actorType: row.actor_type,
    actorId: row.actor_id,
    action: row.action,
    result: row.result,
    objectType: row.object_type,
    objectId: row.object_id,
    subject: row.subject,
    purpose: row.purpose,
    requestId: row.request_id,
    sourceIp: row.source_ip,
    details: row.details,
  };
}

const ENTRY_COLUMNS = ['idx', 'id', 'ts', 'org_id', 'actor_type', 'actor_id', 'action', 'object_type', 'object_id', 'subject', 'purpose', 'result', 'request_id', 'source_ip', 'details'] as const;

/** LIKE pattern for an action prefix: `_` and `%` are literal in action names. */
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The caller's organisation's sequenced entries, newest first by index. Only
 * sequenced entries are listed: a pending one has no index and no proof yet
 * (at most one sequencer interval).
 */
export async function listEntries(deps: AuditTrailDeps, ctx: ReadContext, filter: EntryFilter): Promise<{ entries: EntryView[]; nextCursor: number | null }> {
  const limit = Math.min(filter.limit ?? 50, 200);
  const from = filter.from ? new Date(filter.from) : null;
  const to = filter.to ? new Date(filter.to) : null;
  if (from && to && from > to) throw new AppError('validation_failed', '“From” must be before “to”.', { extra: { errors: [{ field: '/from', message: 'must be before “to”' }] } });
  let q = deps.database.db
    .selectFrom('audit_log')
    .where('org_id', '=', ctx.principal.orgId)
    .where('idx', 'is not', null);
  if (filter.actor) q = q.where('actor_id', '=', filter.actor);
  if (filter.customerId) {
    // Single-record reads carry the customer in `subject`; lists and searches in details.subjects (migration 0011).
    const h = deps.audit.subject(filter.customerId);
    q = q.where((eb) => eb.or([eb('subject', '=', h), sql<boolean>`details -> 'subjects' @> jsonb_build_array(${h}::text)`]));
  }
  if (filter.action) q = filter.action.endsWith('.') ? q.where(sql<boolean>`action LIKE ${likePrefix(filter.action)} ESCAPE '\\'`) : q.where('action', '=', filter.action);
  if (from) q = q.where('ts', '>=', from);
  if (to) q = q.where('ts', '<=', to);
  if (filter.cursor !== undefined) q = q.where('idx', '<', filter.cursor);
  const rows = (await q.select([...ENTRY_COLUMNS]).orderBy('idx', 'desc').limit(limit + 1).execute()) as Row[];
  const page = rows.slice(0, limit).map(present);
  // The read is itself an entry: who looked, with which filters (the customer only as its keyed hash).
  await record(deps, ctx, {
    action: 'audit.entries.read',
    subjectCustomerId: filter.customerId ?? null,
    details: {
      count: page.length,
      ...(filter.actor ? { actor: filter.actor } : {}),
      ...(filter.action ? { action: filter.action } : {}),
      ...(filter.from ? { from: filter.from } : {}),
      ...(filter.to ? { to: filter.to } : {}),
      ...(filter.cursor !== undefined ? { cursor: filter.cursor } : {}),
      ...(filter.customerId ? { by_customer: true } : {}),
    },
  });
  return { entries: page, nextCursor: rows.length > limit ? (page.at(-1)?.index ?? null) : null };
}

function keyIdOf(vkey: string): string {
  return parseVerifierKey(vkey).keyHash.toString('hex');
}

/** The newest signed checkpoint, opened (signature and origin checked) with the log's own key. */
async function latestCheckpoint(deps: AuditTrailDeps): Promise<CheckpointView | null> {
  const row = await deps.database.db.selectFrom('audit_checkpoints').orderBy('tree_size', 'desc').limit(1).selectAll().executeTakeFirst();
  if (!row) return null;
  let checkpoint;
  try {
    ({ checkpoint } = openCheckpoint(row.note, { verifierKeys: [deps.audit.vkey], origin: deps.audit.origin }));
  } catch (err) {
    throw new AppError('audit_unavailable', 'The latest checkpoint does not carry a valid signature; run “Verify integrity”.', { internal: `checkpoint ${row.tree_size}: ${(err as Error).message}`, cause: err });
  }
  return {
    origin: checkpoint.origin,
    treeSize: Number(row.tree_size),
    rootHash: checkpoint.rootHash.toString('hex'),
    note: row.note,
    vkey: deps.audit.vkey,
    keyId: keyIdOf(deps.audit.vkey),
    signedAt: new Date(row.created_at).toISOString(),
  };
}

export async function readCheckpoint(deps: AuditTrailDeps, ctx: ReadContext): Promise<{ checkpoint: CheckpointView | null }> {
  const checkpoint = await latestCheckpoint(deps);
  await record(deps, ctx, { action: 'audit.checkpoint.read', details: { tree_size: checkpoint?.treeSize ?? 0 } });
  return { checkpoint };
}

/**
 * RFC 6962 PATH(index, D[0:size]) as the leaf ranges whose roots make up the
 * proof, lowest sibling first: [lo, hi) pairs, disjoint, covering every leaf
 * but `index`.
 */
export function proofRanges(index: number, size: number): Array<[number, number]> {
  const topDown: Array<[number, number]> = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    let k = 1;
    while (k * 2 < hi - lo) k *= 2;
    if (index < lo + k) {
      topDown.push([lo + k, hi]);
      hi = lo + k;
    } else {
      topDown.push([lo, lo + k]);
      lo += k;
    }
  }
  return topDown.reverse();
}

/** Leaves per tile: subtrees this size or smaller are hashed from one read of their leaves. */
const TILE = 1024;

/**
 * Roots of complete, aligned subtrees (sizes a power of two, at least one tile)
 * never change once their leaves are sequenced: the log only grows. They are
 * kept per database, so the first proof reads each leaf once and later proofs
 * read at most a few tiles. About 2 × n / 1024 hashes of memory (64 KB per
 * million entries). Decision 0094.
 */
const subtreeCache = new WeakMap<DatabaseHandle, Map<string, Buffer>>();

function damaged(at: number): AppError {
  return new AppError('audit_unavailable', 'The audit log is damaged; run “Verify integrity”.', { internal: `gap or missing leaf at ${at}` });
}

interface ProofContext {
  database: DatabaseHandle;
  size: number;
  /** Leaves of the tiles read for this proof, by tile start. */
  tiles: Map<number, Buffer[]>;
}

/** The stored leaf hashes of the tile holding `at` (cut at the tree size), read once per proof. */
async function tileLeaves(ctx: ProofContext, at: number): Promise<{ start: number; leaves: Buffer[] }> {
  const start = at - (at % TILE);
  let leaves = ctx.tiles.get(start);
  if (!leaves) {
    const end = Math.min(start + TILE, ctx.size);
    const rows = await ctx.database.queryArrays('SELECT idx, leaf_hash FROM audit_log WHERE idx >= $1 AND idx < $2 ORDER BY idx', [start, end]);
    leaves = [];
    for (const r of rows) {
      const leaf = r[1];
      if (Number(r[0]) !== start + leaves.length || !(leaf instanceof Uint8Array)) throw damaged(start + leaves.length);
      leaves.push(Buffer.from(leaf));
    }
    if (leaves.length !== end - start) throw damaged(start + leaves.length);
    ctx.tiles.set(start, leaves);
  }
  return { start, leaves };
}

/**
 * MTH(D[lo:hi]) over stored leaf hashes, split as RFC 6962 does. Ranges of a
 * tile or less never cross a tile boundary (every split point is aligned), so
 * they hash from one tile's leaves; complete larger subtrees come from the cache.
 */
async function rangeRoot(ctx: ProofContext, lo: number, hi: number): Promise<Buffer> {
  const size = hi - lo;
  if (size <= TILE) {
    const complete = size === TILE;
    const cache = subtreeCache.get(ctx.database);
    const hit = complete ? cache?.get(`${lo}:${size}`) : undefined;
    if (hit) return hit;
    const tile = await tileLeaves(ctx, lo);
    const range = new CompactRange();
    for (let i = lo; i < hi; i++) range.append(tile.leaves[i - tile.start] as Buffer);
    const root = range.root();
    if (complete) cacheFor(ctx.database).set(`${lo}:${size}`, root);
    return root;
  }
  const complete = (size & (size - 1)) === 0 && lo % size === 0;
  if (!complete) {
    let k = 1;
    while (k * 2 < size) k *= 2;
    return hashChildren(await rangeRoot(ctx, lo, lo + k), await rangeRoot(ctx, lo + k, hi));
  }
  const cache = cacheFor(ctx.database);
  const key = `${lo}:${size}`;
  const cached = cache.get(key);
  if (cached) return cached;
  // Cold: up to a page of leaves is read in one query and every complete subtree in it cached.
  if (size <= FILL_PAGE) return fillComplete(ctx, lo, size);
  const root = hashChildren(await rangeRoot(ctx, lo, lo + size / 2), await rangeRoot(ctx, lo + size / 2, hi));
  cache.set(key, root);
  return root;
}

/** Leaves read in one query when filling the cache (a power-of-two number of tiles). */
const FILL_PAGE = 64 * TILE;

/**
 * Reads the leaves of the complete, aligned subtree [lo, lo + size) (size a
 * power of two, TILE ≤ size ≤ FILL_PAGE) in one query and caches the root of
 * every complete subtree of at least a tile inside it.
 */
async function fillComplete(ctx: ProofContext, lo: number, size: number): Promise<Buffer> {
  const cache = cacheFor(ctx.database);
  const rows = await ctx.database.queryArrays('SELECT idx, leaf_hash FROM audit_log WHERE idx >= $1 AND idx < $2 ORDER BY idx', [lo, lo + size]);
  if (rows.length !== size) throw damaged(lo + rows.length);
  let level: Buffer[] = [];
  for (let t = 0; t < size; t += TILE) {
    const range = new CompactRange();
    for (let i = t; i < t + TILE; i++) {
      const r = rows[i] as unknown[];
      const leaf = r[1];
      if (Number(r[0]) !== lo + i || !(leaf instanceof Uint8Array)) throw damaged(lo + i);
      range.append(leaf);
    }
    const root = range.root();
    cache.set(`${lo + t}:${TILE}`, root);
    level.push(root);
  }
  for (let width = TILE * 2; level.length > 1; width *= 2) {
    const next: Buffer[] = [];
    for (let j = 0; j < level.length; j += 2) {
      const root = hashChildren(level[j] as Buffer, level[j + 1] as Buffer);
      cache.set(`${lo + (j / 2) * width}:${width}`, root);
      next.push(root);
    }
    level = next;
  }
  return level[0] as Buffer;
}

function cacheFor(database: DatabaseHandle): Map<string, Buffer> {
  let cache = subtreeCache.get(database);
  if (!cache) {
    cache = new Map();
    subtreeCache.set(database, cache);
  }
  return cache;
}

/**
 * The inclusion proof for `index` in the tree of the first `size` leaves, from
 * the stored leaf hashes: each node of the audit path is the root of a leaf
 * range (proofRanges). Warm, a proof reads the entry's tile and the tree's
 * last tile; cold, it reads every leaf once.
 */
export async function inclusionProofFromStore(database: DatabaseHandle, index: number, size: number): Promise<{ leafHash: Buffer; proof: Buffer[] }> {
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new AppError('not_found', 'No such audit entry.');
  const ctx: ProofContext = { database, size, tiles: new Map() };
  const tile = await tileLeaves(ctx, index);
  const leafHash = tile.leaves[index - tile.start] as Buffer;
  const proof: Buffer[] = [];
  for (const [lo, hi] of proofRanges(index, size)) proof.push(await rangeRoot(ctx, lo, hi));
  return { leafHash, proof };
}

export async function entryProof(deps: AuditTrailDeps, ctx: ReadContext, index: number) {
  const row = (await deps.database.db
    .selectFrom('audit_log')
    .where('idx', '=', index)
    .where('org_id', '=', ctx.principal.orgId)
    .select([...ENTRY_COLUMNS, 'leaf_hash'])
    .executeTakeFirst()) as (Row & { leaf_hash: Uint8Array | null }) | undefined;
  // Another organisation's entry is "not found", like a missing one.
  if (!row) throw new AppError('not_found', 'No such audit entry.');
  const checkpoint = await latestCheckpoint(deps);
  if (!checkpoint || checkpoint.treeSize <= index) throw new AppError('conflict', 'This entry is not in a signed checkpoint yet; try again in a moment.');
  const { leafHash, proof } = await inclusionProofFromStore(deps.database, index, checkpoint.treeSize);
  // The leaf is recomputed from the entry's content: the proof is of what is shown, not of a stored hash.
  const canonical = canonicalEntry({ ...row, ts: new Date(row.ts) });
  const recomputed = hashLeaf(Buffer.from(canonical, 'utf8'));
  let verified = recomputed.equals(leafHash);
  if (verified) {
    try {
      verifyInclusion({ index, size: checkpoint.treeSize, leafHash: recomputed, proof, root: Buffer.from(checkpoint.rootHash, 'hex') });
    } catch (err) {
      if (!(err instanceof MerkleProofError)) throw err;
      verified = false;
    }
  }
  await record(deps, ctx, { action: 'audit.proof.read', object: { type: 'audit_entry', id: String(index) }, details: { tree_size: checkpoint.treeSize, verified } });
  return { index, canonical, leafHash: recomputed.toString('hex'), proof: proof.map((h) => h.toString('hex')), checkpoint, verified };
}

/**
 * RFC 6962 PROOF(oldSize, D[0:newSize]) from the stored leaf hashes, node for
 * node the ranges merkle.ts's `consistencyProof` hashes, through the same
 * subtree cache as inclusion proofs.
 */
export async function consistencyProofFromStore(database: DatabaseHandle, oldSize: number, newSize: number): Promise<Buffer[]> {
  const ctx: ProofContext = { database, size: newSize, tiles: new Map() };
  const proof: Buffer[] = [];
  for (const [lo, hi] of consistencyRanges(oldSize, newSize)) proof.push(await rangeRoot(ctx, lo, hi));
  return proof;
}

/**
 * The proof that the latest signed checkpoint extends the tree of `fromSize`
 * entries (a checkpoint the caller kept, e.g. the browser's last seen one).
 * The caller checks it against the root it holds: the server cannot vouch for
 * a root it may have rewritten. Decision 0116.
 */
export async function checkpointConsistency(deps: AuditTrailDeps, ctx: ReadContext, fromSize: number): Promise<{ fromSize: number; proof: string[]; checkpoint: CheckpointView }> {
  const checkpoint = await latestCheckpoint(deps);
  const size = checkpoint?.treeSize ?? 0;
  if (!checkpoint || fromSize > size) {
    await record(deps, ctx, { action: 'audit.consistency.read', result: 'failure', details: { from_size: fromSize, tree_size: size } });
    throw new AppError('validation_failed', `The latest signed checkpoint covers ${size} entries, fewer than the ${fromSize} asked for: a log that shrank cannot extend the older checkpoint.`, {
      extra: { errors: [{ field: '/from', message: `must be at most ${size}` }] },
    });
  }
  const proof = await consistencyProofFromStore(deps.database, fromSize, size);
  await record(deps, ctx, { action: 'audit.consistency.read', details: { from_size: fromSize, tree_size: size } });
  return { fromSize, proof: proof.map((h) => h.toString('hex')), checkpoint };
}

/** One verification at a time per process: concurrent callers share the running one. */
let running: Promise<VerifyOutcome> | undefined;

export interface VerifyOutcome {
  status: 'complete' | 'timeout';
  ok: boolean;
  entries: number;
  checkpoints: number;
  latestSignedSize: number;
  unsignedEntries: number;
  firstBadIndex: number | null;
  problems: Array<{ index: number | null; message: string }>;
  durationMs: number;
  checkedAt: string;
}

class VerifyTimeout extends Error {
  constructor(readonly verified: number) {
    super('verification time bound reached');
  }
}

async function* bounded(chunks: AsyncIterable<LeafChunk>, deadline: number): AsyncGenerator<LeafChunk> {
  let verified = 0;
  for await (const chunk of chunks) {
    if (Date.now() > deadline) throw new VerifyTimeout(verified);
    verified += chunk.count;
    yield chunk;
  }
}

async function runVerification(deps: AuditTrailDeps, timeLimitMs: number): Promise<VerifyOutcome> {
  const started = Date.now();
  const checkedAt = new Date().toISOString();
  const checkpoints = await readStoredCheckpoints(deps.database.db as Kysely<Database>);
  try {
    const macKey = deps.audit.macKeyForVerification();
    const report = await verifyAuditTrail({
      chunks: bounded(hashStoredEntriesInParallel({ database: deps.database, macKey, signedSizes: checkpoints.map((c) => c.treeSize) }), started + timeLimitMs),
      checkpoints,
      vkey: deps.audit.vkey,
      macKey,
    });
    return {
      status: 'complete',
      ok: report.ok,
      entries: report.entries,
      checkpoints: report.checkpoints,
      latestSignedSize: report.latestSignedSize,
      unsignedEntries: report.unsignedEntries,
      firstBadIndex: report.problems.find((p) => p.index !== null)?.index ?? null,
      problems: report.problems,
      durationMs: Date.now() - started,
      checkedAt,
    };
  } catch (err) {
    if (!(err instanceof VerifyTimeout)) throw err;
    return {
      status: 'timeout',
      ok: false,
      entries: err.verified,
      checkpoints: checkpoints.length,
      latestSignedSize: checkpoints.at(-1)?.treeSize ?? 0,
      unsignedEntries: 0,
      firstBadIndex: null,
      problems: [{ index: null, message: `stopped after ${Math.round(timeLimitMs / 1000)} s with ${err.verified} entries checked; run \`trustdesk audit verify\` on the server for the whole log` }],
      durationMs: Date.now() - started,
      checkedAt,
    };
  }
}

/**
 * Verifies the whole log with the MAC key (exact first bad index), bounded in
 * time, then records who asked and the outcome.
 */
export async function verifyTrail(deps: AuditTrailDeps, ctx: ReadContext, options: { timeLimitMs?: number } = {}): Promise<VerifyOutcome & { checkpoint: CheckpointView | null }> {
  const run = running ?? runVerification(deps, options.timeLimitMs ?? 60_000);
  running = run;
  let outcome: VerifyOutcome;
  try {
    outcome = await run;
  } finally {
    if (running === run) running = undefined;
  }
  const checkpoint = await latestCheckpoint(deps).catch(() => null);
  await record(deps, ctx, {
    action: 'audit.verify',
    result: outcome.ok ? 'success' : 'failure',
    details: { status: outcome.status, entries: outcome.entries, first_bad_index: outcome.firstBadIndex, duration_ms: outcome.durationMs },
  });
  return { ...outcome, checkpoint };
}
