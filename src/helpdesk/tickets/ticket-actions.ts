/**
 * Changes agents make to tickets: public replies (queued for email on email
 * tickets), internal notes, assignment and status. Each passes an object-level
 * check, runs the sensitive-data stage on any text, and commits with its audit
 * event in one transaction.
 */
import { randomUUID } from 'node:crypto';
import type { Executor } from '../../protection/crypto/keyring.js';
import { AppError } from '../../platform/errors.js';
import { redactText } from '../ingest/scan.js';
import { enqueueOutboundMail } from '../mail/outbound-queue.js';
import { actingFromAgent, type AgentContext, type HelpdeskDeps } from './context.js';
import { enqueueWebhookEvent } from '../../platform/webhooks/events.js';
import { refuseIfHeld } from './hold.js';
import { insertMessage } from './records.js';
import type { TicketStatus } from './schema.js';
import { MAX_ASSIGNEES } from '../../platform/http/schemas/tickets.js';
import { takeUploadedAttachments } from './ticket-files.js';
import { loadTicketForAction } from './tickets.service.js';
import { assignOnReplyIn } from '../work/take.js';
import { loadOrgDlp, sensitiveTypesIn, type OrgDlp } from '../../protection/dlp-policy/org-policy.js';
import { notifyAssignmentChange, notifyMentions } from '../notifications/notify.js';
import type { DlpPolicy } from '../../protection/dlp/index.js';
import { isBlankRichText, plainToRichText, richTextToPlain, sanitizeRichText } from '../rich-text/sanitize.js';
import { prepareStaffHtml } from '../rich-text/staff-html.js';
import { loadReplySignature, withSignature } from '../signatures/signatures.js';
import type { StoredRedaction } from './schema.js';
import { sendCsatSurveys } from '../csat/csat.service.js';
import { labelAnsweredMessages } from '../../threats/phishing-learning/labels.js';

const MAX_BODY_CHARS = 200_000;

function checkBody(body: string): void {
  if (!body.trim()) throw new AppError('validation_failed', 'The message is empty.');
  if (body.length > MAX_BODY_CHARS) throw new AppError('payload_too_large', `Messages are limited to ${MAX_BODY_CHARS} characters.`);
}

/**
 * The text (and rich text, when the composer sent HTML) as stored: sanitised, redacted, the text derived from the
 * HTML. `draft` is what the agent wrote before redaction, for the plain-email check. Decision 0149.
 */
function prepareBody(input: { body: string; html?: string | undefined; attachmentIds?: readonly string[] | undefined }, policy: DlpPolicy): { text: string; html: string | null; redactions: StoredRedaction[]; draft: string } {
  if (input.html === undefined) {
    const body = redactText(input.body, 'body', policy);
    return { text: body.text, html: null, redactions: body.redactions, draft: input.body };
  }
  const rich = prepareStaffHtml(input.html, { policy, ...(input.attachmentIds ? { imageIds: input.attachmentIds } : {}) });
  if (isBlankRichText(rich.html)) throw new AppError('validation_failed', 'The message is empty.');
  if (rich.text.length > MAX_BODY_CHARS) throw new AppError('payload_too_large', `Messages are limited to ${MAX_BODY_CHARS} characters.`);
  // HTML that says no more than its text (paragraphs only) is stored as text alone: it reads, sends and shows as before.
  const plain = sanitizeRichText(plainToRichText(rich.text)) === rich.html;
  return { text: rich.text, html: plain ? null : rich.html, redactions: rich.redactions, draft: richTextToPlain(sanitizeRichText(input.html)) };
}

export interface ReplyResult {
  messageId: string;
  /** Set when the reply was queued for email. */
  outboundId: string | null;
  redactions: number;
}

export async function replyToTicket(
  deps: HelpdeskDeps,
  ctx: AgentContext,
  input: { ticketId: string; body: string; html?: string; status?: TicketStatus; acknowledgeSensitive?: boolean; attachmentIds?: readonly string[] },
): Promise<ReplyResult> {
  checkBody(input.body);
  // An agent's own reply: sensitive data by plain email needs their explicit confirmation.
  const result = await deps.db.transaction().execute((trx) => replyToTicketIn(trx, deps, ctx, { ...input, acknowledgeSensitive: input.acknowledgeSensitive ?? false }));
  // Answering a customer says their messages were legitimate: the organisation's phishing model learns it
  // (decision 0174). After the commit, best effort: it never fails the reply.
  await labelAnsweredMessages(deps, { orgId: ctx.principal.orgId, ticketId: input.ticketId, replyId: result.messageId, agentId: ctx.principal.userId });
  return result;
}

/**
 * A reply that leaves by plain email and carries sensitive data: warned about
 * (the agent confirms, or sends it as a secure message instead), or refused
 * outright when the organisation says so.
 */
function checkPlainEmailReply(text: string, dlp: OrgDlp, acknowledged: boolean): void {
  const types = sensitiveTypesIn(text, dlp.policy);
  if (types.length === 0) return;
  if (dlp.replyMode === 'block') {
    throw new AppError('conflict', 'This reply holds sensitive data and your organisation does not allow it by plain email. Send it as a secure message.', {
      extra: { sensitiveTypes: types, blocked: true, useSecureMessage: true },
    });
  }
  if (!acknowledged) {
    throw new AppError('conflict', 'This reply holds sensitive data and would go by plain email. Send it as a secure message, or confirm to send anyway.', {
      extra: { sensitiveTypes: types, blocked: false, useSecureMessage: true },
    });
  }
}

/** The reply inside a caller's transaction (macros post a reply and apply their actions atomically). */
export async function replyToTicketIn(
  trx: Executor,
  deps: HelpdeskDeps,
  ctx: AgentContext,
  input: { ticketId: string; body: string; html?: string; status?: TicketStatus; acknowledgeSensitive?: boolean; attachmentIds?: readonly string[] },
): Promise<ReplyResult> {
  checkBody(input.body);
  const dlp = await loadOrgDlp(trx, ctx.principal.orgId);
  const prepared = prepareBody(input, dlp.policy);
  const t = await loadTicketForAction(trx, ctx, input.ticketId, 'tickets.write');
  if (t.status === 'closed') throw new AppError('conflict', 'This ticket is closed; open a follow-up ticket instead.');
  await refuseIfHeld(trx, t.id, 'reply');
  await assignOnReplyIn(trx, deps, ctx, t);
  const id = randomUUID();
  const sendByEmail = t.channel === 'email' && t.requester_id !== null;
  // Callers inside a larger action (macros) confirm through their own warning step, so absence
  // means confirmed there; the organisation's block mode binds every caller.
  if (sendByEmail) checkPlainEmailReply(prepared.draft, dlp, input.acknowledgeSensitive ?? true);
  // Email replies end with the person's and the mailbox's signatures (saved already redacted), after the check: a
  // phone number in a footer is not the agent's doing and must not warn on every reply.
  const body = sendByEmail ? withSignature(prepared, await loadReplySignature(trx, { orgId: t.org_id, userId: ctx.principal.userId, mailboxId: t.mailbox_id })) : prepared;
  const smtpMessageId = sendByEmail ? `${randomUUID()}@${deps.messageIdHost}` : null;
  await insertMessage(trx, deps, {
    id,
    orgId: t.org_id,
    ticketId: t.id,
    kind: 'public_reply',
    authorType: 'user',
    authorUserId: ctx.principal.userId,
    customerId: t.requester_id,
    body: body.text,
    html: body.html,
    redactions: prepared.redactions,
    messageId: smtpMessageId,
    deliveryStatus: sendByEmail ? 'queued' : null,
  });
  // Uploaded files move onto the reply: the portal shows them and the mail worker attaches them to the email.
  const files = await takeUploadedAttachments(trx, deps, t.id, input.attachmentIds ?? [], id);
  let outboundId: string | null = null;
  if (sendByEmail && smtpMessageId && t.requester_id) {
    outboundId = await enqueueOutboundMail(trx, deps, { orgId: t.org_id, ticketId: t.id, messageId: id, customerId: t.requester_id, smtpMessageId });
  }
  const now = new Date();
  const next: TicketStatus = input.status ?? (t.status === 'new' || t.status === 'open' ? 'pending' : t.status);
  await trx
    .updateTable('tickets')
    .set({ status: next, updated_at: now, last_message_at: now, first_response_at: t.first_response_at ?? now, ...statusTimes(next, now) })
    .where('id', '=', t.id)
    .execute();
  await deps.audit.append(trx, {
    ...actingFromAgent(ctx),
    action: 'ticket.reply',
    object: { type: 'ticket', id: t.id },
    subjectCustomerId: t.requester_id,
    result: 'success',
    details: { messageId: id, emailed: sendByEmail, redactions: prepared.redactions.length, status: next, attachments: files },
  });
  if (next === 'solved' && t.status !== 'solved') await sendCsatSurveys(trx, deps, [t.id]);
  return { messageId: id, outboundId, redactions: prepared.redactions.length };
}

export async function addInternalNote(deps: HelpdeskDeps, ctx: AgentContext, input: { ticketId: string; body: string; html?: string; attachmentIds?: readonly string[] }): Promise<{ messageId: string }> {
  checkBody(input.body);
  return deps.db.transaction().execute((trx) => addInternalNoteIn(trx, deps, ctx, input));
}

export async function addInternalNoteIn(trx: Executor, deps: HelpdeskDeps, ctx: AgentContext, input: { ticketId: string; body: string; html?: string; attachmentIds?: readonly string[] }): Promise<{ messageId: string }> {
  checkBody(input.body);
  const body = prepareBody(input, (await loadOrgDlp(trx, ctx.principal.orgId)).policy);
  const t = await loadTicketForAction(trx, ctx, input.ticketId, 'tickets.write');
  const { id } = await insertMessage(trx, deps, {
    orgId: t.org_id,
    ticketId: t.id,
    kind: 'internal_note',
    authorType: 'user',
    authorUserId: ctx.principal.userId,
    customerId: t.requester_id,
    body: body.text,
    html: body.html,
    redactions: body.redactions,
  });
  const files = await takeUploadedAttachments(trx, deps, t.id, input.attachmentIds ?? [], id);
  await trx.updateTable('tickets').set({ updated_at: new Date() }).where('id', '=', t.id).execute();
  await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'ticket.note', object: { type: 'ticket', id: t.id }, subjectCustomerId: t.requester_id, result: 'success', details: { messageId: id, attachments: files } });
  await notifyMentions(trx, { orgId: t.org_id, ticketId: t.id, body: body.text, actorId: ctx.principal.userId });
  return { messageId: id };
}

/** Assign to a person and/or a team. `null` clears; `undefined` leaves as is. */
/** Active staff whose roles let them work on tickets (tickets.write), in the team when one is given. */
export function assignableQuery(db: Executor, orgId: string, teamId: string | null) {
  let q = db
    .selectFrom('users')
    .where('users.org_id', '=', orgId)
    .where('users.status', '=', 'active')
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('user_roles')
          .innerJoin('role_permissions', 'role_permissions.role_id', 'user_roles.role_id')
          .whereRef('user_roles.user_id', '=', 'users.id')
          .where('role_permissions.permission', '=', 'tickets.write')
          .select('user_roles.user_id'),
      ),
    )
    .select(['users.id', 'users.name']);
  if (teamId) q = q.where((eb) => eb.exists(eb.selectFrom('team_members').whereRef('team_members.user_id', '=', 'users.id').where('team_members.team_id', '=', teamId).select('team_members.user_id')));
  return q;
}

/** Work goes only to people who can answer it: a security officer or an auditor is not a queue. */
export async function checkWorksTickets(trx: Executor, orgId: string, userId: string): Promise<void> {
  const works = await assignableQuery(trx, orgId, null).where('users.id', '=', userId).executeTakeFirst();
  if (!works) throw new AppError('conflict', 'That person’s roles do not let them work on tickets.');
}

/** Who this ticket can be assigned to (tickets.assign on it): its team's members who work tickets, or everyone who does when it has no team. */
export async function listAssignees(deps: HelpdeskDeps, ctx: AgentContext, input: { ticketId: string }): Promise<Array<{ id: string; name: string }>> {
  return deps.db.transaction().execute(async (trx) => {
    const t = await loadTicketForAction(trx, ctx, input.ticketId, 'tickets.assign');
    return assignableQuery(trx, t.org_id, t.team_id).orderBy('users.name').orderBy('users.id').limit(MAX_ASSIGNEES).execute();
  });
}

export async function assignTicket(deps: HelpdeskDeps, ctx: AgentContext, input: { ticketId: string; assigneeId?: string | null; teamId?: string | null }): Promise<void> {
  const p = ctx.principal;
  await deps.db.transaction().execute(async (trx) => {
    const t = await loadTicketForAction(trx, ctx, input.ticketId, 'tickets.assign');
    const teamId = input.teamId === undefined ? t.team_id : input.teamId;
    if (teamId && teamId !== t.team_id) {
      const team = await trx.selectFrom('teams').where('id', '=', teamId).where('org_id', '=', p.orgId).select('id').executeTakeFirst();
      if (!team) throw new AppError('not_found', 'No such team.');
      // A team-scoped lead may hand work only to teams they can see.
      if (p.permissions.get('tickets.assign') !== 'org' && !p.teamIds.includes(teamId)) throw new AppError('forbidden', 'You can only assign to your own teams.');
    }
    const assigneeId = input.assigneeId === undefined ? t.assignee_id : input.assigneeId;
    if (assigneeId && assigneeId !== t.assignee_id) {
      const user = await trx.selectFrom('users').where('id', '=', assigneeId).where('org_id', '=', p.orgId).where('status', '=', 'active').select('id').executeTakeFirst();
      if (!user) throw new AppError('not_found', 'No such active user.');
      if (teamId) {
        const member = await trx.selectFrom('team_members').where('team_id', '=', teamId).where('user_id', '=', assigneeId).select('user_id').executeTakeFirst();
        if (!member) throw new AppError('conflict', 'That person is not in the ticket’s team.');
      }
      await checkWorksTickets(trx, p.orgId, assigneeId);
    }
    const status: TicketStatus = t.status === 'new' && assigneeId ? 'open' : t.status;
    await trx.updateTable('tickets').set({ assignee_id: assigneeId, team_id: teamId, status, updated_at: new Date() }).where('id', '=', t.id).execute();
    await deps.audit.append(trx, {
      ...actingFromAgent(ctx),
      action: 'ticket.assign',
      object: { type: 'ticket', id: t.id },
      subjectCustomerId: t.requester_id,
      result: 'success',
      details: { from: { assigneeId: t.assignee_id, teamId: t.team_id }, to: { assigneeId, teamId } },
    });
    await enqueueWebhookEvent(trx, { orgId: t.org_id, type: 'ticket.updated', data: { ticketId: t.id, changes: ['assignment'], status, assigneeId, teamId } });
    await notifyAssignmentChange(trx, { orgId: t.org_id, ticketId: t.id, actorId: p.userId, from: { assigneeId: t.assignee_id, teamId: t.team_id }, to: { assigneeId, teamId } });
  });
}

export const ALLOWED_STATUS_CHANGES: Record<TicketStatus, readonly TicketStatus[]> = {
  new: ['open', 'pending', 'on_hold', 'solved', 'closed'],
  open: ['pending', 'on_hold', 'solved', 'closed'],
  pending: ['open', 'on_hold', 'solved', 'closed'],
  on_hold: ['open', 'pending', 'solved', 'closed'],
  solved: ['open', 'closed'],
  // Closed is final: a new message opens a follow-up ticket.
  closed: [],
};

export function statusTimes(status: TicketStatus, now: Date): { solved_at?: Date | null; closed_at?: Date } {
  if (status === 'solved') return { solved_at: now };
  if (status === 'closed') return { closed_at: now };
  return { solved_at: null };
}

export async function changeTicketStatus(deps: HelpdeskDeps, ctx: AgentContext, input: { ticketId: string; status: TicketStatus }): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const t = await loadTicketForAction(trx, ctx, input.ticketId, 'tickets.write');
    if (t.status === input.status) return;
    if (!ALLOWED_STATUS_CHANGES[t.status].includes(input.status)) throw new AppError('conflict', `A ${t.status} ticket cannot become ${input.status}.`);
    const now = new Date();
    await trx.updateTable('tickets').set({ status: input.status, updated_at: now, ...statusTimes(input.status, now) }).where('id', '=', t.id).execute();
    await deps.audit.append(trx, {
      ...actingFromAgent(ctx),
      action: 'ticket.status.change',
      object: { type: 'ticket', id: t.id },
      subjectCustomerId: t.requester_id,
      result: 'success',
      details: { from: t.status, to: input.status },
    });
    await enqueueWebhookEvent(trx, { orgId: t.org_id, type: 'ticket.updated', data: { ticketId: t.id, changes: ['status'], status: input.status } });
    if (input.status === 'solved') await sendCsatSurveys(trx, deps, [t.id]);
  });
}
