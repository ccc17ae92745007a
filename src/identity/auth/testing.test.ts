/**
 * Test users get a cheap password hash; production hashing does not change.
 */
import argon2 from 'argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { ARGON2_OPTIONS, hashPassword, verifyPassword } from './passwords.js';
import { buildOrg, buildUser, TEST_PASSWORD } from './testing.js';

describe('password hashing parameters', () => {
  it('stay at OWASP\'s argon2id m=19 MiB, t=2, p=1 for every hash the app makes', async () => {
    expect(ARGON2_OPTIONS).toEqual({ type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    expect(await hashPassword('a long enough password 1')).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });
});

describe.each(testDatabaseKinds)('test users on %s', (kind) => {
  let services: Services;
  beforeAll(async () => {
    services = await createTestServices(kind);
  });
  afterAll(async () => {
    await services.close();
  });

  it('are stored with the cheap test hash, which the sign-in check accepts for the test password only', async () => {
    const user = await buildUser(services, await buildOrg(services));
    const row = await services.database.db.selectFrom('users').select('password_hash').where('id', '=', user.userId).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=1024,p=1,t=1\$/);
    expect(await verifyPassword(row.password_hash, TEST_PASSWORD)).toBe(true);
    expect(await verifyPassword(row.password_hash, `${TEST_PASSWORD}!`)).toBe(false);
  });
});
