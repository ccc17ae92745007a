/**
 * "SLA about to breach": a periodic pass over the tickets the breaching view
 * shows (src/helpdesk/sla/breaching.ts). Each ticket warns once per target
 * and due time: the warning is claimed by inserting its row first
 * (notification_sla_warnings), so several instances never warn twice, and a
 * changed due time (a new priority) warns again. The assignee is told; an
 * unassigned ticket tells its team.
 */
import { sql, type Kysely, type SqlBool } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { breachingCondition } from '../sla/breaching.js';
import { recordNotification } from './notify.js';
import { teamMemberIds } from './recipients.js';
import './schema.js';
import '../sla/schema.js';

export const SLA_WARN_MINUTES = 60;

export async function warnBreachingTickets(db: Kysely<Database>, options: { now?: Date; warnMinutes?: number; limit?: number } = {}): Promise<{ warned: number }> {
  const now = options.now ?? new Date();
  const warnMinutes = options.warnMinutes ?? SLA_WARN_MINUTES;
  const horizon = new Date(now.getTime() + warnMinutes * 60_000);
  const tickets = await db
    .selectFrom('tickets')
    .where(breachingCondition(now, warnMinutes))
    // Only targets not yet warned about at their current due time, so long-breached tickets do not crowd out new ones.
    .where(
      sql<SqlBool>`((tickets.first_response_at IS NULL AND tickets.first_response_due_at <= ${horizon}
          AND NOT EXISTS (SELECT 1 FROM notification_sla_warnings w WHERE w.ticket_id = tickets.id AND w.target = 'first_response' AND w.due_at = tickets.first_response_due_at))
        OR (tickets.resolution_due_at <= ${horizon}
          AND NOT EXISTS (SELECT 1 FROM notification_sla_warnings w WHERE w.ticket_id = tickets.id AND w.target = 'resolution' AND w.due_at = tickets.resolution_due_at)))`,
    )
    .select(['id', 'org_id', 'assignee_id', 'team_id', 'first_response_at', 'first_response_due_at', 'resolution_due_at'])
    .orderBy('resolution_due_at')
    .limit(options.limit ?? 200)
    .execute();
  let warned = 0;
  for (const t of tickets) {
    const targets: Array<{ target: 'first_response' | 'resolution'; due: Date }> = [];
    if (!t.first_response_at && t.first_response_due_at && t.first_response_due_at <= horizon) targets.push({ target: 'first_response', due: t.first_response_due_at });
    if (t.resolution_due_at && t.resolution_due_at <= horizon) targets.push({ target: 'resolution', due: t.resolution_due_at });
    for (const { target, due } of targets) {
      const did = await db.transaction().execute(async (trx) => {
        const claimed = await trx.insertInto('notification_sla_warnings').values({ ticket_id: t.id, target, due_at: due }).onConflict((oc) => oc.doNothing()).returning('ticket_id').executeTakeFirst();
        if (!claimed) return false;
        const recipients = t.assignee_id ? [t.assignee_id] : t.team_id ? await teamMemberIds(trx, t.team_id) : [];
        await recordNotification(trx, { orgId: t.org_id, ticketId: t.id, kind: 'sla_breach', recipients, actorId: null });
        return true;
      });
      if (did) warned += 1;
    }
  }
  return { warned };
}
