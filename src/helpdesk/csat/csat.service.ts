/**
 * Customer satisfaction (decision 0155). Solving an email ticket queues one survey email (through
 * the durable outbound queue, like replies) with Good / Bad links; the conversation keeps only a
 * system note that it was sent. Opening a link records nothing: mail scanners fetch links, so the
 * page asks the customer to confirm (with an optional comment), and only that submit records.
 * A link works until it expires and may change the rating it gave; the portal rates solved
 * requests too. The comment is the customer's text: DLP-redacted, then encrypted under their key.
 */
import { brandName } from '../branding/branding.service.js';
import { randomUUID } from 'node:crypto';
import { KeyDestroyedError, AppError } from '../../platform/errors.js';
import { authorize } from '../../identity/auth/access.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { loadOrgDlp } from '../../protection/dlp-policy/org-policy.js';
import type { CsatRating, CsatSource } from '../../platform/http/schemas/csat.js';
import { redactText } from '../ingest/scan.js';
import { enqueueOutboundMail } from '../mail/outbound-queue.js';
import { actingFromAgent, type AgentContext, type HelpdeskDeps } from '../tickets/context.js';
import { loadTicketHold } from '../tickets/hold.js';
import { insertMessage, keyOwnerFor } from '../tickets/records.js';
import { decryptOrNull } from '../tickets/tickets.service.js';
import { composeCsatSurvey, CSAT_LINK_TTL_MS, csatTokenHash, looksLikeCsatToken, newCsatToken } from './csat-token.js';
import './schema.js';
import { customerBaseUrl } from '../../identity/organizations/hosts.js';

/** What the conversation shows for a survey: that it was sent, never the email's links. */
export const CSAT_SURVEY_NOTE = 'Satisfaction survey sent: the customer was emailed links to rate this ticket (the links are not kept here).';

/** Who rated, for the audit trail. */
export interface CsatClient {
  ip: string;
  requestId: string;
}

const iso = (d: Date | string) => new Date(d).toISOString();

/**
 * Queues the survey email for tickets that have just become solved, inside the caller's
 * transaction (one line in each status change). Only email tickets whose requester still has an
 * address; never a ticket held for phishing (nobody writes to that sender) nor one already rated;
 * not when the organisation turned surveys off (settings.csat.enabled = false).
 */
export async function sendCsatSurveys(trx: Executor, deps: HelpdeskDeps, ticketIds: readonly string[]): Promise<number> {
  if (ticketIds.length === 0 || !deps.publicUrl) return 0;
  const rows = await trx
    .selectFrom('tickets')
    .innerJoin('customers', 'customers.id', 'tickets.requester_id')
    .innerJoin('organizations', 'organizations.id', 'tickets.org_id')
    .where('tickets.id', 'in', [...ticketIds])
    .where('tickets.status', '=', 'solved')
    .where('tickets.channel', '=', 'email')
    .where('customers.email_enc', 'is not', null)
    // Erasure drops the blind index with the key: an erased requester gets nothing.
    .where('customers.email_bidx', 'is not', null)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('csat_ratings').whereRef('csat_ratings.ticket_id', '=', 'tickets.id').select('csat_ratings.id'))))
    .select(['tickets.id', 'tickets.org_id', 'tickets.number', 'tickets.requester_id', 'organizations.settings'])
    .execute();
  let sent = 0;
  for (const t of rows) {
    const settings = (t.settings ?? {}) as { csat?: { enabled?: unknown } };
    if (settings.csat?.enabled === false) continue;
    if (await loadTicketHold(trx, t.id)) continue;
    const customerId = t.requester_id as string;
    const token = newCsatToken();
    const expiresAt = new Date(Date.now() + CSAT_LINK_TTL_MS);
    const noteId = randomUUID();
    const smtpMessageId = `${randomUUID()}@${deps.messageIdHost}`;
    const surveyId = randomUUID();
    try {
      await insertMessage(trx, deps, { id: noteId, orgId: t.org_id, ticketId: t.id, kind: 'internal_note', authorType: 'system', customerId, body: CSAT_SURVEY_NOTE, messageId: smtpMessageId, deliveryStatus: 'queued' });
      await trx.insertInto('csat_surveys').values({ id: surveyId, org_id: t.org_id, ticket_id: t.id, customer_id: customerId, message_id: noteId, token_hash: csatTokenHash(token), expires_at: expiresAt }).execute();
      await enqueueOutboundMail(trx, deps, {
        orgId: t.org_id,
        ticketId: t.id,
        messageId: noteId,
        customerId,
        smtpMessageId,
        body: composeCsatSurvey({ ticketNumber: Number(t.number), publicUrl: await customerBaseUrl({ db: trx, publicUrl: deps.publicUrl }, t.org_id), token, expiresAt, brand: await brandName(trx, t.org_id) }),
      });
    } catch (err) {
      // A requester erased in this very transaction: no survey, the status change stands.
      if (err instanceof KeyDestroyedError) continue;
      throw err;
    }
    await deps.audit.append(trx, {
      orgId: t.org_id,
      actor: { type: 'system', id: 'csat' },
      action: 'csat.survey.send',
      object: { type: 'ticket', id: t.id },
      subjectCustomerId: customerId,
      result: 'success',
      details: { surveyId, messageId: noteId, expiresAt: expiresAt.toISOString() },
    });
    sent++;
  }
  return sent;
}

async function findSurvey(db: Executor, token: string) {
  if (!looksLikeCsatToken(token)) return undefined;
  return db
    .selectFrom('csat_surveys')
    .innerJoin('tickets', 'tickets.id', 'csat_surveys.ticket_id')
    .whereRef('tickets.org_id', '=', 'csat_surveys.org_id')
    .where('csat_surveys.token_hash', '=', csatTokenHash(token))
    .select(['csat_surveys.id', 'csat_surveys.org_id', 'csat_surveys.ticket_id', 'csat_surveys.customer_id', 'csat_surveys.expires_at', 'tickets.number'])
    .executeTakeFirst();
}

/** What the rating page shows: the ticket number and the rating so far. Sends and records nothing. */
export async function checkCsatLink(deps: HelpdeskDeps, input: { token: string }, now = new Date()) {
  const s = await findSurvey(deps.db, input.token);
  if (!s) return { state: 'invalid' as const, ticketNumber: null, rating: null, expiresAt: null };
  if (s.expires_at.getTime() <= now.getTime()) return { state: 'expired' as const, ticketNumber: Number(s.number), rating: null, expiresAt: iso(s.expires_at) };
  const r = await deps.db.selectFrom('csat_ratings').where('ticket_id', '=', s.ticket_id).select('rating').executeTakeFirst();
  return { state: 'usable' as const, ticketNumber: Number(s.number), rating: r?.rating ?? null, expiresAt: iso(s.expires_at) };
}

interface RatingInput {
  orgId: string;
  ticketId: string;
  customerId: string | null;
  surveyId: string | null;
  rating: CsatRating;
  comment: string | undefined;
  source: CsatSource;
}

/** Records (or replaces) the ticket's rating; the ticket row is locked first, so two answers at once queue up. */
async function saveRating(trx: Executor, deps: HelpdeskDeps, input: RatingInput): Promise<{ ratedAt: Date; redactions: number; replaced: boolean }> {
  await trx.selectFrom('tickets').where('id', '=', input.ticketId).select('id').forUpdate().executeTakeFirstOrThrow();
  const existing = await trx.selectFrom('csat_ratings').where('ticket_id', '=', input.ticketId).select('id').executeTakeFirst();
  const id = existing?.id ?? randomUUID();
  const text = input.comment?.trim() ? redactText(input.comment.trim(), 'body', (await loadOrgDlp(trx, input.orgId)).policy) : null;
  const comment_enc = text ? await deps.keyring.encrypt(keyOwnerFor(input.orgId, input.customerId), { table: 'csat_ratings', column: 'comment_enc', rowId: id }, text.text, trx) : null;
  const now = new Date();
  if (existing) {
    await trx.updateTable('csat_ratings').set({ rating: input.rating, comment_enc, source: input.source, survey_id: input.surveyId, rated_at: now, updated_at: now }).where('id', '=', id).execute();
  } else {
    await trx
      .insertInto('csat_ratings')
      .values({ id, org_id: input.orgId, ticket_id: input.ticketId, customer_id: input.customerId, survey_id: input.surveyId, rating: input.rating, comment_enc, source: input.source, rated_at: now, updated_at: now })
      .execute();
  }
  return { ratedAt: now, redactions: text?.redactions.length ?? 0, replaced: Boolean(existing) };
}

const DEAD_LINK = (state: 'expired' | 'invalid') =>
  new AppError('gone', state === 'expired' ? 'This rating link has expired. Thank you all the same.' : 'This rating link is not valid. Use the link in the email exactly as it was sent.');

/** The customer confirmed on the rating page: records the rating (or changes it) while the link lives. */
export async function rateByLink(deps: HelpdeskDeps, client: CsatClient, input: { token: string; rating: CsatRating; comment?: string }, now = new Date()) {
  const s = await findSurvey(deps.db, input.token);
  if (!s || s.expires_at.getTime() <= now.getTime()) {
    const state = s ? 'expired' : 'invalid';
    await deps.audit.record({ orgId: s?.org_id ?? null, actor: { type: 'anonymous' }, action: 'csat.rate', object: s ? { type: 'ticket', id: s.ticket_id } : null, result: 'denied', requestId: client.requestId, sourceIp: client.ip, details: { via: 'email_link', reason: state } });
    throw DEAD_LINK(state);
  }
  return deps.db.transaction().execute(async (trx) => {
    const saved = await saveRating(trx, deps, { orgId: s.org_id, ticketId: s.ticket_id, customerId: s.customer_id, surveyId: s.id, rating: input.rating, comment: input.comment, source: 'email' });
    await deps.audit.append(trx, {
      orgId: s.org_id,
      actor: s.customer_id ? { type: 'customer', id: s.customer_id } : { type: 'anonymous' },
      action: 'csat.rate',
      object: { type: 'ticket', id: s.ticket_id },
      subjectCustomerId: s.customer_id,
      result: 'success',
      requestId: client.requestId,
      sourceIp: client.ip,
      details: { via: 'email_link', surveyId: s.id, rating: input.rating, comment: Boolean(input.comment?.trim()), redactions: saved.redactions, replaced: saved.replaced },
    });
    return { rating: input.rating, ratedAt: saved.ratedAt.toISOString(), redactions: saved.redactions };
  });
}

export interface CsatCustomer extends CsatClient {
  orgId: string;
  customerId: string;
}

async function loadOwnTicket(db: Executor, customer: CsatCustomer, ticketId: string) {
  const t = await db.selectFrom('tickets').where('id', '=', ticketId).where('org_id', '=', customer.orgId).where('requester_id', '=', customer.customerId).select(['id', 'status']).executeTakeFirst();
  if (!t) throw new AppError('not_found', 'No such request.');
  return t;
}

const RATEABLE = new Set(['solved', 'closed']);

export async function portalCsatState(deps: HelpdeskDeps, customer: CsatCustomer, input: { ticketId: string }) {
  const t = await loadOwnTicket(deps.db, customer, input.ticketId);
  const r = await deps.db.selectFrom('csat_ratings').where('ticket_id', '=', t.id).select(['rating', 'rated_at']).executeTakeFirst();
  return { canRate: RATEABLE.has(t.status), rating: r?.rating ?? null, ratedAt: r ? iso(r.rated_at) : null };
}

/** The signed-in customer rates one of their solved (or closed) requests. */
export async function rateFromPortal(deps: HelpdeskDeps, customer: CsatCustomer, input: { ticketId: string; rating: CsatRating; comment?: string }) {
  return deps.db.transaction().execute(async (trx) => {
    const t = await loadOwnTicket(trx, customer, input.ticketId);
    if (!RATEABLE.has(t.status)) throw new AppError('conflict', 'You can rate a request once it is solved.');
    const saved = await saveRating(trx, deps, { orgId: customer.orgId, ticketId: t.id, customerId: customer.customerId, surveyId: null, rating: input.rating, comment: input.comment, source: 'portal' });
    await deps.audit.append(trx, {
      orgId: customer.orgId,
      actor: { type: 'customer', id: customer.customerId },
      action: 'csat.rate',
      object: { type: 'ticket', id: t.id },
      subjectCustomerId: customer.customerId,
      result: 'success',
      requestId: customer.requestId,
      sourceIp: customer.ip,
      details: { via: 'portal', rating: input.rating, comment: Boolean(input.comment?.trim()), redactions: saved.redactions, replaced: saved.replaced },
    });
    return { rating: input.rating, ratedAt: saved.ratedAt.toISOString(), redactions: saved.redactions };
  });
}

/** The ticket's rating for staff who may read the ticket; the comment is customer text, so the read is audited. */
export async function readTicketCsat(deps: HelpdeskDeps, ctx: AgentContext, input: { ticketId: string }) {
  const p = ctx.principal;
  return deps.db.transaction().execute(async (trx) => {
    const t = await trx.selectFrom('tickets').where('id', '=', input.ticketId).where('org_id', '=', p.orgId).select(['id', 'org_id', 'team_id', 'assignee_id', 'requester_id']).executeTakeFirst();
    authorize(p, 'tickets.read', t ? { orgId: t.org_id, teamId: t.team_id, assigneeId: t.assignee_id } : null);
    const ticket = t as NonNullable<typeof t>;
    const r = await trx.selectFrom('csat_ratings').where('ticket_id', '=', ticket.id).select(['id', 'rating', 'comment_enc', 'source', 'rated_at', 'customer_id']).executeTakeFirst();
    const s = await trx.selectFrom('csat_surveys').where('ticket_id', '=', ticket.id).select('created_at').orderBy('created_at', 'desc').limit(1).executeTakeFirst();
    if (r) {
      await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'csat.read', object: { type: 'ticket', id: ticket.id }, subjectCustomerId: r.customer_id ?? ticket.requester_id, result: 'success', details: { comment: r.comment_enc !== null } });
    }
    return {
      rating: r ? { rating: r.rating, comment: await decryptOrNull(deps, { table: 'csat_ratings', column: 'comment_enc', rowId: r.id }, r.comment_enc, trx), source: r.source, ratedAt: iso(r.rated_at) } : null,
      surveySentAt: s ? iso(s.created_at) : null,
    };
  });
}
