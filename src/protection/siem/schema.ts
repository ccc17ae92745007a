/**
 * Row types of migration 0030_siem.sql, added to the shared `Database`
 * interface by module augmentation. Import for its side effect.
 */
import type { ColumnType, Generated } from 'kysely';
import '../../platform/db/schema.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Optional<T> = ColumnType<T, T | undefined, T>;

export const SIEM_TRANSPORTS = ['tls', 'tcp', 'udp', 'https'] as const;
export type SiemTransport = (typeof SIEM_TRANSPORTS)[number];
export const SIEM_FORMATS = ['cef', 'ocsf'] as const;
export type SiemFormat = (typeof SIEM_FORMATS)[number];

export interface SiemDestinationsTable {
  id: string;
  org_id: string;
  name: string;
  transport: SiemTransport;
  host: string | null;
  port: number | null;
  url: string | null;
  format: SiemFormat;
  ca_pem: string | null;
  client_cert_pem: string | null;
  client_key_enc: Uint8Array | null;
  token_enc: Uint8Array | null;
  enabled: Optional<boolean>;
  lag_alert_threshold: Optional<number>;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface SiemCursorsTable {
  destination_id: string;
  org_id: string;
  cursor_idx: Optional<number>;
  delivered: Optional<number>;
  lag: Optional<number>;
  last_success_at: NullableTimestamp;
  last_error: ColumnType<string | null, string | null | undefined, string | null>;
  last_error_at: NullableTimestamp;
  failures: Optional<number>;
  next_attempt_at: Timestamp;
  lag_alert_at: NullableTimestamp;
  lease_owner: ColumnType<string | null, string | null | undefined, string | null>;
  lease_until: NullableTimestamp;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    siem_destinations: SiemDestinationsTable;
    siem_cursors: SiemCursorsTable;
  }
}
