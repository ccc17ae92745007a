/**
 * Row types added by migration 0019 (signatures), by module augmentation so the shared row types stay
 * their owners'. Import this file (for its side effect on types) wherever these columns are queried.
 */
import '../tickets/schema.js';

export interface SignatureColumns {
  /** Sanitised, redacted rich text; null when none was written. */
  signature_html: string | null;
}

declare module '../../platform/db/schema.js' {
  interface UsersTable extends SignatureColumns {}
}

declare module '../tickets/schema.js' {
  interface MailboxesTable extends SignatureColumns {}
}
