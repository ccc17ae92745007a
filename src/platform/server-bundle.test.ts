/**
 * The server bundle (scripts/build.mjs, decision 0232) runs only while it matches the sources it was built from:
 * an edited, added-to-the-graph or removed file, or a damaged record, sends bin/trustdesk.js back to the sources.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../scripts/build.mjs';
import { freshServerBundle, hashFiles, ROOT } from '../../scripts/server-bundle.mjs';

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A tree with two source files and a bundle recorded as built from them. */
function builtTree(): { root: string; dist: string; current: () => string } {
  const root = mkdtempSync(path.join(tmpdir(), 'trustdesk-bundle-'));
  dirs.push(root);
  mkdirSync(path.join(root, 'src'));
  writeFileSync(path.join(root, 'src', 'a.ts'), 'export const a = 1;\n');
  writeFileSync(path.join(root, 'src', 'b.ts'), 'export const b = 2;\n');
  const inputs = ['src/a.ts', 'src/b.ts'];
  const sha256 = hashFiles(root, inputs);
  const dist = path.join(root, 'dist', 'server');
  mkdirSync(path.join(dist, sha256), { recursive: true });
  writeFileSync(path.join(dist, sha256, 'trustdesk.mjs'), 'export {};\n');
  writeFileSync(path.join(dist, 'current.json'), JSON.stringify({ sha256, inputs }));
  return { root, dist, current: () => path.join(dist, sha256, 'trustdesk.mjs') };
}

function reason(options: { root: string; dist: string }): string | null {
  let why: string | null = null;
  const entry = freshServerBundle({ ...options, why: (r) => (why = r) });
  return entry === null ? why : 'fresh';
}

describe('server bundle freshness', () => {
  it('runs the bundle while its inputs are unchanged', () => {
    const t = builtTree();
    expect(freshServerBundle(t)).toBe(t.current());
  });

  it('runs the sources when an input changed, is gone, or the record or bundle is missing or damaged', () => {
    const edited = builtTree();
    writeFileSync(path.join(edited.root, 'src', 'b.ts'), 'export const b = 3;\n');
    expect(reason(edited)).toBe('sources changed');

    const removed = builtTree();
    rmSync(path.join(removed.root, 'src', 'a.ts'));
    expect(reason(removed)).toBe('an input is gone');

    const noBundle = builtTree();
    rmSync(noBundle.current());
    expect(reason(noBundle)).toBe('bundle missing');

    const garbled = builtTree();
    writeFileSync(path.join(garbled.dist, 'current.json'), '{"sha256": "../../etc", "inputs": []}');
    expect(reason(garbled)).toBe('current.json malformed');
    writeFileSync(path.join(garbled.dist, 'current.json'), '{not json');
    expect(reason(garbled)).toBe('current.json unreadable');

    const never = builtTree();
    rmSync(path.join(never.dist, 'current.json'));
    expect(reason(never)).toBe('not built');
  });

  it('answers the CLI the same from the bundle as from the sources', async () => {
    await buildServer({ quiet: true });
    expect(freshServerBundle()).toMatch(/dist\/server\/[0-9a-f]{64}\/trustdesk\.mjs$/);
    const cli = async (env: Record<string, string>) => {
      const out = await run(process.execPath, [path.join(ROOT, 'bin', 'trustdesk.js'), '--help'], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 });
      return out.stdout;
    };
    const [bundled, sources] = await Promise.all([cli({}), cli({ TRUSTDESK_FROM_SOURCE: '1' })]);
    expect(bundled).toContain('Usage');
    expect(bundled).toBe(sources);
  });
});
