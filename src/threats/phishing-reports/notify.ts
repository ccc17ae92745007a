/**
 * Security notifications: mail to every active member of the organisation
 * holding `quarantine.read`. The text carries ids and reason codes only —
 * never the sender, subject or body (mail leaves our encryption boundary).
 */
import type { Db } from '../../platform/db/database.js';
import type { Logger } from '../../platform/logging.js';
import type { Mailer } from '../../platform/notify/mailer.js';
import type { IngestEvent, Notifier } from '../../helpdesk/ingest/events.js';
import '../../helpdesk/tickets/schema.js';

/** Addresses of active staff in the organisation whose roles grant quarantine.read. */
export async function findSecurityOfficers(db: Db, orgId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('users')
    .innerJoin('user_roles', 'user_roles.user_id', 'users.id')
    .innerJoin('role_permissions', 'role_permissions.role_id', 'user_roles.role_id')
    .where('users.org_id', '=', orgId)
    .where('users.status', '=', 'active')
    .where('role_permissions.permission', '=', 'quarantine.read')
    .select('users.email')
    .distinct()
    .orderBy('users.email')
    .limit(100)
    .execute();
  return rows.map((r) => r.email);
}

export interface SecurityNotice {
  orgId: string;
  subject: string;
  lines: string[];
}

/** Sends one notice to every security officer; one failing address does not stop the others. */
export async function notifySecurityOfficers(deps: { db: Db; mailer: Mailer; logger?: Logger | undefined }, notice: SecurityNotice): Promise<number> {
  const to = await findSecurityOfficers(deps.db, notice.orgId);
  let sent = 0;
  for (const address of to) {
    try {
      await deps.mailer.send({ to: address, subject: notice.subject, text: notice.lines.join('\n') });
      sent++;
    } catch (err) {
      deps.logger?.warn({ err }, 'security notice not sent');
    }
  }
  return sent;
}

/** The ingest `notify` hook: a notice for each quarantined phishing message, a debug log line for everything. */
export function createSecurityNotifier(deps: { db: Db; mailer: Mailer; logger?: Logger | undefined; publicUrl?: string | undefined }): Notifier {
  return async (event: IngestEvent) => {
    deps.logger?.debug({ event: event.type, ticketId: event.ticketId, messageId: event.messageId }, 'ingest event');
    if (event.type !== 'message.quarantined' || !event.quarantineId) return;
    const q = await deps.db.selectFrom('quarantine').where('id', '=', event.quarantineId).where('org_id', '=', event.orgId).select(['id', 'reason', 'codes', 'threat_score']).executeTakeFirst();
    // Malformed mail is routine; officers are told about threats.
    if (!q || q.reason === 'malformed') return;
    await notifySecurityOfficers(deps, {
      orgId: event.orgId,
      subject: `Trustdesk: a message was quarantined (${q.reason})`,
      lines: [
        `A message was held in quarantine. Reason: ${q.reason}.`,
        `Quarantine id: ${q.id}`,
        `Score: ${q.threat_score ?? 'n/a'}`,
        `Signals: ${q.codes.join(', ') || 'none'}`,
        '',
        deps.publicUrl ? `Review it in Trustdesk: ${deps.publicUrl}/quarantine/${q.id}` : 'Review it in Trustdesk under Quarantine.',
      ],
    });
  };
}
