/**
 * Saved views (decision 0142): a validated filter, columns and sort, personal or shared with a team.
 * A view is visible to its owner and to the current members of the team it is shared with; to
 * anyone else it does not exist (404). Sharing needs membership of the team and tickets.assign.
 * Filters become a SQL condition applied inside the caller's ticket scope, never in memory.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { scopeOf, type Principal } from '../../identity/auth/access.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { AppError } from '../../platform/errors.js';
import type { Database } from '../../platform/db/schema.js';
import { MAX_VIEWS_PER_USER, type SavedViewBody, type ViewColumn, type ViewFilters, type ViewSort } from '../../platform/http/schemas/work.js';
import { breachingCondition } from '../sla/breaching.js';
import { actingFromAgent, ticketScope, type AgentContext, type HelpdeskDeps } from '../tickets/context.js';
import { listTickets, type TicketSummary } from '../tickets/tickets.service.js';
import './schema.js';

/** How close a target must be to count as "due soon". */
export const DUE_SOON_MINUTES = 60;

/** SLA due soonest first (the earlier of an unanswered first response and the resolution). */
export const slaDueExpression = sql`least(CASE WHEN tickets.first_response_at IS NULL THEN tickets.first_response_due_at END, tickets.resolution_due_at)`;
export const priorityRankExpression = sql`CASE tickets.priority WHEN 'urgent' THEN 4 WHEN 'high' THEN 3 WHEN 'normal' THEN 2 ELSE 1 END`;

export interface StoredView {
  id: string;
  ownerId: string;
  teamId: string | null;
  name: string;
  filters: ViewFilters;
  columns: ViewColumn[];
  sort: ViewSort;
  sortDir: 'asc' | 'desc';
}

type TicketCondition = (eb: ExpressionBuilder<Database, 'tickets'>) => Expression<SqlBool>;

/** The view's filters as one condition on tickets (every filter must hold). */
export function viewCondition(f: ViewFilters, p: Principal, now: Date): TicketCondition {
  return (eb) => {
    const all: Array<Expression<SqlBool>> = [];
    if (f.status?.length) all.push(eb('tickets.status', 'in', f.status));
    if (f.priority?.length) all.push(eb('tickets.priority', 'in', f.priority));
    if (f.channel?.length) all.push(eb('tickets.channel', 'in', f.channel));
    if (f.tags?.length) all.push(eb(eb.val(f.tags), '<@', eb.ref('tickets.tags')));
    if (f.teamIds?.length) all.push(eb('tickets.team_id', 'in', f.teamIds));
    if (f.assignee?.length) {
      const people = f.assignee.map((a) => (a === 'me' ? p.userId : a)).filter((a) => a !== 'unassigned');
      const any: Array<Expression<SqlBool>> = [];
      if (people.length) any.push(eb('tickets.assignee_id', 'in', people));
      if (f.assignee.includes('unassigned')) any.push(eb('tickets.assignee_id', 'is', null));
      all.push(eb.or(any));
    }
    if (f.sla?.length) {
      // Missing targets compare as NULL: coalesce so "not due soon" holds for tickets without an SLA.
      const overdue = sql<SqlBool>`coalesce(${breachingCondition(now, 0)(eb)}, false)`;
      const soon = sql<SqlBool>`coalesce(${breachingCondition(now, DUE_SOON_MINUTES)(eb)}, false)`;
      const states: Array<Expression<SqlBool>> = [];
      if (f.sla.includes('breaching')) states.push(overdue);
      if (f.sla.includes('due_soon')) states.push(eb.and([soon, eb.not(overdue)]));
      if (f.sla.includes('ok')) states.push(eb.not(soon));
      all.push(eb.or(states));
    }
    if (f.threat?.length) {
      all.push(eb.exists(eb.selectFrom('messages').whereRef('messages.ticket_id', '=', 'tickets.id').where('messages.threat_verdict', 'in', f.threat).select('messages.id')));
    }
    if (f.createdFrom) all.push(eb('tickets.created_at', '>=', new Date(f.createdFrom)));
    if (f.createdTo) all.push(eb('tickets.created_at', '<=', new Date(f.createdTo)));
    if (f.updatedFrom) all.push(eb('tickets.updated_at', '>=', new Date(f.updatedFrom)));
    if (f.updatedTo) all.push(eb('tickets.updated_at', '<=', new Date(f.updatedTo)));
    return all.length ? eb.and(all) : sql<SqlBool>`true`;
  };
}

/** The view's order, as ORDER BY terms placed before the list's own tie-breakers. */
export function viewOrder(sort: ViewSort, dir: 'asc' | 'desc') {
  const d = sql.raw(dir === 'asc' ? 'ASC' : 'DESC');
  switch (sort) {
    case 'created': return [sql`tickets.created_at ${d}`];
    case 'priority': return [sql`${priorityRankExpression} ${d}`];
    case 'sla_due': return [sql`${slaDueExpression} ${d} NULLS LAST`];
    case 'number': return [sql`tickets.number ${d}`];
    default: return [sql`tickets.updated_at ${d}`];
  }
}

function visibleViews(db: Executor, p: Principal) {
  return db
    .selectFrom('saved_views')
    .where('saved_views.org_id', '=', p.orgId)
    .where((eb) => eb.or([eb('saved_views.owner_id', '=', p.userId), ...(p.teamIds.length ? [eb('saved_views.team_id', 'in', [...p.teamIds])] : [])]))
    .select(['id', 'owner_id', 'team_id', 'name', 'filters', 'columns', 'sort', 'sort_dir']);
}

type ViewRow = { id: string; owner_id: string; team_id: string | null; name: string; filters: ViewFilters; columns: ViewColumn[]; sort: ViewSort; sort_dir: 'asc' | 'desc' };

const present = (r: ViewRow): StoredView => ({
  id: r.id,
  ownerId: r.owner_id,
  teamId: r.team_id,
  name: r.name,
  filters: typeof r.filters === 'string' ? (JSON.parse(r.filters) as ViewFilters) : r.filters,
  columns: r.columns,
  sort: r.sort,
  sortDir: r.sort_dir,
});

/** A view the caller may see; any other id (another team's, another organisation's, none) is not found. */
export async function loadVisibleView(db: Executor, p: Principal, id: string): Promise<StoredView> {
  const row = await visibleViews(db, p).where('saved_views.id', '=', id).executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such view.');
  return present(row as ViewRow);
}

/** Its owner, or a lead (tickets.assign) of the team it is shared with. */
export function mayEdit(p: Principal, v: Pick<StoredView, 'ownerId' | 'teamId'>): boolean {
  if (v.ownerId === p.userId) return true;
  return v.teamId !== null && p.teamIds.includes(v.teamId) && scopeOf(p, 'tickets.assign') !== null;
}

/** The caller's views with their counts of open tickets, personal first, then by name. */
export async function listViews(deps: HelpdeskDeps, ctx: AgentContext): Promise<Array<StoredView & { editable: boolean; count: number }>> {
  const p = ctx.principal;
  const rows = (await visibleViews(deps.db, p).orderBy(sql`team_id IS NOT NULL`).orderBy('name').orderBy('id').limit(MAX_VIEWS_PER_USER * 4).execute()) as ViewRow[];
  const views = rows.map(present);
  if (views.length === 0) return [];
  const now = new Date();
  // One query: a FILTER per view, all within what the caller may read.
  const counts = (await deps.db
    .selectFrom('tickets')
    .where(ticketScope(p, 'tickets.read'))
    .where('tickets.status', 'not in', ['solved', 'closed'])
    .select((eb) => views.map((v, i) => eb.fn.countAll<string>().filterWhere(viewCondition(v.filters, p, now)).as(`v${i}`)))
    .executeTakeFirstOrThrow()) as Record<string, string>;
  return views.map((v, i) => ({ ...v, editable: mayEdit(p, v), count: Number(counts[`v${i}`] ?? 0) }));
}

/** Every team and person a filter names must be the organisation's; sharing needs the team and tickets.assign. */
async function checkBody(trx: Executor, p: Principal, b: SavedViewBody): Promise<void> {
  if (b.teamId !== null) {
    if (!p.teamIds.includes(b.teamId)) throw new AppError('forbidden', 'You can share a view only with a team you are in.');
    if (!scopeOf(p, 'tickets.assign')) throw new AppError('forbidden', 'Sharing a view with a team is for team leads.');
  }
  const teamIds = b.filters.teamIds ?? [];
  if (teamIds.length) {
    const found = await trx.selectFrom('teams').where('org_id', '=', p.orgId).where('id', 'in', teamIds).select('id').execute();
    if (found.length !== teamIds.length) throw new AppError('validation_failed', 'The view names an unknown team.');
  }
  const people = (b.filters.assignee ?? []).filter((a) => a !== 'me' && a !== 'unassigned');
  if (people.length) {
    const found = await trx.selectFrom('users').where('org_id', '=', p.orgId).where('id', 'in', people).select('id').execute();
    if (found.length !== people.length) throw new AppError('validation_failed', 'The view names an unknown person.');
  }
  for (const key of ['createdFrom', 'createdTo', 'updatedFrom', 'updatedTo'] as const) {
    const v = b.filters[key];
    if (v !== undefined && Number.isNaN(new Date(v).getTime())) throw new AppError('validation_failed', `${key} is not a date.`);
  }
}

const toRow = (b: SavedViewBody) => ({ name: b.name.trim() || b.name, team_id: b.teamId, filters: JSON.stringify(b.filters), columns: b.columns, sort: b.sort, sort_dir: b.sortDir });

export async function createView(deps: HelpdeskDeps, ctx: AgentContext, body: SavedViewBody): Promise<{ id: string }> {
  const p = ctx.principal;
  return deps.db.transaction().execute(async (trx) => {
    // Serialises one person's creations, so the limit holds under concurrent requests.
    await trx.selectFrom('users').where('id', '=', p.userId).select('id').forUpdate().executeTakeFirst();
    const owned = await trx.selectFrom('saved_views').where('org_id', '=', p.orgId).where('owner_id', '=', p.userId).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    if (Number(owned.n) >= MAX_VIEWS_PER_USER) throw new AppError('conflict', `You can keep at most ${MAX_VIEWS_PER_USER} views; delete one first.`);
    await checkBody(trx, p, body);
    const id = randomUUID();
    await trx.insertInto('saved_views').values({ id, org_id: p.orgId, owner_id: p.userId, ...toRow(body) }).execute();
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'saved_view.create', object: { type: 'saved_view', id }, result: 'success', details: { teamId: body.teamId } });
    return { id };
  });
}

async function loadEditable(trx: Executor, p: Principal, id: string): Promise<StoredView> {
  const view = await loadVisibleView(trx, p, id);
  if (!mayEdit(p, view)) throw new AppError('forbidden', 'Only its owner or a lead of its team can change this view.');
  return view;
}

export async function updateView(deps: HelpdeskDeps, ctx: AgentContext, id: string, body: SavedViewBody): Promise<void> {
  const p = ctx.principal;
  await deps.db.transaction().execute(async (trx) => {
    const view = await loadEditable(trx, p, id);
    // Keeping a view's team needs no lead rights of its owner; moving it to another team does.
    if (body.teamId !== view.teamId) await checkBody(trx, p, body);
    else await checkBody(trx, p, { ...body, teamId: null });
    await trx.updateTable('saved_views').set({ ...toRow(body), updated_at: new Date() }).where('id', '=', id).where('org_id', '=', p.orgId).execute();
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'saved_view.update', object: { type: 'saved_view', id }, result: 'success', details: { teamId: body.teamId } });
  });
}

export async function deleteView(deps: HelpdeskDeps, ctx: AgentContext, id: string): Promise<void> {
  const p = ctx.principal;
  await deps.db.transaction().execute(async (trx) => {
    await loadEditable(trx, p, id);
    await trx.deleteFrom('saved_views').where('id', '=', id).where('org_id', '=', p.orgId).execute();
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'saved_view.delete', object: { type: 'saved_view', id }, result: 'success' });
  });
}

/** The view's tickets in its order (the same audited list read as the built-in views). */
export async function viewTickets(deps: HelpdeskDeps, ctx: AgentContext, id: string, limit?: number): Promise<TicketSummary[]> {
  const view = await loadVisibleView(deps.db, ctx.principal, id);
  return listTickets(deps, ctx, { where: viewCondition(view.filters, ctx.principal, new Date()), orderBy: viewOrder(view.sort, view.sortDir), ...(limit ? { limit } : {}) });
}
