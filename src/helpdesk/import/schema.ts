/** Row type of import_items (migration 0023), added to `Database` by module augmentation. */
import type { ColumnType } from 'kysely';

export type ImportSource = 'zendesk' | 'freescout';

export interface ImportItemsTable {
  org_id: string;
  source: ImportSource;
  kind: 'ticket' | 'customer';
  external_id: string;
  local_id: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    import_items: ImportItemsTable;
  }
}
