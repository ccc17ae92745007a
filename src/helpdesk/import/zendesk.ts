/**
 * Zendesk exports (decision 0161). The folder holds:
 *   users.json          users (end-users, agents, admins): NDJSON as Zendesk's JSON data export writes it,
 *                       or saved API pages (`{"users": […]}`, GET /api/v2/users or the incremental user export)
 *   organizations.json  optional: `{"organizations": […]}` or NDJSON; a user's organisation name
 *   tickets.json        tickets: NDJSON (the data export, comments inline) or `{"tickets": […]}` (the incremental
 *                       ticket export), each ticket with its `comments`, or with comments/<ticket id>.json beside it
 *                       (a saved GET /api/v2/tickets/{id}/comments page: `{"comments": […]}`)
 *   attachments/<attachment id>/<file_name>   the bytes of each comment attachment (content_url needs the network)
 * Comments use Zendesk's fields: id, author_id, public, plain_body / body / html_body, created_at, attachments
 * (id, file_name, content_type, size). A comment attachment may also carry its bytes as base64 in `data`.
 */
import path from 'node:path';
import type { TicketChannel, TicketPriority, TicketStatus } from '../tickets/schema.js';
import { exportFile, readSideFile, requireExportFile } from './files.js';
import { readRecords, type StreamLimits } from './json-stream.js';
import {
  array,
  bool,
  chronological,
  externalId,
  isRecord,
  optionalDate,
  optionalEmail,
  optionalId,
  optionalSize,
  optionalStr,
  record,
  RecordError,
  recordExport,
  str,
  tagList,
  type ExportSource,
  type Rec,
  type SourceAttachment,
  type SourceComment,
  type SourcePerson,
  type TicketItem,
} from './model.js';

const STATUS: Record<string, TicketStatus> = { new: 'new', open: 'open', pending: 'pending', hold: 'on_hold', solved: 'solved', closed: 'closed' };
const PRIORITY: Record<string, TicketPriority> = { low: 'low', normal: 'normal', high: 'high', urgent: 'urgent' };
const CHANNEL: Record<string, TicketChannel> = { email: 'email', web: 'web', api: 'api', voice: 'phone', phone: 'phone', mobile: 'web', web_widget: 'web', chat: 'web' };

export async function openZendeskExport(dir: string, problem: (m: string) => void, limits?: StreamLimits): Promise<ExportSource> {
  const ticketsFile = requireExportFile(dir, 'tickets', 'Zendesk tickets');
  const usersFile = requireExportFile(dir, 'users', 'Zendesk users');
  const orgs = await readSideFile(exportFile(dir, 'organizations'), ['organizations'], (r) => [externalId(r.id, 'id'), optionalStr(r.name, 'name', 200) ?? ''], problem, limits);
  const people = await readSideFile(
    usersFile,
    ['users'],
    (r): [string, SourcePerson] => {
      const id = externalId(r.id, 'id');
      const role = optionalStr(r.role, 'role', 40) ?? 'end-user';
      const orgId = optionalId(r.organization_id, 'organization_id');
      return [id, { externalId: id, name: optionalStr(r.name, 'name', 200) ?? '', email: optionalEmail(r.email, 'email'), staff: role === 'agent' || role === 'admin', organization: orgId ? (orgs.get(orgId) ?? null) : null }];
    },
    problem,
    limits,
  );
  const person = (id: string | null): SourcePerson | null => (id ? (people.get(id) ?? { externalId: id, name: '', email: null, staff: false, organization: null }) : null);
  return recordExport('zendesk', dir, ticketsFile, ['tickets'], limits, (index, value) => zendeskTicket(dir, index, value, person, limits));
}

async function zendeskTicket(dir: string, index: number, r: Rec, person: (id: string | null) => SourcePerson | null, limits?: StreamLimits): Promise<TicketItem> {
  const id = externalId(r.id, 'id');
  const status = optionalStr(r.status, 'status', 40) ?? 'open';
  if (status === 'deleted') return { ok: true, index, skip: 'deleted in Zendesk', externalId: id };
  let rawComments = r.comments;
  if (rawComments === undefined) rawComments = await commentsFile(dir, id, limits);
  const comments = chronological(array(rawComments, 'comments', 5000).map((c, i) => zendeskComment(record(c, `comments[${i}]`), `comments[${i}]`, person)));
  const via = isRecord(r.via) ? optionalStr(r.via.channel, 'via.channel', 40) : null;
  return {
    ok: true,
    index,
    ticket: {
      externalId: id,
      number: id,
      subject: optionalStr(r.subject, 'subject', 2000) ?? optionalStr(r.raw_subject, 'raw_subject', 2000) ?? '',
      status: STATUS[status] ?? 'open',
      priority: PRIORITY[optionalStr(r.priority, 'priority', 40) ?? 'normal'] ?? 'normal',
      channel: (via && CHANNEL[via]) || 'email',
      createdAt: optionalDate(r.created_at, 'created_at'),
      updatedAt: optionalDate(r.updated_at, 'updated_at'),
      requester: person(optionalId(r.requester_id, 'requester_id')),
      assignee: person(optionalId(r.assignee_id, 'assignee_id')),
      mailboxAddress: optionalEmail(r.recipient, 'recipient'),
      tags: tagList(r.tags, 'tags'),
      comments,
    },
  };
}

/** comments/<ticket id>.json, a saved comments page; absent means the ticket has none in the export. */
async function commentsFile(dir: string, ticketId: string, limits?: StreamLimits): Promise<unknown[]> {
  const file = exportFile(path.join(dir, 'comments'), ticketId);
  if (!file) return [];
  const out: unknown[] = [];
  for await (const item of readRecords(file, ['comments'], limits)) {
    if (!item.ok) throw new RecordError(`comments/${path.basename(file)}, comment ${item.index + 1} ${item.error}`);
    out.push(item.value);
  }
  return out;
}

function zendeskComment(c: Rec, field: string, person: (id: string | null) => SourcePerson | null): SourceComment {
  const plain = optionalStr(c.plain_body, `${field}.plain_body`) ?? optionalStr(c.body, `${field}.body`);
  return {
    externalId: externalId(c.id, `${field}.id`),
    author: person(optionalId(c.author_id, `${field}.author_id`)),
    public: bool(c.public, `${field}.public`, true),
    text: plain,
    html: plain === null ? optionalStr(c.html_body, `${field}.html_body`) : null,
    createdAt: optionalDate(c.created_at, `${field}.created_at`),
    attachments: array(c.attachments, `${field}.attachments`, 500).map((a, i) => zendeskAttachment(record(a, `${field}.attachments[${i}]`), `${field}.attachments[${i}]`)),
  };
}

function zendeskAttachment(a: Rec, field: string): SourceAttachment {
  return {
    externalId: externalId(a.id, `${field}.id`),
    fileName: str(a.file_name, `${field}.file_name`, 1000),
    contentType: optionalStr(a.content_type, `${field}.content_type`, 200) ?? 'application/octet-stream',
    size: optionalSize(a.size, `${field}.size`),
    base64: optionalStr(a.data, `${field}.data`, 200 * 1024 * 1024),
  };
}
