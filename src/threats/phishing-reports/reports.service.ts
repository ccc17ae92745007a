/**
 * "Report phishing": an agent who can see a ticket moves one of its messages
 * to quarantine. In one transaction: a quarantine row (the message's raw
 * source, re-encrypted under the organisation's key, reason 'reported'), the
 * message marked reported (the web app hides it), a pending block suggestion
 * for the sender, the agent's awareness record and the audit events. Security
 * officers are mailed after the commit (ids only). Decision 0036.
 */
import { randomUUID } from 'node:crypto';
import type { Principal } from '../../identity/auth/access.js';
import type { Mailer } from '../../platform/notify/mailer.js';
import { AppError } from '../../platform/errors.js';
import { parseRawMessage } from '../phishing/index.js';
import { actingFromAgent, type AgentContext, type HelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { loadTicketForAction } from '../../helpdesk/tickets/tickets.service.js';
import { recordLabel, storedMessageSource } from '../phishing-learning/labels.js';
import { notifySecurityOfficers } from './notify.js';
import { suggestBlock } from './sender-lists.js';
import { reportSimulation } from '../simulations/tracking.js';
import type { ReportOutcome } from './schema.js';
import './schema.js';

export interface ReportDeps extends HelpdeskDeps {
  mailer: Mailer;
}

export interface ReportResult {
  reportId: string;
  /** Null for a simulation: nothing is quarantined. */
  quarantineId: string | null;
  /** The pending block-list suggestion created for the sender, null when already listed or unknown. */
  blockSuggestionId: string | null;
  /** True when the message was a phishing simulation: the report counts as a success, and nothing else happens (decision 0192). */
  simulation?: true;
}

const orgOwner = (orgId: string) => ({ type: 'organization' as const, id: orgId });

/** The bare sender address from a raw message's header, '' when there is none. */
async function senderOf(raw: Buffer): Promise<string> {
  const parsed = await parseRawMessage(raw, { maxAttachmentBytes: 0 }).catch(() => null);
  return parsed?.from?.address ?? '';
}

export async function reportPhishing(deps: ReportDeps, ctx: AgentContext, input: { ticketId: string; messageId: string; comment?: string | undefined }): Promise<ReportResult> {
  const p = ctx.principal;
  const acting = actingFromAgent(ctx);
  const result = await deps.db.transaction().execute(async (trx) => {
    // Same visibility as reading the ticket; not found and forbidden look alike.
    const ticket = await loadTicketForAction(trx, ctx, input.ticketId, 'tickets.write');
    const msg = await trx
      .selectFrom('messages')
      .where('id', '=', input.messageId)
      .where('ticket_id', '=', ticket.id)
      .where('org_id', '=', p.orgId)
      .select(['id', 'kind', 'author_type', 'customer_id', 'raw_enc', 'body_enc', 'threat_score', 'threat_codes', 'threat_reasons_enc', 'reported_at'])
      .forUpdate()
      .executeTakeFirst();
    // Only what a customer (or someone posing as one) sent can be phishing.
    if (!msg || msg.author_type !== 'customer') throw new AppError('not_found', 'No such message.');
    if (msg.reported_at) throw new AppError('conflict', 'This message was already reported.');
    // A simulation: the report is the success it tests for. No quarantine, no block suggestion, no alert, no learning label.
    const simulated = await reportSimulation(trx, deps, ctx, { messageId: msg.id, ticketId: ticket.id });
    if (simulated) return simulated;

    const field = (column: string) => ({ table: 'messages', column, rowId: msg.id });
    let raw: Buffer;
    if (msg.raw_enc) raw = Buffer.from(await deps.keyring.decrypt(field('raw_enc'), msg.raw_enc, trx), 'base64');
    else raw = Buffer.from(msg.body_enc ? await deps.keyring.decrypt(field('body_enc'), msg.body_enc, trx) : '', 'utf8');
    const reasons = msg.threat_reasons_enc ? (JSON.parse(await deps.keyring.decrypt(field('threat_reasons_enc'), msg.threat_reasons_enc, trx)) as unknown[]) : [];
    const sender = msg.raw_enc ? await senderOf(raw) : '';

    const quarantineId = randomUUID();
    const codes = [...new Set(['reported', ...msg.threat_codes])].slice(0, 50);
    const qField = (column: string) => ({ table: 'quarantine', column, rowId: quarantineId });
    await trx
      .insertInto('quarantine')
      .values({
        id: quarantineId,
        org_id: p.orgId,
        mailbox_id: ticket.mailbox_id,
        reason: 'reported',
        codes,
        threat_score: msg.threat_score,
        raw_enc: await deps.keyring.encrypt(orgOwner(p.orgId), qField('raw_enc'), raw.toString('base64'), trx),
        raw_size: raw.length,
        details_enc: await deps.keyring.encrypt(orgOwner(p.orgId), qField('details_enc'), JSON.stringify({ reasons, redactions: [], reportedFrom: { ticketId: ticket.id, messageId: msg.id } }), trx),
      })
      .execute();
    await trx.updateTable('messages').set({ reported_at: new Date() }).where('id', '=', msg.id).execute();
    const blockSuggestionId = sender ? await suggestBlock(trx, deps.keyring, { orgId: p.orgId, value: sender, reporterId: p.userId, reason: `reported as phishing (ticket #${ticket.number})` }) : null;
    const reportId = randomUUID();
    await trx
      .insertInto('phishing_reports')
      .values({
        id: reportId,
        org_id: p.orgId,
        reporter_id: p.userId,
        ticket_id: ticket.id,
        message_id: msg.id,
        quarantine_id: quarantineId,
        comment_enc: input.comment ? await deps.keyring.encrypt(orgOwner(p.orgId), { table: 'phishing_reports', column: 'comment_enc', rowId: reportId }, input.comment, trx) : null,
      })
      .execute();
    await deps.audit.append(trx, { ...acting, action: 'email.quarantine', object: { type: 'quarantine', id: quarantineId }, subjectCustomerId: msg.customer_id, result: 'success', details: { reason: 'reported', codes, score: msg.threat_score } });
    await deps.audit.append(trx, {
      ...acting,
      action: 'message.report_phishing',
      object: { type: 'message', id: msg.id },
      subjectCustomerId: msg.customer_id,
      result: 'success',
      details: { ticketId: ticket.id, reportId, quarantineId, blockSuggestionId, commented: Boolean(input.comment) },
    });
    return { reportId, quarantineId, blockSuggestionId, learnFrom: msg.raw_enc ? raw : null };
  });
  if ('simulation' in result) return { reportId: result.reportId, quarantineId: null, blockSuggestionId: null, simulation: true };
  // After the commit, best effort: the report teaches the organisation's model (decision 0174).
  await recordLabel(deps, { orgId: p.orgId, messageRef: input.messageId, label: 'phish', source: 'report', labellerId: p.userId, raw: result.learnFrom });
  // After the commit: a mail failure must not undo the report.
  await notifySecurityOfficers(deps, {
    orgId: p.orgId,
    subject: 'Trustdesk: an agent reported a phishing message',
    lines: [
      'An agent reported a message as phishing; it is now held in quarantine.',
      `Quarantine id: ${result.quarantineId}`,
      `Report id: ${result.reportId}`,
      result.blockSuggestionId ? `A block-list suggestion for the sender awaits an administrator: ${result.blockSuggestionId}` : 'The sender was already listed or could not be read.',
    ],
  }).catch((err: unknown) => deps.logger.warn({ err }, 'phishing report notice not sent'));
  return { reportId: result.reportId, quarantineId: result.quarantineId, blockSuggestionId: result.blockSuggestionId };
}

export interface ReportView {
  id: string;
  reporterId: string;
  ticketId: string;
  messageId: string;
  quarantineId: string;
  outcome: ReportOutcome;
  decidedAt: string | null;
  createdAt: string;
}

/** Reports in the organisation (security officers) or one agent's own (their awareness record). */
export async function listReports(deps: HelpdeskDeps, input: { orgId: string; reporterId?: string; limit?: number }): Promise<ReportView[]> {
  let q = deps.db.selectFrom('phishing_reports').where('org_id', '=', input.orgId);
  if (input.reporterId) q = q.where('reporter_id', '=', input.reporterId);
  const rows = await q.selectAll().orderBy('created_at', 'desc').orderBy('id').limit(Math.min(input.limit ?? 50, 200)).execute();
  return rows.map((r) => ({
    id: r.id, reporterId: r.reporter_id, ticketId: r.ticket_id, messageId: r.message_id, quarantineId: r.quarantine_id, outcome: r.outcome,
    decidedAt: r.decided_at ? new Date(r.decided_at).toISOString() : null, createdAt: new Date(r.created_at).toISOString(),
  }));
}

/**
 * A security officer's verdict on a report. A false positive un-hides the
 * message in its ticket; a confirmed one stays hidden. Audited with the change.
 */
export async function decideReport(deps: HelpdeskDeps, p: Principal, ctx: AgentContext, input: { id: string; outcome: Exclude<ReportOutcome, 'pending'>; reason: string }): Promise<ReportView> {
  const view = await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('phishing_reports').where('id', '=', input.id).where('org_id', '=', p.orgId).selectAll().forUpdate().executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such report.');
    if (row.outcome !== 'pending') throw new AppError('conflict', 'This report was already decided.');
    const now = new Date();
    await trx.updateTable('phishing_reports').set({ outcome: input.outcome, decided_by: p.userId, decided_at: now }).where('id', '=', row.id).execute();
    if (input.outcome === 'false_positive') await trx.updateTable('messages').set({ reported_at: null }).where('id', '=', row.message_id).execute();
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'phishing_report.decide', object: { type: 'phishing_report', id: row.id }, purpose: input.reason, result: 'success', details: { outcome: input.outcome, quarantineId: row.quarantine_id } });
    return {
      id: row.id, reporterId: row.reporter_id, ticketId: row.ticket_id, messageId: row.message_id, quarantineId: row.quarantine_id, outcome: input.outcome,
      decidedAt: now.toISOString(), createdAt: new Date(row.created_at).toISOString(),
    };
  });
  // The officer's verdict replaces the reporter's label (decision 0174); best effort, after the commit.
  await recordLabel(deps, {
    orgId: p.orgId,
    messageRef: view.messageId,
    label: input.outcome === 'confirmed' ? 'phish' : 'ham',
    source: input.outcome === 'confirmed' ? 'confirm' : 'not_phishing',
    labellerId: p.userId,
    raw: storedMessageSource(deps, view.messageId),
  });
  return view;
}
