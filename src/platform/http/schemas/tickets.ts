/**
 * Contract of the ticket routes (src/helpdesk/tickets/*.routes.ts): views and counts,
 * the ticket page (conversation, abilities), replies, notes, assignment,
 * status, single-ticket edits, attachments, the sanitised email HTML, bulk
 * actions and merge/split. src/helpdesk/tickets/schema.ts re-exports the lists.
 */
import { Type } from 'typebox';
import { Email, IdParams, Nullable, Timestamp, Uuid, type Endpoint } from './common.js';
import { RequesterDisplay } from './masking.js';

export const TICKET_STATUSES = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];
export const TICKET_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];
export const TICKET_CHANNELS = ['email', 'web', 'portal', 'api', 'phone', 'chat'] as const;
export type TicketChannel = (typeof TICKET_CHANNELS)[number];
export const TICKET_VIEWS = ['all', 'mine', 'my_team', 'unassigned', 'breaching'] as const;
export type TicketView = (typeof TICKET_VIEWS)[number];
export const MESSAGE_KINDS = ['inbound_email', 'public_reply', 'internal_note'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];
export const THREAT_VERDICTS = ['clean', 'suspicious', 'phishing'] as const;
export type ThreatVerdict = (typeof THREAT_VERDICTS)[number];


// Type.Enum with the explicit tuple keeps the union type (Literals() currently widens readonly tuples to string).
export const TicketStatusT = Type.Enum<[...typeof TICKET_STATUSES]>(TICKET_STATUSES);
export const TicketPriorityT = Type.Enum<[...typeof TICKET_PRIORITIES]>(TICKET_PRIORITIES);
export const TicketViewT = Type.Enum<[...typeof TICKET_VIEWS]>(TICKET_VIEWS);
export const Tag = Type.String({ minLength: 1, maxLength: 64 });
export const MAX_TAGS = 50;
export const TICKET_BODY_MAX_CHARS = 200_000;
export const TICKET_SUBJECT_MAX_CHARS = 998;
/** Files a reply or note may carry (uploaded first with `upload`). */
export const MAX_REPLY_ATTACHMENTS = 10;
export const MAX_BULK_TICKETS = 100;
/** Tickets one merge may fold into its target. */
export const MAX_MERGE_SOURCES = 20;
/** The assignee picker lists at most this many people. */
export const MAX_ASSIGNEES = 500;

export const TicketSummary = Type.Object({
  id: Uuid,
  number: Type.Integer(),
  subject: Nullable(Type.String()),
  status: TicketStatusT,
  priority: TicketPriorityT,
  channel: Type.String(),
  requesterId: Nullable(Type.String()),
  assigneeId: Nullable(Type.String()),
  teamId: Nullable(Type.String()),
  tags: Type.Array(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  lastMessageAt: Timestamp,
  /** SLA targets (null without a policy) and when the first response was given. */
  firstResponseDueAt: Nullable(Timestamp),
  resolutionDueAt: Nullable(Timestamp),
  firstResponseAt: Nullable(Timestamp),
  /** The requester's name in clear or masked, as the organisation's masking policy allows the caller (null: erased). */
  requester: Type.Optional(Nullable(RequesterDisplay)),
});
export const StaffName = Type.Object({ id: Uuid, name: Type.String() });
/** `staff`: names of the assignees in `items`. */
export const TicketList = Type.Object({ items: Type.Array(TicketSummary), staff: Type.Array(StaffName) });

export const Redaction = Type.Object({ field: Type.String(), type: Type.String(), start: Type.Integer(), end: Type.Integer(), action: Type.String() });
export const ThreatReason = Type.Object({ code: Type.String(), evidence: Type.String() });
export const MessageAttachment = Type.Object({
  id: Uuid,
  /** Null when the customer's data was erased. */
  filename: Nullable(Type.String()),
  sniffedType: Type.String(),
  size: Type.Integer(),
  /** Executables, macros, double extensions, type mismatches: downloading needs `confirm=1`. */
  dangerous: Type.Boolean(),
  dangerReasons: Type.Array(Type.String()),
  status: Type.String(),
});
export const TicketMessage = Type.Object({
  id: Uuid,
  kind: Type.Enum<[...typeof MESSAGE_KINDS]>(MESSAGE_KINDS),
  authorType: Type.String(),
  authorUserId: Nullable(Type.String()),
  /** Null when erased or when the message was reported as phishing (`reported`). */
  body: Nullable(Type.String()),
  /** The email had an HTML part: GET `messageHtml` shows it sanitised. */
  hasHtml: Type.Boolean(),
  /** Inbound mail: where in `body` the quoted history of earlier messages begins (the conversation folds it), or null. */
  quoteStart: Nullable(Type.Integer()),
  autoSubmitted: Type.Boolean(),
  redactions: Type.Array(Redaction),
  /** The phishing analysis of an inbound email; `reasons` are the analyzer's explanations. */
  threat: Nullable(Type.Object({ score: Type.Integer(), verdict: Type.String(), codes: Type.Array(Type.String()), reasons: Type.Array(ThreatReason) })),
  deliveryStatus: Nullable(Type.String()),
  reported: Type.Boolean(),
  attachments: Type.Array(MessageAttachment),
  createdAt: Timestamp,
});
export const TicketAbilities = Type.Object({ 'tickets.write': Type.Boolean(), 'tickets.assign': Type.Boolean(), 'tickets.take': Type.Boolean(), 'tickets.bulk': Type.Boolean(), 'customers.reveal': Type.Boolean() });
export const TicketDetail = Type.Object({
  ...TicketSummary.properties,
  messages: Type.Array(TicketMessage),
  /** Names of the staff the page mentions (the assignee, message authors). */
  staff: Type.Array(StaffName),
  /** Set when this ticket was merged into another (it is closed; its messages moved there). */
  mergedInto: Nullable(Type.Object({ id: Uuid, number: Type.Integer() })),
  /** Set while a message in the ticket stands reported as phishing: replies, secure messages and identity checks are refused (decision 0126). */
  held: Nullable(Type.Object({ reportedAt: Timestamp, confirmed: Type.Boolean() })),
  abilities: TicketAbilities,
});
export const Assignees = Type.Object({ items: Type.Array(StaffName, { maxItems: MAX_ASSIGNEES }) });

export const TicketListQuery = Type.Object({
  view: Type.Optional(TicketViewT),
  status: Type.Optional(Type.Array(TicketStatusT, { maxItems: 6 })),
  tag: Type.Optional(Tag),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});
export const TicketCounts = Type.Object({ mine: Type.Integer(), my_team: Type.Integer(), unassigned: Type.Integer(), breaching: Type.Integer() });

export const MessageBody = Type.String({ minLength: 1, maxLength: TICKET_BODY_MAX_CHARS });
export const AttachmentIds = Type.Array(Uuid, { maxItems: MAX_REPLY_ATTACHMENTS });
/** Rich text from the composer (sanitised by the server; images only as `cid:<attachment id>@trustdesk` of this message's own files). */
export const MessageHtml = Type.String({ minLength: 1, maxLength: 500_000 });
export const ReplyBody = Type.Object({
  /** Plain text. With `html`, the server derives the stored text from the HTML instead (send the editor's text here for older readers). */
  body: MessageBody,
  html: Type.Optional(MessageHtml),
  status: Type.Optional(TicketStatusT),
  /** Required (true) when the draft holds sensitive data and goes by plain email; see `dlpPolicyEndpoints.checkReply`. */
  acknowledgeSensitive: Type.Optional(Type.Boolean()),
  /** Files uploaded to this ticket with `upload`; they move onto the reply. */
  attachmentIds: Type.Optional(AttachmentIds),
}, { additionalProperties: false });
export const ReplyResult = Type.Object({ messageId: Uuid, queued: Type.Boolean(), redactions: Type.Integer() });
export const NoteBody = Type.Object({ body: MessageBody, html: Type.Optional(MessageHtml), attachmentIds: Type.Optional(AttachmentIds) }, { additionalProperties: false });
export const AssignmentBody = Type.Object({ assigneeId: Type.Optional(Nullable(Uuid)), teamId: Type.Optional(Nullable(Uuid)) }, { additionalProperties: false });
export const StatusBody = Type.Object({ status: TicketStatusT }, { additionalProperties: false });
export const UpdateTicketBody = Type.Object({
  priority: Type.Optional(TicketPriorityT),
  tags: Type.Optional(Type.Array(Tag, { maxItems: MAX_TAGS })),
  teamId: Type.Optional(Nullable(Uuid)),
}, { additionalProperties: false, minProperties: 1 });
export const NewTicketBody = Type.Object({
  /** An existing customer, or an email address (found by blind index, or a new customer is created with `name`). */
  requesterId: Type.Optional(Uuid),
  email: Type.Optional(Email),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  subject: Type.String({ minLength: 1, maxLength: TICKET_SUBJECT_MAX_CHARS }),
  body: MessageBody,
  priority: Type.Optional(TicketPriorityT),
  teamId: Type.Optional(Nullable(Uuid)),
  tags: Type.Optional(Type.Array(Tag, { maxItems: MAX_TAGS })),
}, { additionalProperties: false });
export const NewTicketResult = Type.Object({ id: Uuid, number: Type.Integer() });
export const Ok = Type.Object({ ok: Type.Literal(true) });

export const MessageParams = Type.Object({ id: Uuid, messageId: Uuid });
export const AttachmentParams = Type.Object({ id: Uuid, attachmentId: Uuid });
export const MessageHtmlQuery = Type.Object({ remote: Type.Optional(Type.Union([Type.Literal('0'), Type.Literal('1')])) });
export const DownloadQuery = Type.Object({ confirm: Type.Optional(Type.Union([Type.Literal('0'), Type.Literal('1')])) });
/** Uploads are the raw file (application/octet-stream); the name and the browser's idea of its type ride in the query. */
export const UploadQuery = Type.Object({ filename: Type.String({ minLength: 1, maxLength: 255 }), type: Type.Optional(Type.String({ maxLength: 200 })) });
export const UploadResult = Type.Object({ attachmentId: Uuid, messageId: Uuid, filename: Type.String(), size: Type.Integer(), sniffedType: Type.String(), dangerous: Type.Boolean(), dangerReasons: Type.Array(Type.String()) });

export const BulkBody = Type.Object({
  ticketIds: Type.Array(Uuid, { minItems: 1, maxItems: MAX_BULK_TICKETS }),
  status: Type.Optional(TicketStatusT),
  priority: Type.Optional(TicketPriorityT),
  assigneeId: Type.Optional(Nullable(Uuid)),
  teamId: Type.Optional(Nullable(Uuid)),
  addTags: Type.Optional(Type.Array(Tag, { maxItems: 20 })),
  removeTags: Type.Optional(Type.Array(Tag, { maxItems: 20 })),
}, { additionalProperties: false });
export const MergeBody = Type.Object({ sourceIds: Type.Array(Uuid, { minItems: 1, maxItems: MAX_MERGE_SOURCES }) }, { additionalProperties: false });
export const SplitBody = Type.Object({ messageIds: Type.Array(Uuid, { minItems: 1, maxItems: 500 }), subject: Type.String({ minLength: 1, maxLength: TICKET_SUBJECT_MAX_CHARS }) }, { additionalProperties: false });

export const ticketEndpoints = {
  /** tickets.read: a view, newest activity first (the list is an audited read). */
  list: { method: 'GET', url: '/api/tickets', querystring: TicketListQuery, response: TicketList },
  /** tickets.read: how many tickets each view holds, for the view list. */
  counts: { method: 'GET', url: '/api/tickets/counts', response: TicketCounts },
  /** tickets.write: open a ticket for an existing customer or an email address. */
  create: { method: 'POST', url: '/api/tickets', body: NewTicketBody, response: NewTicketResult, status: 201 },
  /** tickets.read: the ticket page (audited read) with the caller's abilities on it. */
  read: { method: 'GET', url: '/api/tickets/:id', params: IdParams, response: TicketDetail },
  /** tickets.write: priority, tags, team (audited). */
  update: { method: 'PATCH', url: '/api/tickets/:id', params: IdParams, body: UpdateTicketBody, response: TicketSummary },
  reply: { method: 'POST', url: '/api/tickets/:id/replies', params: IdParams, body: ReplyBody, response: ReplyResult, status: 201 },
  note: { method: 'POST', url: '/api/tickets/:id/notes', params: IdParams, body: NoteBody, response: Type.Object({ messageId: Uuid }), status: 201 },
  /** tickets.assign on the ticket: who it can go to (its team's members who work tickets). */
  assignees: { method: 'GET', url: '/api/tickets/:id/assignees', params: IdParams, response: Assignees },
  /** tickets.assign: the assignee must be active, in the ticket's team, and hold tickets.write. */
  assign: { method: 'POST', url: '/api/tickets/:id/assignment', params: IdParams, body: AssignmentBody, response: Ok },
  status: { method: 'POST', url: '/api/tickets/:id/status', params: IdParams, body: StatusBody, response: Ok },
  /** Raw body; call with `raw` (a Blob typed application/octet-stream). 413 over the limit. */
  upload: { method: 'POST', url: '/api/tickets/:id/attachments', params: IdParams, querystring: UploadQuery, response: UploadResult, status: 201 },
  /** tickets.write: discard your own upload that no reply or note has taken yet (the composer's "Remove"). */
  discardUpload: { method: 'DELETE', url: '/api/tickets/:id/attachments/:attachmentId', params: AttachmentParams, response: Ok },
  /** The file itself (Content-Disposition: attachment); open it as a link (`ticketAttachmentUrl`), not with `call`. */
  download: { method: 'GET', url: '/api/tickets/:id/attachments/:attachmentId', params: AttachmentParams, querystring: DownloadQuery },
  /** Sanitised email HTML (text/html, its own sandboxing CSP): load it in `<iframe sandbox src>` (`messageHtmlUrl`). */
  messageHtml: { method: 'GET', url: '/api/tickets/:id/messages/:messageId/html', params: MessageParams, querystring: MessageHtmlQuery },
  /** tickets.bulk */
  bulk: { method: 'POST', url: '/api/tickets/bulk', body: BulkBody, response: Type.Object({ updated: Type.Integer() }) },
  merge: { method: 'POST', url: '/api/tickets/:id/merge', params: IdParams, body: MergeBody, response: Type.Object({ merged: Type.Integer() }) },
  split: { method: 'POST', url: '/api/tickets/:id/split', params: IdParams, body: SplitBody, response: NewTicketResult, status: 201 },
} as const satisfies Record<string, Endpoint>;

export function ticketAttachmentUrl(ticketId: string, attachmentId: string, confirm = false): string {
  return `/api/tickets/${encodeURIComponent(ticketId)}/attachments/${encodeURIComponent(attachmentId)}${confirm ? '?confirm=1' : ''}`;
}

export function messageHtmlUrl(ticketId: string, messageId: string, remote = false): string {
  return `/api/tickets/${encodeURIComponent(ticketId)}/messages/${encodeURIComponent(messageId)}/html?remote=${remote ? '1' : '0'}`;
}
