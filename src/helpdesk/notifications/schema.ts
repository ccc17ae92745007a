/** Row types of the notification tables (migration 0018), added to `Database` by module augmentation. */
import type { ColumnType } from 'kysely';
import type { NotificationKind } from '../../platform/http/schemas/notifications.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type { NotificationKind };
export { NOTIFICATION_KINDS } from '../../platform/http/schemas/notifications.js';

export interface NotificationsTable {
  id: string;
  org_id: string;
  user_id: string;
  kind: NotificationKind;
  ticket_id: string | null;
  count: ColumnType<number, number | undefined, number>;
  actor_id: string | null;
  in_app: boolean;
  email_pending: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
  read_at: Date | null;
}

export interface NotificationPreferencesTable {
  user_id: string;
  kind: NotificationKind;
  in_app: boolean;
  email: boolean;
  updated_at: Timestamp;
}

export interface NotificationEmailsTable {
  id: string;
  org_id: string;
  user_id: string;
  status: ColumnType<'queued' | 'sending' | 'sent' | 'failed' | 'skipped', 'queued' | undefined, 'queued' | 'sending' | 'sent' | 'failed' | 'skipped'>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp;
  locked_until: Date | null;
  last_error: string | null;
  events: number | null;
  tickets: number | null;
  created_at: Timestamp;
  sent_at: Date | null;
}

export interface NotificationSlaWarningsTable {
  ticket_id: string;
  target: 'first_response' | 'resolution';
  due_at: Date;
  created_at: Timestamp;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    notifications: NotificationsTable;
    notification_preferences: NotificationPreferencesTable;
    notification_emails: NotificationEmailsTable;
    notification_sla_warnings: NotificationSlaWarningsTable;
  }
}
