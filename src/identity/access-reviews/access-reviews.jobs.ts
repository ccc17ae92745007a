/**
 * The timer's work for access reviews, safe to run on every instance at once:
 * each step claims its row with a conditional UPDATE first, so a reminder goes
 * out once a day at most and a campaign closes once.
 *
 * - Deadline: an open campaign past its deadline closes; if it says
 *   `revoke_undecided`, every undecided item is revoked (access removed,
 *   sessions ended), all in one transaction with its audit events.
 * - Reminders: the reviewer of an open campaign with undecided items gets an
 *   email, at most once per REMINDER_INTERVAL_MS.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Database } from '../../platform/db/schema.js';
import type { Mailer } from '../../platform/notify/mailer.js';
import {
  claimDecision, claimReminder, countItems, findCampaignsToRemind, findDueCampaigns, isLastRoleManager, listItems, markClosed, type CampaignRow,
} from './access-reviews.repository.js';
import { applyRevocation } from './decisions.js';

export const REMINDER_INTERVAL_MS = 24 * 3_600_000;
const SYSTEM = { type: 'system' as const, id: 'access-review-jobs' };
const DEADLINE_COMMENT = 'Not decided by the deadline: revoked automatically.';

export interface AccessReviewJobDeps {
  db: Kysely<Database>;
  audit: AuditLog;
  mailer: Mailer;
  now?: Date;
  /** Base URL for links in reminders (the reviewer still signs in as usual). */
  publicUrl?: string;
  logger?: Logger;
}

export interface AccessReviewJobResult {
  closed: number;
  revoked: number;
  /** Items left undecided because revoking them would lock the organisation out. */
  kept: number;
  reminded: number;
  failed: number;
}

export async function runAccessReviewJobs(deps: AccessReviewJobDeps): Promise<AccessReviewJobResult> {
  const now = deps.now ?? new Date();
  const result: AccessReviewJobResult = { closed: 0, revoked: 0, kept: 0, reminded: 0, failed: 0 };
  for (const campaign of await findDueCampaigns(deps.db, now)) {
    try {
      const r = await closeAtDeadline(deps, campaign, now);
      if (r) {
        result.closed += 1;
        result.revoked += r.revoked;
        result.kept += r.kept;
      }
    } catch (err) {
      result.failed += 1;
      deps.logger?.error({ err, campaignId: campaign.id }, 'access review deadline processing failed');
    }
  }
  for (const campaign of await findCampaignsToRemind(deps.db, { now, intervalMs: REMINDER_INTERVAL_MS })) {
    try {
      if (await remindReviewer(deps, campaign, now)) result.reminded += 1;
    } catch (err) {
      result.failed += 1;
      deps.logger?.error({ err, campaignId: campaign.id }, 'access review reminder failed');
    }
  }
  return result;
}

async function closeAtDeadline(deps: AccessReviewJobDeps, campaign: CampaignRow, now: Date): Promise<{ revoked: number; kept: number } | null> {
  return deps.db.transaction().execute(async (trx) => {
    // Consume first: the instance whose UPDATE closes the campaign does the rest.
    const closed = await markClosed(trx, { id: campaign.id, closedBy: null, reason: 'deadline', now });
    if (!closed) return null;
    const event = { orgId: campaign.org_id, actor: SYSTEM, requestId: null, sourceIp: null };
    let revoked = 0;
    let kept = 0;
    if (closed.revoke_undecided) {
      for (const item of await listItems(trx, campaign.id, { undecidedOnly: true })) {
        if (item.kind === 'role' && item.role_id) {
          // Checked before claiming, so a refused item stays undecided rather than rolling the whole close back.
          if (await isLastRoleManager(trx, { orgId: campaign.org_id, userId: item.user_id, roleId: item.role_id })) {
            kept += 1;
            await deps.audit.append(trx, { ...event, action: 'access_review.item.revoke', object: { type: 'access_review_item', id: item.id }, result: 'denied', details: { campaignId: campaign.id, userId: item.user_id, reason: 'last role manager' } });
            continue;
          }
        }
        const claimed = await claimDecision(trx, { itemId: item.id, campaignId: campaign.id, decision: 'revoke', decidedBy: null, comment: DEADLINE_COMMENT, now });
        if (!claimed) continue;
        await applyRevocation(trx, { audit: deps.audit, item: claimed, orgId: campaign.org_id, now, event, reason: 'deadline' });
        revoked += 1;
      }
    }
    const counts = (await countItems(trx, [campaign.id])).get(campaign.id);
    await deps.audit.append(trx, { ...event, action: 'access_review.close', object: { type: 'access_review', id: campaign.id }, result: 'success', details: { reason: 'deadline', revokeUndecided: closed.revoke_undecided, revoked, kept, ...counts } });
    return { revoked, kept };
  });
}

/**
 * Claims the reminder, then sends it inside the same transaction: if sending
 * fails the claim rolls back and the next run tries again; only a failed
 * commit after a successful send could repeat a reminder.
 */
async function remindReviewer(deps: AccessReviewJobDeps, campaign: CampaignRow, now: Date): Promise<boolean> {
  if (!campaign.reviewer_id) return false;
  const reviewer = await deps.db.selectFrom('users').where('id', '=', campaign.reviewer_id).where('status', '=', 'active').select(['id', 'email']).executeTakeFirst();
  if (!reviewer) return false;
  return deps.db.transaction().execute(async (trx) => {
    if (!(await claimReminder(trx, { id: campaign.id, now, intervalMs: REMINDER_INTERVAL_MS }))) return false;
    const counts = (await countItems(trx, [campaign.id])).get(campaign.id);
    const undecided = counts?.undecided ?? 0;
    if (undecided === 0) return false;
    await deps.audit.append(trx, {
      orgId: campaign.org_id, actor: SYSTEM, action: 'access_review.remind', object: { type: 'access_review', id: campaign.id }, result: 'success',
      details: { reviewerId: reviewer.id, undecided },
    });
    const link = deps.publicUrl ? `\n\nOpen it here: ${deps.publicUrl.replace(/\/$/, '')}/access-reviews/${campaign.id}` : '';
    const after = campaign.revoke_undecided ? 'Access still undecided then will be revoked automatically.' : 'Undecided access will then stay as it is, unreviewed.';
    await deps.mailer.send({
      to: reviewer.email,
      subject: `Access review waiting: ${undecided} item${undecided === 1 ? '' : 's'} to decide`,
      text: `The access review "${campaign.name}" has ${undecided} item${undecided === 1 ? '' : 's'} waiting for your decision.\n`
        + `Deadline: ${campaign.deadline.toISOString()}. ${after}${link}\n`,
    });
    return true;
  });
}
