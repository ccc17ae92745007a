/**
 * Per-organisation limits (decision 0235): what counts as a seat, as storage and as an inbound message; every
 * way in refused with a clear error (problem+json `limit_reached`, SCIM's error format, SMTP 450 4.2.1 / 452 4.2.2);
 * another organisation unaffected; two additions at once never both taking the last one; a limit lowered below
 * what is used keeps what exists.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import type { MemoryBlobStore } from '../../protection/blobs/store.js';
import { createDefaultHooks } from '../../helpdesk/ingest/hooks.js';
import { createInboundSmtpServer, type InboundSmtpServer } from '../../helpdesk/mail/smtp-server.js';
import { buildPortalApp, buildCustomerWithTicket, nextIp, portalSignIn } from '../../helpdesk/portal/testing.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { seedMailbox } from '../../helpdesk/tickets/testing.js';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../auth/testing.js';
import { createScimToken } from '../scim/admin.service.js';
import { CLI_OPERATOR } from './lifecycle.js';
import { formatBytes, LimitReachedError, organizationUsage, parseCount, parseSize, setOrganizationLimits, takeInbound, type LimitChanges } from './limits.js';
import { createServiceToken } from './service-accounts.js';

describe('limit parsing', () => {
  it('reads sizes with units and counts, and refuses anything else with the reason', () => {
    expect(parseSize('5GB')).toBe(5e9);
    expect(parseSize('500 MB')).toBe(5e8);
    expect(parseSize('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('2048')).toBe(2048);
    expect(parseSize('none')).toBeNull();
    for (const bad of ['-5GB', 'five', '5 parsecs', '', '1e3']) expect(() => parseSize(bad)).toThrow(/is not a size/);
    expect(parseCount('0', '--seats')).toBe(0);
    expect(parseCount('NONE', '--seats')).toBeNull();
    for (const bad of ['-1', '2.5', 'ten', '99999999999']) expect(() => parseCount(bad, '--seats')).toThrow(/--seats must be a whole number/);
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(5e9)).toBe('5 GB');
  });
});

describe.each(testDatabaseKinds)('organisation limits on %s', (kind) => {
  let s: Services;
  let app: FastifyInstance;
  let blobs: MemoryBlobStore;
  let inbound: InboundSmtpServer;
  let port = 0;
  let a: TestOrg;
  let b: TestOrg;
  let adminA: SignedIn;
  let adminB: SignedIn;
  const addrA = `help-${randomUUID().slice(0, 6)}@limits-a.example`;
  const addrB = `help-${randomUUID().slice(0, 6)}@limits-b.example`;

  const limit = (org: TestOrg, changes: LimitChanges) => setOrganizationLimits({ db: s.database.db, audit: s.audit }, CLI_OPERATOR, org.orgId, changes);
  const invite = (admin: SignedIn, email: string) =>
    app.inject({ method: 'POST', url: '/api/users/invitations', headers: admin.headers, payload: { email, name: 'New Person', roleIds: [], teamIds: [] } });
  const send = (to: string, subject: string, attachments: Array<{ filename: string; content: Buffer }> = []) =>
    nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true }).sendMail({ from: 'Ada Customer <ada@customers.example>', to, subject, text: `About ${subject}.`, attachments });
  const messages = async (org: TestOrg) => Number((await s.database.db.selectFrom('messages').where('org_id', '=', org.orgId).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    s = await createTestServices(kind);
    ({ app, blobs } = await buildPortalApp(s));
    await app.ready();
    a = await buildOrg(s);
    b = await buildOrg(s);
    adminA = await signIn(app, a, { roles: ['administrator'] });
    adminB = await signIn(app, b, { roles: ['administrator'] });
    await seedMailbox(s.database.db, a.orgId, addrA, await buildTeam(s, a));
    await seedMailbox(s.database.db, b.orgId, addrB, await buildTeam(s, b));
    inbound = createInboundSmtpServer({ deps: await createHelpdeskDeps(s), hooks: createDefaultHooks(), blobs, maxBytes: 1024 * 1024 });
    port = await inbound.listen(0, '127.0.0.1');
  }, 120_000);
  afterAll(async () => {
    await inbound?.close();
    await app?.close();
    await s?.close();
  });

  it('seats: two invitations at once for the last seat — one taken, one refused naming the limit and the operator; service accounts take none; the other organisation unaffected; audited', async () => {
    const before = await organizationUsage(s.database.db, a.orgId);
    await limit(a, { seats: before.seats + 1 });
    const both = await Promise.all([invite(adminA, 'first-seat@limits-a.example'), invite(adminA, 'second-seat@limits-a.example')]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([201, 403]);
    const refused = both.find((r) => r.statusCode === 403)!;
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.json()).toMatchObject({ code: 'limit_reached', limit: 'seats', usage: before.seats + 1, max: before.seats + 1 });
    expect(refused.json().detail).toMatch(/limit of staff seats: \d+ used of \d+\. Ask the operator of this Trustdesk installation/);
    expect((await organizationUsage(s.database.db, a.orgId)).seats).toBe(before.seats + 1);

    // An operator-made service account takes no seat, even when all are taken.
    await createServiceToken({ db: s.database.db, audit: s.audit }, CLI_OPERATOR, { org: a.orgId, name: 'provisioner', scopes: ['tickets.read'], expiresInDays: 30 });
    expect((await organizationUsage(s.database.db, a.orgId)).seats).toBe(before.seats + 1);
    // An address that looks like a service account's is a person and takes a seat.
    expect((await invite(adminA, 'sneaky@limits-a.service.invalid')).statusCode).not.toBe(201);

    // The other organisation has no limit.
    expect((await invite(adminB, 'anyone@limits-b.example')).statusCode).toBe(201);

    const audit = await s.database.db.selectFrom('audit_log').where('org_id', '=', a.orgId).where('action', '=', 'organization.limits').select('details').execute();
    expect(audit.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(audit.at(-1)!.details)).toContain(`"seats":${before.seats + 1}`);
  });

  it('seats: a limit lowered below usage keeps everyone and refuses only new people; SCIM provisioning and reactivation answer in SCIM’s error format', async () => {
    const used = (await organizationUsage(s.database.db, a.orgId)).seats;
    await limit(a, { seats: 1 });
    const people = await s.database.db.selectFrom('users').where('org_id', '=', a.orgId).where('status', '<>', 'deactivated').select('id').execute();
    expect(people.length).toBeGreaterThanOrEqual(used);
    expect((await app.inject({ url: '/api/users', headers: adminA.headers })).statusCode).toBe(200);
    expect((await invite(adminA, 'third-seat@limits-a.example')).json()).toMatchObject({ code: 'limit_reached' });

    const { token } = await createScimToken({ db: s.database.db, audit: s.audit }, { orgId: a.orgId, userId: null, requestId: 'test', ip: null }, { name: 'idp', expiresInDays: 30 });
    const scim = (method: 'POST' | 'PATCH', url: string, body: unknown) =>
      app.inject({ method, url: `/scim/v2${url}`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, payload: JSON.stringify(body) });
    const user = (userName: string, active: boolean) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, active, emails: [{ value: userName, primary: true }], name: { givenName: 'Sam', familyName: 'Ple' } });
    const created = await scim('POST', '/Users', user('scim-new@limits-a.example', true));
    expect(created.statusCode).toBe(403);
    expect(created.json()).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '403', detail: expect.stringMatching(/staff seats.*operator/) });
    // Provisioned inactive: no seat taken, accepted; made active: refused, and still inactive.
    const inactive = await scim('POST', '/Users', user('scim-later@limits-a.example', false));
    expect(inactive.statusCode).toBe(201);
    const id = inactive.json().id as string;
    const reactivate = await scim('PATCH', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: true }] });
    expect(reactivate.statusCode).toBe(403);
    expect(reactivate.json().detail).toMatch(/staff seats/);
    expect((await s.database.db.selectFrom('users').where('id', '=', id).select('status').executeTakeFirstOrThrow()).status).toBe('deactivated');

    // Raised again: the same reactivation goes through.
    await limit(a, { seats: null });
    expect((await scim('PATCH', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: true }] })).statusCode).toBe(200);
  });

  it('seats: a revoked or expired invitation frees its seat; renewing it takes one again, refused when none is left', async () => {
    const org = await buildOrg(s);
    const admin = await signIn(app, org, { roles: ['administrator'] });
    await limit(org, { seats: 2 });
    const first = await invite(admin, 'pending@limits-c.example');
    expect(first.statusCode).toBe(201);
    const pendingId = first.json().id as string;
    expect((await invite(admin, 'over@limits-c.example')).json()).toMatchObject({ code: 'limit_reached', usage: 2, max: 2 });
    expect((await app.inject({ method: 'DELETE', url: `/api/users/invitations/${pendingId}`, headers: admin.headers })).statusCode).toBe(200);
    expect((await organizationUsage(s.database.db, org.orgId)).seats).toBe(1);
    const expiring = await invite(admin, 'expiring@limits-c.example');
    expect(expiring.statusCode).toBe(201);
    // The revoked one renewed while the seat is taken: refused.
    const renew = await app.inject({ method: 'POST', url: `/api/users/invitations/${pendingId}/resend`, headers: admin.headers });
    expect(renew.json()).toMatchObject({ code: 'limit_reached' });
    await s.database.db.updateTable('auth_links').set({ expires_at: new Date(Date.now() - 1000) }).where('user_id', '=', expiring.json().id as string).execute();
    expect((await organizationUsage(s.database.db, org.orgId)).seats).toBe(1);
    expect((await app.inject({ method: 'POST', url: `/api/users/invitations/${pendingId}/resend`, headers: admin.headers })).statusCode).toBe(200);
    expect((await organizationUsage(s.database.db, org.orgId)).seats).toBe(2);
  });

  it('inbound per day: SMTP answers 450 4.2.1 at RCPT once the day’s messages are taken (the sender retries), the request form answers limit_reached, the other organisation still takes mail', async () => {
    const today = (await organizationUsage(s.database.db, a.orgId)).inboundToday;
    await limit(a, { inboundPerDay: today + 1 });
    await send(addrA, 'First of the day');
    const stored = await messages(a);
    await expect(send(addrA, 'Second of the day')).rejects.toMatchObject({ responseCode: 450, response: expect.stringMatching(/^450 4\.2\.1 .*messages for today \(UTC\), try again later/) });
    expect(await messages(a)).toBe(stored);
    const bBefore = (await organizationUsage(s.database.db, b.orgId)).inboundToday;
    await send(addrB, 'Bakery order');
    // Without a limit, still counted (after storing), so the usage is known when a limit is set.
    expect((await organizationUsage(s.database.db, b.orgId)).inboundToday).toBe(bBefore + 1);

    const form = (await app.inject({ url: `/api/portal/request-form?organizationId=${a.orgId}`, remoteAddress: nextIp() })).json().formToken as string;
    await new Promise((r) => setTimeout(r, 80));
    const res = await app.inject({ method: 'POST', url: '/api/portal/requests', remoteAddress: nextIp(), payload: { organizationId: a.orgId, name: 'Form Person', email: 'form@customers.example', subject: 'Help', body: 'Please call.', formToken: form } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'limit_reached', limit: 'inbound_per_day', detail: expect.stringMatching(/from midnight UTC\. Ask the operator/) });
    expect(await messages(a)).toBe(stored);

    const shown = await app.inject({ url: '/api/organization/limits', headers: adminA.headers });
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toMatchObject({ inboundPerDay: { limit: today + 1, used: today + 1 }, seats: { limit: null }, day: new Date().toISOString().slice(0, 10) });
    await limit(a, { inboundPerDay: null });
  });

  it('inbound per day: taken atomically — of many at once, exactly the limit succeed; a rolled-back message gives its count back', async () => {
    const org = await buildOrg(s);
    await limit(org, { inboundPerDay: 3 });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => takeInbound(s.database.db, org.orgId)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    for (const r of results.filter((x): x is PromiseRejectedResult => x.status === 'rejected')) expect(r.reason).toBeInstanceOf(LimitReachedError);
    await limit(org, { inboundPerDay: 4 });
    await s.database.db.transaction().execute(async (trx) => {
      await takeInbound(trx, org.orgId);
      throw new Error('storing failed');
    }).catch(() => undefined);
    expect((await organizationUsage(s.database.db, org.orgId)).inboundToday).toBe(3);
    // Yesterday's count does not hold today's messages back.
    await expect(takeInbound(s.database.db, org.orgId, new Date(Date.now() + 86_400_000))).resolves.toBe(true);
    // Without a limit nothing is taken in the storing transaction (the caller counts once stored).
    await limit(org, { inboundPerDay: null });
    await expect(takeInbound(s.database.db, org.orgId)).resolves.toBe(false);
  });

  it('storage: inbound mail whose files would exceed it is refused 452 4.2.2 with nothing stored; portal and agent uploads answer limit_reached; lowered below usage, stored files are kept', async () => {
    const file = (n: number) => ({ filename: 'scan.pdf', content: Buffer.alloc(n, 0x41) });
    await limit(a, { storageBytes: 3000 });
    await send(addrA, 'Small file', [file(1000)]);
    const stored = await messages(a);
    const blobCount = blobs.blobs.size;
    await expect(send(addrA, 'Big file', [file(2500)])).rejects.toMatchObject({ responseCode: 452, response: expect.stringMatching(/^452 4\.2\.2 .*attachment storage/) });
    expect(await messages(a)).toBe(stored);
    expect(blobs.blobs.size).toBe(blobCount);

    const { ticketId } = await buildCustomerWithTicket(s, { orgId: a.orgId, email: 'uploader@customers.example' });
    const portal = await portalSignIn(app, { orgId: a.orgId, email: 'uploader@customers.example' });
    const up = await app.inject({ method: 'POST', url: `/api/portal/tickets/${ticketId}/attachments?filename=photo.png`, headers: { ...portal.headers, 'content-type': 'application/octet-stream', 'x-file-type': 'image/png' }, payload: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2500)]) });
    expect(up.statusCode).toBe(403);
    expect(up.json()).toMatchObject({ code: 'limit_reached', limit: 'storage', detail: expect.stringMatching(/attachment storage: 1 KB used of 3 KB\. Ask the operator/) });

    const agentUp = await app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/attachments?filename=notes.txt`, headers: { ...adminA.headers, 'content-type': 'application/octet-stream' }, payload: Buffer.alloc(2500, 0x41) });
    expect(agentUp.statusCode, agentUp.body).toBe(403);
    expect(agentUp.json()).toMatchObject({ code: 'limit_reached', limit: 'storage' });
    expect(blobs.blobs.size).toBe(blobCount);

    await limit(a, { storageBytes: 10 });
    expect((await organizationUsage(s.database.db, a.orgId)).storageBytes).toBe(1000);
    const beforeText = await messages(a);
    await send(addrA, 'No file at all');
    expect(await messages(a)).toBe(beforeText + 1);
    await send(addrB, 'Bakery file', [file(2500)]);
    await limit(a, { storageBytes: null });
  });

  it('the limits read-out needs a session and users.read; the operator alone changes limits (no write route)', async () => {
    expect((await app.inject({ url: '/api/organization/limits' })).statusCode).toBe(401);
    const agent = await signIn(app, b, { roles: ['agent'] });
    expect((await app.inject({ url: '/api/organization/limits', headers: agent.headers })).statusCode).toBe(403);
    expect((await app.inject({ method: 'PUT', url: '/api/organization/limits', headers: adminB.headers, payload: { seats: null } })).statusCode).toBe(404);
    await expect(setOrganizationLimits({ db: s.database.db, audit: s.audit }, CLI_OPERATOR, 'no-such-org', { seats: 3 })).rejects.toThrow(/No organisation "no-such-org"/);
    await expect(setOrganizationLimits({ db: s.database.db, audit: s.audit }, CLI_OPERATOR, b.orgId, { seats: -1 })).rejects.toThrow(/whole number/);
  });
});
