/**
 * Where customer data may go (decision 0216). Per role, an organisation may say that attachments, data exports,
 * copies of revealed fields and printing are allowed only from a registered device, and — when the role has a
 * network list — only from those networks. A person with several roles gets the strictest: a device if any of
 * their roles asks for one, and an address inside every non-empty list. No policy row: no restriction.
 *
 * The console itself keeps working everywhere (answering tickets is not taking data away); only the routes that
 * hand over files or exports call `enforceDataEgress`, which refuses with a problem+json explanation the console
 * shows. An API token has no device: where a device is required, a token is refused too.
 *
 * A network list that would lock every administrator out of exports — the one saving it is outside it and no
 * other policy manager's registered device was last seen inside — is refused with the reason.
 */
import type { Kysely } from 'kysely';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import type { Principal } from '../auth/access.js';
import { addressAllowed } from '../auth/principals.js';
import { validateCidrs } from '../users/users.service.js';
import { writeDeviceSettings } from './settings.js';
import type { Watermark } from './watermark.js';
import './schema.js';

export type EgressReason = 'unregistered_device' | 'device_pending' | 'network' | 'token';

export interface EgressDecision {
  allowed: boolean;
  reason: EgressReason | null;
  message: string | null;
  /** The session's registered device (for the audit trail and watermarks), or null. */
  device: { id: string; name: string } | null;
}

export const EGRESS_MESSAGES: Record<EgressReason, string> = {
  unregistered_device:
    'Files and exports are not available on this browser: your organisation allows customer data only on registered devices. Register this browser under Account → Devices, or use a registered one. You can still answer tickets here.',
  device_pending:
    'Files and exports are not available on this browser yet: it is registered, but your organisation asks another administrator to approve new devices first. You can still answer tickets here.',
  network: 'Files and exports are not available from this network: your organisation allows customer data only from its listed networks. You can still answer tickets here.',
  token: 'Files and exports need a registered device under your organisation’s policy; an API token has none.',
};

interface RolePolicy {
  require_device: boolean;
  allowed_cidrs: string[];
}

async function policiesOf(db: Executor, orgId: string, userId: string): Promise<RolePolicy[]> {
  return db
    .selectFrom('data_egress_policies as p')
    .innerJoin('user_roles as ur', 'ur.role_id', 'p.role_id')
    .where('ur.user_id', '=', userId)
    .where('p.org_id', '=', orgId)
    .select(['p.require_device', 'p.allowed_cidrs'])
    .execute();
}

/** Pure: the decision for a caller's policies, address and device. */
export function decideEgress(policies: readonly RolePolicy[], input: { kind: 'session' | 'token'; ip: string; hasDevice: boolean; pending?: boolean }): { allowed: boolean; reason: EgressReason | null } {
  const requireDevice = policies.some((p) => p.require_device);
  const lists = policies.map((p) => p.allowed_cidrs).filter((l) => l.length > 0);
  if (requireDevice && input.kind === 'token') return { allowed: false, reason: 'token' };
  if (requireDevice && !input.hasDevice) return { allowed: false, reason: input.pending ? 'device_pending' : 'unregistered_device' };
  if (lists.length > 0 && !addressAllowed(input.ip, lists)) return { allowed: false, reason: 'network' };
  return { allowed: true, reason: null };
}

export async function evaluateDataEgress(db: Executor, p: Principal, ip: string): Promise<EgressDecision> {
  const device = p.deviceId
    ? await db.selectFrom('devices').where('id', '=', p.deviceId).where('user_id', '=', p.userId).where('revoked_at', 'is', null).select(['id', 'name', 'approved_at']).executeTakeFirst()
    : undefined;
  // A device waiting for approval is not yet a registered device (decision 0222).
  const approved = Boolean(device?.approved_at);
  const decision = decideEgress(await policiesOf(db, p.orgId, p.userId), { kind: p.kind, ip, hasDevice: approved, pending: Boolean(device) && !approved });
  return { ...decision, message: decision.reason ? EGRESS_MESSAGES[decision.reason] : null, device: device ? { id: device.id, name: device.name } : null };
}

export interface EgressContext {
  principal: Principal;
  requestId?: string | null;
  sourceIp?: string | null;
}

/**
 * For routes that hand over customer data in bulk (exports): allowed → audited `data.egress` success with the
 * device, and the watermark to stamp on the file; refused → audited denied with the reason, then a 403 whose
 * detail the console shows.
 */
export async function enforceDataEgress(deps: { db: Kysely<Database>; audit: AuditLog }, ctx: EgressContext, what: { channel: string; object?: { type: string; id: string } | null }): Promise<Watermark> {
  const p = ctx.principal;
  const ip = ctx.sourceIp ?? p.ip;
  const d = await evaluateDataEgress(deps.db, p, ip);
  await deps.audit.record({
    orgId: p.orgId,
    actor: { type: p.kind === 'token' ? 'token' : 'user', id: p.kind === 'token' ? (p.tokenId ?? p.userId) : p.userId },
    action: 'data.egress',
    object: what.object ?? null,
    result: d.allowed ? 'success' : 'denied',
    requestId: ctx.requestId ?? null,
    sourceIp: ip,
    details: { channel: what.channel, deviceId: d.device?.id ?? null, ...(d.reason ? { reason: d.reason } : {}) },
  });
  if (!d.allowed) throw egressRefusal(d);
  return { exporter: { id: p.userId, name: p.name, email: p.email }, at: new Date(), device: d.device };
}

export function egressRefusal(d: Pick<EgressDecision, 'reason' | 'message'>): AppError {
  return new AppError('forbidden', d.message ?? EGRESS_MESSAGES.unregistered_device, { internal: `data egress refused: ${d.reason}`, extra: { egress: d.reason } });
}

export interface RoleEgressPolicyView {
  roleId: string;
  roleKey: string;
  roleName: string;
  requireDevice: boolean;
  allowedCidrs: string[];
}

export async function readEgressPolicy(db: Executor, orgId: string): Promise<RoleEgressPolicyView[]> {
  const rows = await db
    .selectFrom('roles as r')
    .leftJoin('data_egress_policies as p', 'p.role_id', 'r.id')
    .where('r.org_id', '=', orgId)
    .orderBy('r.built_in', 'desc')
    .orderBy('r.name')
    .select(['r.id', 'r.key', 'r.name', 'p.require_device', 'p.allowed_cidrs'])
    .execute();
  return rows.map((r) => ({ roleId: r.id, roleKey: r.key, roleName: r.name, requireDevice: r.require_device ?? false, allowedCidrs: r.allowed_cidrs ?? [] }));
}

/**
 * Saves the policy of the roles given (others keep theirs). Refused when it would lock every policy manager out:
 * the saver's own address is outside what their roles would allow and no other policy manager's registered
 * device was last seen at an address their roles would allow.
 */
export async function saveEgressPolicy(
  deps: { db: Kysely<Database>; audit: AuditLog },
  ctx: { principal: Principal; ip: string; requestId: string },
  input: { roles: Array<{ roleId: string; requireDevice: boolean; allowedCidrs: string[] }>; approvalRequired?: boolean | undefined },
): Promise<void> {
  const p = ctx.principal;
  for (const r of input.roles) validateCidrs(r.allowedCidrs);
  await deps.db.transaction().execute(async (trx) => {
    const ids = [...new Set(input.roles.map((r) => r.roleId))];
    if (ids.length !== input.roles.length) throw new AppError('validation_failed', 'Each role may appear once.');
    const known = ids.length ? await trx.selectFrom('roles').where('org_id', '=', p.orgId).where('id', 'in', ids).select('id').execute() : [];
    if (known.length !== ids.length) throw new AppError('not_found', 'No such role.');
    const now = new Date();
    for (const r of input.roles) {
      await trx
        .insertInto('data_egress_policies')
        .values({ role_id: r.roleId, org_id: p.orgId, require_device: r.requireDevice, allowed_cidrs: r.allowedCidrs, updated_at: now, updated_by: p.userId })
        .onConflict((oc) => oc.column('role_id').doUpdateSet({ require_device: r.requireDevice, allowed_cidrs: r.allowedCidrs, updated_at: now, updated_by: p.userId }))
        .execute();
    }
    if (input.approvalRequired !== undefined) await writeDeviceSettings(trx, p.orgId, { approvalRequired: input.approvalRequired });
    const lockout = await wouldLockOutManagers(trx, p, ctx.ip);
    if (lockout) {
      throw new AppError('conflict', `This network list would lock every administrator out of files and exports: your address ${ctx.ip} is not inside it, and no other administrator’s registered device was last seen inside it. Add your network (or theirs) first.`, {
        extra: { errors: [{ field: 'allowedCidrs', message: 'would lock every administrator out' }], lockout: true },
      });
    }
    await deps.audit.append(trx, {
      orgId: p.orgId,
      actor: { type: 'user', id: p.userId },
      action: 'policy.data_egress_change',
      object: { type: 'organization', id: p.orgId },
      result: 'success',
      requestId: ctx.requestId,
      sourceIp: ctx.ip,
      details: { roles: input.roles.map((r) => ({ roleId: r.roleId, requireDevice: r.requireDevice, allowedCidrs: r.allowedCidrs })), ...(input.approvalRequired !== undefined ? { approvalRequired: input.approvalRequired } : {}) },
    });
  });
}

/** Inside the saving transaction (the new rows visible): can any policy manager still reach exports from a known address? */
async function wouldLockOutManagers(trx: Executor, p: Principal, ip: string): Promise<boolean> {
  const listsFor = async (userId: string) => (await policiesOf(trx, p.orgId, userId)).map((x) => x.allowed_cidrs).filter((l) => l.length > 0);
  const mine = await listsFor(p.userId);
  if (mine.length === 0 || addressAllowed(ip, mine)) return false;
  const managers = await trx
    .selectFrom('user_roles as ur')
    .innerJoin('roles as r', 'r.id', 'ur.role_id')
    .innerJoin('role_permissions as rp', 'rp.role_id', 'r.id')
    .innerJoin('users as u', 'u.id', 'ur.user_id')
    .where('r.org_id', '=', p.orgId)
    .where('rp.permission', '=', 'policies.manage')
    .where('u.status', '=', 'active')
    .where('u.id', '!=', p.userId)
    .select('u.id')
    .distinct()
    .execute();
  for (const m of managers) {
    const lists = await listsFor(m.id);
    if (lists.length === 0) return false;
    const seen = await trx.selectFrom('devices').where('user_id', '=', m.id).where('revoked_at', 'is', null).where('last_ip', 'is not', null).select('last_ip').execute();
    if (seen.some((d) => addressAllowed(d.last_ip as string, lists))) return false;
  }
  return true;
}
