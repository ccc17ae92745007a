/**
 * The ticket list's address: the chosen view, and the search words when searching. The view stays in
 * the address while searching, so clearing the search returns to the view the agent chose.
 */
import { TICKET_VIEWS, type TicketView } from '../../../src/platform/http/schemas/tickets.js';

export function viewOf(search: string): TicketView {
  const v = new URLSearchParams(search).get('view');
  return (TICKET_VIEWS as readonly string[]).includes(v ?? '') ? (v as TicketView) : 'mine';
}

export function listHref(view: TicketView, text: string): string {
  const q = text.trim();
  return q ? `/tickets?view=${view}&q=${encodeURIComponent(q)}` : `/tickets?view=${view}`;
}
