/**
 * One key of an organisation's settings document (`organizations.settings`, jsonb). Each feature owns its key
 * and writes only that key with jsonb_set, so two features saving at once never overwrite each other.
 */
import { sql } from 'kysely';
import type { Executor } from '../../protection/crypto/keyring.js';

/** The stored value under `key`, or undefined (no organisation, or never set). */
export async function readOrgSetting(db: Executor, orgId: string, key: string): Promise<unknown> {
  const row = await db.selectFrom('organizations').where('id', '=', orgId).select('settings').executeTakeFirst();
  return (row?.settings as Record<string, unknown> | null | undefined)?.[key];
}

export async function writeOrgSetting(trx: Executor, orgId: string, key: string, value: unknown): Promise<void> {
  await sql`UPDATE organizations SET settings = jsonb_set(settings, ARRAY[${key}]::text[], ${JSON.stringify(value)}::jsonb, true) WHERE id = ${orgId}`.execute(trx);
}
