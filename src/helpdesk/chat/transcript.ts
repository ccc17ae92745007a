/**
 * "Email me a transcript": never the conversation in a plain email. The
 * transcript (already redacted, as the chat showed it) becomes a secure
 * message on the chat's ticket; the customer's registered address gets only a
 * notice with a link that needs a one-time code (src/helpdesk/secure-messages).
 * A visitor with no address is told so in the chat.
 */
import { AppError } from '../../platform/errors.js';
import { registeredEmail } from '../portal/challenges.js';
import { storeSecureMessage } from '../secure-messages/secure-messages.service.js';
import { loadItems, type ChatDeps, type ChatVisitor } from './conversations.js';

/** At most one transcript per conversation per this long (each sends an email). */
const TRANSCRIPT_EVERY_MS = 10 * 60_000;

export function composeTranscript(items: ReadonlyArray<{ name: string; body: string; at: string; event: string | null }>): string {
  const lines = ['Transcript of your chat', ''];
  for (const i of items) {
    const time = i.at.slice(0, 16).replace('T', ' ');
    lines.push(i.event ? `[${time} UTC] ${i.body}` : `[${time} UTC] ${i.name}: ${i.body}`);
  }
  return lines.join('\n');
}

export async function sendTranscript(deps: ChatDeps, visitor: ChatVisitor): Promise<void> {
  if (!visitor.ticketId) throw new AppError('conflict', 'There is nothing to send yet.');
  const email = await registeredEmail(deps.db, deps, visitor.customerId);
  if (!email) throw new AppError('conflict', 'We have no email address for you, so we cannot send a transcript. Sign in or tell us your address first.');
  const out = await deps.db.transaction().execute(async (trx) => {
    const conv = await trx.selectFrom('chat_conversations').where('id', '=', visitor.conversationId).select(['id', 'org_id', 'ticket_id', 'customer_id', 'last_seq', 'status']).forUpdate().executeTakeFirstOrThrow();
    const last = await trx.selectFrom('chat_events').where('conversation_id', '=', conv.id).where('event', '=', 'transcript').select('created_at').orderBy('seq', 'desc').executeTakeFirst();
    if (last && Date.now() - last.created_at.getTime() < TRANSCRIPT_EVERY_MS) throw new AppError('rate_limited', 'A transcript was sent a few minutes ago; check your email.');
    const ticket = await trx.selectFrom('tickets').where('id', '=', conv.ticket_id!).select(['id', 'number']).executeTakeFirstOrThrow();
    const items = await loadItems(deps, trx, { conversationId: conv.id, orgId: conv.org_id, after: 0, limit: 5000, customerName: 'You' });
    const text = composeTranscript(items);
    const stored = await storeSecureMessage(trx, deps, {
      ticket: { id: ticket.id, orgId: conv.org_id, number: Number(ticket.number), customerId: conv.customer_id },
      body: { text, redactions: [] },
      authorType: 'system',
      authorUserId: null,
    });
    const seq = conv.last_seq + 1;
    await trx.insertInto('chat_events').values({ conversation_id: conv.id, seq, author: 'system', event: 'transcript' }).execute();
    await trx.updateTable('chat_conversations').set({ last_seq: seq }).where('id', '=', conv.id).execute();
    await deps.audit.append(trx, {
      orgId: conv.org_id,
      actor: { type: 'customer', id: conv.customer_id },
      requestId: visitor.requestId,
      sourceIp: visitor.ip,
      action: 'chat.transcript',
      object: { type: 'secure_message', id: stored.id },
      subjectCustomerId: conv.customer_id,
      result: 'success',
      details: { ticketId: ticket.id, items: items.length },
    });
    return { seq, conv };
  });
  // The item to the agent holding the chat; the state event tells everyone else who may read the ticket.
  deps.bus.publish({ k: 'chat-seq', orgId: out.conv.org_id, conversationId: out.conv.id, ticketId: out.conv.ticket_id, seq: out.seq });
  deps.bus.publish({ k: 'chat-state', orgId: out.conv.org_id, conversationId: out.conv.id, ticketId: out.conv.ticket_id });
}
