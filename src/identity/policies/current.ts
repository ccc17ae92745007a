/**
 * Which published version of a policy is in force (decision 0212): the highest version whose effective date
 * has come. Kept apart from the services so the mail code can ask it without importing them.
 */
import type { Selectable } from 'kysely';
import type { Executor } from '../../protection/crypto/keyring.js';
import type { DataPolicyVersionsTable, PolicyKind } from './schema.js';
import './schema.js';

export type VersionRow = Selectable<DataPolicyVersionsTable>;

/** Published versions of one kind, newest first. */
export function publishedVersions(db: Executor, orgId: string, kind: PolicyKind): Promise<VersionRow[]> {
  return db.selectFrom('data_policy_versions').where('org_id', '=', orgId).where('kind', '=', kind).where('status', '=', 'published').selectAll().orderBy('version', 'desc').execute();
}

/** The version in force at `now`: the highest whose effective date has come. */
export function inForce(rows: VersionRow[], now: Date): VersionRow | null {
  return rows.filter((r) => new Date(r.effective_at as Date) <= now).sort((a, b) => (b.version ?? 0) - (a.version ?? 0))[0] ?? null;
}

export async function versionInForce(db: Executor, orgId: string, kind: PolicyKind, now = new Date()): Promise<VersionRow | null> {
  return inForce(await publishedVersions(db, orgId, kind), now);
}
