/**
 * The schema modules are bundled into the web app, so they may import only
 * `typebox` and each other: no `node:` modules, database or service code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = path.dirname(fileURLToPath(import.meta.url));
const modules = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

describe('shared schema modules', () => {
  it('exist', () => {
    expect(modules).toContain('common.ts');
  });

  it.each(modules)('%s imports only typebox and sibling schema modules', (file) => {
    const source = readFileSync(path.join(dir, file), 'utf8');
    const specifiers = [...source.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? '');
    for (const spec of specifiers) {
      const allowed = spec === 'typebox' || spec === 'typebox/value' || /^\.\/[\w.-]+\.js$/.test(spec);
      expect(allowed, `${file} imports ${spec}`).toBe(true);
    }
  });

  it('the scan sees a forbidden import', () => {
    const sample = "import { x } from 'node:fs';\nimport { Type } from 'typebox';";
    const specs = [...sample.matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
    expect(specs).toEqual(['node:fs', 'typebox']);
  });
});
