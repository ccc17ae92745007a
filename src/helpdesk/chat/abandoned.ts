/**
 * Chats that ended before a word was said. Opening the widget starts a conversation, and an anonymous visitor
 * gets a customer record of their own (with the name they typed, under a key of their own) before they say
 * anything; most visitors never do. Once such a conversation's token can no longer be used (past its 24-hour
 * life or 30 minutes idle, conversations.ts), nothing can ever join it: it is deleted, and an anonymous
 * visitor's record is crypto-shredded and deleted with it, so the customer list does not fill with everyone who
 * once opened the widget. A conversation with a ticket is a ticket like any other and is never touched here.
 */
import { sql } from 'kysely';
import type { Logger } from '../../platform/logging.js';
import { startPeriodic } from '../../platform/periodic.js';
import type { ChatDeps } from './conversations.js';
import { TOKEN_IDLE_MS } from './conversations.js';

/** Deletes up to `batch` abandoned conversations (and their anonymous visitors); returns how many. */
export async function sweepAbandonedChats(deps: Pick<ChatDeps, 'db' | 'keyring' | 'audit'>, now = new Date(), batch = 200): Promise<number> {
  const idleSince = new Date(now.getTime() - TOKEN_IDLE_MS);
  const swept = await deps.db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('chat_conversations')
      .where('ticket_id', 'is', null)
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_activity_at', '<', idleSince)]))
      .select(['id', 'org_id', 'customer_id', 'identity'])
      .limit(batch)
      .forUpdate()
      .skipLocked()
      .execute();
    if (rows.length === 0) return [];
    // Their events and pending email codes go with them (ON DELETE CASCADE).
    await trx.deleteFrom('chat_conversations').where('id', 'in', rows.map((r) => r.id)).execute();
    for (const r of rows) {
      const anonymous = r.identity === 'anonymous';
      if (anonymous) await deps.keyring.destroyKeys({ type: 'customer', id: r.customer_id }, trx);
      await deps.audit.append(trx, {
        orgId: r.org_id,
        actor: { type: 'system', id: 'chat' },
        action: 'chat.discard',
        object: { type: 'chat', id: r.id },
        subjectCustomerId: r.customer_id,
        result: 'success',
        details: { reason: 'nothing_said', visitorErased: anonymous },
      });
    }
    return rows;
  });
  const gone = swept.filter((r) => r.identity === 'anonymous').map((r) => r.customer_id);
  if (gone.length) {
    // The visitor's record itself, unless something came to refer to it after all (then it stays, its key destroyed).
    await sql`
      DELETE FROM customers c
      WHERE c.id IN (${sql.join(gone)})
        AND c.merged_into IS NULL
        AND NOT EXISTS (SELECT 1 FROM customers m WHERE m.merged_into = c.id)
        AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.requester_id = c.id)
        AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.customer_id = c.id)
        AND NOT EXISTS (SELECT 1 FROM chat_conversations x WHERE x.customer_id = c.id)
        AND NOT EXISTS (SELECT 1 FROM portal_challenges p WHERE p.customer_id = c.id)`
      .execute(deps.db)
      .catch(() => undefined);
  }
  return swept.length;
}

/** Runs the sweep every `everyMs` until stopped; a failed pass is logged and tried again next time. */
export function startAbandonedChatSweeper(deps: Pick<ChatDeps, 'db' | 'keyring' | 'audit'>, logger: Logger, everyMs = 60_000): () => void {
  return startPeriodic(() => sweepAbandonedChats(deps), everyMs, (err) => logger.warn({ err }, 'abandoned chat sweep failed'));
}
