/**
 * The raw RFC 5322 message of a simulation, shaped like ordinary mail from a
 * mail client: the same header names a real inbound message has (From, To,
 * Subject, Date, Message-ID, MIME-Version, Content-Type), nothing that names a
 * mailer, a campaign or a tracking id. Header values come from renderTemplate,
 * which has already removed CR and LF; non-ASCII is RFC 2047-encoded.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { RenderedMessage } from './templates.js';

function encodeWord(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  return `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

function displayName(name: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x20-\x7e]*$/.test(name)) return `"${name.replace(/["\\]/g, '')}"`;
  return encodeWord(name);
}

function base64Lines(text: string): string {
  return (Buffer.from(text, 'utf8').toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

/** A random token of varying length: no fixed shape for a filter to learn. */
function varying(min: number, max: number): string {
  return randomBytes(randomInt(min, max + 1)).toString('base64url');
}

export function buildSimulatedMessage(m: RenderedMessage, input: { to: string; date?: Date }): Buffer {
  const domain = m.fromAddress.split('@')[1] ?? 'localhost';
  const boundary = `${varying(12, 24)}`;
  const lines = [
    `From: ${displayName(m.fromName)} <${m.fromAddress}>`,
    `To: ${input.to}`,
    `Subject: ${encodeWord(m.subject)}`,
    `Date: ${(input.date ?? new Date()).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${varying(10, 20)}@${domain}>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(m.text),
    `--${boundary}`,
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(m.html),
    `--${boundary}--`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}
