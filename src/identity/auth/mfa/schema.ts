/**
 * Row types for migration 0004_mfa.sql, merged into the shared Database type
 * by module augmentation (schema.ts stays as 0001–0003 left it).
 */
import type { ColumnType } from 'kysely';

export type ChallengePurpose = 'verify' | 'enrol';

export interface MfaEmailTable {
  user_id: string;
  confirmed_at: ColumnType<Date, Date | undefined, Date>;
}

declare module '../../../platform/db/schema.js' {
  interface MfaChallengesTable {
    purpose: ColumnType<ChallengePurpose, ChallengePurpose | undefined, ChallengePurpose>;
    session_hash: Uint8Array | null;
    payload_enc: Uint8Array | null;
  }
  interface Database {
    mfa_email: MfaEmailTable;
  }
}
