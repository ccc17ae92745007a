/**
 * What security officers and auditors do with insider-threat alerts
 * (decision 0194): read them (audited), acknowledge or dismiss them with a
 * reason, suppress a rule for a person until a date, set the organisation's
 * thresholds and a leaver's scheduled deactivation. Every change is recorded
 * in the audit trail, so the SIEM stream carries it.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Principal } from '../../identity/auth/access.js';
import { DEFAULT_THRESHOLDS, RULE_TITLES, RULES, validateThresholds, type RuleKey } from './config.js';
import { loadThresholds } from './runner.js';
import type { InsiderAlertsTable } from './schema.js';

export interface InsiderDeps {
  db: Kysely<Database>;
  audit: AuditLog;
  /** Called after a change the evaluator must see at once (thresholds, suppressions, deactivations). */
  onContextChange?: (orgId: string) => void;
}

export interface Acting {
  principal: Principal;
  requestId: string;
  sourceIp: string;
}

const base = (a: Acting) => ({ orgId: a.principal.orgId, actor: { type: 'user' as const, id: a.principal.userId }, requestId: a.requestId, sourceIp: a.sourceIp });
const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

async function names(db: Kysely<Database>, orgId: string, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('users').where('org_id', '=', orgId).where('id', 'in', [...new Set(ids)]).select(['id', 'name']).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

function view(a: Selectable<InsiderAlertsTable>, who: Map<string, string>) {
  return {
    id: a.id,
    rule: a.rule,
    ruleTitle: RULE_TITLES[a.rule],
    userId: a.user_id,
    userName: who.get(a.user_id) ?? 'Former user',
    explanation: a.explanation,
    evidence: a.evidence,
    facts: a.facts,
    since: iso(a.since)!,
    raisedAt: iso(a.raised_at)!,
    status: a.status,
    statusReason: a.status_reason,
    statusBy: a.status_by ? (who.get(a.status_by) ?? 'Former user') : null,
    statusAt: iso(a.status_at),
    incidentId: a.incident_id,
  };
}

export async function listAlerts(deps: InsiderDeps, acting: Acting, filter: { status?: string | undefined; rule?: string | undefined; userId?: string | undefined; limit?: number | undefined }) {
  const orgId = acting.principal.orgId;
  let q = deps.db.selectFrom('insider_alerts').where('org_id', '=', orgId);
  if (filter.status) q = q.where('status', '=', filter.status as 'open');
  if (filter.rule) q = q.where('rule', '=', filter.rule as RuleKey);
  if (filter.userId) q = q.where('user_id', '=', filter.userId);
  const rows = await q.orderBy('raised_at', 'desc').orderBy('id').limit(filter.limit ?? 100).selectAll().execute();
  const who = await names(deps.db, orgId, rows.flatMap((r) => [r.user_id, ...(r.status_by ? [r.status_by] : [])]));
  // Reading who is suspected of what is itself recorded.
  await deps.audit.record({ ...base(acting), action: 'insider.alerts.read', result: 'success', details: { count: rows.length, status: filter.status ?? null, rule: filter.rule ?? null } });
  return { items: rows.map((r) => view(r, who)) };
}

async function loadAlert(db: Kysely<Database>, orgId: string, id: string) {
  const row = await db.selectFrom('insider_alerts').where('org_id', '=', orgId).where('id', '=', id).selectAll().executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such alert.');
  return row;
}

async function alertView(db: Kysely<Database>, orgId: string, id: string) {
  const row = await loadAlert(db, orgId, id);
  return view(row, await names(db, orgId, [row.user_id, ...(row.status_by ? [row.status_by] : [])]));
}

export async function readAlert(deps: InsiderDeps, acting: Acting, id: string) {
  const alert = await alertView(deps.db, acting.principal.orgId, id);
  await deps.audit.record({ ...base(acting), action: 'insider.alerts.read', object: { type: 'insider_alert', id }, result: 'success', details: { count: 1 } });
  return alert;
}

/** Acknowledged (being looked at) or dismissed (with the reason); a dismissed alert stays dismissed. */
export async function setAlertStatus(deps: InsiderDeps, acting: Acting, id: string, status: 'acknowledged' | 'dismissed', reason: string | null) {
  const orgId = acting.principal.orgId;
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('insider_alerts').where('org_id', '=', orgId).where('id', '=', id).select(['status', 'rule', 'user_id']).forUpdate().executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such alert.');
    if (row.status === 'dismissed') throw new AppError('conflict', 'This alert was dismissed; it cannot change again.');
    if (row.status === status) throw new AppError('conflict', `This alert is already ${status}.`);
    await trx.updateTable('insider_alerts').set({ status, status_reason: reason, status_by: acting.principal.userId, status_at: new Date() }).where('id', '=', id).execute();
    await deps.audit.append(trx, {
      ...base(acting), action: status === 'dismissed' ? 'insider.alert.dismiss' : 'insider.alert.acknowledge', object: { type: 'insider_alert', id }, purpose: reason, result: 'success',
      details: { rule: row.rule, userId: row.user_id, from: row.status },
    });
  });
  return alertView(deps.db, orgId, id);
}

/**
 * The one step from an alert to an incident: records the incident the alert
 * was escalated to (the incident feature calls this in its own transaction).
 */
export async function linkAlertToIncident(db: Kysely<Database>, orgId: string, alertId: string, incidentId: string): Promise<void> {
  const done = await db.updateTable('insider_alerts').set({ incident_id: incidentId }).where('org_id', '=', orgId).where('id', '=', alertId).executeTakeFirst();
  if (Number(done.numUpdatedRows) !== 1) throw new AppError('not_found', 'No such alert.');
}

export async function listSuppressions(deps: InsiderDeps, orgId: string, now = new Date()) {
  const rows = await deps.db.selectFrom('insider_suppressions').where('org_id', '=', orgId).where('expires_at', '>', now).orderBy('expires_at').selectAll().execute();
  const who = await names(deps.db, orgId, rows.flatMap((r) => [r.user_id, ...(r.created_by ? [r.created_by] : [])]));
  return {
    items: rows.map((r) => ({
      id: r.id, rule: r.rule, userId: r.user_id, userName: who.get(r.user_id) ?? 'Former user', reason: r.reason, expiresAt: iso(r.expires_at)!,
      createdBy: r.created_by ? (who.get(r.created_by) ?? 'Former user') : null, createdAt: iso(r.created_at)!,
    })),
  };
}

export async function createSuppression(deps: InsiderDeps, acting: Acting, input: { rule: RuleKey; userId: string; reason: string; days: number }, now = new Date()) {
  const orgId = acting.principal.orgId;
  const reason = input.reason.trim();
  if (reason.length < 3) throw new AppError('validation_failed', 'Give the reason for the suppression (at least 3 characters).', { extra: { errors: [{ field: 'reason', message: 'is too short' }] } });
  const user = await deps.db.selectFrom('users').where('org_id', '=', orgId).where('id', '=', input.userId).select(['id', 'name']).executeTakeFirst();
  if (!user) throw new AppError('not_found', 'No such person.');
  const id = randomUUID();
  const expires = new Date(now.getTime() + input.days * 86_400_000);
  await deps.db.transaction().execute(async (trx) => {
    await trx.insertInto('insider_suppressions').values({ id, org_id: orgId, rule: input.rule, user_id: user.id, reason, expires_at: expires, created_by: acting.principal.userId }).execute();
    await deps.audit.append(trx, { ...base(acting), action: 'insider.suppression.create', object: { type: 'insider_suppression', id }, purpose: reason, result: 'success', details: { rule: input.rule, userId: user.id, expiresAt: expires.toISOString() } });
  });
  deps.onContextChange?.(orgId);
  const me = await names(deps.db, orgId, [acting.principal.userId]);
  return { id, rule: input.rule, userId: user.id, userName: user.name, reason, expiresAt: expires.toISOString(), createdBy: me.get(acting.principal.userId) ?? null, createdAt: now.toISOString() };
}

export async function removeSuppression(deps: InsiderDeps, acting: Acting, id: string) {
  const orgId = acting.principal.orgId;
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx.deleteFrom('insider_suppressions').where('org_id', '=', orgId).where('id', '=', id).returning(['rule', 'user_id']).executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such suppression.');
    await deps.audit.append(trx, { ...base(acting), action: 'insider.suppression.remove', object: { type: 'insider_suppression', id }, result: 'success', details: { rule: row.rule, userId: row.user_id } });
  });
  deps.onContextChange?.(orgId);
}

export async function readThresholds(deps: InsiderDeps, orgId: string) {
  const row = await deps.db.selectFrom('insider_settings').where('org_id', '=', orgId).select('updated_at').executeTakeFirst();
  return {
    thresholds: await loadThresholds(deps.db, orgId),
    defaults: DEFAULT_THRESHOLDS,
    rules: RULES.map((key) => ({ key, title: RULE_TITLES[key] })),
    updatedAt: row ? iso(row.updated_at) : null,
  };
}

/** Merges the body over the current thresholds; anything malformed refuses the whole change (problem+json with each field). */
export async function updateThresholds(deps: InsiderDeps, acting: Acting, body: unknown) {
  const orgId = acting.principal.orgId;
  const current = await loadThresholds(deps.db, orgId);
  const checked = validateThresholds(body, current);
  if (!checked.ok) {
    throw new AppError('validation_failed', `The thresholds are not valid: ${checked.errors.map((e) => `${e.field} ${e.message}`).join('; ')}.`, { extra: { errors: checked.errors } });
  }
  const value = JSON.stringify(checked.value);
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('insider_settings')
      .values({ org_id: orgId, thresholds: value, updated_by: acting.principal.userId })
      .onConflict((oc) => oc.column('org_id').doUpdateSet({ thresholds: value, updated_by: acting.principal.userId, updated_at: new Date() }))
      .execute();
    await deps.audit.append(trx, { ...base(acting), action: 'insider.thresholds_change', result: 'success', details: { before: current as unknown as Record<string, unknown>, after: checked.value as unknown as Record<string, unknown> } });
  });
  deps.onContextChange?.(orgId);
  return readThresholds(deps, orgId);
}

/** A leaver's last day (or null to cancel): the engine watches their access until then. */
export async function scheduleDeactivation(deps: InsiderDeps, acting: Acting, userId: string, at: string | null, now = new Date()) {
  const orgId = acting.principal.orgId;
  const when = at === null ? null : new Date(at);
  if (when && (Number.isNaN(when.getTime()) || when.getTime() <= now.getTime())) {
    throw new AppError('validation_failed', 'The deactivation date must be in the future.', { extra: { errors: [{ field: 'at', message: 'must be in the future' }] } });
  }
  await deps.db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').where('org_id', '=', orgId).where('id', '=', userId).select(['id', 'status']).forUpdate().executeTakeFirst();
    if (!user) throw new AppError('not_found', 'No such person.');
    if (user.status === 'deactivated' && when) throw new AppError('conflict', 'This account is already deactivated.');
    await trx.updateTable('users').set({ deactivation_scheduled_at: when }).where('id', '=', userId).execute();
    await deps.audit.append(trx, { ...base(acting), action: 'insider.deactivation_schedule', object: { type: 'user', id: userId }, result: 'success', details: { at: when?.toISOString() ?? null } });
  });
  deps.onContextChange?.(orgId);
  return { userId, at: when?.toISOString() ?? null };
}
