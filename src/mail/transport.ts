/**
 * Where outbound mail goes: an SMTP relay (nodemailer, optional DKIM), or,
 * with no relay configured, .eml files in <data>/outbox for an operator to
 * inspect (development and air-gapped installs).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { ComposedMail } from './compose.js';
import type { MailTransport } from './outbound-queue.js';

export interface DkimOptions {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

export interface CreateTransportOptions {
  relayUrl?: string | undefined;
  outboxDir: string;
  dkim?: DkimOptions | undefined;
  /** Seconds to wait for the relay at each step. */
  timeoutSeconds?: number;
}

export function createMailTransport(options: CreateTransportOptions): MailTransport {
  const timeout = (options.timeoutSeconds ?? 30) * 1000;
  if (options.relayUrl) {
    const transporter = nodemailer.createTransport(options.relayUrl, {
      ...(options.dkim ? { dkim: options.dkim } : {}),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    return {
      async send(mail) {
        await transporter.sendMail(toNodemailer(mail));
        return { delivery: 'sent' };
      },
      close: () => transporter.close(),
    };
  }
  const stream = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'crlf', ...(options.dkim ? { dkim: options.dkim } : {}) });
  return {
    async send(mail) {
      const info = await stream.sendMail(toNodemailer(mail));
      mkdirSync(options.outboxDir, { recursive: true, mode: 0o700 });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.eml`;
      const tmp = path.join(options.outboxDir, `.${name}.tmp`);
      writeFileSync(tmp, info.message as Buffer, { mode: 0o600 });
      renameSync(tmp, path.join(options.outboxDir, name));
      return { delivery: 'written' };
    },
  };
}

function toNodemailer(mail: ComposedMail): nodemailer.SendMailOptions {
  return {
    from: mail.from,
    ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    messageId: mail.messageId,
    ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo } : {}),
    ...(mail.references ? { references: mail.references } : {}),
    headers: mail.headers,
    ...(mail.attachments?.length
      ? { attachments: mail.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: Buffer.from(a.content.buffer, a.content.byteOffset, a.content.byteLength) })) }
      : {}),
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}
