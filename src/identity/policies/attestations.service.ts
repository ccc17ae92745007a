/**
 * Staff attestation of the internal policy (decision 0213). The version in force asks each person whose role
 * it targets (its audience; empty: everyone) to confirm they read it; until they do, the console shows the
 * "read and confirm" screen (the API keeps working). Attesting is idempotent (one row per person and
 * version; a repeat records nothing) and counts only for the version attested: a new version asks again,
 * and a replaced version can no longer be attested. Each attestation is audited in the same transaction.
 * Pure rules first (`isTargeted`, `dueAtOf`), so training can list attestations beside its modules.
 */
import { AppError } from '../../platform/errors.js';
import { scopeOf, type Principal } from '../auth/access.js';
import { ATTESTATION_DUE_DAYS } from '../../platform/http/schemas/policies.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { digestOf } from './generated.js';
import { versionInForce, type VersionRow } from './current.js';
import { actingOf, generatedMarkdown, renderVersion, type PolicyActor, type PolicyDeps } from './versions.service.js';
import './schema.js';

const DAY_MS = 86_400_000;

/** Does this version ask someone holding these roles to attest? */
export function isTargeted(audience: readonly string[], roleKeys: readonly string[]): boolean {
  return audience.length === 0 || roleKeys.some((k) => audience.includes(k));
}

export function dueAtOf(version: Pick<VersionRow, 'effective_at'>): Date {
  return new Date(new Date(version.effective_at as Date).getTime() + ATTESTATION_DUE_DAYS * DAY_MS);
}

async function attestationsOf(db: Executor, orgId: string, userId: string) {
  const rows = await db
    .selectFrom('policy_attestations as a')
    .innerJoin('data_policy_versions as v', 'v.id', 'a.version_id')
    .where('a.org_id', '=', orgId)
    .where('a.user_id', '=', userId)
    .select(['a.version_id', 'v.version', 'v.title', 'a.attested_at'])
    .orderBy('a.attested_at', 'desc')
    .execute();
  return rows.map((r) => ({ versionId: r.version_id, version: r.version as number, title: r.title, attestedAt: new Date(r.attested_at as Date).toISOString() }));
}

/** Does this person still have to attest the internal version in force? (The console's gate asks this.) */
export async function pendingAttestation(db: Executor, p: Pick<Principal, 'orgId' | 'userId' | 'roleKeys'>, now = new Date()): Promise<VersionRow | null> {
  const current = await versionInForce(db, p.orgId, 'internal', now);
  if (!current || !isTargeted(current.audience, p.roleKeys)) return null;
  const done = await db.selectFrom('policy_attestations').where('version_id', '=', current.id).where('user_id', '=', p.userId).select('user_id').executeTakeFirst();
  return done ? null : current;
}

/** The internal policy in force (rendered), whether the caller must attest, and what they attested before. */
export async function readMyPolicy(deps: PolicyDeps, p: Principal, now = new Date()) {
  const current = await versionInForce(deps.db, p.orgId, 'internal', now);
  const pending = await pendingAttestation(deps.db, p, now);
  return {
    current: current ? await renderVersion(deps, deps.db, current, 'in_force') : null,
    pending: pending !== null,
    dueAt: pending ? dueAtOf(pending).toISOString() : null,
    attestations: await attestationsOf(deps.db, p.orgId, p.userId),
  };
}

/** Records that the caller read and confirmed a version. Idempotent; only the version in force may be attested. */
export async function attestPolicy(deps: PolicyDeps, actor: PolicyActor, versionId: string, now = new Date()) {
  const p = actor.principal;
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('data_policy_versions').where('id', '=', versionId).where('org_id', '=', p.orgId).where('kind', '=', 'internal').where('status', '=', 'published').selectAll().executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such policy version.');
    const current = await versionInForce(trx, p.orgId, 'internal', now);
    if (current?.id !== row.id) {
      throw new AppError('conflict', new Date(row.effective_at as Date) > now ? 'This version is not in force yet.' : 'This version has been replaced: read the current one and confirm that.');
    }
    const inserted = await trx
      .insertInto('policy_attestations')
      .values({ version_id: row.id, user_id: p.userId, org_id: p.orgId, generated_sha256: digestOf(await generatedMarkdown(deps, trx, p.orgId)), attested_at: now })
      .onConflict((oc) => oc.columns(['version_id', 'user_id']).doNothing())
      .returning('attested_at')
      .executeTakeFirst();
    if (inserted) {
      await deps.audit.append(trx, { ...actingOf(actor), action: 'attestation.record', object: { type: 'data_policy', id: row.id }, result: 'success', details: { version: row.version, title: row.title } });
      return { versionId: row.id, version: row.version as number, attestedAt: new Date(inserted.attested_at as Date).toISOString(), already: false };
    }
    const existing = await trx.selectFrom('policy_attestations').where('version_id', '=', row.id).where('user_id', '=', p.userId).select('attested_at').executeTakeFirstOrThrow();
    return { versionId: row.id, version: row.version as number, attestedAt: new Date(existing.attested_at as Date).toISOString(), already: true };
  });
}

/** Who may see whose attestations: policies.manage and an organisation-wide training.read see everyone; a team-scoped training.read, their teams. */
function followScope(p: Principal): 'org' | 'team' | null {
  if (scopeOf(p, 'policies.manage')) return 'org';
  const s = scopeOf(p, 'training.read');
  return s === 'org' ? 'org' : s ? 'team' : null;
}

async function inTeams(db: Executor, p: Principal, userId: string): Promise<boolean> {
  if (!p.teamIds.length) return false;
  return Boolean(await db.selectFrom('team_members').where('user_id', '=', userId).where('team_id', 'in', [...p.teamIds]).select('user_id').executeTakeFirst());
}

/** Everyone the version in force targets who has not attested it (overdue after ATTESTATION_DUE_DAYS). Audited. */
export async function readOutstanding(deps: PolicyDeps, actor: PolicyActor, now = new Date()) {
  const p = actor.principal;
  const scope = followScope(p);
  if (!scope) throw new AppError('forbidden', 'Your role does not allow this.', { internal: 'missing training.read or policies.manage' });
  const current = await versionInForce(deps.db, p.orgId, 'internal', now);
  if (!current) return { version: null, items: [], attested: 0 };
  let q = deps.db
    .selectFrom('users as u')
    .where('u.org_id', '=', p.orgId)
    .where('u.status', '=', 'active')
    .select((eb) => [
      'u.id', 'u.name', 'u.email',
      eb.selectFrom('user_roles as ur').innerJoin('roles as r', 'r.id', 'ur.role_id').whereRef('ur.user_id', '=', 'u.id').select((e2) => e2.fn.agg<string[]>('array_agg', ['r.key']).as('k')).as('roles'),
      eb.exists(eb.selectFrom('policy_attestations as a').whereRef('a.user_id', '=', 'u.id').where('a.version_id', '=', current.id).select('a.user_id')).as('attested'),
    ])
    .orderBy('u.name');
  if (scope === 'team') {
    const teams = [...p.teamIds];
    q = q.where((eb) => eb.or([eb('u.id', '=', p.userId), ...(teams.length ? [eb('u.id', 'in', eb.selectFrom('team_members').where('team_id', 'in', teams).select('user_id'))] : [])]));
  }
  const rows = (await q.execute()).filter((r) => isTargeted(current.audience, r.roles ?? []));
  const due = dueAtOf(current);
  const items = rows.filter((r) => !r.attested).map((r) => ({ userId: r.id, name: r.name, email: r.email, roles: r.roles ?? [], dueAt: due.toISOString(), overdue: due <= now }));
  await deps.db.transaction().execute((trx) => deps.audit.append(trx, { ...actingOf(actor), action: 'attestation.outstanding.read', object: { type: 'data_policy', id: current.id }, result: 'success', details: { scope, outstanding: items.length } }));
  return {
    version: { id: current.id, version: current.version as number, title: current.title, effectiveAt: new Date(current.effective_at as Date).toISOString() },
    items,
    attested: rows.length - items.length,
  };
}

/** One person's attestations: the caller's own, or someone's in the caller's scope (another's: not found). */
export async function readPersonAttestations(deps: PolicyDeps, actor: PolicyActor, userId: string) {
  const p = actor.principal;
  if (userId !== p.userId) {
    const scope = followScope(p);
    if (!scope) throw new AppError('forbidden', 'Your role does not allow this.', { internal: 'missing training.read or policies.manage' });
    const user = await deps.db.selectFrom('users').where('id', '=', userId).where('org_id', '=', p.orgId).select('id').executeTakeFirst();
    if (!user || (scope === 'team' && !(await inTeams(deps.db, p, userId)))) throw new AppError('not_found', 'No such person.');
  }
  return { userId, items: await attestationsOf(deps.db, p.orgId, userId) };
}
