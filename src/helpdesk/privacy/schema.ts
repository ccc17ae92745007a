/** Row types of privacy_requests (migration 0035), added to `Database` by module augmentation. */
import type { ColumnType } from 'kysely';
import type { ErasureCertificate } from './certificate.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type PrivacyRequestKind = 'access' | 'erasure';
export type PrivacyRequestVia = 'portal' | 'agent' | 'api' | 'cli';
export type PrivacyRequestStatus = 'new' | 'verified' | 'approved' | 'done' | 'rejected';

export interface PrivacyRequestsTable {
  id: string;
  org_id: string;
  customer_id: string;
  kind: PrivacyRequestKind;
  via: PrivacyRequestVia;
  status: ColumnType<PrivacyRequestStatus, PrivacyRequestStatus | undefined, PrivacyRequestStatus>;
  verification: 'code' | 'staff' | null;
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

declare module '../../platform/db/schema.js' {
  interface Database {
    privacy_requests: PrivacyRequestsTable;
    privacy_exports: PrivacyExportsTable;
  }
}
