/**
 * Whether an organisation takes work: the one check every way in asks (staff
 * sign-in and sessions, API tokens, inbound mail, the chat widget, the portal).
 * A suspended organisation keeps its data and answers with SUSPENDED_MESSAGE;
 * a deleted one is gone and answers like an organisation that never existed.
 */
import type { Executor } from '../../protection/crypto/keyring.js';
import { AppError } from '../../platform/errors.js';

export type OrganizationStatus = 'active' | 'suspended' | 'deleted';

export const SUSPENDED_MESSAGE = 'This organisation is suspended: it takes no sign-in and no requests until its provider resumes it. Its data is kept.';

export async function organizationStatus(db: Executor, orgId: string): Promise<OrganizationStatus | null> {
  const row = await db.selectFrom('organizations').where('id', '=', orgId).select('status').executeTakeFirst();
  return row?.status ?? null;
}

/** Throws unless the organisation is active: suspended → 403 with the reason, deleted or unknown → 404 (`missing`). */
export async function assertOrganizationOpen(db: Executor, orgId: string, missing = 'No such organisation.'): Promise<void> {
  const status = await organizationStatus(db, orgId);
  if (status === 'suspended') throw new AppError('forbidden', SUSPENDED_MESSAGE, { internal: `organisation ${orgId} suspended` });
  if (status !== 'active') throw new AppError('not_found', missing);
}
