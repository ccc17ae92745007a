/**
 * Row types of migration 0008_phishing_reports.sql, added to the shared
 * `Database` interface by module augmentation. Import this file for its side
 * effect wherever these tables are queried.
 */
import type { ColumnType } from 'kysely';
import '../../helpdesk/tickets/schema.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type SenderListKind = 'allow' | 'block';
export type SenderListStatus = 'active' | 'pending';
export type SenderEntryType = 'domain' | 'address';
type Bytes = Uint8Array;
export type ReportOutcome = 'pending' | 'confirmed' | 'false_positive';

export interface SenderListsTable {
  id: string;
  org_id: string;
  kind: SenderListKind;
  /** Only rows from before migration 0012, until sealed at start-up (seal.ts). */
  value: ColumnType<string | null, string | null | undefined, string | null>;
  /** Exact keyed hash of the normalised value (Keyring.exactKeyedHash, sender_lists/value). */
  value_hash: Bytes | null;
  /** The value encrypted under the organisation's key, bound to this row. */
  value_enc: Bytes | null;
  entry_type: SenderEntryType | null;
  status: ColumnType<SenderListStatus, SenderListStatus | undefined, SenderListStatus>;
  source: ColumnType<'admin' | 'report', 'admin' | 'report' | undefined, 'admin' | 'report'>;
  reason: string;
  added_by: string | null;
  approved_by: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
}

export interface KnownSenderDomainsTable {
  org_id: string;
  /** Only rows from before migration 0012, until hashed at start-up (seal.ts). */
  domain: ColumnType<string | null, string | null | undefined, string | null>;
  /** Exact keyed hash of the registrable domain (Keyring.exactKeyedHash, known_sender_domains/domain). */
  domain_hash: Bytes | null;
  messages: ColumnType<number, number | undefined, number>;
  first_seen: Timestamp;
  last_seen: Timestamp;
}

export interface PhishingReportsTable {
  id: string;
  org_id: string;
  reporter_id: string;
  ticket_id: string;
  message_id: string;
  quarantine_id: string;
  comment_enc: Uint8Array | null;
  outcome: ColumnType<ReportOutcome, ReportOutcome | undefined, ReportOutcome>;
  decided_by: ColumnType<string | null, string | null | undefined, string | null>;
  decided_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: Timestamp;
}

declare module '../../helpdesk/tickets/schema.js' {
  interface MessagesTable {
    reported_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  }
}

declare module '../../platform/db/schema.js' {
  interface Database {
    sender_lists: SenderListsTable;
    known_sender_domains: KnownSenderDomainsTable;
    phishing_reports: PhishingReportsTable;
  }
}
