/**
 * What ticket services need and who is calling. An agent's visibility is a SQL
 * condition computed from the principal (org / team / own scope), so lists are
 * filtered by the database, never in memory after loading.
 */
import { sql, type ExpressionBuilder, type Expression, type SqlBool } from 'kysely';
import type { Services } from '../../platform/app/services.js';
import { scopeOf, type Principal } from '../../identity/auth/access.js';
import type { Permission } from '../../identity/auth/permissions.js';
import type { CustomerDeps, ActingContext } from '../customers/customers.service.js';
import type { Database } from '../../platform/db/schema.js';
import type { Logger } from '../../platform/logging.js';
import { loadMailKeys, type MailKeys } from '../mail/threading.js';
import './schema.js';

export interface HelpdeskDeps extends CustomerDeps {
  mailKeys: MailKeys;
  logger: Logger;
  /** Host name used in our Message-IDs. */
  messageIdHost: string;
  /** Fallback From address when a ticket has no mailbox. */
  mailFrom: string;
  /** Where links mailed to customers point (no trailing slash). */
  publicUrl: string;
  /** The erasure ledger file (decision 0219), when the installation keeps one. */
  erasureLedger?: string | null;
}

export async function createHelpdeskDeps(services: Services): Promise<HelpdeskDeps> {
  const host = safeHost(services.config.mailFrom);
  return {
    db: services.database.db,
    keyring: services.keyring,
    audit: services.audit,
    logger: services.logger,
    mailKeys: await loadMailKeys(services.keyring),
    messageIdHost: host,
    mailFrom: services.config.mailFrom,
    publicUrl: services.config.publicUrl.replace(/\/+$/, ''),
    erasureLedger: services.erasureLedger,
  };
}

function safeHost(mailFrom: string): string {
  const m = /@([A-Za-z0-9.-]+)/.exec(mailFrom);
  return m?.[1]?.toLowerCase() ?? 'trustdesk.invalid';
}

/** A staff member acting through the API. */
export interface AgentContext {
  principal: Principal;
  requestId?: string | null;
  sourceIp?: string | null;
}

export function actingFromAgent(ctx: AgentContext): ActingContext {
  return {
    orgId: ctx.principal.orgId,
    actor: { type: ctx.principal.kind === 'token' ? 'token' : 'user', id: ctx.principal.kind === 'token' ? (ctx.principal.tokenId ?? ctx.principal.userId) : ctx.principal.userId },
    requestId: ctx.requestId ?? null,
    sourceIp: ctx.sourceIp ?? ctx.principal.ip ?? null,
  };
}

/** The tickets `p` may use `permission` on, as a WHERE condition (mirrors `can` in auth/access.ts). */
export function ticketScope(p: Principal, permission: Permission) {
  const scope = scopeOf(p, permission);
  return (eb: ExpressionBuilder<Database, 'tickets'>): Expression<SqlBool> => {
    if (!scope) return sql<SqlBool>`false`;
    const inOrg = eb('tickets.org_id', '=', p.orgId);
    if (scope === 'org') return inOrg;
    const own = eb('tickets.assignee_id', '=', p.userId);
    if (scope === 'team' && p.teamIds.length > 0) return eb.and([inOrg, eb.or([own, eb('tickets.team_id', 'in', [...p.teamIds])])]);
    return eb.and([inOrg, own]);
  };
}
