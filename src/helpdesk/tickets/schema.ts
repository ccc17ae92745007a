/**
 * Row types of the helpdesk tables (migration 0003_helpdesk.sql), added to the
 * shared `Database` interface by module augmentation so src/platform/db/schema.ts stays
 * the foundation's. Import this file (for its side effect on types) wherever
 * these tables are queried.
 */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Bytes = Uint8Array;
type TextArray = ColumnType<string[], string[] | undefined, string[]>;
type Json<T> = ColumnType<T, string | undefined, string>;

import type { MessageKind, ThreatVerdict, TicketChannel, TicketPriority, TicketStatus } from '../../platform/http/schemas/tickets.js';

export { TICKET_CHANNELS, TICKET_PRIORITIES, TICKET_STATUSES } from '../../platform/http/schemas/tickets.js';
export type { MessageKind, ThreatVerdict, TicketChannel, TicketPriority, TicketStatus } from '../../platform/http/schemas/tickets.js';
export type DeliveryStatus = 'queued' | 'sent' | 'retrying' | 'failed' | 'written';
export type QuarantineReason = 'malformed' | 'phishing' | 'dangerous' | 'reported';

/** What the sensitive-data scan did to a stored text: type and position only, never the value. */
export interface StoredRedaction {
  field: 'subject' | 'body' | 'html' | 'attachment';
  type: string;
  start: number;
  end: number;
  action: 'redact' | 'flag';
}

export interface CustomerContactsTable {
  id: string;
  org_id: string;
  customer_id: string;
  kind: 'email' | 'phone';
  value_enc: Bytes;
  value_bidx: Bytes | null;
  created_at: Timestamp;
}

export interface CustomerExtraColumns {
  address_enc: Bytes | null;
  notes_enc: Bytes | null;
  custom_fields_enc: Bytes | null;
  merged_into: string | null;
}

export interface MailboxesTable {
  id: string;
  org_id: string;
  address: string;
  name: string;
  team_id: string | null;
  created_at: Timestamp;
}

export interface TicketsTable {
  id: string;
  org_id: string;
  /** Per organisation, from ticket_counters (migration 0012). */
  number: ColumnType<number, number, never>;
  subject_enc: Bytes | null;
  status: ColumnType<TicketStatus, TicketStatus | undefined, TicketStatus>;
  priority: ColumnType<TicketPriority, TicketPriority | undefined, TicketPriority>;
  channel: TicketChannel;
  requester_id: string | null;
  assignee_id: string | null;
  team_id: string | null;
  mailbox_id: string | null;
  tags: TextArray;
  custom_fields_enc: Bytes | null;
  reply_token_hash: Bytes | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  last_message_at: Timestamp;
  first_response_at: Date | null;
  solved_at: Date | null;
  closed_at: Date | null;
}

export interface MessagesTable {
  id: string;
  org_id: string;
  ticket_id: string;
  kind: MessageKind;
  author_type: 'customer' | 'user' | 'system';
  author_user_id: string | null;
  customer_id: string | null;
  body_enc: Bytes | null;
  html_enc: Bytes | null;
  raw_enc: Bytes | null;
  raw_size: number | null;
  /** Keyed hash of the Message-ID; unique per organisation among inbound_email (migration 0010, decision 0102). */
  message_id_hash: Bytes | null;
  message_id_enc: Bytes | null;
  auto_submitted: ColumnType<boolean, boolean | undefined, boolean>;
  redactions: Json<StoredRedaction[]>;
  threat_score: number | null;
  threat_verdict: ThreatVerdict | null;
  threat_codes: TextArray;
  threat_reasons_enc: Bytes | null;
  delivery_status: DeliveryStatus | null;
  created_at: Timestamp;
  /** The ticket's team and assignee on analysed messages, for the reports' scope; written only by triggers (migration 0024, decision 0163). */
  ticket_team_id: ColumnType<string | null, never, never>;
  ticket_assignee_id: ColumnType<string | null, never, never>;
}

export interface AttachmentsTable {
  id: string;
  org_id: string;
  message_id: string;
  customer_id: string | null;
  blob_key: string | null;
  filename_enc: Bytes | null;
  content_key_enc: Bytes | null;
  declared_type: string;
  sniffed_type: string;
  size: number;
  dangerous: ColumnType<boolean, boolean | undefined, boolean>;
  danger_reasons: TextArray;
  status: 'stored' | 'too_large' | 'withheld';
  created_at: Timestamp;
}

export interface QuarantineTable {
  id: string;
  org_id: string;
  mailbox_id: string | null;
  reason: QuarantineReason;
  codes: TextArray;
  threat_score: number | null;
  raw_enc: Bytes;
  raw_size: number;
  details_enc: Bytes | null;
  status: ColumnType<'held' | 'released' | 'deleted', 'held' | 'released' | 'deleted' | undefined, 'held' | 'released' | 'deleted'>;
  decided_by: string | null;
  decided_at: Date | null;
  created_at: Timestamp;
}

export interface OutboundMailTable {
  id: string;
  org_id: string;
  ticket_id: string;
  message_id: string;
  customer_id: string | null;
  to_enc: Bytes;
  /** Migration 0014: the email's text when it is not the message's (a secure-message notice with its link); cleared once sent or failed. */
  body_enc: ColumnType<Bytes | null, Bytes | null | undefined, Bytes | null>;
  smtp_message_id: string;
  status: ColumnType<'queued' | 'sending' | 'sent' | 'failed', 'queued' | undefined, 'queued' | 'sending' | 'sent' | 'failed'>;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  locked_until: Date | null;
  last_error: string | null;
  sent_at: Date | null;
  created_at: Timestamp;
}

/** Migration 0012: each organisation's last ticket number. */
export interface TicketCountersTable {
  org_id: string;
  last_number: ColumnType<number, number, number>;
}

declare module '../../platform/db/schema.js' {
  interface CustomersTable extends CustomerExtraColumns {}
  interface Database {
    customer_contacts: CustomerContactsTable;
    mailboxes: MailboxesTable;
    tickets: TicketsTable;
    messages: MessagesTable;
    attachments: AttachmentsTable;
    quarantine: QuarantineTable;
    outbound_mail: OutboundMailTable;
    ticket_counters: TicketCountersTable;
  }
}
