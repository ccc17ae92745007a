/**
 * Row types of migration 0042_scim.sql, added to the shared `Database` interface
 * by module augmentation. Import for its side effect.
 */
import type { ColumnType, Generated } from 'kysely';
import '../../platform/db/schema.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableDate = ColumnType<Date | null, Date | null | undefined, Date | null>;

export interface ScimTokensTable {
  id: string;
  org_id: string;
  name: string;
  token_hash: Uint8Array;
  prefix: string;
  created_by: string | null;
  created_at: Generated<Date>;
  expires_at: Date;
  last_used_at: NullableDate;
  last_used_ip: string | null;
  revoked_at: NullableDate;
}

export interface ScimUsersTable {
  user_id: string;
  org_id: string;
  user_name: string;
  external_id: string | null;
  given_name: string | null;
  family_name: string | null;
  display_name: string | null;
  updated_at: Timestamp;
  deleted_at: NullableDate;
}

export interface ScimGroupsTable {
  team_id: string;
  org_id: string;
  external_id: string | null;
  updated_at: Timestamp;
  deleted_at: NullableDate;
}

export interface ScimRoleMappingsTable {
  org_id: string;
  team_id: string;
  role_id: string;
}

export interface ScimDeprovisioningsTable {
  id: string;
  org_id: string;
  user_id: string;
  reason: 'inactive' | 'deleted';
  at: Generated<Date>;
  campaign_id: string | null;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    scim_tokens: ScimTokensTable;
    scim_users: ScimUsersTable;
    scim_groups: ScimGroupsTable;
    scim_role_mappings: ScimRoleMappingsTable;
    scim_deprovisionings: ScimDeprovisioningsTable;
  }
  interface AccessReviewItemsTable {
    deprovisioned: ColumnType<boolean, boolean | undefined, boolean>;
  }
}
