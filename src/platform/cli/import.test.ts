/**
 * `trustdesk import` against a real data folder, as an operator runs it: a dry run changes nothing and says
 * what it would do, the import prints a summary and exits 0, a second run skips everything, and what cannot
 * start (no folder, no organisation, no tickets file) or finishes with problems exits non-zero with a message.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo, createTestEnvironment, silentLogger, type TestEnvironment } from '../app/testing.js';
import { openServices } from '../app/services.js';
import { dumpAllTables } from '../db/dump.js';
import { writeFreeScoutExport, writeZendeskExport } from '../../helpdesk/import/testing.js';
import { renderProgress } from './import.js';
import { runCli } from './main.js';

describe('trustdesk import', () => {
  let env: TestEnvironment;
  let exports: string;
  beforeAll(async () => {
    env = await createTestEnvironment('pglite');
    exports = mkdtempSync(path.join(tmpdir(), 'td-import-cli-'));
    const s = await openServices({ config: env.config(), logger: silentLogger, migrate: true });
    await s.database.db.insertInto('organizations').values({ id: '6f1d2c3b-4a59-4e8f-9b0a-1c2d3e4f5a6b', name: 'Moving In Ltd' }).execute();
    await s.close();
    writeZendeskExport(path.join(exports, 'zendesk'));
    writeFreeScoutExport(path.join(exports, 'freescout'));
  }, 120_000);
  afterAll(async () => {
    await env?.cleanup();
    rmSync(exports, { recursive: true, force: true });
  });

  async function dump(): Promise<string> {
    const s = await openServices({ config: env.config(), logger: silentLogger, migrate: false });
    try {
      return await dumpAllTables(s.database.db);
    } finally {
      await s.close();
    }
  }

  it('dry-runs, imports with a summary, skips on a second run', { timeout: 180_000 }, async () => {
    const before = await dump();
    const dry = captureIo(env.env);
    expect(await runCli(['import', 'zendesk', path.join(exports, 'zendesk'), '--org', 'Moving In Ltd', '--dry-run'], dry.io)).toBe(0);
    expect(dry.text()).toMatch(/Dry run, nothing written/);
    expect(dry.text()).toMatch(/tickets\s+3 would be imported, 0 already imported earlier, 1 left out/);
    expect(dry.text()).toMatch(/customers\s+3 new, 0 matched/);
    expect(await dump()).toBe(before);

    const real = captureIo(env.env);
    expect(await runCli(['import', 'zendesk', path.join(exports, 'zendesk'), '--org', '6f1d2c3b-4a59-4e8f-9b0a-1c2d3e4f5a6b'], real.io)).toBe(0);
    expect(real.text()).toMatch(/tickets\s+3 imported/);
    expect(real.text()).toMatch(/messages\s+4 public, 1 internal notes/);
    expect(real.text()).toMatch(/attachments\s+1 stored, 1 withheld/);
    // The summary holds counts, never what the tickets say.
    expect(real.text()).not.toMatch(/Lindqvist|charged|5297/);

    const fs = captureIo(env.env);
    expect(await runCli(['import', 'freescout', path.join(exports, 'freescout'), '--org', 'Moving In Ltd'], fs.io)).toBe(0);
    expect(fs.text()).toMatch(/customers\s+1 new, 1 matched/);

    const again = captureIo(env.env);
    expect(await runCli(['import', 'zendesk', path.join(exports, 'zendesk'), '--org', 'Moving In Ltd'], again.io)).toBe(0);
    expect(again.text()).toMatch(/tickets\s+0 imported, 3 already imported earlier/);

  });

  it('refuses to start without a folder, an organisation or a tickets file, and exits 1 on problems', { timeout: 120_000 }, async () => {
    const none = captureIo(env.env);
    expect(await runCli(['import', 'zendesk', path.join(exports, 'nope'), '--org', 'Moving In Ltd'], none.io)).toBe(2);
    expect(none.text()).toMatch(/is not a folder/);
    const org = captureIo(env.env);
    expect(await runCli(['import', 'zendesk', path.join(exports, 'zendesk'), '--org', 'Nobody'], org.io)).toBe(2);
    expect(org.text()).toMatch(/no organisation "Nobody"/);
    const empty = path.join(exports, 'empty');
    mkdirSync(empty);
    const layout = captureIo(env.env);
    expect(await runCli(['import', 'freescout', empty, '--org', 'Moving In Ltd'], layout.io)).toBe(2);
    expect(layout.text()).toMatch(/FreeScout conversations not found: expected conversations\.json/);

    const bad = path.join(exports, 'bad');
    mkdirSync(bad);
    writeFileSync(path.join(bad, 'users.json'), '{"users": []}');
    writeFileSync(path.join(bad, 'tickets.json'), '{"id": 77, "requester_id": 1, "comments": []}\n{"id": 78, "comm');
    const out = captureIo(env.env);
    expect(await runCli(['import', 'zendesk', bad, '--org', 'Moving In Ltd'], out.io)).toBe(1);
    expect(out.text()).toMatch(/Stopped early: The file ends inside record 2/);
    expect(out.text()).toMatch(/tickets\s+1 imported/);
    expect(out.text()).toMatch(/run the same command again/);
  });

  it('draws a progress bar with counts and rate', () => {
    expect(renderProgress({ records: 50, imported: 40, skipped: 5, failed: 1, bytesRead: 500, totalBytes: 1000 }, 2000, 10)).toBe('[#####-----]  50%  40 imported  25/s  (5 skipped, 1 failed)');
    expect(renderProgress({ records: 0, imported: 0, skipped: 0, failed: 0, bytesRead: 0, totalBytes: 0 }, 0, 4)).toBe('[----]   0%  0 imported  0/s');
  });
});
