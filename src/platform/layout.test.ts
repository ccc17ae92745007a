/**
 * The source tree's shape: `src/` holds only the five areas (docs/ARCHITECTURE.md), and no module imports
 * itself back through a chain of others — type-only imports included, because a cycle of types is the
 * first step to a cycle of values and makes either side impossible to read alone.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const AREAS = ['helpdesk', 'identity', 'platform', 'protection', 'threats'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return ['node_modules', 'dist', '__fixtures__'].includes(name) ? [] : sourceFiles(full);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [full] : [];
  });
}

const SPECIFIER = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function resolveImport(from: string, spec: string): string | null {
  const base = path.resolve(path.dirname(from), spec);
  const candidates = [base, base.replace(/\.js$/, '.ts'), base.replace(/\.js$/, '.tsx'), `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')];
  return candidates.find((c) => { try { return statSync(c).isFile(); } catch { return false; } }) ?? null;
}

/** Strongly connected components with more than one module (Tarjan), each as a readable chain. */
function cycles(files: string[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const deps = [...text.matchAll(SPECIFIER)].map((m) => resolveImport(file, (m[1] ?? m[2])!)).filter((d): d is string => d !== null);
    graph.set(file, deps);
  }
  let index = 0;
  const stack: string[] = [];
  const onStack = new Set<string>();
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index); low.set(v, index); index++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indices.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); component.push(path.relative(root, w)); } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const file of graph.keys()) if (!indices.has(file)) visit(file);
  return found;
}

describe('source layout', () => {
  it('keeps src/ to the five areas', () => {
    const entries = readdirSync(path.join(root, 'src'));
    expect(entries.sort()).toEqual(AREAS);
  });

  it('has no import cycles in the server', () => {
    expect(cycles(sourceFiles(path.join(root, 'src')))).toEqual([]);
  });

  it('has no import cycles in the web app', () => {
    expect(cycles(sourceFiles(path.join(root, 'web/src')))).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    // The detector itself must be able to fail: two modules in this folder that import each other.
    const dir = path.join(root, 'src/platform/__fixtures__/cycle');
    expect(cycles(sourceFiles(dir))).toHaveLength(1);
  });
});
