/**
 * The raw RFC 5322 message of a simulation, shaped like ordinary mail from a
 * mail client: the same header names a real inbound message has (From, To,
 * Subject, Date, Message-ID, MIME-Version, Content-Type), nothing that names a
 * mailer, a campaign or a tracking id. Header values come from renderTemplate,
 * which has already removed CR and LF; non-ASCII is RFC 2047-encoded.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { SimulatedAttachment } from './attachment.js';
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

function base64Lines(content: string | Buffer): string {
  return ((typeof content === 'string' ? Buffer.from(content, 'utf8') : content).toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

/** A random token of varying length: no fixed shape for a filter to learn. */
function varying(min: number, max: number): string {
  return randomBytes(randomInt(min, max + 1)).toString('base64url');
}

/**
 * The message; with an attachment it is multipart/mixed (the text and HTML alternatives, then the file), as a
 * mail client sends one. The file's name is built from safe characters by attachment.ts.
 */
export function buildSimulatedMessage(m: RenderedMessage, input: { to: string; date?: Date; attachment?: SimulatedAttachment | undefined }): Buffer {
  const domain = m.fromAddress.split('@')[1] ?? 'localhost';
  const boundary = `${varying(12, 24)}`;
  const alternative = [
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
  ];
  const head = [
    `From: ${displayName(m.fromName)} <${m.fromAddress}>`,
    `To: ${input.to}`,
    `Subject: ${encodeWord(m.subject)}`,
    `Date: ${(input.date ?? new Date()).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${varying(10, 20)}@${domain}>`,
    'MIME-Version: 1.0',
  ];
  const a = input.attachment;
  if (!a) return Buffer.from([...head, `Content-Type: multipart/alternative; boundary="${boundary}"`, '', ...alternative, ''].join('\r\n'));
  const outer = `${varying(12, 24)}`;
  const name = a.filename.replace(/[^A-Za-z0-9 ._()-]/g, '_');
  const lines = [
    ...head,
    `Content-Type: multipart/mixed; boundary="${outer}"`,
    '',
    `--${outer}`,
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    ...alternative,
    `--${outer}`,
    `Content-Type: ${a.contentType}${a.contentType === 'text/html' ? '; charset=utf-8' : ''}; name="${name}"`,
    `Content-Disposition: attachment; filename="${name}"`,
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(a.bytes),
    `--${outer}--`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}
