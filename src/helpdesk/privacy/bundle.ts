/**
 * Pure: the access export's bundle (decision 0205). A zip holding `data.json` (the machine-readable document,
 * format `trustdesk-access-export/v1`, described in docs/privacy.md), `index.html` (the same as a static page:
 * every value escaped, no script, a policy that forbids loading anything, so it opens offline and runs nothing)
 * and `attachments/<id>/<name>` (the files as they were received or sent).
 */
import { strToU8, zipSync, type Zippable } from 'fflate';

export const EXPORT_FORMAT = 'trustdesk-access-export/v1';

export interface ExportAttachment {
  id: string;
  filename: string | null;
  type: string;
  size: number;
  /** `stored`: the file is in the bundle at `path`; otherwise it was never kept (too large, withheld). */
  status: string;
  path: string | null;
}

export interface ExportMessage {
  id: string;
  kind: string;
  author: 'customer' | 'staff' | 'system';
  createdAt: string;
  body: string | null;
  attachments: ExportAttachment[];
}

export interface ExportTicket {
  id: string;
  number: number;
  subject: string | null;
  status: string;
  priority: string;
  channel: string;
  tags: string[];
  createdAt: string;
  updatedAt: string;
  solvedAt: string | null;
  closedAt: string | null;
  messages: ExportMessage[];
}

/** Who on the staff read or changed the customer's data, from the audit trail. */
export interface ExportStaffAccess {
  at: string;
  /** The staff member's roles; their name only when the organisation chose to disclose names. */
  roles: string[];
  name: string | null;
  action: string;
  /** The reason recorded with the access, when one was. */
  purpose: string | null;
  result: string;
}

export interface ExportCounts {
  customerRecords: number;
  tickets: number;
  messages: number;
  attachments: number;
  chats: number;
  verifications: number;
  secureMessages: number;
  staffAccesses: number;
}

export interface AccessExport {
  format: typeof EXPORT_FORMAT;
  generatedAt: string;
  expiresAt: string | null;
  organization: { id: string; name: string };
  request: { id: string; receivedAt: string; approvedAt: string };
  customer: {
    id: string;
    mergedRecordIds: string[];
    name: string | null;
    email: string | null;
    contacts: Array<{ kind: string; value: string }>;
    address: string | null;
    notes: string | null;
    customFields: Record<string, string>;
    createdAt: string;
  };
  tickets: ExportTicket[];
  chats: Array<{ id: string; ticketId: string | null; status: string; startedAt: string; endedAt: string | null }>;
  verifications: Array<{ id: string; ticketId: string; channel: string; status: string; via: string | null; requestedAt: string; decidedAt: string | null }>;
  secureMessages: Array<{ id: string; ticketId: string; messageId: string; sentAt: string; linkExpiresAt: string; firstReadAt: string | null; readCount: number }>;
  staffAccesses: ExportStaffAccess[];
  counts: ExportCounts;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (v: unknown): string => String(v ?? '').replace(/[&<>"']/g, (c) => ESC[c] as string);

/** A file name safe inside the zip: no folders, no control characters, never empty. */
export function safeName(name: string | null, fallback: string): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f"*:<>?|]/g, '_').replace(/^\.+/, '').slice(0, 150).trim();
  return clean || fallback;
}

const row = (label: string, value: unknown) => `<tr><th scope="row">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`;
const text = (v: string | null) => (v === null ? '<p class="muted">(not readable)</p>' : `<pre>${escapeHtml(v)}</pre>`);

/** The human-readable page: static, escaped, no script; attachments linked by their relative path in the zip. */
export function renderExportHtml(doc: AccessExport): string {
  const c = doc.customer;
  const tickets = doc.tickets.map((t) => {
    const messages = t.messages.map((m) => {
      const files = m.attachments.length
        ? `<ul class="files">${m.attachments.map((a) => `<li>${a.path ? `<a href="${escapeHtml(a.path)}">${escapeHtml(a.filename ?? a.id)}</a>` : escapeHtml(a.filename ?? a.id)} (${escapeHtml(a.type)}, ${escapeHtml(a.size)} bytes${a.status === 'stored' ? '' : `, ${escapeHtml(a.status)}`})</li>`).join('')}</ul>`
        : '';
      return `<article class="msg"><h4>${escapeHtml(m.author)} · ${escapeHtml(m.kind)} · <time>${escapeHtml(m.createdAt)}</time></h4>${text(m.body)}${files}</article>`;
    }).join('\n');
    return `<section class="ticket"><h3>#${escapeHtml(t.number)} ${escapeHtml(t.subject ?? '(no subject)')}</h3>
<p class="muted">${escapeHtml(t.status)} · ${escapeHtml(t.channel)} · opened ${escapeHtml(t.createdAt)}${t.closedAt ? ` · closed ${escapeHtml(t.closedAt)}` : ''}</p>
${messages}</section>`;
  }).join('\n');
  const table = (caption: string, head: string[], rows: unknown[][]) =>
    rows.length
      ? `<table><caption>${escapeHtml(caption)}</caption><thead><tr>${head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((v) => `<td>${escapeHtml(v)}</td>`).join('')}</tr>`).join('')}</tbody></table>`
      : `<p class="muted">${escapeHtml(caption)}: none.</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Your data held by ${escapeHtml(doc.organization.name)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}pre{white-space:pre-wrap;word-break:break-word;background:#f6f6f6;padding:.5rem}table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}.muted{color:#555}.ticket{border-top:2px solid #333;margin-top:2rem}.msg{margin-left:1rem}</style>
</head>
<body>
<h1>Your data held by ${escapeHtml(doc.organization.name)}</h1>
<p>Prepared ${escapeHtml(doc.generatedAt)} in answer to your request of ${escapeHtml(doc.request.receivedAt)} (reference ${escapeHtml(doc.request.id)}). The same data, for programs, is in <code>data.json</code> beside this page; files are in the <code>attachments</code> folder.</p>
<h2>Your details</h2>
<table><tbody>${row('Record', c.id)}${row('Name', c.name)}${row('Email', c.email)}${c.contacts.map((x) => row(x.kind === 'phone' ? 'Phone' : 'Other email', x.value)).join('')}${row('Postal address', c.address)}${row('Notes', c.notes)}${Object.entries(c.customFields).map(([k, v]) => row(k, v)).join('')}${row('Since', c.createdAt)}${c.mergedRecordIds.length ? row('Merged records', c.mergedRecordIds.join(', ')) : ''}</tbody></table>
<h2>Your requests and conversations (${doc.tickets.length})</h2>
${tickets || '<p class="muted">None.</p>'}
<h2>Live chats</h2>
${table('Live chats', ['Chat', 'Request', 'Status', 'Started', 'Ended'], doc.chats.map((x) => [x.id, x.ticketId ?? '', x.status, x.startedAt, x.endedAt ?? '']))}
<h2>Identity checks</h2>
${table('Identity checks', ['Check', 'Channel', 'Result', 'Where', 'Asked', 'Decided'], doc.verifications.map((v) => [v.id, v.channel, v.status, v.via ?? '', v.requestedAt, v.decidedAt ?? '']))}
<h2>Secure messages</h2>
${table('Secure messages', ['Message', 'Sent', 'Link valid until', 'First read', 'Reads'], doc.secureMessages.map((s) => [s.messageId, s.sentAt, s.linkExpiresAt, s.firstReadAt ?? '', s.readCount]))}
<h2>Who on our staff accessed your data</h2>
${table('Staff accesses', ['When', 'Who', 'What', 'Why', 'Result'], doc.staffAccesses.map((a) => [a.at, a.name ? `${a.name} (${a.roles.join(', ')})` : a.roles.join(', ') || 'staff', a.action, a.purpose ?? '', a.result]))}
</body>
</html>
`;
}

/** The zip: data.json, index.html and the attachments at the paths the document names. */
export function zipExport(doc: AccessExport, files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const entries: Zippable = {
    'data.json': [strToU8(`${JSON.stringify(doc, null, 2)}\n`), { level: 6 }],
    'index.html': [strToU8(renderExportHtml(doc)), { level: 6 }],
  };
  for (const [p, bytes] of files) entries[p] = [bytes, { level: 0 }];
  return zipSync(entries, { mtime: new Date(doc.generatedAt) });
}
