/**
 * Per-organisation limits set by the installation's operator (decision 0235):
 * staff seats, bytes of attachment files, inbound messages per UTC day. Each is
 * optional (null: unlimited). Lowering one below what is used keeps what exists
 * and refuses only what would be added.
 *
 * Seats and storage are checked inside the transaction that adds, under a
 * per-organisation advisory lock (taken only when a limit is set), so two
 * additions at once cannot both take the last seat or byte. The inbound count is
 * one conditional upsert per message on a per-day row.
 */
import { sql, type ExpressionBuilder } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { findOrganization, type Operator } from './lifecycle.js';

export type LimitName = 'seats' | 'storage' | 'inbound_per_day';

export interface OrganizationLimits {
  seats: number | null;
  storageBytes: number | null;
  inboundPerDay: number | null;
}

export interface OrganizationUsage {
  seats: number;
  storageBytes: number;
  inboundToday: number;
}

/** Serialises the seat and storage checks of one organisation (second key: the organisation). */
const LIMITS_LOCK = 7470235;
const WHO_TO_ASK = 'Ask the operator of this Trustdesk installation (your provider) to raise it.';
const UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3, TIB: 1024 ** 4 };
const MAX_COUNT = 2_147_483_647;

/** "5GB", "500MB", "1.5GiB", "1024" (bytes) or "none"; throws a validation error otherwise. */
export function parseSize(text: string): number | null {
  const t = text.trim();
  if (t.toLowerCase() === 'none') return null;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(t);
  const unit = UNITS[(m?.[2] || 'B').toUpperCase()];
  if (!m || unit === undefined) throw new AppError('validation_failed', `"${text}" is not a size: give a number of bytes or one with a unit (500MB, 5GB, 1TB), or "none".`);
  const bytes = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw new AppError('validation_failed', `"${text}" is too large a size.`);
  return bytes;
}

/** A whole number ≥ 0, or "none". */
export function parseCount(text: string, what: string): number | null {
  const t = text.trim();
  if (t.toLowerCase() === 'none') return null;
  if (!/^\d+$/.test(t) || Number(t) > MAX_COUNT) throw new AppError('validation_failed', `${what} must be a whole number from 0 to ${MAX_COUNT}, or "none" (got "${text}").`);
  return Number(t);
}

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  return `${Number(v.toFixed(v < 10 ? 2 : 1))} ${units[u]}`;
}

const LABEL: Record<LimitName, string> = { seats: 'staff seats', storage: 'attachment storage', inbound_per_day: 'inbound messages per day' };

/** The refusal every limit gives: which limit, how much is used, who can raise it. */
export class LimitReachedError extends AppError {
  readonly limit: LimitName;
  constructor(limit: LimitName, usage: number, max: number, detail?: string) {
    const shown = (n: number) => (limit === 'storage' ? formatBytes(n) : String(n));
    const text = detail ?? `This organisation has reached its limit of ${LABEL[limit]}: ${shown(usage)} used of ${shown(max)}.`;
    super('limit_reached', `${text} ${WHO_TO_ASK}`, { extra: { limit, usage, max } });
    this.name = 'LimitReachedError';
    this.limit = limit;
  }
}

export function isLimitReached(err: unknown): err is LimitReachedError {
  return err instanceof LimitReachedError;
}

function limitsOf(r: { limit_seats: number | null; limit_storage_bytes: string | number | null; limit_inbound_per_day: number | null }): OrganizationLimits {
  return { seats: r.limit_seats, storageBytes: r.limit_storage_bytes === null ? null : Number(r.limit_storage_bytes), inboundPerDay: r.limit_inbound_per_day };
}

export async function organizationLimits(db: Executor, orgId: string): Promise<OrganizationLimits> {
  const r = await db.selectFrom('organizations').where('id', '=', orgId).select(['limit_seats', 'limit_storage_bytes', 'limit_inbound_per_day']).executeTakeFirst();
  return r ? limitsOf(r) : { seats: null, storageBytes: null, inboundPerDay: null };
}

/** The UTC day of an instant, as the counter row's key. */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** Active people, and invited ones whose link is still pending (not accepted, revoked or expired); no service account. */
async function countSeats(db: Executor, orgId: string): Promise<number> {
  const r = await db
    .selectFrom('users')
    .where('org_id', '=', orgId)
    .where('service_account', '=', false)
    .where((eb) => eb.or([eb('status', '=', 'active'), eb('status', '=', 'invited').and(eb.exists(pendingInvite(eb)))]))
    .select(sql<number>`count(*)::int`.as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

function pendingInvite(eb: ExpressionBuilder<Database, 'users'>) {
  return eb.selectFrom('auth_links').whereRef('auth_links.user_id', '=', 'users.id').where('auth_links.kind', '=', 'invite').where('auth_links.used_at', 'is', null).where('auth_links.expires_at', '>', new Date()).select('auth_links.user_id');
}

/** Whether this person holds a seat already (active, or invited with a pending link): re-inviting them takes none. */
export async function holdsSeat(db: Executor, userId: string): Promise<boolean> {
  const r = await db
    .selectFrom('users')
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('status', '=', 'active'), eb('status', '=', 'invited').and(eb.exists(pendingInvite(eb)))]))
    .select('id')
    .executeTakeFirst();
  return r !== undefined;
}

async function countStorage(db: Executor, orgId: string): Promise<number> {
  const r = await db.selectFrom('attachments').where('org_id', '=', orgId).where('blob_key', 'is not', null).select(sql<string>`coalesce(sum(size), 0)::text`.as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function organizationUsage(db: Executor, orgId: string, now = new Date()): Promise<OrganizationUsage> {
  const [seats, storageBytes, day] = await Promise.all([
    countSeats(db, orgId),
    countStorage(db, orgId),
    db.selectFrom('organization_inbound_days').where('org_id', '=', orgId).where('day', '=', utcDay(now)).select('count').executeTakeFirst(),
  ]);
  return { seats, storageBytes, inboundToday: day?.count ?? 0 };
}

async function lockLimits(trx: Executor, orgId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${LIMITS_LOCK}, hashtext(${orgId}))`.execute(trx);
}

/**
 * Call inside the transaction that adds `adding` staff accounts (an invitation,
 * a provisioning, a reactivation) before it writes; holds the organisation's
 * limits lock until it commits. Service accounts take no seat.
 */
export async function assertSeatsAvailable(trx: Executor, orgId: string, adding = 1): Promise<void> {
  const { seats } = await organizationLimits(trx, orgId);
  if (seats === null || adding <= 0) return;
  await lockLimits(trx, orgId);
  const used = await countSeats(trx, orgId);
  if (used + adding > seats) throw new LimitReachedError('seats', used, seats);
}

/** Call inside the transaction that stores `adding` bytes of attachment files, before it writes. */
export async function assertStorageAvailable(trx: Executor, orgId: string, adding: number): Promise<void> {
  const { storageBytes } = await organizationLimits(trx, orgId);
  if (storageBytes === null || adding <= 0) return;
  await lockLimits(trx, orgId);
  const used = await countStorage(trx, orgId);
  if (used + adding > storageBytes) {
    throw new LimitReachedError('storage', used, storageBytes, `Storing ${formatBytes(adding)} more would exceed this organisation's attachment storage: ${formatBytes(used)} used of ${formatBytes(storageBytes)}.`);
  }
}

/** Whether one more inbound message would be taken today (a read, for an early refusal such as SMTP RCPT). */
export async function inboundOpen(db: Executor, orgId: string, now = new Date()): Promise<{ open: boolean; usage: number; max: number | null }> {
  const { inboundPerDay } = await organizationLimits(db, orgId);
  if (inboundPerDay === null) return { open: true, usage: 0, max: null };
  const day = await db.selectFrom('organization_inbound_days').where('org_id', '=', orgId).where('day', '=', utcDay(now)).select('count').executeTakeFirst();
  const usage = day?.count ?? 0;
  return { open: usage < inboundPerDay, usage, max: inboundPerDay };
}

/**
 * Takes one inbound message from today's limit, atomically: the increment
 * happens only while the count is under the limit, in one statement, so two
 * instances cannot both take the last one. Call it inside the transaction that
 * stores the message: a rollback gives the count back (the counter row stays
 * locked until then, which serialises that organisation's storing). Returns
 * false when the organisation has no limit and nothing was counted: the caller
 * counts with countInbound once the message is stored, so organisations without
 * a limit never wait on a counter row.
 */
export async function takeInbound(trx: Executor, orgId: string, now = new Date()): Promise<boolean> {
  const { inboundPerDay } = await organizationLimits(trx, orgId);
  if (inboundPerDay === null) return false;
  const day = utcDay(now);
  const r = await sql<{ count: number }>`
    INSERT INTO organization_inbound_days (org_id, day, count) SELECT ${orgId}::uuid, ${day}::date, 1 WHERE ${inboundPerDay}::int > 0
    ON CONFLICT (org_id, day) DO UPDATE SET count = organization_inbound_days.count + 1 WHERE organization_inbound_days.count < ${inboundPerDay}::int
    RETURNING count`.execute(trx);
  if (r.rows.length) return true;
  const row = await trx.selectFrom('organization_inbound_days').where('org_id', '=', orgId).where('day', '=', day).select('count').executeTakeFirst();
  throw new LimitReachedError('inbound_per_day', row?.count ?? 0, inboundPerDay, `This organisation has taken its ${inboundPerDay} inbound messages for today (UTC); more are taken from midnight UTC.`);
}

/** Counts a stored inbound message of an organisation without a limit (after takeInbound returned false), so usage is known. */
export async function countInbound(db: Executor, orgId: string, now = new Date()): Promise<void> {
  await sql`INSERT INTO organization_inbound_days (org_id, day, count) VALUES (${orgId}::uuid, ${utcDay(now)}::date, 1)
    ON CONFLICT (org_id, day) DO UPDATE SET count = organization_inbound_days.count + 1`.execute(db);
}

export interface LimitChanges {
  seats?: number | null;
  storageBytes?: number | null;
  inboundPerDay?: number | null;
}

/** The operator sets limits (undefined: unchanged, null: unlimited); audited as `organization.limits`. */
export async function setOrganizationLimits(deps: { db: Db; audit: AuditLog }, operator: Operator, ref: string, changes: LimitChanges): Promise<{ orgId: string; slug: string; limits: OrganizationLimits }> {
  for (const [k, v] of Object.entries(changes)) {
    if (v !== undefined && v !== null && (!Number.isSafeInteger(v) || v < 0)) throw new AppError('validation_failed', `The ${k} limit must be a whole number ≥ 0 or none.`);
  }
  return deps.db.transaction().execute(async (trx) => {
    const org = await findOrganization(trx, ref);
    if (org.status === 'deleted') throw new AppError('not_found', `No organisation "${ref.trim()}" (it was deleted).`);
    await trx.selectFrom('organizations').where('id', '=', org.id).select('id').forUpdate().execute();
    const before = await organizationLimits(trx, org.id);
    const after: OrganizationLimits = {
      seats: changes.seats === undefined ? before.seats : changes.seats,
      storageBytes: changes.storageBytes === undefined ? before.storageBytes : changes.storageBytes,
      inboundPerDay: changes.inboundPerDay === undefined ? before.inboundPerDay : changes.inboundPerDay,
    };
    await trx.updateTable('organizations').set({ limit_seats: after.seats, limit_storage_bytes: after.storageBytes, limit_inbound_per_day: after.inboundPerDay }).where('id', '=', org.id).execute();
    await deps.audit.append(trx, {
      orgId: org.id, actor: { type: 'system', id: operator.id }, action: 'organization.limits', object: { type: 'organization', id: org.id }, result: 'success',
      details: { from: { ...before }, to: { ...after } }, requestId: operator.requestId,
    });
    return { orgId: org.id, slug: org.slug, limits: after };
  });
}
