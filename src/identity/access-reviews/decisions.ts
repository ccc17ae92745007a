/**
 * Certify or revoke one item. A revocation removes the role or team
 * membership at once and ends the person's sessions (their privileges
 * changed), in the same transaction as the decision and its audit event. An
 * item is decided once; nobody decides on their own access; revoking needs a
 * fresh second factor (a stolen session must not be able to strip a team).
 */
import type { AuditEvent } from '../../protection/audit/entry.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import { requireFreshFactor } from '../auth/access.js';
import { revokeUserSessions } from '../auth/sessions.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { AppError } from '../../platform/errors.js';
import { claimDecision, findCampaign, isLastRoleManager, markApplied, removeAccess, type ItemRow } from './access-reviews.repository.js';
import { auditBase, campaignRef, loadVisibleCampaign, type AccessReviewDeps, type ReviewContext } from './access-reviews.service.js';
import { canDecideIn } from './policy.js';
import { presentItem } from './present.js';
import type { DecideItemInput, ItemView } from './views.js';

export async function decideItem(deps: AccessReviewDeps, ctx: ReviewContext, input: { campaignId: string; itemId: string } & DecideItemInput): Promise<ItemView> {
  const p = ctx.principal;
  const row = await loadVisibleCampaign(deps, ctx, input.campaignId);
  if (row.status !== 'open') throw new AppError('conflict', 'This access review is closed.');
  if (!canDecideIn(p, campaignRef(row))) throw new AppError('forbidden', 'Only this review’s reviewer may decide its items.');
  // Taking access away is a role change: it needs a fresh second factor, like any other (decision 0060).
  if (input.decision === 'revoke') requireFreshFactor(p);
  const now = ctx.now ?? new Date();
  return deps.db.transaction().execute(async (trx) => {
    // Shared lock: decisions proceed side by side; closing waits for them (and they for it).
    const campaign = await findCampaign(trx, input.campaignId, { lock: 'share' });
    if (campaign?.status !== 'open') throw new AppError('conflict', 'This access review is closed.');
    const item = await trx.selectFrom('access_review_items').where('id', '=', input.itemId).where('campaign_id', '=', input.campaignId).selectAll().executeTakeFirst();
    if (!item) throw new AppError('not_found', 'No such item in this access review.');
    if (item.user_id === p.userId) {
      throw new AppError('forbidden', 'You may not decide on your own access; someone else must.', { internal: 'self-review refused' });
    }
    const claimed = await claimDecision(trx, { itemId: item.id, campaignId: input.campaignId, decision: input.decision, decidedBy: p.userId, comment: input.comment, now });
    if (!claimed) throw new AppError('conflict', 'This item has already been decided.');
    const base = { ...auditBase(ctx), orgId: campaign.org_id };
    if (input.decision === 'certify') {
      await deps.audit.append(trx, { ...base, action: 'access_review.item.certify', object: { type: 'access_review_item', id: item.id }, result: 'success', details: itemFacts(claimed) });
      return presentItem(claimed);
    }
    const applied = await applyRevocation(trx, { audit: deps.audit, item: claimed, orgId: campaign.org_id, now, event: base });
    return presentItem(applied);
  });
}

/** Facts about an item for the audit trail: ids only, never names or addresses. */
export function itemFacts(item: ItemRow): Record<string, unknown> {
  return { campaignId: item.campaign_id, userId: item.user_id, kind: item.kind, roleId: item.role_id, roleKey: item.role_key, teamId: item.team_id };
}

/**
 * Applies a revoke decision already claimed in `trx`: removes the access,
 * ends the person's sessions, audits. Refuses to remove the last role through
 * which anyone active can still manage roles (the organisation would be
 * locked out of its own configuration).
 */
export async function applyRevocation(
  trx: Executor,
  v: { audit: AuditLog; item: ItemRow; orgId: string; now: Date; event: Pick<AuditEvent, 'orgId' | 'actor' | 'requestId' | 'sourceIp'>; reason?: string },
): Promise<ItemRow> {
  const { item } = v;
  if (item.kind === 'role' && item.role_id && (await isLastRoleManager(trx, { orgId: v.orgId, userId: item.user_id, roleId: item.role_id }))) {
    throw new AppError('conflict', 'Revoking this role would leave nobody able to manage roles. Give the role to someone else first.', { internal: 'last role manager' });
  }
  const removed = await removeAccess(trx, item);
  const sessionsEnded = removed ? await revokeUserSessions(trx, item.user_id, 'access review revocation') : 0;
  const after = removed ? await markApplied(trx, item.id, v.now) : item;
  await v.audit.append(trx, {
    ...v.event,
    action: 'access_review.item.revoke',
    object: { type: 'access_review_item', id: item.id },
    result: 'success',
    details: { ...itemFacts(item), removed, sessionsEnded, ...(v.reason ? { reason: v.reason } : {}) },
  });
  return after;
}
