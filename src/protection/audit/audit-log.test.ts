import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServices } from '../../platform/app/testing.js';
import type { Services } from '../../platform/app/services.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { AuditLog } from './audit-log.js';
import { openCheckpoint } from './checkpoint.js';
import { inclusionProof, verifyInclusion } from './merkle.js';
import { readStoredCheckpoints, readStoredEntries } from './trail-io.js';
import { verifyAuditTrail } from './verify.js';
import { sql } from 'kysely';

const event = (i: number) => ({ actor: { type: 'user' as const, id: `u${i}` }, action: 'ticket.read', object: { type: 'ticket', id: `t${i}` }, result: 'success' as const });

describe.each(testDatabaseKinds)('audit log on %s', (kind) => {
  let s: Services;
  beforeAll(async () => {
    s = await createTestServices(kind);
  });
  afterAll(async () => s?.close());

  it('an entry appended in a transaction that rolls back leaves no trace (the action and its record go together)', async () => {
    const before = await s.database.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    await expect(
      s.database.db.transaction().execute(async (trx) => {
        await s.audit.append(trx, event(1));
        throw new Error('the action failed');
      }),
    ).rejects.toThrow('the action failed');
    const after = await s.database.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('writes concurrent records in group commits and sequences them all into a signed tree', async () => {
    await Promise.all(Array.from({ length: 300 }, (_, i) => s.audit.record(event(i))));
    const sequenced = await s.audit.flush();
    expect(sequenced).toBeGreaterThanOrEqual(300);
    const cp = await s.audit.latestCheckpoint();
    expect(cp).toBeDefined();
    const opened = openCheckpoint(cp!.note, { verifierKeys: [s.audit.vkey], origin: s.audit.origin });
    expect(opened.checkpoint.size).toBe(cp!.treeSize);
    const report = await verifyAuditTrail({ entries: readStoredEntries(s.database), checkpoints: await readStoredCheckpoints(s.database.db), vkey: s.audit.vkey, macKey: s.audit.macKeyForVerification() });
    expect(report).toMatchObject({ ok: true, unsignedEntries: 0, entries: cp!.treeSize });
  });

  it('every entry has an inclusion proof against the latest signed root', async () => {
    const rows = await s.database.db.selectFrom('audit_log').where('idx', 'is not', null).orderBy('idx').select(['idx', 'leaf_hash']).execute();
    const leaves = rows.map((r) => r.leaf_hash as Uint8Array);
    const cp = (await s.audit.latestCheckpoint())!;
    for (const index of [0, Math.floor(leaves.length / 2), leaves.length - 1]) {
      const proof = inclusionProof(leaves, index, cp.treeSize);
      expect(() => verifyInclusion({ index, size: cp.treeSize, leafHash: leaves[index]!, proof, root: cp.rootHash })).not.toThrow();
    }
  });

  it('two instances sequencing at once still build one consistent tree', async () => {
    const other = new AuditLog({ db: s.database.db, keys: (s.audit as unknown as { keys: ConstructorParameters<typeof AuditLog>[0]['keys'] }).keys, origin: s.audit.origin });
    await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? s.audit : other).record(event(i))));
    await Promise.all([s.audit.flush(), other.flush(), s.audit.flush()]);
    await s.audit.flush();
    const report = await verifyAuditTrail({ entries: readStoredEntries(s.database), checkpoints: await readStoredCheckpoints(s.database.db), vkey: s.audit.vkey, macKey: s.audit.macKeyForVerification() });
    expect(report.ok).toBe(true);
    expect(report.unsignedEntries).toBe(0);
    const pending = await s.database.db.selectFrom('audit_log').where('idx', 'is', null).select('seq').execute();
    expect(pending).toHaveLength(0);
  });

  it('refuses to change or delete a stored entry through SQL', async () => {
    await expect(sql`UPDATE audit_log SET action = 'x.y' WHERE idx = 0`.execute(s.database.db)).rejects.toThrow(/cannot be changed/);
    await expect(sql`DELETE FROM audit_log WHERE idx = 0`.execute(s.database.db)).rejects.toThrow(/append-only/);
    await expect(sql`UPDATE audit_checkpoints SET note = '' `.execute(s.database.db)).rejects.toThrow(/append-only/);
  });

  it('keeps no raw customer id in the trail: subjects are keyed hashes', async () => {
    const customerId = '6f1c1e8e-0000-4000-8000-000000000001';
    await s.audit.record({ ...event(1), subjectCustomerId: customerId });
    await s.audit.flush();
    const dump = JSON.stringify(await s.database.db.selectFrom('audit_log').selectAll().execute());
    expect(dump).not.toContain(customerId);
    expect(dump).toContain(s.audit.subject(customerId));
  });

  it('rejects malformed actions and NUL characters before anything is written', async () => {
    await expect(s.audit.record({ ...event(1), action: 'Drop Table' })).rejects.toThrow(/dotted/);
    await expect(s.audit.record({ ...event(1), details: { note: 'a\u0000b' } })).rejects.toThrow(/NUL/);
  });
});
