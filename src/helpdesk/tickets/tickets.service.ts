/**
 * Tickets as agents see them: create, list (visibility computed in SQL from the
 * principal) and read (decrypted, the read audited in the same transaction).
 * Changes (reply, note, assign, status) are in ticket-actions.ts.
 */
import type { Expression, ExpressionBuilder, RawBuilder, SqlBool } from 'kysely';
import { authorize, can } from '../../identity/auth/access.js';
import type { Database } from '../../platform/db/schema.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { AppError, KeyDestroyedError } from '../../platform/errors.js';
import { redactText } from '../ingest/scan.js';
import { breachingCondition } from '../sla/breaching.js';
import { actingFromAgent, ticketScope, type AgentContext, type HelpdeskDeps } from './context.js';
import { loadTicketHold, type TicketHold } from './hold.js';
import { insertMessage, insertTicket } from './records.js';
import type { DeliveryStatus, MessageKind, StoredRedaction, ThreatVerdict, TicketChannel, TicketPriority, TicketStatus } from './schema.js';
import { loadOrgDlp } from '../../protection/dlp-policy/org-policy.js';
import { requesterDisplays, type RequesterDisplay } from '../customers/requester-display.js';
import { quotedTextStart } from '../rich-text/quoted.js';
import { clearFieldsOfPrincipal } from '../customers/masking-policy.js';

export interface TicketSummary {
  id: string;
  number: number;
  subject: string | null;
  status: TicketStatus;
  priority: TicketPriority;
  channel: TicketChannel;
  requesterId: string | null;
  assigneeId: string | null;
  teamId: string | null;
  tags: string[];
  createdAt: string;
  updatedAt: string;
  lastMessageAt: string;
  /** SLA due times (null without an SLA policy target) and when the first response was given. */
  firstResponseDueAt: string | null;
  resolutionDueAt: string | null;
  firstResponseAt: string | null;
  /** The requester as the masking policy lets the caller see them (lists, search, the ticket page). */
  requester?: RequesterDisplay | null;
}

export interface MessageView {
  id: string;
  kind: MessageKind;
  authorType: 'customer' | 'user' | 'system';
  authorUserId: string | null;
  /** Null when the customer's key was destroyed (erased), or when the message was reported as phishing. */
  body: string | null;
  /** The email had an HTML part (served sanitised by the message HTML route). */
  hasHtml: boolean;
  /** Inbound mail: offset in `body` where quoted history begins (rich-text/quoted.ts), or null. */
  quoteStart: number | null;
  /** Reported as phishing: held in quarantine, its body withheld so nobody clicks its links. */
  reported: boolean;
  autoSubmitted: boolean;
  redactions: StoredRedaction[];
  /** `reasons`: the analyzer's explanations (what a person can check), for suspicious and phishing verdicts. */
  threat: { score: number; verdict: ThreatVerdict; codes: string[]; reasons: Array<{ code: string; evidence: string }> } | null;
  deliveryStatus: DeliveryStatus | null;
  attachments: Array<{ id: string; filename: string | null; sniffedType: string; size: number; dangerous: boolean; dangerReasons: string[]; status: 'stored' | 'too_large' | 'withheld' }>;
  createdAt: string;
}

export interface TicketDetail extends TicketSummary {
  messages: MessageView[];
  /** Names of the staff the page mentions (the assignee, message authors), by id. */
  staff: Array<{ id: string; name: string }>;
  /** The ticket this one was merged into (its messages moved there). */
  mergedInto: { id: string; number: number } | null;
  held: TicketHold | null;
}

export type TicketRow = {
  id: string;
  org_id: string;
  number: number;
  subject_enc: Uint8Array | null;
  status: TicketStatus;
  priority: TicketPriority;
  channel: TicketChannel;
  requester_id: string | null;
  assignee_id: string | null;
  team_id: string | null;
  tags: string[];
  created_at: Date;
  updated_at: Date;
  last_message_at: Date;
  first_response_due_at: Date | null;
  resolution_due_at: Date | null;
  first_response_at: Date | null;
};

export const SUMMARY_COLUMNS = [
  'tickets.id', 'tickets.org_id', 'tickets.number', 'tickets.subject_enc', 'tickets.status', 'tickets.priority', 'tickets.channel',
  'tickets.requester_id', 'tickets.assignee_id', 'tickets.team_id', 'tickets.tags', 'tickets.created_at', 'tickets.updated_at', 'tickets.last_message_at',
  'tickets.first_response_due_at', 'tickets.resolution_due_at', 'tickets.first_response_at',
] as const;

/** A field's plaintext, or null when it is empty or its customer was erased (key destroyed). */
export async function decryptOrNull(deps: Pick<HelpdeskDeps, 'keyring'>, ctx: { table: string; column: string; rowId: string }, ct: Uint8Array | null, exec?: Executor): Promise<string | null> {
  if (!ct) return null;
  try {
    return await deps.keyring.decrypt(ctx, ct, exec);
  } catch (err) {
    if (err instanceof KeyDestroyedError) return null;
    throw err;
  }
}

async function presentSummary(deps: HelpdeskDeps, row: TicketRow, exec?: Executor): Promise<TicketSummary> {
  return {
    id: row.id,
    number: Number(row.number),
    subject: await decryptOrNull(deps, { table: 'tickets', column: 'subject_enc', rowId: row.id }, row.subject_enc, exec),
    status: row.status,
    priority: row.priority,
    channel: row.channel,
    requesterId: row.requester_id,
    assigneeId: row.assignee_id,
    teamId: row.team_id,
    tags: row.tags,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    lastMessageAt: new Date(row.last_message_at).toISOString(),
    firstResponseDueAt: row.first_response_due_at ? new Date(row.first_response_due_at).toISOString() : null,
    resolutionDueAt: row.resolution_due_at ? new Date(row.resolution_due_at).toISOString() : null,
    firstResponseAt: row.first_response_at ? new Date(row.first_response_at).toISOString() : null,
  };
}

/** The analyzer's stored reasons (code and evidence only; weights stay on the server). */
async function threatReasons(deps: HelpdeskDeps, messageId: string, ct: Uint8Array | null, exec: Executor): Promise<Array<{ code: string; evidence: string }>> {
  const text = await decryptOrNull(deps, { table: 'messages', column: 'threat_reasons_enc', rowId: messageId }, ct, exec);
  if (!text) return [];
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) return [];
  return parsed
    .filter((r): r is { code: unknown; evidence: unknown } => typeof r === 'object' && r !== null)
    .map((r) => ({ code: String(r.code).slice(0, 100), evidence: String(r.evidence ?? '').slice(0, 500) }));
}

/** Presents list rows (subjects decrypted; an erased requester's subject is null). */
export async function presentTicketRows(deps: HelpdeskDeps, rows: readonly TicketRow[]): Promise<TicketSummary[]> {
  const out: TicketSummary[] = [];
  for (const r of rows) out.push(await presentSummary(deps, r));
  return out;
}

export interface CreateTicketInput {
  requesterId: string;
  subject: string;
  body: string;
  channel?: TicketChannel;
  priority?: TicketPriority;
  teamId?: string | null;
  tags?: string[];
}

/** An agent opens a ticket on a customer's behalf (phone, walk-in). The first message is an internal record of the request. */
export async function createTicket(deps: HelpdeskDeps, ctx: AgentContext, input: CreateTicketInput): Promise<{ id: string; number: number }> {
  const p = ctx.principal;
  authorize(p, 'tickets.write', { orgId: p.orgId, teamId: input.teamId ?? null, assigneeId: input.teamId ? null : p.userId });
  const acting = actingFromAgent(ctx);
  const { policy } = await loadOrgDlp(deps.db, p.orgId);
  const subject = redactText(input.subject, 'subject', policy);
  const body = redactText(input.body, 'body', policy);
  return deps.db.transaction().execute(async (trx) => {
    const customer = await trx.selectFrom('customers').where('id', '=', input.requesterId).where('org_id', '=', p.orgId).select('id').executeTakeFirst();
    if (!customer) throw new AppError('not_found', 'No such customer.');
    if (input.teamId) {
      const team = await trx.selectFrom('teams').where('id', '=', input.teamId).where('org_id', '=', p.orgId).select('id').executeTakeFirst();
      if (!team) throw new AppError('not_found', 'No such team.');
    }
    const ticket = await insertTicket(trx, deps, {
      orgId: p.orgId,
      subject: subject.text,
      channel: input.channel ?? 'api',
      requesterId: customer.id,
      teamId: input.teamId ?? null,
      // Without a team the creator keeps it, so an own-scoped agent can still see it.
      assigneeId: input.teamId ? null : p.userId,
      tags: input.tags ?? [],
      priority: input.priority ?? 'normal',
    });
    await insertMessage(trx, deps, {
      orgId: p.orgId,
      ticketId: ticket.id,
      kind: 'public_reply',
      authorType: 'user',
      authorUserId: p.userId,
      customerId: customer.id,
      body: body.text,
      redactions: [...subject.redactions, ...body.redactions],
    });
    await deps.audit.append(trx, { ...acting, action: 'ticket.create', object: { type: 'ticket', id: ticket.id }, subjectCustomerId: customer.id, result: 'success', details: { channel: input.channel ?? 'api' } });
    return ticket;
  });
}

export type TicketView = 'all' | 'mine' | 'my_team' | 'unassigned' | 'breaching';

export interface ListTicketsInput {
  view?: TicketView;
  status?: TicketStatus[];
  tag?: string;
  limit?: number;
  /** Keyset pagination: tickets whose last message is older than this ticket's. */
  after?: { lastMessageAt: string; id: string };
  /** A saved view's condition and leading ORDER BY terms (src/helpdesk/work/views.ts). */
  where?: (eb: ExpressionBuilder<Database, 'tickets'>) => Expression<SqlBool>;
  orderBy?: ReadonlyArray<RawBuilder<unknown>>;
}

/** Tickets the caller may read, newest activity first. Visibility and the view are both SQL. */
export async function listTickets(deps: HelpdeskDeps, ctx: AgentContext, input: ListTicketsInput = {}): Promise<TicketSummary[]> {
  const p = ctx.principal;
  const limit = Math.min(Math.max(input.limit ?? 50, 1), 200);
  let q = deps.db.selectFrom('tickets').select(SUMMARY_COLUMNS).where(ticketScope(p, 'tickets.read'));
  const view = input.view ?? 'all';
  if (view === 'mine') q = q.where('tickets.assignee_id', '=', p.userId);
  if (view === 'unassigned') q = q.where('tickets.assignee_id', 'is', null);
  if (view === 'my_team') q = p.teamIds.length ? q.where('tickets.team_id', 'in', [...p.teamIds]) : q.where((eb) => eb.val(false));
  if (view === 'breaching') q = q.where(breachingCondition(new Date()));
  if (input.status?.length) q = q.where('tickets.status', 'in', input.status);
  if (input.tag) q = q.where((eb) => eb(eb.val([input.tag as string]), '<@', eb.ref('tickets.tags')));
  if (input.where) q = q.where(input.where);
  for (const term of input.orderBy ?? []) q = q.orderBy(term);
  if (input.after) {
    const { lastMessageAt, id } = input.after;
    q = q.where((eb) => eb.or([eb('tickets.last_message_at', '<', new Date(lastMessageAt)), eb.and([eb('tickets.last_message_at', '=', new Date(lastMessageAt)), eb('tickets.id', '<', id)])]));
  }
  const rows = (await q.orderBy('tickets.last_message_at', 'desc').orderBy('tickets.id', 'desc').limit(limit).execute()) as TicketRow[];
  // Subjects and requester names are customer data: the list is a recorded read (ids only, no PII). The entry is
  // written while the names are fetched; nothing is returned unless it was (decision 0234).
  const clearFields = clearFieldsOfPrincipal(deps.db, p);
  const [{ byTicket }] = await Promise.all([
    requesterDisplays(deps, deps.db, p, rows, clearFields),
    rows.length > 0
      ? clearFields.then((clear) => deps.audit.record({ ...actingFromAgent(ctx), action: 'ticket.list', result: 'success', subjectCustomerIds: rows.map((r) => r.requester_id), details: { view, count: rows.length, ticketIds: rows.map((r) => r.id), clearFields: clear.has('name') ? ['name'] : [] } }))
      : undefined,
  ]);
  const out: TicketSummary[] = [];
  for (const r of rows) out.push({ ...(await presentSummary(deps, r)), requester: byTicket.get(r.id) ?? null });
  return out;
}

/** Loads a ticket's ownership for an object-level check; not-found and forbidden look the same. */
export async function loadTicketForAction(trx: Executor, ctx: AgentContext, ticketId: string, permission: Parameters<typeof can>[1]) {
  const row = await trx
    .selectFrom('tickets')
    .where('id', '=', ticketId)
    .where('org_id', '=', ctx.principal.orgId)
    .select(['id', 'org_id', 'team_id', 'assignee_id', 'requester_id', 'status', 'channel', 'mailbox_id', 'number', 'subject_enc', 'first_response_at'])
    .forUpdate()
    .executeTakeFirst();
  authorize(ctx.principal, permission, row ? { orgId: row.org_id, teamId: row.team_id, assigneeId: row.assignee_id } : null);
  return row as NonNullable<typeof row>;
}

/** Names of the given staff members of the organisation (ids repeated or null are fine), for pages that show who did what. */
export async function staffNames(db: Executor, orgId: string, ids: ReadonlyArray<string | null>): Promise<Array<{ id: string; name: string }>> {
  const unique = [...new Set(ids.filter((x): x is string => x !== null))];
  if (unique.length === 0) return [];
  return db.selectFrom('users').where('org_id', '=', orgId).where('id', 'in', unique).select(['id', 'name']).orderBy('name').orderBy('id').execute();
}

/**
 * What the conversation shows for a secure-message notice (src/helpdesk/secure-messages): that it was sent,
 * never the email's text, which holds the customer's live link (decision 0125).
 */
export const SECURE_NOTICE_NOTE = 'Secure message sent. The customer was emailed a link to read it in the portal; the link is not kept here.';

/** A ticket with its conversation, decrypted. The read is audited before anything is returned. */
export async function readTicket(deps: HelpdeskDeps, ctx: AgentContext, input: { ticketId: string; purpose?: string }): Promise<TicketDetail> {
  const p = ctx.principal;
  const db = deps.db;
  const row = (await db
    .selectFrom('tickets')
    .select([...SUMMARY_COLUMNS, 'tickets.merged_into_id'])
    .where('tickets.id', '=', input.ticketId)
    .where('tickets.org_id', '=', p.orgId)
    .executeTakeFirst()) as (TicketRow & { merged_into_id: string | null }) | undefined;
  authorize(p, 'tickets.read', row ? { orgId: row.org_id, teamId: row.team_id, assigneeId: row.assignee_id } : null);
  const r = row as NonNullable<typeof row>;
  // Once the caller may read it, everything else depends only on the ticket: asked for at once, on the pool's
  // connections, so the read waits about two round trips instead of one per query (decision 0234). The audit entry
  // is written (group commit) while the rest is fetched; no subject, message or file name is decrypted, and nothing
  // is returned, unless it was: Promise.all fails with it. (The requester's name is decrypted meanwhile, to be
  // masked, and leaves only with the rest.)
  const clearFields = clearFieldsOfPrincipal(db, p);
  const [requester, , messages, attachments, staff, merged, held] = await Promise.all([
    requesterDisplays(deps, db, p, [r], clearFields),
    clearFields.then((clear) =>
      deps.audit.record({ ...actingFromAgent(ctx), action: 'ticket.read', object: { type: 'ticket', id: r.id }, subjectCustomerId: r.requester_id, purpose: input.purpose ?? null, result: 'success', details: { clearFields: clear.has('name') ? ['name'] : [] } }),
    ),
    db
      .selectFrom('messages')
      .where('ticket_id', '=', r.id)
      .select(['id', 'kind', 'author_type', 'author_user_id', 'body_enc', 'auto_submitted', 'redactions', 'threat_score', 'threat_verdict', 'threat_codes', 'threat_reasons_enc', 'delivery_status', 'created_at', 'reported_at'])
      .select((eb) => eb('html_enc', 'is not', null).as('has_html'))
      // Notices stored before migration 0014 may still hold their link: every notice reads as the note.
      .select((eb) => eb.exists(eb.selectFrom('secure_messages as n').select('n.id').whereRef('n.notice_message_id', '=', 'messages.id')).as('secure_notice'))
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('attachments')
      .where('message_id', 'in', (eb) => eb.selectFrom('messages').where('ticket_id', '=', r.id).select('id'))
      .select(['id', 'message_id', 'filename_enc', 'sniffed_type', 'size', 'dangerous', 'danger_reasons', 'status'])
      .execute(),
    // The assignee and every staff author of the conversation.
    db
      .selectFrom('users')
      .where('org_id', '=', p.orgId)
      .where((eb) => eb.or([eb('id', '=', r.assignee_id), eb('id', 'in', eb.selectFrom('messages').where('ticket_id', '=', r.id).where('author_user_id', 'is not', null).select('author_user_id'))]))
      .select(['id', 'name'])
      .orderBy('name')
      .orderBy('id')
      .execute(),
    r.merged_into_id ? db.selectFrom('tickets').where('id', '=', r.merged_into_id).select(['id', 'number']).executeTakeFirst() : undefined,
    loadTicketHold(db, r.id),
  ]);
  const summary = await presentSummary(deps, r, db);
  const views: MessageView[] = [];
  const filenames = new Map<string, string | null>();
  for (const a of attachments) filenames.set(a.id, await decryptOrNull(deps, { table: 'attachments', column: 'filename_enc', rowId: a.id }, a.filename_enc, db));
  for (const m of messages) {
    const body = m.reported_at ? null : m.secure_notice ? SECURE_NOTICE_NOTE : await decryptOrNull(deps, { table: 'messages', column: 'body_enc', rowId: m.id }, m.body_enc, db);
    views.push({
      id: m.id,
      kind: m.kind,
      authorType: m.author_type,
      authorUserId: m.author_user_id,
      body,
      quoteStart: m.kind === 'inbound_email' && body ? quotedTextStart(body) : null,
      hasHtml: Boolean(m.has_html) && m.reported_at === null && !m.secure_notice,
      reported: m.reported_at !== null,
      autoSubmitted: m.auto_submitted,
      redactions: m.redactions,
      threat: m.threat_verdict ? { score: m.threat_score ?? 0, verdict: m.threat_verdict, codes: m.threat_codes, reasons: m.threat_verdict === 'clean' ? [] : await threatReasons(deps, m.id, m.threat_reasons_enc, db) } : null,
      deliveryStatus: m.delivery_status,
      attachments: attachments
        .filter((a) => a.message_id === m.id)
        .map((a) => ({ id: a.id, filename: filenames.get(a.id) ?? null, sniffedType: a.sniffed_type, size: Number(a.size), dangerous: a.dangerous, dangerReasons: a.danger_reasons, status: a.status })),
      createdAt: new Date(m.created_at).toISOString(),
    });
  }
  return { ...summary, requester: requester.byTicket.get(r.id) ?? null, messages: views, staff, mergedInto: merged ? { id: merged.id, number: Number(merged.number) } : null, held };
}
