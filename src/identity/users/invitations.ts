/**
 * Pending invitations: people invited (status `invited`) with the state of
 * their latest link. Revoking spends the link so it cannot be accepted;
 * resending issues a new link (the old one stops working) through the same
 * invitation path as the first time. Every change is audited.
 */
import type { Kysely } from 'kysely';
import type { Principal } from '../auth/access.js';
import { inviteUser, type AuthDeps, type ClientInfo } from '../auth/auth.service.js';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';

export type InvitationState = 'pending' | 'expired' | 'revoked';

export interface InvitationView {
  userId: string;
  email: string;
  name: string;
  invitedAt: string | null;
  expiresAt: string | null;
  invitedBy: string | null;
  state: InvitationState;
}

export async function listInvitations(db: Kysely<Database>, orgId: string, now = new Date()): Promise<InvitationView[]> {
  const users = await db.selectFrom('users').where('org_id', '=', orgId).where('status', '=', 'invited').orderBy('created_at', 'desc').select(['id', 'email', 'name']).execute();
  if (users.length === 0) return [];
  const links = await db
    .selectFrom('auth_links')
    .where('kind', '=', 'invite')
    .where('org_id', '=', orgId)
    .where('user_id', 'in', users.map((u) => u.id))
    .orderBy('created_at', 'desc')
    .select(['user_id', 'created_at', 'expires_at', 'used_at', 'created_by'])
    .execute();
  return users.map((u) => {
    const link = links.find((l) => l.user_id === u.id);
    const state: InvitationState = !link || link.used_at ? 'revoked' : link.expires_at.getTime() <= now.getTime() ? 'expired' : 'pending';
    return {
      userId: u.id,
      email: u.email,
      name: u.name,
      invitedAt: link?.created_at.toISOString() ?? null,
      expiresAt: link?.expires_at.toISOString() ?? null,
      invitedBy: link?.created_by ?? null,
      state,
    };
  });
}

async function invitedUser(db: Kysely<Database>, p: Principal, userId: string) {
  const user = await db.selectFrom('users').where('id', '=', userId).where('org_id', '=', p.orgId).where('status', '=', 'invited').select(['id', 'email', 'name']).executeTakeFirst();
  if (!user) throw new AppError('not_found', 'No such pending invitation.');
  return user;
}

export async function revokeInvitation(deps: Pick<AuthDeps, 'db' | 'audit'>, p: Principal, client: ClientInfo, userId: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').where('id', '=', userId).where('org_id', '=', p.orgId).where('status', '=', 'invited').select('id').executeTakeFirst();
    if (!user) throw new AppError('not_found', 'No such pending invitation.');
    const spent = await trx.updateTable('auth_links').set({ used_at: new Date() }).where('kind', '=', 'invite').where('user_id', '=', user.id).where('used_at', 'is', null).executeTakeFirst();
    await deps.audit.append(trx, {
      orgId: p.orgId, actor: { type: 'user', id: p.userId }, action: 'user.invite_revoke', object: { type: 'user', id: user.id }, result: 'success',
      details: { linksRevoked: Number(spent.numUpdatedRows) }, requestId: client.requestId, sourceIp: client.ip,
    });
  });
}

/** A new link by email; the roles and teams given at the first invitation stay. */
export async function resendInvitation(deps: AuthDeps, p: Principal, client: ClientInfo, userId: string): Promise<void> {
  const user = await invitedUser(deps.db, p, userId);
  await inviteUser(deps, p, client, { email: user.email, name: user.name, roleIds: [], teamIds: [] });
}
