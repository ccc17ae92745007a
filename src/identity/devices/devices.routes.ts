/**
 * Registered devices and the data egress policy (docs/devices.md; decisions 0215–0217). Schemas:
 * src/platform/http/schemas/devices.ts.
 *  - POST /api/devices/challenge, /register, /assert: the browser proves its device key (own session only).
 *  - GET /api/devices/current: this session's device and whether files and exports are allowed here.
 *  - GET /api/devices, DELETE /api/devices/:id: the person's own devices (revoking ends their sessions).
 *  - GET /api/users/:id/devices, DELETE /api/users/:id/devices/:deviceId: anyone's (users.manage).
 *  - GET/PUT /api/devices/policy: per-role egress policy (policies.manage; a lock-out is refused).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requirePermission } from '../auth/access.js';
import { requirePrincipal } from '../auth/auth.routes.js';
import { AppError } from '../../platform/errors.js';
import { routeSchema } from '../../platform/http/schemas/common.js';
import { deviceEndpoints as e } from '../../platform/http/schemas/devices.js';
import { approveDevice, assertDevice, currentDevice, issueDeviceChallenge, listDevices, registerDevice, revokeDevice, type DeviceCaller, type DeviceDeps } from './devices.service.js';
import { readDeviceSettings } from './settings.js';
import { evaluateDataEgress, readEgressPolicy, saveEgressPolicy } from './egress.js';

const tags = ['devices'];

export async function deviceRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const s = app.services;
  const deps = (): DeviceDeps => ({ db: s.database.db, audit: s.audit, stepUpWindowMs: app.auth.stepUpWindowMs });
  const caller = (request: FastifyRequest): DeviceCaller => {
    const ua = request.headers['user-agent'];
    return { principal: requirePrincipal(request), ip: request.ip, userAgent: typeof ua === 'string' ? ua : null, requestId: String(request.id) };
  };
  const current = async (request: FastifyRequest, deviceId?: string) => {
    const p = requirePrincipal(request);
    const principal = deviceId === undefined ? p : { ...p, deviceId };
    const egress = await evaluateDataEgress(s.database.db, principal, request.ip);
    return { device: await currentDevice(s.database.db, principal), egress: { allowed: egress.allowed, reason: egress.reason, message: egress.message } };
  };
  const own = { ownAccount: true, sessionOnly: true, rateLimit: { max: 30, timeWindow: '1 minute' } };

  r.post(e.challenge.url, { config: own, schema: routeSchema(e.challenge, { tags, summary: 'A single-use challenge for this session, to be signed with the browser’s device key' }) }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return issueDeviceChallenge(deps(), caller(request));
  });

  r.post(e.register.url, { config: own, schema: routeSchema(e.register, { tags, summary: 'Register this browser: its public key and a signature over the challenge and this session (audited; a privileged role needs a fresh second factor and is notified)' }) }, async (request, reply) => {
    const device = await registerDevice(deps(), caller(request), request.body);
    return reply.code(201).send(await current(request, device.id));
  });

  r.post(e.assert.url, { config: own, schema: routeSchema(e.assert, { tags, summary: 'Prove this browser is a registered device; binds the session to it (audited; a privileged role on a new network needs a fresh second factor)' }) }, async (request) => {
    const device = await assertDevice(deps(), caller(request), request.body);
    return current(request, device.id);
  });

  r.get(e.current.url, { schema: routeSchema(e.current, { tags, summary: 'This session’s registered device, and whether files and exports are allowed here' }) }, async (request) => current(request));

  r.get(e.mine.url, { schema: routeSchema(e.mine, { tags, summary: 'My registered devices, with name and last use' }) }, async (request) => {
    const p = requirePrincipal(request);
    return { devices: await listDevices(s.database.db, p.orgId, p.userId, p.deviceId) };
  });

  r.delete(e.revokeMine.url, { config: { ownAccount: true }, schema: routeSchema(e.revokeMine, { tags, summary: 'Revoke one of my devices; its sessions end (audited)' }) }, async (request) => {
    const c = caller(request);
    await revokeDevice(deps(), c, { userId: c.principal.userId, deviceId: request.params.id });
    return { ok: true as const };
  });

  r.get(e.ofUser.url, { preHandler: requirePermission('users.manage'), schema: routeSchema(e.ofUser, { tags, summary: 'A staff member’s registered devices (users.manage)' }) }, async (request) => {
    const p = requirePrincipal(request);
    // Someone of another organisation (or nobody) answers not found, as revoking their device does.
    const member = await s.database.db.selectFrom('users').where('id', '=', request.params.id).where('org_id', '=', p.orgId).select('id').executeTakeFirst();
    if (!member) throw new AppError('not_found', 'No such staff member.');
    return { devices: await listDevices(s.database.db, p.orgId, request.params.id, p.deviceId) };
  });

  r.delete(e.revokeOfUser.url, { preHandler: requirePermission('users.manage'), schema: routeSchema(e.revokeOfUser, { tags, summary: 'Revoke a staff member’s device; its sessions end (users.manage; audited)' }) }, async (request) => {
    await revokeDevice(deps(), caller(request), { userId: request.params.id, deviceId: request.params.deviceId });
    return { ok: true as const };
  });

  r.post(e.approveOfUser.url, { preHandler: requirePermission('users.manage'), schema: routeSchema(e.approveOfUser, { tags, summary: 'Approve a staff member’s new device, where the organisation asks for approval (users.manage; not one’s own; audited)' }) }, async (request) =>
    approveDevice(deps(), caller(request), { userId: request.params.id, deviceId: request.params.deviceId }),
  );

  const policyView = async (orgId: string, ip: string) => ({
    roles: await readEgressPolicy(s.database.db, orgId),
    yourAddress: ip,
    approvalRequired: (await readDeviceSettings(s.database.db, orgId)).approvalRequired,
  });

  r.get(e.policy.url, { preHandler: requirePermission('policies.manage'), schema: routeSchema(e.policy, { tags, summary: 'Per role: customer data only from registered devices and listed networks' }) }, async (request) =>
    policyView(requirePrincipal(request).orgId, request.ip),
  );

  r.put(e.savePolicy.url, { preHandler: requirePermission('policies.manage'), schema: routeSchema(e.savePolicy, { tags, summary: 'Change the per-role data egress policy; a network list that would lock every administrator out is refused (audited)' }) }, async (request) => {
    const p = requirePrincipal(request);
    await saveEgressPolicy({ db: s.database.db, audit: s.audit }, { principal: p, ip: request.ip, requestId: String(request.id) }, request.body);
    return policyView(p.orgId, request.ip);
  });
}
