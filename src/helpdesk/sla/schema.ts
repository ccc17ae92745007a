/**
 * Row types for migration 0007_productivity.sql, added by module augmentation
 * (the shared `Database` and the helpdesk `TicketsTable`) so the foundation's
 * and the helpdesk's schema files stay theirs. Import for its side effect.
 */
import type { ColumnType } from 'kysely';
import type { Static } from 'typebox';
import type { MacroActions as MacroActionsSchema } from '../../platform/http/schemas/macros.js';
import '../tickets/schema.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string | undefined, string>;
type TextArray = ColumnType<string[], string[] | undefined, string[]>;

export interface BusinessHours {
  /** ISO weekdays, 1 = Monday … 7 = Sunday. */
  weekdays: number[];
  /** Local "HH:MM". */
  start: string;
  end: string;
}

export interface SlaTarget {
  firstResponseMinutes: number;
  resolutionMinutes: number;
}

export interface SlaPoliciesTable {
  id: string;
  org_id: string;
  name: string;
  active: ColumnType<boolean, boolean | undefined, boolean>;
  time_zone: string;
  business_hours: Json<BusinessHours>;
  holidays: Json<string[]>;
  targets: Json<Partial<Record<string, SlaTarget>>>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A macro's actions, as its contract (src/platform/http/schemas/macros.ts) validates them. */
export type MacroActions = Static<typeof MacroActionsSchema>;

export interface MacrosTable {
  id: string;
  org_id: string;
  name: string;
  body_enc: Uint8Array | null;
  actions: Json<MacroActions>;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SearchTokensTable {
  org_id: string;
  ticket_id: string;
  message_id: string | null;
  customer_id: string | null;
  token: Uint8Array;
}

export interface WebhookSubscriptionsTable {
  id: string;
  org_id: string;
  url: string;
  events: TextArray;
  secret_enc: Uint8Array;
  active: ColumnType<boolean, boolean | undefined, boolean>;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type WebhookDeliveryStatus = 'queued' | 'sending' | 'delivered' | 'failed';

export interface WebhookDeliveriesTable {
  id: string;
  org_id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  payload: Json<Record<string, unknown>>;
  status: ColumnType<WebhookDeliveryStatus, WebhookDeliveryStatus | undefined, WebhookDeliveryStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp;
  locked_until: Date | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Timestamp;
}

declare module '../tickets/schema.js' {
  interface TicketsTable {
    sla_policy_id: ColumnType<string | null, string | null | undefined, string | null>;
    first_response_due_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
    resolution_due_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
    merged_into_id: ColumnType<string | null, string | null | undefined, string | null>;
    split_from_id: ColumnType<string | null, string | null | undefined, string | null>;
  }
}

declare module '../../platform/db/schema.js' {
  interface Database {
    sla_policies: SlaPoliciesTable;
    macros: MacrosTable;
    search_tokens: SearchTokensTable;
    webhook_subscriptions: WebhookSubscriptionsTable;
    webhook_deliveries: WebhookDeliveriesTable;
  }
}
