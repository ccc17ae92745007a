/**
 * One organisation's share of the installation's audit trail, as a bundle its
 * own auditors can verify offline without seeing anything of another
 * organisation (issue 19; docs/organizations.md, "Audit").
 *
 * The trail is one RFC 6962 log for the installation. The bundle holds the
 * organisation's entries only, each with its inclusion proof against the
 * latest signed checkpoint. A proof is a list of subtree hashes: it shows that
 * the entry is in the signed tree and reveals nothing of the entries beside it
 * but that some exist (the checkpoint's size counts every organisation's).
 * The folder is a "proof bundle" (proofs.jsonl, checkpoints.jsonl, audit.vkey,
 * expected.json), the format of an incident's evidence bundle, so `trustdesk
 * audit verify --bundle DIR` checks it with no database and no secret.
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DatabaseHandle } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { inclusionProofFromStore } from './audit-trail.service.js';
import { canonicalEntry } from './entry.js';
import { provenEntryLine, rowToStoredEntry, storedEntrySelect } from './trail-io.js';

export const ORG_BUNDLE_FORMAT = 'trustdesk-organization-audit/1';

const README = [
  'Trustdesk audit trail of one organisation.',
  'organization.json   which organisation, when it was exported, against which checkpoint, and how many entries were not yet signed',
  'proofs.jsonl        every entry of the organisation in the signed tree: the entry in RFC 8785 canonical JSON, its leaf hash',
  '                    SHA-256(0x00 || entry) and its RFC 6962 inclusion proof (sibling hashes only: no other entry is shown)',
  'checkpoints.jsonl   the C2SP signed-note checkpoint the proofs lead to, signed with the Ed25519 key in audit.vkey',
  'expected.json       the tree indexes of the entries this bundle must carry',
  'Check it offline with: trustdesk audit verify --bundle <this folder> [--vkey <pinned key>]',
  '',
].join('\n');

export interface OrganizationBundleResult {
  entries: number;
  /** The organisation's entries written after the latest checkpoint was signed: in the next export. */
  pending: number;
  treeSize: number;
}

/** Writes the bundle to `dir`. The caller flushes the trail first so that the checkpoint is as recent as it can be. */
export async function exportOrganizationBundle(options: { database: DatabaseHandle; dir: string; vkey: string; orgId: string; orgName: string; pageSize?: number }): Promise<OrganizationBundleResult> {
  const { database, orgId } = options;
  const cp = await database.db.selectFrom('audit_checkpoints').orderBy('tree_size', 'desc').limit(1).select(['tree_size', 'note']).executeTakeFirst();
  if (!cp) throw new AppError('conflict', 'The audit trail has no signed checkpoint yet; try again in a moment.');
  const size = Number(cp.tree_size);
  mkdirSync(options.dir, { recursive: true });
  const out = createWriteStream(path.join(options.dir, 'proofs.jsonl'));
  const included: number[] = [];
  const pageSize = options.pageSize ?? 5_000;
  let after = -1;
  for (;;) {
    const rows = await database.queryArrays(
      `SELECT ${storedEntrySelect()} FROM audit_log WHERE org_id = $1 AND idx IS NOT NULL AND idx > $2 AND idx < $3 ORDER BY idx LIMIT $4`,
      [orgId, after, size, pageSize],
    );
    for (const row of rows) {
      const e = rowToStoredEntry(row as unknown[]);
      const { leafHash, proof } = await inclusionProofFromStore(database, e.idx, size);
      const line = `${provenEntryLine(e.idx, leafHash, size, proof, canonicalEntry(e.columns))}\n`;
      if (!out.write(line)) await once(out, 'drain');
      included.push(e.idx);
      after = e.idx;
    }
    if (rows.length < pageSize) break;
  }
  out.end();
  await once(out, 'finish');
  const pendingRow = await database.db
    .selectFrom('audit_log')
    .where('org_id', '=', orgId)
    .where((eb) => eb.or([eb('idx', 'is', null), eb('idx', '>=', size)]))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const pending = Number(pendingRow.n);
  const manifest = { format: ORG_BUNDLE_FORMAT, organization: { id: orgId, name: options.orgName }, exportedAt: new Date().toISOString(), treeSize: size, entries: included.length, pendingEntries: pending, vkey: options.vkey };
  writeFileSync(path.join(options.dir, 'organization.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(path.join(options.dir, 'checkpoints.jsonl'), `${JSON.stringify({ tree_size: size, note: cp.note })}\n`);
  writeFileSync(path.join(options.dir, 'audit.vkey'), `${options.vkey}\n`);
  writeFileSync(path.join(options.dir, 'expected.json'), `${JSON.stringify(included)}\n`);
  writeFileSync(path.join(options.dir, 'README.txt'), README);
  return { entries: included.length, pending, treeSize: size };
}
