/**
 * Who may do what with an access review. Deny by default; the same answers go
 * to the web app as abilities. The SQL form of `canViewCampaign` (for lists)
 * is `visibleCampaigns` in access-reviews.repository.ts and must agree with it.
 *
 * - start: 'reviews.manage' at org scope (any campaign), or at team scope for a
 *   campaign over one of one's own teams.
 * - close / export: the same reach over the campaign's scope.
 * - decide: the campaign's reviewer holding 'reviews.decide', or anyone with
 *   'reviews.manage' at org scope; never on one's own access.
 * - view: anyone who may manage or decide, and the reviewer after closing.
 */
import { scopeOf, type Principal } from '../auth/access.js';
import type { CampaignAbilities } from './views.js';

export interface CampaignRef {
  orgId: string;
  teamId: string | null;
  reviewerId: string | null;
  status: 'open' | 'closed';
}

export function canStartCampaign(p: Principal, teamId: string | null): boolean {
  const scope = scopeOf(p, 'reviews.manage');
  if (scope === 'org') return true;
  return scope === 'team' && teamId !== null && p.teamIds.includes(teamId);
}

export function canManageCampaign(p: Principal, c: CampaignRef): boolean {
  if (c.orgId !== p.orgId) return false;
  return canStartCampaign(p, c.teamId);
}

function isReviewer(p: Principal, c: CampaignRef): boolean {
  return c.orgId === p.orgId && c.reviewerId === p.userId && scopeOf(p, 'reviews.decide') !== null;
}

export function canDecideIn(p: Principal, c: CampaignRef): boolean {
  if (c.orgId !== p.orgId || c.status !== 'open') return false;
  return isReviewer(p, c) || scopeOf(p, 'reviews.manage') === 'org';
}

export function canViewCampaign(p: Principal, c: CampaignRef): boolean {
  return canManageCampaign(p, c) || isReviewer(p, c);
}

/** An item is decided once, and never by the person whose access it is. */
export function canDecideItem(p: Principal, c: CampaignRef, item: { userId: string; decision: string | null }): boolean {
  return canDecideIn(p, c) && item.userId !== p.userId && item.decision === null;
}

export function campaignAbilities(p: Principal, c: CampaignRef): CampaignAbilities {
  return { decide: canDecideIn(p, c), close: c.status === 'open' && canManageCampaign(p, c), export: canManageCampaign(p, c) };
}
