import type { CountryCode } from 'libphonenumber-js';

export const SENSITIVE_TYPES = [
  'payment_card',
  'card_security_code',
  'card_expiry',
  'iban',
  'us_ssn',
  'uk_nino',
  'uk_sort_code_account',
  'us_routing_number',
  'email',
  'phone',
  'ip_address',
  'date_of_birth',
  'password',
  'one_time_code',
  'secret',
] as const;

export type SensitiveType = (typeof SENSITIVE_TYPES)[number];

/**
 * One detected span. It never carries the matched value, so a Finding can be
 * logged, stored or sent to another session without leaking what it found.
 */
export interface Finding {
  type: SensitiveType;
  start: number;
  end: number;
  /** 0..1, how sure the detector is (checksums and context raise it). */
  confidence: number;
  /** Short machine-readable explanation, e.g. `luhn+iin:visa`. Never contains the value. */
  reason: string;
}

/** Categories of context words; each is a list of whole words or phrases. */
export const CONTEXT_CATEGORIES = [
  'card',
  'cvc',
  'expiry',
  'ssn',
  'routing',
  'sort_code',
  'account',
  'phone',
  'dob',
  'password',
  'otp',
  'secret',
  /** Labels of identifiers (order, invoice, licence…): a number after them is not a phone. */
  'identifier',
] as const;

export type ContextCategory = (typeof CONTEXT_CATEGORIES)[number];

export interface DetectOptions {
  /** Only run detectors for these types (default: all). */
  types?: readonly SensitiveType[];
  /** Region used to read national-format phone numbers first (default `US`). */
  defaultRegion?: CountryCode;
  /**
   * Further regions in which a national-format phone number is accepted when it
   * is valid there. Default: a broad European/Anglophone set (see phone.ts).
   */
  phoneRegions?: readonly CountryCode[];
  /** Extra context words per category, added to the built-in lists (admins extend these). */
  extraContextWords?: Partial<Record<ContextCategory, readonly string[]>>;
  /** The text is an HTML body: character references (`&#52;`) are read as the characters they stand for. */
  html?: boolean;
}

export type Action = 'redact' | 'flag' | 'ignore';

export interface DlpPolicy {
  actions: Partial<Record<SensitiveType, Action>>;
  /** How much of a card number survives redaction. */
  cardRedaction: 'first6last4' | 'last4';
}

export interface Redaction {
  type: SensitiveType;
  /** Position in the OUTPUT text. */
  start: number;
  end: number;
  action: Exclude<Action, 'ignore'>;
}

export interface RedactResult {
  text: string;
  redactions: Redaction[];
}
