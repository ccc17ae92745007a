/**
 * Which organisation a portal page belongs to. An organisation with its own
 * host name (decision 0238) is the one its host serves, and is served only
 * there. On the installation's own address, an installation made by
 * `trustdesk setup` has one organisation, so the portal finds it without being
 * told (the only one without a host name of its own); with several, the page must name one (`?org=<id>` in the portal
 * address, which sign-in links and the request form carry on). Only the id and
 * the name are public: both already appear on the public request form.
 */
import { AppError } from '../../platform/errors.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { assertServedHere, organizationAtHost } from '../../identity/organizations/hosts.js';
import { SUSPENDED_MESSAGE } from '../../identity/organizations/status.js';

export interface PortalHostDeps {
  db: Executor;
  /** The installation's address (TRUSTDESK_PUBLIC_URL). */
  publicUrl: string;
}

/**
 * The organisation a public portal request is for: the one it names, else the one whose host it came to, else the
 * only one. A suspended organisation's portal refuses with the reason; a deleted one is not found (decision 0202);
 * one named on a host that is not its own is "not here", with its address.
 */
export async function portalOrganization(deps: PortalHostDeps, orgId: string | undefined, hostname: string | undefined): Promise<{ id: string; name: string }> {
  const atHost = await organizationAtHost(deps, hostname);
  const base = deps.db.selectFrom('organizations').where('status', '<>', 'deleted').select(['id', 'name', 'status', 'host_name']);
  const wanted = orgId ?? atHost?.id;
  let org;
  if (wanted) {
    org = await base.where('id', '=', wanted).executeTakeFirst();
    if (!org) throw new AppError('not_found', 'No such organisation.');
  } else {
    // The only organisation served at this address: those with a host name of their own are served there. When the
    // only organisation there is has one, the refusal below names it.
    let orgs = await base.where('host_name', 'is', null).orderBy('created_at').limit(2).execute();
    if (orgs.length === 0) orgs = await base.orderBy('created_at').limit(2).execute();
    if (orgs.length !== 1) throw new AppError('not_found', 'Open the portal from the link your support team gave you.');
    org = orgs[0]!;
  }
  assertServedHere(org, { hostname, atHost, publicUrl: deps.publicUrl });
  if (org.status === 'suspended') throw new AppError('forbidden', SUSPENDED_MESSAGE);
  return { id: org.id, name: org.name };
}

/** A signed-in customer's requests come to their organisation's host only (their cookie is that host's anyway). */
export async function assertPortalSessionHost(deps: PortalHostDeps, org: { id: string; host_name: string | null }, hostname: string | undefined): Promise<void> {
  assertServedHere(org, { hostname, atHost: org.host_name ? null : await organizationAtHost(deps, hostname), publicUrl: deps.publicUrl });
}
