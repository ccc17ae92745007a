/**
 * Where outbound mail goes: an SMTP relay (nodemailer, optional DKIM), or,
 * with no relay configured, sealed files in <data>/outbox for an operator to
 * read with `trustdesk outbox show` (development and air-gapped installs;
 * never customer mail in clear on disk, decision 0112).
 */
import nodemailer from 'nodemailer';
import { writeOutboxMessage, type OutboxKeySource } from '../../platform/notify/outbox.js';
import type { ComposedMail } from './compose.js';
import type { MailTransport } from './outbound-queue.js';
import { inSpan, SpanKind } from '../../platform/tracing/tracing.js';

export interface DkimOptions {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

export interface CreateTransportOptions {
  relayUrl?: string | undefined;
  outboxDir: string;
  /** The key outbox files are sealed under (outboxKeyFrom(keyring)). */
  outboxKey: OutboxKeySource;
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
    // A client span per message (src/platform/tracing): the relay's host, never a recipient.
    const relayHost = URL.canParse(options.relayUrl) ? new URL(options.relayUrl).hostname : '';
    return {
      async send(mail) {
        await inSpan('smtp send', { 'server.address': relayHost, 'trustdesk.queue': 'outbound_mail' }, () => transporter.sendMail(toNodemailer(mail)), SpanKind.CLIENT);
        return { delivery: 'sent' };
      },
      close: () => transporter.close(),
    };
  }
  const stream = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'crlf', ...(options.dkim ? { dkim: options.dkim } : {}) });
  return {
    async send(mail) {
      const info = await stream.sendMail(toNodemailer(mail));
      await writeOutboxMessage(options.outboxDir, options.outboxKey, info.message as Buffer);
      return { delivery: 'written' };
    },
  };
}

/** The nodemailer message for a composed mail (exported for tests that read the MIME back). */
export function toNodemailer(mail: ComposedMail): nodemailer.SendMailOptions {
  return {
    from: mail.from,
    ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    ...(mail.html ? { html: mail.html } : {}),
    messageId: mail.messageId,
    // A message's own key replaces the transport's (nodemailer's per-message option).
    ...(mail.dkim ? { dkim: mail.dkim } : {}),
    ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo } : {}),
    ...(mail.references ? { references: mail.references } : {}),
    headers: mail.headers,
    ...(mail.attachments?.length
      ? { attachments: mail.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: Buffer.from(a.content.buffer, a.content.byteOffset, a.content.byteLength), ...(a.cid ? { cid: a.cid, contentDisposition: 'inline' as const } : {}) })) }
      : {}),
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}
