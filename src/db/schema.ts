/**
 * Row types of every table, as Kysely sees them. Migrations (SQL) are the
 * source of truth; this file mirrors them and changes in the same commit.
 */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Bytes = Uint8Array;

export interface OrganizationsTable {
  id: string;
  name: string;
  created_at: Timestamp;
}

export interface DataKeysTable {
  id: string;
  owner_type: 'customer' | 'organization';
  owner_id: string;
  purpose: 'fields' | 'blind-index';
  current_version: number;
  created_at: Timestamp;
  destroyed_at: Date | null;
}

export interface DataKeyVersionsTable {
  key_id: string;
  version: number;
  wrapped: Bytes | null;
  kek_id: string;
  created_at: Timestamp;
  retired_at: Date | null;
}

export interface SystemKeysTable {
  name: string;
  wrapped: Bytes;
  kek_id: string;
  public_key: Bytes | null;
  created_at: Timestamp;
}

export interface KeyRotationsTable {
  id: string;
  key_id: string | null;
  to_version: number;
  status: 'running' | 'done' | 'failed';
  total: number;
  done: number;
  error: string | null;
  started_at: Timestamp;
  finished_at: Date | null;
}

export interface CustomersTable {
  id: string;
  org_id: string;
  name_enc: Bytes | null;
  email_enc: Bytes | null;
  email_bidx: Bytes | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AuditLogTable {
  seq: Generated<number>;
  idx: number | null;
  id: string;
  ts: Date;
  org_id: string | null;
  actor_type: string;
  actor_id: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  subject: string | null;
  purpose: string | null;
  result: string;
  request_id: string | null;
  source_ip: string | null;
  details: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  leaf_hash: Bytes | null;
  mac: Bytes | null;
}

export interface AuditCheckpointsTable {
  tree_size: number;
  root_hash: Bytes;
  note: string;
  created_at: Timestamp;
}

export interface Database {
  organizations: OrganizationsTable;
  data_keys: DataKeysTable;
  data_key_versions: DataKeyVersionsTable;
  system_keys: SystemKeysTable;
  key_rotations: KeyRotationsTable;
  customers: CustomersTable;
  audit_log: AuditLogTable;
  audit_checkpoints: AuditCheckpointsTable;
}
