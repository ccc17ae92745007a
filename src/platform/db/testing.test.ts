/**
 * The test-database factory: a PGlite database from the template is the one
 * the migrations give, each call is independent, and a changed migration
 * gives a new template.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMigrations, migrationStatus } from './migrate.js';
import { createTestDatabase, ensurePGliteTemplates, templateKey, testDatabaseKinds, type TestDatabase } from './testing.js';

describe.each(testDatabaseKinds)('test databases on %s', (kind) => {
  const open: TestDatabase[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) await db.close();
  });

  it('are migrated: every migration applied, with the checksum of its file', async () => {
    const db = await createTestDatabase(kind);
    open.push(db);
    const rows = await sql<{ name: string; checksum: string }>`SELECT name, checksum FROM schema_migrations ORDER BY name`.execute(db.db);
    expect(rows.rows).toEqual(loadMigrations().map((m) => ({ name: m.name, checksum: m.checksum })));
    expect((await migrationStatus(db.scripts)).pending).toEqual([]);
  });

  it('are empty when asked not to migrate', async () => {
    const db = await createTestDatabase(kind, { migrate: false });
    open.push(db);
    const status = await migrationStatus(db.scripts);
    expect(status.applied).toEqual([]);
    expect(status.pending).toEqual(loadMigrations().map((m) => m.name));
  });

  it('are independent of each other', async () => {
    const a = await createTestDatabase(kind);
    const b = await createTestDatabase(kind);
    open.push(a, b);
    await a.db.insertInto('organizations').values({ id: '00000000-0000-4000-8000-000000000001', name: 'Only in A' }).execute();
    expect(await b.db.selectFrom('organizations').select('name').execute()).toEqual([]);
    expect(await a.db.selectFrom('organizations').select('name').execute()).toEqual([{ name: 'Only in A' }]);
  }, 60_000); // two databases
});

describe('PGlite templates', () => {
  it('are kept under a key that changes with any migration', () => {
    const migrations = loadMigrations();
    const last = migrations.at(-1)!;
    const changed = [...migrations.slice(0, -1), { ...last, checksum: `${last.checksum}0` }];
    expect(templateKey(changed)).not.toBe(templateKey(migrations));
    expect(templateKey([...migrations, { name: '9999_next', sql: '', checksum: 'x' }])).not.toBe(templateKey(migrations));
    expect(templateKey(loadMigrations())).toBe(templateKey(migrations));
  });

  it('are built once and found again', async () => {
    const first = await ensurePGliteTemplates();
    expect(path.basename(first.dir)).toBe(templateKey());
    for (const file of [first.emptyTar, first.migratedTar, path.join(first.emptyDataDir, 'PG_VERSION')]) expect(existsSync(file)).toBe(true);
    expect(await ensurePGliteTemplates()).toEqual(first);
  });
});
