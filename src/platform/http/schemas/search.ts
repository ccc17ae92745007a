/**
 * Contract of ticket search (src/helpdesk/search/search.routes.ts): words in encrypted
 * subjects and messages through the keyed token index, plus tags, status,
 * priority, number and requester email. Results are the list's summaries.
 */
import { Type } from 'typebox';
import type { Endpoint } from './common.js';
import { Tag, TicketList, TicketPriorityT, TicketStatusT } from './tickets.js';

export const SearchQuery = Type.Object({
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  email: Type.Optional(Type.String({ minLength: 3, maxLength: 254 })),
  tag: Type.Optional(Type.Array(Tag, { maxItems: 10 })),
  status: Type.Optional(Type.Array(TicketStatusT, { maxItems: 6 })),
  priority: Type.Optional(Type.Array(TicketPriorityT, { maxItems: 4 })),
  number: Type.Optional(Type.Integer({ minimum: 1 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});

export const searchEndpoints = {
  /** tickets.read: visibility is applied in SQL. */
  tickets: { method: 'GET', url: '/api/search/tickets', querystring: SearchQuery, response: TicketList },
} as const satisfies Record<string, Endpoint>;
