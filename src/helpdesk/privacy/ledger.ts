/**
 * The erasure ledger (decision 0219): one JSON line per erased customer, kept apart from the database (by default
 * beside the key file), so that restoring a backup taken before an erasure does not bring the customer back. The
 * restore replays it: every customer in the restored database whose ledgered keys are still live is erased again,
 * through the same erasure as a request, with a certificate of its own.
 *
 * Lines are appended after the erasure commits and fsynced; a line lost to a crash in between is written by the
 * next sync (server start and every minute, and before every backup), which reads the completed erasures from the
 * database. The ledger holds ids only — organisation, customer, merged records, destroyed key ids — never data.
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import type { ErasureCertificate } from './certificate.js';
import './schema.js';

export interface LedgerEntry {
  v: 1;
  requestId: string;
  orgId: string;
  customerId: string;
  mergedRecordIds: string[];
  keyIds: string[];
  erasedAt: string;
}

export const ledgerEntryOf = (c: ErasureCertificate): LedgerEntry => ({
  v: 1, requestId: c.requestId, orgId: c.organizationId, customerId: c.customerId, mergedRecordIds: c.mergedRecordIds, keyIds: c.destroyed.dataKeyIds, erasedAt: c.erasedAt,
});

/** Appends entries and waits for the disk. */
export function appendLedger(file: string, entries: LedgerEntry[]): void {
  if (!entries.length) return;
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const fd = openSync(file, 'a', 0o600);
  try {
    appendFileSync(fd, entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The entries, in order. A line cut short by a crash (the last one) is passed over; any other bad line is an error. */
export function readLedger(file: string): LedgerEntry[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: LedgerEntry[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const e = JSON.parse(line) as LedgerEntry;
      if (e.v !== 1 || typeof e.customerId !== 'string' || typeof e.orgId !== 'string' || !Array.isArray(e.keyIds)) throw new Error('shape');
      out.push(e);
    } catch {
      const last = lines.slice(i + 1).every((l) => !l.trim());
      if (!last) throw new Error(`The erasure ledger ${file} is damaged at line ${i + 1}; nothing was replayed.`);
    }
  });
  return out;
}

/** Writes the completed erasures the ledger lacks (a crash between the commit and the append). Returns how many. */
export async function syncLedger(db: Kysely<Database>, file: string): Promise<number> {
  const have = new Set(readLedger(file).map((e) => e.requestId));
  const done = await db.selectFrom('privacy_requests').where('kind', '=', 'erasure').where('status', '=', 'done').where('certificate', 'is not', null).select(['id', 'certificate']).orderBy('completed_at').execute();
  const missing = done.filter((r) => !have.has(r.id)).map((r) => ledgerEntryOf(r.certificate as unknown as ErasureCertificate));
  appendLedger(file, missing);
  return missing.length;
}
