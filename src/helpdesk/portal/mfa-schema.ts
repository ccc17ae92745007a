/**
 * Row types of migration 0048_customer_mfa.sql (customer second factors and the portal session's
 * step-up), added to the shared `Database` interface by module augmentation. Import for its side effect.
 */
import type { ColumnType, Generated } from 'kysely';
import './schema.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type CustomerFactor = 'totp' | 'webauthn';

export interface CustomerTotpTable {
  customer_id: string;
  org_id: string;
  secret_enc: Uint8Array;
  confirmed_at: Date | null;
  last_step: Generated<number>;
  created_at: Timestamp;
}

export interface CustomerWebauthnCredentialsTable {
  id: string;
  org_id: string;
  customer_id: string;
  credential_id: string;
  public_key: Uint8Array;
  counter: Generated<number>;
  transports: ColumnType<string[], string[] | undefined, string[]>;
  name: string;
  created_at: Timestamp;
  last_used_at: Date | null;
}

export interface CustomerMfaChallengesTable {
  id: string;
  customer_id: string;
  session_hash: Uint8Array;
  kind: 'webauthn-register' | 'webauthn-auth';
  challenge: string;
  expires_at: Date;
  used_at: Date | null;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    customer_totp: CustomerTotpTable;
    customer_webauthn_credentials: CustomerWebauthnCredentialsTable;
    customer_mfa_challenges: CustomerMfaChallengesTable;
  }
}

declare module './schema.js' {
  interface CustomerSessionsTable {
    mfa_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
    mfa_method: ColumnType<CustomerFactor | null, CustomerFactor | null | undefined, CustomerFactor | null>;
  }
}
