/**
 * Transactional mail to staff and customers (invitations, reset links,
 * sign-in codes, notices): straight through the configured SMTP relay, or,
 * with no relay, into `<data>/outbox/*.eml` (owner-only) for development.
 * Ticket replies use the durable outbound queue in src/mail instead.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export function createMailer(config: { relayUrl?: string | undefined; mailFrom: string; dataDirPath: string }): Mailer {
  let transport: Transporter;
  if (config.relayUrl) {
    transport = nodemailer.createTransport(config.relayUrl);
  } else {
    const outbox = path.join(config.dataDirPath, 'outbox');
    transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    return {
      async send(message) {
        const info = await transport.sendMail({ from: config.mailFrom, ...message });
        mkdirSync(outbox, { recursive: true, mode: 0o700 });
        writeFileSync(path.join(outbox, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.eml`), info.message as Buffer, { mode: 0o600 });
      },
    };
  }
  return {
    async send(message) {
      await transport.sendMail({ from: config.mailFrom, ...message });
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
