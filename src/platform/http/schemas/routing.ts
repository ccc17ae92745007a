/**
 * Contract of the routing-rule routes (src/helpdesk/routing/routing.routes.ts,
 * channels.manage): for each new inbound ticket the first enabled rule (by
 * position) whose conditions all match sets team, assignee, priority and tags.
 */
import { Type } from 'typebox';
import { IdParams, Nullable, Uuid, type Endpoint } from './common.js';
import { TICKET_PRIORITIES } from './tickets.js';

export const RoutingRuleBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  position: Type.Integer({ minimum: 0, maximum: 10_000 }),
  enabled: Type.Boolean(),
  matchMailboxId: Nullable(Uuid),
  /** Lower-case domain of the sender, e.g. example.com. */
  matchSenderDomain: Nullable(Type.String({ pattern: '^[a-z0-9.-]{1,253}$' })),
  /** Every word must appear in the subject (case-insensitive). */
  matchSubjectWords: Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 50 }),
  setTeamId: Nullable(Uuid),
  setAssigneeId: Nullable(Uuid),
  setPriority: Nullable(Type.Enum(TICKET_PRIORITIES)),
  addTags: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 20 }),
  /** When the rule names no person: hand the ticket to a member of its team in turn, or to the least busy one. */
  assignStrategy: Type.Optional(Nullable(Type.Enum<['round_robin', 'least_busy']>(['round_robin', 'least_busy']))),
}, { additionalProperties: false });
export const RoutingRule = Type.Intersect([Type.Object({ id: Type.String() }), RoutingRuleBody]);
export const RoutingRuleList = Type.Object({ rules: Type.Array(RoutingRule) });

export const routingEndpoints = {
  list: { method: 'GET', url: '/api/routing-rules', response: RoutingRuleList },
  create: { method: 'POST', url: '/api/routing-rules', body: RoutingRuleBody, response: Type.Object({ id: Type.String() }), status: 201 },
  update: { method: 'PUT', url: '/api/routing-rules/:id', params: IdParams, body: RoutingRuleBody, response: Type.Object({ ok: Type.Literal(true) }) },
  remove: { method: 'DELETE', url: '/api/routing-rules/:id', params: IdParams, response: Type.Object({ ok: Type.Literal(true) }) },
} as const satisfies Record<string, Endpoint>;
