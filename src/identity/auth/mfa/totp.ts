/**
 * Pure TOTP (RFC 6238) over otpauth's HOTP: a new secret, its otpauth:// URI,
 * and which time step a code belongs to. The caller stores the last accepted
 * step and refuses any step not after it, so a code is never accepted twice.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { HOTP, Secret, TOTP } from 'otpauth';

export const TOTP_PERIOD_S = 30;
export const TOTP_DIGITS = 6;
/** Steps either side of now that still match (clock drift, typing time). */
export const TOTP_WINDOW = 1;

/** A new 160-bit secret (RFC 4226's recommended size), base32 as authenticator apps expect. */
export function newTotpSecret(): string {
  return new Secret({ buffer: randomBytes(20).buffer }).base32;
}

export function totpUri(input: { secret: string; issuer: string; account: string }): string {
  return new TOTP({ issuer: input.issuer, label: input.account, secret: Secret.fromBase32(input.secret), digits: TOTP_DIGITS, period: TOTP_PERIOD_S, algorithm: 'SHA1' }).toString();
}

export function totpStepAt(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_PERIOD_S);
}

/** The code for a step (tests, and the matcher below). */
export function totpCodeForStep(secret: string, step: number): string {
  return HOTP.generate({ secret: Secret.fromBase32(secret), counter: step, digits: TOTP_DIGITS, algorithm: 'SHA1' });
}

/**
 * The time step `code` was generated for, within ±window of `at`, or null.
 * Every candidate is compared (in constant time) so timing does not tell which
 * step matched; the newest matching step wins.
 */
export function matchTotpStep(input: { secret: string; code: string; at: Date; window?: number }): number | null {
  const code = input.code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(code)) return null;
  const now = totpStepAt(input.at);
  const window = input.window ?? TOTP_WINDOW;
  let found: number | null = null;
  for (let step = now - window; step <= now + window; step++) {
    if (timingSafeEqual(Buffer.from(totpCodeForStep(input.secret, step)), Buffer.from(code))) found = step;
  }
  return found;
}
