/**
 * Sending SMS codes goes through this interface so a provider (Twilio,
 * MessageBird, an SMPP gateway) is a small driver. The development driver
 * writes to `sms_outbox`, which an administrator reads in the app instead of
 * a phone receiving anything.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../../platform/db/schema.js';

export interface SmsMessage {
  orgId: string;
  /** E.164, e.g. +447700900123. */
  to: string;
  body: string;
}

export interface SmsSender {
  readonly name: string;
  send(message: SmsMessage): Promise<void>;
}

/** Development driver: the message lands in sms_outbox, readable by the organisation's administrators. */
export class OutboxSmsSender implements SmsSender {
  readonly name = 'outbox';
  constructor(private readonly db: Kysely<Database>) {}

  async send(message: SmsMessage): Promise<void> {
    await this.db.insertInto('sms_outbox').values({ id: randomUUID(), org_id: message.orgId, to_number: message.to, body: message.body }).execute();
  }
}

export interface OutboxEntry {
  id: string;
  to: string;
  body: string;
  createdAt: Date;
}

export async function listSmsOutbox(db: Kysely<Database>, orgId: string, limit = 100): Promise<OutboxEntry[]> {
  const rows = await db.selectFrom('sms_outbox').where('org_id', '=', orgId).orderBy('created_at', 'desc').orderBy('id').limit(limit).select(['id', 'to_number', 'body', 'created_at']).execute();
  return rows.map((r) => ({ id: r.id, to: r.to_number, body: r.body, createdAt: r.created_at }));
}
