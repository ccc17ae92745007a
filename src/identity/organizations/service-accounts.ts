/**
 * Service accounts for integrations, made by the operator without any person:
 * an account of the organisation that cannot sign in (no password, an address
 * under the reserved `.invalid` domain), holding exactly the permissions its
 * tokens were given through a role of its own, and a scoped service token.
 * Asking again with the same name reuses the account and widens its role to
 * the new scopes. Refused for a suspended or deleted organisation.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../platform/errors.js';
import type { Db } from '../../platform/db/database.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { ClientInfo } from '../auth/auth.service.js';
import { ALL_PERMISSIONS, isPermission } from '../auth/permissions.js';
import { createApiToken } from '../auth/tokens.service.js';
import { findOrganization, slugFromName, type Operator } from './lifecycle.js';
import { SUSPENDED_MESSAGE } from './status.js';

export interface ServiceTokenInput {
  org: string;
  name: string;
  scopes: string[];
  expiresInDays: number;
}

/** Splits and checks a scope list: every entry must be a permission (scopes are permissions, narrowed per token). */
export function parseScopes(list: string): string[] {
  const scopes = [...new Set(list.split(',').map((s) => s.trim()).filter(Boolean))];
  if (!scopes.length) throw new AppError('validation_failed', 'Give at least one scope, e.g. --scopes tickets.read,mailboxes.manage.');
  const unknown = scopes.filter((s) => !isPermission(s));
  if (unknown.length) throw new AppError('validation_failed', `Unknown scope${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}. Known scopes: ${ALL_PERMISSIONS.join(', ')}.`);
  return scopes;
}

export function serviceAccountEmail(orgSlug: string, name: string): string {
  return `${slugFromName(name)}@${orgSlug}.service.invalid`;
}

export async function createServiceToken(
  deps: { db: Db; audit: AuditLog },
  operator: Operator,
  input: ServiceTokenInput,
): Promise<{ id: string; token: string; expiresAt: Date; accountId: string; orgId: string }> {
  const name = input.name.trim();
  if (name.length < 1 || name.length > 80) throw new AppError('validation_failed', 'A service account name has 1 to 80 characters.');
  const scopes = parseScopes(input.scopes.join(','));
  const org = await findOrganization(deps.db, input.org);
  if (org.status === 'suspended') throw new AppError('forbidden', SUSPENDED_MESSAGE);
  if (org.status === 'deleted') throw new AppError('not_found', `No organisation "${input.org}" (it was deleted).`);
  const email = serviceAccountEmail(org.slug, name);
  const actor = { type: 'system' as const, id: operator.id };
  const accountId = await deps.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('users').where('email', '=', email).select(['id', 'org_id', 'status']).executeTakeFirst();
    if (existing && (existing.org_id !== org.id || existing.status !== 'active')) throw new AppError('conflict', `The service account ${email} exists but is not active.`);
    let userId = existing?.id;
    let roleId: string;
    if (!userId) {
      userId = randomUUID();
      roleId = randomUUID();
      await trx.insertInto('users').values({ id: userId, org_id: org.id, email, name: `Service: ${name}`.slice(0, 200), status: 'active', service_account: true }).execute();
      await trx.insertInto('roles').values({ id: roleId, org_id: org.id, key: `service_${userId.replace(/-/g, '').slice(0, 12)}`, name: `Service account: ${name}`.slice(0, 100) }).execute();
      await trx.insertInto('user_roles').values({ user_id: userId, role_id: roleId, granted_by: null }).execute();
      await deps.audit.append(trx, { orgId: org.id, actor, action: 'service_account.create', object: { type: 'user', id: userId }, result: 'success', details: { role: roleId }, requestId: operator.requestId });
    } else {
      const role = await trx.selectFrom('roles').where('org_id', '=', org.id).where('key', '=', `service_${userId.replace(/-/g, '').slice(0, 12)}`).select('id').executeTakeFirst();
      if (!role) throw new AppError('conflict', `The service account ${email} has lost its role; create one under another name.`);
      roleId = role.id;
    }
    const held = await trx.selectFrom('role_permissions').where('role_id', '=', roleId).select('permission').execute();
    const missing = scopes.filter((s) => !held.some((h) => h.permission === s));
    if (missing.length) {
      await trx.insertInto('role_permissions').values(missing.map((permission) => ({ role_id: roleId, permission, scope: 'org' as const }))).execute();
      await deps.audit.append(trx, { orgId: org.id, actor, action: 'role.update', object: { type: 'role', id: roleId }, result: 'success', details: { granted: missing, serviceAccount: userId }, requestId: operator.requestId });
    }
    return userId;
  });
  const client: ClientInfo = { ip: 'cli', userAgent: 'trustdesk-cli', requestId: operator.requestId };
  const created = await createApiToken(deps, null, client, { ownerId: accountId, name: name.slice(0, 100), scopes, expiresInDays: input.expiresInDays, kind: 'service' });
  return { ...created, accountId, orgId: org.id };
}
