/**
 * An organisation's single sign-on connection (one per organisation for now; `protocol` leaves room for SAML):
 * read, save and remove, each change audited in its transaction. The client secret is stored under the
 * organisation's key and never shown again. Email domains are claimed in their own table, so two organisations
 * cannot both route a domain; break-glass accounts must be the organisation's own active staff.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import type { OutboundOptions } from '../../platform/http/outbound.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Executor, Keyring } from '../../protection/crypto/keyring.js';
import type { OidcConnection } from './oidc.js';
import { issuerAllowed } from './oidc.js';
import type { SsoConnectionsTable } from './schema.js';
import './schema.js';

export interface ConnectionDeps {
  db: Kysely<Database>;
  keyring: Keyring;
  audit: AuditLog;
  outbound: OutboundOptions;
}

export interface Actor {
  orgId: string;
  userId: string;
  requestId: string;
  ip: string;
}

export interface ConnectionInput {
  enabled: boolean;
  displayName: string;
  issuer: string;
  clientId: string;
  clientSecret?: string | null | undefined;
  emailDomains: string[];
  scopes?: string[] | undefined;
  trustProviderMfa: boolean;
  mfaAcrValues?: string[] | undefined;
  phishingResistantAcrValues?: string[] | undefined;
  ssoOnly?: boolean | undefined;
  breakGlassUserIds?: string[] | undefined;
}

export interface ConnectionView {
  id: string;
  protocol: 'oidc';
  enabled: boolean;
  displayName: string;
  issuer: string;
  clientId: string;
  hasClientSecret: boolean;
  emailDomains: string[];
  scopes: string[];
  trustProviderMfa: boolean;
  mfaAcrValues: string[];
  phishingResistantAcrValues: string[];
  ssoOnly: boolean;
  breakGlassUserIds: string[];
  updatedAt: string;
}

export type ConnectionRow = Selectable<SsoConnectionsTable>;

const DEFAULT_SCOPES = ['openid', 'email', 'profile'];
const distinct = (values: readonly string[]) => [...new Set(values.map((v) => v.trim()).filter(Boolean))];

function present(row: ConnectionRow, domains: string[]): ConnectionView {
  return {
    id: row.id,
    protocol: row.protocol,
    enabled: row.enabled,
    displayName: row.display_name,
    issuer: row.issuer,
    clientId: row.client_id,
    hasClientSecret: row.client_secret_enc !== null,
    emailDomains: [...domains].sort(),
    scopes: row.scopes,
    trustProviderMfa: row.trust_provider_mfa,
    mfaAcrValues: row.mfa_acr_values,
    phishingResistantAcrValues: row.phishing_resistant_acr_values,
    ssoOnly: row.sso_only,
    breakGlassUserIds: row.break_glass_user_ids,
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function getConnection(db: Executor, orgId: string): Promise<ConnectionView | null> {
  const row = await db.selectFrom('sso_connections').where('org_id', '=', orgId).selectAll().executeTakeFirst();
  if (!row) return null;
  const domains = await db.selectFrom('sso_domains').where('connection_id', '=', row.id).select('domain').execute();
  return present(row, domains.map((d) => d.domain));
}

/** The connection as openid-client needs it, secret decrypted. */
export async function oidcConnectionOf(keyring: Keyring, row: ConnectionRow, exec?: Executor): Promise<OidcConnection> {
  const secret = row.client_secret_enc ? await keyring.decrypt({ table: 'sso_connections', column: 'client_secret_enc', rowId: row.id }, row.client_secret_enc, exec) : null;
  return { id: row.id, version: row.updated_at.toISOString(), issuer: row.issuer, clientId: row.client_id, clientSecret: secret };
}

function invalid(field: string, detail: string): AppError {
  return new AppError('validation_failed', detail, { extra: { field } });
}

export async function saveConnection(deps: ConnectionDeps, actor: Actor, input: ConnectionInput): Promise<ConnectionView> {
  const issuer = input.issuer.trim();
  if (!issuerAllowed(issuer, deps.outbound)) throw invalid('issuer', 'The issuer must be an https:// URL without query or fragment.');
  const domains = distinct(input.emailDomains.map((d) => d.toLowerCase()));
  const scopes = distinct(input.scopes ?? DEFAULT_SCOPES);
  if (!scopes.includes('openid') || !scopes.includes('email')) throw invalid('scopes', 'The scopes must include openid and email.');
  const breakGlass = distinct(input.breakGlassUserIds ?? []);
  const ssoOnly = input.ssoOnly ?? false;
  if (ssoOnly && breakGlass.length === 0) throw invalid('breakGlassUserIds', 'Single-sign-on-only needs at least one break-glass administrator who can still sign in with a password.');
  return deps.db.transaction().execute(async (trx) => {
    if (breakGlass.length > 0) {
      const found = await trx.selectFrom('users').where('org_id', '=', actor.orgId).where('id', 'in', breakGlass).where('status', '=', 'active').select('id').execute();
      if (found.length !== breakGlass.length) throw invalid('breakGlassUserIds', 'Break-glass accounts must be active staff of this organisation.');
    }
    const existing = await trx.selectFrom('sso_connections').where('org_id', '=', actor.orgId).select(['id', 'client_secret_enc']).forUpdate().executeTakeFirst();
    const id = existing?.id ?? randomUUID();
    const taken = await trx.selectFrom('sso_domains').where('domain', 'in', domains).where('org_id', '!=', actor.orgId).select('domain').executeTakeFirst();
    // Which domain another organisation holds is not told: only that one is.
    if (taken) throw new AppError('conflict', 'One of these email domains is already used for single sign-on by another organisation.');
    let secretEnc: Uint8Array | null = existing?.client_secret_enc ?? null;
    if (input.clientSecret !== undefined) {
      secretEnc = input.clientSecret === null ? null : await deps.keyring.encrypt({ type: 'organization', id: actor.orgId }, { table: 'sso_connections', column: 'client_secret_enc', rowId: id }, input.clientSecret, trx);
    }
    const columns = {
      enabled: input.enabled,
      display_name: input.displayName.trim(),
      issuer,
      client_id: input.clientId.trim(),
      client_secret_enc: secretEnc,
      scopes,
      trust_provider_mfa: input.trustProviderMfa,
      mfa_acr_values: distinct(input.mfaAcrValues ?? []),
      phishing_resistant_acr_values: distinct(input.phishingResistantAcrValues ?? []),
      sso_only: ssoOnly,
      break_glass_user_ids: breakGlass,
      updated_at: new Date(),
    };
    if (existing) await trx.updateTable('sso_connections').set(columns).where('id', '=', id).execute();
    else await trx.insertInto('sso_connections').values({ id, org_id: actor.orgId, protocol: 'oidc', ...columns }).execute();
    await trx.deleteFrom('sso_domains').where('connection_id', '=', id).execute();
    await trx.insertInto('sso_domains').values(domains.map((domain) => ({ domain, connection_id: id, org_id: actor.orgId }))).execute();
    await deps.audit.append(trx, {
      orgId: actor.orgId,
      actor: { type: 'user', id: actor.userId },
      action: 'sso.connection.save',
      object: { type: 'sso_connection', id },
      result: 'success',
      details: {
        created: !existing,
        enabled: input.enabled,
        issuer,
        domains,
        trustProviderMfa: input.trustProviderMfa,
        ssoOnly,
        breakGlassAccounts: breakGlass.length,
        secret: input.clientSecret === undefined ? 'kept' : input.clientSecret === null ? 'removed' : 'set',
      },
      requestId: actor.requestId,
      sourceIp: actor.ip,
    });
    const view = await getConnection(trx, actor.orgId);
    if (!view) throw new AppError('internal', 'The connection was not saved.');
    return view;
  });
}

export async function deleteConnection(deps: ConnectionDeps, actor: Actor): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx.deleteFrom('sso_connections').where('org_id', '=', actor.orgId).returning('id').executeTakeFirst();
    if (!row) throw new AppError('not_found', 'Single sign-on is not configured.');
    await deps.audit.append(trx, { orgId: actor.orgId, actor: { type: 'user', id: actor.userId }, action: 'sso.connection.delete', object: { type: 'sso_connection', id: row.id }, result: 'success', requestId: actor.requestId, sourceIp: actor.ip });
  });
}

/**
 * Password sign-in under single-sign-on-only: refused unless the account is a named break-glass account.
 * Asked only after the password was accepted, so the answer tells nothing to someone without it.
 */
export async function passwordSignInAllowed(db: Executor, orgId: string, userId: string): Promise<boolean> {
  const row = await db.selectFrom('sso_connections').where('org_id', '=', orgId).where('enabled', '=', true).where('sso_only', '=', true).select('break_glass_user_ids').executeTakeFirst();
  return !row || row.break_glass_user_ids.includes(userId);
}
