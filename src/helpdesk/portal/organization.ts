/**
 * Which organisation a portal page belongs to. An installation made by
 * `trustdesk setup` has one organisation, so the portal finds it without being
 * told; with several, the page must name one (`?org=<id>` in the portal
 * address, which sign-in links and the request form carry on). Only the id and
 * the name are public: both already appear on the public request form.
 */
import { AppError } from '../../platform/errors.js';
import type { PortalDeps } from './deps.js';

export async function portalOrganization(deps: Pick<PortalDeps, 'db'>, orgId?: string): Promise<{ id: string; name: string }> {
  if (orgId) {
    const org = await deps.db.selectFrom('organizations').where('id', '=', orgId).select(['id', 'name']).executeTakeFirst();
    if (!org) throw new AppError('not_found', 'No such organisation.');
    return org;
  }
  const orgs = await deps.db.selectFrom('organizations').select(['id', 'name']).orderBy('created_at').limit(2).execute();
  if (orgs.length !== 1) throw new AppError('not_found', 'Open the portal from the link your support team gave you.');
  return orgs[0] as { id: string; name: string };
}
