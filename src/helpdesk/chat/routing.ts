/**
 * Who is offered a chat (decision 0176): among the team's members who may work
 * tickets, are at a console (presence), active in the last ten minutes, not
 * marked away, and below the organisation's concurrent-chat limit — the next
 * in turn (round robin) or the one with the fewest open chats (least busy),
 * by the team's assignment strategy. A team set to manual assignment gets no
 * offers: its chats wait in the queue for someone to accept.
 *
 * Counts come from the database (active conversations), read under the team
 * row's lock like the email strategies, so two chats arriving at once are
 * offered one after the other with the first already counted; an offer counts
 * against the person it is made to until it is accepted or passed on.
 */
import { sql } from 'kysely';
import type { Executor } from '../../protection/crypto/keyring.js';
import { isActive, type Presence } from '../../platform/realtime/presence.js';
import { assignableQuery } from '../tickets/ticket-actions.js';
import type { ChatSettings } from './settings.js';
import '../work/schema.js';
import './schema.js';

export interface Candidate {
  userId: string;
  load: number;
}

/** The team's members who could take a chat now, with their current load (accepted + offered chats). */
export async function availableAgents(trx: Executor, presence: Presence | Map<string, number>, orgId: string, teamId: string, settings: Pick<ChatSettings, 'maxChatsPerAgent'>, now = Date.now()): Promise<Candidate[]> {
  const online = presence instanceof Map ? presence : await presence.online(orgId, now);
  const present = [...online].filter(([, activeAt]) => isActive(activeAt, now)).map(([userId]) => userId);
  if (present.length === 0) return [];
  const members = await assignableQuery(trx, orgId, teamId).where('users.away', '=', false).where('users.id', 'in', present).execute();
  if (members.length === 0) return [];
  const ids = members.map((m) => m.id);
  const loads = await trx
    .selectFrom('chat_conversations')
    .where('org_id', '=', orgId)
    .where((eb) => eb.or([eb.and([eb('status', '=', 'active'), eb('agent_id', 'in', ids)]), eb.and([eb('status', '=', 'waiting'), eb('offered_to', 'in', ids)])]))
    .select((eb) => [sql<string>`coalesce(agent_id, offered_to)`.as('user_id'), eb.fn.countAll<string>().as('n')])
    .groupBy(sql`coalesce(agent_id, offered_to)`)
    .execute();
  const load = new Map(loads.map((l) => [l.user_id, Number(l.n)]));
  return ids.map((userId) => ({ userId, load: load.get(userId) ?? 0 })).filter((c) => c.load < settings.maxChatsPerAgent);
}

/**
 * The person to offer a chat to, or null (manual team, or nobody available). Those in `skip` (already
 * offered it) are passed over while anyone else is available. Locks the team row for the transaction.
 */
export async function chooseAgent(trx: Executor, presence: Presence, input: { orgId: string; teamId: string; settings: Pick<ChatSettings, 'maxChatsPerAgent'>; skip?: readonly string[] }): Promise<string | null> {
  // Who is at a console is read before the team's lock is taken: the lock is held only for database work.
  const online = await presence.online(input.orgId);
  const team = await trx
    .selectFrom('teams')
    .where('id', '=', input.teamId)
    .where('org_id', '=', input.orgId)
    .select(['assignment_strategy', 'round_robin_last_user_id'])
    // NO KEY UPDATE: routers of the team queue behind each other, while inserts that merely reference the team
    // (their foreign-key check takes KEY SHARE) go on — FOR UPDATE would make them wait, and could deadlock a
    // transaction that inserted a ticket of the team before routing.
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (!team || team.assignment_strategy === 'manual') return null;
  const all = await availableAgents(trx, online, input.orgId, input.teamId, input.settings);
  const fresh = all.filter((c) => !input.skip?.includes(c.userId));
  const pool = (fresh.length ? fresh : all).sort((a, b) => (a.userId < b.userId ? -1 : 1));
  if (pool.length === 0) return null;
  if (team.assignment_strategy === 'round_robin') {
    const last = team.round_robin_last_user_id;
    const next = (last ? pool.find((c) => c.userId > last) : undefined) ?? pool[0]!;
    await trx.updateTable('teams').set({ round_robin_last_user_id: next.userId }).where('id', '=', input.teamId).execute();
    return next.userId;
  }
  return pool.reduce((best, c) => (c.load < best.load ? c : best)).userId;
}

/** Whether anyone of the team could take a chat now (the widget's "we're here" or the offline form). */
export async function anyoneAvailable(trx: Executor, presence: Presence, orgId: string, teamId: string | null, settings: Pick<ChatSettings, 'maxChatsPerAgent'>): Promise<boolean> {
  if (!teamId) return false;
  return (await availableAgents(trx, presence, orgId, teamId, settings)).length > 0;
}
