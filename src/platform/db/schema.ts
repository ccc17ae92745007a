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
  allowed_cidrs: ColumnType<string[], string[] | undefined, string[]>;
  settings: ColumnType<Record<string, unknown>, string | undefined, string>;
  /** Filled from the name by the database when not given (migration 0038). */
  slug: ColumnType<string, string | undefined, string>;
  status: ColumnType<'active' | 'suspended' | 'deleted', 'active' | 'suspended' | 'deleted' | undefined, 'active' | 'suspended' | 'deleted'>;
  suspended_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  deleted_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Limits set by the operator (migration 0052); null is unlimited. */
  limit_seats: ColumnType<number | null, number | null | undefined, number | null>;
  limit_storage_bytes: ColumnType<string | number | null, number | null | undefined, number | null>;
  limit_inbound_per_day: ColumnType<number | null, number | null | undefined, number | null>;
  /** The organisation's own DKIM signing (migration 0053): all four set, or none. */
  dkim_domain: ColumnType<string | null, string | null | undefined, string | null>;
  dkim_selector: ColumnType<string | null, string | null | undefined, string | null>;
  dkim_key_enc: ColumnType<Uint8Array | null, Uint8Array | null | undefined, Uint8Array | null>;
  dkim_public_key: ColumnType<string | null, string | null | undefined, string | null>;
  /** The host name its portal and customer links use (migration 0054); null: the installation's address. */
  host_name: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Inbound messages of one organisation on one UTC day (migration 0052). */
export interface OrganizationInboundDaysTable {
  org_id: string;
  day: ColumnType<Date | string, string, string>;
  count: ColumnType<number, number | undefined, number>;
}

export interface UsersTable {
  id: string;
  org_id: string;
  email: string;
  name: string;
  password_hash: string | null;
  status: 'invited' | 'active' | 'deactivated';
  failed_signins: Generated<number>;
  locked_until: Date | null;
  last_signin_at: Date | null;
  password_changed_at: Date | null;
  created_at: Timestamp;
  deactivated_at: Date | null;
  /** A leaver's scheduled deactivation (migration 0031), watched by the insider rules. */
  deactivation_scheduled_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** An operator-made service account (migration 0052): takes no seat. */
  service_account: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface RolesTable {
  id: string;
  org_id: string;
  key: string;
  name: string;
  built_in: Generated<boolean>;
  require_phishing_resistant: Generated<boolean>;
  allowed_cidrs: ColumnType<string[], string[] | undefined, string[]>;
  created_at: Timestamp;
}

export interface RolePermissionsTable {
  role_id: string;
  permission: string;
  scope: 'own' | 'team' | 'org';
}

export interface UserRolesTable {
  user_id: string;
  role_id: string;
  granted_by: string | null;
  granted_at: Timestamp;
}

export interface TeamsTable {
  id: string;
  org_id: string;
  name: string;
  created_at: Timestamp;
}

export interface TeamMembersTable {
  team_id: string;
  user_id: string;
  added_by: string | null;
  added_at: Timestamp;
}

export interface SessionsTable {
  id_hash: Bytes;
  user_id: string;
  org_id: string;
  csrf_hash: Bytes;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Date;
  mfa_at: Date | null;
  mfa_method: string | null;
  step_up_at: Date | null;
  ip: string | null;
  user_agent: string | null;
  /** How the first factor was proven: 'password' or 'sso' (migration 0039). */
  signin_method: ColumnType<string, string | undefined, string>;
  /** The registered device this session proved it runs on (migration 0046); null until it does. */
  device_id: ColumnType<string | null, string | null | undefined, string | null>;
  revoked_at: Date | null;
  revoked_reason: string | null;
}

export interface ApiTokensTable {
  id: string;
  org_id: string;
  user_id: string;
  kind: 'personal' | 'service';
  name: string;
  token_hash: Bytes;
  prefix: string;
  scopes: string[];
  expires_at: Date;
  created_by: string | null;
  created_at: Timestamp;
  last_used_at: Date | null;
  last_used_ip: string | null;
  revoked_at: Date | null;
}

export interface MfaTotpTable {
  user_id: string;
  secret_enc: Bytes;
  confirmed_at: Date | null;
  last_step: Generated<number>;
  created_at: Timestamp;
}

export interface WebauthnCredentialsTable {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: Bytes;
  counter: Generated<number>;
  transports: ColumnType<string[], string[] | undefined, string[]>;
  device_type: string | null;
  backed_up: Generated<boolean>;
  name: Generated<string>;
  created_at: Timestamp;
  last_used_at: Date | null;
}

export interface RecoveryCodesTable {
  user_id: string;
  code_hash: Bytes;
  created_at: Timestamp;
  used_at: Date | null;
}

export interface MfaChallengesTable {
  id: string;
  user_id: string;
  kind: 'webauthn-register' | 'webauthn-auth' | 'email-code' | 'sms-code';
  secret_hash: Bytes | null;
  challenge: string | null;
  attempts: Generated<number>;
  expires_at: Date;
  used_at: Date | null;
  created_at: Timestamp;
}

export interface UserPhonesTable {
  user_id: string;
  phone_enc: Bytes;
  verified_at: Date | null;
}

export interface AuthLinksTable {
  token_hash: Bytes;
  kind: 'setup' | 'invite' | 'reset';
  org_id: string | null;
  user_id: string | null;
  created_by: string | null;
  expires_at: Date;
  used_at: Date | null;
  created_at: Timestamp;
}

export interface SmsOutboxTable {
  id: string;
  org_id: string | null;
  to_number: string;
  body: string;
  created_at: Timestamp;
}

export interface SigninThrottleTable {
  key: string;
  failures: Generated<number>;
  window_start: Timestamp;
  locked_until: Date | null;
}

export interface AccessReviewCampaignsTable {
  id: string;
  org_id: string;
  name: string;
  team_id: string | null;
  created_by: string;
  reviewer_id: string | null;
  deadline: Date;
  revoke_undecided: Generated<boolean>;
  dormant_days: Generated<number>;
  unused_days: Generated<number>;
  status: 'open' | 'closed';
  created_at: Timestamp;
  closed_at: Date | null;
  last_reminder_at: Date | null;
}

export interface AccessReviewItemsTable {
  id: string;
  campaign_id: string;
  user_id: string;
  kind: 'role' | 'team';
  role_id: string | null;
  team_id: string | null;
  dormant: Generated<boolean>;
  unused_permissions: ColumnType<string[], string[] | undefined, string[]>;
  decision: 'certify' | 'revoke' | null;
  decided_by: string | null;
  decided_at: Date | null;
  comment: string | null;
  applied_at: Date | null;
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
  /** Set by an incident's containment (migration 0032): verification is required before any reveal. */
  verification_required_at?: ColumnType<Date | null, Date | null | undefined, Date | null>;
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
  organization_inbound_days: OrganizationInboundDaysTable;
  users: UsersTable;
  roles: RolesTable;
  role_permissions: RolePermissionsTable;
  user_roles: UserRolesTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  mfa_totp: MfaTotpTable;
  webauthn_credentials: WebauthnCredentialsTable;
  recovery_codes: RecoveryCodesTable;
  mfa_challenges: MfaChallengesTable;
  user_phones: UserPhonesTable;
  auth_links: AuthLinksTable;
  sms_outbox: SmsOutboxTable;
  signin_throttle: SigninThrottleTable;
  access_review_campaigns: AccessReviewCampaignsTable;
  access_review_items: AccessReviewItemsTable;
  data_keys: DataKeysTable;
  data_key_versions: DataKeyVersionsTable;
  system_keys: SystemKeysTable;
  key_rotations: KeyRotationsTable;
  customers: CustomersTable;
  audit_log: AuditLogTable;
  audit_checkpoints: AuditCheckpointsTable;
}
