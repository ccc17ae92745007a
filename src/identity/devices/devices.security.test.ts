/**
 * Registered devices and the data egress policy, through HTTP, with the attacker's cases: a registration replayed
 * from another browser, a challenge used twice, a clock too far off, another person's device, a revoked device
 * still holding a session, an agent on an unregistered browser (answers, but no files), a network list that
 * would lock every administrator out. The browser's key is a Node P-256 key signing as WebCrypto does (r‖s).
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { appRoutes } from '../../platform/http/routes.js';
import { MemoryBlobStore } from '../../protection/blobs/store.js';
import { createCustomer } from '../../helpdesk/customers/customers.service.js';
import { createHelpdeskDeps } from '../../helpdesk/tickets/context.js';
import { insertTicket } from '../../helpdesk/tickets/records.js';
import { createTicketFileRoutes, ticketFileRoutes } from '../../helpdesk/tickets/ticket-files.routes.js';
import { buildOrg, buildTeam, buildUser, signIn, signInAs, type SignedIn, type TestOrg } from '../auth/testing.js';
import { roleIdByKey } from '../auth/principals.js';
import { createApiToken } from '../auth/tokens.service.js';
import { proofMessage, type ProofPurpose } from './proof.js';
import { readCsvWatermark } from './watermark.js';

interface Browser {
  key: KeyObject;
  jwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
}

function newBrowser(): Browser {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
  return { key: privateKey, jwk: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y } };
}

function signProof(b: Browser, purpose: ProofPurpose, ch: { challenge: string; binding: string }, timestamp = Date.now()) {
  const signature = sign('sha256', Buffer.from(proofMessage({ purpose, challenge: ch.challenge, binding: ch.binding, timestamp }), 'utf8'), { key: b.key, dsaEncoding: 'ieee-p1363' });
  return { challenge: ch.challenge, timestamp, signature: signature.toString('base64url') };
}

describe.each(testDatabaseKinds)('registered devices and where customer data may go on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let otherOrg: TestOrg;
  let team: string;
  let ticketId: string;
  let attachmentId: string;
  let admin: SignedIn;
  const blobs = new MemoryBlobStore();

  beforeAll(async () => {
    services = await createTestServices(kind);
    const routes = [...appRoutes.filter((r) => r !== ticketFileRoutes), createTicketFileRoutes({ blobs })];
    app = await buildApp({ services, routes, schemaCache: testSchemaCache });
    org = await buildOrg(services);
    otherOrg = await buildOrg(services);
    team = await buildTeam(services, org);
    const deps = await createHelpdeskDeps(services);
    const { id: customerId } = await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Ottilie Brandreth', email: 'ottilie@example.org' });
    ticketId = (await deps.db.transaction().execute((trx) => insertTicket(trx, deps, { orgId: org.orgId, subject: 'Invoice', channel: 'email', requesterId: customerId, teamId: team }))).id;
    admin = await signIn(app, org, { roles: ['administrator'] });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  const inject = (who: SignedIn, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => app.inject({ method, url, headers: who.headers, payload });
  const challenge = async (who: SignedIn) => {
    const res = await inject(who, 'POST', '/api/devices/challenge');
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { challenge: string; binding: string; serverTime: number };
  };
  const register = async (who: SignedIn, b: Browser, name = 'Work laptop') => {
    const res = await inject(who, 'POST', '/api/devices/register', { name, publicKey: b.jwk, ...signProof(b, 'register', await challenge(who)) });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { device: { id: string } }).device.id;
  };
  const auditRows = (action: string) => services.database.db.selectFrom('audit_log').where('action', '=', action).select(['result', 'details', 'actor_id', 'object_id']).orderBy('seq').execute();

  it('registers a browser with a signature over a single-use challenge and this session; a replay from another browser is refused', async () => {
    const user = await buildUser(services, org, { roles: ['agent'], teamIds: [team] });
    const a = await signInAs(app, user);
    const other = await signInAs(app, user);
    const b = newBrowser();
    const ch = await challenge(a);
    const body = { name: 'Work laptop', publicKey: b.jwk, ...signProof(b, 'register', ch) };
    // The same challenge and signature from another browser (another session of the same person): refused.
    const replayed = await inject(other, 'POST', '/api/devices/register', body);
    expect(replayed.statusCode).toBe(403);
    expect(replayed.headers['content-type']).toMatch(/problem\+json/);
    // Another browser that asks for its own challenge but sends the first one's signature (bound to session a): refused.
    const otherCh = await challenge(other);
    const lifted = await inject(other, 'POST', '/api/devices/register', { ...body, challenge: otherCh.challenge });
    expect(lifted.statusCode).toBe(403);
    const ok = await inject(a, 'POST', '/api/devices/register', body);
    expect(ok.statusCode, ok.body).toBe(201);
    const view = ok.json() as { device: { id: string; name: string; current: boolean }; egress: { allowed: boolean } };
    expect(view.device).toMatchObject({ name: 'Work laptop', current: true });
    // Single use: the very same request again is refused.
    expect((await inject(a, 'POST', '/api/devices/register', body)).statusCode).toBe(403);
    const current = (await inject(a, 'GET', '/api/devices/current')).json() as { device: { id: string } | null };
    expect(current.device?.id).toBe(view.device.id);
    expect(((await inject(other, 'GET', '/api/devices/current')).json() as { device: unknown }).device).toBeNull();
    const rows = await auditRows('device.register');
    expect(rows.filter((r) => r.actor_id === user.userId).map((r) => [r.result, (r.details as { reason?: string }).reason ?? null])).toEqual([
      ['denied', 'challenge'],
      ['denied', 'signature'],
      ['success', null],
      ['denied', 'challenge'],
    ]);
  });

  it('tolerates a bounded clock skew on the device’s signature, and refuses more', async () => {
    const who = await signIn(app, org, { roles: ['agent'] });
    const b = newBrowser();
    const id = await register(who, b);
    const fourMinutesSlow = signProof(b, 'assert', await challenge(who), Date.now() - 4 * 60_000);
    expect((await inject(who, 'POST', '/api/devices/assert', { deviceId: id, ...fourMinutesSlow })).statusCode).toBe(200);
    const sixMinutesFast = signProof(b, 'assert', await challenge(who), Date.now() + 6 * 60_000);
    const refused = await inject(who, 'POST', '/api/devices/assert', { deviceId: id, ...sixMinutesFast });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ device: 'clock_skew' });
    // A key that is not the device's: refused.
    const wrong = await inject(who, 'POST', '/api/devices/assert', { deviceId: id, ...signProof(newBrowser(), 'assert', await challenge(who)) });
    expect(wrong.statusCode).toBe(403);
  });

  it('lets a person and an administrator revoke a device (its sessions end); another person’s device is not found', async () => {
    const user = await buildUser(services, org, { roles: ['agent'] });
    const a = await signInAs(app, user);
    const id = await register(a, newBrowser());
    const stranger = await signIn(app, org, { roles: ['agent'] });
    expect((await inject(stranger, 'DELETE', `/api/devices/${id}`)).statusCode).toBe(404);
    const foreignAdmin = await signIn(app, otherOrg, { roles: ['administrator'] });
    expect((await inject(foreignAdmin, 'DELETE', `/api/users/${user.userId}/devices/${id}`)).statusCode).toBe(404);
    expect((await inject(foreignAdmin, 'GET', `/api/users/${user.userId}/devices`)).statusCode).toBe(404);
    expect((await inject(stranger, 'GET', `/api/users/${user.userId}/devices`)).statusCode).toBe(403);
    const listed = (await inject(admin, 'GET', `/api/users/${user.userId}/devices`)).json() as { devices: Array<{ id: string; name: string; lastUsedAt: string }> };
    expect(listed.devices.map((d) => d.id)).toEqual([id]);
    expect((await inject(a, 'GET', '/api/auth/me')).statusCode).toBe(200);
    expect((await inject(admin, 'DELETE', `/api/users/${user.userId}/devices/${id}`)).statusCode).toBe(200);
    // The revoked device's session is over.
    expect((await inject(a, 'GET', '/api/auth/me')).statusCode).toBe(401);
    const mine = await signInAs(app, user);
    const again = (await inject(mine, 'GET', '/api/devices')).json() as { devices: Array<{ id: string; revokedAt: string | null }> };
    expect(again.devices[0]).toMatchObject({ id });
    expect(again.devices[0]!.revokedAt).not.toBeNull();
    // A revoked device cannot bind a session again.
    expect((await inject(mine, 'POST', '/api/devices/assert', { deviceId: id, ...signProof(newBrowser(), 'assert', await challenge(mine)) })).statusCode).toBe(404);
    const revoke = (await auditRows('device.revoke')).find((r) => r.object_id === id);
    expect(revoke?.details).toMatchObject({ deviceId: id, byOwner: false, sessionsEnded: 1 });
  });

  it('refuses an agent’s download on an unregistered browser with the explanation, still lets them reply, and audits both outcomes with the device', async () => {
    const agentRole = (await roleIdByKey(services.database.db, org.orgId, 'agent'))!;
    const saved = await inject(admin, 'PUT', '/api/devices/policy', { roles: [{ roleId: agentRole, requireDevice: true, allowedCidrs: [] }] });
    expect(saved.statusCode, saved.body).toBe(200);
    const user = await buildUser(services, org, { roles: ['agent'], teamIds: [team] });
    const registered = await signInAs(app, user);
    const unregistered = await signInAs(app, user);
    const deviceId = await register(registered, newBrowser());
    const up = await app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/attachments?filename=invoice.txt`, headers: { ...registered.headers, 'content-type': 'application/octet-stream' }, payload: Buffer.from('invoice 42') });
    expect(up.statusCode, up.body).toBe(201);
    attachmentId = (up.json() as { attachmentId: string }).attachmentId;
    const reply = await inject(unregistered, 'POST', `/api/tickets/${ticketId}/replies`, { body: 'Thanks, we are looking into it.', attachmentIds: [attachmentId] });
    expect(reply.statusCode, reply.body).toBe(201);
    const refused = await inject(unregistered, 'GET', `/api/tickets/${ticketId}/attachments/${attachmentId}`);
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toMatch(/problem\+json/);
    expect(refused.json()).toMatchObject({ egress: 'unregistered_device' });
    expect((refused.json() as { detail: string }).detail).toMatch(/registered devices/);
    expect(((await inject(unregistered, 'GET', '/api/devices/current')).json() as { egress: unknown }).egress).toMatchObject({ allowed: false, reason: 'unregistered_device' });
    const ok = await inject(registered, 'GET', `/api/tickets/${ticketId}/attachments/${attachmentId}`);
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toBe('invoice 42');
    const rows = (await auditRows('ticket.attachment.download')).filter((r) => r.actor_id === user.userId);
    expect(rows.map((r) => [r.result, (r.details as { deviceId: string | null }).deviceId, (r.details as { reason?: string }).reason ?? null])).toEqual([
      ['denied', null, 'egress_unregistered_device'],
      ['success', deviceId, null],
    ]);
    // An API token has no device: refused too while the policy asks for one.
    const { token } = await createApiToken({ db: services.database.db, audit: services.audit }, null, { ip: '127.0.0.1', userAgent: null, requestId: 'test' }, { ownerId: user.userId, name: 'integration', scopes: ['tickets.read'], expiresInDays: 1, kind: 'personal' });
    const byToken = await app.inject({ method: 'GET', url: `/api/tickets/${ticketId}/attachments/${attachmentId}`, headers: { authorization: `Bearer ${token}` } });
    expect(byToken.statusCode).toBe(403);
    expect(byToken.json()).toMatchObject({ egress: 'token' });
    await inject(admin, 'PUT', '/api/devices/policy', { roles: [{ roleId: agentRole, requireDevice: false, allowedCidrs: [] }] });
  });

  it('watermarks an exported CSV with the exporter, the time and the device, and refuses it from outside the listed networks', async () => {
    const lead = await signIn(app, org, { roles: ['supervisor'], teamIds: [team] });
    const deviceId = await register(lead, newBrowser(), 'Lead desk');
    const before = Date.now();
    const res = await inject(lead, 'GET', '/api/reports/export?from=2026-03-01&to=2026-03-03&report=volume');
    expect(res.statusCode, res.body).toBe(200);
    const mark = readCsvWatermark(res.body)!;
    expect(mark.exported_by).toBe(`${(await services.database.db.selectFrom('users').where('id', '=', lead.userId).select('name').executeTakeFirstOrThrow()).name} <${lead.email}>`);
    expect(Date.parse(mark.exported_at!)).toBeGreaterThanOrEqual(before - 1000);
    expect(mark.device).toBe(`${deviceId} (Lead desk)`);
    expect(res.body.split('\r\n')[1]).toBe('day,created,solved,backlog');
    const supervisorRole = (await roleIdByKey(services.database.db, org.orgId, 'supervisor'))!;
    expect((await inject(admin, 'PUT', '/api/devices/policy', { roles: [{ roleId: supervisorRole, requireDevice: true, allowedCidrs: ['10.9.0.0/16'] }] })).statusCode).toBe(200);
    const outside = await inject(lead, 'GET', '/api/reports/export?from=2026-03-01&to=2026-03-03&report=volume');
    expect(outside.statusCode).toBe(403);
    expect(outside.json()).toMatchObject({ egress: 'network' });
    const egress = (await auditRows('data.egress')).filter((r) => r.actor_id === lead.userId);
    expect(egress.map((r) => [r.result, (r.details as { deviceId: string }).deviceId, (r.details as { reason?: string }).reason ?? null])).toEqual([
      ['success', deviceId, null],
      ['denied', deviceId, 'network'],
    ]);
  });

  it('refuses a network list that would lock every administrator out, with the reason; accepts one that includes the saver', async () => {
    const adminRole = (await roleIdByKey(services.database.db, org.orgId, 'administrator'))!;
    const locked = await inject(admin, 'PUT', '/api/devices/policy', { roles: [{ roleId: adminRole, requireDevice: false, allowedCidrs: ['203.0.113.0/24'] }] });
    expect(locked.statusCode).toBe(409);
    expect((locked.json() as { detail: string }).detail).toMatch(/lock every administrator out.*127\.0\.0\.1/);
    const policy = (await inject(admin, 'GET', '/api/devices/policy')).json() as { roles: Array<{ roleId: string; allowedCidrs: string[] }> };
    expect(policy.roles.find((r) => r.roleId === adminRole)?.allowedCidrs).toEqual([]);
    const fine = await inject(admin, 'PUT', '/api/devices/policy', { roles: [{ roleId: adminRole, requireDevice: false, allowedCidrs: ['203.0.113.0/24', '127.0.0.0/8'] }] });
    expect(fine.statusCode, fine.body).toBe(200);
    expect((await inject(admin, 'PUT', '/api/devices/policy', { roles: [{ roleId: adminRole, requireDevice: false, allowedCidrs: ['not a network'] }] })).statusCode).toBe(400);
    expect((await inject(await signIn(app, org, { roles: ['agent'] }), 'PUT', '/api/devices/policy', { roles: [] })).statusCode).toBe(403);
    await inject(admin, 'PUT', '/api/devices/policy', { roles: [{ roleId: adminRole, requireDevice: false, allowedCidrs: [] }] });
  });

  it('asks a privileged role for a fresh second factor before registering a device, and notifies them', async () => {
    const user = await buildUser(services, org, { roles: ['security_officer'] });
    const stale = await signInAs(app, user, { stepUp: false });
    const b = newBrowser();
    const res = await inject(stale, 'POST', '/api/devices/register', { name: 'Office', publicKey: b.jwk, ...signProof(b, 'register', await challenge(stale)) });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'step_up_required' });
    const fresh = await signInAs(app, user);
    await register(fresh, b, 'Office');
    const told = await services.database.db.selectFrom('notifications').where('user_id', '=', user.userId).where('kind', '=', 'new_device').select('id').execute();
    expect(told).toHaveLength(1);
    // The same device from a network it was never seen on: a fresh factor again, and the person is told.
    const deviceId = (await services.database.db.selectFrom('devices').where('user_id', '=', user.userId).select('id').executeTakeFirstOrThrow()).id;
    const away = '198.51.100.7';
    const assertFrom = async (who: SignedIn) => {
      const ch = (await app.inject({ method: 'POST', url: '/api/devices/challenge', headers: who.headers, remoteAddress: away })).json() as { challenge: string; binding: string };
      return app.inject({ method: 'POST', url: '/api/devices/assert', headers: who.headers, remoteAddress: away, payload: { deviceId, ...signProof(b, 'assert', ch) } });
    };
    const staleAway = await assertFrom(await signInAs(app, user, { stepUp: false }));
    expect(staleAway.json()).toMatchObject({ code: 'step_up_required' });
    expect((await assertFrom(await signInAs(app, user))).statusCode).toBe(200);
    const device = await services.database.db.selectFrom('devices').where('id', '=', deviceId).select(['known_networks', 'last_ip']).executeTakeFirstOrThrow();
    expect(device).toMatchObject({ known_networks: ['127.0.0.0/24', '198.51.100.0/24'], last_ip: away });
    // A second notification: the person hears of each new device or network.
    const after = await services.database.db.selectFrom('notifications').where('user_id', '=', user.userId).where('kind', '=', 'new_device').select('id').execute();
    expect(after).toHaveLength(2);
  });

  it('where the organisation asks for approval, a new device counts only once another administrator approved it (not their own, not another organisation’s)', async () => {
    const agentRole = (await roleIdByKey(services.database.db, org.orgId, 'agent'))!;
    const saved = await inject(admin, 'PUT', '/api/devices/policy', { approvalRequired: true, roles: [{ roleId: agentRole, requireDevice: true, allowedCidrs: [] }] });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json()).toMatchObject({ approvalRequired: true });
    const user = await buildUser(services, org, { roles: ['agent'], teamIds: [team] });
    const agent = await signInAs(app, user);
    const deviceId = await register(agent, newBrowser(), 'Home laptop');
    expect(((await inject(agent, 'GET', '/api/devices/current')).json() as { device: { approvedAt: string | null }; egress: unknown })).toMatchObject({ device: { approvedAt: null }, egress: { allowed: false, reason: 'device_pending' } });
    const waiting = await inject(agent, 'GET', `/api/tickets/${ticketId}/attachments/${attachmentId}`);
    expect(waiting.statusCode).toBe(403);
    expect(waiting.json()).toMatchObject({ egress: 'device_pending' });

    // The agent cannot approve it; an administrator cannot approve their own; another organisation's cannot see it.
    const url = `/api/users/${user.userId}/devices/${deviceId}/approve`;
    expect((await inject(agent, 'POST', url)).statusCode).toBe(403);
    const ownAdmin = await signIn(app, org, { roles: ['administrator'] });
    const ownDevice = await register(ownAdmin, newBrowser(), 'Admin laptop');
    const self = await inject(ownAdmin, 'POST', `/api/users/${ownAdmin.userId}/devices/${ownDevice}/approve`);
    expect(self.statusCode).toBe(403);
    expect(self.json().detail).toMatch(/Another administrator/);
    const foreign = await signIn(app, otherOrg, { roles: ['administrator'] });
    expect((await inject(foreign, 'POST', url)).statusCode).toBe(404);
    expect((await inject(foreign, 'GET', `/api/users/${user.userId}/devices`)).statusCode).toBe(404);

    const approved = await inject(admin, 'POST', url);
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json().approvedAt).not.toBeNull();
    expect((await inject(admin, 'POST', url)).statusCode).toBe(409);
    const ok = await inject(agent, 'GET', `/api/tickets/${ticketId}/attachments/${attachmentId}`);
    expect(ok.statusCode).toBe(200);
    const audit = (await auditRows('device.approve')).filter((r) => r.object_id === deviceId);
    expect(audit.map((r) => [r.result, r.actor_id])).toEqual([['success', admin.userId]]);
    await inject(admin, 'PUT', '/api/devices/policy', { approvalRequired: false, roles: [{ roleId: agentRole, requireDevice: false, allowedCidrs: [] }] });
  });
});
