/**
 * Who gets a new ticket routed to a team (decision 0141): nobody (manual), the next member in turn
 * (round robin) or the member with the fewest open and pending tickets (least busy). Only active
 * members whose roles work tickets (the assignee picker's rule) and who are not away are chosen.
 *
 * The team row is locked for the rest of the caller's transaction, so concurrent new tickets of one
 * team choose one after another: the round-robin pointer moves once per ticket and a least-busy pick
 * sees the tickets handed out just before it.
 */
import type { Executor } from '../../protection/crypto/keyring.js';
import type { AssignmentStrategy } from '../../platform/http/schemas/work.js';
import { assignableQuery } from '../tickets/ticket-actions.js';
import '../work/schema.js';

/** Statuses that count as a person's load for least-busy. */
export const LOAD_STATUSES = ['new', 'open', 'pending'] as const;

/** The member to assign a new ticket of `teamId` to, or null (manual, or nobody available). `strategy` overrides the team's. */
export async function pickAssignee(trx: Executor, orgId: string, teamId: string, strategy?: Exclude<AssignmentStrategy, 'manual'> | null): Promise<string | null> {
  const team = await trx
    .selectFrom('teams')
    .where('id', '=', teamId)
    .where('org_id', '=', orgId)
    .select(['assignment_strategy', 'round_robin_last_user_id'])
    // NO KEY UPDATE: routers of the team queue behind each other, while inserts that merely reference the team
    // (their foreign-key check takes KEY SHARE) go on — FOR UPDATE would make them wait, and could deadlock a
    // transaction that inserted a ticket of the team before routing.
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (!team) return null;
  const chosen = strategy ?? team.assignment_strategy;
  if (chosen === 'manual') return null;
  const members = assignableQuery(trx, orgId, teamId).where('users.away', '=', false);
  if (chosen === 'round_robin') {
    const list = await members.orderBy('users.id').execute();
    const last = team.round_robin_last_user_id;
    const next = (last ? list.find((u) => u.id > last) : undefined) ?? list[0];
    if (!next) return null;
    await trx.updateTable('teams').set({ round_robin_last_user_id: next.id }).where('id', '=', teamId).execute();
    return next.id;
  }
  const least = await members
    .select((eb) =>
      eb
        .selectFrom('tickets')
        .whereRef('tickets.assignee_id', '=', 'users.id')
        .where('tickets.org_id', '=', orgId)
        .where('tickets.status', 'in', [...LOAD_STATUSES])
        .select((e) => e.fn.countAll<string>().as('n'))
        .as('load'),
    )
    .orderBy('load')
    .orderBy('users.id')
    .limit(1)
    .executeTakeFirst();
  return least?.id ?? null;
}
