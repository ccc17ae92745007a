/**
 * Columns that migration 0005_access_reviews.sql adds to the access review
 * tables, merged into the shared row types by module augmentation (schema.ts
 * stays the foundation's). Imported for its side effect wherever they are used.
 */
import type { ColumnType } from 'kysely';

type TextArray = ColumnType<string[], string[] | undefined, string[]>;

declare module '../../platform/db/schema.js' {
  interface AccessReviewItemsTable {
    subject_email: string | null;
    subject_name: string | null;
    role_key: string | null;
    role_name: string | null;
    team_name: string | null;
    last_signin_at: Date | null;
    granted_permissions: TextArray;
  }
  interface AccessReviewCampaignsTable {
    closed_by: string | null;
    close_reason: 'manual' | 'deadline' | null;
  }
}
