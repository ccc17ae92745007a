/** The organisation's device settings (organisation setting `devices`, decision 0222): whether new devices need approval. */
import type { Executor } from '../../protection/crypto/keyring.js';
import { readOrgSetting, writeOrgSetting } from '../organization/settings.js';

export async function readDeviceSettings(db: Executor, orgId: string): Promise<{ approvalRequired: boolean }> {
  const v = (await readOrgSetting(db, orgId, 'devices')) as { approvalRequired?: boolean } | undefined;
  return { approvalRequired: v?.approvalRequired === true };
}

export async function writeDeviceSettings(db: Executor, orgId: string, value: { approvalRequired: boolean }): Promise<void> {
  await writeOrgSetting(db, orgId, 'devices', value);
}

