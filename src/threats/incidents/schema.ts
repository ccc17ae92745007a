/**
 * Row types of migration 0032_incidents.sql, added to the shared `Database`
 * interface by module augmentation. Import for its side effect.
 */
import type { ColumnType, Generated } from 'kysely';
import '../../platform/db/schema.js';
import type { IncidentEventKind, IncidentSeverity, IncidentSourceKind, IncidentStatus, IncidentType, EvidenceKind } from '../../platform/http/schemas/incidents.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTime = ColumnType<Date | null, Date | null | undefined, Date | null>;

export interface IncidentsTable {
  id: string;
  org_id: string;
  number: number;
  title_enc: Uint8Array;
  type: IncidentType;
  severity: IncidentSeverity;
  status: ColumnType<IncidentStatus, IncidentStatus | undefined, IncidentStatus>;
  owner_id: ColumnType<string | null, string | null | undefined, string | null>;
  source_kind: IncidentSourceKind;
  source_id: string | null;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
  resolved_at: NullableTime;
  breach_aware_at: NullableTime;
  breach_deadline_at: NullableTime;
  breach_record_enc: ColumnType<Uint8Array | null, Uint8Array | null | undefined, Uint8Array | null>;
  notify_subjects: ColumnType<boolean | null, boolean | null | undefined, boolean | null>;
  authority_notified_at: NullableTime;
  subjects_notified_at: NullableTime;
  handed_off_at: NullableTime;
}

export interface IncidentEvidenceTable {
  id: string;
  org_id: string;
  incident_id: string;
  kind: EvidenceKind;
  ref: string;
  added_by: string | null;
  added_at: Generated<Date>;
}

export interface IncidentEventsTable {
  id: string;
  org_id: string;
  incident_id: string;
  kind: IncidentEventKind;
  actor_id: string | null;
  detail: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  text_enc: Uint8Array | null;
  created_at: Generated<Date>;
}

export interface IncidentSettingsTable {
  org_id: string;
  it_email: string | null;
  dpo_contact: string | null;
  updated_at: Timestamp;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    incidents: IncidentsTable;
    incident_evidence: IncidentEvidenceTable;
    incident_events: IncidentEventsTable;
    incident_settings: IncidentSettingsTable;
  }
}
