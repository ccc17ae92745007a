/**
 * Passwords (NIST SP 800-63B): at least 12 characters, at most 256, no
 * composition rules, refused if common or breached (a bundled list of about
 * 49,000), hashed with argon2id at OWASP's recommended parameters.
 */
import argon2 from 'argon2';
import { dictionary } from '@zxcvbn-ts/language-common';
import { AppError } from '../../platform/errors.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../platform/http/schemas/auth.js';

/** OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1. */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
/** The length bounds live in the shared contract, so the web app checks the same numbers. */
export const MIN_PASSWORD_LENGTH = PASSWORD_MIN_LENGTH;
export const MAX_PASSWORD_LENGTH = PASSWORD_MAX_LENGTH;

let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  common ??= new Set((dictionary as { passwords: string[] }).passwords.map((p) => p.toLowerCase()));
  return common;
}

/** Why a password is refused, or null. Context words (name, email, product) count as weak too. */
export function passwordProblem(password: string, context: string[] = []): string | null {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (length > MAX_PASSWORD_LENGTH) return `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) return 'This password is too common; it appears in lists of breached passwords.';
  if (/^(.)\1+$/.test(password)) return 'This password repeats one character.';
  for (const word of ['trustdesk', ...context.map((c) => c.toLowerCase()).filter((c) => c.length >= 4)]) {
    if (lower === word || lower.replace(/[^a-z]/g, '') === word.replace(/[^a-z]/g, '')) return 'This password is too easy to guess from your details.';
  }
  return null;
}

export function assertPasswordAcceptable(password: string, context: string[] = []): void {
  const problem = passwordProblem(password, context);
  if (problem) throw new AppError('validation_failed', problem, { extra: { errors: [{ field: 'password', message: problem }] } });
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  if (!hash) {
    // Same work either way, so timing does not reveal whether an account exists.
    await argon2.hash(password, ARGON2_OPTIONS);
    return false;
  }
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** A hash computed once, verified against when no account matches (equal timing). */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= argon2.hash('not-a-real-password-0000', ARGON2_OPTIONS);
  return dummyHash;
}
