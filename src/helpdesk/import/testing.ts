/**
 * Test generators: small Zendesk and FreeScout export folders written on the
 * fly (no committed fixtures), each with a card number inside a comment, an
 * internal note holding hostile HTML, a text file and a PDF holding a card,
 * a customer who already exists and a staff member who does.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildPdf } from '../../protection/file-scan/testing.js';

export const CARD = '4297 2559 4628 5297';
export const CARD_DIGITS = CARD.replace(/\D/g, '');
export const EXISTING_EMAIL = 'maria.lindqvist@customer.example';
export const STAFF_EMAIL = 'anna.berg@support.example';
export const MAILBOX = 'help@moving-in.example';

function write(file: string, data: string | Buffer): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
}

const ndjson = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/**
 * Zendesk: users and tickets as NDJSON (the JSON data export), organisations as
 * an API page, one ticket's comments in comments/<id>.json, one attachment as
 * a file under attachments/<id>/ and one as base64 in `data`.
 */
export function writeZendeskExport(dir: string, options: { extraTickets?: number } = {}): void {
  write(path.join(dir, 'organizations.json'), JSON.stringify({ organizations: [{ id: 501, name: 'Lindqvist Bakery AB' }], next_page: null, count: 1 }));
  write(
    path.join(dir, 'users.json'),
    ndjson([
      { id: 101, name: 'Maria Lindqvist', email: EXISTING_EMAIL, role: 'end-user', organization_id: 501 },
      { id: 102, name: 'Bertil Okonkwo', email: 'bertil.okonkwo@newcustomer.example', role: 'end-user', organization_id: null },
      { id: 103, name: 'Phone Only Person', email: null, role: 'end-user' },
      { id: 201, name: 'Anna Berg', email: STAFF_EMAIL, role: 'agent' },
      { id: 202, name: 'Zed Former', email: 'zed@old-helpdesk.example', role: 'admin' },
    ]),
  );
  const t1 = {
    id: 1001,
    subject: 'Charged twice for my order',
    status: 'solved',
    priority: 'high',
    via: { channel: 'email' },
    requester_id: 101,
    assignee_id: 201,
    tags: ['billing', 'refund'],
    created_at: '2024-03-01T09:00:00Z',
    updated_at: '2024-03-02T10:00:00Z',
    comments: [
      {
        id: 5001,
        author_id: 101,
        public: true,
        plain_body: `Hello, my card ${CARD} was charged twice for order 7781.`,
        html_body: `<p>Hello, my card ${CARD} was charged twice</p>`,
        created_at: '2024-03-01T09:00:00Z',
        attachments: [{ id: 9001, file_name: 'receipt.txt', content_type: 'text/plain', size: 40 }],
      },
      { id: 5002, author_id: 201, public: true, plain_body: 'Sorry about that, the refund is on its way.', created_at: '2024-03-01T11:00:00Z', attachments: [] },
      {
        id: 5003,
        author_id: 202,
        public: false,
        html_body: '<p>Refund approved <script>alert("x")</script><img src=x onerror="alert(1)"><b>by finance</b></p>',
        created_at: '2024-03-01T10:00:00Z',
        attachments: [{ id: 9002, file_name: 'statement.pdf', content_type: 'application/pdf', data: buildPdf(['Statement', `Card ${CARD}`]).toString('base64') }],
      },
    ],
  };
  const t2 = { id: 1002, subject: 'Where is my parcel?', status: 'open', priority: null, via: { channel: 'web' }, requester_id: 102, assignee_id: null, tags: [], created_at: '2024-04-01T08:00:00Z', updated_at: '2024-04-01T08:00:00Z' };
  const t3 = { id: 1003, subject: 'Spam', status: 'deleted', requester_id: 102, comments: [] };
  const t4 = { id: 1004, subject: 'Call me back', status: 'pending', requester_id: 103, comments: [{ id: 5010, author_id: 103, public: true, plain_body: 'Please call me.', created_at: '2024-05-01T08:00:00Z' }] };
  const extra = Array.from({ length: options.extraTickets ?? 0 }, (_, i) => ({
    id: 20_000 + i,
    subject: `Question ${i}`,
    status: 'closed',
    requester_id: 102,
    created_at: '2024-06-01T08:00:00Z',
    comments: [{ id: 100_000 + i, author_id: 102, public: true, plain_body: `Question number ${i}` }],
  }));
  write(path.join(dir, 'tickets.json'), ndjson([t1, t2, t3, t4, ...extra]));
  write(
    path.join(dir, 'comments', '1002.json'),
    JSON.stringify({ comments: [{ id: 5004, type: 'Comment', author_id: 102, public: true, body: 'Tracking says delivered, but nothing here.', created_at: '2024-04-01T08:00:00Z', attachments: [] }], next_page: null }),
  );
  write(path.join(dir, 'attachments', '9001', 'receipt.txt'), `Paid with ${CARD} on 1 March.\n`);
}

/**
 * FreeScout: API pages (`_embedded`), threads newest first as the API gives
 * them, a status line thread, a spam conversation and attachments as files.
 */
export function writeFreeScoutExport(dir: string): void {
  write(path.join(dir, 'users.json'), JSON.stringify({ _embedded: { users: [{ id: 1, firstName: 'Anna', lastName: 'Berg', email: STAFF_EMAIL, role: 'admin' }, { id: 2, firstName: 'Olle', lastName: 'Gone', email: 'olle@old.example', role: 'user' }] }, page: { size: 50, totalElements: 2 } }));
  write(
    path.join(dir, 'customers.json'),
    JSON.stringify({
      _embedded: {
        customers: [
          { id: 11, firstName: 'Maria', lastName: 'Lindqvist', company: 'Lindqvist Bakery AB', _embedded: { emails: [{ id: 1, value: EXISTING_EMAIL.toUpperCase(), type: 'work' }] } },
          { id: 12, firstName: 'Chidi', lastName: 'Eze', _embedded: { emails: [{ id: 2, value: 'chidi.eze@elsewhere.example', type: 'home' }] } },
        ],
      },
    }),
  );
  write(path.join(dir, 'mailboxes.json'), JSON.stringify({ _embedded: { mailboxes: [{ id: 1, name: 'Help', email: MAILBOX }] } }));
  const conversations = [
    {
      id: 301,
      number: 57,
      type: 'email',
      status: 'closed',
      state: 'published',
      subject: 'Card problem',
      mailboxId: 1,
      assignee: { id: 1, firstName: 'Anna', lastName: 'Berg', email: STAFF_EMAIL },
      customer: { id: 11, firstName: 'Maria', lastName: 'Lindqvist', email: EXISTING_EMAIL },
      createdAt: '2023-11-01T12:00:00Z',
      updatedAt: '2023-11-03T12:00:00Z',
      tags: [{ id: 1, name: 'payments' }],
      _embedded: {
        threads: [
          { id: 704, type: 'lineitem', state: 'published', body: null, createdBy: { id: 1, type: 'user' }, createdAt: '2023-11-03T12:00:00Z' },
          { id: 703, type: 'note', state: 'published', body: '<div>Checked with <a href="javascript:alert(1)">bank</a><style>p{}</style></div>', createdBy: { id: 2, type: 'user', firstName: 'Olle', lastName: 'Gone', email: 'olle@old.example' }, createdAt: '2023-11-02T12:00:00Z' },
          { id: 702, type: 'message', state: 'published', body: '<p>We are looking into it.</p>', createdBy: { id: 1, type: 'user', email: STAFF_EMAIL }, createdAt: '2023-11-01T13:00:00Z', _embedded: { attachments: [] } },
          {
            id: 701,
            type: 'customer',
            state: 'published',
            body: `<p>My card&nbsp;${CARD.replace(/ /g, '-')} was declined.</p>`,
            createdBy: { id: 11, type: 'customer', email: EXISTING_EMAIL },
            createdAt: '2023-11-01T12:00:00Z',
            _embedded: { attachments: [{ id: 801, fileName: 'screenshot.png', mimeType: 'image/png', size: 10 }, { id: 802, fileName: 'card.pdf', mimeType: 'application/pdf', size: 100 }] },
          },
        ],
      },
    },
    {
      id: 302,
      number: 58,
      type: 'chat',
      status: 'active',
      subject: 'Opening hours',
      customer: { id: 12, firstName: 'Chidi', lastName: 'Eze', email: 'chidi.eze@elsewhere.example' },
      createdAt: '2023-12-01T12:00:00Z',
      _embedded: { threads: [{ id: 711, type: 'customer', body: 'When are you open?', createdBy: { id: 12, type: 'customer' }, createdAt: '2023-12-01T12:00:00Z' }] },
    },
    { id: 303, number: 59, status: 'spam', subject: 'WIN NOW', customer: { id: 12 }, _embedded: { threads: [] } },
  ];
  write(path.join(dir, 'conversations.json'), JSON.stringify({ _embedded: { conversations }, page: { size: 50, totalElements: 3, totalPages: 1, number: 1 } }));
  write(path.join(dir, 'attachments', '801', 'screenshot.png'), Buffer.from('89504e470d0a1a0a0000', 'hex'));
  write(path.join(dir, 'attachments', '802', 'card.pdf'), buildPdf(['Card', CARD]));
}
