/**
 * The sender on a real database: the cursor never skips (a failed batch is sent again, from where it stopped,
 * after the backoff), two senders on one database never both deliver a destination, another organisation's
 * entries never reach it, and a growing lag raises one alert in the audit trail and clears it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildOrg, type TestOrg } from '../../identity/auth/testing.js';
import { siemDepsOf } from './deps.js';
import { createDestination, getDestination, type SiemActor } from './destinations.service.js';
import { openCheckpoint } from '../audit/checkpoint.js';
import { isCheckpoint, type SiemCheckpoint, type SiemMessage } from './checkpoint-event.js';
import type { SiemEvent } from './format.js';
import { SiemSender } from './sender.js';
import type { Transport } from './transport.js';

class Capture implements Transport {
  /** Entries, batch by batch; the checkpoints that ended batches apart. */
  batches: SiemEvent[][] = [];
  checkpoints: SiemCheckpoint[] = [];
  /** Every batch as it came, checkpoints in place. */
  raw: SiemMessage[][] = [];
  /** Batches refused (what the receiver never got). */
  refused: SiemMessage[][] = [];
  fail = 0;
  failAlways = false;
  async deliver(events: readonly SiemMessage[]): Promise<void> {
    if (this.failAlways || this.fail > 0) {
      this.refused.push([...events]);
      this.fail--;
      throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    }
    this.raw.push([...events]);
    this.batches.push(events.filter((e): e is SiemEvent => !isCheckpoint(e)));
    this.checkpoints.push(...events.filter(isCheckpoint));
  }
  close(): void {}
  get seqs(): number[] {
    return this.batches.flat().map((e) => e.seq!);
  }
}

describe.each(testDatabaseKinds)('SIEM sender on %s', (kind) => {
  let services: Services;
  let org: TestOrg;
  let other: TestOrg;
  // Real time moved forward by the test: what is due, and leases, follow it.
  let clock = 0;
  const now = () => new Date(Date.now() + clock);

  beforeAll(async () => {
    services = await createTestServices(kind, { config: { TRUSTDESK_ALLOW_PRIVATE_OUTBOUND: 'true' } });
    org = await buildOrg(services);
    other = await buildOrg(services);
  });
  afterAll(async () => {
    await services?.close();
  });

  const actor = (o: TestOrg): SiemActor => ({ orgId: o.orgId, userId: null, actor: { type: 'system', id: null }, requestId: null, sourceIp: null });
  const destination = async (o: TestOrg, extra: { lagAlertThreshold?: number } = {}) =>
    (await createDestination(siemDepsOf(services), actor(o), { name: 'SIEM', transport: 'tcp', host: '127.0.0.1', port: 6514, format: 'cef', ...extra })).id;
  const produce = async (o: TestOrg, n: number, action = 'ticket.read') => {
    await Promise.all(Array.from({ length: n }, (_, i) => services.audit.record({ orgId: o.orgId, actor: { type: 'user', id: `u-${i}` }, action, object: { type: 'ticket', id: `t-${i}` }, result: 'success' })));
    await services.audit.flush();
  };
  const orgSeqs = async (o: TestOrg, after: number) =>
    (await services.database.db.selectFrom('audit_log').where('org_id', '=', o.orgId).where('idx', '>', after).orderBy('idx').select('idx').execute()).map((r) => Number(r.idx));
  const sender = (transport: Capture, owner: string, batchSize = 10) =>
    new SiemSender({ ...siemDepsOf(services), owner, batchSize, now, createTransport: () => transport });

  it('never skips: a failed batch keeps the cursor, is retried after the backoff, and the receiver gets every entry in order', async () => {
    const id = await destination(org);
    const start = (await getDestination(siemDepsOf(services), org.orgId, id)).status.cursorIdx;
    await produce(org, 25);
    await produce(other, 5);
    const t = new Capture();
    const s = sender(t, 'a');
    // The second batch fails.
    const deliver = t.deliver.bind(t);
    let calls = 0;
    t.deliver = async (events) => {
      calls++;
      if (calls === 2) throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      return deliver(events);
    };
    expect(await s.runOnce()).toBe(10);
    let view = await getDestination(siemDepsOf(services), org.orgId, id);
    expect(view.status.cursorIdx).toBe(t.seqs[9]);
    expect(view.status.failures).toBe(1);
    expect(view.status.lastError).toBe('read ECONNRESET');
    // 25 reads and the destination's own creation (recorded after the start), 10 of them sent.
    expect(view.status.lag).toBe(16);
    // Backing off: nothing is tried before the next attempt is due.
    expect(await s.runOnce()).toBe(0);
    clock += 60_000;
    expect(await s.runOnce()).toBe(16);
    view = await getDestination(siemDepsOf(services), org.orgId, id);
    expect(view.status).toMatchObject({ failures: 0, lag: 0, delivered: 26 });
    // Every entry of the organisation after the start, once each, in trail order; none of the other organisation's.
    expect(t.seqs).toEqual(await orgSeqs(org, start));
    expect(t.batches.flat().every((e) => e.orgId === org.orgId)).toBe(true);
    // Bounded batches, whatever the backlog.
    expect(t.batches.map((b) => b.length)).toEqual([10, 10, 6]);
    // Each event names the one before it, so the receiver can see a gap.
    const flat = t.batches.flat();
    for (let i = 1; i < flat.length; i++) expect(flat[i]!.prev).toBe(flat[i - 1]!.seq);
    await s.stop();
  });

  it('two senders on one database: one holds the destination and delivers, the other delivers nothing until the lease is handed back', async () => {
    const o = await buildOrg(services);
    const id = await destination(o);
    const start = (await getDestination(siemDepsOf(services), o.orgId, id)).status.cursorIdx;
    await produce(o, 30);
    const ta = new Capture();
    const tb = new Capture();
    const a = sender(ta, 'instance-a', 500);
    const b = sender(tb, 'instance-b', 500);
    await Promise.all([a.runOnce(), b.runOnce()]);
    const winner = ta.seqs.length ? ta : tb;
    const loser = winner === ta ? tb : ta;
    expect(winner.seqs).toEqual(await orgSeqs(o, start));
    expect(loser.seqs).toEqual([]);
    await produce(o, 3);
    // The holder keeps it while its lease runs.
    const loserSender = winner === ta ? b : a;
    const winnerSender = winner === ta ? a : b;
    expect(await loserSender.runOnce()).toBe(0);
    await winnerSender.stop();
    expect(await loserSender.runOnce()).toBe(3);
    expect([...winner.seqs, ...loser.seqs]).toEqual(await orgSeqs(o, start));
    // A lease left behind by a sender that died is taken once it runs out.
    await produce(o, 2);
    const c = sender(new Capture(), 'instance-c', 500);
    expect(await c.runOnce()).toBe(0);
    clock += 31_000;
    expect(await c.runOnce()).toBe(2);
    await loserSender.stop();
    await c.stop();
  });

  it('signed checkpoints ride the stream: a batch ends with the newest one covering it and no later entry; resent with a failed batch, never after', async () => {
    const o = await buildOrg(services);
    const id = await destination(o);
    const start = (await getDestination(siemDepsOf(services), o.orgId, id)).status.cursorIdx;
    await produce(o, 12);
    const t = new Capture();
    t.fail = 1;
    // One batch of 20 would hold them all: the refused one ends with its checkpoint, and the retry sends it again.
    const s = sender(t, 'checkpoints', 20);
    expect(await s.runOnce()).toBe(0);
    const refusedCp = t.refused[0]!.at(-1)!;
    expect(isCheckpoint(refusedCp)).toBe(true);
    clock += 60_000;
    expect(await s.runOnce()).toBe(13);
    expect((t.raw[0]!.at(-1) as SiemCheckpoint).note).toBe((refusedCp as SiemCheckpoint).note);
    // Smaller batches, from the start again: 12 reads and the destination's creation in 5, 5, 3.
    await services.database.db.updateTable('siem_cursors').set({ cursor_idx: start }).where('destination_id', '=', id).execute();
    t.raw = [];
    t.batches = [];
    t.checkpoints = [];
    const small = sender(t, 'checkpoints', 5);
    await s.stop();
    expect(await small.runOnce()).toBe(13);
    expect(t.seqs).toEqual(await orgSeqs(o, start));
    const seqs = await orgSeqs(o, -1);
    const vkey = services.audit.vkey;
    // A batch that ends inside a sequencing round has no checkpoint of its own yet (any would cover entries not sent);
    // the one that ends the round has it, last. The final batch always ends with one.
    expect(isCheckpoint(t.raw.at(-1)!.at(-1)!)).toBe(true);
    for (const batch of t.raw) {
      expect(batch.slice(0, -1).some(isCheckpoint)).toBe(false);
      const cp = batch.at(-1)!;
      if (!isCheckpoint(cp)) continue;
      const last = batch.at(-2) as SiemEvent;
      const c = cp as SiemCheckpoint;
      expect(c.prev).toBe(last.seq);
      expect(c.treeSize).toBeGreaterThan(last.seq!);
      // It covers no entry of the organisation the destination has not been sent yet.
      const next = seqs.find((q) => q > last.seq!);
      if (next !== undefined) expect(c.treeSize).toBeLessThanOrEqual(next);
      // A receiver can check it with the published verifier key, and the fields match the signed note.
      const { checkpoint } = openCheckpoint(c.note, { verifierKeys: [vkey], origin: services.config.auditOrigin });
      expect(checkpoint.size).toBe(c.treeSize);
      expect(checkpoint.rootHash.toString('base64')).toBe(c.rootHash);
      expect(vkey.startsWith(`${c.keyId}+`)).toBe(true);
      expect(c.note).toContain(c.signature);
    }
    const sizes = t.checkpoints.map((c) => c.treeSize);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    // Never the same one twice once accepted (each later batch starts past it).
    expect(new Set(sizes).size).toBe(sizes.length);
    // Another organisation's activity moves the tree but sends nothing here; the next own entry brings a new checkpoint.
    const sent = t.raw.length;
    await produce(other, 3);
    expect(await small.runOnce()).toBe(0);
    expect(t.raw.length).toBe(sent);
    await produce(o, 1);
    expect(await small.runOnce()).toBe(1);
    expect(t.raw.at(-1)!.map((m) => (isCheckpoint(m) ? 'checkpoint' : m.action))).toEqual(['ticket.read', 'checkpoint']);
    expect(t.checkpoints.at(-1)!.treeSize).toBeGreaterThan(sizes.at(-1)!);
    await small.stop();
  });

  it('a lag above the threshold raises one alert (log, status, audit) and its end is recorded too', async () => {
    const o = await buildOrg(services);
    const id = await destination(o, { lagAlertThreshold: 3 });
    await produce(o, 6);
    const t = new Capture();
    t.failAlways = true;
    const s = sender(t, 'lagging', 500);
    await s.runOnce();
    clock += 10 * 60_000;
    await s.runOnce();
    const view = await getDestination(siemDepsOf(services), o.orgId, id);
    expect(view.status.behind).toBe(true);
    expect(view.status.failures).toBe(2);
    await services.audit.flush();
    const alerts = await services.database.db.selectFrom('audit_log').where('org_id', '=', o.orgId).where('action', 'like', 'siem.lag.%').select(['action', 'details']).execute();
    // Six reads and the destination's creation wait.
    expect(alerts).toEqual([{ action: 'siem.lag.alert', details: { lag: 7, threshold: 3 } }]);
    t.failAlways = false;
    clock += 10 * 60_000;
    await s.runOnce();
    await services.audit.flush();
    const after = await services.database.db.selectFrom('audit_log').where('org_id', '=', o.orgId).where('action', 'like', 'siem.lag.%').select('action').orderBy('idx').execute();
    expect(after.map((r) => r.action)).toEqual(['siem.lag.alert', 'siem.lag.recovered']);
    expect((await getDestination(siemDepsOf(services), o.orgId, id)).status.behind).toBe(false);
    // The alert itself is streamed like any entry.
    expect(t.batches.flat().map((e) => e.action)).toContain('siem.lag.alert');
    await s.stop();
  });
});
