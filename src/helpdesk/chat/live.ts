/**
 * A new chat item, pushed to the console of the agent who holds the chat (decision 0190): the realtime hub
 * (src/platform/realtime/hub.ts) has already decided who may read the ticket, by the same `can` the API applies;
 * this loads the one item once, records one `chat.read` per receiving agent (group-committed with other reads,
 * src/protection/audit/audit-log.ts `record`) and only then hands the text back to be sent. The text is what the
 * API would answer: redacted before it was stored, so a card number never reaches the socket either.
 */
import type { Principal } from '../../identity/auth/access.js';
import type { Db } from '../../platform/db/database.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Keyring } from '../../protection/crypto/keyring.js';
import { actingFromAgent } from '../tickets/context.js';
import { loadItems, type ChatItem } from './conversations.js';

export interface LiveChatDeps {
  db: Db;
  keyring: Keyring;
  audit: AuditLog;
}

export interface LiveChatItemInput {
  orgId: string;
  conversationId: string;
  ticketId: string;
  customerId: string;
  seq: number;
  /** Who will be sent the item: already authorised to read the ticket. */
  readers: readonly Principal[];
}

/** The item numbered `seq`, once its reads are audited; null when there is none (the caller falls back to "fetch"). */
export async function readLiveChatItem(deps: LiveChatDeps, input: LiveChatItemInput): Promise<ChatItem | null> {
  if (input.readers.length === 0) return null;
  const [item] = await loadItems(deps, deps.db, { conversationId: input.conversationId, orgId: input.orgId, after: input.seq - 1, limit: 1, customerName: 'Customer' });
  if (!item || item.seq !== input.seq) return null;
  await Promise.all(
    input.readers.map((principal) =>
      deps.audit.record({
        ...actingFromAgent({ principal }),
        action: 'chat.read',
        object: { type: 'chat', id: input.conversationId },
        subjectCustomerId: input.customerId,
        result: 'success',
        details: { ticketId: input.ticketId, after: input.seq - 1, items: 1, live: true },
      }),
    ),
  );
  return item;
}
