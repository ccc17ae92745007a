/**
 * The IMAP puller (docs/mail-pull.md, decisions 0225 and 0226): reads each enabled pulled mailbox and hands every
 * message to the same ingest pipeline the SMTP server uses (phishing verdict, DLP, routing, quarantine).
 *
 *   - One poller per mailbox across instances: a lease on the account row (owner, until), taken with a conditional
 *     UPDATE … SKIP LOCKED and renewed while the session runs; a poller that lost it stops, and another instance
 *     takes over when it lapses.
 *   - A message is moved or flagged on the server only after the pipeline stored it (the guarantee the SMTP 250
 *     gives). The (UIDVALIDITY, UID) row is written in the storing transaction itself, and its primary key refuses
 *     a second copy: a crash between storing and marking, or two pollers during a lease hand-over, never make a
 *     second ticket. A message already recorded is only marked.
 *   - A message above the account's size limit is not fetched: it is flagged $TrustdeskTooLarge, recorded and counted.
 *   - IDLE (the server tells us of new mail), with a polling fallback every poll_seconds when the server has no
 *     IDLE, and a pass at least every third of the lease anyway (it renews the lease and keeps the connection alive).
 *   - A failure (refused connection, bad certificate, refused sign-in, a disconnect, a response that cannot be
 *     parsed) ends the session: the reason is the status, the lease is handed back, and the next attempt waits an
 *     exponential backoff (1 s doubling to 5 min). Recovery needs no one.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { ImapFlow } from 'imapflow';
import type { Database } from '../../../platform/db/schema.js';
import { imapMessages, imapSessions } from '../../../platform/metrics/metrics.js';
import { backoffDelay, type BackoffPolicy } from '../../../platform/db/work-queue.js';
import type { OutboundOptions } from '../../../platform/http/outbound.js';
import type { BlobStore } from '../../../protection/blobs/store.js';
import type { IngestHooks } from '../../ingest/hooks.js';
import { ingestInboundEmail, type IngestOutcome } from '../../ingest/pipeline.js';
import type { HelpdeskDeps } from '../../tickets/context.js';
import type { MailboxRoute } from '../mailboxes.js';
import { ACCOUNT_COLUMNS, describeImapError, fieldOf, openClient, TokenCache, type AccountRow, type ClientContext } from './client.js';
import './schema.js';
import { inboundOpen, isLimitReached, LimitReachedError } from '../../../identity/organizations/limits.js';

export const TOO_LARGE_KEYWORD = '$TrustdeskTooLarge';
/** UIDs looked up (recorded? size?) at once in a pass. */
const PASS_CHUNK = 100;
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 5 * 60_000, maxAttempts: Number.POSITIVE_INFINITY };

export interface ImapPullerOptions {
  deps: HelpdeskDeps;
  hooks: IngestHooks;
  blobs: BlobStore;
  outbound: OutboundOptions;
  /** This poller's lease name (one per process). */
  owner?: string;
  leaseMs?: number;
  backoff?: BackoffPolicy;
  connectTimeoutMs?: number;
  /** Called after each message is stored (tests). */
  onIngested?: (outcomes: IngestOutcome[]) => void;
  /** Called between two messages of a pass (tests stop the server here). */
  betweenMessages?: () => Promise<void>;
}

type Session = { account: string; done: Promise<void>; wake: () => void };

export class ImapPuller {
  readonly owner: string;
  private readonly db: Kysely<Database>;
  private readonly leaseMs: number;
  private readonly backoff: BackoffPolicy;
  private readonly tokens = new TokenCache();
  private readonly sessions = new Map<string, Session>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  /** Accounts whose current pass left a message on the server for an organisation limit: the pass keeps the reason shown. */
  private readonly deferred = new Set<string>();

  constructor(private readonly options: ImapPullerOptions) {
    this.db = options.deps.db;
    this.owner = options.owner ?? `imap-${randomUUID()}`;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  /** Looks for mailboxes to take every `everyMs` until `stop`. */
  start(everyMs = 1000): void {
    if (this.timer || this.stopped) return;
    const tick = async () => {
      this.running = this.claimAll().catch((err: unknown) => this.options.deps.logger.error({ err }, 'IMAP puller pass failed'));
      await this.running;
      if (!this.stopped) {
        this.timer = setTimeout(() => void tick(), everyMs);
        this.timer.unref();
      }
    };
    this.timer = setTimeout(() => void tick(), 0);
    this.timer.unref();
  }

  /** Ends every session (after the message in flight), hands the leases back. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    for (const s of this.sessions.values()) s.wake();
    await Promise.all([...this.sessions.values()].map((s) => s.done));
    await this.db.updateTable('imap_accounts').set({ lease_owner: null, lease_until: null }).where('lease_owner', '=', this.owner).execute().catch(() => undefined);
  }

  /** Mailboxes this poller holds a session for. */
  get active(): string[] {
    return [...this.sessions.keys()];
  }

  /** Takes every due mailbox no live poller holds, and starts a session for each. */
  async claimAll(): Promise<number> {
    let started = 0;
    while (!this.stopped) {
      const account = await this.claimOne();
      if (!account) break;
      this.startSession(account);
      started++;
    }
    return started;
  }

  private async claimOne(): Promise<AccountRow | undefined> {
    const now = new Date();
    const until = new Date(now.getTime() + this.leaseMs);
    const held = [...this.sessions.keys()];
    const notHeld = held.length ? sql`AND a.id NOT IN (${sql.join(held)})` : sql``;
    const free = sql`(a.lease_owner IS NULL OR a.lease_owner = ${this.owner} OR a.lease_until IS NULL OR a.lease_until < ${now})`;
    const claimed = await sql<{ id: string }>`
      UPDATE imap_accounts AS a SET lease_owner = ${this.owner}, lease_until = ${until}
      WHERE a.id = (
        SELECT a.id FROM imap_accounts AS a JOIN organizations AS o ON o.id = a.org_id
        WHERE a.enabled AND o.status = 'active' AND a.next_attempt_at <= ${now} AND ${free} ${notHeld}
        ORDER BY a.next_attempt_at LIMIT 1 FOR UPDATE OF a SKIP LOCKED)
      AND ${free}
      RETURNING a.id`.execute(this.db);
    const id = claimed.rows[0]?.id;
    if (!id) return undefined;
    return this.readAccount(id);
  }

  private async readAccount(id: string): Promise<AccountRow | undefined> {
    const row = await this.db.selectFrom('imap_accounts').where('id', '=', id).select([...ACCOUNT_COLUMNS]).executeTakeFirst();
    return row ? { ...row, updated_at: new Date(row.updated_at) } : undefined;
  }

  private startSession(account: AccountRow): void {
    let wake: () => void = () => undefined;
    const session: Session = { account: account.id, wake: () => wake(), done: Promise.resolve() };
    session.done = this.runSession(account, (fn) => (wake = fn))
      .catch((err: unknown) => this.options.deps.logger.error({ err, account: account.id }, 'IMAP session failed unexpectedly'))
      .finally(() => this.sessions.delete(account.id));
    this.sessions.set(account.id, session);
  }

  private context(): ClientContext {
    return {
      keyring: this.options.deps.keyring,
      outbound: this.options.outbound,
      tokens: this.tokens,
      saveRefreshToken: (account, token) => saveRefreshToken(this.options.deps, account, token),
      ...(this.options.connectTimeoutMs !== undefined ? { connectTimeoutMs: this.options.connectTimeoutMs } : {}),
    };
  }

  /** One connection's life: connect, passes until the lease is lost, the account changes, or a failure. */
  private async runSession(account: AccountRow, onWake: (fn: () => void) => void): Promise<void> {
    const logger = this.options.deps.logger;
    let client: ImapFlow | undefined;
    let pending = true;
    let wakeUp: () => void = () => undefined;
    const signal = () => {
      pending = true;
      wakeUp();
    };
    onWake(signal);
    try {
      logger.debug({ account: account.id, owner: this.owner }, 'IMAP session starting');
      const opened = await openClient(this.context(), account, { maxBytes: account.max_bytes });
      client = opened.client;
      let closed = false;
      client.on('close', () => {
        closed = true;
        signal();
      });
      // New mail announced (in IDLE, or with any command's answer).
      client.on('exists', signal);
      if (account.after_store === 'move' && account.move_to) await ensureFolder(client, account.move_to);
      await this.recordConnected(account.id);
      let lastPass = 0;
      for (;;) {
        if (this.stopped) break;
        if (closed) throw Object.assign(new Error('connection closed'), { code: 'EConnectionClosed' });
        if (!(await this.renew(account.id))) {
          logger.warn({ account: account.id }, 'IMAP poller lost its lease');
          return;
        }
        // Changed settings, or turned off: this session ends and the next one reads them again (checked before
        // every pass, so a pass never runs on settings older than its start).
        const current = await this.db.selectFrom('imap_accounts').where('id', '=', account.id).select(['updated_at', 'enabled']).executeTakeFirst();
        if (!current || !current.enabled || new Date(current.updated_at).getTime() !== account.updated_at.getTime()) {
          logger.debug({ account: account.id }, 'IMAP account changed: session ends');
          await this.release(account.id, true);
          return;
        }
        // An OAuth token that will run out before the next check: reconnect now with a fresh one.
        if (opened.tokenExpiresAt !== null && opened.tokenExpiresAt - Date.now() < this.leaseMs) {
          await this.release(account.id, true);
          return;
        }
        const pollMs = account.poll_seconds * 1000;
        // New mail announced (IDLE), or the polling period is over (the only wake-up without IDLE; a safety net with it).
        if (pending || Date.now() - lastPass >= pollMs) {
          pending = false;
          lastPass = Date.now();
          if (!(await this.pass(client, account))) return;
          continue;
        }
        if (this.stopped) break;
        // The wait ends on new mail, at the next poll, or in time to renew the lease.
        const waitMs = Math.max(10, Math.min(this.leaseMs / 3, pollMs - (Date.now() - lastPass)));
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, waitMs);
          wakeUp = () => {
            clearTimeout(t);
            resolve();
          };
          if (pending) wakeUp();
        });
        wakeUp = () => undefined;
      }
    } catch (err) {
      await this.recordFailure(account.id, err);
    } finally {
      if (client) {
        try {
          if (client.usable) await Promise.race([client.logout(), new Promise((r) => setTimeout(r, 2000))]);
        } catch {
          // Already gone.
        }
        client.close();
      }
    }
  }

  /** Every message of the folder not yet taken: stored, then marked. False when the lease was lost. */
  private async pass(client: ImapFlow, account: AccountRow): Promise<boolean> {
    this.deferred.delete(account.id);
    const lock = await client.getMailboxLock(account.folder);
    try {
      const box = client.mailbox;
      if (!box) throw new Error('the folder could not be opened');
      const uidValidity = String(box.uidValidity);
      const query = account.after_store === 'flag' ? { unKeyword: account.keyword } : { all: true };
      const found = await client.search(query, { uid: true });
      const uids = (found || []).slice().sort((a, b) => a - b);
      this.options.deps.logger.debug({ account: account.id, waiting: uids.length }, 'IMAP pass');
      let renewedAt = Date.now();
      // In chunks: what is already recorded, and every size, in one query and one FETCH per chunk.
      for (let at = 0; at < uids.length; at += PASS_CHUNK) {
        const chunk = uids.slice(at, at + PASS_CHUNK);
        const known = new Map(
          (
            await this.db
              .selectFrom('imap_messages')
              .where('account_id', '=', account.id)
              .where('uid_validity', '=', uidValidity)
              .where('uid', 'in', chunk)
              .select(['uid', 'outcome', 'marked_at'])
              .execute()
          ).map((r) => [Number(r.uid), r]),
        );
        const unknown = chunk.filter((u) => !known.has(u));
        const sizes = new Map<number, number>();
        if (unknown.length) for (const m of await client.fetchAll(unknown.join(','), { uid: true, size: true }, { uid: true })) sizes.set(m.uid, m.size ?? 0);
        for (const uid of chunk) {
          if (this.stopped) return true;
          if (!known.has(uid) && sizes.has(uid) && !(await this.inboundToday(account))) return true;
          if (Date.now() - renewedAt > this.leaseMs / 3) {
            if (!(await this.renew(account.id))) return false;
            renewedAt = Date.now();
          }
          const k = known.get(uid);
          if (k) await this.markKnown(client, account, uidValidity, uid, k);
          // No size: expunged meanwhile.
          else if (sizes.has(uid)) await this.takeOne(client, account, uidValidity, uid, sizes.get(uid)!);
          if (this.options.betweenMessages) await this.options.betweenMessages();
        }
      }
      const keepReason = this.deferred.delete(account.id);
      await this.db.updateTable('imap_accounts').set({ last_success_at: new Date(), state: 'connected', failures: 0, ...(keepReason ? {} : { last_error: null }) }).where('id', '=', account.id).where('lease_owner', '=', this.owner).execute();
      return true;
    } finally {
      lock.release();
    }
  }

  /** Stored before (a crash or a lost connection before the mark): only the mark is missing. */
  private async markKnown(client: ImapFlow, account: AccountRow, uidValidity: string, uid: number, known: { outcome: 'stored' | 'too_large'; marked_at: Date | null }): Promise<void> {
    if (known.outcome === 'too_large' && known.marked_at) return;
    await this.mark(client, account, uid, known.outcome);
    await this.markedAt(account.id, uidValidity, uid);
  }

  private async takeOne(client: ImapFlow, account: AccountRow, uidValidity: string, uid: number, size: number): Promise<void> {
    if (size > account.max_bytes) {
      await this.tooLarge(client, account, uidValidity, uid, size);
      return;
    }
    const msg = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
    if (!msg || !msg.source) return;
    const raw = msg.source;
    if (raw.length > account.max_bytes) {
      await this.tooLarge(client, account, uidValidity, uid, raw.length);
      return;
    }
    const route = await mailboxRoute(this.db, account.mailbox_id);
    if (!route) throw new Error('the mailbox this account delivers to is gone or its organisation is not active');
    const record = async (trx: Kysely<Database>) => {
      await trx.insertInto('imap_messages').values({ account_id: account.id, org_id: account.org_id, uid_validity: uidValidity, uid, outcome: 'stored', size: raw.length }).execute();
    };
    let outcomes: IngestOutcome[];
    try {
      outcomes = await ingestInboundEmail(
        this.options.deps,
        { hooks: this.options.hooks, blobs: this.options.blobs, maxAttachmentBytes: account.max_bytes, withinStore: (trx) => record(trx) },
        { raw, mailFrom: envelopeSender(raw), rcptTo: [route.address] },
        [route],
      );
    } catch (err) {
      // The organisation's last message of the day taken meanwhile (another instance, SMTP): left for tomorrow. Its files
      // over the storage limit: left on the server until the limit is raised; messages after it are still taken.
      if (isLimitReached(err)) return void (await this.deferForLimit(account, err));
      // Another poller (a lease hand-over) stored this UID first: its copy stands.
      if (!isUidConflict(err)) throw err;
      outcomes = [];
    }
    // A duplicate (the same Message-ID stored before) wrote nothing: record the UID so it is only marked from now on.
    if (outcomes.some((o) => o.outcome === 'duplicate')) {
      await this.db.insertInto('imap_messages').values({ account_id: account.id, org_id: account.org_id, uid_validity: uidValidity, uid, outcome: 'stored', size: raw.length }).onConflict((oc) => oc.doNothing()).execute();
    }
    if (outcomes.length) this.options.onIngested?.(outcomes);
    // Already stored (the same Message-ID, or another poller's copy of this UID) counts apart from stored now.
    imapMessages.inc({ outcome: outcomes.every((o) => o.outcome === 'duplicate') ? 'duplicate' : 'stored' });
    await this.db.updateTable('imap_accounts').set({ fetched: sql<number>`fetched + 1` }).where('id', '=', account.id).execute();
    // Durably stored: only now is it moved or flagged.
    await this.mark(client, account, uid, 'stored');
    await this.markedAt(account.id, uidValidity, uid);
  }

  /**
   * Whether the organisation takes another inbound message today (decision 0235). When not, the rest of the folder
   * stays on the server, unmarked, and is taken on the first pass of the next UTC day; the account shows why.
   */
  private async inboundToday(account: AccountRow): Promise<boolean> {
    const today = await inboundOpen(this.db, account.org_id);
    if (today.open) return true;
    await this.deferForLimit(account, new LimitReachedError('inbound_per_day', today.usage, today.max ?? 0));
    return false;
  }

  private async deferForLimit(account: AccountRow, err: LimitReachedError): Promise<void> {
    imapMessages.inc({ outcome: 'deferred_limit' });
    this.deferred.add(account.id);
    const reason = err.limit === 'storage'
      ? 'The organisation\'s attachment storage is used up: messages whose files would exceed it stay on the server until its provider raises the limit.'
      : `The organisation has taken its ${String(err.extra?.max ?? '')} inbound messages for today (UTC); the rest stay on the server and are taken from midnight UTC.`;
    await this.db.updateTable('imap_accounts').set({ last_error: reason, last_error_at: new Date() }).where('id', '=', account.id).where('lease_owner', '=', this.owner).execute();
  }

  private async tooLarge(client: ImapFlow, account: AccountRow, uidValidity: string, uid: number, size: number): Promise<void> {
    const inserted = await this.db
      .insertInto('imap_messages')
      .values({ account_id: account.id, org_id: account.org_id, uid_validity: uidValidity, uid, outcome: 'too_large', size })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) {
      imapMessages.inc({ outcome: 'too_large' });
      await this.db.updateTable('imap_accounts').set({ too_large: sql<number>`too_large + 1` }).where('id', '=', account.id).execute();
      this.options.deps.logger.warn({ account: account.id, size, limit: account.max_bytes }, 'pulled message above the size limit: left on the server, flagged');
      await this.options.deps.audit.record({
        orgId: account.org_id,
        actor: { type: 'system', id: 'mail-in' },
        action: 'imap.message.too_large',
        object: { type: 'imap_account', id: account.id },
        result: 'failure',
        details: { size, limit: account.max_bytes },
      });
    }
    await this.mark(client, account, uid, 'too_large');
    await this.markedAt(account.id, uidValidity, uid);
  }

  /** Moved or flagged (stored), or flagged $TrustdeskTooLarge and left where it is (too large). */
  private async mark(client: ImapFlow, account: AccountRow, uid: number, outcome: 'stored' | 'too_large'): Promise<void> {
    if (outcome === 'too_large') {
      await client.messageFlagsAdd(String(uid), [TOO_LARGE_KEYWORD], { uid: true });
      return;
    }
    if (account.after_store === 'move' && account.move_to) {
      const moved = await client.messageMove(String(uid), account.move_to, { uid: true });
      if (moved === false) throw new Error('the message could not be moved');
    } else {
      await client.messageFlagsAdd(String(uid), ['\\Seen', account.keyword], { uid: true });
    }
  }

  private async markedAt(accountId: string, uidValidity: string, uid: number): Promise<void> {
    await this.db.updateTable('imap_messages').set({ marked_at: new Date() }).where('account_id', '=', accountId).where('uid_validity', '=', uidValidity).where('uid', '=', uid).execute();
  }

  private async renew(accountId: string): Promise<boolean> {
    const r = await this.db
      .updateTable('imap_accounts')
      .set({ lease_until: new Date(Date.now() + this.leaseMs) })
      .where('id', '=', accountId)
      .where('lease_owner', '=', this.owner)
      .executeTakeFirst();
    return Number(r.numUpdatedRows ?? 0) === 1;
  }

  private async release(accountId: string, due: boolean): Promise<void> {
    await this.db
      .updateTable('imap_accounts')
      .set({ lease_owner: null, lease_until: null, ...(due ? { next_attempt_at: new Date() } : {}) })
      .where('id', '=', accountId)
      .where('lease_owner', '=', this.owner)
      .execute();
  }

  private async recordConnected(accountId: string): Promise<void> {
    imapSessions.inc({ result: 'connected' });
    await this.db.updateTable('imap_accounts').set({ state: 'connected' }).where('id', '=', accountId).where('lease_owner', '=', this.owner).execute();
  }

  private async recordFailure(accountId: string, err: unknown): Promise<void> {
    imapSessions.inc({ result: 'failed' });
    const reason = describeImapError(err);
    try {
      const row = await this.db.selectFrom('imap_accounts').where('id', '=', accountId).select('failures').executeTakeFirst();
      const failures = (row?.failures ?? 0) + 1;
      this.options.deps.logger.warn({ account: accountId, failures, reason, code: (err as { code?: unknown } | null)?.code }, 'IMAP mailbox could not be read; will retry');
      const now = new Date();
      await this.db
        .updateTable('imap_accounts')
        .set({
          state: 'error',
          failures,
          last_error: reason,
          last_error_at: now,
          next_attempt_at: new Date(now.getTime() + backoffDelay(failures, this.backoff)),
          // Handed back: any instance may take the next attempt.
          lease_owner: null,
          lease_until: null,
        })
        .where('id', '=', accountId)
        .where('lease_owner', '=', this.owner)
        .execute();
    } catch (dbErr) {
      // The database is away too: the lease runs out and the next attempt starts then.
      this.options.deps.logger.error({ err: dbErr, account: accountId, reason }, 'IMAP failure could not be recorded');
    }
  }
}

/**
 * The envelope sender of a pulled message: the Return-Path the delivering server wrote (`<>` for a bounce, which the
 * pipeline treats as automatic), else the From address, as the SMTP server would have seen in MAIL FROM.
 */
export function envelopeSender(raw: Buffer): string {
  const head = raw.subarray(0, Math.min(raw.length, 64 * 1024)).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const headers = (end >= 0 ? head.slice(0, end) : head).replace(/\r?\n[ \t]+/g, ' ');
  const rp = /^Return-Path:[ \t]*<([^<>\s]*)>/im.exec(headers);
  if (rp) return rp[1]!;
  const from = /^From:[^\n]*?<?([^\s<>"]+@[^\s<>"]+?)>?[ \t\r]*$/im.exec(headers);
  return from ? from[1]! : '';
}

function isUidConflict(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown; message?: unknown } | null;
  return e?.code === '23505' && (e.constraint === 'imap_messages_pkey' || String(e.message).includes('imap_messages_pkey'));
}

async function ensureFolder(client: ImapFlow, folder: string): Promise<void> {
  const list = await client.list();
  if (list.some((b) => b.path === folder)) return;
  await client.mailboxCreate(folder);
}

/** The inbound address an account delivers to, as the SMTP server would route it (active organisations only). */
export async function mailboxRoute(db: Kysely<Database>, mailboxId: string): Promise<MailboxRoute | undefined> {
  const r = await db
    .selectFrom('mailboxes')
    .innerJoin('organizations', 'organizations.id', 'mailboxes.org_id')
    .where('mailboxes.id', '=', mailboxId)
    .where('organizations.status', '=', 'active')
    .select(['mailboxes.id', 'mailboxes.org_id', 'mailboxes.address', 'mailboxes.team_id'])
    .executeTakeFirst();
  return r ? { id: r.id, orgId: r.org_id, address: r.address, teamId: r.team_id } : undefined;
}

async function saveRefreshToken(deps: HelpdeskDeps, account: AccountRow, token: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const enc = await deps.keyring.encrypt({ type: 'organization', id: account.org_id }, fieldOf(account.id, 'oauth_refresh_token_enc'), token, trx);
    // updated_at is left alone: a rotated token is not a change of settings (the session goes on).
    await trx.updateTable('imap_accounts').set({ oauth_refresh_token_enc: enc }).where('id', '=', account.id).execute();
  });
}
