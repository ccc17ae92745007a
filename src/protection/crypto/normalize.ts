/**
 * Canonical forms for blind-indexed values: two inputs that a person would call
 * "the same" must hash alike. Changing any of these changes every stored index,
 * so a change here needs a new `trustdesk/bidx/vN` label and a reindex.
 * See docs/decisions/0011-blind-indexes.md.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

export interface PhoneNormalizeOptions {
  /** Region assumed for numbers written without a country code (e.g. 'GB'). None by default. */
  defaultRegion?: CountryCode;
}

const WHITESPACE_RUN = /\s+/gu;
const NON_DIGITS = /[^0-9]/g;

function normalizeEmail(value: string): string {
  // Whole address, lowercased. No dot or plus folding: those rules belong to
  // particular providers, and folding them would merge distinct mailboxes.
  return value.normalize('NFKC').trim().toLowerCase();
}

function normalizeDigits(value: string): string {
  return value.normalize('NFKC').replace(NON_DIGITS, '');
}

function normalizePhone(value: string, options: PhoneNormalizeOptions = {}): string {
  const cleaned = value.normalize('NFKC').trim();
  const parsed = parsePhoneNumberFromString(cleaned, options.defaultRegion === undefined ? {} : { defaultCountry: options.defaultRegion });
  // isPossible (length rules) rather than isValid (number-range metadata): the
  // latter changes with library updates and would silently move index values.
  if (parsed !== undefined && parsed.isPossible()) return parsed.number;
  const digits = normalizeDigits(cleaned);
  return cleaned.startsWith('+') && digits.length > 0 ? `+${digits}` : digits;
}

function normalizeText(value: string): string {
  return value.normalize('NFKC').trim().toLowerCase().replace(WHITESPACE_RUN, ' ');
}

export const normalizers: {
  email(v: string): string;
  phone(v: string, options?: PhoneNormalizeOptions): string;
  digits(v: string): string;
  text(v: string): string;
} = {
  email: normalizeEmail,
  phone: normalizePhone,
  digits: normalizeDigits,
  text: normalizeText,
};

export type NormalizerName = keyof typeof normalizers;
