/**
 * Row types of migration 0029_simulations.sql, added to the shared `Database`
 * interface by module augmentation. Import for its side effect.
 */
import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import '../../platform/db/schema.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type SimulationBanner = 'as_real' | 'none';
export type LandingForm = 'none' | 'credentials' | 'payment';
export type DeliveryPath = 'queue' | 'mailbox';
export type CampaignStatus = 'scheduled' | 'ended';
export type RecipientStatus = 'scheduled' | 'delivering' | 'delivered' | 'skipped' | 'failed';
export const SIMULATION_EVENT_TYPES = ['delivered', 'opened', 'clicked', 'data_entered', 'attachment_opened', 'reported', 'skipped'] as const;
export type SimulationEventType = (typeof SIMULATION_EVENT_TYPES)[number];

export interface SimulationCampaignsTable {
  id: string;
  org_id: string;
  name: string;
  template_id: string;
  mailbox_id: string;
  sender_domain: string;
  banner: SimulationBanner;
  status: ColumnType<CampaignStatus, CampaignStatus | undefined, CampaignStatus>;
  starts_at: Timestamp;
  window_minutes: number;
  ends_at: Timestamp;
  created_by: string | null;
  created_at: Generated<Date>;
  /** Migration 0034: the organisation template as it was at creation (null: shipped, by template_id). */
  template: ColumnType<StoredTemplate | null, string | null | undefined, string | null>;
  landing_form: ColumnType<LandingForm, LandingForm | undefined, LandingForm>;
  delivery: ColumnType<DeliveryPath, DeliveryPath | undefined, DeliveryPath>;
}

/** One language version of an organisation's template (a red flag quotes text of this version). */
export interface StoredTemplateVersion {
  language: string;
  fromName: string;
  fromLocalPart: string;
  subject: string;
  body: string;
  redFlags: Array<{ in: 'subject' | 'from' | 'body'; quote: string; explanation: string }>;
  /** Decision 0223: a harmless file that reports when opened, in this version's words (absent: none). */
  attachment?: { filename: string; title: string; text: string; button: string } | null | undefined;
}

export interface StoredTemplate {
  id: string;
  version: number;
  name: string;
  scenario: string;
  difficulty: 1 | 2 | 3;
  trainingTopic: string;
  defaultLanguage: string;
  versions: StoredTemplateVersion[];
}

export interface SimulationTemplatesTable {
  id: string;
  org_id: string;
  name: string;
  scenario: string;
  difficulty: number;
  training_topic: string;
  default_language: string;
  versions: JSONColumnType<StoredTemplateVersion[], string, string>;
  version: ColumnType<number, number | undefined, number>;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface SimulationRecipientsTable {
  id: string;
  org_id: string;
  campaign_id: string;
  user_id: string;
  token_hash: ColumnType<Uint8Array | null, Uint8Array | null | undefined, Uint8Array | null>;
  customer_name: string;
  scheduled_at: Timestamp;
  status: ColumnType<RecipientStatus, RecipientStatus | undefined, RecipientStatus>;
  skip_reason: ColumnType<string | null, string | null | undefined, string | null>;
  ticket_id: ColumnType<string | null, string | null | undefined, string | null>;
  message_id: ColumnType<string | null, string | null | undefined, string | null>;
  delivered_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  language: ColumnType<string | null, string | null | undefined, string | null>;
  /** Migration 0036: the hash of the token in a mailbox attachment's link (decision 0200). */
  attachment_token_hash: ColumnType<Uint8Array | null, Uint8Array | null | undefined, Uint8Array | null>;
}

export interface SimulationEventsTable {
  id: string;
  org_id: string;
  recipient_id: string;
  type: SimulationEventType;
  discounted_reason: string | null;
  created_at: Generated<Date>;
}

/** A person's own simulation language (migration 0043); null follows the organisation's setting. */
export interface UserLanguageColumn {
  language: ColumnType<string | null, string | null | undefined, string | null>;
}

declare module '../../platform/db/schema.js' {
  interface UsersTable extends UserLanguageColumn {}
  interface Database {
    simulation_campaigns: SimulationCampaignsTable;
    simulation_recipients: SimulationRecipientsTable;
    simulation_events: SimulationEventsTable;
    simulation_templates: SimulationTemplatesTable;
  }
}
