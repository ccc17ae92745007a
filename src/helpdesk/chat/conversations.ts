/**
 * Live chat conversations (docs/chat.md, decision 0176). A conversation gets a
 * ticket (channel `chat`) with the customer's first message; every message is
 * an ordinary ticket message — redacted by the organisation's sensitive-data
 * policy before anything is stored or announced, encrypted under the
 * customer's key — and a row in chat_events numbers it within the
 * conversation. Sequence numbers are given under the conversation row's lock,
 * so they have no gaps, and a message's client id is unique per conversation,
 * so a resend after a reconnect is acknowledged, never stored twice.
 *
 * Events on the bus are published after the commit and carry ids only.
 */
import { assertOrganizationOpen } from '../../identity/organizations/status.js';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { authorize } from '../../identity/auth/access.js';
import { hashSecret } from '../../identity/auth/secrets.js';
import { AppError, KeyDestroyedError } from '../../platform/errors.js';
import type { Bus } from '../../platform/realtime/bus.js';
import type { Presence } from '../../platform/realtime/presence.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { loadOrgDlp } from '../../protection/dlp-policy/org-policy.js';
import { redactText } from '../ingest/scan.js';
import { findOrCreateSender } from '../ingest/sender.js';
import type { ClientInfo, PortalDeps } from '../portal/deps.js';
import { looksLikePortalToken, newPortalToken } from '../portal/keys.js';
import type { PortalCustomer } from '../portal/sessions.js';
import { actingFromAgent, type AgentContext } from '../tickets/context.js';
import { insertMessage, insertTicket } from '../tickets/records.js';
import { loadTicketForAction } from '../tickets/tickets.service.js';
import { anyoneAvailable, chooseAgent } from './routing.js';
import type { ChatAuthor, ChatEventKind, ChatIdentity, ChatStatus } from './schema.js';
import { canonicalOrigin, loadChatSettings, verifySiteIdentity } from './settings.js';
import type { TicketStatus } from '../tickets/schema.js';
import { isServedOrigin } from '../../identity/organizations/hosts.js';

export interface ChatDeps extends PortalDeps {
  bus: Bus;
  presence: Presence;
}

export const MAX_CHAT_CHARS = 4000;
export const TOKEN_TTL_MS = 24 * 3_600_000;
export const TOKEN_IDLE_MS = 30 * 60_000;
/** Messages a visitor may send a minute, across every connection and instance (counted in the database). */
export const VISITOR_MESSAGES_PER_MINUTE = 60;

/** A conversation as its token's holder sees it. */
export interface ChatVisitor {
  conversationId: string;
  orgId: string;
  customerId: string;
  ticketId: string | null;
  expiresAt: Date;
  ip: string;
  requestId: string;
}

export interface ChatItem {
  seq: number;
  id: string | null;
  clientId: string | null;
  author: ChatAuthor;
  name: string;
  body: string;
  event: ChatEventKind | null;
  at: string;
  redacted: string[];
  attachments: Array<{ id: string; filename: string; size: number; dangerous: boolean }>;
}

const visitorActor = (v: Pick<ChatVisitor, 'orgId' | 'customerId' | 'ip' | 'requestId'>) => ({ orgId: v.orgId, actor: { type: 'customer' as const, id: v.customerId }, requestId: v.requestId, sourceIp: v.ip });

const ended = () => new AppError('conflict', 'This chat has ended.', { extra: { reason: 'ended' } });

// ---------------------------------------------------------------------------------------------------
// Starting, and the token

export interface StartInput {
  orgId: string;
  host: string;
  name?: string | undefined;
  identityToken?: string | undefined;
  /** The signed-in portal customer, when the chat is opened inside the portal. */
  portalCustomer?: PortalCustomer | undefined;
}

export interface Started {
  conversationId: string;
  token: string;
  expiresAt: string;
  available: boolean;
  identity: { kind: ChatIdentity; name: string };
}

/** Whether chat is on for the organisation and the page embedding it may. Returns the settings. */
async function checkHost(deps: ChatDeps, orgId: string, host: string, portal: boolean) {
  await assertOrganizationOpen(deps.db, orgId, 'Chat is not available here.');
  const settings = await loadChatSettings(deps.db, orgId);
  if (!settings.enabled) throw new AppError('not_found', 'Chat is not available here.');
  const origin = canonicalOrigin(host);
  const ok = portal ? await isServedOrigin(deps, origin, orgId) : origin !== null && settings.allowedOrigins.includes(origin);
  if (!ok) throw new AppError('forbidden', 'This website may not embed the chat.', { internal: `chat: host ${host.slice(0, 100)} not allowed` });
  return { settings, origin: origin as string };
}

/** The widget's first question: is chat on for this page, and is anyone there to answer. */
export async function chatAvailability(deps: ChatDeps, input: { orgId: string; host: string; portal?: boolean }): Promise<{ available: boolean; orgName: string }> {
  const { settings } = await checkHost(deps, input.orgId, input.host, input.portal === true);
  const org = await deps.db.selectFrom('organizations').where('id', '=', input.orgId).select('name').executeTakeFirstOrThrow();
  return { available: await anyoneAvailable(deps.db, deps.presence, input.orgId, settings.teamId, settings), orgName: org.name };
}

export async function startConversation(deps: ChatDeps, client: ClientInfo, input: StartInput): Promise<Started> {
  const org = await deps.db.selectFrom('organizations').where('id', '=', input.orgId).select('id').executeTakeFirst();
  if (!org) throw new AppError('not_found', 'Chat is not available here.');
  const portal = input.portalCustomer !== undefined;
  if (portal && input.portalCustomer!.orgId !== input.orgId) throw new AppError('forbidden', 'This portal session belongs to another organisation.');
  const { settings, origin } = await checkHost(deps, input.orgId, input.host, portal);
  const site = !portal && input.identityToken ? await verifySiteIdentity(deps, input.orgId, input.identityToken) : null;
  const dlp = (await loadOrgDlp(deps.db, input.orgId)).policy;
  const typedName = input.name?.trim() ? redactText(input.name.trim().slice(0, 200), 'body', dlp).text : null;
  const id = randomUUID();
  const token = newPortalToken('tdc');
  const expiresAt = new Date(Date.now() + TOKEN_TTL_MS);
  const result = await deps.db.transaction().execute(async (trx) => {
    let customerId: string;
    let kind: ChatIdentity;
    let name: string;
    if (portal) {
      customerId = input.portalCustomer!.customerId;
      kind = 'portal';
      name = (await customerName(trx, deps, customerId)) ?? 'Customer';
    } else if (site) {
      name = site.name ?? typedName ?? site.email.split('@')[0]!;
      customerId = (await findOrCreateSender(trx, deps, { orgId: input.orgId, address: site.email, name, actor: { type: 'system', id: 'chat' }, source: 'chat' })).id;
      kind = 'site';
    } else {
      // An anonymous visitor is a customer of their own, with a key of their own, and no address.
      customerId = randomUUID();
      name = typedName ?? 'Visitor';
      const owner = { type: 'customer' as const, id: customerId };
      await trx
        .insertInto('customers')
        .values({ id: customerId, org_id: input.orgId, name_enc: await deps.keyring.encrypt(owner, { table: 'customers', column: 'name_enc', rowId: customerId }, name, trx) })
        .execute();
      await deps.audit.append(trx, { orgId: input.orgId, actor: { type: 'system', id: 'chat' }, action: 'customer.create', object: { type: 'customer', id: customerId }, subjectCustomerId: customerId, result: 'success', details: { source: 'chat' } });
      kind = 'anonymous';
    }
    await trx
      .insertInto('chat_conversations')
      .values({ id, org_id: input.orgId, customer_id: customerId, identity: kind, host: origin, token_hash: hashSecret(token), expires_at: expiresAt, team_id: settings.teamId })
      .execute();
    await deps.audit.append(trx, { ...visitorActor({ orgId: input.orgId, customerId, ip: client.ip, requestId: client.requestId }), action: 'chat.start', object: { type: 'chat', id }, subjectCustomerId: customerId, result: 'success', details: { identity: kind, host: origin } });
    return { kind, name };
  });
  const available = await anyoneAvailable(deps.db, deps.presence, input.orgId, settings.teamId, settings);
  return { conversationId: id, token, expiresAt: expiresAt.toISOString(), available, identity: result };
}

async function customerName(exec: Executor, deps: ChatDeps, customerId: string): Promise<string | null> {
  const c = await exec.selectFrom('customers').where('id', '=', customerId).select(['id', 'name_enc']).executeTakeFirst();
  if (!c?.name_enc) return null;
  try {
    return await deps.keyring.decrypt({ table: 'customers', column: 'name_enc', rowId: c.id }, c.name_enc, exec);
  } catch (err) {
    if (err instanceof KeyDestroyedError) return null;
    throw err;
  }
}

const expiredToken = () => new AppError('unauthenticated', 'This chat has expired. Start a new one.');

/** The conversation behind a token, or 401: unknown, expired, or idle too long (the same answer for each). */
export async function authenticateVisitor(deps: Pick<ChatDeps, 'db'>, token: unknown, client: ClientInfo, now = new Date()): Promise<ChatVisitor> {
  if (!looksLikePortalToken(token, 'tdc')) throw expiredToken();
  const row = await deps.db
    .selectFrom('chat_conversations')
    .where('token_hash', '=', hashSecret(token))
    .select(['id', 'org_id', 'customer_id', 'ticket_id', 'expires_at', 'last_activity_at'])
    .executeTakeFirst();
  if (!row || row.expires_at <= now || now.getTime() - row.last_activity_at.getTime() > TOKEN_IDLE_MS) throw expiredToken();
  return { conversationId: row.id, orgId: row.org_id, customerId: row.customer_id, ticketId: row.ticket_id, expiresAt: row.expires_at, ip: client.ip, requestId: client.requestId };
}

/**
 * Which of these conversations' tokens still hold, with their idle clocks started again: an open socket is
 * activity, so a customer waiting in the queue without typing keeps their chat until the token's absolute
 * expiry. One statement for every socket an instance holds (the hub re-checks them all every 30 s).
 */
export async function touchVisitors(deps: Pick<ChatDeps, 'db'>, conversationIds: readonly string[], now = new Date()): Promise<Set<string>> {
  if (conversationIds.length === 0) return new Set();
  const rows = await deps.db
    .updateTable('chat_conversations')
    .set({ last_activity_at: now })
    .where('id', 'in', [...new Set(conversationIds)])
    .where('expires_at', '>', now)
    .where('last_activity_at', '>=', new Date(now.getTime() - TOKEN_IDLE_MS))
    .returning('id')
    .execute();
  return new Set(rows.map((r) => r.id));
}

// ---------------------------------------------------------------------------------------------------
// Adding to the conversation

interface ConversationRow {
  id: string;
  org_id: string;
  ticket_id: string | null;
  customer_id: string;
  status: ChatStatus;
  team_id: string | null;
  agent_id: string | null;
  offered_to: string | null;
  offered_before: string[];
  last_seq: number;
}

async function lockConversation(trx: Executor, where: { id: string } | { ticketId: string }, orgId: string): Promise<ConversationRow | undefined> {
  let q = trx.selectFrom('chat_conversations').where('org_id', '=', orgId);
  q = 'id' in where ? q.where('id', '=', where.id) : q.where('ticket_id', '=', where.ticketId);
  return q.select(['id', 'org_id', 'ticket_id', 'customer_id', 'status', 'team_id', 'agent_id', 'offered_to', 'offered_before', 'last_seq']).forUpdate().executeTakeFirst();
}

/**
 * Appends an event (with its message, if any) as the conversation's next seq. The row is locked. One statement:
 * the event, the conversation's seq (and the customer's idle clock), and — for a message — its ticket's times.
 */
async function appendEvent(
  trx: Executor,
  conv: ConversationRow,
  e: { messageId?: string | null; clientId?: string | null; author: ChatAuthor; authorUserId?: string | null; event?: ChatEventKind | null; activityAt?: Date; at?: Date; ticket?: TicketTouch },
): Promise<number> {
  const seq = conv.last_seq + 1;
  const event = { conversation_id: conv.id, seq, message_id: e.messageId ?? null, client_id: e.clientId ?? null, author: e.author, author_user_id: e.authorUserId ?? null, event: e.event ?? null, ...(e.at ? { created_at: e.at } : {}) };
  const touch = e.ticket;
  await trx
    .with('ev', (db) => db.insertInto('chat_events').values(event))
    .with('t', (db) =>
      touch
        ? db
            .updateTable('tickets')
            .set({
              last_message_at: touch.at,
              updated_at: touch.at,
              ...(touch.reopen ? { status: sql<TicketStatus>`CASE WHEN status IN ('pending', 'solved') THEN 'open' ELSE status END` } : {}),
              ...(touch.firstResponse ? { first_response_at: sql<Date>`coalesce(first_response_at, ${touch.at})` } : {}),
            })
            .where('id', '=', touch.ticketId)
        : db.selectNoFrom(sql<number>`1`.as('none')),
    )
    .updateTable('chat_conversations')
    .set(e.activityAt ? { last_seq: seq, last_activity_at: e.activityAt } : { last_seq: seq })
    .where('id', '=', conv.id)
    .execute();
  conv.last_seq = seq;
  return seq;
}

/** What a new chat message changes on its ticket (in appendEvent's statement). */
interface TicketTouch {
  ticketId: string;
  at: Date;
  /** A customer's message reopens a pending or solved ticket. */
  reopen?: boolean;
  /** An agent's message is the first response if there was none. */
  firstResponse?: boolean;
}

/**
 * Before a message is stored, in one statement: whether this clientId was sent already (a resend answers with
 * what was stored), and how many of the customer's messages the last minute holds. The row is locked first.
 */
async function sendChecks(trx: Executor, conversationId: string, clientId: string, since: Date | null): Promise<{ again: { seq: number; redacted: string[] } | null; recent: number }> {
  const { rows } = await sql<{ seq: number | null; redactions: unknown; recent: number }>`
    SELECT e.seq, m.redactions,
           ${since ? sql`(SELECT count(*)::int FROM chat_events r WHERE r.conversation_id = ${conversationId} AND r.author = 'customer' AND r.created_at > ${since})` : sql`0`} AS recent
    FROM (SELECT 1) AS one
    LEFT JOIN chat_events e ON e.conversation_id = ${conversationId} AND e.client_id = ${clientId}
    LEFT JOIN messages m ON m.id = e.message_id`.execute(trx);
  const row = rows[0]!;
  return { again: row.seq === null ? null : { seq: row.seq, redacted: redactedTypes(row.redactions) }, recent: Number(row.recent) };
}

function redactedTypes(stored: unknown): string[] {
  const list = (typeof stored === 'string' ? JSON.parse(stored) : stored) as Array<{ type: string; action: string }> | null;
  return [...new Set((list ?? []).filter((r) => r.action === 'redact').map((r) => r.type))];
}

export interface Sent {
  seq: number;
  redacted: string[];
  duplicate: boolean;
  /** The chat's ticket (made by the first message). */
  ticketId: string | null;
}

function cleanBody(body: string): string {
  const text = body.replace(/\r\n?/g, '\n').trim();
  if (!text) throw new AppError('validation_failed', 'The message is empty.');
  if (text.length > MAX_CHAT_CHARS) throw new AppError('payload_too_large', `Chat messages are limited to ${MAX_CHAT_CHARS} characters.`);
  return text;
}

/** The customer's message: redacted, stored, numbered; the first one makes the ticket and asks routing for an agent. */
export async function postCustomerMessage(
  deps: ChatDeps,
  visitor: ChatVisitor,
  input: { clientId: string; body: string },
  options: { onStored?: (item: ChatItem) => void } = {},
): Promise<Sent> {
  const text = cleanBody(input.body);
  const dlp = (await loadOrgDlp(deps.db, visitor.orgId)).policy;
  const body = redactText(text, 'body', dlp);
  // Routing needs the settings only for the first message (the one that makes the ticket).
  const settings = visitor.ticketId ? null : await loadChatSettings(deps.db, visitor.orgId);
  /** The chat settings, once the first message has made the ticket and routing is due. */
  let routed: Awaited<ReturnType<typeof loadChatSettings>> | null = null;
  const out = await deps.db.transaction().execute(async (trx) => {
    const conv = await lockConversation(trx, { id: visitor.conversationId }, visitor.orgId);
    if (!conv) throw expiredToken();
    const now = new Date();
    const { again, recent } = await sendChecks(trx, conv.id, input.clientId, new Date(now.getTime() - 60_000));
    if (again) return { ...again, duplicate: true, ticketId: conv.ticket_id, item: null };
    if (conv.status === 'ended') throw ended();
    if (recent >= VISITOR_MESSAGES_PER_MINUTE) throw new AppError('rate_limited', 'You are sending messages too fast; wait a moment.');
    if (!conv.ticket_id) {
      const chat = settings ?? (await loadChatSettings(trx, visitor.orgId));
      const teamId = conv.team_id ?? chat.teamId;
      const subject = `Chat: ${body.text.split('\n')[0]!.slice(0, 80)}`;
      const t = await insertTicket(trx, deps, { orgId: conv.org_id, subject, channel: 'chat', requesterId: conv.customer_id, teamId });
      await trx.updateTable('chat_conversations').set({ ticket_id: t.id, status: 'waiting', team_id: teamId, waiting_since: now }).where('id', '=', conv.id).execute();
      await deps.audit.append(trx, { ...visitorActor(visitor), action: 'ticket.create', object: { type: 'ticket', id: t.id }, subjectCustomerId: conv.customer_id, result: 'success', details: { channel: 'chat' } });
      conv.ticket_id = t.id;
      conv.team_id = teamId;
      routed = chat;
    }
    const { id: messageId } = await insertMessage(trx, deps, { orgId: conv.org_id, ticketId: conv.ticket_id, kind: 'public_reply', authorType: 'customer', customerId: conv.customer_id, body: body.text, redactions: body.redactions });
    const seq = await appendEvent(trx, conv, { messageId, clientId: input.clientId, author: 'customer', activityAt: now, at: now, ticket: { ticketId: conv.ticket_id, at: now, reopen: true } });
    await deps.audit.append(trx, { ...visitorActor(visitor), action: 'chat.message', object: { type: 'chat', id: conv.id }, subjectCustomerId: conv.customer_id, result: 'success', details: { ticketId: conv.ticket_id, seq, redactions: body.redactions.length } });
    // Routing last: the team's lock it takes is held only from here to the commit, so first messages of many
    // customers at once queue behind each other for two statements, not for the whole of each other's work.
    if (routed && conv.team_id) {
      const offeredTo = await chooseAgent(trx, deps.presence, { orgId: conv.org_id, teamId: conv.team_id, settings: routed });
      if (offeredTo) await trx.updateTable('chat_conversations').set({ offered_to: offeredTo, offered_at: now, offered_before: [offeredTo] }).where('id', '=', conv.id).execute();
    }
    const redacted = redactedTypes(body.redactions);
    const item: ChatItem = { seq, id: messageId, clientId: input.clientId, author: 'customer', name: 'You', body: body.text, event: null, at: now.toISOString(), redacted, attachments: [] };
    return { seq, redacted, duplicate: false, ticketId: conv.ticket_id, item };
  });
  if (out.item) options.onStored?.(out.item);
  if (!out.duplicate) {
    deps.bus.publish({ k: 'chat-seq', orgId: visitor.orgId, conversationId: visitor.conversationId, ticketId: out.ticketId, seq: out.seq });
    if (routed) deps.bus.publish({ k: 'chat-state', orgId: visitor.orgId, conversationId: visitor.conversationId, ticketId: out.ticketId });
  }
  return { seq: out.seq, redacted: out.redacted, duplicate: out.duplicate, ticketId: out.ticketId };
}

/**
 * Loads the chat of a ticket for an agent's action, authorising `permission` on the ticket; both rows
 * locked, the conversation first — the order the customer's path takes (conversation, then its ticket),
 * so a reply and a customer message at the same moment wait for each other instead of deadlocking.
 */
async function chatForAgent(trx: Executor, ctx: AgentContext, ticketId: string, permission: Parameters<typeof loadTicketForAction>[3]) {
  const conv = await lockConversation(trx, { ticketId }, ctx.principal.orgId);
  const ticket = await loadTicketForAction(trx, ctx, ticketId, permission);
  if (!conv) throw new AppError('not_found', 'This ticket is not a chat.');
  return { ticket, conv };
}

export async function postAgentMessage(deps: ChatDeps, ctx: AgentContext, input: { ticketId: string; clientId: string; body: string }): Promise<Sent> {
  const text = cleanBody(input.body);
  const body = redactText(text, 'body', (await loadOrgDlp(deps.db, ctx.principal.orgId)).policy);
  const out = await deps.db.transaction().execute(async (trx) => {
    const { ticket, conv } = await chatForAgent(trx, ctx, input.ticketId, 'tickets.write');
    const { again } = await sendChecks(trx, conv.id, input.clientId, null);
    if (again) return { ...again, duplicate: true, conv };
    if (conv.status === 'ended') throw ended();
    if (conv.status !== 'active' || conv.agent_id !== ctx.principal.userId) throw new AppError('conflict', conv.status === 'active' ? 'Someone else is handling this chat.' : 'Accept the chat before replying.');
    const now = new Date();
    const { id: messageId } = await insertMessage(trx, deps, { orgId: conv.org_id, ticketId: ticket.id, kind: 'public_reply', authorType: 'user', authorUserId: ctx.principal.userId, customerId: conv.customer_id, body: body.text, redactions: body.redactions });
    const seq = await appendEvent(trx, conv, { messageId, clientId: input.clientId, author: 'agent', authorUserId: ctx.principal.userId, ticket: { ticketId: ticket.id, at: now, firstResponse: true } });
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'chat.reply', object: { type: 'chat', id: conv.id }, subjectCustomerId: conv.customer_id, result: 'success', details: { ticketId: ticket.id, seq, redactions: body.redactions.length } });
    return { seq, redacted: redactedTypes(body.redactions), duplicate: false, conv };
  });
  if (!out.duplicate) deps.bus.publish({ k: 'chat-seq', orgId: out.conv.org_id, conversationId: out.conv.id, ticketId: out.conv.ticket_id, seq: out.seq });
  return { seq: out.seq, redacted: out.redacted, duplicate: out.duplicate, ticketId: out.conv.ticket_id };
}

/** Counts the agent's chats: accepted and still open. */
async function activeChats(trx: Executor, orgId: string, userId: string): Promise<number> {
  const r = await trx.selectFrom('chat_conversations').where('org_id', '=', orgId).where('status', '=', 'active').where('agent_id', '=', userId).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

function publishState(deps: ChatDeps, conv: ConversationRow, seq?: number): void {
  if (seq) deps.bus.publish({ k: 'chat-seq', orgId: conv.org_id, conversationId: conv.id, ticketId: conv.ticket_id, seq });
  deps.bus.publish({ k: 'chat-state', orgId: conv.org_id, conversationId: conv.id, ticketId: conv.ticket_id });
}

/** The agent takes a waiting chat (offered to them or not): it becomes theirs, and so does the ticket. */
export async function acceptChat(deps: ChatDeps, ctx: AgentContext, input: { ticketId: string }): Promise<{ seq: number }> {
  const p = ctx.principal;
  const settings = await loadChatSettings(deps.db, p.orgId);
  const out = await deps.db.transaction().execute(async (trx) => {
    const { ticket, conv } = await chatForAgent(trx, ctx, input.ticketId, 'tickets.take');
    if (conv.status === 'ended') throw ended();
    if (conv.status === 'active') throw new AppError('conflict', conv.agent_id === p.userId ? 'You are already in this chat.' : 'Someone else has already taken this chat.');
    if (conv.status !== 'waiting') throw new AppError('conflict', 'This chat has not started yet.');
    // Serialises one agent's accepts, so two at once cannot both pass the limit.
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`chat-agent:${p.userId}`}, 0))`.execute(trx);
    const open = await activeChats(trx, p.orgId, p.userId);
    if (open >= settings.maxChatsPerAgent) throw new AppError('conflict', `You already have ${open} chats open (the limit is ${settings.maxChatsPerAgent}); end one first.`);
    const now = new Date();
    await trx.updateTable('chat_conversations').set({ status: 'active', agent_id: p.userId, offered_to: null, offered_at: null, offered_before: [], accepted_at: now }).where('id', '=', conv.id).execute();
    await trx
      .updateTable('tickets')
      .set({ assignee_id: p.userId, status: sql`CASE WHEN status = 'new' THEN 'open' ELSE status END`, updated_at: now })
      .where('id', '=', ticket.id)
      .execute();
    const seq = await appendEvent(trx, conv, { author: 'system', authorUserId: p.userId, event: 'accepted' });
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'chat.accept', object: { type: 'chat', id: conv.id }, subjectCustomerId: conv.customer_id, result: 'success', details: { ticketId: ticket.id } });
    return { conv, seq };
  });
  publishState(deps, out.conv, out.seq);
  return { seq: out.seq };
}

/** Hands an open or waiting chat to a person (offered to them) or a team (offered by its strategy). */
/** The teams the caller may pass this chat to: asked as the transfer itself would authorise it (own chat, or tickets.assign). */
export async function transferTeams(deps: ChatDeps, ctx: AgentContext, input: { ticketId: string }): Promise<{ teams: Array<{ id: string; name: string }> }> {
  return deps.db.transaction().execute(async (trx) => {
    const ticket = await loadTicketForAction(trx, ctx, input.ticketId, 'tickets.write');
    const conv = await trx.selectFrom('chat_conversations').where('ticket_id', '=', ticket.id).select(['agent_id', 'status']).executeTakeFirst();
    if (!conv) throw new AppError('not_found', 'This ticket is not a chat.');
    if (conv.agent_id !== ctx.principal.userId) await loadTicketForAction(trx, ctx, ticket.id, 'tickets.assign');
    const teams = await trx.selectFrom('teams').where('org_id', '=', ctx.principal.orgId).select(['id', 'name']).orderBy('name').execute();
    return { teams };
  });
}

export async function transferChat(deps: ChatDeps, ctx: AgentContext, input: { ticketId: string; userId?: string | undefined; teamId?: string | undefined }): Promise<{ seq: number; offeredTo: string | null }> {
  const p = ctx.principal;
  if (!input.userId === !input.teamId) throw new AppError('validation_failed', 'Transfer to a person or to a team.');
  const settings = await loadChatSettings(deps.db, p.orgId);
  const out = await deps.db.transaction().execute(async (trx) => {
    const { ticket, conv } = await chatForAgent(trx, ctx, input.ticketId, 'tickets.write');
    if (conv.status === 'ended') throw ended();
    // Your own chat is yours to pass on; anyone else's needs the right to assign.
    if (conv.agent_id !== p.userId) await loadTicketForAction(trx, ctx, ticket.id, 'tickets.assign');
    let teamId = conv.team_id;
    let offeredTo: string | null;
    if (input.teamId) {
      const team = await trx.selectFrom('teams').where('id', '=', input.teamId).where('org_id', '=', p.orgId).select('id').executeTakeFirst();
      if (!team) throw new AppError('validation_failed', 'Unknown team.');
      teamId = team.id;
      offeredTo = await chooseAgent(trx, deps.presence, { orgId: p.orgId, teamId, settings, skip: conv.agent_id ? [conv.agent_id] : [] });
    } else {
      const user = await trx.selectFrom('users').where('id', '=', input.userId!).where('org_id', '=', p.orgId).where('status', '=', 'active').select('id').executeTakeFirst();
      if (!user) throw new AppError('validation_failed', 'Unknown person.');
      if (user.id === conv.agent_id) throw new AppError('conflict', 'This chat is already theirs.');
      offeredTo = user.id;
    }
    const now = new Date();
    await trx
      .updateTable('chat_conversations')
      .set({ status: 'waiting', agent_id: null, team_id: teamId, waiting_since: now, offered_to: offeredTo, offered_at: offeredTo ? now : null, offered_before: [...(conv.agent_id ? [conv.agent_id] : []), ...(offeredTo ? [offeredTo] : [])] })
      .where('id', '=', conv.id)
      .execute();
    await trx.updateTable('tickets').set({ assignee_id: null, team_id: teamId, updated_at: now }).where('id', '=', ticket.id).execute();
    const seq = await appendEvent(trx, conv, { author: 'system', authorUserId: p.userId, event: 'transferred' });
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'chat.transfer', object: { type: 'chat', id: conv.id }, subjectCustomerId: conv.customer_id, result: 'success', details: { ticketId: ticket.id, toUser: input.userId ?? null, toTeam: input.teamId ?? null } });
    return { conv, seq, offeredTo };
  });
  publishState(deps, out.conv, out.seq);
  return { seq: out.seq, offeredTo: out.offeredTo };
}

type Ender = { kind: 'agent'; ctx: AgentContext; ticketId: string } | { kind: 'customer'; visitor: ChatVisitor };

/** Ends the chat; the ticket stays open with its assignee and continues by email or secure message. */
export async function endChat(deps: ChatDeps, who: Ender): Promise<{ seq: number }> {
  const out = await deps.db.transaction().execute(async (trx) => {
    const conv =
      who.kind === 'agent' ? (await chatForAgent(trx, who.ctx, who.ticketId, 'tickets.write')).conv : await lockConversation(trx, { id: who.visitor.conversationId }, who.visitor.orgId);
    if (!conv) throw expiredToken();
    if (conv.status === 'ended') throw ended();
    const now = new Date();
    await trx.updateTable('chat_conversations').set({ status: 'ended', ended_at: now, ended_by: who.kind, offered_to: null, offered_at: null }).where('id', '=', conv.id).execute();
    const seq = await appendEvent(trx, conv, { author: 'system', authorUserId: who.kind === 'agent' ? who.ctx.principal.userId : null, event: 'ended' });
    const actor = who.kind === 'agent' ? actingFromAgent(who.ctx) : visitorActor(who.visitor);
    await deps.audit.append(trx, { ...actor, action: 'chat.end', object: { type: 'chat', id: conv.id }, subjectCustomerId: conv.customer_id, result: 'success', details: { ticketId: conv.ticket_id, by: who.kind } });
    return { conv, seq };
  });
  publishState(deps, out.conv, out.seq);
  return { seq: out.seq };
}

/** Records that the customer proved who they are inside the chat (the agent sees it in the conversation). */
export async function recordVerified(deps: ChatDeps, visitor: ChatVisitor): Promise<void> {
  const out = await deps.db.transaction().execute(async (trx) => {
    const conv = await lockConversation(trx, { id: visitor.conversationId }, visitor.orgId);
    if (!conv || conv.status === 'ended') return null;
    return { conv, seq: await appendEvent(trx, conv, { author: 'system', event: 'verified' }) };
  });
  if (out) publishState(deps, out.conv, out.seq);
}

// ---------------------------------------------------------------------------------------------------
// Reading

const EVENT_TEXT: Record<ChatEventKind, (name: string) => string> = {
  waiting: () => 'Waiting for the next available person.',
  accepted: (name) => `${name} joined the chat.`,
  transferred: () => 'The chat was passed to a colleague.',
  ended: () => 'The chat has ended.',
  transcript: () => 'A transcript was sent as a secure message.',
  verified: () => 'Identity verified with a code sent to the registered address.',
  identified: () => 'Email address confirmed with a code. This chat is now linked to that address.',
};

/** An attachment as loadItems' statement returns it. */
interface StoredFile {
  id: string;
  name: string | null;
  size: number | string;
  dangerous: boolean;
}

/** Items after `after`, in order, decrypted (at most `limit`). Who may read them is the caller's business. */
export async function loadItems(deps: Pick<ChatDeps, 'keyring'>, exec: Executor, input: { conversationId: string; orgId: string; after: number; limit?: number; customerName?: string }): Promise<ChatItem[]> {
  // One statement, the attachments of each message folded in (their names stay encrypted, hex in JSON).
  const rows = await exec
    .selectFrom('chat_events as e')
    .leftJoin('messages as m', 'm.id', 'e.message_id')
    .leftJoin('users as u', 'u.id', 'e.author_user_id')
    .where('e.conversation_id', '=', input.conversationId)
    .where('e.seq', '>', input.after)
    .orderBy('e.seq')
    .limit(input.limit ?? 500)
    .select(['e.seq', 'e.message_id', 'e.client_id', 'e.author', 'e.event', 'e.created_at', 'm.body_enc', 'm.redactions', 'm.org_id as m_org', 'u.name as user_name'])
    .select(
      sql<StoredFile[] | string | null>`(SELECT json_agg(json_build_object('id', a.id, 'name', encode(a.filename_enc, 'hex'), 'size', a.size, 'dangerous', a.dangerous) ORDER BY a.created_at)
        FROM attachments a WHERE e.message_id IS NOT NULL AND a.message_id = e.message_id AND a.org_id = ${input.orgId})`.as('files'),
    )
    .execute();
  const out: ChatItem[] = [];
  for (const r of rows) {
    let body = '';
    if (r.event) body = EVENT_TEXT[r.event](r.user_name ?? 'Someone');
    else if (r.message_id && r.body_enc) {
      try {
        body = await deps.keyring.decrypt({ table: 'messages', column: 'body_enc', rowId: r.message_id }, r.body_enc, exec);
      } catch (err) {
        if (!(err instanceof KeyDestroyedError)) throw err;
        body = '(erased)';
      }
    }
    const attachments = [];
    const files = (typeof r.files === 'string' ? JSON.parse(r.files) : r.files) as StoredFile[] | null;
    for (const f of files ?? []) {
      let filename = 'file';
      try {
        if (f.name) filename = await deps.keyring.decrypt({ table: 'attachments', column: 'filename_enc', rowId: f.id }, Buffer.from(f.name, 'hex'), exec);
      } catch (err) {
        if (!(err instanceof KeyDestroyedError)) throw err;
      }
      attachments.push({ id: f.id, filename, size: Number(f.size), dangerous: f.dangerous });
    }
    out.push({
      seq: r.seq,
      id: r.message_id,
      clientId: r.client_id,
      author: r.author,
      name: r.author === 'agent' ? (r.user_name ?? 'Agent') : r.author === 'customer' ? (input.customerName ?? 'You') : 'Trustdesk',
      body,
      event: r.event,
      at: r.created_at.toISOString(),
      redacted: redactedTypes(r.redactions),
      attachments,
    });
  }
  return out;
}

export interface ChatState {
  status: ChatStatus;
  lastSeq: number;
  agent: { name: string } | null;
}

export async function conversationState(exec: Executor, conversationId: string): Promise<ChatState & { ticketId: string | null; orgId: string; agentId: string | null; offeredTo: string | null; teamId: string | null; customerId: string }> {
  const row = await exec
    .selectFrom('chat_conversations as c')
    .leftJoin('users as u', 'u.id', 'c.agent_id')
    .where('c.id', '=', conversationId)
    .select(['c.status', 'c.last_seq', 'c.ticket_id', 'c.org_id', 'c.agent_id', 'c.offered_to', 'c.team_id', 'c.customer_id', 'u.name'])
    .executeTakeFirstOrThrow();
  return { status: row.status, lastSeq: row.last_seq, agent: row.agent_id && row.status === 'active' ? { name: row.name ?? 'Agent' } : null, ticketId: row.ticket_id, orgId: row.org_id, agentId: row.agent_id, offeredTo: row.offered_to, teamId: row.team_id, customerId: row.customer_id };
}

/** The conversation of a chat ticket for staff: authorised like the ticket, audited as a read. */
export async function readChatForAgent(deps: ChatDeps, ctx: AgentContext, input: { ticketId: string; after: number }): Promise<ChatState & { ticketId: string; conversationId: string; items: ChatItem[] }> {
  return deps.db.transaction().execute(async (trx) => {
    const t = await trx.selectFrom('tickets').where('id', '=', input.ticketId).where('org_id', '=', ctx.principal.orgId).select(['id', 'org_id', 'team_id', 'assignee_id', 'requester_id']).executeTakeFirst();
    authorize(ctx.principal, 'tickets.read', t ? { orgId: t.org_id, teamId: t.team_id, assigneeId: t.assignee_id } : null);
    const conv = await trx.selectFrom('chat_conversations').where('ticket_id', '=', t!.id).select(['id', 'customer_id']).executeTakeFirst();
    if (!conv) throw new AppError('not_found', 'This ticket is not a chat.');
    const state = await conversationState(trx, conv.id);
    const items = await loadItems(deps, trx, { conversationId: conv.id, orgId: ctx.principal.orgId, after: input.after, customerName: 'Customer' });
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'chat.read', object: { type: 'chat', id: conv.id }, subjectCustomerId: conv.customer_id, result: 'success', details: { ticketId: t!.id, after: input.after, items: items.length } });
    return { status: state.status, lastSeq: state.lastSeq, agent: state.agent, ticketId: t!.id, conversationId: conv.id, items };
  });
}

/** A file the customer sent (stored as its own ticket message by the portal's upload path) joins the chat. */
export async function appendAttachmentEvent(deps: ChatDeps, visitor: ChatVisitor, messageId: string): Promise<number> {
  const out = await deps.db.transaction().execute(async (trx) => {
    const conv = await lockConversation(trx, { id: visitor.conversationId }, visitor.orgId);
    if (!conv) throw expiredToken();
    if (conv.status === 'ended') throw ended();
    const seq = await appendEvent(trx, conv, { messageId, author: 'customer', activityAt: new Date() });
    return { conv, seq };
  });
  deps.bus.publish({ k: 'chat-seq', orgId: out.conv.org_id, conversationId: out.conv.id, ticketId: out.conv.ticket_id, seq: out.seq });
  return out.seq;
}

// What identification by an email code (identify.ts) shares with the rest of the conversation's writes.
export { appendEvent, customerName, ended, lockConversation, publishState, visitorActor, type ConversationRow };
