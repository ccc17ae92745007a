/**
 * The portal's secrets (pure apart from loading the key): one-time codes,
 * customer session tokens, link tokens, CSRF tokens and the signed fill-time
 * token of the public form. Bearer values are random and stored as SHA-256;
 * short codes are stored as HMACs under a system key, since a plain hash of a
 * six-digit code is reversed by trying a million values.
 */
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import type { Keyring } from '../../protection/crypto/keyring.js';
import { sameSecret } from '../../identity/auth/secrets.js';

export interface PortalKeys {
  key: Uint8Array;
}

export async function loadPortalKeys(keyring: Keyring): Promise<PortalKeys> {
  const { secret } = await keyring.systemSecret('portal-key', () => ({ secret: randomBytes(32) }));
  return { key: secret };
}

const mac = (keys: PortalKeys, label: string, value: string) => createHmac('sha256', keys.key).update(`${label}\0${value}`).digest();

/** `tdp_` session tokens, `tdm_` link tokens (magic and secure-message links), `tdx_` access-export links. */
export type PortalTokenPrefix = 'tdp' | 'tdm' | 'tdc' | 'tdx';

export function newPortalToken(prefix: PortalTokenPrefix): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function looksLikePortalToken(raw: unknown, prefix: PortalTokenPrefix): raw is string {
  return typeof raw === 'string' && raw.length === 47 && raw.startsWith(`${prefix}_`) && /^[A-Za-z0-9_-]+$/.test(raw.slice(4));
}

/** Six digits, uniformly random. */
export function newOneTimeCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** A code bound to its challenge (or verification) row and purpose. */
export function codeHmac(keys: PortalKeys, purpose: string, rowId: string, code: string): Buffer {
  return mac(keys, `code:${purpose}`, `${rowId}:${code.replace(/\s+/g, '')}`);
}

export function sameCode(keys: PortalKeys, purpose: string, rowId: string, code: string, stored: Uint8Array): boolean {
  return sameSecret(codeHmac(keys, purpose, rowId, code), stored);
}

export function portalCsrfToken(keys: PortalKeys, sessionToken: string): string {
  return mac(keys, 'csrf', sessionToken).toString('base64url');
}

/** The form's fill-time token: organisation and issue time, HMAC-signed so it cannot be forged or back-dated. */
export function signFormToken(keys: PortalKeys, input: { orgId: string; issuedAt: number }): string {
  const payload = `${input.orgId}.${input.issuedAt}`;
  return `${payload}.${mac(keys, 'form', payload).toString('base64url')}`;
}

export type FormTokenCheck = { ok: true } | { ok: false; reason: 'invalid' | 'expired' | 'too_fast' };

export function checkFormToken(keys: PortalKeys, token: string, input: { orgId: string; now: number; minFillMs: number; maxAgeMs: number }): FormTokenCheck {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'invalid' };
  const [orgId, issued, sig] = parts as [string, string, string];
  if (orgId !== input.orgId || !/^\d{1,15}$/.test(issued)) return { ok: false, reason: 'invalid' };
  if (!sameSecret(Buffer.from(sig), Buffer.from(mac(keys, 'form', `${orgId}.${issued}`).toString('base64url')))) return { ok: false, reason: 'invalid' };
  const age = input.now - Number(issued);
  if (age < 0 || age > input.maxAgeMs) return { ok: false, reason: 'expired' };
  if (age < input.minFillMs) return { ok: false, reason: 'too_fast' };
  return { ok: true };
}
