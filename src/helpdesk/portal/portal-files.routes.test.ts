import type { FastifyInstance } from 'fastify';
import { buildDocx } from '../../protection/file-scan/testing.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, type TestOrg } from '../../identity/auth/testing.js';
import type { MemoryBlobStore } from '../../protection/blobs/store.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { storeAttachments } from '../ingest/attachments.js';
import { scanSensitiveData } from '../ingest/scan.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { insertMessage } from '../tickets/records.js';
import { contentDisposition } from '../../platform/http/download.js';
import { buildCustomerWithTicket, buildPortalApp, nextIp, portalSignIn, type PortalSignedIn } from './testing.js';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('not really an image, but sniffed as one')]);

describe('contentDisposition', () => {
  it('never lets quotes, slashes or line breaks into the header, and keeps the UTF-8 name', () => {
    const h = contentDisposition('evil"\r\nSet-Cookie: x=1/..\\a.txt');
    expect(h).not.toMatch(/[\r\n]/);
    expect(h.startsWith('attachment; filename="')).toBe(true);
    expect(h.split('"')).toHaveLength(3);
    expect(contentDisposition('Résumé.pdf')).toBe(`attachment; filename="R_sum_.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf`);
    expect(contentDisposition(null)).toContain('filename="attachment"');
  });
});

describe.each(testDatabaseKinds)('portal files and organisation on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let blobs: MemoryBlobStore;
  let org: TestOrg;
  let mine: Awaited<ReturnType<typeof buildCustomerWithTicket>>;
  let theirs: Awaited<ReturnType<typeof buildCustomerWithTicket>>;
  let me: PortalSignedIn;
  let them: PortalSignedIn;

  const upload = (s: PortalSignedIn, ticketId: string, filename: string, body: Buffer, extra: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: `/api/portal/tickets/${ticketId}/attachments?filename=${encodeURIComponent(filename)}`, headers: { ...s.headers, 'content-type': 'application/octet-stream', ...extra }, payload: body });
  const download = (s: PortalSignedIn | null, ticketId: string, attachmentId: string, query = '') =>
    app.inject({ method: 'GET', url: `/api/portal/tickets/${ticketId}/attachments/${attachmentId}${query}`, headers: s ? { cookie: s.headers.cookie } : {} });

  beforeAll(async () => {
    services = await createTestServices(kind);
    ({ app, blobs } = await buildPortalApp(services, { policy: { maxUploadBytes: 32 * 1024 } }));
    org = await buildOrg(services);
    const team = await buildTeam(services, org);
    mine = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'files@customer.example', teamId: team, subject: 'Photos' });
    theirs = await buildCustomerWithTicket(services, { orgId: org.orgId, email: 'files-other@customer.example', teamId: team, subject: 'Not yours' });
    me = await portalSignIn(app, { orgId: org.orgId, email: 'files@customer.example' });
    them = await portalSignIn(app, { orgId: org.orgId, email: 'files-other@customer.example' });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('names the only organisation, or the one asked for; with several and none named, none', async () => {
    const only = await app.inject({ method: 'GET', url: '/api/portal/organization', remoteAddress: nextIp() });
    expect(only.statusCode).toBe(200);
    expect(only.json()).toEqual({ id: org.orgId, name: expect.any(String) });
    const other = await buildOrg(services);
    expect((await app.inject({ method: 'GET', url: '/api/portal/organization', remoteAddress: nextIp() })).statusCode).toBe(404);
    const named = await app.inject({ method: 'GET', url: `/api/portal/organization?organizationId=${other.orgId}`, remoteAddress: nextIp() });
    expect(named.json().id).toBe(other.orgId);
    expect((await app.inject({ method: 'GET', url: '/api/portal/organization?organizationId=00000000-0000-4000-8000-000000000000', remoteAddress: nextIp() })).statusCode).toBe(404);
  });

  it('refuses a document holding a card number with a clear problem, and keeps nothing of it', { timeout: 60_000 }, async () => {
    const before = await services.database.db.selectFrom('attachments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const res = await upload(me, mine.ticketId, 'form.docx', buildDocx('Card number 4297 2559 4628 5297'));
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toMatch(/never stored/);
    const after = await services.database.db.selectFrom('attachments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    // On someone else's request the file is never read: not found, whatever it holds.
    expect((await upload(me, theirs.ticketId, 'form.docx', buildDocx('Card number 4297 2559 4628 5297'))).statusCode).toBe(404);
  });

  it('me gives the organisation name and the upload limit', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/portal/me', headers: me.headers });
    expect(res.json()).toMatchObject({ customerId: mine.customerId, organizationId: org.orgId, maxUploadBytes: 32 * 1024 });
    expect(res.json().organizationName.length).toBeGreaterThan(0);
  });

  it('downloads a file of my own ticket as an attachment, unsniffable, and audits it', async () => {
    const up = await upload(me, mine.ticketId, 'holiday photo.png', PNG, {});
    expect(up.statusCode).toBe(201);
    const { attachmentId } = up.json();
    const read = await app.inject({ method: 'GET', url: `/api/portal/tickets/${mine.ticketId}`, headers: me.headers });
    const listed = read.json().messages.flatMap((m: { attachments: Array<{ id: string; dangerous: boolean }> }) => m.attachments);
    expect(listed).toContainEqual(expect.objectContaining({ id: attachmentId, dangerous: false, type: 'image/png' }));

    const res = await download(me, mine.ticketId, attachmentId);
    expect(res.statusCode).toBe(200);
    expect(Buffer.from(res.rawPayload).equals(PNG)).toBe(true);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="holiday photo.png"; filename*=UTF-8''holiday%20photo.png`);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toContain('no-store');
    const audit = await services.database.db.selectFrom('audit_log').where('action', '=', 'portal.attachment.download').where('object_id', '=', attachmentId).select(['actor_type', 'result']).execute();
    expect(audit).toEqual([{ actor_type: 'customer', result: 'success' }]);
    // The stored blob is sealed: the file's bytes are not in the store.
    for (const blob of blobs.blobs.values()) expect(Buffer.from(blob).includes(Buffer.from('not really an image'))).toBe(false);
  });

  it('another customer, another ticket or no session: not found or unauthenticated', async () => {
    const { attachmentId } = (await upload(me, mine.ticketId, 'private.png', PNG)).json();
    expect((await download(them, mine.ticketId, attachmentId)).statusCode).toBe(404);
    // Their own ticket id with my file: the file is not on that ticket.
    expect((await download(them, theirs.ticketId, attachmentId)).statusCode).toBe(404);
    expect((await download(null, mine.ticketId, attachmentId)).statusCode).toBe(401);
    expect((await download(me, mine.ticketId, '00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/api/portal/tickets/${mine.ticketId}/attachments/not-a-uuid`, headers: { cookie: me.headers.cookie } })).statusCode).toBe(400);
  });

  it('a file on an internal note is never handed out, even on my own ticket', async () => {
    const deps = await createHelpdeskDeps(services);
    const noteFile = await services.database.db.transaction().execute(async (trx) => {
      const note = await insertMessage(trx, deps, { orgId: org.orgId, ticketId: mine.ticketId, kind: 'internal_note', authorType: 'user', customerId: mine.customerId, body: 'internal screenshot' });
      await storeAttachments(trx, deps, { blobs, orgId: org.orgId, messageId: note.id, customerId: mine.customerId, attachments: [{ filename: 'internal.png', contentType: 'image/png', size: PNG.length, content: PNG }], maxBytes: 1 << 20, scan: scanSensitiveData, redactions: [] });
      return trx.selectFrom('attachments').where('message_id', '=', note.id).select('id').executeTakeFirstOrThrow();
    });
    expect((await download(me, mine.ticketId, noteFile.id)).statusCode).toBe(404);
    const read = await app.inject({ method: 'GET', url: `/api/portal/tickets/${mine.ticketId}`, headers: me.headers });
    expect(read.body).not.toContain(noteFile.id);
  });

  it('a dangerous file needs confirmation; the refusal and the download are audited', async () => {
    const up = await upload(me, mine.ticketId, 'invoice.pdf.exe', Buffer.concat([Buffer.from('MZ'), Buffer.alloc(300)]), {});
    expect(up.json()).toMatchObject({ dangerous: true });
    const id = up.json().attachmentId as string;
    const refused = await download(me, mine.ticketId, id);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'conflict', dangerous: true });
    const ok = await download(me, mine.ticketId, id, '?confirm=1');
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-disposition']).toContain('invoice.pdf.exe');
    const audit = await services.database.db.selectFrom('audit_log').where('action', '=', 'portal.attachment.download').where('object_id', '=', id).select('result').execute();
    expect(audit.map((a) => a.result).sort()).toEqual(['denied', 'success']);
  });

  it('the browser’s declared type rides in the query and is recorded', async () => {
    const up = await upload(me, mine.ticketId, 'photo.jpg', PNG, {});
    const declared = await app.inject({ method: 'POST', url: `/api/portal/tickets/${mine.ticketId}/attachments?filename=photo2.png&type=${encodeURIComponent('image/png')}`, headers: { ...me.headers, 'content-type': 'application/octet-stream' }, payload: PNG });
    expect(declared.statusCode).toBe(201);
    expect(declared.json().dangerous).toBe(false);
    expect(up.statusCode).toBe(201);
    const row = await services.database.db.selectFrom('attachments').where('id', '=', declared.json().attachmentId).select('declared_type').executeTakeFirstOrThrow();
    expect(row.declared_type).toBe('image/png');
  });

  it('uploads need the portal CSRF header, the octet-stream type and a size within the limit', async () => {
    const noCsrf = await app.inject({ method: 'POST', url: `/api/portal/tickets/${mine.ticketId}/attachments?filename=a.png`, headers: { cookie: me.headers.cookie, 'content-type': 'application/octet-stream' }, payload: PNG });
    expect(noCsrf.statusCode).toBe(403);
    const staffHeader = await app.inject({ method: 'POST', url: `/api/portal/tickets/${mine.ticketId}/attachments?filename=a.png`, headers: { cookie: me.headers.cookie, 'x-csrf-token': me.headers['x-portal-csrf'], 'content-type': 'application/octet-stream' }, payload: PNG });
    expect(staffHeader.statusCode).toBe(403);
    const big = await upload(me, mine.ticketId, 'big.bin', Buffer.alloc(32 * 1024 + 1));
    expect(big.statusCode).toBe(413);
    const wrongType = await app.inject({ method: 'POST', url: `/api/portal/tickets/${mine.ticketId}/attachments?filename=a.png`, headers: { ...me.headers, 'content-type': 'image/png' }, payload: PNG });
    expect(wrongType.statusCode).toBe(415);
    const others = await upload(me, theirs.ticketId, 'a.png', PNG);
    expect(others.statusCode).toBe(404);
  });

  it('a reply and its files are one message: files join the customer’s own message of the last minutes, nobody else’s, up to the limit', async () => {
    const reply = await app.inject({ method: 'POST', url: `/api/portal/tickets/${mine.ticketId}/replies`, headers: me.headers, payload: { body: 'Both photos attached. My card is 4111 1111 1111 1111.' } });
    expect(reply.statusCode).toBe(201);
    const messageId = reply.json().messageId as string;
    const first = await upload(me, mine.ticketId, 'front.png', PNG, {});
    expect(first.statusCode).toBe(201);
    const joinUrl = (name: string, id: string) => `/api/portal/tickets/${mine.ticketId}/attachments?filename=${name}&messageId=${id}`;
    const join = (id: string, name = 'back.txt', body: Buffer = Buffer.from('Card on the back: 5500 0000 0000 0004\n'), who = me) =>
      app.inject({ method: 'POST', url: joinUrl(name, id), remoteAddress: nextIp(), headers: { ...who.headers, 'content-type': 'application/octet-stream' }, payload: body });
    const a = await join(messageId, 'a.png', PNG);
    const b = await join(messageId);
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(a.json().messageId).toBe(messageId);
    expect(b.json().messageId).toBe(messageId);
    expect(a.json().attachmentId).not.toBe(b.json().attachmentId);
    const read = (await app.inject({ method: 'GET', url: `/api/portal/tickets/${mine.ticketId}`, headers: { cookie: me.headers.cookie } })).json();
    const msg = read.messages.find((m: { id: string }) => m.id === messageId);
    expect(msg.attachments.map((x: { filename: string }) => x.filename).sort()).toEqual(['a.png', 'back.txt']);
    // The text's redaction and the file's are both recorded on the message.
    const row = await services.database.db.selectFrom('messages').where('id', '=', messageId).select('redactions').executeTakeFirstOrThrow();
    expect(row.redactions.map((r) => r.field).sort()).toEqual(['attachment', 'body'].sort());

    // Not another customer's message, not staff's, not an old one, not past the limit.
    const otherReply = await app.inject({ method: 'POST', url: `/api/portal/tickets/${theirs.ticketId}/replies`, headers: them.headers, payload: { body: 'mine' } });
    expect((await join(otherReply.json().messageId)).statusCode).toBe(404);
    const deps = await createHelpdeskDeps(services);
    const staff = await deps.db.transaction().execute((trx) => insertMessage(trx, deps, { orgId: org.orgId, ticketId: mine.ticketId, kind: 'public_reply', authorType: 'user', customerId: mine.customerId, body: 'Thanks!' }));
    expect((await join(staff.id)).statusCode).toBe(404);
    await services.database.db.updateTable('messages').set({ created_at: new Date(Date.now() - 16 * 60_000) }).where('id', '=', first.json().messageId).execute();
    expect((await join(first.json().messageId)).statusCode).toBe(404);
    for (let i = 0; i < 8; i++) expect((await join(messageId, `more-${i}.png`, PNG)).statusCode).toBe(201);
    const eleventh = await join(messageId, 'one-too-many.png', PNG);
    expect(eleventh.statusCode).toBe(409);
    expect(eleventh.headers['content-type']).toContain('application/problem+json');
  });
});
