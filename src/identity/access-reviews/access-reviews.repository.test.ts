import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { buildOrg, buildUser } from '../auth/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { findExercisedPermissions } from './access-reviews.repository.js';
import { ACTION_PERMISSIONS, permissionsForAction } from './usage.js';

/** Actions near the mapping's edges: exact names, family members, near misses. */
function sampleActions(): string[] {
  const segment = fc.constantFrom('ticket', 'customer', 'read', 'read_masked', 'status', 'change', 'field', 'reveal', 'user', 'roles_change', 'access_review', 'item', 'key', 'keys', 'rotate', 'session', 'revoke_all', 'x', '');
  const random = fc.sample(fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('.')), { numRuns: 120, seed: 4242 });
  const fromTable = ACTION_PERMISSIONS.flatMap(([p]) => (p.endsWith('.') ? [`${p}anything`, p.slice(0, -1), `${p.slice(0, -1)}x.y`] : [p, `${p}x`, `${p}.more`]));
  return [...new Set([...fromTable, ...random].filter((a) => a.length > 0))];
}

describe.each(testDatabaseKinds)('exercised permissions in SQL on %s', (kind) => {
  let services: Services;
  beforeAll(async () => {
    services = await createTestServices(kind);
  });
  afterAll(async () => {
    await services?.close();
  });

  it('matches actions to permissions exactly as permissionsForAction does', async () => {
    const org = await buildOrg(services);
    const db = services.database.db;
    const actions = sampleActions();
    const byUser = new Map<string, string>();
    for (const action of actions) {
      const user = await buildUser(services, org, { roles: [] });
      byUser.set(user.userId, action);
      await db.insertInto('audit_log').values({
        id: randomUUID(), ts: new Date(), org_id: org.orgId, actor_type: 'user', actor_id: user.userId, action, result: 'success',
        object_type: null, object_id: null, subject: null, purpose: null, request_id: null, source_ip: null, details: null,
      }).execute();
    }
    const rows = await findExercisedPermissions(db, { orgId: org.orgId, teamId: null, since: new Date(Date.now() - 60_000) });
    const got = new Map<string, string[]>();
    for (const r of rows) got.set(r.user_id, [...(got.get(r.user_id) ?? []), r.permission].sort());
    for (const [userId, action] of byUser) {
      expect(got.get(userId) ?? [], action).toEqual(permissionsForAction(action).sort());
    }
    expect(rows.length).toBeGreaterThan(40);
  });
});
