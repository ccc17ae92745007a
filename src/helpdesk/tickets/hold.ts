/**
 * A ticket is held while a message in it stands reported as phishing (decision 0126): nobody
 * answers the sender, sends them a secure message or a verification code, until a security
 * officer rules the report a false positive (which un-reports the message and releases the
 * ticket). A confirmed report keeps the ticket held: there is no one legitimate to answer.
 * Internal notes, assignment and status changes stay open, so the team can still work around it.
 */
import { AppError } from '../../platform/errors.js';
import type { Executor } from '../../protection/crypto/keyring.js';

export interface TicketHold {
  /** When the first message still reported was reported. */
  reportedAt: string;
  /** A security officer confirmed the report (the hold stays). */
  confirmed: boolean;
}

export async function loadTicketHold(db: Executor, ticketId: string): Promise<TicketHold | null> {
  const rows = await db
    .selectFrom('messages as m')
    .leftJoin('phishing_reports as r', 'r.message_id', 'm.id')
    .where('m.ticket_id', '=', ticketId)
    .where('m.reported_at', 'is not', null)
    .select(['m.reported_at', 'r.outcome'])
    .orderBy('m.reported_at')
    .execute();
  const first = rows[0];
  if (!first?.reported_at) return null;
  return { reportedAt: new Date(first.reported_at).toISOString(), confirmed: rows.some((r) => r.outcome === 'confirmed') };
}

const REFUSAL = {
  reply: 'This ticket is held: a message in it was reported as phishing. Nobody can reply until a security officer reviews the report. You can still add an internal note.',
  verify: 'This ticket is held: a message in it was reported as phishing. Identity checks are paused until a security officer reviews the report, so no code goes to the sender.',
} as const;

/** Refuses an action that would answer the sender of a held ticket (409, with `held: true`). */
export async function refuseIfHeld(db: Executor, ticketId: string, action: keyof typeof REFUSAL): Promise<void> {
  const hold = await loadTicketHold(db, ticketId);
  if (hold) throw new AppError('conflict', REFUSAL[action], { extra: { held: true, confirmed: hold.confirmed } });
}
