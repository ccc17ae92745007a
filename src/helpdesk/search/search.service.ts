/**
 * Ticket search: metadata (status, priority, tags, number), requester by email
 * (the customers' blind indexes, primary and further addresses) and keywords
 * over encrypted subjects and bodies through the keyed token index. Every
 * condition, visibility included, is SQL; results are presented like the
 * ticket list and the search is audited (ids and counts, never the terms).
 */
import { sql } from 'kysely';
import { normalizers } from '../../protection/crypto/normalize.js';
import { AppError } from '../../platform/errors.js';
import '../sla/schema.js';
import { actingFromAgent, ticketScope, type AgentContext, type HelpdeskDeps } from '../tickets/context.js';
import type { TicketPriority, TicketStatus } from '../tickets/schema.js';
import { presentTicketRows, SUMMARY_COLUMNS, type TicketRow, type TicketSummary } from '../tickets/tickets.service.js';
import { requesterDisplays } from '../customers/requester-display.js';
import { searchTokensFor } from './search-index.js';
import { queryWords } from './tokens.js';

export interface SearchTicketsInput {
  /** Keywords: a ticket matches when every word occurs in its subject or some message. */
  q?: string;
  requesterEmail?: string;
  tags?: string[];
  status?: TicketStatus[];
  priority?: TicketPriority[];
  number?: number;
  limit?: number;
}

export async function searchTickets(deps: HelpdeskDeps, ctx: AgentContext, input: SearchTicketsInput): Promise<TicketSummary[]> {
  const p = ctx.principal;
  const words = input.q ? queryWords(input.q) : [];
  if (input.q !== undefined && words.length === 0 && !input.requesterEmail && !input.tags?.length && input.number === undefined) {
    throw new AppError('validation_failed', 'Search for at least one word of two or more letters.');
  }
  const limit = Math.min(Math.max(input.limit ?? 50, 1), 200);
  let q = deps.db.selectFrom('tickets').select(SUMMARY_COLUMNS).where(ticketScope(p, 'tickets.read'));
  if (words.length) {
    const tokens = await searchTokensFor(deps.keyring, p.orgId, words);
    q = q.where('tickets.id', 'in', (eb) =>
      eb
        .selectFrom('search_tokens')
        .select('search_tokens.ticket_id')
        .where('search_tokens.org_id', '=', p.orgId)
        .where('search_tokens.token', 'in', tokens)
        .groupBy('search_tokens.ticket_id')
        .having(sql`count(DISTINCT search_tokens.token)`, '=', tokens.length),
    );
  }
  if (input.requesterEmail) {
    const email = normalizers.email(input.requesterEmail);
    const primary = await deps.keyring.blindIndex(p.orgId, { table: 'customers', column: 'email', domain: 'email' }, email);
    const further = await deps.keyring.blindIndex(p.orgId, { table: 'customer_contacts', column: 'email', domain: 'email' }, email);
    // Blind indexes are truncated on purpose: candidates may include a few other customers (confirmed below by decryption).
    const candidates = await deps.db
      .selectFrom('customers')
      .where('org_id', '=', p.orgId)
      .where((eb) =>
        eb.or([
          eb('email_bidx', '=', primary),
          eb('id', 'in', eb.selectFrom('customer_contacts').select('customer_id').where('org_id', '=', p.orgId).where('kind', '=', 'email').where('value_bidx', '=', further)),
        ]),
      )
      .select(['id', 'email_enc'])
      .execute();
    const ids = await confirmEmails(deps, candidates, email);
    q = ids.length ? q.where('tickets.requester_id', 'in', ids) : q.where(sql<boolean>`false`);
  }
  if (input.tags?.length) q = q.where((eb) => eb(eb.val(input.tags as string[]), '<@', eb.ref('tickets.tags')));
  if (input.status?.length) q = q.where('tickets.status', 'in', input.status);
  if (input.priority?.length) q = q.where('tickets.priority', 'in', input.priority);
  if (input.number !== undefined) q = q.where('tickets.number', '=', input.number);
  const rows = (await q.orderBy('tickets.last_message_at', 'desc').orderBy('tickets.id', 'desc').limit(limit).execute()) as TicketRow[];
  const { byTicket, nameInClear } = await requesterDisplays(deps, deps.db, p, rows);
  const out = (await presentTicketRows(deps, rows)).map((t) => ({ ...t, requester: byTicket.get(t.id) ?? null }));
  await deps.audit.record({
    ...actingFromAgent(ctx),
    action: 'ticket.search',
    result: 'success',
    // The customers shown, as keyed hashes, so filtering the trail by customer finds this search.
    subjectCustomerIds: rows.map((r) => r.requester_id),
    // The terms may be personal data (a name, an address): only their count is recorded.
    details: { words: words.length, byEmail: Boolean(input.requesterEmail), count: rows.length, ticketIds: rows.map((r) => r.id), clearFields: nameInClear ? ['name'] : [] },
  });
  return out;
}

async function confirmEmails(deps: HelpdeskDeps, candidates: Array<{ id: string; email_enc: Uint8Array | null }>, email: string): Promise<string[]> {
  const ids: string[] = [];
  for (const c of candidates) {
    if (!c.email_enc) continue;
    try {
      if (normalizers.email(await deps.keyring.decrypt({ table: 'customers', column: 'email_enc', rowId: c.id }, c.email_enc)) === email) ids.push(c.id);
      else ids.push(...(await confirmContacts(deps, c.id, email)));
    } catch {
      // Erased customer: nothing to match.
    }
  }
  return [...new Set(ids)];
}

async function confirmContacts(deps: HelpdeskDeps, customerId: string, email: string): Promise<string[]> {
  const rows = await deps.db.selectFrom('customer_contacts').where('customer_id', '=', customerId).where('kind', '=', 'email').select(['id', 'value_enc']).execute();
  for (const r of rows) {
    if (normalizers.email(await deps.keyring.decrypt({ table: 'customer_contacts', column: 'value_enc', rowId: r.id }, r.value_enc)) === email) return [customerId];
  }
  return [];
}
