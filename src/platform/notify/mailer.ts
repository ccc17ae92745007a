/**
 * Transactional mail to staff and customers (invitations, reset links,
 * sign-in codes, notices): straight through the configured SMTP relay, or,
 * with no relay, sealed into `<data>/outbox/*.eml.enc` (outbox.ts) for development.
 * Ticket replies use the durable outbound queue in src/helpdesk/mail instead.
 */
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { writeOutboxMessage, type OutboxKeySource } from './outbox.js';

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
  return {
    async send({ fromName, ...message }) {
      await transport.sendMail({ ...message, from: senderFor(config.mailFrom, fromName) });
    },
  };
}

/** Collects messages in memory (tests). */
export class MemoryMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  async send(message: MailMessage): Promise<void> {
    this.sent.push(message);
  }
  last(to?: string): MailMessage | undefined {
    return [...this.sent].reverse().find((m) => !to || m.to === to);
  }
}
