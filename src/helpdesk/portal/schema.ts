/**
 * Row types for migration 0006_portal.sql, merged into the shared Database
 * type by module augmentation. Import for its side effect on types.
 */
import type { ColumnType, Generated } from 'kysely';
import '../tickets/schema.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Bytes = Uint8Array;

export type PortalSessionMethod = 'code' | 'link' | 'secure_message';

export interface CustomerSessionsTable {
  id_hash: Bytes;
  org_id: string;
  customer_id: string;
  method: PortalSessionMethod;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Date;
  revoked_at: Date | null;
  ip: string | null;
  user_agent: string | null;
}

export interface SecureMessagesTable {
  id: string;
  org_id: string;
  ticket_id: string;
  message_id: string;
  notice_message_id: string | null;
  customer_id: string;
  link_hash: Bytes;
  expires_at: Date;
  link_used_at: Date | null;
  first_read_at: Date | null;
  read_count: Generated<number>;
  created_by: string | null;
  created_at: Timestamp;
}

export interface PortalChallengesTable {
  id: string;
  org_id: string;
  customer_id: string;
  purpose: 'signin' | 'secure_message' | 'chat_email' | 'privacy_export';
  secure_message_id: string | null;
  /** `privacy_export` only (migration 0040): the access export whose download the code unlocks. */
  privacy_export_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** `chat_email` only (migration 0027): the conversation, and the address typed (encrypted, keyed hash). */
  conversation_id: ColumnType<string | null, string | null | undefined, string | null>;
  address_enc: ColumnType<Bytes | null, Bytes | null | undefined, Bytes | null>;
  address_hash: ColumnType<Bytes | null, Bytes | null | undefined, Bytes | null>;
  code_hmac: Bytes;
  link_hash: Bytes | null;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  expires_at: Date;
  consumed_at: Date | null;
  created_at: Timestamp;
}

export type VerificationStatus = 'pending' | 'verified' | 'failed';

export interface CustomerVerificationsTable {
  id: string;
  org_id: string;
  ticket_id: string;
  customer_id: string;
  channel: 'email' | 'sms';
  code_hmac: Bytes;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  status: ColumnType<VerificationStatus, VerificationStatus | undefined, VerificationStatus>;
  verified_via: 'agent' | 'portal' | 'chat' | null;
  requested_by: string | null;
  expires_at: Date;
  decided_at: Date | null;
  created_at: Timestamp;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    customer_sessions: CustomerSessionsTable;
    secure_messages: SecureMessagesTable;
    portal_challenges: PortalChallengesTable;
    customer_verifications: CustomerVerificationsTable;
  }
}
