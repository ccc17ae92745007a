/**
 * The organisation's assignment settings (organizations.settings.assignment): whether replying to an
 * unassigned ticket assigns it to the replier (default on).
 */
import type { Executor } from '../../protection/crypto/keyring.js';
import { readOrgSetting, writeOrgSetting } from '../../identity/organization/settings.js';

export interface AssignmentSettings {
  assignOnReply: boolean;
}

export async function loadAssignmentSettings(db: Executor, orgId: string): Promise<AssignmentSettings> {
  const stored = (await readOrgSetting(db, orgId, 'assignment')) as { assignOnReply?: unknown } | undefined;
  // Anything but an explicit false keeps the default.
  return { assignOnReply: stored?.assignOnReply !== false };
}

export async function storeAssignmentSettings(trx: Executor, orgId: string, value: AssignmentSettings): Promise<void> {
  await writeOrgSetting(trx, orgId, 'assignment', { assignOnReply: value.assignOnReply });
}
