/**
 * The security centre's audit API: who may read it, what another organisation
 * sees (nothing), filters and paging, proofs that check against the signed
 * checkpoint with merkle.ts, and verification naming a tampered index.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { auditRoutes } from './audit.routes.js';
import type { DatabaseHandle } from '../../platform/db/database.js';
import { consistencyProofFromStore, inclusionProofFromStore, proofRanges } from './audit-trail.service.js';
import { openCheckpoint } from './checkpoint.js';
import { consistencyProof, hashLeaf, inclusionProof, rootFromLeafHashes, verifyConsistency, verifyInclusion } from './merkle.js';

interface Entry { index: number; actorId: string | null; action: string; subject: string | null; purpose: string | null; objectId: string | null }

describe('proofRanges', () => {
  it('gives the same nodes as merkle.ts inclusionProof for every index of every size up to 40', () => {
    const leaves = Array.from({ length: 40 }, (_, i) => hashLeaf(Buffer.from(`leaf ${i}`)));
    for (let size = 1; size <= 40; size++) {
      for (let index = 0; index < size; index++) {
        const fromRanges = proofRanges(index, size).map(([lo, hi]) => rootFromLeafHashes(leaves.slice(lo, hi)));
        expect(fromRanges.map((b) => b.toString('hex'))).toEqual(inclusionProof(leaves, index, size).map((b) => b.toString('hex')));
      }
    }
  });
});

describe('inclusionProofFromStore', () => {
  it('matches merkle.ts across tile boundaries, with cached subtrees reused as the tree grows', async () => {
    const leaves = Array.from({ length: 5000 }, (_, i) => hashLeaf(Buffer.from(`stored ${i}`)));
    let reads = 0;
    // The one read the proof makes (a range of leaves in index order), answered from memory.
    const database = {
      queryArrays: async (text: string, values: readonly unknown[]) => {
        reads += 1;
        const [a, b] = values as number[];
        return leaves.slice(a, b).map((leaf, i) => [(a as number) + i, leaf]);
      },
    } as unknown as DatabaseHandle;
    for (const size of [1, 2, 1023, 1024, 1025, 2048, 3000, 4096, 5000]) {
      for (const index of [0, 1, Math.floor(size / 2), size - 1].filter((i) => i < size)) {
        const { leafHash, proof } = await inclusionProofFromStore(database, index, size);
        expect(leafHash.equals(leaves[index] as Buffer)).toBe(true);
        expect(proof.map((h) => h.toString('hex')), `${index}/${size}`).toEqual(inclusionProof(leaves, index, size).map((h) => h.toString('hex')));
      }
    }
    // Once warm, a proof in the full tree reads the entry's tile and the last, partial tile: not all 5000 leaves.
    reads = 0;
    await inclusionProofFromStore(database, 17, 5000);
    expect(reads).toBe(2);
    reads = 0;
    await inclusionProofFromStore(database, 4999, 5000);
    expect(reads).toBe(1);
  });
});

describe('consistencyProofFromStore', () => {
  it('gives the same proof as merkle.ts consistencyProof, across tile boundaries', async () => {
    const leaves = Array.from({ length: 3000 }, (_, i) => hashLeaf(Buffer.from(`consistent ${i}`)));
    const database = {
      queryArrays: async (_text: string, values: readonly unknown[]) => {
        const [a, b] = values as number[];
        return leaves.slice(a, b).map((leaf, i) => [(a as number) + i, leaf]);
      },
    } as unknown as DatabaseHandle;
    const sizes = [1, 2, 3, 7, 8, 9, 1023, 1024, 1025, 2047, 2048, 3000];
    for (const newSize of sizes) {
      for (const oldSize of sizes.filter((s) => s <= newSize)) {
        const proof = await consistencyProofFromStore(database, oldSize, newSize);
        expect(proof.map((h) => h.toString('hex')), `${oldSize}→${newSize}`).toEqual(consistencyProof(leaves, oldSize, newSize).map((h) => h.toString('hex')));
      }
    }
  });
});

describe.each(testDatabaseKinds)('audit trail API on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let officer: SignedIn;
  let auditor: SignedIn;
  let agent: SignedIn;
  let stranger: SignedIn;
  const customerId = randomUUID();
  const otherCustomer = randomUUID();

  const get = (who: SignedIn, url: string) => app.inject({ url, headers: who.headers });

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: [auditRoutes], schemaCache: testSchemaCache });
    await app.ready();
    org = await buildOrg(services);
    officer = await signIn(app, org, { roles: ['security_officer'] });
    auditor = await signIn(app, org, { roles: ['auditor'] });
    agent = await signIn(app, org, { roles: ['agent'] });
    const otherOrg = await buildOrg(services);
    stranger = await signIn(app, otherOrg, { roles: ['security_officer'] });
    // 30 events in this organisation, 5 in the other.
    for (let i = 0; i < 30; i++) {
      await services.audit.record({
        orgId: org.orgId,
        actor: { type: 'user', id: i % 3 === 0 ? agent.userId : officer.userId },
        action: i % 5 === 0 ? 'customer.field.reveal' : 'ticket.read',
        object: { type: 'ticket', id: `t${i}` },
        subjectCustomerId: i % 5 === 0 ? customerId : i % 7 === 0 ? otherCustomer : null,
        purpose: i % 5 === 0 ? `Caller asked about invoice ${i}` : null,
        result: 'success',
      });
    }
    for (let i = 0; i < 5; i++) {
      await services.audit.record({ orgId: otherOrg.orgId, actor: { type: 'user', id: stranger.userId }, action: 'customer.field.reveal', subjectCustomerId: customerId, result: 'success' });
    }
    await services.audit.flush();
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('needs audit.read: an agent gets 403, anonymous 401; auditors and security officers read', async () => {
    for (const url of ['/api/audit/entries', '/api/audit/checkpoint', '/api/audit/entries/0/proof']) {
      expect((await get(agent, url)).statusCode).toBe(403);
      expect((await app.inject({ url })).statusCode).toBe(401);
    }
    expect((await app.inject({ method: 'POST', url: '/api/audit/verify', headers: agent.headers })).statusCode).toBe(403);
    expect((await get(auditor, '/api/audit/entries')).statusCode).toBe(200);
    expect((await get(officer, '/api/audit/entries')).statusCode).toBe(200);
  });

  it('never shows another organisation’s entries, nor proves them', async () => {
    const mine = (await get(officer, '/api/audit/entries?limit=200')).json().entries as Entry[];
    const theirs = (await get(stranger, '/api/audit/entries?limit=200&action=customer.field.reveal')).json().entries as Entry[];
    expect(theirs).toHaveLength(5);
    expect(theirs.every((e) => e.actorId === stranger.userId)).toBe(true);
    const mineIdx = new Set(mine.map((e) => e.index));
    expect(theirs.some((e) => mineIdx.has(e.index))).toBe(false);
    const foreign = theirs[0] as Entry;
    expect((await get(officer, `/api/audit/entries/${foreign.index}/proof`)).statusCode).toBe(404);
  });

  it('filters by customer (through the keyed hash), actor, action prefix and time', async () => {
    const byCustomer = (await get(officer, `/api/audit/entries?customerId=${customerId}&limit=200`)).json().entries as Entry[];
    expect(byCustomer).toHaveLength(6);
    expect(byCustomer.every((e) => e.action === 'customer.field.reveal' && e.subject === services.audit.subject(customerId))).toBe(true);
    expect(byCustomer.every((e) => e.subject?.startsWith('cs1:') && !JSON.stringify(e).includes(customerId))).toBe(true);
    expect(byCustomer[0]?.purpose).toBe('Caller asked about invoice 25');

    const byActor = (await get(officer, `/api/audit/entries?actor=${agent.userId}&action=ticket.read&limit=200`)).json().entries as Entry[];
    expect(byActor.map((e) => e.objectId)).toEqual(['t27', 't24', 't21', 't18', 't12', 't9', 't6', 't3']);

    const prefix = (await get(officer, '/api/audit/entries?action=customer.&limit=200')).json().entries as Entry[];
    expect(prefix).toHaveLength(6);

    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await get(officer, `/api/audit/entries?from=${encodeURIComponent(future)}`)).json().entries).toEqual([]);
    expect((await get(officer, `/api/audit/entries?from=${encodeURIComponent(future)}&to=${encodeURIComponent(new Date(0).toISOString())}`)).statusCode).toBe(400);
    expect((await get(officer, '/api/audit/entries?customerId=not-a-uuid')).statusCode).toBe(400);
  });

  it('pages newest first by index with a cursor, without gaps or repeats', async () => {
    const seen: number[] = [];
    let cursor: number | null = null;
    let pages = 0;
    do {
      const res = await get(officer, `/api/audit/entries?actor=${officer.userId}&action=ticket.read&limit=7${cursor === null ? '' : `&cursor=${cursor}`}`);
      const body = res.json() as { entries: Entry[]; nextCursor: number | null };
      seen.push(...body.entries.map((e) => e.index));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    const all = ((await get(officer, `/api/audit/entries?actor=${officer.userId}&action=ticket.read&limit=200`)).json().entries as Entry[]).map((e) => e.index);
    expect(all).toHaveLength(16);
    expect(seen).toEqual(all);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
    expect(pages).toBe(3);
  });

  it('audits every read: the entry list (customer as hash only), proofs, checkpoint and verification', async () => {
    await get(auditor, `/api/audit/entries?customerId=${customerId}`);
    await services.audit.flush();
    const rows = await services.database.db.selectFrom('audit_log').where('action', '=', 'audit.entries.read').where('actor_id', '=', auditor.userId).select(['subject', 'details']).execute();
    const withCustomer = rows.find((r) => r.subject !== null);
    expect(withCustomer?.subject).toBe(services.audit.subject(customerId));
    expect(JSON.stringify(rows)).not.toContain(customerId);
    await get(auditor, '/api/audit/checkpoint');
    await services.audit.flush();
    const cp = await services.database.db.selectFrom('audit_log').where('action', '=', 'audit.checkpoint.read').where('actor_id', '=', auditor.userId).select('result').execute();
    expect(cp).toEqual([{ result: 'success' }]);
  });

  it('returns the latest signed checkpoint with its verifier key', async () => {
    await services.audit.flush();
    const body = (await get(officer, '/api/audit/checkpoint')).json().checkpoint;
    expect(body.vkey).toBe(services.audit.vkey);
    expect(body.keyId).toMatch(/^[0-9a-f]{8}$/);
    expect(body.vkey.split('+')[1]).toBe(body.keyId);
    const opened = openCheckpoint(body.note, { verifierKeys: [body.vkey] });
    expect(opened.checkpoint.size).toBe(body.treeSize);
    expect(opened.checkpoint.rootHash.toString('hex')).toBe(body.rootHash);
  });

  it('gives each entry a proof that verifies with merkle.ts against the signed root', async () => {
    const entries = (await get(officer, `/api/audit/entries?customerId=${customerId}&action=customer.field.reveal`)).json().entries as Entry[];
    expect(entries).toHaveLength(6);
    await services.audit.flush();
    for (const e of entries) {
      const res = await get(auditor, `/api/audit/entries/${e.index}/proof`);
      expect(res.statusCode).toBe(200);
      const p = res.json();
      expect(p.verified).toBe(true);
      // Recompute from what the page shows: canonical bytes → leaf → path → the root the signed note names.
      const leaf = hashLeaf(Buffer.from(p.canonical, 'utf8'));
      expect(leaf.toString('hex')).toBe(p.leafHash);
      expect(JSON.parse(p.canonical)).toMatchObject({ action: 'customer.field.reveal', actor_id: e.actorId, purpose: e.purpose });
      const { checkpoint } = openCheckpoint(p.checkpoint.note, { verifierKeys: [services.audit.vkey] });
      expect(() => verifyInclusion({ index: e.index, size: checkpoint.size, leafHash: leaf, proof: p.proof.map((h: string) => Buffer.from(h, 'hex')), root: checkpoint.rootHash })).not.toThrow();
      // A different entry's leaf does not pass with this path.
      expect(() => verifyInclusion({ index: e.index, size: checkpoint.size, leafHash: hashLeaf(Buffer.from('forged')), proof: p.proof.map((h: string) => Buffer.from(h, 'hex')), root: checkpoint.rootHash })).toThrow();
    }
    expect((await get(officer, '/api/audit/entries/99999999/proof')).statusCode).toBe(404);
  });

  it('proves the latest checkpoint extends an older one the caller kept, and refuses a size the log no longer has', async () => {
    await services.audit.flush();
    const old = (await get(officer, '/api/audit/checkpoint')).json().checkpoint;
    for (let i = 0; i < 7; i++) await services.audit.record({ orgId: org.orgId, actor: { type: 'user', id: officer.userId }, action: 'ticket.read', result: 'success' });
    await services.audit.flush();

    const res = await get(auditor, `/api/audit/consistency?from=${old.treeSize}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.fromSize).toBe(old.treeSize);
    const { checkpoint } = openCheckpoint(body.checkpoint.note, { verifierKeys: [services.audit.vkey] });
    expect(checkpoint.size).toBeGreaterThan(old.treeSize);
    const proof = body.proof.map((h: string) => Buffer.from(h, 'hex'));
    expect(() => verifyConsistency({ oldSize: old.treeSize, newSize: checkpoint.size, oldRoot: Buffer.from(old.rootHash, 'hex'), newRoot: checkpoint.rootHash, proof })).not.toThrow();
    // A root the log never had (a fork) does not pass with this proof.
    expect(() => verifyConsistency({ oldSize: old.treeSize, newSize: checkpoint.size, oldRoot: hashLeaf(Buffer.from('forged')), newRoot: checkpoint.rootHash, proof })).toThrow();

    // Wrong role and anonymous.
    expect((await get(agent, `/api/audit/consistency?from=${old.treeSize}`)).statusCode).toBe(403);
    expect((await app.inject({ url: `/api/audit/consistency?from=${old.treeSize}` })).statusCode).toBe(401);

    // Larger than the tree: a clear 400, as problem+json, naming the size the log has.
    const tooBig = await get(officer, `/api/audit/consistency?from=${checkpoint.size + 1_000_000}`);
    expect(tooBig.statusCode).toBe(400);
    expect(tooBig.headers['content-type']).toContain('application/problem+json');
    expect(tooBig.json().detail).toMatch(/covers \d+ entries, fewer than the \d+ asked for/);
    for (const bad of ['0', '-1', 'abc', '1.5']) expect((await get(officer, `/api/audit/consistency?from=${bad}`)).statusCode, bad).toBe(400);
    expect((await get(officer, '/api/audit/consistency')).statusCode).toBe(400);

    await services.audit.flush();
    const reads = await services.database.db.selectFrom('audit_log').where('action', '=', 'audit.consistency.read').select(['actor_id', 'result']).orderBy('idx').execute();
    expect(reads).toEqual([{ actor_id: auditor.userId, result: 'success' }, { actor_id: officer.userId, result: 'failure' }]);
  });

  it('verifies the whole log, then names the index of a row changed behind its back', async () => {
    const ok = await app.inject({ method: 'POST', url: '/api/audit/verify', headers: auditor.headers });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'complete', ok: true, firstBadIndex: null, problems: [] });
    expect(ok.json().entries).toBeGreaterThan(35);
    expect(ok.json().checkpoint.treeSize).toBeGreaterThan(0);

    const target = ((await get(officer, `/api/audit/entries?customerId=${customerId}&action=customer.field.reveal&limit=1`)).json().entries as Entry[])[0] as Entry;
    await sql`ALTER TABLE audit_log DISABLE TRIGGER USER`.execute(services.database.db);
    await sql`UPDATE audit_log SET purpose = 'nothing to see' WHERE idx = ${target.index}`.execute(services.database.db);
    await sql`ALTER TABLE audit_log ENABLE TRIGGER USER`.execute(services.database.db);
    const bad = await app.inject({ method: 'POST', url: '/api/audit/verify', headers: auditor.headers });
    expect(bad.statusCode).toBe(200);
    expect(bad.json()).toMatchObject({ status: 'complete', ok: false, firstBadIndex: target.index });
    expect(bad.json().problems[0].message).toContain(`entry ${target.index} was altered`);
    // The proof of the altered entry no longer checks: its content is recomputed, not trusted.
    expect((await get(officer, `/api/audit/entries/${target.index}/proof`)).json().verified).toBe(false);
    await services.audit.flush();
    const verifies = await services.database.db.selectFrom('audit_log').where('action', '=', 'audit.verify').select(['result', 'details']).orderBy('idx').execute();
    expect(verifies.map((v) => v.result)).toEqual(['success', 'failure']);
  });
});
