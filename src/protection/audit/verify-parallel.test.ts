/**
 * Verification in worker threads (verify-parallel.ts) reaches exactly the verdicts of hashing one entry at a
 * time on the main thread: runs of 8 entries shared by two workers, tampering at the first entry, on both sides
 * of a run boundary, in the middle and at the last entry, a move across a boundary, then a deleted entry.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServices } from '../../platform/app/testing.js';
import type { Services } from '../../platform/app/services.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { readStoredCheckpoints, readStoredEntries } from './trail-io.js';
import { verifyAuditTrail, type VerifyReport } from './verify.js';
import { hashStoredEntriesInParallel } from './verify-parallel.js';

const ENTRIES = 40;
// Checkpoints inside runs, at a run's end (16) and at the last entry.
const SIGNED = [3, 8, 13, 16, 21, 29, 37, 40];

describe.each(testDatabaseKinds)('parallel audit verification on %s', (kind) => {
  let s: Services;
  beforeAll(async () => {
    s = await createTestServices(kind);
    for (let i = 0; i < ENTRIES; i++) {
      await s.audit.record({ actor: { type: 'user', id: `agent-${i}` }, action: 'ticket.read', object: { type: 'ticket', id: `t${i}` }, result: 'success' });
      if (SIGNED.includes(i + 1)) await s.audit.flush();
    }
    await sql`ALTER TABLE audit_log DISABLE TRIGGER USER`.execute(s.database.db);
  });
  afterAll(async () => s?.close());

  async function both(): Promise<{ parallel: VerifyReport; reference: VerifyReport }> {
    const checkpoints = await readStoredCheckpoints(s.database.db);
    const macKey = s.audit.macKeyForVerification();
    const common = { checkpoints, vkey: s.audit.vkey, macKey };
    const chunks = hashStoredEntriesInParallel({ database: s.database, macKey, signedSizes: checkpoints.map((c) => c.treeSize), workers: 2, chunkSize: 8, pageSize: 3 });
    const parallel = await verifyAuditTrail({ ...common, chunks });
    const reference = await verifyAuditTrail({ ...common, entries: readStoredEntries(s.database, { leafHashes: false }) });
    return { parallel, reference };
  }
  const indexes = (r: VerifyReport) => r.problems.map((p) => p.index).filter((i) => i !== null);

  it('passes an intact trail, then names every altered or moved entry and a deleted one, as the one-thread walk does', async () => {
    const intact = await both();
    expect((await readStoredCheckpoints(s.database.db)).map((c) => c.treeSize)).toEqual(SIGNED);
    expect(intact.parallel).toEqual({ ok: true, entries: ENTRIES, checkpoints: SIGNED.length, latestSignedSize: ENTRIES, unsignedEntries: 0, problems: [] });
    expect(intact.parallel).toEqual(intact.reference);

    // Altered: the first entry, the last of run 0 and the first of run 1, the middle, the last entry.
    for (const idx of [0, 7, 8, 21, 39]) await sql`UPDATE audit_log SET actor_id = 'someone-else' WHERE idx = ${idx}`.execute(s.database.db);
    const altered = await both();
    expect(altered.parallel.ok).toBe(false);
    expect(indexes(altered.parallel)).toEqual([0, 7, 8, 21, 39]);
    expect(altered.parallel.problems[0]?.message).toBe('entry 0 was altered or moved (its MAC does not match its content and position)');
    expect(altered.parallel).toEqual(altered.reference);
    for (const idx of [0, 7, 8, 21, 39]) await sql`UPDATE audit_log SET actor_id = ${`agent-${idx}`} WHERE idx = ${idx}`.execute(s.database.db);
    expect((await both()).parallel.ok).toBe(true);

    // Moved across the boundary between runs 1 and 2 (entries 15 and 16 swap places).
    await sql`UPDATE audit_log SET idx = -1 WHERE idx = 15`.execute(s.database.db);
    await sql`UPDATE audit_log SET idx = 15 WHERE idx = 16`.execute(s.database.db);
    await sql`UPDATE audit_log SET idx = 16 WHERE idx = -1`.execute(s.database.db);
    const moved = await both();
    expect(indexes(moved.parallel).slice(0, 2)).toEqual([15, 16]);
    expect(moved.parallel.problems.some((p) => p.message.startsWith('checkpoint at size 16 does not match'))).toBe(true);
    expect(moved.parallel).toEqual(moved.reference);

    // Deleted: run 3 then has a gap, and every later run's tree positions shift.
    await sql`DELETE FROM audit_log WHERE idx = 26`.execute(s.database.db);
    const deleted = await both();
    expect(deleted.parallel.problems.map((p) => p.message)).toContain('entry 26 is missing (next stored entry is 27)');
    expect(deleted.parallel).toEqual(deleted.reference);
  });
});
