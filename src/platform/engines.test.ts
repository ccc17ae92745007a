/**
 * The Node.js the project says it runs on is the one its dependencies accept: every installed package in
 * package-lock.json that declares engines.node accepts the oldest Node that package.json allows (so
 * `npm install` prints no engine warning there), and the README names that same version.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const semver = require('semver') as { minVersion(range: string): { version: string } | null; satisfies(v: string, range: string): boolean; validRange(r: string): string | null };
const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as { packages: Record<string, { engines?: { node?: unknown } | string[] }> };

describe('Node.js requirement', () => {
  const oldest = semver.minVersion(pkg.engines.node)?.version as string;

  it('package.json names a Node range', () => {
    expect(semver.validRange(pkg.engines.node)).not.toBeNull();
    expect(oldest).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('every locked package that declares engines.node accepts the oldest Node the project allows', () => {
    const refusing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      const engines = entry.engines;
      const node = engines && !Array.isArray(engines) ? engines.node : undefined;
      if (typeof node !== 'string') continue;
      if (!semver.validRange(node) || !semver.satisfies(oldest, node)) refusing.push(`${path || '(root)'} needs node ${node}`);
    }
    expect(refusing, `package.json allows Node ${pkg.engines.node}`).toEqual([]);
  });

  it('the README names the same oldest version', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const named = /Node\.js (\d+\.\d+(?:\.\d+)?) or newer/.exec(readme)?.[1];
    expect(named).toBeDefined();
    expect(semver.minVersion(`>=${named}`)?.version).toBe(oldest);
  });
});
