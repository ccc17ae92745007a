/**
 * Row types of migration 0046_devices.sql (registered devices, their single-use challenges, per-role data
 * egress policies), added to the shared `Database` interface by module augmentation. Import for its side effect.
 */
import type { ColumnType } from 'kysely';
import '../../platform/db/schema.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Optional<T> = ColumnType<T, T | undefined, T>;

export interface DevicesTable {
  id: string;
  org_id: string;
  user_id: string;
  name: string;
  /** SPKI DER of the browser's ECDSA P-256 public key; the private key never leaves the browser. */
  public_key: Uint8Array;
  user_agent: string | null;
  known_networks: Optional<string[]>;
  created_at: Timestamp;
  last_used_at: Timestamp;
  last_ip: string | null;
  revoked_at: Date | null;
  revoked_by: string | null;
  /** Migration 0049: when an administrator approved it (or its registration, where no approval is asked). */
  approved_at: Date | null;
  approved_by: string | null;
}

export interface DeviceChallengesTable {
  challenge_hash: Uint8Array;
  session_id_hash: Uint8Array;
  user_id: string;
  created_at: Timestamp;
  expires_at: Date;
}

export interface DataEgressPoliciesTable {
  role_id: string;
  org_id: string;
  require_device: Optional<boolean>;
  allowed_cidrs: Optional<string[]>;
  updated_at: Timestamp;
  updated_by: string | null;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    devices: DevicesTable;
    device_challenges: DeviceChallengesTable;
    data_egress_policies: DataEgressPoliciesTable;
  }
}
