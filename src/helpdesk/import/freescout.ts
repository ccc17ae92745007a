/**
 * FreeScout exports (decision 0161), in the shapes of FreeScout's API (API & Webhooks module, modelled on
 * Help Scout's Mailbox API 2.0). The folder holds:
 *   users.json          staff: `{"_embedded": {"users": […]}}` (GET /api/users) or NDJSON
 *   customers.json      optional: `{"_embedded": {"customers": […]}}` (GET /api/customers) or NDJSON;
 *                       emails in `_embedded.emails[].value` or `email`
 *   mailboxes.json      optional: `{"_embedded": {"mailboxes": […]}}`; a conversation's mailbox is matched by address
 *   conversations.json  `{"_embedded": {"conversations": […]}}` (GET /api/conversations?embed=threads) or NDJSON,
 *                       each with `_embedded.threads` (type customer / message / note; others are status lines
 *                       and are left out) and each thread's `_embedded.attachments` (id, fileName, mimeType, size)
 *   attachments/<attachment id>/<fileName>   the bytes (fileUrl needs the network), or base64 in `data`
 */
import type { TicketChannel, TicketStatus } from '../tickets/schema.js';
import { exportFile, readSideFile, requireExportFile } from './files.js';
import type { StreamLimits } from './json-stream.js';
import {
  array,
  chronological,
  externalId,
  isRecord,
  optionalDate,
  optionalEmail,
  optionalSize,
  optionalStr,
  record,
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

const STATUS: Record<string, TicketStatus> = { active: 'open', pending: 'pending', closed: 'closed' };
const CHANNEL: Record<string, TicketChannel> = { email: 'email', phone: 'phone', chat: 'web' };

function fullName(r: Rec, field: string): string {
  return [optionalStr(r.firstName, `${field}.firstName`, 100), optionalStr(r.lastName, `${field}.lastName`, 100)].filter(Boolean).join(' ');
}

function customerEmail(r: Rec, field: string): string | null {
  const direct = optionalEmail(r.email, `${field}.email`);
  if (direct) return direct;
  const emails = isRecord(r._embedded) ? array(r._embedded.emails, `${field}._embedded.emails`, 100) : [];
  for (const [i, e] of emails.entries()) {
    const v = optionalEmail(record(e, `${field}._embedded.emails[${i}]`).value, `${field}._embedded.emails[${i}].value`);
    if (v) return v;
  }
  return null;
}

export async function openFreeScoutExport(dir: string, problem: (m: string) => void, limits?: StreamLimits): Promise<ExportSource> {
  const conversationsFile = requireExportFile(dir, 'conversations', 'FreeScout conversations');
  const users = await readSideFile(
    exportFile(dir, 'users'),
    ['_embedded', 'users'],
    (r): [string, SourcePerson] => {
      const id = externalId(r.id, 'id');
      return [id, { externalId: id, name: fullName(r, 'user'), email: optionalEmail(r.email, 'email'), staff: true, organization: null }];
    },
    problem,
    limits,
  );
  const customers = await readSideFile(
    exportFile(dir, 'customers'),
    ['_embedded', 'customers'],
    (r): [string, SourcePerson] => {
      const id = externalId(r.id, 'id');
      return [id, { externalId: id, name: fullName(r, 'customer'), email: customerEmail(r, 'customer'), staff: false, organization: optionalStr(r.company, 'company', 200) }];
    },
    problem,
    limits,
  );
  const mailboxes = await readSideFile(exportFile(dir, 'mailboxes'), ['_embedded', 'mailboxes'], (r) => [externalId(r.id, 'id'), optionalEmail(r.email, 'email')], problem, limits);
  /** A person embedded in a conversation or thread (`createdBy`, `customer`, `assignee`), completed from the side files. */
  const person = (v: unknown, field: string, kind: 'user' | 'customer' | null): SourcePerson | null => {
    if (v === null || v === undefined) return null;
    const r = record(v, field);
    const id = externalId(r.id, `${field}.id`);
    const type = kind ?? (optionalStr(r.type, `${field}.type`, 40) === 'user' ? 'user' : 'customer');
    const known = (type === 'user' ? users : customers).get(id);
    const name = fullName(r, field) || known?.name || '';
    return { externalId: `${type === 'user' ? 'u' : 'c'}${id}`, name, email: customerEmail(r, field) ?? known?.email ?? null, staff: type === 'user', organization: known?.organization ?? null };
  };
  return recordExport('freescout', dir, conversationsFile, ['_embedded', 'conversations'], limits, (index, value) => conversation(index, value, person, mailboxes));
}

type PersonOf = (v: unknown, field: string, kind: 'user' | 'customer' | null) => SourcePerson | null;

function conversation(index: number, r: Rec, person: PersonOf, mailboxes: Map<string, string | null>): TicketItem {
  const id = externalId(r.id, 'id');
  const status = optionalStr(r.status, 'status', 40) ?? 'active';
  const state = optionalStr(r.state, 'state', 40) ?? 'published';
  if (status === 'spam') return { ok: true, index, skip: 'marked as spam in FreeScout', externalId: id };
  if (state === 'deleted' || state === 'draft') return { ok: true, index, skip: `${state} in FreeScout`, externalId: id };
  const embedded = isRecord(r._embedded) ? r._embedded : {};
  const threads = array(embedded.threads, '_embedded.threads', 5000);
  const comments: SourceComment[] = [];
  for (const [i, t] of threads.entries()) {
    const field = `_embedded.threads[${i}]`;
    const th = record(t, field);
    const type = optionalStr(th.type, `${field}.type`, 40) ?? 'message';
    if (!['customer', 'message', 'note', 'chat', 'phone'].includes(type)) continue;
    if ((optionalStr(th.state, `${field}.state`, 40) ?? 'published') !== 'published') continue;
    const fromCustomer = type === 'customer' || type === 'chat';
    const author = person(th.createdBy, `${field}.createdBy`, null) ?? (fromCustomer ? person(th.customer, `${field}.customer`, 'customer') : null);
    const files = isRecord(th._embedded) ? array(th._embedded.attachments, `${field}._embedded.attachments`, 500) : [];
    comments.push({
      externalId: externalId(th.id, `${field}.id`),
      author,
      public: type !== 'note',
      text: null,
      html: optionalStr(th.body, `${field}.body`) ?? '',
      createdAt: optionalDate(th.createdAt, `${field}.createdAt`),
      attachments: files.map((a, j) => attachment(record(a, `${field}._embedded.attachments[${j}]`), `${field}._embedded.attachments[${j}]`)),
    });
  }
  const mailboxId = r.mailboxId === undefined || r.mailboxId === null ? null : externalId(r.mailboxId, 'mailboxId');
  const number = r.number === undefined || r.number === null ? id : externalId(r.number, 'number');
  return {
    ok: true,
    index,
    ticket: {
      externalId: id,
      number,
      subject: optionalStr(r.subject, 'subject', 2000) ?? '',
      status: STATUS[status] ?? 'open',
      priority: 'normal',
      channel: CHANNEL[optionalStr(r.type, 'type', 40) ?? 'email'] ?? 'email',
      createdAt: optionalDate(r.createdAt, 'createdAt'),
      updatedAt: optionalDate(r.updatedAt ?? r.userUpdatedAt, 'updatedAt'),
      requester: person(r.customer ?? r.primaryCustomer, 'customer', 'customer'),
      assignee: person(r.assignee, 'assignee', 'user'),
      mailboxAddress: mailboxId ? (mailboxes.get(mailboxId) ?? null) : null,
      tags: tagList(r.tags, 'tags'),
      comments: chronological(comments),
    },
  };
}

function attachment(a: Rec, field: string): SourceAttachment {
  return {
    externalId: externalId(a.id, `${field}.id`),
    fileName: str(a.fileName ?? a.filename, `${field}.fileName`, 1000),
    contentType: optionalStr(a.mimeType, `${field}.mimeType`, 200) ?? 'application/octet-stream',
    size: optionalSize(a.size, `${field}.size`),
    base64: optionalStr(a.data, `${field}.data`, 200 * 1024 * 1024),
  };
}
