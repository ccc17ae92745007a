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
  const rows = await db.selectFrom('mailboxes').where('address', 'in', bases).select(['id', 'org_id', 'address', 'team_id']).execute();
  return rows.map((r) => ({ id: r.id, orgId: r.org_id, address: r.address, teamId: r.team_id }));
}
