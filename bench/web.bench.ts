/**
 * `npm run bench:web`: what the browser downloads and how soon the ticket page
 * is usable. Prints, never asserts.
 *
 * 1. Size: builds the web app if stale, then walks Vite's manifest from the
 *    entry through its static imports (the first load: HTML + entry chunk +
 *    what it imports + CSS) and from the agent area, which the ticket page
 *    adds. Each file gzipped at level 9.
 * 2. Time: a server on PGlite with a ticket of 50 messages; 10 cold loads of
 *    /tickets/:id, each in a new browser context signed in as an agent.
 *    `ready` is the page's own `td:ticket-ready` mark (set once the
 *    conversation has rendered); time to interactive is the later of that
 *    mark and the end of the last long task seen up to 1 s after it. Run
 *    unthrottled and with the CPU slowed 4× (DevTools emulation).
 *
 * Options: --loads N (default 10), --messages N (default 50).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { buildOrg, buildTeam, buildUser, signInAs } from '../src/identity/auth/testing.js';
import { createCustomer } from '../src/helpdesk/customers/customers.service.js';
import { createHelpdeskDeps } from '../src/helpdesk/tickets/context.js';
import { insertMessage, insertTicket } from '../src/helpdesk/tickets/records.js';
import { launchBrowser, staffContext, startWebServer } from '../e2e/web/harness.js';
import { buildWeb } from '../scripts/build-web.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = path.join(root, 'web', 'dist');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const LOADS = arg('loads', 10);
const MESSAGES = arg('messages', 50);

interface ManifestChunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}
type Manifest = Record<string, ManifestChunk>;

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

function gzipSize(file: string): { raw: number; gzip: number } {
  const data = readFileSync(path.join(dist, file));
  return { raw: data.length, gzip: gzipSync(data, { level: 9 }).length };
}

/** Files a chunk pulls in statically (itself, its static imports, their CSS), in load order. */
function staticClosure(manifest: Manifest, key: string, seen = new Set<string>()): string[] {
  if (seen.has(key)) return [];
  seen.add(key);
  const chunk = manifest[key];
  if (!chunk) return [];
  const files = [chunk.file, ...(chunk.css ?? [])];
  for (const imported of chunk.imports ?? []) files.push(...staticClosure(manifest, imported, seen));
  return files;
}

function sizes(): void {
  const manifest = JSON.parse(readFileSync(path.join(dist, '.vite', 'manifest.json'), 'utf8')) as Manifest;
  const entryKey = Object.keys(manifest).find((k) => manifest[k]?.isEntry) as string;
  const first = ['index.html', ...staticClosure(manifest, entryKey)];
  const firstSet = new Set(first);
  const agentKey = Object.keys(manifest).find((k) => k.endsWith('src/agent/index.tsx'));
  const agent = agentKey ? staticClosure(manifest, agentKey).filter((f) => !firstSet.has(f)) : [];

  const print = (title: string, files: string[]) => {
    let raw = 0;
    let gz = 0;
    console.log(`\n${title}`);
    for (const file of files) {
      const s = gzipSize(file);
      raw += s.raw;
      gz += s.gzip;
      console.log(`  ${file.padEnd(48)} ${kb(s.raw).padStart(10)}  gzip ${kb(s.gzip).padStart(9)}`);
    }
    console.log(`  ${'total'.padEnd(48)} ${kb(raw).padStart(10)}  gzip ${kb(gz).padStart(9)}`);
    return gz;
  };
  const firstGz = print('First load (HTML + entry + static imports + CSS)', first);
  const agentGz = print('Added by the agent console (ticket page), loaded on demand', agent);
  console.log(`\nTicket page as the first page opened: gzip ${kb(firstGz + agentGz)} (aim < 250 KB)`);

  const all = Object.values(manifest).flatMap((c) => [c.file, ...(c.css ?? [])]);
  let js = 0;
  let css = 0;
  for (const file of new Set(all)) {
    const s = gzipSize(file).gzip;
    if (file.endsWith('.css')) css += s;
    else js += s;
  }
  console.log(`All assets: JavaScript gzip ${kb(js)}, CSS gzip ${kb(css)} (${new Set(all).size} files)`);
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

async function timings(): Promise<void> {
  const server = await startWebServer();
  let browser: Browser | undefined;
  try {
    const s = server.services;
    const deps = await createHelpdeskDeps(s);
    const org = await buildOrg(s);
    const team = await buildTeam(s, org);
    const customer = await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Ada Example', email: 'ada@customer.example' });
    const ticketId = await deps.db.transaction().execute(async (trx) => {
      const ticket = await insertTicket(trx, deps, { orgId: org.orgId, subject: 'Order 10042 arrived damaged', channel: 'email', requesterId: customer.id, teamId: team });
      for (let m = 0; m < MESSAGES; m++) {
        const fromCustomer = m % 2 === 0;
        await insertMessage(trx, deps, {
          orgId: org.orgId,
          ticketId: ticket.id,
          kind: fromCustomer ? 'inbound_email' : 'public_reply',
          authorType: fromCustomer ? 'customer' : 'user',
          customerId: customer.id,
          body: `Message ${m + 1}: ${'The parcel for order 10042 arrived with a crushed corner and the glass inside was broken. '.repeat(4)}`,
        });
      }
      return ticket.id;
    });
    const user = await buildUser(s, org, { roles: ['agent'], teamIds: [team] });
    const session = await signInAs(server.app, user, { mfa: 'totp' });
    browser = await launchBrowser();

    for (const rate of [1, 4]) {
      const ready: number[] = [];
      const tti: number[] = [];
      const fcp: number[] = [];
      let failures = 0;
      for (let i = 0; i < LOADS + 1; i++) {
        const context = await staffContext(browser, server, session);
        // Runs before any page script through DevTools, so the page's CSP does not apply to it.
        await context.addInitScript(() => {
          // Page-side types, described here because the bench compiles without DOM types.
          type Observer = new (cb: (list: { getEntries(): Array<{ startTime: number; duration: number }> }) => void) => { observe(options: { entryTypes: string[] }): void };
          const w = globalThis as unknown as { __longTasks: Array<{ start: number; end: number }>; PerformanceObserver: Observer };
          w.__longTasks = [];
          new w.PerformanceObserver((list) => {
            for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, end: e.startTime + e.duration });
          }).observe({ entryTypes: ['longtask'] });
        });
        const page = await context.newPage();
        if (rate > 1) {
          const cdp = await context.newCDPSession(page);
          await cdp.send('Emulation.setCPUThrottlingRate', { rate });
        }
        try {
          await page.goto(`/tickets/${ticketId}`);
          await page.waitForFunction(() => performance.getEntriesByName('td:ticket-ready').length > 0, undefined, { timeout: 60_000, polling: 100 });
          await page.waitForTimeout(1000);
          const m = await page.evaluate(() => {
            const mark = performance.getEntriesByName('td:ticket-ready')[0]?.startTime ?? NaN;
            const paint = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN;
            const tasks = (globalThis as unknown as { __longTasks: Array<{ start: number; end: number }> }).__longTasks;
            const lastEnd = tasks.filter((t) => t.start <= mark + 1000).reduce((max, t) => Math.max(max, t.end), 0);
            return { mark, paint, tti: Math.max(mark, lastEnd) };
          });
          // The first load warms the server (keys, plans); it is not counted.
          if (i > 0) {
            ready.push(m.mark);
            tti.push(m.tti);
            fcp.push(m.paint);
          }
        } catch (err) {
          if (failures++ === 0) console.error(`  load failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
        }
        await context.close();
      }
      const row = (label: string, v: number[]) => `  ${label.padEnd(28)} median ${percentile(v, 50).toFixed(0).padStart(5)} ms   p95 ${percentile(v, 95).toFixed(0).padStart(5)} ms`;
      console.log(`\nTicket page, ${MESSAGES} messages, ${LOADS} cold loads, CPU ${rate === 1 ? 'unthrottled' : `slowed ${rate}×`}${failures ? ` (${failures} loads never became ready)` : ''}`);
      console.log(row('first contentful paint', fcp));
      console.log(row('conversation rendered', ready));
      console.log(row('time to interactive', tti));
    }
  } finally {
    await browser?.close();
    await server.close();
  }
}

async function main(): Promise<void> {
  const built = await buildWeb({ quiet: true });
  console.log(`Trustdesk web bench — ${new Date().toISOString()} — ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, Node ${process.version}; build ${built === 'built' ? 'rebuilt' : 'up to date'}`);
  sizes();
  await timings();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
