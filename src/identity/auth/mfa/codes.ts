/**
 * Pure helpers for the code-shaped factors: recovery codes (high entropy,
 * stored as SHA-256 like every bearer secret) and one-time codes sent by
 * email or SMS (six digits, so stored as an HMAC under a server key: a plain
 * hash of a million possibilities would fall to a dump in a second).
 */
import { createHmac, randomInt } from 'node:crypto';
import { hashSecret } from '../secrets.js';

export const RECOVERY_CODE_COUNT = 10;
/** No 0/o, 1/l/i, so a code read off paper is typed right. 31 symbols × 10 = ~49.5 bits. */
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** `xxxxx-xxxxx`, lower case; the dash is decoration and ignored on input. */
export function newRecoveryCode(): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    if (i === 5) out += '-';
    out += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
  }
  return out;
}

export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  const codes = new Set<string>();
  while (codes.size < count) codes.add(newRecoveryCode());
  return [...codes];
}

/** Lower-cased with spaces and dashes removed; null when it cannot be a recovery code. */
export function normalizeRecoveryCode(input: string): string | null {
  const s = input.toLowerCase().replace(/[\s-]+/g, '');
  return /^[a-z0-9]{10}$/.test(s) ? s : null;
}

export function hashRecoveryCode(normalized: string): Buffer {
  return hashSecret(`recovery:${normalized}`);
}

/** Six random digits. */
export function newOneTimeCode(): string {
  return String(randomInt(1_000_000)).padStart(6, '0');
}

/** Bound to its challenge, so a code is worthless with any other challenge. */
export function hashOneTimeCode(key: Uint8Array, challengeId: string, code: string): Buffer {
  return createHmac('sha256', key).update(`trustdesk/otc/v1\0${challengeId}\0${code}`).digest();
}

/** A phone number shown back to its owner: country code and last two digits only. */
export function maskPhone(e164: string): string {
  const digits = e164.replace(/\D/g, '');
  if (digits.length < 4) return '•••';
  return `+${digits.slice(0, digits.length > 10 ? 2 : 1)}${'•'.repeat(Math.max(3, digits.length - 4))}${digits.slice(-2)}`;
}

/** An email address shown in a "code sent to" message: first letter and domain. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '•••';
  return `${email[0]}•••${email.slice(at)}`;
}
