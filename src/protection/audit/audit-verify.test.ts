/**
 * Tamper evidence, end to end through the CLI an operator would run: entries
 * are altered, deleted and reordered directly in the database (as someone who
 * owns it could), and `trustdesk audit verify` must fail naming the index.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { captureIo, createTestEnvironment, silentLogger, type TestEnvironment } from '../../platform/app/testing.js';
import { openConfiguredDatabase, openServices } from '../../platform/app/services.js';
import { runCli } from '../../platform/cli/main.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';

const ENTRIES = 10;

async function seedTrail(env: TestEnvironment): Promise<void> {
  const services = await openServices({ config: env.config(), logger: silentLogger, migrate: true });
  try {
    for (let i = 0; i < ENTRIES; i++) {
      await services.audit.record({ actor: { type: 'user', id: `agent-${i}` }, action: 'ticket.read', object: { type: 'ticket', id: `t${i}` }, result: 'success' });
      // One checkpoint per entry here, so the offline check can name exact indexes too.
      await services.audit.flush();
    }
  } finally {
    await services.close();
  }
}

async function tamper(env: TestEnvironment, statements: string[]): Promise<void> {
  const c = env.config();
  const handle = await openConfiguredDatabase(c);
  try {
    // Someone with owner access to the database first switches off the append-only guard.
    await sql`ALTER TABLE audit_log DISABLE TRIGGER USER`.execute(handle.db);
    await sql`ALTER TABLE audit_checkpoints DISABLE TRIGGER USER`.execute(handle.db);
    for (const s of statements) await sql.raw(s).execute(handle.db);
  } finally {
    await handle.close();
  }
}

async function verify(env: TestEnvironment, extra: string[] = []) {
  const cap = captureIo(env.env);
  const code = await runCli(['audit', 'verify', ...extra], cap.io);
  return { code, text: cap.text() };
}

describe.each(testDatabaseKinds)('trustdesk audit verify on %s', (kind) => {
  let env: TestEnvironment | undefined;
  // PGlite: one seeded data folder (database and key file), copied for each test that tampers with it; migrating
  // and seeding a fresh folder costs seconds, copying it a fraction. PostgreSQL seeds a schema per test.
  let golden: TestEnvironment | undefined;
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
  });
  afterAll(async () => {
    await golden?.cleanup();
  });

  async function freshTrail() {
    env = await createTestEnvironment(kind);
    if (kind !== 'pglite') {
      await seedTrail(env);
      return env;
    }
    if (!golden) {
      golden = await createTestEnvironment('pglite');
      await seedTrail(golden);
    }
    const to = env.config().dataDirPath;
    rmSync(to, { recursive: true, force: true });
    cpSync(golden.config().dataDirPath, to, { recursive: true });
    return env;
  }

  it('passes on an untouched trail', async () => {
    const e = await freshTrail();
    const r = await verify(e);
    expect(r.text).toContain(`entries: ${ENTRIES}`);
    expect(r.text).toContain('OK: the audit trail is intact.');
    expect(r.code).toBe(0);
  });

  it('names the altered entry, even when the attacker also rewrote its stored leaf hash', async () => {
    const e = await freshTrail();
    await tamper(e, [
      `UPDATE audit_log SET actor_id = 'someone-else' WHERE idx = 4`,
      `UPDATE audit_log SET leaf_hash = NULL WHERE idx = 4`,
    ]);
    const r = await verify(e);
    expect(r.code).toBe(3);
    expect(r.text).toContain('first bad index: 4');
    expect(r.text).toMatch(/PROBLEM at index 4: entry 4 was altered/);
  });

  it('names a deleted entry', async () => {
    const e = await freshTrail();
    await tamper(e, [`DELETE FROM audit_log WHERE idx = 6`]);
    const r = await verify(e);
    expect(r.code).toBe(3);
    expect(r.text).toContain('first bad index: 6');
    expect(r.text).toContain('entry 6 is missing');
  });

  it('names the first of two swapped entries', async () => {
    const e = await freshTrail();
    await tamper(e, [
      `UPDATE audit_log SET idx = -1 WHERE idx = 3`,
      `UPDATE audit_log SET idx = 3 WHERE idx = 7`,
      `UPDATE audit_log SET idx = 7 WHERE idx = -1`,
    ]);
    const r = await verify(e);
    expect(r.code).toBe(3);
    expect(r.text).toContain('first bad index: 3');
  });

  it('notices entries cut from the end, and a forged checkpoint', async () => {
    const e = await freshTrail();
    await tamper(e, [`DELETE FROM audit_log WHERE idx = ${ENTRIES - 1}`, `UPDATE audit_checkpoints SET note = replace(note, '— ', '— x') WHERE tree_size = 2`]);
    const r = await verify(e);
    expect(r.code).toBe(3);
    expect(r.text).toContain(`first bad index: ${ENTRIES - 1}`);
    expect(r.text).toContain('checkpoint at size 2 is not validly signed');
  });

  it('says which setting is wrong, rather than "altered", when run as another log than the servers (another public URL)', async () => {
    const e = await freshTrail();
    const elsewhere = captureIo({ ...e.env, TRUSTDESK_PUBLIC_URL: 'https://elsewhere.example' });
    expect(await runCli(['audit', 'verify'], elsewhere.io)).toBe(2);
    const stored = `${new URL(e.config().publicUrl).host}/trustdesk/audit`;
    expect(elsewhere.text()).toContain(`signed for the log "${stored}", but this command runs as "elsewhere.example/trustdesk/audit"`);
    expect(elsewhere.text()).toContain('Nothing was verified');
    expect(elsewhere.text()).not.toMatch(/intact|altered/);
    // The origin it names is the one to run with.
    const named = captureIo({ ...e.env, TRUSTDESK_PUBLIC_URL: 'https://elsewhere.example', TRUSTDESK_AUDIT_ORIGIN: stored });
    expect(await runCli(['audit', 'verify'], named.io)).toBe(0);
    // One checkpoint renamed among correctly named ones is still a forgery, not a setting.
    await tamper(e, [`UPDATE audit_checkpoints SET note = replace(note, '${stored}', 'other.example/trustdesk/audit') WHERE tree_size = 3`]);
    const r = await verify(e);
    expect(r.code).toBe(3);
    expect(r.text).toContain('checkpoint at size 3 is not validly signed');
  });

  it('exports a bundle that verifies offline, and fails offline when the bundle is edited', async () => {
    const e = await freshTrail();
    const out = path.join(e.dir, 'bundle');
    const cap = captureIo(e.env);
    expect(await runCli(['audit', 'export', '--out', out], cap.io)).toBe(0);
    const vkey = readFileSync(path.join(out, 'audit.vkey'), 'utf8').trim();
    // Offline: no database settings at all.
    const offline = captureIo({});
    expect(await runCli(['audit', 'verify', '--bundle', out, '--vkey', vkey], offline.io)).toBe(0);
    expect(offline.text()).toContain('OK: the audit trail is intact.');

    const file = path.join(out, 'entries.jsonl');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    lines[5] = (lines[5] as string).replace('"agent-5"', '"agent-X"');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const bad = captureIo({});
    expect(await runCli(['audit', 'verify', '--bundle', out, '--vkey', vkey], bad.io)).toBe(3);
    expect(bad.text()).toContain('first bad index: 5');

    // A bundle re-signed with another key is refused against the pinned key.
    const other = captureIo({});
    const wrongKey = vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+');
    expect(await runCli(['audit', 'verify', '--bundle', out, '--vkey', wrongKey], other.io)).toBe(3);
    expect(other.text()).toContain('not validly signed');
  });
});
