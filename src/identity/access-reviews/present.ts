/**
 * Rows to views: what a caller sees of a campaign and its items. Dates as ISO
 * strings, snapshot labels as stored at the start of the campaign.
 */
import type { CampaignRow, ItemCounts, ItemRow } from './access-reviews.repository.js';
import type { CampaignView, ItemView } from './views.js';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function presentCampaign(row: CampaignRow, counts: ItemCounts | undefined, teamName: string | null): CampaignView {
  return {
    id: row.id,
    name: row.name,
    teamId: row.team_id,
    teamName,
    createdBy: row.created_by,
    reviewerId: row.reviewer_id,
    deadline: row.deadline.toISOString(),
    revokeUndecided: row.revoke_undecided,
    dormantDays: row.dormant_days,
    unusedDays: row.unused_days,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    closedAt: iso(row.closed_at),
    closeReason: row.close_reason,
    counts: counts ?? { total: 0, certified: 0, revoked: 0, undecided: 0 },
  };
}

export function presentItem(row: ItemRow): ItemView {
  return {
    id: row.id,
    userId: row.user_id,
    userEmail: row.subject_email,
    userName: row.subject_name,
    kind: row.kind,
    roleId: row.role_id,
    roleKey: row.role_key,
    roleName: row.role_name,
    teamId: row.team_id,
    teamName: row.team_name,
    lastSigninAt: iso(row.last_signin_at),
    dormant: row.dormant,
    deprovisioned: row.deprovisioned,
    grantedPermissions: row.granted_permissions,
    unusedPermissions: row.unused_permissions,
    decision: row.decision,
    decidedBy: row.decided_by,
    decidedAt: iso(row.decided_at),
    comment: row.comment,
    appliedAt: iso(row.applied_at),
  };
}
