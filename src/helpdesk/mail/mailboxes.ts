/** Recipient address → mailbox (and so organisation and team). Sub-addresses (`+token`) route like their base. */
import type { Db } from '../../platform/db/database.js';
import '../tickets/schema.js';
import { baseAddress } from './threading.js';

export interface MailboxRoute {
  id: string;
  orgId: string;
  address: string;
  teamId: string | null;
}

export async function resolveMailboxes(db: Db, recipients: readonly string[]): Promise<MailboxRoute[]> {
  const bases = [...new Set(recipients.map(baseAddress).filter((a) => a.length <= 254))];
  if (bases.length === 0) return [];
  // Only an active organisation takes mail; a suspended one's recipients are answered by recipientSuspended.
  const rows = await db
    .selectFrom('mailboxes')
    .innerJoin('organizations', 'organizations.id', 'mailboxes.org_id')
    .where('mailboxes.address', 'in', bases)
    .where('organizations.status', '=', 'active')
    .select(['mailboxes.id', 'mailboxes.org_id', 'mailboxes.address', 'mailboxes.team_id'])
    .execute();
  return rows.map((r) => ({ id: r.id, orgId: r.org_id, address: r.address, teamId: r.team_id }));
}

/** True when the address is a mailbox of a suspended organisation (told apart from an unknown address at RCPT time). */
export async function recipientSuspended(db: Db, recipient: string): Promise<boolean> {
  const base = baseAddress(recipient);
  if (base.length > 254) return false;
  const row = await db
    .selectFrom('mailboxes')
    .innerJoin('organizations', 'organizations.id', 'mailboxes.org_id')
    .where('mailboxes.address', '=', base)
    .where('organizations.status', '=', 'suspended')
    .select('mailboxes.id')
    .executeTakeFirst();
  return Boolean(row);
}
