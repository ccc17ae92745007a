/**
 * Whether solving an email ticket sends the satisfaction survey (organizations.settings.csat.enabled,
 * default on).
 */
import type { Executor } from '../../protection/crypto/keyring.js';
import { readOrgSetting, writeOrgSetting } from '../../identity/organization/settings.js';

export interface CsatSettings {
  enabled: boolean;
}

export async function loadCsatSettings(db: Executor, orgId: string): Promise<CsatSettings> {
  const stored = (await readOrgSetting(db, orgId, 'csat')) as { enabled?: unknown } | undefined;
  // Anything but an explicit false keeps the default.
  return { enabled: stored?.enabled !== false };
}

export async function storeCsatSettings(trx: Executor, orgId: string, value: CsatSettings): Promise<void> {
  await writeOrgSetting(trx, orgId, 'csat', { enabled: value.enabled });
}
