/** Row types of the insider-threat tables (migration 0031), added to `Database` by module augmentation. */
import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { InsiderThresholds, RuleKey } from './config.js';
import type { EvidenceRef } from './engine.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type AlertStatus = 'open' | 'acknowledged' | 'dismissed';

export interface InsiderSettingsTable {
  org_id: string;
  thresholds: JSONColumnType<InsiderThresholds, string, string>;
  updated_by: string | null;
  updated_at: Timestamp;
}

export interface InsiderCursorTable {
  id: number;
  last_idx: number;
  updated_at: Timestamp;
}

export interface InsiderStateTable {
  org_id: string;
  key: string;
  state: JSONColumnType<object, string, string>;
  updated_at: Timestamp;
}

export interface InsiderAlertsTable {
  id: string;
  org_id: string;
  rule: RuleKey;
  user_id: string;
  explanation: string;
  evidence: JSONColumnType<EvidenceRef[], string, string>;
  facts: JSONColumnType<Record<string, number | string | boolean | null>, string, string>;
  since: Timestamp;
  raised_at: Timestamp;
  event_idx: number;
  status: Generated<AlertStatus>;
  status_reason: string | null;
  status_by: string | null;
  status_at: Timestamp | null;
  incident_id: string | null;
  created_at: Generated<Date>;
}

export interface InsiderSuppressionsTable {
  id: string;
  org_id: string;
  rule: RuleKey;
  user_id: string;
  reason: string;
  expires_at: Timestamp;
  created_by: string | null;
  created_at: Generated<Date>;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    insider_settings: InsiderSettingsTable;
    insider_cursor: InsiderCursorTable;
    insider_state: InsiderStateTable;
    insider_alerts: InsiderAlertsTable;
    insider_suppressions: InsiderSuppressionsTable;
  }
}
