/**
 * Threading keys and the pure functions around them. A reply token is an HMAC
 * of the ticket id (so it cannot be guessed from the ticket number); the table
 * holds only its SHA-256. Message-IDs are looked up through a keyed hash, since
 * some mailers put the sender's address inside them.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Keyring } from '../../protection/crypto/keyring.js';

export interface MailKeys {
  replyToken: Buffer;
  messageId: Buffer;
}

const SECRET_NAME = 'helpdesk-mail-v1';

export async function loadMailKeys(keyring: Keyring): Promise<MailKeys> {
  const { secret } = await keyring.systemSecret(SECRET_NAME, () => ({ secret: randomBytes(32) }));
  const sub = (label: string) => createHmac('sha256', secret).update(`trustdesk/mail/${label}`).digest();
  return { replyToken: sub('reply-token'), messageId: sub('message-id') };
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(bytes: Uint8Array, chars: number): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

/** 20 base32 characters = 100 bits; lower-case so mail systems that fold case keep it intact. */
export function deriveReplyToken(keys: MailKeys, ticketId: string): string {
  return base32(createHmac('sha256', keys.replyToken).update(ticketId).digest(), 20);
}

export function hashReplyToken(token: string): Buffer {
  return createHash('sha256').update(token.toLowerCase()).digest();
}

const TOKEN = /^[a-z2-7]{20}$/;

/** The reply token in `local+token@domain`, if the address carries one. */
export function replyTokenFromAddress(address: string): string | null {
  const at = address.lastIndexOf('@');
  const local = (at >= 0 ? address.slice(0, at) : address).toLowerCase();
  const plus = local.lastIndexOf('+');
  if (plus < 0) return null;
  const token = local.slice(plus + 1);
  return TOKEN.test(token) ? token : null;
}

/** `support+tag@example.com` → `support@example.com` (mailbox routing ignores sub-addresses). */
export function baseAddress(address: string): string {
  const a = address.trim().toLowerCase();
  const at = a.lastIndexOf('@');
  if (at <= 0) return a;
  const local = a.slice(0, at);
  const plus = local.indexOf('+');
  return (plus >= 0 ? local.slice(0, plus) : local) + a.slice(at);
}

/** `support@example.com` + token → `support+token@example.com`. */
export function addressWithToken(address: string, token: string): string {
  const base = baseAddress(address);
  const at = base.lastIndexOf('@');
  return `${base.slice(0, at)}+${token}${base.slice(at)}`;
}

/** `<abc@host>` or `abc@host` → `abc@host`; '' when empty. Bounded. */
export function normalizeMessageId(value: string): string {
  let v = value.trim().slice(0, 998);
  if (v.startsWith('<')) v = v.slice(1);
  const gt = v.indexOf('>');
  if (gt >= 0) v = v.slice(0, gt);
  return v.trim();
}

/** Message-IDs in an In-Reply-To or References value, in order, at most `max`. */
export function parseMessageIdList(value: string, max = 50): string[] {
  const out: string[] = [];
  let i = 0;
  while (out.length < max) {
    const lt = value.indexOf('<', i);
    if (lt < 0) break;
    const gt = value.indexOf('>', lt + 1);
    if (gt < 0) break;
    const id = value.slice(lt + 1, gt).trim();
    if (id && id.length <= 998) out.push(id);
    i = gt + 1;
  }
  return out;
}

export function hashMessageId(keys: MailKeys, orgId: string, messageId: string): Buffer {
  return createHmac('sha256', keys.messageId).update(`${orgId}\n${normalizeMessageId(messageId)}`).digest();
}

/** `[#123]` in a subject → 123 (the last such tag wins: replies prepend, they rarely append). */
export function ticketNumberFromSubject(subject: string): number | null {
  const matches = subject.slice(0, 2048).match(/\[#(\d{1,15})\]/g);
  if (!matches) return null;
  const last = matches[matches.length - 1] as string;
  const n = Number(last.slice(2, -1));
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** Header values may not carry line breaks (header injection); other control characters go too. */
export function sanitizeHeaderValue(value: string, maxChars = 900): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, maxChars);
}
