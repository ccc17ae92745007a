/**
 * Test databases: every database test runs on embedded PGlite, and also on
 * PostgreSQL when TEST_DATABASE_URL is set. Each call gets a fresh, migrated
 * database (PGlite in memory, or a new schema on the server, dropped after).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, quoteIdent, type DatabaseHandle, type DatabaseKind } from './database.js';
import { migrateToLatest } from './migrate.js';

export interface TestDatabase extends DatabaseHandle {
  /** The database URL and schema, for code that opens its own connection (e.g. the CLI). */
  url?: string;
  schema?: string;
}

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

/** The database kinds this run covers: always pglite, postgres too when configured. */
export const testDatabaseKinds: DatabaseKind[] = TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export async function createTestDatabase(kind: DatabaseKind, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  let handle: TestDatabase;
  if (kind === 'pglite') {
    handle = await openDatabase({});
  } else {
    if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set');
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    await admin.end();
    const inner = await openDatabase({ url: TEST_DATABASE_URL, schema, poolSize: 4 });
    handle = {
      ...inner,
      url: TEST_DATABASE_URL,
      schema,
      async close() {
        await inner.close();
        const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await c.connect();
        await c.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
        await c.end();
      },
    };
  }
  if (options.migrate !== false) await migrateToLatest(handle.scripts);
  return handle;
}
