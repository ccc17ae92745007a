/**
 * Macros: canned replies with placeholders and actions. Bodies are checked by
 * the DLP detectors when saved (card numbers and secrets refused, other
 * sensitive types warned about) and stored under the organisation's key.
 * Applying a macro fills placeholders from the ticket (reading customer fields
 * is audited), warns when a placeholder inserted sensitive data, and posts the
 * reply or note and applies the actions in ONE transaction with its audit.
 */
import { sendCsatSurveys } from '../csat/csat.service.js';
import { randomUUID } from 'node:crypto';
import { authorize } from '../../identity/auth/access.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { AppError, KeyDestroyedError } from '../../platform/errors.js';
import '../sla/schema.js';
import type { MacroActions } from '../sla/schema.js';
import { actingFromAgent, type AgentContext, type HelpdeskDeps } from '../tickets/context.js';
import { TICKET_PRIORITIES, TICKET_STATUSES, type TicketPriority, type TicketStatus } from '../tickets/schema.js';
import { addInternalNoteIn, replyToTicketIn } from '../tickets/ticket-actions.js';
import { applyTicketChanges, checkAssignmentTargets, withAudit, type TicketChanges } from '../tickets/ticket-bulk.js';
import { loadTicketForAction } from '../tickets/tickets.service.js';
import { maskEmail, maskName } from '../customers/masking.js';
import { clearFieldsOfPrincipal, type MaskingField } from '../customers/masking-policy.js';
import { checkMacroTemplate, findSensitiveInsertions, placeholdersIn, renderMacro, type PlaceholderValues, type SensitiveWarning } from './render.js';

export interface MacroInput {
  name: string;
  body: string;
  actions?: MacroActions;
}

export interface MacroView {
  id: string;
  name: string;
  body: string;
  actions: MacroActions;
  updatedAt: string;
}

const bodyField = (id: string) => ({ table: 'macros', column: 'body_enc', rowId: id });

function validateActions(a: MacroActions): void {
  if (a.status !== undefined && !TICKET_STATUSES.includes(a.status as TicketStatus)) throw new AppError('validation_failed', 'Unknown status in the macro’s actions.');
  if (a.priority !== undefined && !TICKET_PRIORITIES.includes(a.priority as TicketPriority)) throw new AppError('validation_failed', 'Unknown priority in the macro’s actions.');
}

function validateBody(body: string): { warnings: string[] } {
  if (body.length > 20_000) throw new AppError('payload_too_large', 'Macro bodies are limited to 20000 characters.');
  const { unknown } = placeholdersIn(body);
  if (unknown.length) throw new AppError('validation_failed', `Unknown placeholder: ${unknown.slice(0, 3).join(', ')}.`, { extra: { unknownPlaceholders: unknown } });
  const check = checkMacroTemplate(body);
  if (check.refuse.length) throw new AppError('validation_failed', 'A macro may not contain card numbers, passwords or secrets.', { extra: { sensitiveTypes: check.refuse } });
  return { warnings: check.warn };
}

export async function saveMacro(deps: HelpdeskDeps, ctx: AgentContext, input: MacroInput & { macroId?: string }): Promise<MacroView & { warnings: string[] }> {
  const { warnings } = validateBody(input.body);
  const actions = input.actions ?? {};
  validateActions(actions);
  const p = ctx.principal;
  const id = input.macroId ?? randomUUID();
  return deps.db.transaction().execute(async (trx) => {
    // A macro may only name a team and a person of its own organisation: checked when saved, not first when applied.
    if (actions.teamId && !(await trx.selectFrom('teams').where('id', '=', actions.teamId).where('org_id', '=', p.orgId).select('id').executeTakeFirst())) {
      throw new AppError('bad_request', 'The macro assigns to a team that does not exist here.');
    }
    if (actions.assigneeId && !(await trx.selectFrom('users').where('id', '=', actions.assigneeId).where('org_id', '=', p.orgId).where('status', '=', 'active').select('id').executeTakeFirst())) {
      throw new AppError('bad_request', 'The macro assigns to a person who is not an active member of staff here.');
    }
    const body_enc = await deps.keyring.encrypt({ type: 'organization', id: p.orgId }, bodyField(id), input.body, trx);
    const now = new Date();
    if (input.macroId) {
      const r = await trx.updateTable('macros').set({ name: input.name, body_enc, actions: JSON.stringify(actions), updated_at: now }).where('id', '=', id).where('org_id', '=', p.orgId).returning('id').executeTakeFirst();
      if (!r) throw new AppError('not_found', 'No such macro.');
    } else {
      const clash = await trx.selectFrom('macros').where('org_id', '=', p.orgId).where('name', '=', input.name).select('id').executeTakeFirst();
      if (clash) throw new AppError('conflict', 'A macro with that name exists.');
      await trx.insertInto('macros').values({ id, org_id: p.orgId, name: input.name, body_enc, actions: JSON.stringify(actions), created_by: p.userId }).execute();
    }
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: input.macroId ? 'macro.update' : 'macro.create', object: { type: 'macro', id }, result: 'success', details: { warnings } });
    return { id, name: input.name, body: input.body, actions, updatedAt: now.toISOString(), warnings };
  });
}

export async function deleteMacro(deps: HelpdeskDeps, ctx: AgentContext, input: { macroId: string }): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const r = await trx.deleteFrom('macros').where('id', '=', input.macroId).where('org_id', '=', ctx.principal.orgId).returning('id').executeTakeFirst();
    if (!r) throw new AppError('not_found', 'No such macro.');
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'macro.delete', object: { type: 'macro', id: r.id }, result: 'success' });
  });
}

export async function listMacros(deps: HelpdeskDeps, ctx: AgentContext): Promise<MacroView[]> {
  const rows = await deps.db.selectFrom('macros').where('org_id', '=', ctx.principal.orgId).select(['id', 'name', 'body_enc', 'actions', 'updated_at']).orderBy('name').execute();
  const out: MacroView[] = [];
  for (const r of rows) out.push({ id: r.id, name: r.name, body: r.body_enc ? await deps.keyring.decrypt(bodyField(r.id), r.body_enc) : '', actions: r.actions, updatedAt: new Date(r.updated_at).toISOString() });
  return out;
}

async function loadMacro(trx: Executor, deps: HelpdeskDeps, orgId: string, macroId: string) {
  const m = await trx.selectFrom('macros').where('id', '=', macroId).where('org_id', '=', orgId).select(['id', 'body_enc', 'actions']).executeTakeFirst();
  if (!m) throw new AppError('not_found', 'No such macro.');
  return { id: m.id, body: m.body_enc ? await deps.keyring.decrypt(bodyField(m.id), m.body_enc, trx) : '', actions: m.actions };
}

type LockedTicket = Awaited<ReturnType<typeof loadTicketForAction>>;

/**
 * Placeholder values from the ticket; decrypts only what the template uses, and reports which customer fields were read.
 * `clear`: the customer fields that come out as they are; the others come out as the customer panel shows them
 * before a reveal (W••• A•••, j•••@example.com). A preview shows what the masking policy shows the agent in clear
 * and is not a reveal; only sending puts every real value in.
 */
async function placeholderValues(trx: Executor, deps: HelpdeskDeps, ctx: AgentContext, t: LockedTicket, body: string, options: { clear: 'all' | ReadonlySet<string> }): Promise<{ values: PlaceholderValues; customerFields: string[] }> {
  const masked = (field: 'name' | 'email') => options.clear !== 'all' && !options.clear.has(field);
  const used = new Set(placeholdersIn(body).known);
  const values: PlaceholderValues = { 'ticket.number': String(t.number), 'agent.name': ctx.principal.name, 'agent.first_name': ctx.principal.name.split(/\s+/)[0] ?? '' };
  const customerFields: string[] = [];
  const dec = async (table: string, column: string, rowId: string, ct: Uint8Array | null) => {
    if (!ct) return '';
    try {
      return await deps.keyring.decrypt({ table, column, rowId }, ct, trx);
    } catch (err) {
      if (err instanceof KeyDestroyedError) return '';
      throw err;
    }
  };
  if (used.has('ticket.subject')) values['ticket.subject'] = await dec('tickets', 'subject_enc', t.id, t.subject_enc);
  if (t.requester_id && (used.has('customer.name') || used.has('customer.first_name') || used.has('customer.email'))) {
    const c = await trx.selectFrom('customers').where('id', '=', t.requester_id).select(['id', 'name_enc', 'email_enc']).executeTakeFirst();
    if (c && (used.has('customer.name') || used.has('customer.first_name'))) {
      const name = await dec('customers', 'name_enc', c.id, c.name_enc);
      const first = name.split(/\s+/)[0] ?? '';
      values['customer.name'] = masked('name') ? maskName(name) : name;
      values['customer.first_name'] = masked('name') ? maskName(first) : first;
      customerFields.push('name');
    }
    if (c && used.has('customer.email')) {
      const email = await dec('customers', 'email_enc', c.id, c.email_enc);
      values['customer.email'] = masked('email') && email ? maskEmail(email) : email;
      customerFields.push('email');
    }
  }
  return { values, customerFields };
}

export interface MacroPreview {
  body: string;
  warnings: SensitiveWarning[];
}

/** The filled-in text and its warnings, changing nothing (the customer fields read are audited). */
export async function previewMacro(deps: HelpdeskDeps, ctx: AgentContext, input: { ticketId: string; macroId: string }): Promise<MacroPreview> {
  return deps.db.transaction().execute(async (trx) => {
    const t = await loadTicketForAction(trx, ctx, input.ticketId, 'tickets.write');
    const m = await loadMacro(trx, deps, ctx.principal.orgId, input.macroId);
    const clear = await clearFieldsOfPrincipal(trx, ctx.principal);
    const { values, customerFields } = await placeholderValues(trx, deps, ctx, t, m.body, { clear });
    const rendered = renderMacro(m.body, values);
    const warnings = findSensitiveInsertions(rendered);
    const clearFields = customerFields.filter((f) => clear.has(f as MaskingField));
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'ticket.macro.preview', object: { type: 'ticket', id: t.id }, subjectCustomerId: t.requester_id, result: 'success', details: { macroId: m.id, customerFields, clearFields, masked: customerFields.some((f) => !clear.has(f as MaskingField)) } });
    return { body: rendered.text, warnings };
  });
}

export interface ApplyMacroInput {
  ticketId: string;
  macroId: string;
  /** Post the filled-in body as a public reply, an internal note, or not at all (actions only). */
  send: 'reply' | 'note' | 'none';
  /** The agent saw the warnings and sends anyway. */
  acknowledgeWarnings?: boolean;
}

export async function applyMacro(deps: HelpdeskDeps, ctx: AgentContext, input: ApplyMacroInput): Promise<{ messageId: string | null; warnings: SensitiveWarning[] }> {
  return deps.db.transaction().execute(async (trx) => {
    const t = await loadTicketForAction(trx, ctx, input.ticketId, 'tickets.write');
    const m = await loadMacro(trx, deps, ctx.principal.orgId, input.macroId);
    const { values, customerFields } = await placeholderValues(trx, deps, ctx, t, m.body, { clear: 'all' });
    const rendered = renderMacro(m.body, values);
    const warnings = findSensitiveInsertions(rendered);
    // A public reply may leave by plain email: sensitive data a placeholder inserted needs the agent's say-so.
    if (input.send === 'reply' && warnings.length > 0 && !input.acknowledgeWarnings) {
      throw new AppError('conflict', 'This macro inserts sensitive data into a reply. Review it, then send with acknowledgeWarnings.', { extra: { warnings } });
    }
    const a = m.actions;
    const assigning = a.assigneeId !== undefined || a.teamId !== undefined;
    if (assigning) {
      authorize(ctx.principal, 'tickets.assign', { orgId: t.org_id, teamId: t.team_id, assigneeId: t.assignee_id });
      await checkAssignmentTargets(trx, ctx, { ...(a.assigneeId !== undefined ? { assigneeId: a.assigneeId } : {}), ...(a.teamId !== undefined ? { teamId: a.teamId } : {}) });
    }
    let messageId: string | null = null;
    const status = a.status as TicketStatus | undefined;
    if (input.send === 'reply') messageId = (await replyToTicketIn(trx, deps, ctx, { ticketId: t.id, body: rendered.text, ...(status ? { status } : {}) })).messageId;
    if (input.send === 'note') messageId = (await addInternalNoteIn(trx, deps, ctx, { ticketId: t.id, body: rendered.text })).messageId;
    const changes: TicketChanges = {
      ...(status && input.send !== 'reply' ? { status } : {}),
      ...(a.priority ? { priority: a.priority as TicketPriority } : {}),
      ...(a.assigneeId !== undefined ? { assigneeId: a.assigneeId } : {}),
      ...(a.teamId !== undefined ? { teamId: a.teamId } : {}),
      ...(a.addTags?.length ? { addTags: a.addTags } : {}),
      ...(a.removeTags?.length ? { removeTags: a.removeTags } : {}),
    };
    if (Object.keys(changes).length) {
      // A macro that solves without replying asks for a rating like any other way of solving.
      const solving = changes.status === 'solved' && t.status !== 'solved';
      await applyTicketChanges(trx, withAudit(deps, ctx), { ticketIds: [t.id], changes, action: 'ticket.update' });
      if (solving) await sendCsatSurveys(trx, deps, [t.id]);
    }
    await deps.audit.append(trx, {
      ...actingFromAgent(ctx),
      action: 'ticket.macro.apply',
      object: { type: 'ticket', id: t.id },
      subjectCustomerId: t.requester_id,
      result: 'success',
      details: { macroId: m.id, send: input.send, messageId, customerFields, warnings: warnings.map((w) => ({ type: w.type, placeholder: w.placeholder })) },
    });
    return { messageId, warnings };
  });
}
