/**
 * The evaluator in the product (decision 0194): reads sequenced audit entries
 * after a durable cursor, feeds them to the pure engine, and in one
 * transaction stores the alerts (each also recorded in the audit trail), the
 * changed state and the new cursor. An advisory lock makes one instance the
 * evaluator at a time, like the audit sequencer; an instance that did not
 * evaluate the last batch reloads the state before it goes on, so a restart
 * or a change of evaluator neither skips an entry nor raises an alert twice.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../platform/db/schema.js';
import { workerLock } from '../../platform/db/locks.js';
import { startPeriodic } from '../../platform/periodic.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { DEFAULT_THRESHOLDS, validateThresholds, type InsiderThresholds, type RuleKey } from './config.js';
import { InsiderEngine, type InsiderAlert, type Person } from './engine.js';
import type { InsiderEvent } from './events.js';
import './schema.js';

const INSIDER_LOCK = 7_470_031;
const BATCH = 5000;
/** Context (people, thresholds, suppressions) is reread at least this often. */
const CONTEXT_TTL_MS = 15_000;
/** Alerts on entries older than this are not raised: the first run learns from the history instead. */
const BACKFILL_HORIZON_MS = 24 * 3_600_000;

export interface InsiderRunnerDeps {
  db: Kysely<Database>;
  audit: AuditLog;
  logger?: Logger | undefined;
  now?: () => Date;
}

interface OrgContext {
  loadedAt: number;
  thresholds: InsiderThresholds;
  people: Map<string, Person>;
  suppressions: Array<{ rule: RuleKey; userId: string; expiresAt: number }>;
  /** API token id → the person (or service account) it acts for. */
  tokenOwners: Map<string, string>;
}

export async function loadThresholds(db: Kysely<Database> | Executor, orgId: string): Promise<InsiderThresholds> {
  const row = await db.selectFrom('insider_settings').where('org_id', '=', orgId).select('thresholds').executeTakeFirst();
  if (!row) return DEFAULT_THRESHOLDS;
  // Stored documents were validated when written; a newer version's missing keys fall back to the defaults.
  const checked = validateThresholds(row.thresholds);
  return checked.ok ? checked.value : DEFAULT_THRESHOLDS;
}

export class InsiderRunner {
  private engine: InsiderEngine | undefined;
  private readonly contexts = new Map<string, OrgContext>();
  private running: Promise<number> | undefined;
  private stopTimer: (() => void) | undefined;

  constructor(private readonly deps: InsiderRunnerDeps) {}

  private now(): number {
    return (this.deps.now?.() ?? new Date()).getTime();
  }

  /** Forgets cached context (after a settings, suppression or deactivation change). */
  invalidate(orgId?: string): void {
    if (orgId) this.contexts.delete(orgId);
    else this.contexts.clear();
  }

  /** Read in the batch's transaction (one connection on PGlite). */
  private async context(db: Executor, orgId: string): Promise<OrgContext> {
    const cached = this.contexts.get(orgId);
    if (cached && this.now() - cached.loadedAt < CONTEXT_TTL_MS) return cached;
    const [thresholds, users, teams, suppressions, tokens] = await Promise.all([
      loadThresholds(db, orgId),
      db.selectFrom('users').where('org_id', '=', orgId).select(['id', 'name', 'deactivation_scheduled_at']).execute(),
      db.selectFrom('team_members').innerJoin('teams', 'teams.id', 'team_members.team_id').where('teams.org_id', '=', orgId).select(['team_members.user_id', 'team_members.team_id']).execute(),
      db.selectFrom('insider_suppressions').where('org_id', '=', orgId).where('expires_at', '>', new Date(this.now())).select(['rule', 'user_id', 'expires_at']).execute(),
      db.selectFrom('api_tokens').where('org_id', '=', orgId).select(['id', 'user_id']).execute(),
    ]);
    const teamsOf = new Map<string, string[]>();
    for (const t of teams) teamsOf.set(t.user_id, [...(teamsOf.get(t.user_id) ?? []), t.team_id]);
    const people = new Map<string, Person>(users.map((u) => [u.id, { name: u.name, teams: teamsOf.get(u.id) ?? [], deactivationAt: u.deactivation_scheduled_at ? new Date(u.deactivation_scheduled_at).getTime() : null }]));
    const ctx: OrgContext = {
      loadedAt: this.now(),
      thresholds,
      people,
      suppressions: suppressions.map((s) => ({ rule: s.rule, userId: s.user_id, expiresAt: new Date(s.expires_at).getTime() })),
      tokenOwners: new Map(tokens.map((t) => [t.id, t.user_id])),
    };
    this.contexts.set(orgId, ctx);
    return ctx;
  }

  /** The owner of an API token of the organisation; a token made since the context was loaded is looked up once. */
  private async tokenOwner(db: Executor, orgId: string, tokenId: string): Promise<string | null> {
    const owners = (await this.context(db, orgId)).tokenOwners;
    if (!owners.has(tokenId)) {
      const row = await db.selectFrom('api_tokens').where('org_id', '=', orgId).where('id', '=', tokenId).select('user_id').executeTakeFirst();
      if (!row) return null;
      owners.set(tokenId, row.user_id);
    }
    return owners.get(tokenId) ?? null;
  }

  private newEngine(): InsiderEngine {
    return new InsiderEngine({
      person: (orgId, userId) => this.contexts.get(orgId)?.people.get(userId),
      thresholds: (orgId) => this.contexts.get(orgId)?.thresholds ?? DEFAULT_THRESHOLDS,
      suppressed: (orgId, userId, rule, ts) => (this.contexts.get(orgId)?.suppressions ?? []).some((s) => s.rule === rule && s.userId === userId && s.expiresAt > ts),
    });
  }

  /** One batch (serialised within this process, locked across instances). Returns how many entries it evaluated. */
  runOnce(): Promise<number> {
    const run = (this.running ?? Promise.resolve(0)).catch(() => 0).then(() => this.batch());
    this.running = run;
    return run;
  }

  /** Evaluates until caught up with the sequenced trail. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.runOnce();
      total += n;
      if (n < BATCH) return total;
    }
  }

  private async batch(): Promise<number> {
    const db = this.deps.db;
    try {
      return await db.transaction().execute(async (trx) => {
        if (!(await workerLock(trx, INSIDER_LOCK, false))) return 0;
        const cursorRow = await trx.selectFrom('insider_cursor').where('id', '=', 1).select('last_idx').executeTakeFirst();
        const cursor = cursorRow ? Number(cursorRow.last_idx) : -1;
        const rows = await trx
          .selectFrom('audit_log')
          .where('idx', '>', cursor)
          .where('idx', 'is not', null)
          .orderBy('idx')
          .limit(BATCH)
          .select(['idx', 'id', 'ts', 'org_id', 'actor_type', 'actor_id', 'action', 'object_type', 'object_id', 'subject', 'result', 'source_ip', 'details'])
          .execute();
        if (rows.length === 0) return 0;
        // Another instance (or a failed round) moved the state: start again from what is stored.
        if (!this.engine || this.engine.cursor !== cursor) {
          this.engine = this.newEngine();
          this.engine.cursor = cursor;
          for (const s of await trx.selectFrom('insider_state').select(['org_id', 'key', 'state']).execute()) {
            if (s.key === 'org') this.engine.importOrg(s.org_id, s.state);
            else if (s.key.startsWith('user:')) this.engine.importUser(`${s.org_id}:${s.key.slice(5)}`, s.state);
          }
        }
        const engine = this.engine;
        for (const orgId of new Set(rows.map((r) => r.org_id).filter((o): o is string => o !== null))) await this.context(trx, orgId);
        const alerts: Array<InsiderAlert & { idx: number }> = [];
        for (const r of rows) {
          const owner = r.actor_type === 'token' && r.actor_id && r.org_id ? await this.tokenOwner(trx, r.org_id, r.actor_id) : null;
          const event: InsiderEvent = {
            idx: Number(r.idx), id: r.id, ts: new Date(r.ts).getTime(), orgId: r.org_id ?? '',
            // What a token does, its owner does: a person cannot step around their baseline by scripting it.
            actorType: owner ? 'user' : r.actor_type, actorId: owner ?? r.actor_id,
            action: r.action, objectType: r.object_type, objectId: r.object_id, subject: r.subject, result: r.result, sourceIp: r.source_ip,
            details: (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as Record<string, unknown> | null,
          };
          for (const a of engine.process(event)) alerts.push({ ...a, idx: event.idx });
        }
        const horizon = this.now() - BACKFILL_HORIZON_MS;
        for (const a of alerts) {
          if (a.ts < horizon) continue;
          const id = randomUUID();
          const inserted = await trx
            .insertInto('insider_alerts')
            .values({
              id, org_id: a.orgId, rule: a.rule, user_id: a.userId, explanation: a.explanation, evidence: JSON.stringify(a.evidence), facts: JSON.stringify(a.facts),
              since: new Date(a.since), raised_at: new Date(a.ts), event_idx: a.idx,
            })
            .onConflict((oc) => oc.doNothing())
            .returning('id')
            .executeTakeFirst();
          if (!inserted) continue;
          await this.deps.audit.append(trx, {
            orgId: a.orgId, actor: { type: 'system', id: 'insider' }, action: 'insider.alert.raise', object: { type: 'insider_alert', id }, result: 'success',
            details: { rule: a.rule, userId: a.userId, evidence: a.evidence.length, firstIdx: a.evidence[0]?.idx ?? null, lastIdx: a.idx },
          });
        }
        const dirty = engine.takeDirty();
        const now = this.now();
        const states: Array<{ org_id: string; key: string; state: string }> = [];
        for (const key of dirty.users) {
          const [orgId, userId] = key.split(':') as [string, string];
          if (!orgId || !userId) continue;
          states.push({ org_id: orgId, key: `user:${userId}`, state: JSON.stringify(engine.exportUser(key)) });
        }
        for (const orgId of dirty.orgs) {
          const relationDays = this.contexts.get(orgId)?.thresholds.unrelated.relationDays;
          states.push({ org_id: orgId, key: 'org', state: JSON.stringify(engine.exportOrg(orgId, now, relationDays)) });
        }
        for (let i = 0; i < states.length; i += 200) {
          await trx
            .insertInto('insider_state')
            .values(states.slice(i, i + 200))
            .onConflict((oc) => oc.columns(['org_id', 'key']).doUpdateSet((eb) => ({ state: eb.ref('excluded.state'), updated_at: new Date(now) })))
            .execute();
        }
        const last = Number(rows[rows.length - 1]!.idx);
        await trx
          .insertInto('insider_cursor')
          .values({ id: 1, last_idx: last })
          .onConflict((oc) => oc.column('id').doUpdateSet({ last_idx: last, updated_at: new Date(now) }))
          .execute();
        return rows.length;
      });
    } catch (err) {
      // The stored state is the truth again: rebuild from it next round.
      this.engine = undefined;
      throw err;
    }
  }

  /** Runs batches every `everyMs` (1 s by default: an alert within 5 s of its entry being sequenced), never overlapping. */
  start(everyMs = 1000): void {
    if (this.stopTimer) return;
    this.stopTimer = startPeriodic(() => this.drain(), everyMs, (err) => this.deps.logger?.warn({ err }, 'insider evaluation failed'));
  }

  async stop(): Promise<void> {
    this.stopTimer?.();
    this.stopTimer = undefined;
    await this.running?.catch(() => 0);
  }
}
