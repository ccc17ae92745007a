/**
 * Row types of migration 0051_imap_accounts.sql, added to the shared `Database`
 * interface by module augmentation. Import for its side effect.
 */
import type { ColumnType, Generated } from 'kysely';
import '../../../platform/db/schema.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Optional<T> = ColumnType<T, T | undefined, T>;
type NullableText = ColumnType<string | null, string | null | undefined, string | null>;
type NullableBytes = ColumnType<Uint8Array | null, Uint8Array | null | undefined, Uint8Array | null>;

export const IMAP_SECURITY = ['tls', 'starttls', 'none'] as const;
export type ImapSecurity = (typeof IMAP_SECURITY)[number];
export const IMAP_AUTH = ['password', 'xoauth2'] as const;
export type ImapAuth = (typeof IMAP_AUTH)[number];
export const IMAP_AFTER_STORE = ['move', 'flag'] as const;
export type ImapAfterStore = (typeof IMAP_AFTER_STORE)[number];
export type ImapState = 'pending' | 'connected' | 'error';

export interface ImapAccountsTable {
  id: string;
  org_id: string;
  mailbox_id: string;
  name: string;
  host: string;
  port: number;
  security: ImapSecurity;
  ca_pem: NullableText;
  username: string;
  auth: ImapAuth;
  password_enc: NullableBytes;
  oauth_token_url: NullableText;
  oauth_client_id: NullableText;
  oauth_scope: NullableText;
  oauth_client_secret_enc: NullableBytes;
  oauth_refresh_token_enc: NullableBytes;
  folder: Optional<string>;
  after_store: ImapAfterStore;
  move_to: NullableText;
  keyword: Optional<string>;
  max_bytes: Optional<number>;
  poll_seconds: Optional<number>;
  enabled: Optional<boolean>;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
  state: Optional<ImapState>;
  last_error: NullableText;
  last_error_at: NullableTimestamp;
  last_success_at: NullableTimestamp;
  failures: Optional<number>;
  next_attempt_at: Timestamp;
  fetched: ColumnType<string | number, number | undefined, number>;
  too_large: ColumnType<string | number, number | undefined, number>;
  lease_owner: NullableText;
  lease_until: NullableTimestamp;
}

export interface ImapMessagesTable {
  account_id: string;
  org_id: string;
  uid_validity: ColumnType<string | number, number | string, number | string>;
  uid: ColumnType<string | number, number | string, number | string>;
  outcome: 'stored' | 'too_large';
  size: ColumnType<string | number | null, number | null | undefined, number | null>;
  stored_at: Generated<Date>;
  marked_at: NullableTimestamp;
}

declare module '../../../platform/db/schema.js' {
  interface Database {
    imap_accounts: ImapAccountsTable;
    imap_messages: ImapMessagesTable;
  }
}
