/**
 * Span-level evaluation of the DLP engine (and a peer library) on a dataset in
 * the presidio-research format: [{ full_text, spans: [{ entity_type, start_position, end_position }] }].
 *
 *   npm run eval:dlp -- --data ../shared/data/pii/presidio_synth_dev.json [--json] [--misses]
 *
 * Matching rule: a prediction is a true positive when it overlaps (shares at
 * least one character with) a gold span of the same mapped type; a gold span
 * is recalled when some prediction of its type overlaps it. Precision counts
 * predictions, recall counts gold spans. Only dataset types that correspond to
 * one of ours are scored; the rest are listed as unscored.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { detectSensitiveData } from '../src/protection/dlp/index.js';
import type { SensitiveType } from '../src/protection/dlp/index.js';

interface GoldSpan {
  entity_type: string;
  start_position: number;
  end_position: number;
}
interface Sample {
  full_text: string;
  spans: GoldSpan[];
}
interface Span {
  type: SensitiveType;
  start: number;
  end: number;
}
interface Score {
  precision: number;
  recall: number;
  f1: number;
  support: number;
  predicted: number;
}

/** Dataset entity type -> our type, where the meaning is the same. */
const TYPE_MAP: Readonly<Record<string, SensitiveType>> = {
  CREDIT_CARD: 'payment_card',
  IBAN_CODE: 'iban',
  US_SSN: 'us_ssn',
  EMAIL_ADDRESS: 'email',
  PHONE_NUMBER: 'phone',
  IP_ADDRESS: 'ip_address',
};
const SCORED: readonly SensitiveType[] = ['payment_card', 'iban', 'us_ssn', 'email', 'phone', 'ip_address'];

function parseArgs(argv: string[]): { data: string; json: boolean; misses: boolean } {
  let data = '';
  let json = false;
  let misses = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--data') data = argv[++i] ?? '';
    else if (a === '--json') json = true;
    else if (a === '--misses') misses = true;
  }
  if (!data) {
    console.error('usage: eval-dlp --data FILE [--json] [--misses]');
    process.exit(2);
  }
  return { data, json, misses };
}

function goldSpans(sample: Sample): Span[] {
  const out: Span[] = [];
  for (const s of sample.spans) {
    const t = TYPE_MAP[s.entity_type];
    if (t && SCORED.includes(t)) out.push({ type: t, start: s.start_position, end: s.end_position });
  }
  return out;
}

const overlaps = (a: Span, b: Span) => a.type === b.type && a.start < b.end && b.start < a.end;

function score(samples: Sample[], predict: (text: string) => Span[], missLog?: string[]): Record<string, Score> {
  const tp = new Map<SensitiveType, number>();
  const pred = new Map<SensitiveType, number>();
  const hit = new Map<SensitiveType, number>();
  const gold = new Map<SensitiveType, number>();
  const inc = (m: Map<SensitiveType, number>, t: SensitiveType) => m.set(t, (m.get(t) ?? 0) + 1);
  for (const sample of samples) {
    const g = goldSpans(sample);
    const p = predict(sample.full_text).filter((x) => SCORED.includes(x.type));
    for (const x of p) {
      inc(pred, x.type);
      if (g.some((y) => overlaps(x, y))) inc(tp, x.type);
      else missLog?.push(`FP ${x.type} ${JSON.stringify(sample.full_text.slice(x.start, x.end))} in ${JSON.stringify(sample.full_text.slice(Math.max(0, x.start - 40), x.end + 20))}`);
    }
    for (const y of g) {
      inc(gold, y.type);
      if (p.some((x) => overlaps(x, y))) inc(hit, y.type);
      else missLog?.push(`FN ${y.type} ${JSON.stringify(sample.full_text.slice(y.start, y.end))} in ${JSON.stringify(sample.full_text.slice(Math.max(0, y.start - 40), y.end + 20))}`);
    }
  }
  const out: Record<string, Score> = {};
  for (const t of SCORED) {
    const P = pred.get(t) ?? 0;
    const G = gold.get(t) ?? 0;
    const precision = P === 0 ? 0 : (tp.get(t) ?? 0) / P;
    const recall = G === 0 ? 0 : (hit.get(t) ?? 0) / G;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    out[t] = { precision: round(precision), recall: round(recall), f1: round(f1), support: G, predicted: P };
  }
  return out;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** Throughput over the whole dataset, repeated until at least ~1 s has passed. */
function measureMbPerS(samples: Sample[], run: (text: string) => unknown): number {
  const bytes = samples.reduce((n, s) => n + Buffer.byteLength(s.full_text), 0);
  for (const s of samples) run(s.full_text); // warm-up
  let rounds = 0;
  const t0 = performance.now();
  do {
    for (const s of samples) run(s.full_text);
    rounds++;
  } while (performance.now() - t0 < 1000);
  const seconds = (performance.now() - t0) / 1000;
  return round((bytes * rounds) / 1e6 / seconds);
}

// ---- peer: redact-pii (npm), built-in regex redactors ------------------------------------------

interface PeerModule {
  SyncRedactor: new (opts?: unknown) => { redact(text: string): string };
}

/** redact-pii built-ins in the order the library applies them, and their meaning in our terms. */
const PEER_REDACTORS: ReadonlyArray<[string, SensitiveType | undefined]> = [
  ['creditCardNumber', 'payment_card'],
  ['streetAddress', undefined],
  ['zipcode', undefined],
  ['phoneNumber', 'phone'],
  ['ipAddress', 'ip_address'],
  ['usSocialSecurityNumber', 'us_ssn'],
  ['emailAddress', 'email'],
  ['username', undefined],
  ['password', undefined],
  ['credentials', undefined],
  ['digits', undefined],
  ['url', undefined],
];
const OPEN = '\uE000';
const CLOSE = '\uE001';

function loadPeer(): PeerModule | undefined {
  try {
    return createRequire(import.meta.url)('redact-pii') as PeerModule;
  } catch {
    return undefined;
  }
}

/**
 * The library returns text, not spans. Each built-in is run alone with
 * `$&` wrapped in private-use markers, which yields its exact matches; then,
 * as in the library (which applies them in sequence, each seeing the previous
 * one's replacement), a match overlapping an earlier redactor's match is dropped.
 */
function peerPredictor(peer: PeerModule): (text: string) => Span[] {
  const single = PEER_REDACTORS.map(([name, type]) => {
    // Per-redactor replaceWith is ignored by the library; globalReplaceWith is passed to String.replace, so `$&` works.
    const builtInRedactors: Record<string, { enabled: boolean }> = { names: { enabled: false } };
    for (const [other] of PEER_REDACTORS) builtInRedactors[other] = { enabled: other === name };
    return { type, redactor: new peer.SyncRedactor({ builtInRedactors, globalReplaceWith: `${OPEN}$&${CLOSE}` }) };
  });
  return (text) => {
    const taken: Array<{ start: number; end: number }> = [];
    const out: Span[] = [];
    for (const { type, redactor } of single) {
      const marked = redactor.redact(text);
      let pos = 0;
      let start = -1;
      for (let i = 0; i < marked.length; i++) {
        const ch = marked[i];
        if (ch === OPEN) start = pos;
        else if (ch === CLOSE) {
          const span = { start, end: pos };
          if (!taken.some((t) => t.start < span.end && span.start < t.end)) {
            taken.push(span);
            if (type) out.push({ type, ...span });
          }
        } else pos++;
      }
    }
    return out;
  };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const samples = JSON.parse(readFileSync(args.data, 'utf8')) as Sample[];
  const allTypes = new Set(samples.flatMap((s) => s.spans.map((x) => x.entity_type)));
  const unscored = [...allTypes].filter((t) => !(TYPE_MAP[t] && SCORED.includes(TYPE_MAP[t] as SensitiveType))).sort();

  const misses: string[] = [];
  const ours = score(samples, (t) => detectSensitiveData(t), args.misses ? misses : undefined);
  const ourSpeed = measureMbPerS(samples, (t) => detectSensitiveData(t));

  const peer = loadPeer();
  let peerScores: Record<string, Score> | undefined;
  let peerSpeed: number | undefined;
  if (peer) {
    peerScores = score(samples, peerPredictor(peer));
    const full = new peer.SyncRedactor();
    peerSpeed = measureMbPerS(samples, (t) => full.redact(t));
  }
  const peerTypes = new Set(PEER_REDACTORS.map(([, t]) => t).filter(Boolean));

  const bytes = samples.reduce((n, s) => n + Buffer.byteLength(s.full_text), 0);
  console.log(`dataset: ${args.data} (${samples.length} texts, ${(bytes / 1024).toFixed(0)} KiB)`);
  console.log('matching: a prediction is correct if it overlaps a gold span of the same type');
  console.log(`unscored dataset types (no corresponding detector): ${unscored.join(', ')}`);
  console.log('');
  const pad = (s: string, n: number) => s.padEnd(n);
  const fmt = (x: number | undefined) => (x === undefined ? '  -  ' : x.toFixed(3));
  console.log(`${pad('type', 14)}${pad('support', 9)}| ${pad('ours P', 8)}${pad('R', 7)}${pad('F1', 7)}| ${pad('redact-pii P', 14)}${pad('R', 7)}F1`);
  for (const t of SCORED) {
    const o = ours[t] as Score;
    const p = peerScores?.[t];
    const has = peerTypes.has(t);
    console.log(
      `${pad(t, 14)}${pad(String(o.support), 9)}| ${pad(fmt(o.precision), 8)}${pad(fmt(o.recall), 7)}${pad(fmt(o.f1), 7)}| ` +
        (p && has ? `${pad(fmt(p.precision), 14)}${pad(fmt(p.recall), 7)}${fmt(p.f1)}` : 'no detector'),
    );
  }
  console.log('');
  console.log(`throughput (detect, whole set): ours ${ourSpeed} MB/s; redact-pii ${peerSpeed ?? 'n/a'} MB/s${peer ? '' : ' (peer not installed)'}`);
  if (args.misses) for (const m of misses) console.log(m);
  if (args.json) {
    const strip = (r: Record<string, Score>) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, { precision: v.precision, recall: v.recall, f1: v.f1, support: v.support }]));
    console.log(
      JSON.stringify({
        dataset: args.data,
        matching: 'overlap, same type',
        per_type: strip(ours),
        mb_per_s: ourSpeed,
        unscored,
        peer: peer
          ? { name: 'redact-pii', per_type: Object.fromEntries(Object.entries(strip(peerScores ?? {})).filter(([k]) => peerTypes.has(k as SensitiveType))), mb_per_s: peerSpeed }
          : null,
      }),
    );
  }
}

main();
