/**
 * The retention policy of an organisation (decision 0207) and the one query per category that says what it would
 * delete at a given moment. The dry run counts these queries; a run freezes their ids; each batch of the run asks
 * them again for its own ids, so a ticket reopened or a customer who wrote in since the plan is skipped, never deleted.
 *
 * - tickets: solved or closed, solved (or, if closed without being solved, closed) before the cut-off, optionally only
 *   on some channels (a chat transcript is a ticket on the `chat` channel), with some tags, or of some teams;
 * - quarantine: quarantined messages received before the cut-off (a message a phishing report points to goes with
 *   its reported ticket, not before);
 * - exports: access-export bundles expired, or created before the cut-off;
 * - customers: no open ticket, nothing on any of their tickets since the cut-off, not already erased, no open
 *   data-subject request: erased by the existing erasure (key destruction).
 * Nothing covered by an active legal hold is ever selected.
 */
import { sql, type RawBuilder } from 'kysely';
import type { ClientInfo } from '../../identity/auth/auth.service.js';
import type { Principal } from '../../identity/auth/access.js';
import { readOrgSetting, writeOrgSetting } from '../../identity/organization/settings.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { AppError } from '../../platform/errors.js';
import type { RetentionPolicyValue } from '../../platform/http/schemas/retention.js';
import type { HelpdeskDeps } from '../tickets/context.js';
import type { RetentionCategory, RetentionCounts } from './schema.js';

export const RETENTION_CATEGORIES: readonly RetentionCategory[] = ['exports', 'quarantine', 'tickets', 'customers'];

/** The policy as the API carries it (src/platform/http/schemas/retention.ts): null periods keep everything. */
export type RetentionPolicy = RetentionPolicyValue;

/** Off by default: nothing is deleted until an administrator sets a period. */
export const DEFAULT_RETENTION_POLICY: RetentionPolicy = { tickets: { months: null, channels: [], tags: [], teamIds: [] }, quarantineDays: null, exportDays: null, inactiveCustomerMonths: null };

const SETTINGS_KEY = 'retention';

export async function readRetentionPolicy(db: Executor, orgId: string): Promise<RetentionPolicy> {
  const v = (await readOrgSetting(db, orgId, SETTINGS_KEY)) as Partial<RetentionPolicy> | undefined;
  return { ...DEFAULT_RETENTION_POLICY, ...(v ?? {}), tickets: { ...DEFAULT_RETENTION_POLICY.tickets, ...(v?.tickets ?? {}) } };
}

export async function saveRetentionPolicy(deps: HelpdeskDeps, p: Principal, client: ClientInfo, policy: RetentionPolicy): Promise<RetentionPolicy> {
  return deps.db.transaction().execute(async (trx) => {
    const before = await readRetentionPolicy(trx, p.orgId);
    const after: RetentionPolicy = { ...policy, tickets: { ...policy.tickets, channels: [...new Set(policy.tickets.channels)].sort(), tags: [...new Set(policy.tickets.tags)].sort(), teamIds: [...new Set(policy.tickets.teamIds)].sort() } };
    if (after.tickets.teamIds.length) {
      const known = await trx.selectFrom('teams').where('org_id', '=', p.orgId).where('id', 'in', after.tickets.teamIds).select('id').execute();
      if (known.length !== after.tickets.teamIds.length) throw new AppError('bad_request', 'The policy names a team that does not exist here.');
    }
    await writeOrgSetting(trx, p.orgId, SETTINGS_KEY, after);
    await deps.audit.append(trx, { orgId: p.orgId, actor: { type: 'user', id: p.userId }, requestId: client.requestId, sourceIp: client.ip, action: 'policy.retention.change', object: { type: 'organization', id: p.orgId }, result: 'success', details: { before, after } });
    return after;
  });
}

/** `n` calendar months before `d`, in UTC, the day clamped to the month's end (31 March − 1 month = 28/29 February). */
export function monthsBefore(d: Date, n: number): Date {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() - n;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(Date.UTC(y, m, Math.min(d.getUTCDate(), last), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()));
}

/** The cut-off per category (records older than it go), null where the policy keeps everything. */
export interface Cutoffs {
  asOf: string;
  tickets: string | null;
  quarantine: string | null;
  exports: string | null;
  customers: string | null;
}

export function cutoffsOf(policy: RetentionPolicy, asOf: Date): Cutoffs {
  const days = (n: number | null) => (n === null ? null : new Date(asOf.getTime() - n * 86_400_000).toISOString());
  const months = (n: number | null) => (n === null ? null : monthsBefore(asOf, n).toISOString());
  return { asOf: asOf.toISOString(), tickets: months(policy.tickets.months), quarantine: days(policy.quarantineDays), exports: days(policy.exportDays), customers: months(policy.inactiveCustomerMonths) };
}

/** Customers covered by an active hold on them or on a customer they were merged into (at any depth). */
const heldCustomers = (orgId: string) => sql`WITH RECURSIVE held(id) AS (
    SELECT object_id FROM legal_holds WHERE org_id = ${orgId} AND lifted_at IS NULL AND object_type = 'customer'
    UNION SELECT c.id FROM customers c JOIN held ON c.merged_into = held.id)`;

const only = (column: string, ids: string[] | undefined) => (ids ? sql` AND ${sql.ref(column)} = ANY (${ids}::uuid[])` : sql``);

/** The ids the policy selects in one category at the cut-offs (optionally only among `ids`); null when it is off. */
export function candidates(category: RetentionCategory, orgId: string, policy: RetentionPolicy, cutoffs: Cutoffs, ids?: string[]): RawBuilder<{ id: string }> | null {
  if (category === 'tickets') {
    if (!cutoffs.tickets) return null;
    const f = policy.tickets;
    return sql<{ id: string }>`${heldCustomers(orgId)}
      SELECT t.id FROM tickets t
      WHERE t.org_id = ${orgId} AND t.status IN ('solved', 'closed') AND COALESCE(t.solved_at, t.closed_at) < ${cutoffs.tickets}::timestamptz
        ${f.channels.length ? sql`AND t.channel = ANY (${f.channels}::text[])` : sql``}
        ${f.tags.length ? sql`AND t.tags && ${f.tags}::text[]` : sql``}
        ${f.teamIds.length ? sql`AND t.team_id = ANY (${f.teamIds}::uuid[])` : sql``}
        AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.org_id = t.org_id AND h.lifted_at IS NULL AND h.object_type = 'ticket' AND h.object_id = t.id)
        AND (t.requester_id IS NULL OR t.requester_id NOT IN (SELECT id FROM held))${only('t.id', ids)}`;
  }
  if (category === 'quarantine') {
    if (!cutoffs.quarantine) return null;
    return sql<{ id: string }>`SELECT q.id FROM quarantine q WHERE q.org_id = ${orgId} AND q.created_at < ${cutoffs.quarantine}::timestamptz
      AND NOT EXISTS (SELECT 1 FROM phishing_reports r WHERE r.quarantine_id = q.id)${only('q.id', ids)}`;
  }
  if (category === 'exports') {
    if (!cutoffs.exports) return null;
    return sql<{ id: string }>`${heldCustomers(orgId)}
      SELECT e.id FROM privacy_exports e WHERE e.org_id = ${orgId} AND (e.expires_at <= ${cutoffs.asOf}::timestamptz OR e.created_at < ${cutoffs.exports}::timestamptz)
        AND e.customer_id NOT IN (SELECT id FROM held)${only('e.id', ids)}`;
  }
  if (!cutoffs.customers) return null;
  // fam: each customer record with the primary record it was merged into (at any depth).
  return sql<{ id: string }>`WITH RECURSIVE fam(root, id) AS (
      SELECT id, id FROM customers WHERE org_id = ${orgId} AND merged_into IS NULL
      UNION ALL SELECT fam.root, c.id FROM customers c JOIN fam ON c.merged_into = fam.id)
    SELECT c.id FROM customers c
    WHERE c.org_id = ${orgId} AND c.merged_into IS NULL AND c.created_at < ${cutoffs.customers}::timestamptz
      AND NOT EXISTS (SELECT 1 FROM fam f JOIN tickets t ON t.requester_id = f.id WHERE f.root = c.id
        AND (t.status NOT IN ('solved', 'closed') OR GREATEST(t.last_message_at, t.solved_at, t.closed_at) >= ${cutoffs.customers}::timestamptz))
      AND NOT EXISTS (SELECT 1 FROM fam f JOIN data_keys k ON k.owner_type = 'customer' AND k.owner_id = f.id AND k.destroyed_at IS NOT NULL WHERE f.root = c.id)
      AND NOT EXISTS (SELECT 1 FROM fam f JOIN privacy_requests r ON r.customer_id = f.id WHERE f.root = c.id
        AND (r.status IN ('new', 'verified', 'approved') OR (r.kind = 'erasure' AND r.status = 'done')))
      AND NOT EXISTS (SELECT 1 FROM fam f JOIN legal_holds h ON h.object_type = 'customer' AND h.object_id = f.id WHERE f.root = c.id AND h.org_id = ${orgId} AND h.lifted_at IS NULL)
      AND NOT EXISTS (SELECT 1 FROM fam f JOIN tickets t ON t.requester_id = f.id JOIN legal_holds h ON h.object_type = 'ticket' AND h.object_id = t.id
        WHERE f.root = c.id AND h.org_id = ${orgId} AND h.lifted_at IS NULL)${only('c.id', ids)}`;
}

export const zeroCounts = (): RetentionCounts => ({ tickets: 0, quarantine: 0, exports: 0, customers: 0 });

/** The dry run: how many records of each category the policy would delete at `asOf`. Reads ids only, no customer data. */
export async function countRetention(db: Executor, orgId: string, policy: RetentionPolicy, asOf: Date): Promise<{ cutoffs: Cutoffs; counts: RetentionCounts }> {
  const cutoffs = cutoffsOf(policy, asOf);
  const counts = zeroCounts();
  for (const category of RETENTION_CATEGORIES) {
    const q = candidates(category, orgId, policy, cutoffs);
    if (!q) continue;
    const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM (${q}) AS c`.execute(db);
    counts[category] = Number(r.rows[0]?.n ?? 0);
  }
  return { cutoffs, counts };
}
