/**
 * SCIM Users: list, read, create, replace (PUT), PATCH and DELETE over the
 * organisation's staff. Every write runs in one transaction with its audit
 * event, under the person's row lock, after the If-Match check (412 when the
 * version moved). Deprovisioning (active=false, DELETE) ends every session and
 * revokes every API token at once and marks the person for the next access
 * review; the organisation's last active administrator is refused.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import { isLastActiveAdministrator } from '../auth/auth.service.js';
import { revokeUserSessions } from '../auth/sessions.js';
import { USER_ATTRS } from './attributes.js';
import { assertSeatsAvailable, isLimitReached } from '../organizations/limits.js';
import { ScimError } from './errors.js';
import { requiredEqualities } from './filter.js';
import { applyPatch, type Resource } from './patch.js';
import { etagOf, listResponse, presentUser, userInputFrom, type ListQuery, type StoredUser, type UserInput } from './present.js';
import { loadUsers, type UserNarrowing } from './store.js';

export interface ScimDeps {
  db: Kysely<Database>;
  audit: AuditLog;
}

/** Who calls: the SCIM token of one organisation. */
export interface ScimCaller {
  orgId: string;
  tokenId: string;
  requestId: string;
  ip: string;
  /** https://host/scim/v2, for meta.location and $ref. */
  base: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const notFound = () => new ScimError(404, null, 'No such resource.');

export function checkVersion(resource: Resource, ifMatch: string | undefined): void {
  if (ifMatch === undefined || ifMatch.trim() === '*') return;
  const wanted = ifMatch.split(',').map((s) => s.trim());
  if (!wanted.includes(etagOf(resource))) throw new ScimError(412, null, 'The resource changed since that version (If-Match).');
}

function narrowingOf(q: ListQuery): UserNarrowing {
  const n: UserNarrowing = {};
  for (const { path, value } of q.filter ? requiredEqualities(q.filter) : []) {
    if (path === 'username') n.userName = value;
    else if (path === 'externalid') n.externalId = value;
    else if (path === 'id' && UUID.test(value)) n.id = value;
    else if (path === 'emails.value') n.email = value;
  }
  return n;
}

export async function listScimUsers(deps: ScimDeps, caller: ScimCaller, q: ListQuery): Promise<Resource> {
  // A filter of equalities on userName/externalId/email narrows in SQL first (Entra and Okta look people up one by one).
  const narrow = narrowingOf(q);
  if (narrow.id === undefined && q.filter && requiredEqualities(q.filter).some((e) => e.path === 'id')) return listResponse([], q);
  const users = await loadUsers(deps.db, caller.orgId, narrow);
  return listResponse(users.map((u) => presentUser(u, caller.base)), q);
}

export async function getScimUser(deps: ScimDeps, caller: ScimCaller, id: string): Promise<Resource> {
  if (!UUID.test(id)) throw notFound();
  const [user] = await loadUsers(deps.db, caller.orgId, { id });
  if (!user) throw notFound();
  return presentUser(user, caller.base);
}

async function assertUnique(trx: Transaction<Database>, caller: ScimCaller, input: UserInput, selfId: string | null): Promise<void> {
  const byName = await loadUsers(trx, caller.orgId, { userName: input.userName });
  if (byName.some((u) => u.id !== selfId)) throw new ScimError(409, 'uniqueness', 'A user with this userName exists.');
  if (input.externalId) {
    const byExternal = await trx.selectFrom('scim_users').where('org_id', '=', caller.orgId).where('external_id', '=', input.externalId).where('deleted_at', 'is', null).select('user_id').executeTakeFirst();
    if (byExternal && byExternal.user_id !== selfId) throw new ScimError(409, 'uniqueness', 'A user with this externalId exists.');
  }
  const byEmail = await trx.selectFrom('users').where('email', '=', input.email).select(['id', 'org_id']).executeTakeFirst();
  // An address is one account in the whole installation; whose it is, is not said.
  if (byEmail && byEmail.id !== selfId) throw new ScimError(409, 'uniqueness', 'This email address is already in use.');
}

async function audit(deps: ScimDeps, trx: Transaction<Database>, caller: ScimCaller, action: string, object: { type: string; id: string }, details?: Record<string, unknown>): Promise<void> {
  await deps.audit.append(trx, { orgId: caller.orgId, actor: { type: 'token', id: caller.tokenId }, action, object, result: 'success', ...(details ? { details: { via: 'scim', ...details } } : { details: { via: 'scim' } }), requestId: caller.requestId, sourceIp: caller.ip });
}

export async function createScimUser(deps: ScimDeps, caller: ScimCaller, body: unknown): Promise<Resource> {
  const input = userInputFrom(body);
  const id = await deps.db.transaction().execute(async (trx) => {
    // A person deleted over SCIM and created again is the same person, brought back (their record stays whole).
    const revived = await trx
      .selectFrom('scim_users')
      .innerJoin('users', 'users.id', 'scim_users.user_id')
      .where('scim_users.org_id', '=', caller.orgId)
      .where('scim_users.deleted_at', 'is not', null)
      .where('users.email', '=', input.email)
      .select('users.id')
      .forUpdate('users')
      .executeTakeFirst();
    if (revived) {
      await trx.updateTable('scim_users').set({ deleted_at: null }).where('user_id', '=', revived.id).execute();
      const [current] = await loadUsers(trx, caller.orgId, { id: revived.id });
      await writeUser(deps, trx, caller, current!, input);
      return revived.id;
    }
    await assertUnique(trx, caller, input, null);
    if (input.active) await scimSeat(trx, caller.orgId);
    const userId = randomUUID();
    await trx.insertInto('users').values({ id: userId, org_id: caller.orgId, email: input.email, name: input.name, password_hash: null, status: input.active ? 'active' : 'deactivated', deactivated_at: input.active ? null : new Date() }).execute();
    await trx.insertInto('scim_users').values({ user_id: userId, org_id: caller.orgId, user_name: input.userName, external_id: input.externalId, given_name: input.givenName, family_name: input.familyName, display_name: input.displayName, updated_at: new Date() }).execute();
    await audit(deps, trx, caller, 'user.provision', { type: 'user', id: userId }, { active: input.active });
    return userId;
  });
  return getScimUser(deps, caller, id);
}

export async function replaceScimUser(deps: ScimDeps, caller: ScimCaller, id: string, body: unknown, ifMatch: string | undefined): Promise<Resource> {
  return changeUser(deps, caller, id, ifMatch, () => userInputFrom(body));
}

export async function patchScimUser(deps: ScimDeps, caller: ScimCaller, id: string, body: unknown, ifMatch: string | undefined): Promise<Resource> {
  return changeUser(deps, caller, id, ifMatch, (current) => userInputFrom(applyPatch(current, body, USER_ATTRS)));
}

async function changeUser(deps: ScimDeps, caller: ScimCaller, id: string, ifMatch: string | undefined, next: (current: Resource) => UserInput): Promise<Resource> {
  if (!UUID.test(id)) throw notFound();
  await deps.db.transaction().execute(async (trx) => {
    const [user] = await loadUsers(trx, caller.orgId, { id }, { lock: true });
    if (!user) throw notFound();
    const current = presentUser(user, caller.base);
    checkVersion(current, ifMatch);
    await writeUser(deps, trx, caller, user, next(current));
  });
  return getScimUser(deps, caller, id);
}

/** A seat for a person provisioned or reactivated; the organisation's seat limit answers in SCIM's error format (403). */
async function scimSeat(trx: Transaction<Database>, orgId: string): Promise<void> {
  try {
    await assertSeatsAvailable(trx, orgId);
  } catch (err) {
    if (isLimitReached(err)) throw new ScimError(403, null, err.message);
    throw err;
  }
}

async function writeUser(deps: ScimDeps, trx: Transaction<Database>, caller: ScimCaller, user: StoredUser, input: UserInput): Promise<void> {
  await assertUnique(trx, caller, input, user.id);
  const wasActive = user.status !== 'deactivated';
  if (!wasActive && input.active) await scimSeat(trx, caller.orgId);
  if (wasActive && !input.active) await deprovisionUser(deps, trx, caller, user.id, 'inactive');
  await trx.updateTable('users').set({ email: input.email, name: input.name, ...(!wasActive && input.active ? { status: 'active', deactivated_at: null } : {}) }).where('id', '=', user.id).execute();
  await trx
    .insertInto('scim_users')
    .values({ user_id: user.id, org_id: caller.orgId, user_name: input.userName, external_id: input.externalId, given_name: input.givenName, family_name: input.familyName, display_name: input.displayName, updated_at: new Date() })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ user_name: input.userName, external_id: input.externalId, given_name: input.givenName, family_name: input.familyName, display_name: input.displayName, updated_at: new Date() }))
    .execute();
  const changed = [
    user.email !== input.email ? 'email' : '',
    user.name !== input.name ? 'name' : '',
    (user.userName ?? user.email) !== input.userName ? 'userName' : '',
    user.externalId !== input.externalId ? 'externalId' : '',
  ].filter(Boolean);
  if (!wasActive && input.active) await audit(deps, trx, caller, 'user.reactivate', { type: 'user', id: user.id });
  if (changed.length) await audit(deps, trx, caller, 'user.update', { type: 'user', id: user.id }, { changed });
}

export async function deleteScimUser(deps: ScimDeps, caller: ScimCaller, id: string, ifMatch: string | undefined): Promise<void> {
  if (!UUID.test(id)) throw notFound();
  await deps.db.transaction().execute(async (trx) => {
    const [user] = await loadUsers(trx, caller.orgId, { id }, { lock: true });
    if (!user) throw notFound();
    checkVersion(presentUser(user, caller.base), ifMatch);
    if (user.status !== 'deactivated') await deprovisionUser(deps, trx, caller, id, 'deleted');
    else await trx.insertInto('scim_deprovisionings').values({ id: randomUUID(), org_id: caller.orgId, user_id: id, reason: 'deleted' }).execute();
    await trx
      .insertInto('scim_users')
      .values({ user_id: id, org_id: caller.orgId, user_name: user.userName ?? user.email, external_id: user.externalId, updated_at: new Date(), deleted_at: new Date() })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ deleted_at: new Date(), updated_at: new Date() }))
      .execute();
    await audit(deps, trx, caller, 'user.scim_delete', { type: 'user', id });
  });
}

/**
 * Ends a person's access at once, in the caller's transaction: deactivated, every session ended, every API
 * token revoked, marked for the next access review, audited with the counts.
 */
export async function deprovisionUser(deps: ScimDeps, trx: Transaction<Database>, caller: ScimCaller, userId: string, reason: 'inactive' | 'deleted'): Promise<void> {
  if (await isLastActiveAdministrator(trx, caller.orgId, userId)) {
    throw new ScimError(409, null, 'This is the organisation’s last active administrator; Trustdesk keeps them until another administrator exists.');
  }
  await trx.updateTable('users').set({ status: 'deactivated', deactivated_at: new Date() }).where('id', '=', userId).where('org_id', '=', caller.orgId).execute();
  const sessions = await revokeUserSessions(trx, userId, 'deprovisioned');
  const tokens = await trx.updateTable('api_tokens').set({ revoked_at: new Date() }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
  await trx.insertInto('scim_deprovisionings').values({ id: randomUUID(), org_id: caller.orgId, user_id: userId, reason }).execute();
  await audit(deps, trx, caller, 'user.deprovision', { type: 'user', id: userId }, { reason, sessionsEnded: sessions, tokensRevoked: Number(tokens.numUpdatedRows) });
}
