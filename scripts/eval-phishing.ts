/**
 * Evaluates the phishing engine on a folder of phishing .eml files and one or more folders of
 * legitimate ones, with SpamAssassin as the peer.
 *
 *   npm run eval:phishing -- --phish DIR [--ham DIR ...] [--strip-auth] [--json] [--no-peer] [--replay]
 *
 * --replay also feeds the sets in time order as one organisation's inbox and compares the static
 * engine with the engine and a model learned from the labels people would give (scripts/phishing-replay.ts).
 *
 * "Flagged" means a verdict other than clean (the agent sees a warning); figures for the
 * phishing verdict alone are printed too. Each ham folder gets its own false-positive rate: the
 * 2002 corpus and today's support mail fail in different ways, and a pooled rate would let the
 * large old set hide the small modern one (decision 0169). Method and caveats: docs/decisions/0031.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeMessage, authFromHeaders, parseRawMessage } from '../src/threats/phishing/index.js';
import type { Analysis, AnalysisContext, ParsedMessage } from '../src/threats/phishing/index.js';
import { splitHeaderBlock } from '../src/threats/phishing/parse.js';
import { runReplay } from './phishing-replay.js';

const { values: args } = parseArgs({
  options: {
    phish: { type: 'string', default: '../shared/data/phishing/phish' },
    ham: { type: 'string', multiple: true, default: ['../shared/data/phishing/ham', '../shared/data/phishing/ham-modern'] },
    'strip-auth': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'no-peer': { type: 'boolean', default: false },
    /** Lists half A's misses and false alarms with their reasons: the development half only, never B. */
    'show-half-a': { type: 'boolean', default: false },
    /** Replays the sets in time order with an organisation's learned model (decision 0173). */
    replay: { type: 'boolean', default: false },
  },
});

/** A fictional organisation; the same for both sets and never tuned to them. */
const CONTEXT: AnalysisContext = {
  orgDomains: ['example-shop.com'],
  staff: [
    { name: 'Alice Martin', email: 'alice.martin@example-shop.com', executive: true },
    { name: 'Bruno Keller', email: 'bruno.keller@example-shop.com', executive: true },
    { name: 'Chloe Dubois', email: 'chloe.dubois@example-shop.com' },
    { name: 'Support Team', email: 'support@example-shop.com' },
  ],
  brandNames: ['Example Shop'],
  knownCustomerDomains: ['acme-corp.com', 'globex.example'],
  partnerDomains: ['fastship-logistics.com', 'paybridge-payments.com'],
  allowList: [],
  blockList: [],
};
/** Without --strip-auth the eval trusts the topmost upstream Authentication-Results. */
const TRUSTED_AUTHSERV_IDS = ['*'];
const STRIPPED = new Set(['authentication-results', 'received-spf', 'arc-authentication-results', 'arc-seal', 'arc-message-signature']);

interface Item {
  name: string;
  label: 'phish' | 'ham';
  /** The folder's name ("ham", "ham-modern"): each ham set is reported on its own. */
  set: string;
  raw: Buffer;
  half: 'A' | 'B';
  parsed?: ParsedMessage;
  analysis?: Analysis;
  saScore?: number;
}

function stripAuth(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  const m = /\r?\n\r?\n/.exec(text);
  const end = m ? m.index : text.length;
  const kept = splitHeaderBlock(text.slice(0, end)).filter((h) => !STRIPPED.has(h.key.toLowerCase()) && !h.key.toLowerCase().startsWith('arc-'));
  return Buffer.from(kept.map((h) => h.line).join('\r\n') + text.slice(end), 'latin1');
}

function load(dir: string, label: Item['label']): Item[] {
  const set = basename(resolve(dir));
  return readdirSync(dir)
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((name) => {
      let raw: Buffer = readFileSync(join(dir, name));
      if (args['strip-auth']) raw = stripAuth(raw);
      // A fixed split by file-name hash, so a held-out half stays held out between runs.
      const half = (createHash('sha256').update(name).digest()[0]! & 1) === 0 ? 'A' : 'B';
      return { name, label, set, raw, half } as Item;
    });
}

interface Metrics { tp: number; fp: number; tn: number; fn: number; precision: number; recall: number; fpr: number; f1: number }

function metrics(items: readonly Item[], flagged: (i: Item) => boolean): Metrics {
  let tp = 0, fp = 0, tn = 0, fn = 0;
  for (const i of items) {
    const f = flagged(i);
    if (i.label === 'phish') f ? tp++ : fn++;
    else f ? fp++ : tn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  const fpr = fp + tn ? fp / (fp + tn) : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { tp, fp, tn, fn, precision, recall, fpr, f1 };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
function line(label: string, m: Metrics): string {
  return `${label.padEnd(34)} precision ${pct(m.precision).padStart(7)}  recall ${pct(m.recall).padStart(7)}  FPR ${pct(m.fpr).padStart(6)}  F1 ${m.f1.toFixed(3)}  [TP ${m.tp} FN ${m.fn} FP ${m.fp} TN ${m.tn}]`;
}

// ---- SpamAssassin peer: a local spamd (-L: no network, no DNS), scored through spamc ----

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function spamc(port: number, raw: Buffer): Promise<number | null> {
  return new Promise((resolve) => {
    const p = spawn('spamc', ['-d', '127.0.0.1', '-p', String(port), '-c', '-x', '-s', '20000000'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', () => resolve(null));
    p.on('close', () => {
      const m = /^(-?[\d.]+)\/([\d.]+)/.exec(out.trim());
      resolve(m ? Number(m[1]) : null);
    });
    p.stdin.on('error', () => undefined);
    p.stdin.end(raw);
  });
}

async function runSpamAssassin(items: Item[]): Promise<{ seconds: number; failed: number } | null> {
  const which = spawn('sh', ['-c', 'command -v spamd && command -v spamc'], { stdio: 'ignore' });
  const ok = await new Promise<boolean>((r) => which.on('close', (c) => r(c === 0)));
  if (!ok) return null;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'td-spamd-'));
  const workers = Math.max(1, cpus().length);
  const spamd = spawn('spamd', ['-L', '-x', '--cf=use_bayes 0', '--cf=bayes_auto_learn 0', `--listen=127.0.0.1:${port}`, '-m', String(workers), '--pidfile', join(dir, 'pid')], { stdio: 'ignore' });
  try {
    const probe = Buffer.from('From: a@b.example\r\nSubject: probe\r\n\r\nprobe\r\n');
    let ready = false;
    for (let t = 0; t < 120 && !ready; t++) {
      ready = (await spamc(port, probe)) !== null;
      if (!ready) await new Promise((r) => setTimeout(r, 500));
    }
    if (!ready) return null;
    const started = performance.now();
    let next = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (next < items.length) {
          const item = items[next++]!;
          const s = await spamc(port, item.raw);
          if (s === null) failed++;
          item.saScore = s ?? 0;
        }
      }),
    );
    return { seconds: (performance.now() - started) / 1000, failed };
  } finally {
    spamd.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The lowest SpamAssassin threshold whose FPR does not exceed `fpr`. */
function thresholdForFpr(items: readonly Item[], fpr: number): number {
  const ham = items.filter((i) => i.label === 'ham').map((i) => i.saScore ?? 0).sort((a, b) => b - a);
  const allowed = Math.floor(fpr * ham.length + 1e-9);
  return (ham[allowed] ?? -Infinity) + 0.001;
}

// ---- main ----

/** Phish plus one ham set (or all ham), optionally one half of each. */
function subset(items: readonly Item[], set: string | null, half?: Item['half']): Item[] {
  return items.filter((i) => (i.label === 'phish' || set === null || i.set === set) && (!half || i.half === half));
}

async function main(): Promise<void> {
  const hamDirs = args.ham!;
  const phish = load(args.phish!, 'phish');
  const hams = hamDirs.map((d) => load(d, 'ham'));
  const sets = hams.map((h, k) => h[0]?.set ?? String(k));
  if (new Set(sets).size !== sets.length) throw new Error(`ham folders need distinct names (got ${sets.join(', ')})`);
  const items = [...phish, ...hams.flat()];
  const nPhish = phish.length;
  const nHam = items.length - nPhish;
  if (!nPhish || hams.some((h) => !h.length)) throw new Error(`need .eml files in every folder (found ${nPhish} phish, ham ${hams.map((h) => h.length).join('/')})`);

  let t0 = performance.now();
  for (const i of items) i.parsed = await parseRawMessage(i.raw);
  const parseSeconds = (performance.now() - t0) / 1000;
  const ctxFor = (i: Item): AnalysisContext =>
    args['strip-auth'] ? CONTEXT : { ...CONTEXT, auth: authFromHeaders(i.parsed!.headers, TRUSTED_AUTHSERV_IDS), trustedAuthservIds: TRUSTED_AUTHSERV_IDS };
  const contexts = items.map(ctxFor);
  for (let k = 0; k < items.length; k++) analyzeMessage(items[k]!.parsed!, contexts[k]!); // warm-up
  t0 = performance.now();
  for (let k = 0; k < items.length; k++) items[k]!.analysis = analyzeMessage(items[k]!.parsed!, contexts[k]!);
  const analyzeSeconds = (performance.now() - t0) / 1000;

  const flagged = (i: Item) => i.analysis!.verdict !== 'clean';
  const all = metrics(items, flagged);
  const quarantined = metrics(items, (i) => i.analysis!.verdict === 'phishing');
  const perSet = sets.map((set) => ({
    set,
    all: metrics(subset(items, set), flagged),
    a: metrics(subset(items, set, 'A'), flagged),
    b: metrics(subset(items, set, 'B'), flagged),
    quarantined: metrics(subset(items, set), (i) => i.analysis!.verdict === 'phishing'),
  }));
  const halfA = metrics(subset(items, null, 'A'), flagged);
  const halfB = metrics(subset(items, null, 'B'), flagged);
  const rate = items.length / analyzeSeconds;
  const rateWithParse = items.length / (analyzeSeconds + parseSeconds);

  const hits = new Map<string, Record<string, number>>();
  for (const i of items) {
    for (const code of new Set(i.analysis!.reasons.map((r) => r.code))) {
      const h = hits.get(code) ?? {};
      const key = i.label === 'phish' ? 'phish' : i.set;
      h[key] = (h[key] ?? 0) + 1;
      hits.set(code, h);
    }
  }
  const sizes: Record<string, number> = { phish: nPhish, ...Object.fromEntries(hams.map((h, k) => [sets[k]!, h.length])) };

  // SpamAssassin's second threshold gives it our FPR on the first ham set (the large one): the
  // same false-alarm budget, so recall compares directly.
  const sa = args['no-peer'] ? null : await runSpamAssassin(items);
  let peer: Record<string, unknown> = { available: false };
  const saPerSet: { set: string; default: Metrics; matched: Metrics }[] = [];
  if (sa) {
    const t = thresholdForFpr(subset(items, sets[0]!), perSet[0]!.all.fpr);
    const at = (threshold: number) => (i: Item) => (i.saScore ?? 0) >= threshold;
    for (const set of sets) saPerSet.push({ set, default: metrics(subset(items, set), at(5)), matched: metrics(subset(items, set), at(t)) });
    peer = {
      available: true,
      failed: sa.failed,
      msgs_per_s: items.length / sa.seconds,
      default: { threshold: 5, ...metrics(items, at(5)) },
      matched: { threshold: Number(t.toFixed(3)), ...metrics(items, at(t)) },
      per_ham: Object.fromEntries(saPerSet.map((p) => [p.set, { default: p.default, matched: p.matched }])),
    };
  }

  console.log(`Trustdesk phishing evaluation — ${new Date().toISOString()} — node ${process.version}, ${cpus()[0]?.model ?? '?'}`);
  console.log(`phish: ${args.phish} (${nPhish})   ham: ${hamDirs.map((d, k) => `${d} (${hams[k]!.length})`).join(', ')}`);
  console.log(`upstream auth headers: ${args['strip-auth'] ? 'stripped' : 'used (topmost trusted)'}   half A = file-name SHA-256 even (development), B = odd (held out)`);
  console.log('');
  for (const p of perSet) {
    console.log(`against ${p.set}:`);
    console.log(line('  Trustdesk, flagged (not clean)', p.all));
    console.log(line('  Trustdesk, verdict phishing', p.quarantined));
    console.log(line('    half A', p.a));
    console.log(line('    half B (held out)', p.b));
    const s = saPerSet.find((x) => x.set === p.set);
    if (s) {
      console.log(line('  SpamAssassin -L, threshold 5.0', s.default));
      console.log(line(`  SpamAssassin -L, threshold ${(peer as { matched: { threshold: number } }).matched.threshold}`, s.matched));
    }
  }
  if (sets.length > 1) {
    console.log('all ham pooled:');
    console.log(line('  Trustdesk, flagged (not clean)', all));
    console.log(line('    half A', halfA));
    console.log(line('    half B (held out)', halfB));
  }
  if (sa) {
    console.log(`SpamAssassin: ${(items.length / sa.seconds).toFixed(1)} msgs/s through spamd (${cpus().length} children), ${sa.failed} failed`);
  } else if (!args['no-peer']) {
    console.log('SpamAssassin: spamd/spamc not found (apt-get install -y spamassassin spamd spamc); reporting Trustdesk only');
  }
  console.log('');
  console.log(`speed: analysis alone ${rate.toFixed(0)} msgs/s (one core); parsing + analysis ${rateWithParse.toFixed(0)} msgs/s`);
  console.log('');
  console.log(`signal                                   ${['phish', ...sets].map((s) => s.padStart(10)).join(' ')}`);
  for (const [code, h] of [...hits.entries()].sort((a, b) => (b[1].phish ?? 0) - (a[1].phish ?? 0))) {
    console.log(`  ${code.padEnd(38)} ${['phish', ...sets].map((s) => pct((h[s] ?? 0) / sizes[s]!).padStart(10)).join(' ')}`);
  }
  if (args['show-half-a']) {
    console.log('');
    console.log('half A, misses and false alarms (half B is never listed):');
    for (const i of items) {
      if (i.half !== 'A' || flagged(i) === (i.label === 'phish')) continue;
      const why = i.analysis!.reasons.filter((r) => r.weight > 0).map((r) => `${r.code} ${r.weight}`).join(', ');
      console.log(`  ${i.label === 'phish' ? 'MISS' : `FP ${i.set}`} ${i.name} score ${i.analysis!.score}: ${why || '-'}`);
    }
  }
  const replay = args.replay ? runReplay(items, ctxFor, sets) : null;
  if (args.json) {
    const r = (m: Metrics) => ({ precision: m.precision, recall: m.recall, fpr: m.fpr, f1: m.f1, tp: m.tp, fn: m.fn, fp: m.fp, tn: m.tn });
    console.log(
      JSON.stringify({
        ...r(all),
        n_phish: nPhish,
        n_ham: nHam,
        msgs_per_s: Math.round(rate),
        msgs_per_s_with_parse: Math.round(rateWithParse),
        strip_auth: args['strip-auth'],
        verdict_phishing: r(quarantined),
        half_a: r(halfA),
        half_b: r(halfB),
        per_ham: Object.fromEntries(perSet.map((p) => [p.set, { n: sizes[p.set], ...r(p.all), half_a: r(p.a), half_b: r(p.b), verdict_phishing: r(p.quarantined) }])),
        spamassassin: peer,
        ...(replay ? { replay } : {}),
        signals: Object.fromEntries([...hits.entries()].map(([k, h]) => [k, Object.fromEntries(Object.keys(sizes).map((s) => [s, (h[s] ?? 0) / sizes[s]!]))])),
      }),
    );
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
