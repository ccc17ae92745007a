/**
 * Evaluates the phishing engine on two folders of .eml files, with SpamAssassin as the peer.
 *
 *   npm run eval:phishing -- --phish DIR --ham DIR [--strip-auth] [--json] [--no-peer]
 *
 * "Flagged" means a verdict other than clean (the agent sees a warning); figures for the
 * phishing verdict alone are printed too. Method and caveats: docs/decisions/0031.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeMessage, authFromHeaders, parseRawMessage } from '../src/phishing/index.js';
import type { Analysis, AnalysisContext, ParsedMessage } from '../src/phishing/index.js';
import { splitHeaderBlock } from '../src/phishing/parse.js';

const { values: args } = parseArgs({
  options: {
    phish: { type: 'string', default: '../shared/data/phishing/phish' },
    ham: { type: 'string', default: '../shared/data/phishing/ham' },
    'strip-auth': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'no-peer': { type: 'boolean', default: false },
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
  return readdirSync(dir)
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((name) => {
      let raw: Buffer = readFileSync(join(dir, name));
      if (args['strip-auth']) raw = stripAuth(raw);
      // A fixed split by file-name hash, so a held-out half stays held out between runs.
      const half = (createHash('sha256').update(name).digest()[0]! & 1) === 0 ? 'A' : 'B';
      return { name, label, raw, half } as Item;
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

async function main(): Promise<void> {
  const items = [...load(args.phish!, 'phish'), ...load(args.ham!, 'ham')];
  const nPhish = items.filter((i) => i.label === 'phish').length;
  const nHam = items.length - nPhish;
  if (!nPhish || !nHam) throw new Error(`need .eml files in both folders (found ${nPhish} phish, ${nHam} ham)`);

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
  const halfA = metrics(items.filter((i) => i.half === 'A'), flagged);
  const halfB = metrics(items.filter((i) => i.half === 'B'), flagged);
  const rate = items.length / analyzeSeconds;
  const rateWithParse = items.length / (analyzeSeconds + parseSeconds);

  const hits = new Map<string, { phish: number; ham: number }>();
  for (const i of items) {
    for (const code of new Set(i.analysis!.reasons.map((r) => r.code))) {
      const h = hits.get(code) ?? { phish: 0, ham: 0 };
      h[i.label]++;
      hits.set(code, h);
    }
  }

  const sa = args['no-peer'] ? null : await runSpamAssassin(items);
  let peer: Record<string, unknown> = { available: false };
  if (sa) {
    const t = thresholdForFpr(items, all.fpr);
    const atDefault = metrics(items, (i) => (i.saScore ?? 0) >= 5);
    const atMatched = metrics(items, (i) => (i.saScore ?? 0) >= t);
    peer = { available: true, failed: sa.failed, msgs_per_s: items.length / sa.seconds, default: { threshold: 5, ...atDefault }, matched: { threshold: Number(t.toFixed(3)), ...atMatched } };
  }

  console.log(`Trustdesk phishing evaluation — ${new Date().toISOString()} — node ${process.version}, ${cpus()[0]?.model ?? '?'}`);
  console.log(`phish: ${args.phish} (${nPhish})   ham: ${args.ham} (${nHam})   upstream auth headers: ${args['strip-auth'] ? 'stripped' : 'used (topmost trusted)'}`);
  console.log('');
  console.log(line('Trustdesk, flagged (not clean)', all));
  console.log(line('Trustdesk, verdict phishing', quarantined));
  console.log(line('  half A (file-name hash even)', halfA));
  console.log(line('  half B (file-name hash odd)', halfB));
  if (sa) {
    const p = peer as { default: Metrics; matched: Metrics & { threshold: number }; msgs_per_s: number; failed: number };
    console.log(line('SpamAssassin -L, threshold 5.0', p.default));
    console.log(line(`SpamAssassin -L, threshold ${p.matched.threshold}`, p.matched));
    console.log(`SpamAssassin: ${p.msgs_per_s.toFixed(1)} msgs/s through spamd (${cpus().length} children), ${p.failed} failed`);
  } else if (!args['no-peer']) {
    console.log('SpamAssassin: spamd/spamc not found (apt-get install -y spamassassin spamd spamc); reporting Trustdesk only');
  }
  console.log('');
  console.log('confusion matrix (flagged):      predicted phish  predicted clean');
  console.log(`  actual phish                   ${String(all.tp).padStart(15)}  ${String(all.fn).padStart(15)}`);
  console.log(`  actual ham                     ${String(all.fp).padStart(15)}  ${String(all.tn).padStart(15)}`);
  console.log('');
  console.log(`speed: analysis alone ${rate.toFixed(0)} msgs/s (one core); parsing + analysis ${rateWithParse.toFixed(0)} msgs/s`);
  console.log('');
  console.log('signal                                   phish    ham');
  for (const [code, h] of [...hits.entries()].sort((a, b) => b[1].phish - a[1].phish)) {
    console.log(`  ${code.padEnd(38)} ${pct(h.phish / nPhish).padStart(7)} ${pct(h.ham / nHam).padStart(7)}`);
  }
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
        spamassassin: peer,
        signals: Object.fromEntries([...hits.entries()].map(([k, h]) => [k, { phish: h.phish / nPhish, ham: h.ham / nHam }])),
      }),
    );
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
