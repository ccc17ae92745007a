/**
 * `trustdesk audit export --org`: one organisation's entries with inclusion
 * proofs, verified offline, holding nothing of another organisation (issue 19).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildOrg } from '../../identity/auth/testing.js';
import { captureIo, createTestEnvironment, silentLogger, type TestEnvironment } from '../../platform/app/testing.js';
import { openServices } from '../../platform/app/services.js';
import { runCli } from '../../platform/cli/main.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';

describe.each(testDatabaseKinds)('trustdesk audit export --org on %s', (kind) => {
  let env: TestEnvironment | undefined;
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
  });

  /** Two organisations whose entries interleave in the one log, signed; then one more of A's, not yet signed. */
  async function twoOrganisations() {
    env = await createTestEnvironment(kind);
    const services = await openServices({ config: env.config(), logger: silentLogger, migrate: true });
    try {
      const a = await buildOrg(services, 'Harbour Dental');
      const b = await buildOrg(services, 'Quayside Law');
      for (let i = 0; i < 12; i++) {
        const org = i % 3 === 0 ? b : a;
        await services.audit.record({ orgId: org.orgId, actor: { type: 'user', id: `person-${i}` }, action: 'ticket.read', object: { type: 'ticket', id: `${org === a ? 'a' : 'b'}-ticket-${i}` }, result: 'success' });
        if (i % 4 === 3) await services.audit.flush();
      }
      await services.audit.flush();
      return { a, b, env };
    } finally {
      await services.close();
    }
  }

  async function cli(args: string[], environment: NodeJS.ProcessEnv) {
    const cap = captureIo(environment);
    const code = await runCli(args, cap.io);
    return { code, text: cap.text() };
  }

  it('writes only the organisation’s entries, each proven into the signed tree, and verifies offline', async () => {
    const { a, b, env: e } = await twoOrganisations();
    const out = path.join(e.dir, 'harbour-audit');
    const exported = await cli(['audit', 'export', '--org', a.orgId, '--out', out], e.env);
    expect(exported.code, exported.text).toBe(0);
    expect(exported.text).toMatch(/Exported \d+ entries of Harbour Dental/);

    const lines = readFileSync(path.join(out, 'proofs.jsonl'), 'utf8').trimEnd().split('\n');
    const entries = lines.map((l) => JSON.parse(l) as { idx: number; proof: string[]; entry: { org: string; object_id: string } });
    // A's own entries: the eight reads (and whatever else A's creation wrote), none of B's.
    expect(entries.filter((x) => x.entry.object_id?.startsWith('a-ticket-')).length).toBe(8);
    expect(entries.every((x) => x.entry.org === a.orgId)).toBe(true);
    for (const file of ['proofs.jsonl', 'organization.json', 'expected.json', 'checkpoints.jsonl']) {
      const text = readFileSync(path.join(out, file), 'utf8');
      expect(text, file).not.toContain(b.orgId);
      expect(text, file).not.toContain('b-ticket-');
    }
    // Proofs are of a tree larger than A's share: the siblings stand for B's entries without showing them.
    const manifest = JSON.parse(readFileSync(path.join(out, 'organization.json'), 'utf8')) as { treeSize: number; entries: number };
    expect(manifest.treeSize).toBeGreaterThan(manifest.entries);
    expect(entries.some((x) => x.proof.length > 0)).toBe(true);

    // Offline: no database settings at all.
    const vkey = readFileSync(path.join(out, 'audit.vkey'), 'utf8').trim();
    const offline = await cli(['audit', 'verify', '--bundle', out, '--vkey', vkey], {});
    expect(offline.code, offline.text).toBe(0);
    expect(offline.text).toContain('OK: the audit trail is intact.');

    // The export is itself in A's trail.
    const services = await openServices({ config: e.config(), logger: silentLogger, migrate: false });
    try {
      const row = await services.database.db.selectFrom('audit_log').where('org_id', '=', a.orgId).where('action', '=', 'audit.export').select(['actor_type', 'details']).executeTakeFirst();
      expect(row?.actor_type).toBe('system');
    } finally {
      await services.close();
    }
  });

  it('fails offline when an entry is edited or left out, and against another key; an unknown organisation is named', async () => {
    const { a, env: e } = await twoOrganisations();
    const out = path.join(e.dir, 'harbour-audit');
    expect((await cli(['audit', 'export', '--org', a.orgId, '--out', out], e.env)).code).toBe(0);
    const vkey = readFileSync(path.join(out, 'audit.vkey'), 'utf8').trim();
    const file = path.join(out, 'proofs.jsonl');
    const original = readFileSync(file, 'utf8');
    const lines = original.trimEnd().split('\n');
    const target = lines.findIndex((l) => l.includes('"a-ticket-4"'));
    expect(target).toBeGreaterThanOrEqual(0);
    const idx = (JSON.parse(lines[target]!) as { idx: number }).idx;

    // Someone rewrites who read the ticket (and its recorded leaf hash with it): the proof no longer leads to the root.
    const edited = JSON.parse(lines[target]!) as { leaf_hash: string; entry: { actor_id: string } };
    edited.entry.actor_id = 'someone-else';
    const forged = lines.map((l, i) => (i === target ? JSON.stringify({ ...JSON.parse(l), leaf_hash: undefined, entry: edited.entry }) : l));
    writeFileSync(file, `${forged.join('\n')}\n`);
    const altered = await cli(['audit', 'verify', '--bundle', out, '--vkey', vkey], {});
    expect(altered.code).toBe(3);
    expect(altered.text).toContain(`first bad index: ${idx}`);

    // Someone drops the entry: expected.json still names it.
    writeFileSync(file, `${lines.filter((_, i) => i !== target).join('\n')}\n`);
    const dropped = await cli(['audit', 'verify', '--bundle', out, '--vkey', vkey], {});
    expect(dropped.code).toBe(3);
    expect(dropped.text).toContain(`entry ${idx} is listed by the bundle but missing from it`);

    writeFileSync(file, original);
    const wrongKey = await cli(['audit', 'verify', '--bundle', out, '--vkey', vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+')], {});
    expect(wrongKey.code).toBe(3);
    expect(wrongKey.text).toContain('not validly signed');

    // An organisation that does not exist is named, and nothing is written.
    const nowhere = path.join(e.dir, 'nobody');
    const unknown = await cli(['audit', 'export', '--org', 'no-such-org', '--out', nowhere], e.env);
    expect(unknown.code).toBe(1);
    expect(unknown.text).toContain('No organisation "no-such-org"');
    expect(() => readFileSync(path.join(nowhere, 'proofs.jsonl'))).toThrow();
  });
});
