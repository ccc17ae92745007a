/**
 * An organisation's single sign-on connection (one per organisation, OpenID Connect or SAML 2.0): read, save and
 * remove, each change audited in its transaction. The client secret, and a SAML connection's decryption key (made
 * here, one per connection, decision 0209), are stored under the organisation's key and never shown. SAML metadata
 * is read whole before anything is written: malformed or expired metadata saves nothing. Email domains are claimed in their own table, so two organisations
 * cannot both route a domain; break-glass accounts must be the organisation's own active staff.
 */
import { randomUUID, X509Certificate } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import type { OutboundOptions } from '../../platform/http/outbound.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Executor, Keyring } from '../../protection/crypto/keyring.js';
import type { OidcConnection } from './oidc.js';
import { issuerAllowed } from './oidc.js';
import type { SamlConnection } from './saml.js';
import { MetadataError, parseIdpMetadata } from './saml-metadata.js';
import { generateKeyAndCertificate } from './x509.js';
import type { GroupMapping, SsoConnectionsTable } from './schema.js';
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

/** What both protocols' connections share. */
export interface ConnectionCommon {
  enabled: boolean;
  displayName: string;
  emailDomains: string[];
  trustProviderMfa: boolean;
  mfaAcrValues?: string[] | undefined;
  phishingResistantAcrValues?: string[] | undefined;
  ssoOnly?: boolean | undefined;
  breakGlassUserIds?: string[] | undefined;
  jitProvisioning?: boolean | undefined;
  groupMappings?: GroupMapping[] | undefined;
}

/** An OpenID Connect connection. */
export interface ConnectionInput extends ConnectionCommon {
  issuer: string;
  clientId: string;
  clientSecret?: string | null | undefined;
  scopes?: string[] | undefined;
}

/** A SAML connection: the provider from its metadata (required when the connection is new or was OpenID Connect). */
export interface SamlConnectionInput extends ConnectionCommon {
  idpMetadataXml?: string | undefined;
}

export interface SamlView {
  idpEntityId: string;
  ssoUrl: string;
  metadataValidUntil: string | null;
  certificates: Array<{ subject: string; fingerprint256: string; notAfter: string }>;
  spEntityId: string;
}

export interface ConnectionView {
  id: string;
  protocol: 'oidc' | 'saml';
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
  jitProvisioning: boolean;
  groupMappings: GroupMapping[];
  saml: SamlView | null;
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
    jitProvisioning: row.jit_provisioning,
    groupMappings: row.group_mappings,
    saml:
      row.protocol === 'saml'
        ? {
            idpEntityId: row.issuer,
            ssoUrl: row.saml_sso_url ?? '',
            metadataValidUntil: row.saml_metadata_valid_until?.toISOString() ?? null,
            certificates: row.saml_idp_certs.map((pem) => {
              const c = new X509Certificate(pem);
              return { subject: c.subject.slice(0, 200), fingerprint256: c.fingerprint256, notAfter: new Date(c.validTo).toISOString() };
            }),
            spEntityId: row.client_id,
          }
        : null,
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

/** Where Trustdesk receives SAML answers (one for every connection; the request names the connection). */
export const SAML_ACS_PATH = '/api/auth/sso/saml/acs';
/** Trustdesk's service-provider metadata for a connection; also its entity ID. */
export const samlMetadataPath = (connectionId: string) => `/api/auth/sso/saml/${connectionId}/metadata`;

/** The connection as the SAML service provider needs it, decryption key decrypted. */
export async function samlConnectionOf(keyring: Keyring, row: ConnectionRow, publicUrl: string, exec?: Executor): Promise<SamlConnection> {
  const key = row.saml_sp_key_enc ? await keyring.decrypt({ table: 'sso_connections', column: 'saml_sp_key_enc', rowId: row.id }, row.saml_sp_key_enc, exec) : null;
  return {
    id: row.id,
    idpEntityId: row.issuer,
    ssoUrl: row.saml_sso_url ?? '',
    idpCerts: row.saml_idp_certs,
    spEntityId: row.client_id,
    acsUrl: new URL(SAML_ACS_PATH, publicUrl).toString(),
    spKeyPem: key,
    spCertPem: row.saml_sp_cert ?? '',
  };
}

function invalid(field: string, detail: string): AppError {
  return new AppError('validation_failed', detail, { extra: { field } });
}


type Existing = Pick<ConnectionRow, 'id' | 'protocol' | 'client_id' | 'client_secret_enc' | 'saml_sp_key_enc' | 'saml_sp_cert' | 'jit_provisioning' | 'group_mappings'>;
type Columns = Omit<Partial<ConnectionRow>, 'id' | 'org_id' | 'created_at'>;

/** What both protocols share: checked, written with the protocol's own columns, domains claimed, audited; one transaction. */
async function persist(deps: ConnectionDeps, actor: Actor, input: ConnectionCommon, own: (trx: Executor, existing: Existing | undefined, id: string) => Promise<{ columns: Columns; audit: Record<string, unknown> }>): Promise<ConnectionView> {
  const domains = distinct(input.emailDomains.map((d) => d.toLowerCase()));
  const breakGlass = distinct(input.breakGlassUserIds ?? []);
  const ssoOnly = input.ssoOnly ?? false;
  if (ssoOnly && breakGlass.length === 0) throw invalid('breakGlassUserIds', 'Single-sign-on-only needs at least one break-glass administrator who can still sign in with a password.');
  return deps.db.transaction().execute(async (trx) => {
    if (breakGlass.length > 0) {
      const found = await trx.selectFrom('users').where('org_id', '=', actor.orgId).where('id', 'in', breakGlass).where('status', '=', 'active').select('id').execute();
      if (found.length !== breakGlass.length) throw invalid('breakGlassUserIds', 'Break-glass accounts must be active staff of this organisation.');
    }
    const existing = await trx.selectFrom('sso_connections').where('org_id', '=', actor.orgId).select(['id', 'protocol', 'client_id', 'client_secret_enc', 'saml_sp_key_enc', 'saml_sp_cert', 'jit_provisioning', 'group_mappings']).forUpdate().executeTakeFirst();
    // Provisioning settings left out are kept (a screen that does not show them does not erase them).
    const mappings = input.groupMappings === undefined ? (existing?.group_mappings ?? []) : await checkedMappings(trx, actor.orgId, input.groupMappings);
    const jit = input.jitProvisioning ?? existing?.jit_provisioning ?? false;
    const id = existing?.id ?? randomUUID();
    const taken = await trx.selectFrom('sso_domains').where('domain', 'in', domains).where('org_id', '!=', actor.orgId).select('domain').executeTakeFirst();
    // Which domain another organisation holds is not told: only that one is.
    if (taken) throw new AppError('conflict', 'One of these email domains is already used for single sign-on by another organisation.');
    const { columns: protocolColumns, audit } = await own(trx, existing, id);
    const columns = {
      ...protocolColumns,
      enabled: input.enabled,
      display_name: input.displayName.trim(),
      trust_provider_mfa: input.trustProviderMfa,
      mfa_acr_values: distinct(input.mfaAcrValues ?? []),
      phishing_resistant_acr_values: distinct(input.phishingResistantAcrValues ?? []),
      sso_only: ssoOnly,
      break_glass_user_ids: breakGlass,
      jit_provisioning: jit,
      group_mappings: JSON.stringify(mappings),
      updated_at: new Date(),
    };
    if (existing) await trx.updateTable('sso_connections').set(columns).where('id', '=', id).execute();
    else await trx.insertInto('sso_connections').values({ id, org_id: actor.orgId, issuer: '', client_id: '', ...columns } as never).execute();
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
        ...audit,
        domains,
        trustProviderMfa: input.trustProviderMfa,
        ssoOnly,
        breakGlassAccounts: breakGlass.length,
        jitProvisioning: jit,
        groupMappings: mappings,
      },
      requestId: actor.requestId,
      sourceIp: actor.ip,
    });
    const view = await getConnection(trx, actor.orgId);
    if (!view) throw new AppError('internal', 'The connection was not saved.');
    return view;
  });
}

/**
 * Group mappings checked against the organisation: every role key and team must exist, or the save is refused with
 * the group and the missing role named (nothing is written). Roles that need a passkey may be mapped: the person
 * then meets that rule at sign-in like anyone holding the role.
 */
async function checkedMappings(trx: Executor, orgId: string, input: GroupMapping[]): Promise<GroupMapping[]> {
  const groups = new Set<string>();
  const out: GroupMapping[] = [];
  const roleKeys = new Set((await trx.selectFrom('roles').where('org_id', '=', orgId).select('key').execute()).map((r) => r.key));
  const teamIds = new Set((await trx.selectFrom('teams').where('org_id', '=', orgId).select('id').execute()).map((t) => t.id));
  for (const [i, m] of input.entries()) {
    const group = m.group.trim();
    if (!group) throw new AppError('validation_failed', 'A group mapping has no group name.', { extra: { field: `groupMappings/${i}/group` } });
    if (groups.has(group)) throw new AppError('validation_failed', `The group “${group}” is mapped twice.`, { extra: { field: `groupMappings/${i}/group` } });
    groups.add(group);
    const missingRole = m.roles.find((r) => !roleKeys.has(r));
    if (missingRole !== undefined) throw new AppError('validation_failed', `The group “${group}” maps to the role “${missingRole}”, which does not exist in this organisation.`, { extra: { field: `groupMappings/${i}/roles` } });
    const missingTeam = m.teams.find((t) => !teamIds.has(t));
    if (missingTeam !== undefined) throw new AppError('validation_failed', `The group “${group}” maps to a team that does not exist in this organisation (${missingTeam}).`, { extra: { field: `groupMappings/${i}/teams` } });
    if (m.roles.length === 0) throw new AppError('validation_failed', `The group “${group}” maps to no role: a provisioned account needs one.`, { extra: { field: `groupMappings/${i}/roles` } });
    out.push({ group, roles: [...new Set(m.roles)], teams: [...new Set(m.teams)] });
  }
  return out;
}

const NO_SAML = { saml_sso_url: null, saml_idp_certs: [], saml_metadata_valid_until: null, saml_sp_key_enc: null, saml_sp_cert: null } satisfies Columns;

export async function saveConnection(deps: ConnectionDeps, actor: Actor, input: ConnectionInput): Promise<ConnectionView> {
  const issuer = input.issuer.trim();
  if (!issuerAllowed(issuer, deps.outbound)) throw invalid('issuer', 'The issuer must be an https:// URL without query or fragment.');
  const scopes = distinct(input.scopes ?? DEFAULT_SCOPES);
  if (!scopes.includes('openid') || !scopes.includes('email')) throw invalid('scopes', 'The scopes must include openid and email.');
  return persist(deps, actor, input, async (trx, existing, id) => {
    // A secret left out stays, unless the connection was SAML until now (it had none).
    let secretEnc: Uint8Array | null = existing?.protocol === 'oidc' ? existing.client_secret_enc : null;
    if (input.clientSecret !== undefined) {
      secretEnc = input.clientSecret === null ? null : await deps.keyring.encrypt({ type: 'organization', id: actor.orgId }, { table: 'sso_connections', column: 'client_secret_enc', rowId: id }, input.clientSecret, trx);
    }
    return {
      columns: { protocol: 'oidc', issuer, client_id: input.clientId.trim(), client_secret_enc: secretEnc, scopes, ...NO_SAML },
      audit: { protocol: 'oidc', issuer, secret: input.clientSecret === undefined ? 'kept' : input.clientSecret === null ? 'removed' : 'set' },
    };
  });
}

/**
 * Creates or changes the organisation's SAML connection. New metadata is read whole first (problem+json naming the
 * field when it is malformed or expired, nothing written); left out, the stored provider stays. The service
 * provider's entity ID and decryption key are made once per connection and kept through later saves.
 */
export async function saveSamlConnection(deps: ConnectionDeps & { publicUrl: string }, actor: Actor, input: SamlConnectionInput): Promise<ConnectionView> {
  let metadata: ReturnType<typeof parseIdpMetadata> | null = null;
  if (input.idpMetadataXml !== undefined) {
    try {
      metadata = parseIdpMetadata(input.idpMetadataXml, { allowHttp: Boolean(deps.outbound.allowPrivate) });
    } catch (e) {
      if (e instanceof MetadataError) throw invalid('idpMetadataXml', e.message);
      throw e;
    }
  }
  return persist(deps, actor, input, async (trx, existing, id) => {
    const wasSaml = existing?.protocol === 'saml';
    if (!metadata && !wasSaml) throw invalid('idpMetadataXml', 'Paste or upload your identity provider’s SAML metadata.');
    let sp: Columns = {};
    if (!wasSaml || !existing?.saml_sp_key_enc) {
      const made = generateKeyAndCertificate('Trustdesk SAML service provider');
      sp = {
        client_id: new URL(samlMetadataPath(id), deps.publicUrl).toString(),
        saml_sp_key_enc: await deps.keyring.encrypt({ type: 'organization', id: actor.orgId }, { table: 'sso_connections', column: 'saml_sp_key_enc', rowId: id }, made.privateKeyPem, trx),
        saml_sp_cert: made.certificatePem,
      };
    }
    const provider: Columns = metadata
      ? { issuer: metadata.entityId, saml_sso_url: metadata.ssoUrl, saml_idp_certs: metadata.certificates.map((c) => c.pem), saml_metadata_valid_until: metadata.validUntil }
      : {};
    return {
      columns: { protocol: 'saml', client_secret_enc: null, ...provider, ...sp },
      audit: { protocol: 'saml', ...(metadata ? { issuer: metadata.entityId, certificates: metadata.certificates.map((c) => c.fingerprint256) } : {}), metadata: metadata ? 'imported' : 'kept', serviceProviderKey: sp.saml_sp_key_enc ? 'created' : 'kept' },
    };
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
