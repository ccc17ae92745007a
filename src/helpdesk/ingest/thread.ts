/**
 * Which ticket an inbound message continues, strongest evidence first:
 * 1. the reply token in a recipient address (an HMAC only we can make);
 * 2. In-Reply-To / References naming a message we sent (our Message-IDs are random);
 * 3. References naming a message this same customer sent earlier;
 * 4. `[#123]` in the subject, only when the sender is that ticket's requester.
 * Weak evidence (3, 4) never attaches a stranger's mail to someone's ticket.
 * A closed ticket is never continued: the caller opens a follow-up.
 */
import type { Transaction } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { hashMessageId, hashReplyToken, replyTokenFromAddress, ticketNumberFromSubject } from '../mail/threading.js';
import type { HelpdeskDeps } from '../tickets/context.js';
import type { TicketStatus } from '../tickets/schema.js';

export interface ThreadMatch {
  ticketId: string;
  status: TicketStatus;
  requesterId: string | null;
  via: 'reply_token' | 'our_message_id' | 'customer_message_id' | 'subject_number';
}

export async function findThread(
  trx: Transaction<Database>,
  deps: HelpdeskDeps,
  input: { orgId: string; recipients: string[]; messageIds: string[]; subject: string; senderCustomerId: string },
): Promise<ThreadMatch | null> {
  const open = (status: TicketStatus) => status !== 'closed';
  for (const r of input.recipients) {
    const token = replyTokenFromAddress(r);
    if (!token) continue;
    const t = await trx.selectFrom('tickets').where('org_id', '=', input.orgId).where('reply_token_hash', '=', hashReplyToken(token)).select(['id', 'status', 'requester_id']).executeTakeFirst();
    if (t && open(t.status)) return { ticketId: t.id, status: t.status, requesterId: t.requester_id, via: 'reply_token' };
  }
  if (input.messageIds.length) {
    const hashes = input.messageIds.slice(-50).map((id) => hashMessageId(deps.mailKeys, input.orgId, id));
    const rows = await trx
      .selectFrom('messages')
      .innerJoin('tickets', 'tickets.id', 'messages.ticket_id')
      .where('messages.org_id', '=', input.orgId)
      .where('messages.message_id_hash', 'in', hashes)
      .select(['tickets.id', 'tickets.status', 'tickets.requester_id', 'messages.kind', 'messages.customer_id', 'messages.created_at'])
      .orderBy('messages.created_at', 'desc')
      .execute();
    const ours = rows.find((r) => r.kind === 'public_reply' && open(r.status));
    if (ours) return { ticketId: ours.id, status: ours.status, requesterId: ours.requester_id, via: 'our_message_id' };
    const theirs = rows.find((r) => r.kind === 'inbound_email' && r.customer_id === input.senderCustomerId && open(r.status));
    if (theirs) return { ticketId: theirs.id, status: theirs.status, requesterId: theirs.requester_id, via: 'customer_message_id' };
  }
  const n = ticketNumberFromSubject(input.subject);
  if (n !== null) {
    const t = await trx
      .selectFrom('tickets')
      .where('org_id', '=', input.orgId)
      .where('number', '=', n)
      .where('requester_id', '=', input.senderCustomerId)
      .select(['id', 'status', 'requester_id'])
      .executeTakeFirst();
    if (t && open(t.status)) return { ticketId: t.id, status: t.status, requesterId: t.requester_id, via: 'subject_number' };
  }
  return null;
}
