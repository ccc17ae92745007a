/**
 * The "breaching SLA" view as a SQL condition on tickets: the first response
 * is overdue (or due within `warnMinutes`) and not yet given, or the
 * resolution is overdue (or due soon); solved and closed tickets never breach.
 */
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import './schema.js';

export function breachingCondition(now: Date, warnMinutes = 60) {
  const horizon = new Date(now.getTime() + warnMinutes * 60_000);
  return (eb: ExpressionBuilder<Database, 'tickets'>): Expression<SqlBool> =>
    eb.and([
      eb('tickets.status', 'not in', ['solved', 'closed']),
      eb.or([eb.and([eb('tickets.first_response_at', 'is', null), eb('tickets.first_response_due_at', '<=', horizon)]), eb('tickets.resolution_due_at', '<=', horizon)]),
    ]);
}
