/**
 * Transactional mail to staff and customers (invitations, reset links,
 * sign-in codes, notices): straight through the configured SMTP relay, or,
 * with no relay, sealed into `<data>/outbox/*.eml.enc` (outbox.ts) for development.
 * Ticket replies use the durable outbound queue in src/helpdesk/mail instead.
 */
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { writeOutboxMessage, type OutboxKeySource } from './outbox.js';
import { inSpan, SpanKind } from '../tracing/tracing.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /** The sender's display name at the configured address: the organisation's name on mail to customers (decision 0158). */
  fromName?: string;
}

/** The configured From, or the same address under the given display name (quotes and line breaks dropped). */
export function senderFor(mailFrom: string, fromName: string | undefined): string | { name: string; address: string } {
  if (!fromName) return mailFrom;
  const address = (/<([^<>\s]+)>/.exec(mailFrom)?.[1] ?? mailFrom).trim();
  return { name: fromName.replace(/[\r\n"<>\\]/g, ' ').trim().slice(0, 100), address };
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  /**
   * A complete message, sent as it is (no header added or changed) with its own envelope. Present only when an
   * SMTP relay is configured: phishing simulations delivered to staff's own mailboxes (decision 0197).
   */
  sendRaw?(envelope: { from: string; to: string[] }, raw: Buffer): Promise<void>;
}

export function createMailer(config: { relayUrl?: string | undefined; mailFrom: string; dataDirPath: string }, outboxKey: OutboxKeySource): Mailer {
  let transport: Transporter;
  if (config.relayUrl) {
    transport = nodemailer.createTransport(config.relayUrl);
  } else {
    const outbox = path.join(config.dataDirPath, 'outbox');
    transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    return {
      async send({ fromName, ...message }) {
        const info = await transport.sendMail({ ...message, from: senderFor(config.mailFrom, fromName) });
        await writeOutboxMessage(outbox, outboxKey, info.message as Buffer);
      },
    };
  }
  // A client span per message (src/platform/tracing): the relay's host, never a recipient.
  const attributes = { 'server.address': URL.canParse(config.relayUrl) ? new URL(config.relayUrl).hostname : '', 'trustdesk.queue': 'notifications' };
  return {
    async send({ fromName, ...message }) {
      await inSpan('smtp send', attributes, () => transport.sendMail({ ...message, from: senderFor(config.mailFrom, fromName) }), SpanKind.CLIENT);
    },
    async sendRaw(envelope, raw) {
      await inSpan('smtp send', attributes, () => transport.sendMail({ envelope, raw }), SpanKind.CLIENT);
    },
  };
}

/** Collects messages in memory (tests). */
export class MemoryMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  /** Messages given to sendRaw (a test's stand-in for a configured relay). */
  readonly raw: Array<{ envelope: { from: string; to: string[] }; raw: Buffer }> = [];
  async send(message: MailMessage): Promise<void> {
    this.sent.push(message);
  }
  async sendRaw(envelope: { from: string; to: string[] }, raw: Buffer): Promise<void> {
    this.raw.push({ envelope, raw });
  }
  last(to?: string): MailMessage | undefined {
    return [...this.sent].reverse().find((m) => !to || m.to === to);
  }
}
