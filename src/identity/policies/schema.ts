/** Row types of the data-handling policy tables (migration 0045), added to `Database` by module augmentation. */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type PolicyKind = 'internal' | 'public';

export interface DataPolicyVersionsTable {
  id: string;
  org_id: string;
  kind: PolicyKind;
  /** null while a draft. */
  version: number | null;
  status: 'draft' | 'published';
  title: string;
  body_md: string;
  audience: ColumnType<string[], string[] | undefined, string[]>;
  effective_at: Timestamp | null;
  published_by: string | null;
  published_at: Timestamp | null;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface PolicyAttestationsTable {
  version_id: string;
  user_id: string;
  org_id: string;
  generated_sha256: string;
  attested_at: Timestamp;
}

export interface PolicyRemindersTable {
  version_id: string;
  user_id: string;
  kind: 'due' | 'overdue';
  org_id: string;
  created_at: Generated<Date>;
}

export interface PolicyCustomerNoticesTable {
  org_id: string;
  customer_id: string;
  created_at: Generated<Date>;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    data_policy_versions: DataPolicyVersionsTable;
    policy_attestations: PolicyAttestationsTable;
    policy_reminders: PolicyRemindersTable;
    policy_customer_notices: PolicyCustomerNoticesTable;
  }
}
