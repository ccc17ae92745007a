/**
 * Pure: what a device signs and how the server checks it (decision 0215). The browser holds a non-extractable
 * ECDSA P-256 key (WebCrypto); it signs `proofMessage(...)` — purpose, the server's single-use challenge, the
 * session's public handle and the browser's clock — and the server verifies the signature (IEEE P1363, as
 * WebCrypto produces it) against the public key it registered. The session handle in the message is why a
 * challenge and signature lifted from one browser are worthless in another: its session has another handle.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

export const PROOF_VERSION = 'trustdesk-device-proof/v1';
/** How far a browser's clock may be from the server's (either way) before its proof is refused. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** How long a challenge may wait for its signature. */
export const CHALLENGE_TTL_MS = 2 * 60_000;

export type ProofPurpose = 'register' | 'assert';

export function proofMessage(input: { purpose: ProofPurpose; challenge: string; binding: string; timestamp: number }): string {
  return `${PROOF_VERSION}\n${input.purpose}\n${input.challenge}\n${input.binding}\n${input.timestamp}`;
}

/** True when the browser's timestamp is within the tolerated skew of the server's clock. */
export function withinSkew(timestamp: number, now: number, maxSkewMs = MAX_CLOCK_SKEW_MS): boolean {
  return Number.isSafeInteger(timestamp) && Math.abs(now - timestamp) <= maxSkewMs;
}

export interface EcPublicJwk {
  kty: string;
  crv: string;
  x: string;
  y: string;
}

/** A P-256 public key from the browser's JWK, as SPKI DER; null when it is not one. */
export function publicKeyFromJwk(jwk: EcPublicJwk): Buffer | null {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') return null;
  try {
    const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' });
    return key.export({ format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}

/** Verifies a WebCrypto ECDSA P-256/SHA-256 signature (64 bytes, r‖s) over the message; never throws. */
export function verifyProof(spki: Uint8Array, message: string, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch {
    return false;
  }
  try {
    return verify('sha256', Buffer.from(message, 'utf8'), { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

/** The network an address belongs to, coarsely: its /24 (IPv4) or /48 (IPv6). A new one is a "new network". */
export function networkOf(ip: string): string {
  const v4 = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  if (isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  if (isIPv6(ip)) {
    const full = expandIPv6(ip);
    return `${full.slice(0, 3).join(':')}::/48`;
  }
  return ip;
}

function expandIPv6(ip: string): string[] {
  const [head = '', tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = Array(Math.max(0, 8 - h.length - t.length)).fill('0');
  return [...h, ...(tail === undefined ? [] : fill), ...t].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
}
