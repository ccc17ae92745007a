/**
 * Deleting records for the retention run (decision 0207), one batch inside the caller's transaction. Tickets go with
 * everything that references them (the schema's foreign keys, checked by retention.test.ts against the catalogue so
 * a new table cannot be forgotten): messages, attachments, search tokens, secure messages and their codes, surveys
 * and ratings, phishing reports, outbound mail, identity checks made on them; chat conversations, notifications and
 * SLA warnings cascade. Attachment files are returned for deletion after the commit. The audit trail keeps its
 * entries naming the ticket ids.
 */
import { sql } from 'kysely';
import type { Executor } from '../../protection/crypto/keyring.js';

/** Deletes the tickets `ids` (of `orgId`) and what references them; returns the counts and the blob keys to remove. */
export async function purgeTickets(trx: Executor, orgId: string, ids: string[]): Promise<{ tickets: number; messages: number; blobKeys: string[] }> {
  if (!ids.length) return { tickets: 0, messages: 0, blobKeys: [] };
  const t = sql`${ids}::uuid[]`;
  const msgs = (await sql<{ id: string }>`SELECT id FROM messages WHERE org_id = ${orgId} AND ticket_id = ANY (${t})`.execute(trx)).rows.map((m) => m.id);
  const m = sql`${msgs}::uuid[]`;
  await sql`DELETE FROM portal_challenges WHERE secure_message_id IN (SELECT id FROM secure_messages WHERE ticket_id = ANY (${t}) OR message_id = ANY (${m}) OR notice_message_id = ANY (${m}))`.execute(trx);
  await sql`DELETE FROM secure_messages WHERE ticket_id = ANY (${t}) OR message_id = ANY (${m}) OR notice_message_id = ANY (${m})`.execute(trx);
  await sql`DELETE FROM csat_ratings WHERE ticket_id = ANY (${t}) OR survey_id IN (SELECT id FROM csat_surveys WHERE ticket_id = ANY (${t}) OR message_id = ANY (${m}))`.execute(trx);
  await sql`DELETE FROM csat_surveys WHERE ticket_id = ANY (${t}) OR message_id = ANY (${m})`.execute(trx);
  await sql`DELETE FROM phishing_reports WHERE ticket_id = ANY (${t}) OR message_id = ANY (${m})`.execute(trx);
  await sql`DELETE FROM search_tokens WHERE ticket_id = ANY (${t}) OR message_id = ANY (${m})`.execute(trx);
  await sql`DELETE FROM outbound_mail WHERE ticket_id = ANY (${t}) OR message_id = ANY (${m})`.execute(trx);
  await sql`DELETE FROM customer_verifications WHERE ticket_id = ANY (${t})`.execute(trx);
  const blobs = await sql<{ blob_key: string | null }>`DELETE FROM attachments WHERE message_id = ANY (${m}) RETURNING blob_key`.execute(trx);
  // Tickets kept that were merged into or split from a deleted one lose only the link.
  await sql`UPDATE tickets SET merged_into_id = NULL WHERE merged_into_id = ANY (${t}) AND NOT id = ANY (${t})`.execute(trx);
  await sql`UPDATE tickets SET split_from_id = NULL WHERE split_from_id = ANY (${t}) AND NOT id = ANY (${t})`.execute(trx);
  await sql`UPDATE tickets SET merged_into_id = NULL, split_from_id = NULL WHERE id = ANY (${t}) AND (merged_into_id IS NOT NULL OR split_from_id IS NOT NULL)`.execute(trx);
  const messages = Number((await sql`DELETE FROM messages WHERE ticket_id = ANY (${t})`.execute(trx)).numAffectedRows ?? 0);
  const tickets = Number((await sql`DELETE FROM tickets WHERE org_id = ${orgId} AND id = ANY (${t})`.execute(trx)).numAffectedRows ?? 0);
  return { tickets, messages, blobKeys: blobs.rows.map((b) => b.blob_key).filter((k): k is string => !!k) };
}

/** Deletes quarantined messages (raw source and details go with the row). */
export async function purgeQuarantine(trx: Executor, orgId: string, ids: string[]): Promise<number> {
  if (!ids.length) return 0;
  return Number((await sql`DELETE FROM quarantine WHERE org_id = ${orgId} AND id = ANY (${ids}::uuid[])`.execute(trx)).numAffectedRows ?? 0);
}

/** Deletes access-export bundles (their download codes cascade). */
export async function purgeExports(trx: Executor, orgId: string, ids: string[]): Promise<number> {
  if (!ids.length) return 0;
  return Number((await sql`DELETE FROM privacy_exports WHERE org_id = ${orgId} AND id = ANY (${ids}::uuid[])`.execute(trx)).numAffectedRows ?? 0);
}

/** The foreign keys into tickets and messages purgeTickets handles (compared with the catalogue by the test). */
export const PURGED_REFERENCES = [
  'attachments.message_id', 'chat_conversations.ticket_id', 'chat_events.message_id', 'csat_ratings.ticket_id', 'csat_surveys.message_id', 'csat_surveys.ticket_id',
  'customer_verifications.ticket_id', 'messages.ticket_id', 'notification_sla_warnings.ticket_id', 'notifications.ticket_id', 'outbound_mail.message_id', 'outbound_mail.ticket_id',
  'phishing_reports.message_id', 'phishing_reports.ticket_id', 'search_tokens.message_id', 'search_tokens.ticket_id', 'secure_messages.message_id', 'secure_messages.notice_message_id',
  'secure_messages.ticket_id', 'simulation_recipients.message_id', 'simulation_recipients.ticket_id', 'tickets.merged_into_id', 'tickets.split_from_id',
];
