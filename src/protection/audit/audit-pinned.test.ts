/**
 * Deleting the newest entries together with their checkpoints leaves a trail that verifies on its own; only a
 * checkpoint kept outside the database shows it. `trustdesk audit verify --since-checkpoint FILE|NOTE`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { captureIo, createTestEnvironment, silentLogger, type TestEnvironment } from '../../platform/app/testing.js';
import { openConfiguredDatabase, openServices } from '../../platform/app/services.js';
import { runCli } from '../../platform/cli/main.js';

const ENTRIES = 120;

async function append(env: TestEnvironment, n: number, tag: string): Promise<string> {
  const services = await openServices({ config: env.config(), logger: silentLogger, migrate: true });
  try {
    for (let i = 0; i < n; i++) {
      await services.audit.record({ actor: { type: 'user', id: `agent-${tag}-${i}` }, action: 'ticket.read', object: { type: 'ticket', id: `t${i}` }, result: 'success' });
      if (i % 10 === 9) await services.audit.flush();
    }
    await services.audit.flush();
    return (await services.audit.latestCheckpoint())!.note;
  } finally {
    await services.close();
  }
}

async function asSuperuser(env: TestEnvironment, statements: string[]): Promise<void> {
  const handle = await openConfiguredDatabase(env.config());
  try {
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

describe('trustdesk audit verify --since-checkpoint', () => {
  let env: TestEnvironment | undefined;
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
  });

  it('detects the newest 50 entries and their checkpoints deleted, and a rewritten log grown past the pin', async () => {
    env = await createTestEnvironment('pglite');
    const pinnedNote = await append(env, ENTRIES, 'a');
    const pinFile = path.join(env.dir, 'pinned-checkpoint.txt');
    writeFileSync(pinFile, pinnedNote);
    expect(pinnedNote).toContain(`\n${ENTRIES}\n`);

    // Consistent with itself and with the pin.
    const before = await verify(env, ['--since-checkpoint', pinFile]);
    expect(before.code).toBe(0);
    expect(before.text).toContain(`pinned checkpoint: ${ENTRIES} entries; the log is an extension of it`);

    await asSuperuser(env, [`DELETE FROM audit_log WHERE idx >= ${ENTRIES - 50}`, `DELETE FROM audit_checkpoints WHERE tree_size > ${ENTRIES - 50}`]);
    // The trail alone still looks intact: this is what the pin is for.
    expect((await verify(env)).code).toBe(0);
    const cut = await verify(env, ['--since-checkpoint', pinFile]);
    expect(cut.code).toBe(3);
    expect(cut.text).toContain(`truncation detected: the pinned checkpoint covers ${ENTRIES} entries but the log now holds ${ENTRIES - 50}`);
    expect(cut.text).toContain(`first bad index: ${ENTRIES - 50}`);
    // The note itself can be given instead of a file.
    expect((await verify(env, ['--since-checkpoint', pinnedNote])).code).toBe(3);

    // New entries appended after the cut make the log longer than the pin again: still not an extension of it.
    await append(env, 60, 'b');
    const forked = await verify(env, ['--since-checkpoint', pinFile]);
    expect(forked.code).toBe(3);
    expect(forked.text).toMatch(/not an extension of the pinned checkpoint at size 120/);
  }, 300_000);

  it('publishes each checkpoint to the configured file; refuses a pin not signed by this log’s key, or a missing file', async () => {
    env = await createTestEnvironment('pglite');
    // Every checkpoint is published outside the database as it is made (here: a file).
    const published = path.join(env.dir, 'published', 'checkpoint.note');
    env.env.TRUSTDESK_AUDIT_CHECKPOINT_PUBLISH = published;
    const note = await append(env, 5, 'c');
    expect(readFileSync(published, 'utf8')).toBe(note);
    expect((await verify(env, ['--since-checkpoint', published])).code).toBe(0);
    const forged = note.replace(/\n5\n/, '\n4\n');
    const r = await verify(env, ['--since-checkpoint', forged]);
    expect(r.code).toBe(3);
    expect(r.text).toMatch(/pinned checkpoint is not a checkpoint of this log signed by its key/);
    const missing = await verify(env, ['--since-checkpoint', path.join(env.dir, 'nope.txt')]);
    expect(missing.code).toBe(2);
    expect(missing.text).toMatch(/cannot read the pinned checkpoint .*no such file/);
  }, 300_000);
});
