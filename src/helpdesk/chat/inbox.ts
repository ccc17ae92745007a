/**
 * The console's chat inbox (waiting, mine, team) and the offer sweep that
 * passes an unanswered offer to the next available person. The inbox shows no
 * message text: a customer's name is masked like everywhere else in lists, and
 * the conversation is read (and audited) when the agent opens it.
 */
import { sql } from 'kysely';
import type { Executor } from '../../protection/crypto/keyring.js';
import { KeyDestroyedError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logging.js';
import { startPeriodic } from '../../platform/periodic.js';
import { maskName } from '../customers/masking.js';
import { ticketScope, type AgentContext } from '../tickets/context.js';
import type { ChatDeps } from './conversations.js';
import { chooseAgent } from './routing.js';
import type { ChatStatus } from './schema.js';
import { loadChatSettings } from './settings.js';

export type ChatBox = 'waiting' | 'mine' | 'team';

export interface InboxRow {
  ticketId: string;
  conversationId: string;
  number: number;
  status: ChatStatus;
  customer: string;
  teamId: string | null;
  agentId: string | null;
  offeredToMe: boolean;
  waitingSince: string | null;
  lastSeq: number;
  lastActivityAt: string;
}

export async function listChats(deps: ChatDeps, ctx: AgentContext, box: ChatBox): Promise<{ chats: InboxRow[]; counts: Record<ChatBox, number>; enabled: boolean }> {
  const p = ctx.principal;
  const base = () =>
    deps.db
      .selectFrom('chat_conversations as c')
      .innerJoin('tickets', 'tickets.id', 'c.ticket_id')
      .where('c.org_id', '=', p.orgId)
      .where(ticketScope(p, 'tickets.read'));
  const filter = <Q extends ReturnType<typeof base>>(q: Q, b: ChatBox): Q =>
    (b === 'waiting'
      ? q.where('c.status', '=', 'waiting')
      : b === 'mine'
        ? q.where('c.status', '=', 'active').where('c.agent_id', '=', p.userId)
        : q.where('c.status', 'in', ['waiting', 'active']).where('c.team_id', 'in', p.teamIds.length ? [...p.teamIds] : ['00000000-0000-0000-0000-000000000000'])) as Q;
  const rows = await filter(base(), box)
    .innerJoin('customers as cu', 'cu.id', 'c.customer_id')
    .select(['c.id', 'c.ticket_id', 'tickets.number', 'c.status', 'c.team_id', 'c.agent_id', 'c.offered_to', 'c.waiting_since', 'c.last_seq', 'c.last_activity_at', 'cu.id as customer_id', 'cu.name_enc'])
    .orderBy(sql`c.offered_to = ${p.userId}`, 'desc')
    .orderBy('c.waiting_since')
    .orderBy('c.created_at')
    .limit(200)
    .execute();
  const counts = { waiting: 0, mine: 0, team: 0 } as Record<ChatBox, number>;
  for (const b of ['waiting', 'mine', 'team'] as const) {
    const r = await filter(base(), b).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    counts[b] = Number(r.n);
  }
  const chats: InboxRow[] = [];
  for (const r of rows) {
    let customer = 'Customer';
    try {
      if (r.name_enc) customer = maskName(await deps.keyring.decrypt({ table: 'customers', column: 'name_enc', rowId: r.customer_id }, r.name_enc));
    } catch (err) {
      if (!(err instanceof KeyDestroyedError)) throw err;
    }
    chats.push({
      ticketId: r.ticket_id!,
      conversationId: r.id,
      number: Number(r.number),
      status: r.status,
      customer,
      teamId: r.team_id,
      agentId: r.agent_id,
      offeredToMe: r.offered_to === p.userId,
      waitingSince: r.waiting_since ? r.waiting_since.toISOString() : null,
      lastSeq: r.last_seq,
      lastActivityAt: r.last_activity_at.toISOString(),
    });
  }
  return { chats, counts, enabled: (await loadChatSettings(deps.db, p.orgId)).enabled };
}

/**
 * One pass over waiting chats whose offer timed out (or that nobody was offered): offered to the next
 * available person, or back to the queue. Rows are taken with SKIP LOCKED, so instances sweeping at
 * the same time share the work and never offer one chat twice.
 */
export async function sweepOffers(deps: ChatDeps, now = new Date(), batch = 50): Promise<number> {
  const changed = await deps.db.transaction().execute(async (trx) => {
    const due = await trx
      .selectFrom('chat_conversations as c')
      .innerJoin('chat_settings as s', 's.org_id', 'c.org_id')
      .where('c.status', '=', 'waiting')
      .where('c.team_id', 'is not', null)
      .where((eb) => eb.or([eb('c.offered_to', 'is', null), eb('c.offered_at', '<', sql<Date>`${now}::timestamptz - make_interval(secs => s.offer_timeout_s)`)]))
      .select(['c.id', 'c.org_id', 'c.ticket_id', 'c.team_id', 'c.offered_to', 'c.offered_before', 's.max_chats_per_agent'])
      .orderBy('c.waiting_since')
      .limit(batch)
      .forUpdate('c')
      .skipLocked()
      .execute();
    const out: Array<{ id: string; org_id: string; ticket_id: string | null }> = [];
    for (const c of due) {
      const skip = [...c.offered_before, ...(c.offered_to ? [c.offered_to] : [])];
      const next = await chooseAgent(trx as Executor, deps.presence, { orgId: c.org_id, teamId: c.team_id!, settings: { maxChatsPerAgent: c.max_chats_per_agent }, skip });
      // The same person again (nobody else is there) is no change: their offer simply stands.
      if (next === c.offered_to) {
        await trx.updateTable('chat_conversations').set({ offered_at: now }).where('id', '=', c.id).execute();
        continue;
      }
      if (!next && !c.offered_to) continue;
      await trx
        .updateTable('chat_conversations')
        .set({ offered_to: next, offered_at: next ? now : null, offered_before: next ? [...new Set([...skip, next])] : skip })
        .where('id', '=', c.id)
        .execute();
      out.push(c);
    }
    return out;
  });
  for (const c of changed) deps.bus.publish({ k: 'chat-state', orgId: c.org_id, conversationId: c.id, ticketId: c.ticket_id });
  return changed.length;
}

/** Runs the sweep every `everyMs` until stopped; a failed pass is logged and tried again next time. */
export function startOfferSweeper(deps: ChatDeps, logger: Logger, everyMs = 5_000): () => void {
  return startPeriodic(() => sweepOffers(deps), everyMs, (err) => logger.warn({ err }, 'chat offer sweep failed'));
}

