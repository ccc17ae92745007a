/**
 * Key rotation must reach every encrypted column: it retires the old key version when it finishes, so a column it
 * does not know would be unreadable afterwards. The registry is checked against the live schema, and an
 * organisation key — which protects staff secrets (TOTP, phone numbers, webhook secrets) as well as report
 * comments — is rotated end to end.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServices } from '../../platform/app/testing.js';
import type { Services } from '../../platform/app/services.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { Keyring } from './keyring.js';
import { ENCRYPTED_COLUMNS, runKeyRotation, startKeyRotation } from './rotation.js';

describe.each(testDatabaseKinds)('data key rotation on %s', (kind) => {
  let s: Services;
  beforeAll(async () => {
    s = await createTestServices(kind);
  });
  afterAll(async () => s?.close());

  it('knows every encrypted column of the schema', async () => {
    const { rows } = await sql<{ table_name: string; column_name: string }>`
      SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND column_name LIKE '%\\_enc' AND data_type = 'bytea'`.execute(s.database.db);
    const inSchema = rows.map((r) => `${r.table_name}.${r.column_name}`).sort();
    const registered = ENCRYPTED_COLUMNS.flatMap((spec) => spec.columns.map((c) => `${spec.table}.${c}`)).sort();
    expect(inSchema.length).toBeGreaterThan(10);
    expect(inSchema.filter((c) => !registered.includes(c))).toEqual([]);
    expect(registered.filter((c) => !inSchema.includes(c))).toEqual([]);
  });

  it('rotating an organisation key keeps staff secrets and report comments readable', async () => {
    const db = s.database.db;
    const orgId = randomUUID();
    const userId = randomUUID();
    const webhookId = randomUUID();
    await db.insertInto('organizations').values({ id: orgId, name: 'Rotating' }).execute();
    await db.insertInto('users').values({ id: userId, org_id: orgId, email: `r-${userId.slice(0, 8)}@staff.example`, name: 'R', status: 'active' }).execute();
    const owner = { type: 'organization' as const, id: orgId };
    const totp = { table: 'mfa_totp', column: 'secret_enc', rowId: userId };
    const phone = { table: 'user_phones', column: 'phone_enc', rowId: userId };
    const hook = { table: 'webhook_subscriptions', column: 'secret_enc', rowId: webhookId };
    await db.insertInto('mfa_totp').values({ user_id: userId, secret_enc: await s.keyring.encrypt(owner, totp, 'JBSWY3DPEHPK3PXP') }).execute();
    await db.insertInto('user_phones').values({ user_id: userId, phone_enc: await s.keyring.encrypt(owner, phone, '+447700900123') }).execute();
    await db
      .insertInto('webhook_subscriptions')
      .values({ id: webhookId, org_id: orgId, url: 'https://hooks.example/x', events: ['ticket.created'], secret_enc: await s.keyring.encrypt(owner, hook, 'whsec_abc') })
      .execute();

    const key = await db.selectFrom('data_keys').where('owner_id', '=', orgId).select('id').executeTakeFirstOrThrow();
    const rotationId = await startKeyRotation({ db, keyring: s.keyring, keyId: key.id });
    const result = await runKeyRotation({ db, keyring: s.keyring, rotationId, batchSize: 1 });
    expect(result.total).toBe(3);

    // A keyring with an empty cache must read everything under the new version; the old one is destroyed.
    const fresh = new Keyring({ db, provider: s.keyring.provider });
    const row = (t: 'mfa_totp' | 'user_phones') => db.selectFrom(t).where('user_id', '=', userId).selectAll().executeTakeFirstOrThrow();
    expect(await fresh.decrypt(totp, ((await row('mfa_totp')) as { secret_enc: Uint8Array }).secret_enc)).toBe('JBSWY3DPEHPK3PXP');
    expect(await fresh.decrypt(phone, ((await row('user_phones')) as { phone_enc: Uint8Array }).phone_enc)).toBe('+447700900123');
    const w = await db.selectFrom('webhook_subscriptions').where('id', '=', webhookId).select('secret_enc').executeTakeFirstOrThrow();
    expect(await fresh.decrypt(hook, w.secret_enc)).toBe('whsec_abc');
    const retired = await db.selectFrom('data_key_versions').where('key_id', '=', key.id).where('version', '=', 1).select('wrapped').executeTakeFirstOrThrow();
    expect(retired.wrapped).toBeNull();
  });
});
