/** The Grafana dashboard in docs/ queries only series this process exports: a renamed metric breaks this, not a graph. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { collectProcessMetrics, registry } from './metrics.js';

const dashboard = JSON.parse(readFileSync(new URL('../../../docs/grafana/trustdesk-dashboard.json', import.meta.url), 'utf8')) as {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
};

describe('the Grafana dashboard', () => {
  it('names only metrics the registry has', async () => {
    collectProcessMetrics();
    const known = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    const base = (name: string) => name.replace(/_(bucket|count|sum)$/, '');
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\btrustdesk_\w+/g)].map((m) => m[0])));
    expect(used.length).toBeGreaterThan(10);
    for (const name of used) expect(known.has(name) || known.has(base(name)), name).toBe(true);
  });
});
