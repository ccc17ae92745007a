/**
 * Test factories for identity: organisations with built-in roles, staff
 * accounts and signed-in sessions (`signIn` gives the cookie and CSRF header
 * an HTTP test sends). Factories, not fixtures (STYLE.md rule 22).
 */
import { randomUUID } from 'node:crypto';
import argon2 from 'argon2';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../platform/app/services.js';
import { createBuiltInRoles } from './principals.js';
import { createSession, csrfTokenFor, SESSION_COOKIE } from './sessions.js';

export type RoleKey = 'agent' | 'supervisor' | 'administrator' | 'security_officer' | 'auditor';

export interface TestOrg {
  orgId: string;
  roleIds: Record<string, string>;
}

export async function buildOrg(services: Services, name = `Org ${randomUUID().slice(0, 8)}`): Promise<TestOrg> {
  const orgId = randomUUID();
  return services.database.db.transaction().execute(async (trx) => {
    await trx.insertInto('organizations').values({ id: orgId, name }).execute();
    return { orgId, roleIds: await createBuiltInRoles(trx, orgId) };
  });
}

export async function buildTeam(services: Services, org: TestOrg, name = `Team ${randomUUID().slice(0, 8)}`): Promise<string> {
  const id = randomUUID();
  await services.database.db.insertInto('teams').values({ id, org_id: org.orgId, name }).execute();
  return id;
}

export const TEST_PASSWORD = 'correct horse battery staple 42';
/**
 * Test users' stored hash: argon2id at the smallest cost argon2 accepts, so a
 * test's sign-in verifies in a millisecond instead of tens (decision 0135).
 * Only stored rows built here use it; hashPassword and its production
 * parameters (passwords.ts) are untouched, and whatever the app hashes itself
 * (password changes, set-up, invitations) still uses them.
 */
export const TEST_ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 1024, timeCost: 1, parallelism: 1 } as const;
let cachedHash: Promise<string> | undefined;

export interface TestUser {
  userId: string;
  orgId: string;
  email: string;
  password: string;
}

export async function buildUser(services: Services, org: TestOrg, options: { roles?: RoleKey[]; teamIds?: string[]; email?: string; name?: string; status?: 'active' | 'invited' | 'deactivated' } = {}): Promise<TestUser> {
  cachedHash ??= argon2.hash(TEST_PASSWORD, TEST_ARGON2_OPTIONS);
  const userId = randomUUID();
  const email = options.email ?? `user-${userId.slice(0, 8)}@staff.example`;
  const db = services.database.db;
  await db.insertInto('users').values({ id: userId, org_id: org.orgId, email, name: options.name ?? 'Test User', password_hash: await cachedHash, status: options.status ?? 'active' }).execute();
  for (const role of options.roles ?? ['agent']) {
    await db.insertInto('user_roles').values({ user_id: userId, role_id: org.roleIds[role] as string, granted_by: null }).execute();
  }
  for (const teamId of options.teamIds ?? []) await db.insertInto('team_members').values({ team_id: teamId, user_id: userId }).execute();
  return { userId, orgId: org.orgId, email, password: TEST_PASSWORD };
}

export interface SignedIn extends TestUser {
  token: string;
  headers: { cookie: string; 'x-csrf-token': string };
}

/** A session for the user; with a verified second factor unless `mfa: false`. */
export async function signInAs(app: FastifyInstance, user: TestUser, options: { mfa?: false | 'totp' | 'webauthn'; stepUp?: boolean } = {}): Promise<SignedIn> {
  const method = options.mfa === undefined ? 'webauthn' : options.mfa;
  const session = await createSession(app.services.database.db, {
    userId: user.userId,
    orgId: user.orgId,
    ip: '127.0.0.1',
    userAgent: 'vitest',
    policy: app.auth.policy,
    mfa: method ? { at: new Date(), method } : null,
  });
  if (options.stepUp === false) {
    await app.services.database.db.updateTable('sessions').set({ mfa_at: new Date(Date.now() - 24 * 3_600_000) }).where('id_hash', '=', session.idHash).execute();
  }
  return { ...user, token: session.token, headers: { cookie: `${SESSION_COOKIE}=${session.token}`, 'x-csrf-token': csrfTokenFor(session.token, app.auth.csrfKey) } };
}

/** Shortcut: a new user with these roles, signed in. */
export async function signIn(app: FastifyInstance, org: TestOrg, options: { roles?: RoleKey[]; teamIds?: string[]; mfa?: false | 'totp' | 'webauthn'; stepUp?: boolean } = {}): Promise<SignedIn> {
  const user = await buildUser(app.services, org, { roles: options.roles ?? ['agent'], teamIds: options.teamIds ?? [] });
  return signInAs(app, user, options);
}
