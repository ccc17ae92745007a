/**
 * Outbound email text never carries the stored `[redacted:one_time_code]`
 * token: the customer reads "[one-time code removed]" instead (pure).
 */
import { REDACTION_TOKEN } from '../../platform/http/schemas/dlp-policy.js';

const NAMES: Readonly<Record<string, string>> = {
  payment_card: 'card number',
  card_security_code: 'card security code',
  card_expiry: 'card expiry date',
  iban: 'bank account number',
  us_ssn: 'social security number',
  uk_nino: 'national insurance number',
  uk_sort_code_account: 'sort code and account',
  us_routing_number: 'routing number',
  email: 'email address',
  phone: 'phone number',
  ip_address: 'IP address',
  date_of_birth: 'date of birth',
  password: 'password',
  one_time_code: 'one-time code',
  secret: 'secret or key',
};

export function readableRedactionMarkers(text: string): string {
  return text.replace(new RegExp(REDACTION_TOKEN.source, 'g'), (_m, type: string) => `[${NAMES[type] ?? 'sensitive data'} removed]`);
}
