/**
 * Row types of migration 0039_sso.sql, added to the shared `Database` interface
 * by module augmentation. Import for its side effect.
 */
import type { ColumnType, Generated } from 'kysely';
import '../../platform/db/schema.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Optional<T> = ColumnType<T, T | undefined, T>;

export interface SsoConnectionsTable {
  id: string;
  org_id: string;
  protocol: Optional<'oidc'>;
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
  created_at: Generated<Date>;
  updated_at: Timestamp;
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

declare module '../../platform/db/schema.js' {
  interface Database {
    sso_connections: SsoConnectionsTable;
    sso_domains: SsoDomainsTable;
    sso_requests: SsoRequestsTable;
  }
}
