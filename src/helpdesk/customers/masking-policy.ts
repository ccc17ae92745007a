/**
 * The organisation's field masking policy (settings.masking, decision 0143):
 * which customer fields each role sees in clear on the tickets it may read,
 * which reveals need a fresh second factor, and what a reveal reason must
 * carry. The pure rules come first; loading and changing the policy (audited
 * with before and after, in the same transaction) at the end.
 */
import { writeOrgSetting } from '../../identity/organization/settings.js';
import { sql, type Kysely } from 'kysely';
import { Value } from 'typebox/value';
import type { Principal } from '../../identity/auth/access.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import { revealReasonProblem, REVEAL_REASON_MIN } from '../../platform/http/schemas/customers.js';
import { DEFAULT_CLEAR_FIELDS, MASKING_FIELDS, MaskingPolicy, type MaskingField } from '../../platform/http/schemas/masking.js';

export { MASKING_FIELDS, type MaskingField, type MaskingPolicy } from '../../platform/http/schemas/masking.js';

/** Today's rules: the name in clear for every role, everything else masked; every reveal steps up; no categories. */
export const DEFAULT_MASKING_POLICY: MaskingPolicy = {
  clear: {},
  stepUp: [...MASKING_FIELDS],
  reasons: { minLength: REVEAL_REASON_MIN, categories: [] },
};

/** The stored policy, or the default when none is stored or it no longer validates (the default is the strict side). */
export function parseMaskingPolicy(stored: unknown): MaskingPolicy {
  if (stored === undefined || stored === null || !Value.Check(MaskingPolicy, stored)) return structuredClone(DEFAULT_MASKING_POLICY);
  const p = stored as MaskingPolicy;
  return { clear: { ...p.clear }, stepUp: [...p.stepUp], reasons: { minLength: Math.max(p.reasons.minLength, REVEAL_REASON_MIN), categories: [...p.reasons.categories] } };
}

/** The fields a role sees in clear. */
export function clearFieldsOfRole(policy: MaskingPolicy, roleKey: string): readonly MaskingField[] {
  return Object.hasOwn(policy.clear, roleKey) ? (policy.clear[roleKey] ?? []) : DEFAULT_CLEAR_FIELDS;
}

/** The fields someone holding these roles sees in clear: the union, as the widest grant of a permission wins. */
export function clearFieldsFor(policy: MaskingPolicy, roleKeys: readonly string[]): Set<MaskingField> {
  const out = new Set<MaskingField>();
  for (const key of roleKeys) for (const f of clearFieldsOfRole(policy, key)) out.add(f);
  return out;
}

/** In MASKING_FIELDS order, for audit details and answers that must not depend on how the set was built. */
export function orderedFields(fields: Iterable<MaskingField>): MaskingField[] {
  const set = new Set(fields);
  return MASKING_FIELDS.filter((f) => set.has(f));
}

export function revealNeedsStepUp(policy: MaskingPolicy, field: MaskingField): boolean {
  return policy.stepUp.includes(field);
}

/** Why a reveal's reason (and category) is not acceptable under the policy, or null. */
export function revealReasonProblemUnder(policy: MaskingPolicy, reason: string, category: string | undefined): string | null {
  const base = revealReasonProblem(reason);
  if (base) return base;
  if (reason.trim().length < policy.reasons.minLength) return `Give a reason of at least ${policy.reasons.minLength} characters for revealing this field.`;
  const categories = policy.reasons.categories;
  if (categories.length > 0 && (category === undefined || !categories.includes(category))) return `Pick one of the reason categories: ${categories.join(', ')}.`;
  if (categories.length === 0 && category !== undefined) return 'This organisation has no reason categories; give the reason as text only.';
  return null;
}

/** Checks an administrator's policy against the organisation's roles; throws validation_failed naming the first problem. */
export function validateMaskingPolicy(policy: MaskingPolicy, roleKeys: readonly string[]): MaskingPolicy {
  if (!Value.Check(MaskingPolicy, policy)) throw new AppError('validation_failed', 'The masking policy is malformed.');
  const known = new Set(roleKeys);
  const unknown = Object.keys(policy.clear).filter((k) => !known.has(k));
  if (unknown.length) throw new AppError('validation_failed', `Unknown role: ${unknown.slice(0, 5).join(', ')}.`);
  const categories = policy.reasons.categories.map((c) => c.trim());
  if (new Set(categories).size !== categories.length) throw new AppError('validation_failed', 'Reason categories must differ from one another.');
  return {
    clear: Object.fromEntries(Object.entries(policy.clear).map(([k, v]) => [k, orderedFields(v)])),
    stepUp: orderedFields(policy.stepUp),
    reasons: { minLength: policy.reasons.minLength, categories },
  };
}

/**
 * The organisation's policy. Read on every use, in the caller's transaction when given (no cache:
 * a tightened policy holds on every instance at once).
 */
export async function loadMaskingPolicy(exec: Executor, orgId: string): Promise<MaskingPolicy> {
  const row = await exec.selectFrom('organizations').where('id', '=', orgId).select(sql<unknown>`settings->'masking'`.as('masking')).executeTakeFirst();
  return parseMaskingPolicy(row?.masking);
}

/** The fields this principal sees in clear under their organisation's policy. */
export async function clearFieldsOfPrincipal(exec: Executor, p: Pick<Principal, 'orgId' | 'roleKeys'>): Promise<Set<MaskingField>> {
  return clearFieldsFor(await loadMaskingPolicy(exec, p.orgId), p.roleKeys);
}

/** The policy with every current role listed (the administration table), and the roles themselves. */
export async function readMaskingPolicy(exec: Executor, p: Pick<Principal, 'orgId' | 'roleKeys'>) {
  const policy = await loadMaskingPolicy(exec, p.orgId);
  const roles = await exec.selectFrom('roles').where('org_id', '=', p.orgId).select(['key', 'name', 'built_in']).orderBy('built_in', 'desc').orderBy('name').execute();
  const clear = Object.fromEntries(roles.map((r) => [r.key, orderedFields(clearFieldsOfRole(policy, r.key))]));
  return {
    policy: { ...policy, clear },
    roles: roles.map((r) => ({ key: r.key, name: r.name, builtIn: r.built_in })),
    mine: orderedFields(clearFieldsFor(policy, p.roleKeys)),
  };
}

/** Replaces the policy (settings.masking only) and records before and after in the same transaction. */
export async function updateMaskingPolicy(
  deps: { db: Kysely<Database>; audit: AuditLog },
  ctx: { principal: Principal; requestId?: string | null; sourceIp?: string | null },
  input: MaskingPolicy,
): Promise<void> {
  const p = ctx.principal;
  await deps.db.transaction().execute(async (trx) => {
    // The row lock orders concurrent changes, so each entry's `before` is what the change replaced.
    const row = await trx.selectFrom('organizations').where('id', '=', p.orgId).select(sql<unknown>`settings->'masking'`.as('masking')).forUpdate().executeTakeFirstOrThrow();
    const roles = await trx.selectFrom('roles').where('org_id', '=', p.orgId).select('key').execute();
    const after = validateMaskingPolicy(input, roles.map((r) => r.key));
    const before = parseMaskingPolicy(row.masking);
    await writeOrgSetting(trx, p.orgId, 'masking', after);
    await deps.audit.append(trx, {
      orgId: p.orgId,
      actor: { type: 'user', id: p.userId },
      action: 'policy.masking_change',
      object: { type: 'organization', id: p.orgId },
      result: 'success',
      details: { before, after },
      requestId: ctx.requestId ?? null,
      sourceIp: ctx.sourceIp ?? null,
    });
  });
}
