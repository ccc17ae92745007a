/**
 * Registered devices (decision 0215): a browser registers a non-extractable ECDSA key by signing a single-use
 * challenge issued to its session, and on each later console load proves it still holds the key (assert), which
 * binds the session to the device. The person lists and revokes their own devices; administrators (users.manage)
 * anyone's in their organisation. Revoking a device ends every session bound to it, in the same transaction.
 *
 * Security steps are consume-first: the challenge row is deleted (bound to the asking session, unexpired) before
 * the signature is checked, so a challenge works once, in the session it was issued to. A privileged person
 * (administrator, security officer) registering a device, or using one from a network it was never seen on,
 * needs a fresh second factor — checked before the challenge is consumed, so the retry after step-up works —
 * and is notified.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import { publishNotification } from '../../platform/realtime/events.js';
import { preferencesFor } from '../../helpdesk/notifications/preferences.js';
import { queueDigest } from '../../helpdesk/notifications/notify.js';
import { requireFreshFactor, type Principal } from '../auth/access.js';
import { hashSecret } from '../auth/secrets.js';
import { readDeviceSettings } from './settings.js';
import { sessionHandle } from '../auth/sessions.js';
import { CHALLENGE_TTL_MS, networkOf, proofMessage, publicKeyFromJwk, verifyProof, withinSkew, type EcPublicJwk, type ProofPurpose } from './proof.js';
import type { DevicesTable } from './schema.js';
import './schema.js';

export interface DeviceDeps {
  db: Kysely<Database>;
  audit: AuditLog;
  stepUpWindowMs: number;
}

export interface DeviceCaller {
  principal: Principal;
  ip: string;
  userAgent: string | null;
  requestId: string;
}

export interface DeviceView {
  id: string;
  name: string;
  userAgent: string | null;
  createdAt: string;
  lastUsedAt: string;
  lastIp: string | null;
  revokedAt: string | null;
  approvedAt: string | null;
  current: boolean;
}

/** Most devices one person may hold at once (revoke one to add another). */
export const MAX_DEVICES_PER_PERSON = 20;
/** Roles whose new devices and networks ask for a fresh second factor and are notified. */
export const PRIVILEGED_ROLES: ReadonlySet<string> = new Set(['administrator', 'security_officer']);

export const isPrivileged = (p: Principal): boolean => p.roleKeys.some((k) => PRIVILEGED_ROLES.has(k)) || p.permissions.has('policies.manage');

type DeviceRow = Selectable<DevicesTable>;

export function presentDevice(row: Pick<DeviceRow, 'id' | 'name' | 'user_agent' | 'created_at' | 'last_used_at' | 'last_ip' | 'revoked_at' | 'approved_at'>, currentId: string | null | undefined): DeviceView {
  return {
    id: row.id,
    name: row.name,
    userAgent: row.user_agent,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at.toISOString(),
    lastIp: row.last_ip,
    revokedAt: row.revoked_at?.toISOString() ?? null,
    approvedAt: row.approved_at?.toISOString() ?? null,
    current: row.id === currentId,
  };
}

function sessionOf(c: DeviceCaller): Buffer {
  if (c.principal.kind !== 'session' || !c.principal.sessionIdHash) throw new AppError('forbidden', 'This needs a signed-in session, not an API token.');
  return c.principal.sessionIdHash;
}

const base = (c: DeviceCaller) => ({ orgId: c.principal.orgId, actor: { type: 'user' as const, id: c.principal.userId }, requestId: c.requestId, sourceIp: c.ip });

/** A new single-use challenge for this session; the session's handle is what the browser signs with it. */
export async function issueDeviceChallenge(deps: DeviceDeps, c: DeviceCaller, now = new Date()): Promise<{ challenge: string; binding: string; expiresAt: string; serverTime: number }> {
  const session = sessionOf(c);
  const challenge = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + CHALLENGE_TTL_MS);
  await deps.db.deleteFrom('device_challenges').where('expires_at', '<', now).execute();
  await deps.db.insertInto('device_challenges').values({ challenge_hash: hashSecret(challenge), session_id_hash: session, user_id: c.principal.userId, created_at: now, expires_at: expiresAt }).execute();
  return { challenge, binding: sessionHandle(session), expiresAt: expiresAt.toISOString(), serverTime: now.getTime() };
}

interface Proof {
  challenge: string;
  timestamp: number;
  signature: string;
}

/**
 * Consumes the challenge (only this session's, unexpired), then checks the clock and the signature. Any failure
 * is audited as denied with its reason and answered with one safe message.
 */
async function checkProof(deps: DeviceDeps, trx: Executor, c: DeviceCaller, purpose: ProofPurpose, proof: Proof, spki: Uint8Array, action: string, now: Date): Promise<void> {
  const session = sessionOf(c);
  const consumed = await trx
    .deleteFrom('device_challenges')
    .where('challenge_hash', '=', hashSecret(proof.challenge))
    .where('session_id_hash', '=', session)
    .where('user_id', '=', c.principal.userId)
    .where('expires_at', '>', now)
    .returning('challenge_hash')
    .executeTakeFirst();
  const reason = !consumed
    ? 'challenge'
    : !withinSkew(proof.timestamp, now.getTime())
      ? 'clock_skew'
      : !verifyProof(spki, proofMessage({ purpose, challenge: proof.challenge, binding: sessionHandle(session), timestamp: proof.timestamp }), Buffer.from(proof.signature, 'base64url'))
        ? 'signature'
        : null;
  if (reason) throw new ProofRefused(reason, action);
}

class ProofRefused extends AppError {
  constructor(readonly reason: string, readonly action: string) {
    super(
      'forbidden',
      reason === 'clock_skew'
        ? 'This device’s clock is too far from the server’s; correct the date and time and try again.'
        : 'This browser could not prove it holds its device key; reload the page and try again.',
      { internal: `device proof: ${reason}`, extra: { device: reason === 'clock_skew' ? 'clock_skew' : 'proof_failed' } },
    );
  }
}

/** Runs a proof-checking transaction; a refusal is audited (outside the rolled-back transaction) and rethrown. */
async function withProof<T>(deps: DeviceDeps, c: DeviceCaller, object: { type: string; id: string } | null, work: (trx: Executor) => Promise<T>): Promise<T> {
  try {
    return await deps.db.transaction().execute(work);
  } catch (err) {
    if (err instanceof ProofRefused) {
      // The challenge stays consumed: a refused proof cannot be retried with the same challenge.
      if (err.reason !== 'challenge') await deps.db.deleteFrom('device_challenges').where('session_id_hash', '=', sessionOf(c)).execute();
      await deps.audit.record({ ...base(c), action: err.action, object, result: 'denied', details: { reason: err.reason } });
    }
    throw err;
  }
}

async function notifyNewDevice(trx: Executor, c: DeviceCaller, now: Date): Promise<void> {
  const pref = (await preferencesFor(trx, [c.principal.userId], 'new_device')).get(c.principal.userId)!;
  if (!pref.inApp && !pref.email) return;
  await trx.insertInto('notifications').values({ id: randomUUID(), org_id: c.principal.orgId, user_id: c.principal.userId, kind: 'new_device', ticket_id: null, actor_id: null, in_app: pref.inApp, email_pending: pref.email, created_at: now, updated_at: now }).execute();
  if (pref.email) await queueDigest(trx, c.principal.orgId, c.principal.userId);
  if (pref.inApp) await publishNotification(trx, { orgId: c.principal.orgId, userId: c.principal.userId });
}

export async function registerDevice(deps: DeviceDeps, c: DeviceCaller, input: Proof & { name: string; publicKey: EcPublicJwk }, now = new Date()): Promise<DeviceView> {
  const session = sessionOf(c);
  const privileged = isPrivileged(c.principal);
  // Before the challenge is consumed: the console asks for the factor and retries this same request.
  if (privileged) requireFreshFactor(c.principal, deps.stepUpWindowMs, now);
  const spki = publicKeyFromJwk(input.publicKey);
  if (!spki) throw new AppError('validation_failed', 'The device key must be an ECDSA P-256 public key.', { extra: { errors: [{ field: 'publicKey', message: 'must be a P-256 public key' }] } });
  const name = input.name.replace(/[\u0000-\u001f\u007f]/g, ' ').trim() || 'Browser';
  const id = randomUUID();
  return withProof(deps, c, null, async (trx) => {
    await checkProof(deps, trx, c, 'register', input, spki, 'device.register', now);
    const held = await trx.selectFrom('devices').where('user_id', '=', c.principal.userId).where('revoked_at', 'is', null).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    if (Number(held.n) >= MAX_DEVICES_PER_PERSON) throw new AppError('conflict', `You already have ${MAX_DEVICES_PER_PERSON} registered devices; revoke one first.`);
    const taken = await trx.selectFrom('devices').where('public_key', '=', spki).select('id').executeTakeFirst();
    if (taken) throw new AppError('conflict', 'This device key is already registered.');
    await trx.insertInto('devices').values({
      id,
      org_id: c.principal.orgId,
      user_id: c.principal.userId,
      name: name.slice(0, 80),
      public_key: spki,
      user_agent: c.userAgent?.slice(0, 300) ?? null,
      known_networks: [networkOf(c.ip)],
      created_at: now,
      last_used_at: now,
      last_ip: c.ip.slice(0, 100),
      // Where the organisation asks for approval, the device waits for another administrator (decision 0222).
      approved_at: (await readDeviceSettings(trx, c.principal.orgId)).approvalRequired ? null : now,
    }).execute();
    await trx.updateTable('sessions').set({ device_id: id }).where('id_hash', '=', session).execute();
    if (privileged) await notifyNewDevice(trx, c, now);
    await deps.audit.append(trx, { ...base(c), action: 'device.register', object: { type: 'device', id }, result: 'success', details: { deviceId: id, network: networkOf(c.ip), privileged } });
    const row = await trx.selectFrom('devices').where('id', '=', id).selectAll().executeTakeFirstOrThrow();
    return presentDevice(row, id);
  });
}

export async function assertDevice(deps: DeviceDeps, c: DeviceCaller, input: Proof & { deviceId: string }, now = new Date()): Promise<DeviceView> {
  const session = sessionOf(c);
  const device = await deps.db.selectFrom('devices').where('id', '=', input.deviceId).where('user_id', '=', c.principal.userId).where('revoked_at', 'is', null).selectAll().executeTakeFirst();
  if (!device) {
    await deps.audit.record({ ...base(c), action: 'device.assert', object: { type: 'device', id: input.deviceId }, result: 'denied', details: { reason: 'unknown_or_revoked' } });
    throw new AppError('not_found', 'This device is not registered (or was revoked); register it again.', { extra: { device: 'unknown' } });
  }
  const network = networkOf(c.ip);
  const newNetwork = !device.known_networks.includes(network);
  const privileged = isPrivileged(c.principal);
  if (privileged && newNetwork) requireFreshFactor(c.principal, deps.stepUpWindowMs, now);
  return withProof(deps, c, { type: 'device', id: device.id }, async (trx) => {
    await checkProof(deps, trx, c, 'assert', input, device.public_key, 'device.assert', now);
    const networks = newNetwork ? [...device.known_networks, network].slice(-50) : device.known_networks;
    const updated = await trx
      .updateTable('devices')
      .set({ last_used_at: now, last_ip: c.ip.slice(0, 100), known_networks: networks })
      .where('id', '=', device.id)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (!updated) throw new AppError('not_found', 'This device is not registered (or was revoked); register it again.');
    await trx.updateTable('sessions').set({ device_id: device.id }).where('id_hash', '=', session).where('revoked_at', 'is', null).execute();
    if (privileged && newNetwork) await notifyNewDevice(trx, c, now);
    await deps.audit.append(trx, { ...base(c), action: 'device.assert', object: { type: 'device', id: device.id }, result: 'success', details: { deviceId: device.id, network, newNetwork } });
    return presentDevice(updated, device.id);
  });
}

export async function currentDevice(db: Kysely<Database>, p: Principal): Promise<DeviceView | null> {
  if (!p.deviceId) return null;
  const row = await db.selectFrom('devices').where('id', '=', p.deviceId).where('user_id', '=', p.userId).where('revoked_at', 'is', null).selectAll().executeTakeFirst();
  return row ? presentDevice(row, p.deviceId) : null;
}

/** A person's devices, newest use first; revoked ones too (for the record). Within the caller's organisation only. */
export async function listDevices(db: Kysely<Database>, orgId: string, userId: string, currentId: string | null | undefined): Promise<DeviceView[]> {
  const rows = await db.selectFrom('devices').where('org_id', '=', orgId).where('user_id', '=', userId).orderBy('revoked_at', 'desc').orderBy('last_used_at', 'desc').selectAll().limit(100).execute();
  return rows.map((r) => presentDevice(r, currentId));
}

/**
 * Approves a person's device that waits for approval (users.manage). Nobody approves their own: the point is a
 * second person's look at the browser before customer data may go to it. Another organisation's, a revoked or an
 * unknown device answers not found; an approved one, conflict.
 */
export async function approveDevice(deps: DeviceDeps, c: DeviceCaller, input: { userId: string; deviceId: string }): Promise<DeviceView> {
  if (input.userId === c.principal.userId) throw new AppError('forbidden', 'Another administrator approves your devices.', { internal: 'self-approval of a device' });
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('devices').where('id', '=', input.deviceId).where('user_id', '=', input.userId).where('org_id', '=', c.principal.orgId).where('revoked_at', 'is', null).selectAll().forUpdate().executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such device.');
    if (row.approved_at) throw new AppError('conflict', 'This device is already approved.');
    const updated = await trx.updateTable('devices').set({ approved_at: new Date(), approved_by: c.principal.userId }).where('id', '=', row.id).returningAll().executeTakeFirstOrThrow();
    await deps.audit.append(trx, { ...base(c), action: 'device.approve', object: { type: 'device', id: row.id }, result: 'success', details: { deviceId: row.id, ownerId: row.user_id } });
    return presentDevice(updated, c.principal.deviceId);
  });
}

/**
 * Revokes one device of `userId` (the caller's own, or — for an administrator — anyone's in their organisation)
 * and ends every session bound to it. Another person's or organisation's device id answers not found.
 */
export async function revokeDevice(deps: DeviceDeps, c: DeviceCaller, input: { userId: string; deviceId: string }): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('devices')
      .set({ revoked_at: new Date(), revoked_by: c.principal.userId })
      .where('id', '=', input.deviceId)
      .where('user_id', '=', input.userId)
      .where('org_id', '=', c.principal.orgId)
      .where('revoked_at', 'is', null)
      .returning(['id', 'user_id'])
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', 'No such device.');
    const ended = await trx.updateTable('sessions').set({ revoked_at: new Date(), revoked_reason: 'device revoked' }).where('device_id', '=', row.id).where('revoked_at', 'is', null).executeTakeFirst();
    await deps.audit.append(trx, {
      ...base(c),
      action: 'device.revoke',
      object: { type: 'device', id: row.id },
      result: 'success',
      details: { deviceId: row.id, ownerId: row.user_id, byOwner: row.user_id === c.principal.userId, sessionsEnded: Number(ended.numUpdatedRows) },
    });
  });
}
