import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServices } from '../../platform/app/testing.js';
import type { Services } from '../../platform/app/services.js';
import type { ActingContext } from '../../helpdesk/customers/customers.service.js';
import { createCustomer, eraseCustomer, findCustomerIdsByEmail, readCustomer } from '../../helpdesk/customers/customers.service.js';
import { dumpAllTables, dumpContains } from '../../platform/db/dump.js';
import { recordingDb } from '../../platform/db/recording.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { CiphertextInvalidError, KeyDestroyedError } from '../../platform/errors.js';
import { EnvKeyProvider } from './key-provider.js';
import { Keyring } from './keyring.js';
import { runKeyRotation, startKeyRotation } from './rotation.js';
import { randomBytes, randomUUID } from 'node:crypto';

describe.each(testDatabaseKinds)('keyring and encrypted customer fields on %s', (kind) => {
  let s: Services;
  let ctx: ActingContext;
  const deps = () => ({ db: s.database.db, keyring: s.keyring, audit: s.audit });

  beforeAll(async () => {
    s = await createTestServices(kind);
    const orgId = randomUUID();
    await s.database.db.insertInto('organizations').values({ id: orgId, name: 'Acme' }).execute();
    ctx = { orgId, actor: { type: 'system', id: 'test' } };
  });
  afterAll(async () => s?.close());

  it('stores no plaintext: a raw dump of every table contains none of the written values', async () => {
    const people = [
      { name: 'Zebulon Quartermaine', email: 'zebulon.q@example.org' },
      { name: 'Ngozi Adebayo-Whitfield', email: 'ngozi.aw@example.net' },
    ];
    for (const p of people) await createCustomer(deps(), ctx, p);
    await s.audit.flush();
    const dump = await dumpAllTables(s.database.db);
    expect(dump).toContain('-- customers');
    for (const p of people) {
      expect(dumpContains(dump, p.name)).toBe(false);
      expect(dumpContains(dump, p.email)).toBe(false);
      expect(dumpContains(dump, p.email.split('@')[0] as string)).toBe(false);
    }
  });

  it.skipIf(kind !== 'postgres')('creates an owner’s first key with its version in one step: a caller losing the race never reads a key without one', async () => {
    // Another session holds back writes to data_key_versions: with two statements the key row was already visible
    // to the second caller while its version waited, and that caller failed with "unknown key".
    const orgId = randomUUID();
    await s.database.db.insertInto('organizations').values({ id: orgId, name: 'Race' }).execute();
    const [first, second] = [0, 1].map(() => new Keyring({ db: s.database.db, provider: s.keyring.provider }));
    const hashes = await s.database.db.connection().execute(async (conn) => {
      await sql`begin`.execute(conn);
      await sql`lock table data_key_versions in exclusive mode`.execute(conn);
      const a = first!.exactKeyedHash(orgId, { table: 't', column: 'c' }, 'v');
      await new Promise((r) => setTimeout(r, 150));
      const b = second!.exactKeyedHash(orgId, { table: 't', column: 'c' }, 'v');
      await new Promise((r) => setTimeout(r, 150));
      await sql`commit`.execute(conn);
      return Promise.all([a, b]);
    });
    expect(hashes[0]!.equals(hashes[1]!)).toBe(true);
    expect(await s.database.db.selectFrom('data_keys').where('owner_id', '=', orgId).select('id').execute()).toHaveLength(1);
  });

  it('round-trips and finds customers by email through the blind index, case-insensitively', async () => {
    const { id } = await createCustomer(deps(), ctx, { name: 'Élodie Brûlé', email: 'Elodie@Example.com' });
    const view = await readCustomer(deps(), ctx, { customerId: id, purpose: 'test' });
    expect(view).toEqual({ id, erased: false, name: 'Élodie Brûlé', email: 'Elodie@Example.com' });
    expect(await findCustomerIdsByEmail(deps(), ctx, '  elodie@EXAMPLE.com ')).toEqual([id]);
    expect(await findCustomerIdsByEmail(deps(), ctx, 'nobody@example.com')).toEqual([]);
  });

  it('does not decrypt a ciphertext moved to another row', async () => {
    const a = await createCustomer(deps(), ctx, { name: 'Alice Swap', email: 'alice.swap@example.com' });
    const b = await createCustomer(deps(), ctx, { name: 'Bob Swap', email: 'bob.swap@example.com' });
    const rowA = await s.database.db.selectFrom('customers').where('id', '=', a.id).select('name_enc').executeTakeFirstOrThrow();
    await s.database.db.updateTable('customers').set({ name_enc: rowA.name_enc }).where('id', '=', b.id).execute();
    await expect(readCustomer(deps(), ctx, { customerId: b.id, purpose: 'test' })).rejects.toBeInstanceOf(CiphertextInvalidError);
    // Moving a's email ciphertext into a's own name column fails too (column binding).
    const emailA = await s.database.db.selectFrom('customers').where('id', '=', a.id).select('email_enc').executeTakeFirstOrThrow();
    await s.database.db.updateTable('customers').set({ name_enc: emailA.email_enc }).where('id', '=', a.id).execute();
    await expect(readCustomer(deps(), ctx, { customerId: a.id, purpose: 'test' })).rejects.toBeInstanceOf(CiphertextInvalidError);
  });

  it('rejects a truncated or forged ciphertext without returning any plaintext', async () => {
    const c = await createCustomer(deps(), ctx, { name: 'Trunc Ated', email: 'trunc@example.com' });
    const row = await s.database.db.selectFrom('customers').where('id', '=', c.id).select('name_enc').executeTakeFirstOrThrow();
    const ct = Buffer.from(row.name_enc as Uint8Array);
    await s.database.db.updateTable('customers').set({ name_enc: ct.subarray(0, ct.length - 3) }).where('id', '=', c.id).execute();
    await expect(readCustomer(deps(), ctx, { customerId: c.id, purpose: 'test' })).rejects.toBeInstanceOf(CiphertextInvalidError);
    const forged = Buffer.from(ct);
    forged[forged.length - 20] = (forged[forged.length - 20] as number) ^ 1;
    await s.database.db.updateTable('customers').set({ name_enc: forged }).where('id', '=', c.id).execute();
    await expect(readCustomer(deps(), ctx, { customerId: c.id, purpose: 'test' })).rejects.toBeInstanceOf(CiphertextInvalidError);
  });

  it('shredding a customer key makes their fields unreadable while other customers stay readable', async () => {
    const gone = await createCustomer(deps(), ctx, { name: 'Erased Person', email: 'erase.me@example.com' });
    const kept = await createCustomer(deps(), ctx, { name: 'Kept Person', email: 'keep.me@example.com' });
    const before = await s.database.db.selectFrom('customers').where('id', '=', gone.id).select(['name_enc']).executeTakeFirstOrThrow();
    await eraseCustomer(deps(), ctx, { customerId: gone.id, purpose: 'GDPR erasure request' });

    expect(await readCustomer(deps(), ctx, { customerId: gone.id, purpose: 'test' })).toEqual({ id: gone.id, erased: true });
    await expect(s.keyring.decrypt({ table: 'customers', column: 'name_enc', rowId: gone.id }, before.name_enc as Uint8Array)).rejects.toBeInstanceOf(KeyDestroyedError);
    expect(await findCustomerIdsByEmail(deps(), ctx, 'erase.me@example.com')).toEqual([]);
    expect((await readCustomer(deps(), ctx, { customerId: kept.id, purpose: 'test' })).erased).toBe(false);

    // A fresh keyring (another process, empty cache) cannot read it either: the wrapped key is gone.
    const wrapped = await s.database.db
      .selectFrom('data_key_versions')
      .innerJoin('data_keys', 'data_keys.id', 'data_key_versions.key_id')
      .where('data_keys.owner_id', '=', gone.id)
      .select('data_key_versions.wrapped')
      .execute();
    expect(wrapped.length).toBeGreaterThan(0);
    expect(wrapped.every((w) => w.wrapped === null)).toBe(true);
  });

  it('records every read in the audit trail, with its purpose and a keyed subject hash instead of the id', async () => {
    const c = await createCustomer(deps(), ctx, { name: 'Audited Reader', email: 'audited@example.com' });
    await readCustomer(deps(), ctx, { customerId: c.id, purpose: 'order 1234 enquiry' });
    const rows = await s.database.db.selectFrom('audit_log').where('action', '=', 'customer.read').where('object_id', '=', c.id).selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.purpose).toBe('order 1234 enquiry');
    expect(rows[0]?.subject).toBe(s.audit.subject(c.id));
    expect(rows[0]?.subject).not.toContain(c.id);
  });

  it('fails the read when its audit record cannot be written (fail closed)', async () => {
    const c = await createCustomer(deps(), ctx, { name: 'Closed Fail', email: 'closed@example.com' });
    await sql`ALTER TABLE audit_log ADD CONSTRAINT no_reads CHECK (action <> 'customer.read') NOT VALID`.execute(s.database.db);
    try {
      await expect(readCustomer(deps(), ctx, { customerId: c.id, purpose: 'x' })).rejects.toThrow();
    } finally {
      await sql`ALTER TABLE audit_log DROP CONSTRAINT no_reads`.execute(s.database.db);
    }
  });

  it("remembers an organisation's blind-index root only once it is committed: a rolled-back creation leaves no phantom", async () => {
    const orgId = randomUUID();
    await s.database.db.insertInto('organizations').values({ id: orgId, name: 'Roots' }).execute();
    const keyring = new Keyring({ db: s.database.db, provider: s.keyring.provider });
    const ctx = { table: 'customers', column: 'email_bidx', domain: 'email' as const };
    // Created inside a transaction that then fails: nothing of it may be remembered.
    await expect(
      s.database.db.transaction().execute(async (trx) => {
        await keyring.blindIndex(orgId, ctx, 'a@example.org', trx);
        await keyring.blindIndex(orgId, ctx, 'a@example.org', trx);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const committed = await keyring.blindIndex(orgId, ctx, 'a@example.org');
    const root = await s.database.db.selectFrom('data_keys').where('owner_id', '=', orgId).where('purpose', '=', 'blind-index').select('id').execute();
    expect(root).toHaveLength(1);
    // A fresh keyring (another instance) derives the same value from the stored root; the remembered one is it.
    expect(Buffer.from(await new Keyring({ db: s.database.db, provider: s.keyring.provider }).blindIndex(orgId, ctx, 'a@example.org')).equals(Buffer.from(committed))).toBe(true);
    expect(Buffer.from(await keyring.blindIndex(orgId, ctx, 'a@example.org')).equals(Buffer.from(committed))).toBe(true);
  });

  it("reads a customer's current key once per transaction, and not after the transaction destroyed it", async () => {
    const customerId = randomUUID();
    const owner = { type: 'customer' as const, id: customerId };
    const { db, statements } = recordingDb(s.database.db);
    const keyring = new Keyring({ db: s.database.db, provider: s.keyring.provider });
    await keyring.currentKey(owner);
    statements.length = 0;
    await db.transaction().execute(async (trx) => {
      for (const column of ['name_enc', 'email_enc', 'phone_enc']) await keyring.encrypt(owner, { table: 'customers', column, rowId: customerId }, 'x', trx);
    });
    expect(statements.filter((q) => q.includes('"data_keys"'))).toHaveLength(1);
    // A later transaction reads it again; one that destroys the key cannot encrypt under it afterwards.
    await expect(
      db.transaction().execute(async (trx) => {
        await keyring.encrypt(owner, { table: 'customers', column: 'name_enc', rowId: customerId }, 'x', trx);
        await keyring.destroyKeys(owner, trx);
        await keyring.encrypt(owner, { table: 'customers', column: 'email_enc', rowId: customerId }, 'x', trx);
      }),
    ).rejects.toBeInstanceOf(KeyDestroyedError);
    expect(statements.filter((q) => q.includes('"data_keys"')).length).toBeGreaterThan(2);
  });

  it('rotates the KEK by rewrapping keys only, and the old KEK can then be dropped', async () => {
    const c = await createCustomer(deps(), ctx, { name: 'Kek Rotation', email: 'kek@example.com' });
    const dataBefore = await s.database.db.selectFrom('customers').where('id', '=', c.id).select('name_enc').executeTakeFirstOrThrow();
    const oldSpec = (s.keyring.provider as EnvKeyProvider).kekIds()[0];
    expect(oldSpec).toBe('test-kek');
    // An operator puts a new key first in TRUSTDESK_KEK and keeps the old one after it.
    const oldKeyring = s.keyring;
    const both = new EnvKeyProvider(`new-kek:${randomBytes(32).toString('base64')},${exportEnvSpec(oldKeyring.provider as EnvKeyProvider)}`);
    const rotated = new Keyring({ db: s.database.db, provider: both });
    const n = await rotated.rewrapAll();
    expect(n).toBeGreaterThan(0);
    expect(await rotated.kekIdsInUse()).toEqual(['new-kek']);
    const dataAfter = await s.database.db.selectFrom('customers').where('id', '=', c.id).select('name_enc').executeTakeFirstOrThrow();
    expect(Buffer.from(dataAfter.name_enc as Uint8Array).equals(Buffer.from(dataBefore.name_enc as Uint8Array))).toBe(true);
    // Only the new KEK is needed from now on.
    const onlyNew = new Keyring({ db: s.database.db, provider: new EnvKeyProvider(exportEnvSpec(both).split(',')[0] as string) });
    expect(await onlyNew.decrypt({ table: 'customers', column: 'name_enc', rowId: c.id }, dataAfter.name_enc as Uint8Array)).toBe('Kek Rotation');
    // And the old KEK alone no longer opens anything.
    const onlyOld = new Keyring({ db: s.database.db, provider: oldKeyring.provider });
    await expect(onlyOld.decrypt({ table: 'customers', column: 'name_enc', rowId: c.id }, dataAfter.name_enc as Uint8Array)).rejects.toThrow();
    s.keyring = onlyNew as unknown as Services['keyring'];
  });

  it('rotates a data key: rows are re-encrypted under the new version with progress, and old versions destroyed', async () => {
    const c = await createCustomer(deps(), ctx, { name: 'Dek Rotation', email: 'dek@example.com' });
    const key = await s.database.db.selectFrom('data_keys').where('owner_id', '=', c.id).select('id').executeTakeFirstOrThrow();
    const rotationId = await startKeyRotation({ db: s.database.db, keyring: s.keyring, keyId: key.id });
    const seen: number[] = [];
    const result = await runKeyRotation({ db: s.database.db, keyring: s.keyring, rotationId, batchSize: 1, onProgress: (p) => seen.push(p.done) });
    expect(result.total).toBe(1);
    expect(seen.at(-1)).toBe(1);
    const versions = await s.database.db.selectFrom('data_key_versions').where('key_id', '=', key.id).orderBy('version').select(['version', 'wrapped']).execute();
    expect(versions.map((v) => [v.version, v.wrapped === null])).toEqual([
      [1, true],
      [2, false],
    ]);
    const fresh = new Keyring({ db: s.database.db, provider: s.keyring.provider });
    const view = await readCustomer({ ...deps(), keyring: fresh }, ctx, { customerId: c.id, purpose: 'test' });
    expect(view).toEqual({ id: c.id, erased: false, name: 'Dek Rotation', email: 'dek@example.com' });
    const status = await s.database.db.selectFrom('key_rotations').where('id', '=', rotationId).select(['status', 'done', 'total']).executeTakeFirstOrThrow();
    expect(status).toEqual({ status: 'done', done: 1, total: 1 });
  });
});

function exportEnvSpec(p: EnvKeyProvider): string {
  // Test-only: rebuild the env string from the provider's keys by wrapping a probe.
  return (p as unknown as { keks: Array<{ id: string; key: Uint8Array }> }).keks.map((k) => `${k.id}:${Buffer.from(k.key).toString('base64')}`).join(',');
}
