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

declare module '../../platform/db/schema.js' {
  interface Database {
    privacy_requests: PrivacyRequestsTable;
  }
}
