/**
 * Row types for migration 0022_branding_and_acknowledgements.sql, merged into the shared
 * Database type by module augmentation. Import for its side effect on types.
 */
import type { ColumnType, Generated } from 'kysely';
import '../tickets/schema.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type LogoType = 'image/png' | 'image/jpeg' | 'image/webp';

export interface OrganizationLogosTable {
  org_id: string;
  content: Uint8Array;
  content_type: LogoType;
  sha256: string;
  updated_at: Timestamp;
}

export interface MailboxAcknowledgementsTable {
  mailbox_id: string;
  org_id: string;
  enabled: Generated<boolean>;
  template: string;
  updated_at: Timestamp;
}

declare module '../tickets/schema.js' {
  interface OutboundMailTable {
    /** Migration 0022: an automatic acknowledgement (Auto-Submitted: auto-replied; loop protection counts these). */
    auto_reply: Generated<boolean>;
  }
}

declare module '../../platform/db/schema.js' {
  interface Database {
    organization_logos: OrganizationLogosTable;
    mailbox_acknowledgements: MailboxAcknowledgementsTable;
  }
}
