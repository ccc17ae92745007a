/**
 * Start-up step for databases written before migration 0012: list values
 * and known sender domains kept in clear are sealed (list values encrypted
 * and hashed, known domains hashed) and the clear column is emptied. A SQL
 * migration cannot do this (it has no keys). Idempotent and safe to run on
 * several instances at once: each row is re-read under a lock and skipped
 * when another instance sealed it first.
 */
import type { Db } from '../../platform/db/database.js';
import type { Keyring } from '../../protection/crypto/keyring.js';
import { sealKnownSenderDomain } from './org-context.js';
import { sealListValue } from './sender-lists.js';
import './schema.js';

export async function sealSenderDataAtRest(db: Db, keyring: Keyring): Promise<{ entries: number; domains: number }> {
  let entries = 0;
  const clear = await db.selectFrom('sender_lists').where('value', 'is not', null).select(['id']).execute();
  for (const { id } of clear) {
    const done = await db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('sender_lists').where('id', '=', id).where('value', 'is not', null).select(['id', 'org_id', 'value']).forUpdate().executeTakeFirst();
      if (!row?.value) return false;
      const sealed = await sealListValue(keyring, trx, { orgId: row.org_id, id: row.id, value: row.value });
      await trx.updateTable('sender_lists').set(sealed).where('id', '=', row.id).execute();
      return true;
    });
    if (done) entries += 1;
  }
  const domains = await db.selectFrom('known_sender_domains').where('domain', 'is not', null).select(['org_id', 'domain']).execute();
  for (const d of domains) if (d.domain) await sealKnownSenderDomain(db, keyring, { orgId: d.org_id, domain: d.domain });
  return { entries, domains: domains.length };
}
