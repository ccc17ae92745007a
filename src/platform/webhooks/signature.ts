/**
 * Webhook signatures (pure). Header `Trustdesk-Signature: t=<unix seconds>,v1=<hex>`
 * where v1 = HMAC-SHA256(secret, `${t}.${body}`). The timestamp is signed so a
 * captured delivery cannot be replayed later than the receiver's tolerance.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'trustdesk-signature';
export const SECRET_PREFIX = 'tdwh_';

/** A new signing secret: shown once, stored encrypted. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64url');
}

export function signWebhookPayload(options: { secret: string; body: string; timestamp: number }): string {
  const t = Math.floor(options.timestamp);
  const mac = createHmac('sha256', options.secret).update(`${t}.${options.body}`, 'utf8').digest('hex');
  return `t=${t},v1=${mac}`;
}

/** What a receiver runs: constant-time compare, and a timestamp within `toleranceSeconds` of now. */
export function verifyWebhookSignature(options: { secret: string; body: string; header: string; nowSeconds?: number; toleranceSeconds?: number }): boolean {
  const parts = new Map<string, string[]>();
  for (const kv of options.header.split(',')) {
    const i = kv.indexOf('=');
    if (i <= 0) continue;
    const k = kv.slice(0, i).trim();
    parts.set(k, [...(parts.get(k) ?? []), kv.slice(i + 1).trim()]);
  }
  const t = Number(parts.get('t')?.[0]);
  if (!Number.isInteger(t)) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhookPayload({ secret: options.secret, body: options.body, timestamp: t }).split('v1=')[1] as string, 'hex');
  return (parts.get('v1') ?? []).some((v) => {
    const got = Buffer.from(v, 'hex');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
