/**
 * Contract of taking and sharing work (src/helpdesk/work/): "assign to me" and "take next",
 * saved views (filters, columns, sort, counts; personal or shared with a team), the
 * organisation's assign-on-reply setting and each team's assignment strategy.
 */
import { Type, type Static } from 'typebox';
import { IdParams, Nullable, Uuid, type Endpoint } from './common.js';
import { Tag, TicketList, TicketPriorityT, TicketStatusT, TICKET_CHANNELS, THREAT_VERDICTS } from './tickets.js';

export const ASSIGNMENT_STRATEGIES = ['manual', 'round_robin', 'least_busy'] as const;
export type AssignmentStrategy = (typeof ASSIGNMENT_STRATEGIES)[number];
/** A routing rule's strategy action (manual is "name a person", or nobody). */
export const RULE_STRATEGIES = ['round_robin', 'least_busy'] as const;
export const SLA_STATES = ['breaching', 'due_soon', 'ok'] as const;
export type SlaState = (typeof SLA_STATES)[number];
export const VIEW_SORTS = ['updated', 'created', 'priority', 'sla_due', 'number'] as const;
export type ViewSort = (typeof VIEW_SORTS)[number];
export const VIEW_COLUMNS = ['number', 'subject', 'requester', 'status', 'priority', 'assignee', 'team', 'channel', 'tags', 'sla', 'created', 'updated'] as const;
export type ViewColumn = (typeof VIEW_COLUMNS)[number];
/** Views one person may own; shared views count against their owner. */
export const MAX_VIEWS_PER_USER = 50;
/** Built-in views "take next" may draw from (mine is already taken). */
export const TAKE_NEXT_VIEWS = ['all', 'my_team', 'unassigned', 'breaching'] as const;

export const AssignmentStrategyT = Type.Enum<[...typeof ASSIGNMENT_STRATEGIES]>(ASSIGNMENT_STRATEGIES);
export const RuleStrategyT = Type.Enum<[...typeof RULE_STRATEGIES]>(RULE_STRATEGIES);
const DateTime = Type.String({ format: 'date-time', maxLength: 40 });

/**
 * What a view shows: every given filter must hold (values within one filter are alternatives, except
 * tags, which must all be present). `assignee` takes person ids, "me" and "unassigned".
 */
export const ViewFilters = Type.Object({
  status: Type.Optional(Type.Array(TicketStatusT, { maxItems: 6, uniqueItems: true })),
  priority: Type.Optional(Type.Array(TicketPriorityT, { maxItems: 4, uniqueItems: true })),
  tags: Type.Optional(Type.Array(Tag, { maxItems: 10, uniqueItems: true })),
  teamIds: Type.Optional(Type.Array(Uuid, { maxItems: 20, uniqueItems: true })),
  assignee: Type.Optional(Type.Array(Type.Union([Type.Literal('me'), Type.Literal('unassigned'), Uuid]), { maxItems: 20, uniqueItems: true })),
  channel: Type.Optional(Type.Array(Type.Enum<[...typeof TICKET_CHANNELS]>(TICKET_CHANNELS), { maxItems: 6, uniqueItems: true })),
  /** breaching: a target is overdue; due_soon: due within the hour; ok: neither (or no SLA). */
  sla: Type.Optional(Type.Array(Type.Enum<[...typeof SLA_STATES]>(SLA_STATES), { maxItems: 3, uniqueItems: true })),
  /** Any message of the ticket carries this phishing verdict. */
  threat: Type.Optional(Type.Array(Type.Enum<[...typeof THREAT_VERDICTS]>(THREAT_VERDICTS), { maxItems: 3, uniqueItems: true })),
  createdFrom: Type.Optional(DateTime),
  createdTo: Type.Optional(DateTime),
  updatedFrom: Type.Optional(DateTime),
  updatedTo: Type.Optional(DateTime),
}, { additionalProperties: false });
export type ViewFilters = Static<typeof ViewFilters>;

export const SavedViewBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 80 }),
  /** Shared with this team (the caller must be in it and hold tickets.assign); null: personal. */
  teamId: Nullable(Uuid),
  filters: ViewFilters,
  columns: Type.Array(Type.Enum<[...typeof VIEW_COLUMNS]>(VIEW_COLUMNS), { minItems: 1, maxItems: VIEW_COLUMNS.length, uniqueItems: true }),
  sort: Type.Enum<[...typeof VIEW_SORTS]>(VIEW_SORTS),
  sortDir: Type.Union([Type.Literal('asc'), Type.Literal('desc')]),
}, { additionalProperties: false });
export type SavedViewBody = Static<typeof SavedViewBody>;

export const SavedView = Type.Object({
  ...SavedViewBody.properties,
  id: Uuid,
  ownerId: Uuid,
  /** The caller may change or delete it (its owner, or a lead of the team it is shared with). */
  editable: Type.Boolean(),
  /** Open tickets (not solved or closed) in the view among those the caller may read. */
  count: Type.Integer(),
});
export const SavedViewList = Type.Object({ views: Type.Array(SavedView) });
export const ViewTicketsQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) });

export const TakeNextBody = Type.Object({
  /** A saved view, or a built-in view (default: all the caller may take). */
  viewId: Type.Optional(Uuid),
  view: Type.Optional(Type.Enum<[...typeof TAKE_NEXT_VIEWS]>(TAKE_NEXT_VIEWS)),
}, { additionalProperties: false });
/** `ticket` is null when nothing in the view is waiting for someone to take it. */
export const TakeNextResult = Type.Object({ ticket: Nullable(Type.Object({ id: Uuid, number: Type.Integer() })) });

export const AssignmentSettings = Type.Object({
  /** Replying to an unassigned ticket assigns it to the replier (default on). */
  assignOnReply: Type.Boolean(),
}, { additionalProperties: false });
export const TeamStrategy = Type.Object({ id: Uuid, strategy: AssignmentStrategyT });
export const TeamStrategyList = Type.Object({ teams: Type.Array(TeamStrategy) });
export const TeamStrategyBody = Type.Object({ strategy: AssignmentStrategyT }, { additionalProperties: false });
export const AwayBody = Type.Object({ away: Type.Boolean() }, { additionalProperties: false });
const Ok = Type.Object({ ok: Type.Literal(true) });

export const workEndpoints = {
  /** tickets.take + tickets.write on the ticket: assign it to yourself. Held by someone else: tickets.assign, or 409. */
  take: { method: 'POST', url: '/api/tickets/:id/take', params: IdParams, response: Ok },
  /** tickets.take: the next unassigned new/open ticket of the view, assigned to you atomically. */
  takeNext: { method: 'POST', url: '/api/tickets/take-next', body: TakeNextBody, response: TakeNextResult },
  /** tickets.read: your views and your teams' shared views, each with its count. */
  views: { method: 'GET', url: '/api/views', response: SavedViewList },
  createView: { method: 'POST', url: '/api/views', body: SavedViewBody, response: Type.Object({ id: Uuid }), status: 201 },
  updateView: { method: 'PUT', url: '/api/views/:id', params: IdParams, body: SavedViewBody, response: Ok },
  deleteView: { method: 'DELETE', url: '/api/views/:id', params: IdParams, response: Ok },
  /** tickets.read: the view's tickets (an audited read), in its sort. */
  viewTickets: { method: 'GET', url: '/api/views/:id/tickets', params: IdParams, querystring: ViewTicketsQuery, response: TicketList },
  /** channels.manage */
  assignmentSettings: { method: 'GET', url: '/api/organization/assignment', response: AssignmentSettings },
  /** channels.manage; audited. */
  setAssignmentSettings: { method: 'PUT', url: '/api/organization/assignment', body: AssignmentSettings, response: Ok },
  /** teams.manage */
  teamStrategies: { method: 'GET', url: '/api/teams/strategies', response: TeamStrategyList },
  /** teams.manage; audited. */
  setTeamStrategy: { method: 'PUT', url: '/api/teams/:id/strategy', params: IdParams, body: TeamStrategyBody, response: Ok },
  /** tickets.take: mark yourself away (strategies skip you) or back. */
  away: { method: 'GET', url: '/api/auth/me/away', response: AwayBody },
  setAway: { method: 'PUT', url: '/api/auth/me/away', body: AwayBody, response: Ok },
} as const satisfies Record<string, Endpoint>;

