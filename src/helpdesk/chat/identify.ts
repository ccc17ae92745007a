/**
 * An anonymous chat visitor says who they are with a code sent to an email
 * address (docs/chat.md, decision 0186). The code is a portal challenge of
 * purpose `chat_email` (challenges.ts): stored as an HMAC, counted before it is
 * compared, used once, void after ten minutes or five wrong tries. It belongs
 * to one conversation and carries the address typed, encrypted under the
 * anonymous visitor's key.
 *
 * Asking answers the same whatever the address: no customer is looked up until
 * the code comes back, every address gets its code (an unknown one becomes a
 * customer when it is confirmed), and the per-address cap is silent. The mail
 * goes after the answer and holds the code and the organisation's name only.
 *
 * A right code makes the conversation `email`: the customer who uses that
 * address (found or created as for a site identity) absorbs the anonymous
 * visitor by the ordinary customer merge — the chat's ticket and what was said
 * move to them; the messages stay encrypted under the visitor's key, which the
 * merged record keeps and an erasure of the survivor destroys.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { AppError } from '../../platform/errors.js';
import { enqueueWebhookEvent } from '../../platform/webhooks/events.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { normalizers } from '../../protection/crypto/normalize.js';
import { brandName } from '../branding/branding.service.js';
import { mergeCustomers } from '../customers/customer-merge.js';
import { findOrCreateSender } from '../ingest/sender.js';
import { checkChallengeCode, consumeChallenge, createChallenge } from '../portal/challenges.js';
import { appendEvent, customerName, ended, lockConversation, publishState, visitorActor, type ChatDeps, type ChatVisitor } from './conversations.js';
import type { ChatIdentity } from './schema.js';
import { withSecureWayFooter } from '../../identity/policies/public.service.js';

const PURPOSE = 'chat_email';
const HOUR_MS = 3_600_000;
/** Codes one conversation may ask for an hour (then 429), and codes one address is sent an hour (then silence). */
export const CODES_PER_CONVERSATION_PER_HOUR = 3;
export const CODES_PER_ADDRESS_PER_HOUR = 5;

const identified = () => new AppError('conflict', 'This chat already knows who you are.', { extra: { reason: 'identified' } });
const badCode = () => new AppError('validation_failed', 'That code is wrong or has expired. Check it, or ask for a new code.', { extra: { reason: 'bad_code' } });
const gone = () => new AppError('unauthenticated', 'This chat has expired. Start a new one.');

async function conversationIdentity(exec: Executor, conversationId: string): Promise<ChatIdentity | undefined> {
  const row = await exec.selectFrom('chat_conversations').where('id', '=', conversationId).select('identity').executeTakeFirst();
  return row?.identity;
}

/** Where the visitor stands now: an ended or already identified conversation refuses both steps. */
function refuseUnlessOpenAndAnonymous(status: string, identity: ChatIdentity | undefined): void {
  if (status === 'ended') throw ended();
  if (identity !== 'anonymous') throw identified();
}

export async function requestEmailCode(deps: ChatDeps, visitor: ChatVisitor, input: { email: string }): Promise<{ challengeId: string; expiresAt: string }> {
  const address = input.email.trim();
  const addressHash = await deps.keyring.exactKeyedHash(visitor.orgId, { table: 'portal_challenges', column: 'address' }, normalizers.email(address));
  const challengeId = randomUUID();
  const out = await deps.db.transaction().execute(async (trx) => {
    const conv = await lockConversation(trx, { id: visitor.conversationId }, visitor.orgId);
    if (!conv) throw gone();
    refuseUnlessOpenAndAnonymous(conv.status, await conversationIdentity(trx, conv.id));
    const since = new Date(Date.now() - HOUR_MS);
    const deny = async (reason: 'conversation_cap' | 'address_cap') => {
      await deps.audit.append(trx, { ...visitorActor(visitor), action: 'chat.identify.request', object: { type: 'chat', id: conv.id }, subjectCustomerId: conv.customer_id, result: 'denied', details: { reason } });
      return { capped: reason, code: null, expiresAt: new Date(Date.now() + deps.policy.codeTtlMs) };
    };
    const mine = await trx.selectFrom('portal_challenges').where('conversation_id', '=', conv.id).where('created_at', '>', since).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    if (Number(mine.n) >= CODES_PER_CONVERSATION_PER_HOUR) return deny('conversation_cap');
    // Two conversations asking for one address at once wait for each other, so the cap holds.
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`chat-email:${visitor.orgId}:${addressHash.toString('hex')}`}, 0))`.execute(trx);
    const sent = await trx
      .selectFrom('portal_challenges')
      .where('org_id', '=', visitor.orgId)
      .where('address_hash', '=', addressHash)
      .where('created_at', '>', since)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    if (Number(sent.n) >= CODES_PER_ADDRESS_PER_HOUR) return deny('address_cap');
    // One live code per conversation: asking again voids the earlier one.
    await trx.updateTable('portal_challenges').set({ consumed_at: new Date() }).where('conversation_id', '=', conv.id).where('consumed_at', 'is', null).execute();
    const addressEnc = await deps.keyring.encrypt({ type: 'customer', id: conv.customer_id }, { table: 'portal_challenges', column: 'address_enc', rowId: challengeId }, address, trx);
    const c = await createChallenge(trx, deps, { id: challengeId, orgId: visitor.orgId, customerId: conv.customer_id, purpose: PURPOSE, chat: { conversationId: conv.id, addressEnc, addressHash } });
    await deps.audit.append(trx, { ...visitorActor(visitor), action: 'chat.identify.request', object: { type: 'chat', id: conv.id }, subjectCustomerId: conv.customer_id, result: 'success', details: { challenge: c.id } });
    return { capped: null, code: c.code, expiresAt: c.expiresAt };
  });
  if (out.capped === 'conversation_cap') throw new AppError('rate_limited', 'You have asked for several codes already. Wait a while, or go on chatting without one.');
  // After the answer, so the relay's speed shows nothing; the same answer when the address is over its cap.
  if (out.code) {
    const code = out.code;
    deps.deferred.run('chat email code', () => sendEmailCode(deps, { orgId: visitor.orgId, to: address, code }));
  }
  return { challengeId, expiresAt: out.expiresAt.toISOString() };
}

/** The code and the organisation's name: nothing of the conversation. */
async function sendEmailCode(deps: ChatDeps, input: { orgId: string; to: string; code: string }): Promise<void> {
  const brand = await brandName(deps.db, input.orgId);
  const minutes = Math.round(deps.policy.codeTtlMs / 60_000);
  await deps.mailer.send({
    to: input.to,
    fromName: brand,
    subject: `Your ${brand} chat code`,
    text: await withSecureWayFooter(deps.db, deps.publicUrl, input.orgId, [
      `Your code to confirm your email address in the ${brand} chat is ${input.code}. It expires in ${minutes} minutes.`,
      '',
      'Type it into the chat window. If you did not ask for it, ignore this email: without the code nobody can use your address in the chat.',
    ].join('\n')),
  });
}

export async function confirmEmailCode(deps: ChatDeps, visitor: ChatVisitor, input: { challengeId: string; code: string }): Promise<{ identity: { kind: 'email'; name: string } }> {
  // Refused before an attempt is spent: an identified or ended chat has nothing to confirm.
  const state = await deps.db.selectFrom('chat_conversations').where('id', '=', visitor.conversationId).select(['status', 'identity']).executeTakeFirst();
  if (!state) throw gone();
  refuseUnlessOpenAndAnonymous(state.status, state.identity);
  const fail = async (why: string) => {
    await deps.audit.record({ ...visitorActor(visitor), action: 'chat.identify', object: { type: 'chat', id: visitor.conversationId }, subjectCustomerId: visitor.customerId, result: 'failure', details: { reason: why } });
    return badCode();
  };
  let checked;
  try {
    // Counted before compared, and only among this visitor's own challenges: another conversation's is not touched.
    checked = await checkChallengeCode(deps, { challengeId: input.challengeId, code: input.code, purpose: PURPOSE, customerId: visitor.customerId });
  } catch (err) {
    if (err instanceof AppError && err.code === 'unauthenticated') {
      // The same code sent twice at once: the winner may have spent it and identified the chat between our first
      // look and this check. The loser then hears what a later replay hears (409), not "wrong code".
      const now = await deps.db.selectFrom('chat_conversations').where('id', '=', visitor.conversationId).select(['status', 'identity']).executeTakeFirst();
      if (now) refuseUnlessOpenAndAnonymous(now.status, now.identity);
      throw await fail('bad_code');
    }
    throw err;
  }
  let raced = false;
  const out = await deps.db.transaction().execute(async (trx) => {
    const conv = await lockConversation(trx, { id: visitor.conversationId }, visitor.orgId);
    if (!conv) throw gone();
    refuseUnlessOpenAndAnonymous(conv.status, await conversationIdentity(trx, conv.id));
    const ch = await trx.selectFrom('portal_challenges').where('id', '=', checked.id).select(['conversation_id', 'address_enc']).executeTakeFirstOrThrow();
    if (ch.conversation_id !== conv.id || conv.customer_id !== checked.customer_id || !ch.address_enc) throw badCode();
    // Consume first, then act: a second use of the same code (or a race) loses here.
    try {
      await consumeChallenge(trx, checked.id);
    } catch (err) {
      raced = true;
      throw err;
    }
    const address = await deps.keyring.decrypt({ table: 'portal_challenges', column: 'address_enc', rowId: checked.id }, ch.address_enc, trx);
    const typed = await customerName(trx, deps, conv.customer_id);
    const name = typed && typed !== 'Visitor' ? typed : address.split('@')[0]!;
    const target = await findOrCreateSender(trx, deps, { orgId: conv.org_id, address, name, actor: { type: 'system', id: 'chat' }, source: 'chat' });
    const actor = { orgId: conv.org_id, actor: { type: 'customer' as const, id: conv.customer_id }, requestId: visitor.requestId, sourceIp: visitor.ip };
    const { ticketsMoved } = await mergeCustomers(deps, actor, { sourceId: conv.customer_id, targetId: target.id, reason: 'Chat visitor confirmed this email address with a code' }, trx);
    await trx.updateTable('chat_conversations').set({ customer_id: target.id, identity: 'email', last_activity_at: new Date() }).where('id', '=', conv.id).execute();
    const seq = await appendEvent(trx, conv, { author: 'system', event: 'identified' });
    // Open consoles refetch the ticket: its customer panel now shows who it is.
    if (conv.ticket_id) await enqueueWebhookEvent(trx, { orgId: conv.org_id, type: 'ticket.updated', data: { ticketId: conv.ticket_id, changes: ['requester'] } });
    await deps.audit.append(trx, { ...actor, action: 'chat.identify', object: { type: 'chat', id: conv.id }, subjectCustomerId: target.id, result: 'success', details: { challenge: checked.id, merged: conv.customer_id, created: target.created, ticketsMoved } });
    conv.customer_id = target.id;
    return { conv, seq, name: (await customerName(trx, deps, target.id)) ?? name };
  }).catch(async (err: unknown) => {
    // A code used twice at once: the loser hears what any spent code hears.
    if (raced) throw await fail('used');
    throw err;
  });
  publishState(deps, out.conv, out.seq);
  return { identity: { kind: 'email', name: out.name } };
}
