/** Row types of privacy_requests (migration 0035), added to `Database` by module augmentation. */
import type { ColumnType } from 'kysely';
import type { ErasureCertificate } from './certificate.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type PrivacyRequestKind = 'access' | 'erasure';
export type PrivacyRequestVia = 'portal' | 'agent' | 'api' | 'cli' | 'retention';
export type PrivacyRequestStatus = 'new' | 'verified' | 'approved' | 'done' | 'rejected';

export interface PrivacyRequestsTable {
  id: string;
  org_id: string;
  customer_id: string;
  kind: PrivacyRequestKind;
  via: PrivacyRequestVia;
  status: ColumnType<PrivacyRequestStatus, PrivacyRequestStatus | undefined, PrivacyRequestStatus>;
  verification: 'code' | 'staff' | 'policy' | null;
  verification_id: string | null;
  requested_by: string | null;
  verified_by: string | null;
  verified_at: Date | null;
  decided_by: string | null;
  decided_at: Date | null;
  rejected_reason: string | null;
  received_at: Timestamp;
  due_at: Timestamp;
  completed_at: Date | null;
  certificate: ColumnType<ErasureCertificate | null, string | null | undefined, string | null>;
}

/** Migration 0040: an access request's export bundle, encrypted under the customer's key, and its download link. */
export interface PrivacyExportsTable {
  id: string;
  org_id: string;
  request_id: string;
  customer_id: string;
  bundle_enc: Uint8Array;
  bundle_size: number;
  counts: ColumnType<Record<string, number>, string, string>;
  link_hash: Uint8Array;
  expires_at: Date;
  download_count: ColumnType<number, number | undefined, number>;
  last_download_at: Date | null;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

/** Migration 0041: a legal hold on a customer or a ticket (active while lifted_at is null). */
export interface LegalHoldsTable {
  id: string;
  org_id: string;
  object_type: 'customer' | 'ticket';
  object_id: string;
  reason: string;
  set_by: string | null;
  set_at: ColumnType<Date, Date | string | undefined, never>;
  lifted_by: string | null;
  lifted_at: Date | null;
  lift_reason: string | null;
}

export type RetentionCategory = 'tickets' | 'quarantine' | 'exports' | 'customers';
export type RetentionCounts = Record<RetentionCategory, number>;
export type RetentionRunStatus = 'queued' | 'running' | 'done' | 'failed';
export type RetentionVia = 'api' | 'cli' | 'schedule';

/** Migration 0041: one run of the retention policy, and the records it planned to delete. */
export interface RetentionRunsTable {
  id: string;
  org_id: string;
  status: ColumnType<RetentionRunStatus, RetentionRunStatus | undefined, RetentionRunStatus>;
  via: RetentionVia;
  as_of: Date;
  policy: ColumnType<Record<string, unknown>, string, string>;
  planned: ColumnType<RetentionCounts, string, string>;
  deleted: ColumnType<RetentionCounts, string | undefined, string>;
  skipped: ColumnType<RetentionCounts, string | undefined, string>;
  requested_by: string | null;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  started_at: Date | null;
  finished_at: Date | null;
  locked_until: Date | null;
  error: string | null;
}

export interface RetentionRunItemsTable {
  run_id: string;
  category: RetentionCategory;
  object_id: string;
  state: ColumnType<'pending' | 'deleted' | 'skipped', 'pending' | 'deleted' | 'skipped' | undefined, 'pending' | 'deleted' | 'skipped'>;
}

export type ScheduleOutcome = 'started' | 'run_unfinished' | 'approver_lacks_permission';

/** Migration 0047: an organisation's retention schedule (no row: runs start only by hand). */
export interface RetentionSchedulesTable {
  org_id: string;
  frequency: 'daily' | 'weekly';
  weekday: number | null;
  hour: number;
  enabled_by: string | null;
  enabled_at: ColumnType<Date, Date | string | undefined, Date | string>;
  next_run_at: Date;
  last_run_at: Date | null;
  last_run_id: string | null;
  last_outcome: ScheduleOutcome | null;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    privacy_requests: PrivacyRequestsTable;
    privacy_exports: PrivacyExportsTable;
    legal_holds: LegalHoldsTable;
    retention_runs: RetentionRunsTable;
    retention_run_items: RetentionRunItemsTable;
    retention_schedules: RetentionSchedulesTable;
  }
}
