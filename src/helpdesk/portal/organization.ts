/**
 * Which organisation a portal page belongs to. An installation made by
 * `trustdesk setup` has one organisation, so the portal finds it without being
 * told; with several, the page must name one (`?org=<id>` in the portal
 * address, which sign-in links and the request form carry on). Only the id and
 * the name are public: both already appear on the public request form.
 */
import { AppError } from '../../platform/errors.js';
import { SUSPENDED_MESSAGE } from '../../identity/organizations/status.js';
import type { PortalDeps } from './deps.js';

/** A suspended organisation's portal refuses with the reason; a deleted one is not found (decision 0202). */
export async function portalOrganization(deps: Pick<PortalDeps, 'db'>, orgId?: string): Promise<{ id: string; name: string }> {
  const base = deps.db.selectFrom('organizations').where('status', '<>', 'deleted').select(['id', 'name', 'status']);
  let org;
  if (orgId) {
    org = await base.where('id', '=', orgId).executeTakeFirst();
    if (!org) throw new AppError('not_found', 'No such organisation.');
  } else {
    const orgs = await base.orderBy('created_at').limit(2).execute();
    if (orgs.length !== 1) throw new AppError('not_found', 'Open the portal from the link your support team gave you.');
    org = orgs[0]!;
  }
  if (org.status === 'suspended') throw new AppError('forbidden', SUSPENDED_MESSAGE);
  return { id: org.id, name: org.name };
}
