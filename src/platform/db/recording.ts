/**
 * Test helper: a Kysely instance that records the SQL text (without values) of
 * every query it runs, to show that two paths do the same database work.
 */
import type { Kysely, KyselyPlugin } from 'kysely';

export function recordingDb<DB>(db: Kysely<DB>): { db: Kysely<DB>; statements: string[] } {
  const statements: string[] = [];
  const executor = db.getExecutor();
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      statements.push(executor.compileQuery(args.node, args.queryId).sql);
      return args.node;
    },
    async transformResult(args) {
      return args.result;
    },
  };
  return { db: db.withPlugin(plugin), statements };
}
