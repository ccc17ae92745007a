/**
 * Secure messages: an agent's reply whose email carries only a notice and a
 * link. The content is a ticket message that is never queued for email; the
 * notice is a separate system message that is (through the outbound queue, so
 * it threads and retries like any reply). The conversation keeps only the note
 * SECURE_NOTICE_NOTE: the email's text with the customer's live link waits in
 * the outbound queue, encrypted, until sent (decision 0125), so no agent can
 * read or follow it. The link token is stored as a hash,
 * expires, and dies when it starts a portal session; starting that session
 * needs a one-time code sent to the customer's registered address. Every read
 * is audited in the read's transaction.
 */
import { brandName } from '../branding/branding.service.js';
import { randomUUID } from 'node:crypto';
import { hashSecret } from '../../identity/auth/secrets.js';
import { AppError, KeyDestroyedError } from '../../platform/errors.js';
import { redactText } from '../ingest/scan.js';
import { enqueueOutboundMail } from '../mail/outbound-queue.js';
import { checkChallengeCode, consumeChallenge, createChallenge, registeredEmail } from '../portal/challenges.js';
import type { ClientInfo, PortalDeps } from '../portal/deps.js';
import { looksLikePortalToken, newPortalToken } from '../portal/keys.js';
import { createPortalSession, customerActor, type NewPortalSession, type PortalCustomer } from '../portal/sessions.js';
import { actingFromAgent, type AgentContext } from '../tickets/context.js';
import { refuseIfHeld } from '../tickets/hold.js';
import { insertMessage } from '../tickets/records.js';
import type { StoredRedaction, TicketStatus } from '../tickets/schema.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { loadTicketForAction, SECURE_NOTICE_NOTE } from '../tickets/tickets.service.js';
import { loadOrgDlp, secureMessagePolicy } from '../../protection/dlp-policy/org-policy.js';
import { withSecureWayFooter } from '../../identity/policies/public.service.js';
import { customerBaseUrl } from '../../identity/organizations/hosts.js';

const MAX_BODY_CHARS = 200_000;
/** Codes one link may have sent before it must be re-issued by the agent. */
const MAX_CODES_PER_LINK = 5;

export function secureLinkUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/portal/secure?token=${token}`;
}

/** The notice text (pure): no content, no customer data, only where to read it. */
export function composeSecureNotice(input: { ticketNumber: number; url: string; expiresAt: Date; brand: string }): string {
  return [
    `You have a new secure message from ${input.brand} about your request #${input.ticketNumber}.`,
    '',
    'For your privacy it is not included in this email. Read it here:',
    input.url,
    '',
    `The link works until ${input.expiresAt.toUTCString()} and can start one session. You will be asked for a one-time code that we send to this address.`,
  ].join('\n');
}

export async function sendSecureReply(
  deps: PortalDeps,
  ctx: AgentContext,
  input: { ticketId: string; body: string; status?: TicketStatus },
): Promise<{ secureMessageId: string; messageId: string; noticeMessageId: string; outboundId: string; expiresAt: string }> {
  if (!input.body.trim()) throw new AppError('validation_failed', 'The message is empty.');
  if (input.body.length > MAX_BODY_CHARS) throw new AppError('payload_too_large', `Messages are limited to ${MAX_BODY_CHARS} characters.`);
  // The secure channel carries what it exists for (one-time codes, PINs, passwords); card numbers stay masked.
  const body = redactText(input.body, 'body', secureMessagePolicy((await loadOrgDlp(deps.db, ctx.principal.orgId)).policy));
  return deps.db.transaction().execute(async (trx) => {
    const t = await loadTicketForAction(trx, ctx, input.ticketId, 'tickets.write');
    if (t.status === 'closed') throw new AppError('conflict', 'This ticket is closed; open a follow-up ticket instead.');
    if (!t.requester_id) throw new AppError('conflict', 'This ticket has no requester to send a secure message to.');
    await refuseIfHeld(trx, t.id, 'reply');
    const { id, messageId, noticeMessageId, outboundId, expiresAt } = await storeSecureMessage(trx, deps, {
      ticket: { id: t.id, orgId: t.org_id, number: Number(t.number), customerId: t.requester_id },
      body,
      authorType: 'user',
      authorUserId: ctx.principal.userId,
    });
    const now = new Date();
    const next: TicketStatus = input.status ?? (t.status === 'new' || t.status === 'open' ? 'pending' : t.status);
    await trx.updateTable('tickets').set({ status: next, updated_at: now, last_message_at: now, first_response_at: t.first_response_at ?? now }).where('id', '=', t.id).execute();
    await deps.audit.append(trx, {
      ...actingFromAgent(ctx),
      action: 'secure_message.send',
      object: { type: 'secure_message', id },
      subjectCustomerId: t.requester_id,
      result: 'success',
      details: { ticketId: t.id, messageId, noticeMessageId, expiresAt: expiresAt.toISOString(), redactions: body.redactions.length },
    });
    return { secureMessageId: id, messageId, noticeMessageId, outboundId, expiresAt: expiresAt.toISOString() };
  });
}

/**
 * Stores a secure message on a ticket: the content (a public reply never queued for email), the notice in
 * the conversation, the link (hashed) and the notice email in the outbound queue. `body` has passed the
 * secure channel's sensitive-data stage. Inside the caller's transaction; the caller audits.
 */
export async function storeSecureMessage(
  trx: Executor,
  deps: PortalDeps,
  input: { ticket: { id: string; orgId: string; number: number; customerId: string }; body: { text: string; redactions: StoredRedaction[] }; authorType: 'user' | 'system'; authorUserId: string | null },
): Promise<{ id: string; messageId: string; noticeMessageId: string; outboundId: string; expiresAt: Date }> {
  const t = { id: input.ticket.id, org_id: input.ticket.orgId, number: input.ticket.number, requester_id: input.ticket.customerId };
  const body = input.body;
    const messageId = randomUUID();
  // The content: a public reply that is never queued for email.
  await insertMessage(trx, deps, { id: messageId, orgId: t.org_id, ticketId: t.id, kind: 'public_reply', authorType: input.authorType, authorUserId: input.authorUserId, customerId: t.requester_id, body: body.text, redactions: body.redactions });
  const id = randomUUID();
  const token = newPortalToken('tdm');
  const expiresAt = new Date(Date.now() + deps.policy.secureLinkTtlMs);
  const noticeMessageId = randomUUID();
  const smtpMessageId = `${randomUUID()}@${deps.messageIdHost}`;
  // The notice in the conversation is a note that it was sent (with its delivery status); the email's
  // text, which holds the link, goes only to the outbound queue (encrypted, cleared once sent).
  await insertMessage(trx, deps, {
    id: noticeMessageId,
    orgId: t.org_id,
    ticketId: t.id,
    kind: 'public_reply',
    authorType: 'system',
    customerId: t.requester_id,
    body: SECURE_NOTICE_NOTE,
    messageId: smtpMessageId,
    deliveryStatus: 'queued',
  });
  await trx
    .insertInto('secure_messages')
    .values({ id, org_id: t.org_id, ticket_id: t.id, message_id: messageId, notice_message_id: noticeMessageId, customer_id: t.requester_id, link_hash: hashSecret(token), expires_at: expiresAt, created_by: input.authorUserId })
    .execute();
  const outboundId = await enqueueOutboundMail(trx, deps, {
    orgId: t.org_id,
    ticketId: t.id,
    messageId: noticeMessageId,
    customerId: t.requester_id,
    smtpMessageId,
    body: composeSecureNotice({ ticketNumber: Number(t.number), url: secureLinkUrl(await customerBaseUrl({ db: trx, publicUrl: deps.publicUrl }, t.org_id), token), expiresAt, brand: await brandName(trx, t.org_id) }),
  });
  return { id, messageId, noticeMessageId, outboundId, expiresAt };
}

const DEAD_LINK = () => new AppError('gone', 'This secure-message link has expired or was already used. Ask us to send it again.');

/**
 * Whether a link can still start a session (not used, not expired, known), without sending anything, so the
 * page does not offer "Send me a code" for a spent link. Used, expired and unknown answer alike; no audit row
 * (nothing is read or granted), and the route is rate-limited like `open`.
 */
export async function checkSecureLink(deps: PortalDeps, input: { token: string }): Promise<{ state: 'usable' | 'spent' }> {
  if (!looksLikePortalToken(input.token, 'tdm')) return { state: 'spent' };
  const sm = await deps.db.selectFrom('secure_messages').where('link_hash', '=', hashSecret(input.token)).select(['expires_at', 'link_used_at']).executeTakeFirst();
  return { state: sm && !sm.link_used_at && sm.expires_at.getTime() > Date.now() ? 'usable' : 'spent' };
}

/** Opening the link sends a one-time code to the customer's registered address; the link itself grants nothing yet. */
export async function openSecureLink(deps: PortalDeps, client: ClientInfo, input: { token: string }): Promise<{ challengeId: string; expiresAt: string }> {
  if (!looksLikePortalToken(input.token, 'tdm')) throw DEAD_LINK();
  const sm = await deps.db
    .selectFrom('secure_messages')
    .where('link_hash', '=', hashSecret(input.token))
    .select(['id', 'org_id', 'customer_id', 'expires_at', 'link_used_at'])
    .executeTakeFirst();
  if (!sm || sm.link_used_at || sm.expires_at.getTime() <= Date.now()) {
    await deps.audit.record({ orgId: sm?.org_id ?? null, actor: { type: 'anonymous' }, action: 'secure_message.open', object: sm ? { type: 'secure_message', id: sm.id } : null, result: 'denied', requestId: client.requestId, sourceIp: client.ip, details: { reason: sm ? (sm.link_used_at ? 'used' : 'expired') : 'unknown' } });
    throw DEAD_LINK();
  }
  const sent = await deps.db.selectFrom('portal_challenges').where('secure_message_id', '=', sm.id).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  if (Number(sent.n) >= MAX_CODES_PER_LINK) throw new AppError('rate_limited', 'Too many codes were sent for this link. Ask us to send the message again.');
  const { challenge, email } = await deps.db.transaction().execute(async (trx) => {
    const email = await registeredEmail(trx, deps, sm.customer_id);
    if (!email) throw DEAD_LINK();
    const challenge = await createChallenge(trx, deps, { orgId: sm.org_id, customerId: sm.customer_id, purpose: 'secure_message', secureMessageId: sm.id });
    await deps.audit.append(trx, { orgId: sm.org_id, actor: { type: 'anonymous' }, action: 'secure_message.open', object: { type: 'secure_message', id: sm.id }, subjectCustomerId: sm.customer_id, result: 'success', requestId: client.requestId, sourceIp: client.ip });
    return { challenge, email };
  });
  const brand = await brandName(deps.db, sm.org_id);
  await deps.mailer.send({
    to: email,
    fromName: brand,
    subject: `Your code to read a secure message from ${brand}`,
    text: await withSecureWayFooter(deps.db, deps.publicUrl, sm.org_id, `Your code to read the secure message from ${brand} is ${challenge.code}. It expires in ${Math.round(deps.policy.codeTtlMs / 60_000)} minutes.\n\nIf you did not open a secure-message link just now, ignore this email.`),
  });
  return { challengeId: challenge.id, expiresAt: challenge.expiresAt.toISOString() };
}

/** The right code starts a portal session and kills the link, in one transaction. */
export async function verifySecureLinkCode(deps: PortalDeps, client: ClientInfo, input: { challengeId: string; code: string }): Promise<{ session: NewPortalSession; secureMessageId: string; ticketId: string }> {
  const c = await checkChallengeCode(deps, { challengeId: input.challengeId, code: input.code, purpose: 'secure_message' });
  return deps.db.transaction().execute(async (trx) => {
    await consumeChallenge(trx, c.id);
    const sm = await trx
      .updateTable('secure_messages')
      .set({ link_used_at: new Date() })
      .where('id', '=', c.secure_message_id as string)
      .where('link_used_at', 'is', null)
      .where('expires_at', '>', new Date())
      .returning(['id', 'ticket_id', 'customer_id', 'org_id'])
      .executeTakeFirst();
    if (!sm) throw DEAD_LINK();
    const session = await createPortalSession(trx, deps, { orgId: sm.org_id, customerId: sm.customer_id, method: 'secure_message', client });
    await deps.audit.append(trx, { orgId: sm.org_id, actor: { type: 'customer', id: sm.customer_id }, action: 'portal.signin', object: { type: 'secure_message', id: sm.id }, subjectCustomerId: sm.customer_id, result: 'success', requestId: client.requestId, sourceIp: client.ip, details: { method: 'secure_message' } });
    return { session, secureMessageId: sm.id, ticketId: sm.ticket_id };
  });
}

export interface SecureMessageView {
  id: string;
  ticketId: string;
  ticketNumber: number;
  body: string | null;
  createdAt: string;
}

/** The customer reads one of their secure messages; the audit event commits with the read or nothing is returned. */
export async function readSecureMessage(deps: PortalDeps, customer: PortalCustomer, input: { secureMessageId: string }): Promise<SecureMessageView> {
  return deps.db.transaction().execute(async (trx) => {
    const sm = await trx
      .selectFrom('secure_messages as s')
      .innerJoin('tickets as t', 't.id', 's.ticket_id')
      .innerJoin('messages as m', 'm.id', 's.message_id')
      .where('s.id', '=', input.secureMessageId)
      .where('s.org_id', '=', customer.orgId)
      .where('s.customer_id', '=', customer.customerId)
      .where('t.requester_id', '=', customer.customerId)
      .select(['s.id', 's.ticket_id', 't.number', 'm.id as message_id', 'm.body_enc', 'm.created_at'])
      .executeTakeFirst();
    if (!sm) throw new AppError('not_found', 'No such message.');
    await trx.updateTable('secure_messages').set((eb) => ({ read_count: eb('read_count', '+', 1), first_read_at: eb.fn.coalesce('first_read_at', eb.val(new Date())) })).where('id', '=', sm.id).execute();
    await deps.audit.append(trx, { ...customerActor(customer), action: 'secure_message.read', object: { type: 'secure_message', id: sm.id }, subjectCustomerId: customer.customerId, result: 'success', details: { ticketId: sm.ticket_id, via: 'message' } });
    let body: string | null = null;
    try {
      body = sm.body_enc ? await deps.keyring.decrypt({ table: 'messages', column: 'body_enc', rowId: sm.message_id }, sm.body_enc, trx) : '';
    } catch (err) {
      if (!(err instanceof KeyDestroyedError)) throw err;
    }
    return { id: sm.id, ticketId: sm.ticket_id, ticketNumber: Number(sm.number), body, createdAt: new Date(sm.created_at).toISOString() };
  });
}

/** Secure messages of a ticket as agents see them (state, not content). */
export async function listSecureMessages(deps: PortalDeps, ctx: AgentContext, input: { ticketId: string }) {
  return deps.db.transaction().execute(async (trx) => {
    const t = await loadTicketForAction(trx, ctx, input.ticketId, 'tickets.read');
    const rows = await trx.selectFrom('secure_messages').where('ticket_id', '=', t.id).select(['id', 'message_id', 'expires_at', 'link_used_at', 'first_read_at', 'read_count', 'created_at']).orderBy('created_at').execute();
    return rows.map((r) => ({
      id: r.id,
      messageId: r.message_id,
      expiresAt: r.expires_at.toISOString(),
      linkUsedAt: r.link_used_at?.toISOString() ?? null,
      firstReadAt: r.first_read_at?.toISOString() ?? null,
      readCount: Number(r.read_count),
      createdAt: new Date(r.created_at).toISOString(),
    }));
  });
}
