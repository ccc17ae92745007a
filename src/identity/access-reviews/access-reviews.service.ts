/**
 * Access review campaigns: start (snapshot and flag), list, read, close and
 * export. Deciding items is in decisions.ts, the timer's work in
 * access-reviews.jobs.ts. Every change and its audit event commit together;
 * an object the caller may not see is "not found".
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Principal } from '../auth/access.js';
import { loadUserAccess } from '../auth/principals.js';
import type { AuditEvent } from '../../protection/audit/entry.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import {
  countItems, findCampaign, findExercisedPermissions, insertItems, listItems, listVisibleCampaigns, loadAccessSnapshot, markClosed, teamNames,
  type CampaignRow,
} from './access-reviews.repository.js';
import { formatCampaignCsv, formatCampaignJson, type CampaignExport } from './export.js';
import { buildItems } from './items.js';
import { campaignAbilities, canDecideItem, canManageCampaign, canStartCampaign, canViewCampaign } from './policy.js';
import { presentCampaign, presentItem } from './present.js';
import type { CampaignAbilities, CampaignView, CreateCampaignInput, ItemView } from './views.js';

export interface AccessReviewDeps {
  db: Kysely<Database>;
  audit: AuditLog;
}

/** Who is acting, from where, and when (tests pass `now`). */
export interface ReviewContext {
  principal: Principal;
  requestId?: string | null;
  sourceIp?: string | null;
  now?: Date;
}

export type CampaignWithAbilities = CampaignView & { abilities: CampaignAbilities };
export type ItemWithAbilities = ItemView & { abilities: { decide: boolean } };
export interface CampaignDetail {
  campaign: CampaignWithAbilities;
  items: ItemWithAbilities[];
}

export const DAY_MS = 86_400_000;

export function auditBase(ctx: ReviewContext): Pick<AuditEvent, 'orgId' | 'actor' | 'requestId' | 'sourceIp'> {
  const p = ctx.principal;
  return {
    orgId: p.orgId,
    actor: p.kind === 'token' ? { type: 'token', id: p.tokenId ?? p.userId } : { type: 'user', id: p.userId },
    requestId: ctx.requestId ?? null,
    sourceIp: ctx.sourceIp ?? p.ip ?? null,
  };
}

const notFound = () => new AppError('not_found', 'No such access review.');

/** The campaign, if the caller may see it; "not found" otherwise (other organisation included). */
export async function loadVisibleCampaign(deps: AccessReviewDeps, ctx: ReviewContext, id: string): Promise<CampaignRow> {
  const row = await findCampaign(deps.db, id);
  if (!row || !canViewCampaign(ctx.principal, campaignRef(row))) throw notFound();
  return row;
}

export function campaignRef(row: CampaignRow) {
  return { orgId: row.org_id, teamId: row.team_id, reviewerId: row.reviewer_id, status: row.status };
}

async function present(deps: AccessReviewDeps, ctx: ReviewContext, rows: CampaignRow[]): Promise<CampaignWithAbilities[]> {
  const counts = await countItems(deps.db, rows.map((r) => r.id));
  const names = await teamNames(deps.db, rows.map((r) => r.team_id));
  return rows.map((r) => ({
    ...presentCampaign(r, counts.get(r.id), r.team_id ? (names.get(r.team_id) ?? null) : null),
    abilities: campaignAbilities(ctx.principal, campaignRef(r)),
  }));
}

export async function startCampaign(deps: AccessReviewDeps, ctx: ReviewContext, input: CreateCampaignInput): Promise<CampaignDetail> {
  const p = ctx.principal;
  const now = ctx.now ?? new Date();
  const teamId = input.teamId ?? null;
  const deadline = new Date(input.deadline);
  if (!(deadline.getTime() > now.getTime())) throw new AppError('bad_request', 'The deadline must be in the future.');
  if (teamId) {
    const team = await deps.db.selectFrom('teams').where('id', '=', teamId).where('org_id', '=', p.orgId).select('id').executeTakeFirst();
    if (!team || !canStartCampaign(p, teamId)) throw new AppError('not_found', 'No such team.', { internal: 'team outside reach' });
  } else if (!canStartCampaign(p, null)) {
    throw new AppError('forbidden', 'You may review access only for your own teams: choose one of them.', { internal: 'org-wide review needs reviews.manage at org scope' });
  }
  const reviewerId = input.reviewerId ?? p.userId;
  const reviewer = await loadUserAccess(deps.db, reviewerId);
  if (!reviewer || reviewer.orgId !== p.orgId || reviewer.status !== 'active' || !reviewer.permissions.has('reviews.decide')) {
    throw new AppError('bad_request', 'The reviewer must be an active member of staff whose role allows deciding access reviews.');
  }
  const id = randomUUID();
  const dormantDays = input.dormantDays ?? 90;
  const unusedDays = input.unusedDays ?? 90;
  await deps.db.transaction().execute(async (trx) => {
    await trx.insertInto('access_review_campaigns').values({
      id, org_id: p.orgId, name: input.name, team_id: teamId, created_by: p.userId, reviewer_id: reviewerId, deadline,
      revoke_undecided: input.revokeUndecided ?? false, dormant_days: dormantDays, unused_days: unusedDays,
      status: 'open', created_at: now, closed_at: null, last_reminder_at: null, closed_by: null, close_reason: null,
    }).execute();
    const snapshot = await loadAccessSnapshot(trx, { orgId: p.orgId, teamId });
    const exercised = await findExercisedPermissions(trx, { orgId: p.orgId, teamId, since: new Date(now.getTime() - unusedDays * DAY_MS) });
    const items = buildItems({ campaignId: id, snapshot, exercised, dormantDays, now });
    await insertItems(trx, items);
    // People deprovisioned over SCIM are shown in one review, this one, then no more (src/identity/scim).
    const shown = [...new Set(items.filter((i) => i.deprovisioned).map((i) => i.user_id))];
    if (shown.length) await trx.updateTable('scim_deprovisionings').set({ campaign_id: id }).where('org_id', '=', p.orgId).where('campaign_id', 'is', null).where('user_id', 'in', shown).execute();
    await deps.audit.append(trx, {
      ...auditBase(ctx), action: 'access_review.start', object: { type: 'access_review', id }, result: 'success',
      details: {
        teamId, reviewerId, deadline: deadline.toISOString(), revokeUndecided: input.revokeUndecided ?? false, dormantDays, unusedDays,
        items: items.length, dormant: items.filter((i) => i.dormant).length, deprovisioned: items.filter((i) => i.deprovisioned).length, withUnusedPermissions: items.filter((i) => i.unused_permissions.length > 0).length,
      },
    });
  });
  return getCampaign(deps, ctx, id);
}

export async function listCampaigns(deps: AccessReviewDeps, ctx: ReviewContext, options: { status?: 'open' | 'closed' | undefined; limit?: number | undefined }): Promise<CampaignWithAbilities[]> {
  const rows = await listVisibleCampaigns(deps.db, ctx.principal, { status: options.status, limit: options.limit ?? 100 });
  return present(deps, ctx, rows);
}

export async function getCampaign(deps: AccessReviewDeps, ctx: ReviewContext, id: string): Promise<CampaignDetail> {
  const row = await loadVisibleCampaign(deps, ctx, id);
  const [campaign] = await present(deps, ctx, [row]);
  const items = await listItems(deps.db, id);
  const ref = campaignRef(row);
  return {
    campaign: campaign as CampaignWithAbilities,
    items: items.map((i) => ({ ...presentItem(i), abilities: { decide: canDecideItem(ctx.principal, ref, { userId: i.user_id, decision: i.decision }) } })),
  };
}

async function loadManagedCampaign(deps: AccessReviewDeps, ctx: ReviewContext, id: string): Promise<CampaignRow> {
  const row = await loadVisibleCampaign(deps, ctx, id);
  if (!canManageCampaign(ctx.principal, campaignRef(row))) throw new AppError('forbidden', 'Only whoever manages this review may do this.');
  return row;
}

/** Closes a campaign by hand. Undecided items stay as they are: automatic revocation belongs to the deadline. */
export async function closeCampaign(deps: AccessReviewDeps, ctx: ReviewContext, id: string): Promise<CampaignWithAbilities> {
  await loadManagedCampaign(deps, ctx, id);
  const now = ctx.now ?? new Date();
  await deps.db.transaction().execute(async (trx) => {
    const closed = await markClosed(trx, { id, closedBy: ctx.principal.userId, reason: 'manual', now });
    if (!closed) throw new AppError('conflict', 'This access review is already closed.');
    const counts = (await countItems(trx, [id])).get(id);
    await deps.audit.append(trx, { ...auditBase(ctx), action: 'access_review.close', object: { type: 'access_review', id }, result: 'success', details: { reason: 'manual', ...counts } });
  });
  const row = await loadVisibleCampaign(deps, ctx, id);
  return (await present(deps, ctx, [row]))[0] as CampaignWithAbilities;
}

export type ExportResult = { format: 'csv'; filename: string; body: string } | { format: 'json'; filename: string; body: CampaignExport };

/** Results for the record; the export itself is audited in the same transaction as the read. */
export async function exportCampaign(deps: AccessReviewDeps, ctx: ReviewContext, id: string, format: 'csv' | 'json'): Promise<ExportResult> {
  await loadManagedCampaign(deps, ctx, id);
  const now = ctx.now ?? new Date();
  return deps.db.transaction().execute(async (trx) => {
    const row = await findCampaign(trx, id);
    if (!row) throw notFound();
    const items = (await listItems(trx, id)).map(presentItem);
    const counts = await countItems(trx, [id]);
    const names = await teamNames(trx, [row.team_id]);
    const campaign = presentCampaign(row, counts.get(id), row.team_id ? (names.get(row.team_id) ?? null) : null);
    await deps.audit.append(trx, { ...auditBase(ctx), action: 'access_review.export', object: { type: 'access_review', id }, result: 'success', details: { format, items: items.length } });
    const filename = `access-review-${id}.${format}`;
    return format === 'csv'
      ? { format, filename, body: formatCampaignCsv(campaign, items) }
      : { format, filename, body: formatCampaignJson(campaign, items, now) };
  });
}
