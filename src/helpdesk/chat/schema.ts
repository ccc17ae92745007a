/** Row types of the chat tables (migrations 0026, 0027), added to `Database` by module augmentation. */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type UuidArray = ColumnType<string[], string[] | undefined, string[]>;

export const CHAT_STATUSES = ['new', 'waiting', 'active', 'ended'] as const;
export type ChatStatus = (typeof CHAT_STATUSES)[number];
export type ChatIdentity = 'anonymous' | 'site' | 'portal' | 'email';
export type ChatAuthor = 'customer' | 'agent' | 'system';
export type ChatEventKind = 'waiting' | 'accepted' | 'transferred' | 'ended' | 'transcript' | 'verified' | 'identified';

export interface ChatSettingsTable {
  org_id: string;
  enabled: Generated<boolean>;
  team_id: string | null;
  allowed_origins: ColumnType<string[], string[] | undefined, string[]>;
  max_chats_per_agent: Generated<number>;
  offer_timeout_s: Generated<number>;
  identity_secret_enc: Uint8Array | null;
  identity_secret_at: NullableTimestamp;
  updated_at: Timestamp;
}

export interface ChatConversationsTable {
  id: string;
  org_id: string;
  ticket_id: string | null;
  customer_id: string;
  identity: ChatIdentity;
  host: string;
  token_hash: Uint8Array;
  expires_at: Timestamp;
  last_activity_at: Timestamp;
  status: ColumnType<ChatStatus, ChatStatus | undefined, ChatStatus>;
  team_id: string | null;
  agent_id: string | null;
  offered_to: string | null;
  offered_at: NullableTimestamp;
  offered_before: UuidArray;
  last_seq: Generated<number>;
  created_at: Timestamp;
  waiting_since: NullableTimestamp;
  accepted_at: NullableTimestamp;
  ended_at: NullableTimestamp;
  ended_by: 'customer' | 'agent' | 'timeout' | null;
}

export interface ChatEventsTable {
  conversation_id: string;
  seq: number;
  message_id: string | null;
  client_id: string | null;
  author: ChatAuthor;
  author_user_id: string | null;
  event: ChatEventKind | null;
  created_at: Timestamp;
}

export interface ChatIdentityJtisTable {
  org_id: string;
  jti_hash: Uint8Array;
  expires_at: Timestamp;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    chat_settings: ChatSettingsTable;
    chat_conversations: ChatConversationsTable;
    chat_events: ChatEventsTable;
    chat_identity_jtis: ChatIdentityJtisTable;
  }
}
