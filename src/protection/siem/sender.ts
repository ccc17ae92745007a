/**
 * The background sender (decision 0193): streams every sequenced audit entry of an organisation to each of its
 * enabled destinations, in trail order, at least once.
 *
 *   - One sender per destination across instances: a lease on the destination's cursor row (owner, until),
 *     taken with a conditional UPDATE and renewed with every batch; a sender that lost it stops.
 *   - Only sequenced entries are read (`idx IS NOT NULL`), in idx order, in bounded batches: the sequencer commits
 *     a whole round at once, so what is visible is always a prefix of the trail and nothing can be skipped.
 *   - The cursor moves only after the transport accepted the batch, and only if it still is where the batch
 *     started (compare-and-swap). A crash between the two sends the batch again: duplicates, never gaps.
 *   - A batch ends with the newest signed checkpoint that covers its last entry and no later entry of the
 *     organisation, when there is one. It needs no cursor of its own: it is sent again with a failed batch, and
 *     every later batch starts at or past its tree size, so any checkpoint sent after it is newer.
 *   - A failure keeps the cursor, records the reason and backs off exponentially (1 s doubling to 5 min), longer
 *     when an HTTP collector asks for it with Retry-After (up to the same 5 min).
 *   - Lag (entries waiting) is counted after every pass; above the destination's threshold it is logged, shown in
 *     the status and recorded once in the audit trail (`siem.lag.alert`, and `siem.lag.recovered` when it falls back).
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../platform/db/schema.js';
import { backoffDelay, type BackoffPolicy } from '../../platform/db/work-queue.js';
import type { OutboundOptions } from '../../platform/http/outbound.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Keyring } from '../crypto/keyring.js';
import { checkpointMessage, type SiemCheckpoint, type SiemMessage } from './checkpoint-event.js';
import type { FormatOptions, SiemEvent } from './format.js';
import './schema.js';
import type { SiemDestinationsTable } from './schema.js';
import { createTransport, describeError, RetryLaterError, type Transport, type TransportConfig, type TransportOptions } from './transport.js';

export interface SiemSenderOptions {
  db: Kysely<Database>;
  keyring: Keyring;
  audit: AuditLog;
  format: FormatOptions;
  outbound: OutboundOptions;
  logger?: Logger | undefined;
  /** This sender's lease name (one per process). */
  owner?: string;
  /** Entries read and sent at once. */
  batchSize?: number;
  /** Batches per destination per pass before the next destination gets its turn. */
  batchesPerPass?: number;
  leaseMs?: number;
  backoff?: BackoffPolicy;
  connectTimeoutMs?: number;
  writeTimeoutMs?: number;
  /** Tests replace the network. */
  createTransport?: (config: TransportConfig, options: TransportOptions) => Transport;
  now?: () => Date;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 5 * 60_000, maxAttempts: Number.POSITIVE_INFINITY };
/** The status counts the lag up to this many entries (a count beyond it reads "at least"). */
export const LAG_COUNT_CAP = 1_000_000;

type DestinationRow = Pick<SiemDestinationsTable, 'id' | 'org_id' | 'transport' | 'host' | 'port' | 'url' | 'format' | 'ca_pem' | 'client_cert_pem' | 'client_key_enc' | 'token_enc'> & {
  updated_at: Date;
  lag_alert_threshold: number;
};

type Claimed = DestinationRow & { cursor_idx: number; lag_alert_at: Date | null };

const fieldOf = (id: string, column: 'client_key_enc' | 'token_enc') => ({ table: 'siem_destinations', column, rowId: id });

/** A destination's settings with its secrets decrypted, for a transport. */
export async function transportConfigOf(keyring: Keyring, row: Omit<DestinationRow, 'updated_at' | 'lag_alert_threshold' | 'org_id'>): Promise<TransportConfig> {
  return {
    transport: row.transport,
    host: row.host,
    port: row.port,
    url: row.url,
    format: row.format,
    caPem: row.ca_pem,
    clientCertPem: row.client_cert_pem,
    clientKeyPem: row.client_key_enc ? await keyring.decrypt(fieldOf(row.id, 'client_key_enc'), row.client_key_enc) : null,
    token: row.token_enc ? await keyring.decrypt(fieldOf(row.id, 'token_enc'), row.token_enc) : null,
  };
}

/** The organisation's sequenced entries after `after`, in trail order, as events (only identifiers, never details). */
export async function readEvents(db: Kysely<Database>, orgId: string, after: number, limit: number): Promise<SiemEvent[]> {
  const rows = await db
    .selectFrom('audit_log')
    .where('org_id', '=', orgId)
    .where('idx', 'is not', null)
    .where('idx', '>', after)
    .orderBy('idx')
    .limit(limit)
    .select(['idx', 'id', 'ts', 'org_id', 'actor_type', 'actor_id', 'action', 'object_type', 'object_id', 'subject', 'result', 'request_id', 'source_ip'])
    .execute();
  let prev: number | null = after >= 0 ? after : null;
  return rows.map((r) => {
    const e: SiemEvent = {
      seq: Number(r.idx),
      prev,
      id: r.id,
      ts: new Date(r.ts),
      orgId: r.org_id,
      actorType: r.actor_type,
      actorId: r.actor_id,
      action: r.action,
      objectType: r.object_type,
      objectId: r.object_id,
      subject: r.subject,
      result: r.result,
      requestId: r.request_id,
      sourceIp: r.source_ip,
    };
    prev = e.seq;
    return e;
  });
}

/**
 * The checkpoint to send after a batch whose last entry is `last`: the newest signed checkpoint that covers it
 * (tree size > last) but no entry of the organisation after it (tree size <= the organisation's next sequenced idx).
 * Entries and their round's checkpoint commit together, so the one statement sees a checkpoint only with every entry
 * it covers. None when the batch ends inside a round whose later entries include the organisation's: the batch that
 * ends the round carries it.
 */
export async function readCheckpoint(db: Kysely<Database>, orgId: string, last: number): Promise<SiemCheckpoint | undefined> {
  const r = await sql<{ tree_size: string | number; note: string; created_at: Date | string }>`
    SELECT tree_size, note, created_at FROM audit_checkpoints
    WHERE tree_size > ${last}
      AND tree_size <= COALESCE((SELECT min(idx) FROM audit_log WHERE org_id = ${orgId} AND idx IS NOT NULL AND idx > ${last}), tree_size)
    ORDER BY tree_size DESC LIMIT 1`.execute(db);
  const row = r.rows[0];
  return row ? checkpointMessage({ note: row.note, createdAt: new Date(row.created_at) }, orgId, last) : undefined;
}

/** Sequenced entries of the organisation after the cursor, counted up to `cap` (an index range, no more). */
export async function countLag(db: Kysely<Database>, orgId: string, cursor: number, cap = LAG_COUNT_CAP): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM (SELECT 1 FROM audit_log WHERE org_id = ${orgId} AND idx IS NOT NULL AND idx > ${cursor} LIMIT ${cap}) AS waiting`.execute(db);
  return r.rows[0]?.n ?? 0;
}

/**
 * The wait before the next attempt: the exponential backoff, or the collector's Retry-After when longer — capped at
 * the backoff's maximum, so a collector cannot park the stream for a day with one header.
 */
export function retryDelay(failures: number, policy: BackoffPolicy, err: unknown): number {
  const backoff = backoffDelay(failures, policy);
  return err instanceof RetryLaterError ? Math.max(backoff, Math.min(err.retryAfterMs, policy.maxMs)) : backoff;
}

export class SiemSender {
  readonly owner: string;
  private readonly db: Kysely<Database>;
  private readonly batchSize: number;
  private readonly batchesPerPass: number;
  private readonly leaseMs: number;
  private readonly backoff: BackoffPolicy;
  private readonly now: () => Date;
  private readonly transports = new Map<string, { version: number; transport: Transport }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private readonly options: SiemSenderOptions) {
    this.db = options.db;
    this.owner = options.owner ?? `sender-${randomUUID()}`;
    this.batchSize = options.batchSize ?? 500;
    this.batchesPerPass = options.batchesPerPass ?? 20;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.now = options.now ?? (() => new Date());
  }

  /** Runs a pass every `everyMs` (never two at once) until `stop`. */
  start(everyMs = 1000): void {
    if (this.timer || this.stopped) return;
    const tick = async () => {
      this.running = this.runOnce().catch((err: unknown) => this.options.logger?.error({ err }, 'SIEM sender pass failed'));
      await this.running;
      if (!this.stopped) this.timer = setTimeout(() => void tick(), everyMs);
    };
    this.timer = setTimeout(() => void tick(), 0);
    this.timer.unref();
  }

  /** Stops after the pass in flight, hands its leases back and closes connections. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.db.updateTable('siem_cursors').set({ lease_owner: null, lease_until: null }).where('lease_owner', '=', this.owner).execute().catch(() => undefined);
    for (const { transport } of this.transports.values()) transport.close();
    this.transports.clear();
  }

  /** One pass: every due destination this sender can lease gets up to `batchesPerPass` batches. Returns entries delivered. */
  async runOnce(): Promise<number> {
    let delivered = 0;
    const served: string[] = [];
    // One destination leased at a time, so a lease is never left to run out while others are served.
    while (!this.stopped) {
      const dest = await this.claimOne(served);
      if (!dest) break;
      served.push(dest.id);
      delivered += await this.serve(dest);
    }
    // Connections of destinations not served now (removed, turned off, backing off, held by another instance) close.
    for (const [id, { transport }] of this.transports) {
      if (served.includes(id)) continue;
      transport.close();
      this.transports.delete(id);
    }
    return delivered;
  }

  /** Takes the lease of one due, enabled destination that no live sender holds (and this pass has not served). */
  private async claimOne(served: string[]): Promise<Claimed | undefined> {
    const now = this.now();
    const until = new Date(now.getTime() + this.leaseMs);
    const free = sql`(c.lease_owner IS NULL OR c.lease_owner = ${this.owner} OR c.lease_until IS NULL OR c.lease_until < ${now})`;
    const notServed = served.length ? sql`AND c.destination_id NOT IN (${sql.join(served)})` : sql``;
    const claimed = await sql<{ destination_id: string }>`
      UPDATE siem_cursors AS c SET lease_owner = ${this.owner}, lease_until = ${until}
      WHERE c.destination_id = (
        SELECT c.destination_id FROM siem_cursors AS c JOIN siem_destinations AS d ON d.id = c.destination_id
        WHERE d.enabled AND c.next_attempt_at <= ${now} AND ${free} ${notServed}
        ORDER BY c.next_attempt_at LIMIT 1 FOR UPDATE OF c SKIP LOCKED)
      AND ${free}
      RETURNING c.destination_id`.execute(this.db);
    const id = claimed.rows[0]?.destination_id;
    if (!id) return undefined;
    return this.db
      .selectFrom('siem_destinations as d')
      .innerJoin('siem_cursors as c', 'c.destination_id', 'd.id')
      .where('d.id', '=', id)
      .select(['d.id', 'd.org_id', 'd.transport', 'd.host', 'd.port', 'd.url', 'd.format', 'd.ca_pem', 'd.client_cert_pem', 'd.client_key_enc', 'd.token_enc', 'd.updated_at', 'd.lag_alert_threshold', 'c.cursor_idx', 'c.lag_alert_at'])
      .executeTakeFirst();
  }

  private async transportFor(dest: DestinationRow): Promise<Transport> {
    const version = new Date(dest.updated_at).getTime();
    const cached = this.transports.get(dest.id);
    if (cached && cached.version === version) return cached.transport;
    cached?.transport.close();
    const config = await transportConfigOf(this.options.keyring, dest);
    const make = this.options.createTransport ?? createTransport;
    const transport = make(config, {
      ...this.options.format,
      outbound: this.options.outbound,
      ...(this.options.connectTimeoutMs !== undefined ? { connectTimeoutMs: this.options.connectTimeoutMs } : {}),
      ...(this.options.writeTimeoutMs !== undefined ? { writeTimeoutMs: this.options.writeTimeoutMs } : {}),
    });
    this.transports.set(dest.id, { version, transport });
    return transport;
  }

  /** Up to `batchesPerPass` batches for one leased destination; then its lag and alert state. */
  private async serve(dest: Claimed): Promise<number> {
    let cursor = Number(dest.cursor_idx);
    let delivered = 0;
    let failed = false;
    // Within half the lease: every batch renews it, and the next one starts well before it could run out.
    const until = this.now().getTime() + this.leaseMs / 2;
    for (let i = 0; i < this.batchesPerPass && !this.stopped && this.now().getTime() < until; i++) {
      const events = await readEvents(this.db, dest.org_id, cursor, this.batchSize);
      if (events.length === 0) break;
      const last = events[events.length - 1]!.seq!;
      const checkpoint = await readCheckpoint(this.db, dest.org_id, last);
      const batch: SiemMessage[] = checkpoint ? [...events, checkpoint] : events;
      try {
        const transport = await this.transportFor(dest);
        await transport.deliver(batch);
      } catch (err) {
        failed = true;
        await this.recordFailure(dest.id, err);
        break;
      }
      const now = this.now();
      const moved = await this.db
        .updateTable('siem_cursors')
        .set((eb) => ({
          cursor_idx: last,
          delivered: eb('delivered', '+', events.length),
          last_success_at: now,
          failures: 0,
          next_attempt_at: now,
          lease_until: new Date(now.getTime() + this.leaseMs),
        }))
        .where('destination_id', '=', dest.id)
        .where('lease_owner', '=', this.owner)
        .where('cursor_idx', '=', cursor)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows ?? 0) !== 1) {
        // The lease went to another sender (this one stalled past it): stop; what was sent is a duplicate at worst.
        this.options.logger?.warn({ destination: dest.id }, 'SIEM sender lost its lease');
        return delivered;
      }
      cursor = last;
      delivered += events.length;
      if (events.length < this.batchSize) break;
    }
    await this.updateLag(dest, cursor, failed);
    return delivered;
  }

  private async recordFailure(destinationId: string, err: unknown): Promise<void> {
    const now = this.now();
    const row = await this.db.selectFrom('siem_cursors').where('destination_id', '=', destinationId).select('failures').executeTakeFirst();
    const failures = (row?.failures ?? 0) + 1;
    const reason = describeError(err);
    this.options.logger?.warn({ destination: destinationId, failures, reason }, 'SIEM delivery failed; will retry');
    await this.db
      .updateTable('siem_cursors')
      .set({
        failures,
        last_error: reason,
        last_error_at: now,
        next_attempt_at: new Date(now.getTime() + retryDelay(failures, this.backoff, err)),
        // Handed back: any instance may take the next attempt.
        lease_owner: null,
        lease_until: null,
      })
      .where('destination_id', '=', destinationId)
      .where('lease_owner', '=', this.owner)
      .execute();
    // A half-open connection is not reused.
    this.transports.get(destinationId)?.transport.close();
    this.transports.delete(destinationId);
  }

  private async updateLag(dest: DestinationRow & { lag_alert_at: Date | null }, cursor: number, failed: boolean): Promise<void> {
    // Counted every pass, so only as far as the alert needs: past the threshold, "more than" is enough.
    const lag = await countLag(this.db, dest.org_id, cursor, Math.max(dest.lag_alert_threshold + 1, 10_000));
    const over = lag > dest.lag_alert_threshold;
    const now = this.now();
    const changed = await this.db
      .updateTable('siem_cursors')
      .set({ lag, ...(over && !dest.lag_alert_at ? { lag_alert_at: now } : {}), ...(!over && dest.lag_alert_at ? { lag_alert_at: null } : {}) })
      .where('destination_id', '=', dest.id)
      .$if(!failed, (q) => q.where('lease_owner', '=', this.owner))
      .executeTakeFirst();
    if (Number(changed.numUpdatedRows ?? 0) !== 1) return;
    if (over && !dest.lag_alert_at) {
      this.options.logger?.warn({ destination: dest.id, lag, threshold: dest.lag_alert_threshold }, 'SIEM destination is falling behind');
      await this.options.audit.record({
        orgId: dest.org_id,
        actor: { type: 'system' },
        action: 'siem.lag.alert',
        object: { type: 'siem_destination', id: dest.id },
        result: 'failure',
        details: { lag, threshold: dest.lag_alert_threshold },
      });
    } else if (!over && dest.lag_alert_at) {
      this.options.logger?.info({ destination: dest.id, lag }, 'SIEM destination caught up');
      await this.options.audit.record({ orgId: dest.org_id, actor: { type: 'system' }, action: 'siem.lag.recovered', object: { type: 'siem_destination', id: dest.id }, result: 'success', details: { lag } });
    }
  }
}
