/**
 * Row types of the CSAT tables (migration 0021_csat_and_reports.sql), added to the shared
 * `Database` interface by module augmentation. Import for its side effect.
 */
import type { ColumnType } from 'kysely';
import type { CsatRating, CsatSource } from '../../platform/http/schemas/csat.js';
import '../tickets/schema.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface CsatSurveysTable {
  id: string;
  org_id: string;
  ticket_id: string;
  customer_id: string | null;
  message_id: string | null;
  /** SHA-256 of the link token; the raw token exists only in the email. */
  token_hash: Uint8Array;
  expires_at: Date;
  created_at: Timestamp;
}

export interface CsatRatingsTable {
  id: string;
  org_id: string;
  ticket_id: string;
  customer_id: string | null;
  survey_id: string | null;
  rating: CsatRating;
  /** DLP-redacted, encrypted under the customer's key. */
  comment_enc: Uint8Array | null;
  source: CsatSource;
  rated_at: Timestamp;
  updated_at: Timestamp;
  /** The ticket's team and assignee, for the reports' scope; written only by triggers (migration 0024, decision 0163). */
  ticket_team_id: ColumnType<string | null, never, never>;
  ticket_assignee_id: ColumnType<string | null, never, never>;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    csat_surveys: CsatSurveysTable;
    csat_ratings: CsatRatingsTable;
  }
}
