/**
 * Rating-link tokens (pure): 32 random bytes as `tdc_` + base64url. Only the SHA-256 is stored
 * (csat_surveys.token_hash); the row binds the token to its ticket, organisation and expiry.
 */
import { randomBytes } from 'node:crypto';
import { hashSecret } from '../../identity/auth/secrets.js';

export const CSAT_TOKEN_PREFIX = 'tdc';
/** How long a rating link records answers (and may change an earlier one). */
export const CSAT_LINK_TTL_MS = 30 * 24 * 3_600_000;

export function newCsatToken(): string {
  return `${CSAT_TOKEN_PREFIX}_${randomBytes(32).toString('base64url')}`;
}

export function looksLikeCsatToken(raw: unknown): raw is string {
  return typeof raw === 'string' && raw.length === 47 && raw.startsWith(`${CSAT_TOKEN_PREFIX}_`) && /^[A-Za-z0-9_-]+$/.test(raw.slice(4));
}

export function csatTokenHash(token: string): Buffer {
  return hashSecret(token);
}

/** The page a rating link opens; `rating` only preselects the choice there. */
export function csatLinkUrl(publicUrl: string, token: string, rating: 'good' | 'bad'): string {
  return `${publicUrl}/portal/rate?token=${encodeURIComponent(token)}&rating=${rating}`;
}

/** The survey email's text (pure): no customer data beyond the ticket number. */
export function composeCsatSurvey(input: { ticketNumber: number; publicUrl: string; token: string; expiresAt: Date; brand: string }): string {
  return [
    `Your request #${input.ticketNumber} to ${input.brand} has been solved.`,
    '',
    'How would you rate the support you received? Choose one (you can add a comment on the page that opens):',
    '',
    `Good, I am satisfied: ${csatLinkUrl(input.publicUrl, input.token, 'good')}`,
    '',
    `Bad, I am not satisfied: ${csatLinkUrl(input.publicUrl, input.token, 'bad')}`,
    '',
    `You can rate, or change your rating, until ${input.expiresAt.toUTCString()}.`,
    'If something is still not right, reply to this email and your request opens again.',
  ].join('\n');
}
