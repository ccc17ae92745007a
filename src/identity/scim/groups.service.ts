/**
 * SCIM Groups are Trustdesk teams: displayName is the team's name, members its
 * members. Roles follow membership where an administrator mapped the team to a
 * role (scim_role_mappings): joining grants it, leaving takes it back unless
 * another mapped team still gives it. A member that is not a user of this
 * organisation is invalidValue and nothing is applied. DELETE ends the group's
 * provisioning and memberships; the team itself goes too unless tickets,
 * mailboxes or access reviews still point at it.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { GROUP_ATTRS } from './attributes.js';
import { ScimError } from './errors.js';
import { requiredEqualities } from './filter.js';
import { applyPatch, type Resource } from './patch.js';
import { groupInputFrom, listResponse, presentGroup, type GroupInput, type ListQuery, type StoredGroup } from './present.js';
import { existingUserIds, loadGroups, type GroupNarrowing } from './store.js';
import { checkVersion, type ScimCaller, type ScimDeps } from './users.service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const notFound = () => new ScimError(404, null, 'No such resource.');

export async function listScimGroups(deps: ScimDeps, caller: ScimCaller, q: ListQuery): Promise<Resource> {
  const narrow: GroupNarrowing = {};
  for (const { path, value } of q.filter ? requiredEqualities(q.filter) : []) {
    if (path === 'displayname') narrow.displayName = value;
    else if (path === 'externalid') narrow.externalId = value;
    else if (path === 'id') {
      if (!UUID.test(value)) return listResponse([], q);
      narrow.id = value;
    }
  }
  // Entra lists with excludedAttributes=members: the members are not read at all then.
  const skipMembers = q.excludedAttributes?.includes('members') === true && !q.filter;
  const groups = await loadGroups(deps.db, caller.orgId, narrow, { members: !skipMembers });
  return listResponse(groups.map((g) => presentGroup(g, caller.base)), q);
}

export async function getScimGroup(deps: ScimDeps, caller: ScimCaller, id: string): Promise<Resource> {
  if (!UUID.test(id)) throw notFound();
  const [group] = await loadGroups(deps.db, caller.orgId, { id });
  if (!group) throw notFound();
  return presentGroup(group, caller.base);
}

async function audit(deps: ScimDeps, trx: Transaction<Database>, caller: ScimCaller, action: string, teamId: string, details: Record<string, unknown> = {}): Promise<void> {
  await deps.audit.append(trx, { orgId: caller.orgId, actor: { type: 'token', id: caller.tokenId }, action, object: { type: 'team', id: teamId }, result: 'success', details: { via: 'scim', ...details }, requestId: caller.requestId, sourceIp: caller.ip });
}

async function assertMembers(trx: Transaction<Database>, caller: ScimCaller, ids: string[]): Promise<void> {
  const found = await existingUserIds(trx, caller.orgId, ids);
  if (ids.some((id) => !found.has(id))) throw new ScimError(400, 'invalidValue', 'A member is not a user of this organisation.');
}

async function assertNameFree(trx: Transaction<Database>, caller: ScimCaller, name: string, selfId: string | null): Promise<void> {
  // Every team, provisioned or not (a team kept after a DELETE still holds its name).
  const clash = await trx.selectFrom('teams').where('org_id', '=', caller.orgId).where(sql<string>`lower(name)`, '=', name.toLowerCase()).select('id').executeTakeFirst();
  if (clash && clash.id !== selfId) throw new ScimError(409, 'uniqueness', 'A group with this displayName exists.');
}

async function assertExternalIdFree(trx: Transaction<Database>, caller: ScimCaller, externalId: string | null, selfId: string | null): Promise<void> {
  if (!externalId) return;
  const clash = await trx.selectFrom('scim_groups').where('org_id', '=', caller.orgId).where('external_id', '=', externalId).select('team_id').executeTakeFirst();
  if (clash && clash.team_id !== selfId) throw new ScimError(409, 'uniqueness', 'A group with this externalId exists.');
}

export async function createScimGroup(deps: ScimDeps, caller: ScimCaller, body: unknown): Promise<Resource> {
  const input = groupInputFrom(body);
  const id = randomUUID();
  await deps.db.transaction().execute(async (trx) => {
    await assertNameFree(trx, caller, input.displayName, null);
    await assertExternalIdFree(trx, caller, input.externalId, null);
    await assertMembers(trx, caller, input.memberIds);
    await trx.insertInto('teams').values({ id, org_id: caller.orgId, name: input.displayName }).execute();
    await trx.insertInto('scim_groups').values({ team_id: id, org_id: caller.orgId, external_id: input.externalId, updated_at: new Date() }).execute();
    await setMembers(trx, caller, id, [], input.memberIds);
    await audit(deps, trx, caller, 'team.provision', id, { members: input.memberIds.length });
  });
  return getScimGroup(deps, caller, id);
}

export async function replaceScimGroup(deps: ScimDeps, caller: ScimCaller, id: string, body: unknown, ifMatch: string | undefined): Promise<Resource> {
  return changeGroup(deps, caller, id, ifMatch, () => groupInputFrom(body));
}

export async function patchScimGroup(deps: ScimDeps, caller: ScimCaller, id: string, body: unknown, ifMatch: string | undefined): Promise<Resource> {
  return changeGroup(deps, caller, id, ifMatch, (current) => groupInputFrom(applyPatch(current, body, GROUP_ATTRS)));
}

async function changeGroup(deps: ScimDeps, caller: ScimCaller, id: string, ifMatch: string | undefined, next: (current: Resource) => GroupInput): Promise<Resource> {
  if (!UUID.test(id)) throw notFound();
  await deps.db.transaction().execute(async (trx) => {
    const [group] = await loadGroups(trx, caller.orgId, { id }, { lock: true });
    if (!group) throw notFound();
    const current = presentGroup(group, caller.base);
    checkVersion(current, ifMatch);
    await writeGroup(deps, trx, caller, group, next(current));
  });
  return getScimGroup(deps, caller, id);
}

async function writeGroup(deps: ScimDeps, trx: Transaction<Database>, caller: ScimCaller, group: StoredGroup, input: GroupInput): Promise<void> {
  await assertNameFree(trx, caller, input.displayName, group.id);
  await assertExternalIdFree(trx, caller, input.externalId, group.id);
  await assertMembers(trx, caller, input.memberIds);
  if (group.name !== input.displayName) await trx.updateTable('teams').set({ name: input.displayName }).where('id', '=', group.id).execute();
  await trx
    .insertInto('scim_groups')
    .values({ team_id: group.id, org_id: caller.orgId, external_id: input.externalId, updated_at: new Date() })
    .onConflict((oc) => oc.column('team_id').doUpdateSet({ external_id: input.externalId, updated_at: new Date() }))
    .execute();
  const { added, removed } = await setMembers(trx, caller, group.id, group.members.map((m) => m.id), input.memberIds);
  await audit(deps, trx, caller, 'team.update', group.id, { renamed: group.name !== input.displayName, added, removed });
}

/** Memberships from `before` to `after`, with the mapped roles following. */
async function setMembers(trx: Transaction<Database>, caller: ScimCaller, teamId: string, before: string[], after: string[]): Promise<{ added: number; removed: number }> {
  const add = after.filter((id) => !before.includes(id));
  const remove = before.filter((id) => !after.includes(id));
  if (add.length) await trx.insertInto('team_members').values(add.map((user_id) => ({ team_id: teamId, user_id }))).onConflict((oc) => oc.doNothing()).execute();
  if (remove.length) await trx.deleteFrom('team_members').where('team_id', '=', teamId).where('user_id', 'in', remove).execute();
  const mapped = await trx.selectFrom('scim_role_mappings').where('team_id', '=', teamId).where('org_id', '=', caller.orgId).select('role_id').execute();
  for (const { role_id } of mapped) {
    if (add.length) await trx.insertInto('user_roles').values(add.map((user_id) => ({ user_id, role_id, granted_by: null }))).onConflict((oc) => oc.doNothing()).execute();
    for (const userId of remove) {
      const stillGiven = await trx
        .selectFrom('scim_role_mappings')
        .innerJoin('team_members', 'team_members.team_id', 'scim_role_mappings.team_id')
        .where('scim_role_mappings.role_id', '=', role_id)
        .where('team_members.user_id', '=', userId)
        .select('team_members.team_id')
        .executeTakeFirst();
      if (!stillGiven) await trx.deleteFrom('user_roles').where('user_id', '=', userId).where('role_id', '=', role_id).execute();
    }
  }
  return { added: add.length, removed: remove.length };
}

export async function deleteScimGroup(deps: ScimDeps, caller: ScimCaller, id: string, ifMatch: string | undefined): Promise<void> {
  if (!UUID.test(id)) throw notFound();
  await deps.db.transaction().execute(async (trx) => {
    const [group] = await loadGroups(trx, caller.orgId, { id }, { lock: true });
    if (!group) throw notFound();
    checkVersion(presentGroup(group, caller.base), ifMatch);
    await setMembers(trx, caller, id, group.members.map((m) => m.id), []);
    const ticket = await trx.selectFrom('tickets').where('team_id', '=', id).select('id').limit(1).executeTakeFirst();
    const mailbox = await trx.selectFrom('mailboxes').where('team_id', '=', id).select('id').limit(1).executeTakeFirst();
    const review = await trx.selectFrom('access_review_campaigns').where('team_id', '=', id).select('id').limit(1).executeTakeFirst();
    const kept = Boolean(ticket || mailbox || review);
    if (kept) {
      // The team still holds work: it stays, empty, and is gone from SCIM (404 from now on).
      await trx
        .insertInto('scim_groups')
        .values({ team_id: id, org_id: caller.orgId, external_id: null, updated_at: new Date(), deleted_at: new Date() })
        .onConflict((oc) => oc.column('team_id').doUpdateSet({ external_id: null, deleted_at: new Date(), updated_at: new Date() }))
        .execute();
    } else {
      await trx.deleteFrom('teams').where('id', '=', id).execute();
    }
    await audit(deps, trx, caller, 'team.scim_delete', id, { teamKept: kept, removed: group.members.length });
  });
}
