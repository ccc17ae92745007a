/**
 * A client span per SQL statement, for PGlite and PostgreSQL alike, named by the statement's first keyword only
 * (`SELECT`, `INSERT`…): the text and the bound values never leave the process. Kysely has no tracing hook that
 * sees execution time, so each connection's `executeQuery` is wrapped once when the driver hands it out.
 */
import type { CompiledQuery, DatabaseConnection, Dialect, QueryResult } from 'kysely';
import { SpanKind, inSpan, tracingEnabled } from './tracing.js';

const OPERATIONS = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'WITH', 'BEGIN', 'COMMIT', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'LOCK', 'SET', 'NOTIFY', 'LISTEN', 'UNLISTEN', 'CREATE', 'ALTER', 'DROP', 'TRUNCATE']);
const TRACED = Symbol('traced');

export function operationOf(sqlText: string): string {
  const word = /^\s*([A-Za-z]+)/.exec(sqlText)?.[1]?.toUpperCase() ?? '';
  return OPERATIONS.has(word) ? word : 'OTHER';
}

function traceConnection(connection: DatabaseConnection): DatabaseConnection {
  const marked = connection as DatabaseConnection & { [TRACED]?: true };
  if (marked[TRACED]) return connection;
  const execute = connection.executeQuery.bind(connection);
  marked.executeQuery = <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
    const operation = operationOf(query.sql);
    return inSpan(operation, { 'db.system.name': 'postgresql', 'db.operation.name': operation }, () => execute<R>(query), SpanKind.CLIENT);
  };
  marked[TRACED] = true;
  return connection;
}

/** The dialect as it is, or — while tracing is on — with every connection's statements traced. */
export function traceDialect(inner: Dialect): Dialect {
  if (!tracingEnabled()) return inner;
  return {
    createAdapter: () => inner.createAdapter(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createDriver: () => {
      const driver = inner.createDriver();
      const acquire = driver.acquireConnection.bind(driver);
      driver.acquireConnection = async () => traceConnection(await acquire());
      return driver;
    },
  };
}
