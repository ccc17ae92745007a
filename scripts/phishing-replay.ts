/**
 * The replay evaluation of an organisation's learned model (decision 0173), run by
 * `npm run eval:phishing -- --replay`.
 *
 * The sets are fed as one organisation's inbox: each set in its own time order (Date header, then
 * file name), interleaved evenly, about 40 messages a day. Every message is scored first by the
 * static engine and by the engine with the model learned so far (prequential: a message is scored
 * before its own label is learned), then it gets the label the organisation's people would
 * plausibly give:
 *   - phishing with a warning or in quarantine: reported or confirmed (90%);
 *   - phishing that got through clean: spotted later and reported (50%);
 *   - legitimate mail with a warning: marked "not phishing" or released (90%);
 *   - legitimate mail without one: answered by an agent, which counts as legitimate (50%).
 * Who labels is one of six agents (two security officers for quarantined mail), and whether a
 * label is given is decided by a hash of the file name: the same every run, unrelated to content.
 *
 * Each ham set is replayed with the phish on its own (sets of different eras in one inbox teach the
 * model the era), then all of them together, which shows exactly that risk.
 *
 * A second pass adds a rogue agent who, from the middle of the stream, marks every phishing
 * message it is shown as "not phishing" and reports every legitimate one: the guards (two
 * labellers per token, a daily cap, strong reasons kept) should bound the harm.
 */
import { createHash } from 'node:crypto';
import { analyzeMessage } from '../src/threats/phishing/index.js';
import type { Analysis, AnalysisContext, ParsedMessage } from '../src/threats/phishing/index.js';
import { LearnedModel } from '../src/threats/phishing/learning/index.js';
import type { Label } from '../src/threats/phishing/learning/index.js';

export interface ReplayItem {
  name: string;
  label: 'phish' | 'ham';
  set: string;
  half: 'A' | 'B';
  parsed?: ParsedMessage;
}

const PER_DAY = 40;
const WINDOWS = 5;
const AGENTS = ['agent-1', 'agent-2', 'agent-3', 'agent-4', 'agent-5', 'agent-6'];
const OFFICERS = ['officer-1', 'officer-2'];

/** A number in [0, 1) from a name and a purpose: deterministic, unrelated to the message's content. */
function chance(name: string, purpose: string): number {
  return createHash('sha256').update(`${purpose}\0${name}`).digest().readUInt32BE(0) / 2 ** 32;
}
const pick = <T>(xs: readonly T[], name: string, purpose: string): T => xs[Math.floor(chance(name, purpose) * xs.length)]!;

function dateOf(p: ParsedMessage | undefined): number {
  const raw = p?.headers.get('date')?.[0];
  const t = raw ? Date.parse(raw) : NaN;
  return Number.isFinite(t) ? t : 0;
}

/** Each set in its own time order, interleaved evenly (a set's k-th of n messages sits at k/n). */
export function timeOrder<T extends ReplayItem>(items: readonly T[]): T[] {
  const bySet = new Map<string, T[]>();
  for (const i of items) {
    const key = i.label === 'phish' ? 'phish' : i.set;
    bySet.set(key, [...(bySet.get(key) ?? []), i]);
  }
  const placed: Array<{ at: number; item: T }> = [];
  for (const list of bySet.values()) {
    const sorted = [...list].sort((a, b) => dateOf(a.parsed) - dateOf(b.parsed) || (a.name < b.name ? -1 : 1));
    sorted.forEach((item, k) => placed.push({ at: (k + 0.5) / sorted.length, item }));
  }
  return placed.sort((a, b) => a.at - b.at || (a.item.name < b.item.name ? -1 : 1)).map((p) => p.item);
}

interface Outcome {
  item: ReplayItem;
  window: number;
  staticFlag: boolean;
  learnedFlag: boolean;
}

/** The label the organisation gives this message after seeing `a`, and who gives it; null for none. */
function labelFor(item: ReplayItem, a: Analysis, rogueFrom: number | null, index: number): { label: Label; by: string } | null {
  const flagged = a.verdict !== 'clean';
  if (rogueFrom !== null && index >= rogueFrom && chance(item.name, 'rogue-sees') < 0.5) {
    return { label: item.label === 'phish' ? 'ham' : 'phish', by: 'rogue-agent' };
  }
  const by = a.verdict === 'phishing' ? pick(OFFICERS, item.name, 'who') : pick(AGENTS, item.name, 'who');
  const p = chance(item.name, 'labelled');
  if (item.label === 'phish') return p < (flagged ? 0.9 : 0.5) ? { label: 'phish', by } : null;
  return p < (flagged ? 0.9 : 0.5) ? { label: 'ham', by } : null;
}

function replayOnce<T extends ReplayItem>(ordered: readonly T[], ctxFor: (i: T) => AnalysisContext, rogueFrom: number | null): { outcomes: Outcome[]; model: LearnedModel; capped: number } {
  const model = new LearnedModel();
  const learned = { model, key: (t: string) => t };
  const outcomes: Outcome[] = [];
  let capped = 0;
  ordered.forEach((item, index) => {
    const ctx = ctxFor(item);
    const plain = analyzeMessage(item.parsed!, ctx);
    const withModel = analyzeMessage(item.parsed!, { ...ctx, learned });
    outcomes.push({ item, window: Math.min(WINDOWS - 1, Math.floor((index * WINDOWS) / ordered.length)), staticFlag: plain.verdict !== 'clean', learnedFlag: withModel.verdict !== 'clean' });
    const l = labelFor(item, withModel, rogueFrom, index);
    if (l && model.learn(withModel.tokens ?? [], l.label, l.by, { at: new Date(Math.floor(index / PER_DAY) * 86_400_000) }) === 'capped') capped++;
  });
  return { outcomes, model, capped };
}

interface Rates { recall: number; fpr: Record<string, number>; n: number }

function rates(outs: readonly Outcome[], sets: readonly string[], flag: (o: Outcome) => boolean): Rates {
  const phish = outs.filter((o) => o.item.label === 'phish');
  const fpr: Record<string, number> = {};
  for (const s of sets) {
    const ham = outs.filter((o) => o.item.label === 'ham' && o.item.set === s);
    fpr[s] = ham.length ? ham.filter(flag).length / ham.length : 0;
  }
  return { recall: phish.length ? phish.filter(flag).length / phish.length : 0, fpr, n: outs.length };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** One organisation's inbox: the phish and the given ham sets. */
function replaySet<T extends ReplayItem>(items: readonly T[], ctxFor: (i: T) => AnalysisContext, sets: readonly string[]): Record<string, unknown> {
  const set = sets.join(' + ');
  const ordered = timeOrder(items.filter((i) => i.label === 'phish' || sets.includes(i.set)));
  const honest = replayOnce(ordered, ctxFor, null);
  const rogue = replayOnce(ordered, ctxFor, Math.floor(ordered.length / 2));
  const summary = (outs: readonly Outcome[]) => ({
    static: rates(outs, sets, (o) => o.staticFlag),
    learned: rates(outs, sets, (o) => o.learnedFlag),
  });
  const windows = Array.from({ length: WINDOWS }, (_, w) => summary(honest.outcomes.filter((o) => o.window === w)));
  const later = (outs: readonly Outcome[]) => outs.filter((o) => o.window >= Math.ceil(WINDOWS / 2));
  const result = {
    messages: ordered.length,
    windows,
    whole: summary(honest.outcomes),
    half_b: summary(honest.outcomes.filter((o) => o.item.half === 'B')),
    later_windows: summary(later(honest.outcomes)),
    rogue_later_windows: summary(later(rogue.outcomes)).learned,
    model: honest.model.status(),
    rogue_model: rogue.model.status(),
    capped: { honest: honest.capped, rogue: rogue.capped },
  };

  const row = (label: string, r: Rates) => `    ${label.padEnd(26)} recall ${pct(r.recall).padStart(7)}   ${sets.map((s) => `FPR ${s} ${pct(r.fpr[s] ?? 0).padStart(6)}`).join('   ')}   (${r.n} messages)`;
  console.log('');
  console.log(`replay, phish + ${set}: ${ordered.length} messages in time order, interleaved evenly, ~${PER_DAY}/day; the learned model scores each message before its label`);
  windows.forEach((w, k) => {
    console.log(`  window ${k + 1}/${WINDOWS}:`);
    console.log(row('static engine', w.static));
    console.log(row('with learned model', w.learned));
  });
  console.log('  whole stream:');
  console.log(row('static engine', result.whole.static));
  console.log(row('with learned model', result.whole.learned));
  console.log('  half B only (held out from rule tuning):');
  console.log(row('static engine', result.half_b.static));
  console.log(row('with learned model', result.half_b.learned));
  console.log(`  windows ${Math.ceil(WINDOWS / 2) + 1}-${WINDOWS}:`);
  console.log(row('static engine', result.later_windows.static));
  console.log(row('with learned model', result.later_windows.learned));
  console.log(row('… and a rogue agent', result.rogue_later_windows));
  console.log(`  model at the end: ${JSON.stringify(result.model)}; with the rogue agent: ${JSON.stringify(result.rogue_model)}; labels refused by the daily cap: ${result.capped.honest} / ${result.capped.rogue}`);
  return result;
}

export function runReplay<T extends ReplayItem>(items: readonly T[], ctxFor: (i: T) => AnalysisContext, sets: readonly string[]): Record<string, unknown> {
  const each = Object.fromEntries(sets.map((set) => [set, replaySet(items, ctxFor, [set])]));
  // And all ham sets in one inbox: legitimate mail of two eras, the older far more numerous — a
  // team whose legitimate mail changes kind (the model has mostly seen the old kind).
  return sets.length > 1 ? { ...each, pooled: replaySet(items, ctxFor, sets) } : each;
}
