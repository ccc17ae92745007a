/**
 * The append-only audit log.
 *
 * Appending is an INSERT in the caller's transaction: the action and its
 * record commit together or not at all (fail closed). A sequencer then gives
 * pending entries their position in an RFC 6962 Merkle tree, stores each
 * leaf hash with a keyed MAC over (position, leaf), and signs a checkpoint.
 * Sequencing runs under an advisory lock, so exactly one instance extends the
 * tree at a time; appends never wait for it. See docs/decisions/0003-audit-log.md.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../platform/db/schema.js';
import type { Executor, Keyring } from '../crypto/keyring.js';
import { workerLock } from '../../platform/db/locks.js';
import { AppError } from '../../platform/errors.js';
import { createEd25519Signer, formatCheckpoint, signNote, verifierKeyString, type NoteSigner } from './checkpoint.js';
import { entryLeafHash, entryMac, eventToColumns, subjectHash, type AuditEntryColumns, type AuditEvent } from './entry.js';
import { CompactRange } from './merkle.js';

export const SEQUENCER_LOCK = 7_470_002;

const SEQUENCE_BATCH = 5000;
/** A list or search names at most this many customers (a page is 200 at most). */
const MAX_SUBJECTS = 500;

export interface AuditKeys {
  signingKey: KeyObject;
  publicKey: KeyObject;
  macKey: Uint8Array;
  subjectKey: Uint8Array;
}

/** Loads (or creates on first start) the audit keys, stored wrapped by the KEK. */
export async function loadAuditKeys(keyring: Keyring): Promise<AuditKeys> {
  const signing = await keyring.systemSecret('audit-signing', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    return {
      secret: privateKey.export({ format: 'der', type: 'pkcs8' }),
      publicKey: publicKey.export({ format: 'der', type: 'spki' }),
    };
  });
  const signingKey = createPrivateKey({ key: Buffer.from(signing.secret), format: 'der', type: 'pkcs8' });
  // The public key is derived from the wrapped private key, never trusted from the database.
  const publicKey = createPublicKey(signingKey);
  const mac = await keyring.systemSecret('audit-mac', () => ({ secret: randomBytes(32) }));
  const subject = await keyring.systemSecret('audit-subject', () => ({ secret: randomBytes(32) }));
  return { signingKey, publicKey, macKey: mac.secret, subjectKey: subject.secret };
}

export interface AuditLogOptions {
  db: Kysely<Database>;
  keys: AuditKeys;
  origin: string;
  logger?: Logger | undefined;
  /** Interval of the background sequencer. */
  batchMs?: number;
  /** Called after each signed checkpoint commits: publishes it outside the database (publish.ts). */
  onCheckpoint?: ((cp: { treeSize: number; note: string }) => void) | undefined;
}

interface PendingRecord {
  columns: AuditEntryColumns;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class AuditLog {
  readonly origin: string;
  readonly vkey: string;
  private readonly db: Kysely<Database>;
  private readonly keys: AuditKeys;
  private readonly signer: NoteSigner;
  private readonly logger: Logger | undefined;
  private readonly batchMs: number;
  private readonly onCheckpoint: ((cp: { treeSize: number; note: string }) => void) | undefined;
  private tree: CompactRange | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sequencing: Promise<number> | undefined;
  private queue: PendingRecord[] = [];
  private flushScheduled = false;

  constructor(options: AuditLogOptions) {
    this.db = options.db;
    this.keys = options.keys;
    this.origin = options.origin;
    this.logger = options.logger;
    this.batchMs = options.batchMs ?? 250;
    this.onCheckpoint = options.onCheckpoint;
    this.signer = createEd25519Signer(this.origin, this.keys.signingKey);
    this.vkey = verifierKeyString(this.origin, this.keys.publicKey);
  }

  /** The MAC key, for `audit verify` on the live database (it never leaves the process). */
  macKeyForVerification(): Uint8Array {
    return this.keys.macKey;
  }

  subject(customerId: string): string {
    return subjectHash(this.keys.subjectKey, customerId);
  }

  private columns(event: AuditEvent): AuditEntryColumns {
    const subject = event.subjectCustomerId ? this.subject(event.subjectCustomerId) : null;
    const many = [...new Set((event.subjectCustomerIds ?? []).filter((c): c is string => typeof c === 'string' && c.length > 0))];
    const withSubjects = many.length ? { ...event, details: { ...(event.details ?? {}), subjects: many.map((c) => this.subject(c)).sort().slice(0, MAX_SUBJECTS) } } : event;
    return eventToColumns(withSubjects, { id: randomUUID(), ts: new Date(), subject });
  }

  /** Appends inside the caller's transaction: if this fails, the caller's action fails with it. */
  async append(trx: Executor, event: AuditEvent): Promise<string> {
    const columns = this.columns(event);
    await trx.insertInto('audit_log').values(toInsert(columns)).execute();
    return columns.id;
  }

  /**
   * Records an event that has no transaction of its own (e.g. a read). Events
   * from concurrent callers are written in one INSERT (group commit); each
   * caller's promise settles when that commit does, so a failed write fails
   * every read it recorded.
   */
  record(event: AuditEvent): Promise<void> {
    let columns: AuditEntryColumns;
    try {
      columns = this.columns(event);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ columns, resolve, reject });
      if (this.queue.length >= 500) void this.flushRecords();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flushRecords());
      }
    });
  }

  private async flushRecords(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    try {
      await this.db.insertInto('audit_log').values(batch.map((p) => toInsert(p.columns))).execute();
      for (const p of batch) p.resolve();
    } catch (err) {
      this.logger?.error({ err }, 'audit append failed');
      const failure = new AppError('audit_unavailable', 'The action could not be recorded, so it was not performed.', { cause: err });
      for (const p of batch) p.reject(failure);
    }
  }

  /** Whether the background sequencer runs in this process (the server); the insider evaluator runs beside it. */
  get runsInBackground(): boolean {
    return this.timer !== undefined;
  }

  /** Starts the background sequencer. */
  start(): void {
    if (this.timer) return;
    const tick = async () => {
      try {
        await this.sequence();
      } catch (err) {
        this.logger?.error({ err }, 'audit sequencing failed');
      }
      if (this.timer) this.timer = setTimeout(tick, this.batchMs);
    };
    this.timer = setTimeout(tick, this.batchMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushRecords();
    await this.flush();
  }

  /**
   * Sequences until nothing is pending. Returns how many entries were
   * sequenced. Unlike a background round, it waits for another instance's
   * round to end instead of returning with entries still pending.
   */
  async flush(): Promise<number> {
    await this.flushRecords();
    let total = 0;
    for (;;) {
      const n = await this.sequence(true);
      total += n;
      if (n < SEQUENCE_BATCH) return total;
    }
  }

  /**
   * One sequencing round (serialised within this process, locked across
   * instances). Without `wait`, a round another instance holds the lock for is
   * skipped: that instance is doing the work.
   */
  sequence(wait = false): Promise<number> {
    const run = (this.sequencing ?? Promise.resolve(0)).catch(() => 0).then(() => this.sequenceOnce(wait));
    this.sequencing = run;
    return run;
  }

  private async sequenceOnce(wait: boolean): Promise<number> {
    let made: { treeSize: number; note: string } | undefined;
    const count = await this.db.transaction().execute(async (trx) => {
      if (!(await workerLock(trx, SEQUENCER_LOCK, wait))) return 0;
      const pending = await trx
        .selectFrom('audit_log')
        .where('idx', 'is', null)
        .orderBy('seq')
        .limit(SEQUENCE_BATCH)
        .select(['seq', 'id', 'ts', 'org_id', 'actor_type', 'actor_id', 'action', 'object_type', 'object_id', 'subject', 'purpose', 'result', 'request_id', 'source_ip', 'details'])
        .execute();
      if (pending.length === 0) return 0;
      const tree = await this.loadTree(trx);
      const updates: Array<{ seq: number; idx: number; leaf: Buffer; mac: Buffer }> = [];
      for (const row of pending) {
        const idx = tree.size;
        const leaf = entryLeafHash(row);
        tree.append(leaf);
        updates.push({ seq: row.seq, idx, leaf, mac: entryMac(this.keys.macKey, idx, leaf) });
      }
      for (let i = 0; i < updates.length; i += 1000) {
        const chunk = updates.slice(i, i + 1000);
        const values = sql.join(chunk.map((u) => sql`(${u.seq}::bigint, ${u.idx}::bigint, ${u.leaf}::bytea, ${u.mac}::bytea)`));
        await sql`UPDATE audit_log AS a SET idx = v.idx, leaf_hash = v.leaf, mac = v.mac
                  FROM (VALUES ${values}) AS v(seq, idx, leaf, mac) WHERE a.seq = v.seq`.execute(trx);
      }
      const root = tree.root();
      const note = signNote(formatCheckpoint({ origin: this.origin, size: tree.size, rootHash: root }), [this.signer]);
      await trx.insertInto('audit_checkpoints').values({ tree_size: tree.size, root_hash: root, note }).execute();
      made = { treeSize: tree.size, note };
      return pending.length;
    }).catch((err: unknown) => {
      // A rolled-back round leaves the in-memory tree ahead of the database: rebuild next time.
      this.tree = undefined;
      throw err;
    });
    // Only a committed checkpoint is published; publishing never fails the round.
    if (made) this.onCheckpoint?.(made);
    return count;
  }

  /** The in-memory compact range, rebuilt from stored leaf hashes when another instance moved the tree. */
  private async loadTree(trx: Executor): Promise<CompactRange> {
    const top = await trx.selectFrom('audit_log').select((eb) => eb.fn.max('idx').as('max')).executeTakeFirstOrThrow();
    const size = top.max == null ? 0 : Number(top.max) + 1;
    if (this.tree && this.tree.size === size) return this.tree;
    const tree = new CompactRange();
    let next = 0;
    while (next < size) {
      const rows = await trx
        .selectFrom('audit_log')
        .where('idx', '>=', next)
        .where('idx', '<', next + 50_000)
        .orderBy('idx')
        .select(['idx', 'leaf_hash'])
        .execute();
      for (const r of rows) {
        if (r.idx !== next || !r.leaf_hash) {
          throw new AppError('audit_unavailable', 'The audit log is damaged; run `trustdesk audit verify`.', { internal: `gap or missing leaf at ${next}` });
        }
        tree.append(r.leaf_hash);
        next += 1;
      }
    }
    this.tree = tree;
    return tree;
  }

  /** The newest signed checkpoint, if any. */
  async latestCheckpoint(): Promise<{ treeSize: number; rootHash: Buffer; note: string } | undefined> {
    const row = await this.db.selectFrom('audit_checkpoints').orderBy('tree_size', 'desc').limit(1).selectAll().executeTakeFirst();
    return row ? { treeSize: row.tree_size, rootHash: Buffer.from(row.root_hash), note: row.note } : undefined;
  }
}

function toInsert(c: AuditEntryColumns) {
  return { ...c, details: c.details === null ? null : JSON.stringify(c.details) };
}
