import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from './testing.js';
import { loadMigrations, migrateToLatest, migrationStatus, MigrationError } from './migrate.js';

describe.each(testDatabaseKinds)('migrations on %s', (kind) => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it('apply once, in order, and report nothing pending after', async () => {
    db = await createTestDatabase(kind, { migrate: false });
    const all = loadMigrations().map((m) => m.name);
    expect(await migrationStatus(db.scripts)).toEqual({ applied: [], pending: all });
    expect(await migrateToLatest(db.scripts)).toEqual(all);
    expect(await migrateToLatest(db.scripts)).toEqual([]);
    expect((await migrationStatus(db.scripts)).pending).toEqual([]);
  });

  it('0015 fills in the last sign-in of people set up before it from their newest session', async () => {
    db = await createTestDatabase(kind, { migrate: false });
    await migrateToLatest(db.scripts, loadMigrations().filter((m) => m.name < '0015'));
    const org = randomUUID();
    const [admin, invited] = [randomUUID(), randomUUID()];
    const at = new Date('2026-03-04T05:06:07Z');
    await db.db.insertInto('organizations').values({ id: org, name: 'Before' }).execute();
    await db.db.insertInto('users').values([{ id: admin, org_id: org, email: 'first@before.example', name: 'First', status: 'active' }, { id: invited, org_id: org, email: 'later@before.example', name: 'Later', status: 'invited' }]).execute();
    await db.db.insertInto('sessions').values({ id_hash: Buffer.from(randomUUID()), user_id: admin, org_id: org, csrf_hash: Buffer.from('x'), created_at: at, expires_at: new Date(at.getTime() + 3_600_000) }).execute();
    await migrateToLatest(db.scripts);
    const rows = await db.db.selectFrom('users').where('org_id', '=', org).orderBy('email').select(['email', 'last_signin_at']).execute();
    expect(rows.map((r) => [r.email, r.last_signin_at?.toISOString() ?? null])).toEqual([['first@before.example', at.toISOString()], ['later@before.example', null]]);
  });

  it('0052 marks existing service accounts (their address and their own role), not a person given such an address', async () => {
    db = await createTestDatabase(kind, { migrate: false });
    await migrateToLatest(db.scripts, loadMigrations().filter((m) => m.name < '0052'));
    const org = randomUUID();
    const [service, person] = [randomUUID(), randomUUID()];
    const role = randomUUID();
    const d = db.db;
    await d.insertInto('organizations').values({ id: org, name: 'Before limits' }).execute();
    await d.insertInto('users').values([
      { id: service, org_id: org, email: 'provisioner@before.service.invalid', name: 'Service: provisioner', status: 'active' },
      { id: person, org_id: org, email: 'looks-like@before.service.invalid', name: 'A person', status: 'active' },
    ]).execute();
    await d.insertInto('roles').values({ id: role, org_id: org, key: `service_${service.replace(/-/g, '').slice(0, 12)}`, name: 'Service account: provisioner' }).execute();
    await d.insertInto('user_roles').values({ user_id: service, role_id: role, granted_by: null }).execute();
    await migrateToLatest(db.scripts);
    const rows = await db.db.selectFrom('users').where('org_id', '=', org).orderBy('email', 'desc').select(['email', 'service_account']).execute();
    expect(rows).toEqual([{ email: 'provisioner@before.service.invalid', service_account: true }, { email: 'looks-like@before.service.invalid', service_account: false }]);
  });

  it('refuse an applied migration whose file changed', async () => {
    db = await createTestDatabase(kind);
    const changed = loadMigrations().map((m, i) => (i === 0 ? { ...m, checksum: 'different' } : m));
    await expect(migrateToLatest(db.scripts, changed)).rejects.toThrow(MigrationError);
  });

  it('roll back a failing migration completely', async () => {
    db = await createTestDatabase(kind);
    const broken = [...loadMigrations(), { name: '9000_broken', checksum: 'x', sql: 'CREATE TABLE half_done (id int); SELECT no_such_function();' }];
    await expect(migrateToLatest(db.scripts, broken)).rejects.toThrow(/9000_broken failed and was rolled back/);
    const exists = await db.scripts.withSession((run) => run(`SELECT to_regclass('half_done') IS NOT NULL AS present`));
    expect(exists[0]?.present).toBe(false);
    expect((await migrationStatus(db.scripts, broken)).pending).toEqual(['9000_broken']);
  });

  it('let several instances start at once and apply each migration exactly once', async () => {
    db = await createTestDatabase(kind, { migrate: false });
    const results = await Promise.all([migrateToLatest(db.scripts), migrateToLatest(db.scripts), migrateToLatest(db.scripts)]);
    expect(results.flat().sort()).toEqual(loadMigrations().map((m) => m.name));
  });
});
