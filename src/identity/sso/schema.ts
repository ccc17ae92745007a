/**
 * Row types of migrations 0039_sso.sql and 0044_sso_saml.sql, added to the shared `Database` interface
 * by module augmentation. Import for its side effect.
 */
import type { ColumnType, Generated } from 'kysely';
import '../../platform/db/schema.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Optional<T> = ColumnType<T, T | undefined, T>;

export interface SsoConnectionsTable {
  id: string;
  org_id: string;
  protocol: Optional<'oidc' | 'saml'>;
  enabled: Optional<boolean>;
  display_name: string;
  issuer: string;
  client_id: string;
  client_secret_enc: Uint8Array | null;
  scopes: Optional<string[]>;
  trust_provider_mfa: Optional<boolean>;
  mfa_acr_values: Optional<string[]>;
  phishing_resistant_acr_values: Optional<string[]>;
  sso_only: Optional<boolean>;
  break_glass_user_ids: Optional<string[]>;
  /** SAML (0044): the provider's single-sign-on URL, signing certificates (PEM) and metadata validity. */
  saml_sso_url: ColumnType<string | null, string | null | undefined, string | null>;
  saml_idp_certs: Optional<string[]>;
  saml_metadata_valid_until: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Trustdesk's decryption key for this connection, under the organisation's key; its certificate is public. */
  saml_sp_key_enc: ColumnType<Uint8Array | null, Uint8Array | null | undefined, Uint8Array | null>;
  saml_sp_cert: ColumnType<string | null, string | null | undefined, string | null>;
  /** Just-in-time provisioning (0044): off by default; groups → role keys and team ids. */
  jit_provisioning: Optional<boolean>;
  group_mappings: ColumnType<GroupMapping[], string | undefined, string>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface GroupMapping {
  group: string;
  roles: string[];
  teams: string[];
}

export interface SsoDomainsTable {
  domain: string;
  connection_id: string;
  org_id: string;
}

export interface SsoRequestsTable {
  state_hash: Uint8Array;
  binding_hash: Uint8Array;
  connection_id: string;
  org_id: string;
  nonce: string;
  created_at: Generated<Date>;
  expires_at: Date;
  used_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface SsoSamlAssertionsTable {
  connection_id: string;
  assertion_hash: Uint8Array;
  used_at: Generated<Date>;
  expires_at: Date;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    sso_connections: SsoConnectionsTable;
    sso_domains: SsoDomainsTable;
    sso_requests: SsoRequestsTable;
    sso_saml_assertions: SsoSamlAssertionsTable;
  }
}
