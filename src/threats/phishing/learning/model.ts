/**
 * An organisation's learned model (decision 0173): token counts from the labels its people gave —
 * "Report phishing" and confirmed reports say phishing; a release from quarantine, "Not phishing"
 * and (where the caller says so) an answered message say legitimate. Scored as SpamBayes does
 * (Robinson's per-token probability, Fisher's chi-squared combination), because a naive-Bayes
 * token filter learns online from a few hundred labels, stays small, and every verdict can name the
 * tokens that made it.
 *
 * Guards (the model learns from people, so people can try to teach it wrong):
 * - A token counts for a class only once at least MIN_LABELLERS different people gave that class
 *   to messages carrying it (each token keeps a 32-bit mask of hashed labeller ids). One agent's
 *   reports, or one insider's releases, cannot move any token on their own.
 * - The model says nothing until each class has MIN_LABELS labels from MIN_LABELLERS people, and
 *   speaks for phishing only once it has seen at least half as many legitimate messages as
 *   phishing ("balanced"): with a handful of legitimate labels, every ordinary word the few have
 *   not shown looks like phishing (the replay on a small modern set showed exactly that).
 * - Each labeller's labels count up to DAILY_CAP per day; the rest are refused (bulk reports and
 *   releases are recorded by their callers, not learned).
 * - A message gives at most MAX_TOKENS_PER_MESSAGE tokens, each once: long or repeated text
 *   cannot weigh more than a short message.
 * - At most maxTokens tokens: the least used, then the oldest, are dropped.
 * - A model that cannot be read (corrupt, another format or version) is refused with
 *   ModelFormatError: the caller scores without it and offers a reset.
 *
 * Tokens are opaque keys here: callers pass keyed hashes, so no customer's words are stored.
 */

export const MODEL_FORMAT = 'trustdesk.phishing-learning';
export const MODEL_VERSION = 1;

export type Label = 'phish' | 'ham';

export interface LearningLimits {
  maxTokens: number;
  minLabellers: number;
  minLabels: number;
  dailyCap: number;
}

export const DEFAULT_LIMITS: LearningLimits = { maxTokens: 50_000, minLabellers: 2, minLabels: 5, dailyCap: 200 };

interface Counts {
  /** Labels of each class given to messages with this token. */
  p: number;
  h: number;
  /** Masks of the labellers who gave them (bit = hash of the labeller's id mod 32). */
  pb: number;
  hb: number;
  /** Day (days since 1970) this token was last labelled. */
  d: number;
}

export interface Clue {
  key: string;
  /** Robinson's f(w): the token's probability of phishing, shrunk toward 0.5 when seen rarely. */
  probability: number;
  phish: number;
  ham: number;
}

export interface Prediction {
  /** False until both classes have enough labels from enough people. */
  active: boolean;
  /** 0..1; 0.5 when inactive or when the message shares nothing the model knows. */
  probability: number;
  /** The tokens that decided it, most telling first. */
  clues: Clue[];
  /** At least half as many legitimate labels as phishing ones: only then may it speak for phishing. */
  balanced: boolean;
}

export interface Status {
  labels: { phish: number; ham: number };
  labellers: { phish: number; ham: number };
  tokens: number;
  active: boolean;
  balanced: boolean;
}

export type LearnResult = 'learned' | 'capped';

export class ModelFormatError extends Error {}

const day = (at: Date) => Math.floor(at.getTime() / 86_400_000);

/** 32-bit FNV-1a of the labeller id, reduced to a bit. */
export function labellerBit(labeller: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < labeller.length; i++) {
    h ^= labeller.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (1 << (h % 32)) >>> 0;
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v; v &= v - 1) n++;
  return n;
}

/** P(χ² ≥ x2) with v (even) degrees of freedom. */
function chi2Q(x2: number, v: number): number {
  const m = x2 / 2;
  let term = Math.exp(-m);
  let sum = term;
  for (let i = 1; i < v / 2; i++) {
    term *= m / i;
    sum += term;
  }
  return Math.min(sum, 1);
}

/** Robinson's strength of background knowledge and assumed probability of an unseen token. */
const S = 0.45;
const X = 0.5;
/** Tokens nearer than this to 0.5 are ignored; at most MAX_CLUES decide. */
const MIN_STRENGTH = 0.1;
const MAX_CLUES = 50;

export class LearnedModel {
  private readonly tokens = new Map<string, Counts>();
  private phishLabels = 0;
  private hamLabels = 0;
  private phishBy = 0;
  private hamBy = 0;
  /** Labels counted today per labeller bit: { day, counts }. */
  private budget: { d: number; n: Record<string, number> } = { d: 0, n: {} };

  constructor(readonly limits: LearningLimits = DEFAULT_LIMITS) {}

  status(): Status {
    return {
      labels: { phish: this.phishLabels, ham: this.hamLabels },
      labellers: { phish: popcount(this.phishBy), ham: popcount(this.hamBy) },
      tokens: this.tokens.size,
      active: this.active(),
      balanced: this.balanced(),
    };
  }

  private balanced(): boolean {
    return 2 * this.hamLabels >= this.phishLabels;
  }

  private active(): boolean {
    const l = this.limits;
    return this.phishLabels >= l.minLabels && this.hamLabels >= l.minLabels && popcount(this.phishBy) >= l.minLabellers && popcount(this.hamBy) >= l.minLabellers;
  }

  /**
   * Counts a label of a message with these tokens. `replacing` undoes the message's earlier label
   * first (a report overturned by "Not phishing"), always and without charge: the model must not
   * keep a label its people took back. A labeller over today's cap is then refused ('capped') and
   * the new label is not counted.
   */
  learn(keys: readonly string[], label: Label, labeller: string, opts: { at?: Date; replacing?: Label | null } = {}): LearnResult {
    const at = opts.at ?? new Date();
    const bit = labellerBit(labeller);
    const today = day(at);
    const unique = [...new Set(keys)];
    if (opts.replacing) this.unlearn(unique, opts.replacing);
    if (this.budget.d !== today) this.budget = { d: today, n: {} };
    const used = this.budget.n[bit] ?? 0;
    if (used >= this.limits.dailyCap) return 'capped';
    this.budget.n[bit] = used + 1;
    for (const k of unique) {
      const c = this.tokens.get(k) ?? { p: 0, h: 0, pb: 0, hb: 0, d: today };
      if (label === 'phish') {
        c.p++;
        c.pb = (c.pb | bit) >>> 0;
      } else {
        c.h++;
        c.hb = (c.hb | bit) >>> 0;
      }
      c.d = today;
      this.tokens.set(k, c);
    }
    if (label === 'phish') {
      this.phishLabels++;
      this.phishBy = (this.phishBy | bit) >>> 0;
    } else {
      this.hamLabels++;
      this.hamBy = (this.hamBy | bit) >>> 0;
    }
    this.prune();
    return 'learned';
  }

  /**
   * Takes back a label (the message was relabelled or its label withdrawn). Counts never go
   * below zero; labeller masks are kept, which can only make a token look better attested than
   * it is after many withdrawals, never worse — the reset is the remedy for a model taught wrong.
   */
  unlearn(keys: readonly string[], label: Label): void {
    for (const k of new Set(keys)) {
      const c = this.tokens.get(k);
      if (!c) continue;
      if (label === 'phish') c.p = Math.max(0, c.p - 1);
      else c.h = Math.max(0, c.h - 1);
      if (c.p === 0 && c.h === 0) this.tokens.delete(k);
    }
    if (label === 'phish') this.phishLabels = Math.max(0, this.phishLabels - 1);
    else this.hamLabels = Math.max(0, this.hamLabels - 1);
  }

  predict(keys: readonly string[]): Prediction {
    if (!this.active()) return { active: false, probability: 0.5, clues: [], balanced: this.balanced() };
    const min = this.limits.minLabellers;
    const clues: Clue[] = [];
    for (const key of new Set(keys)) {
      const c = this.tokens.get(key);
      if (!c) continue;
      const p = popcount(c.pb) >= min ? c.p : 0;
      const h = popcount(c.hb) >= min ? c.h : 0;
      if (p + h === 0) continue;
      const pr = p / this.phishLabels;
      const hr = h / this.hamLabels;
      const raw = pr / (pr + hr);
      const n = p + h;
      const f = (S * X + n * raw) / (S + n);
      if (Math.abs(f - 0.5) < MIN_STRENGTH) continue;
      clues.push({ key, probability: f, phish: p, ham: h });
    }
    clues.sort((a, b) => Math.abs(b.probability - 0.5) - Math.abs(a.probability - 0.5) || (a.key < b.key ? -1 : 1));
    const used = clues.slice(0, MAX_CLUES);
    if (used.length === 0) return { active: true, probability: 0.5, clues: [], balanced: this.balanced() };
    let lnP = 0;
    let lnH = 0;
    for (const c of used) {
      const f = Math.min(0.99, Math.max(0.01, c.probability));
      lnP += Math.log(1 - f);
      lnH += Math.log(f);
    }
    const s = 1 - chi2Q(-2 * lnP, 2 * used.length);
    const h = 1 - chi2Q(-2 * lnH, 2 * used.length);
    return { active: true, probability: (s - h + 1) / 2, clues: used, balanced: this.balanced() };
  }

  /** Drops the least-used tokens (then the oldest) beyond maxTokens, down to 90% of it. */
  private prune(): void {
    const max = this.limits.maxTokens;
    if (this.tokens.size <= max) return;
    const ranked = [...this.tokens.entries()].sort((a, b) => a[1].p + a[1].h - (b[1].p + b[1].h) || a[1].d - b[1].d);
    const drop = this.tokens.size - Math.floor(max * 0.9);
    for (let i = 0; i < drop; i++) this.tokens.delete(ranked[i]![0]);
  }

  toJSON(): unknown {
    return {
      format: MODEL_FORMAT,
      version: MODEL_VERSION,
      labels: [this.phishLabels, this.hamLabels],
      labellers: [this.phishBy, this.hamBy],
      budget: this.budget,
      tokens: [...this.tokens.entries()].map(([k, c]) => [k, c.p, c.h, c.pb, c.hb, c.d]),
    };
  }

  /** Reads a stored model; anything else (corrupt, other format or version) is a ModelFormatError. */
  static fromJSON(data: unknown, limits: LearningLimits = DEFAULT_LIMITS): LearnedModel {
    const fail = (why: string): never => {
      throw new ModelFormatError(`The stored phishing model cannot be read (${why}); reset it to start again.`);
    };
    if (!data || typeof data !== 'object') fail('not an object');
    const d = data as Record<string, unknown>;
    if (d.format !== MODEL_FORMAT) fail('unknown format');
    if (d.version !== MODEL_VERSION) fail(`version ${String(d.version)}, expected ${MODEL_VERSION}`);
    const nat = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
    const pair = (v: unknown) => Array.isArray(v) && v.length === 2 && v.every(nat);
    if (!pair(d.labels) || !pair(d.labellers)) fail('bad totals');
    if (!Array.isArray(d.tokens) || d.tokens.length > limits.maxTokens) fail('bad token list');
    const m = new LearnedModel(limits);
    [m.phishLabels, m.hamLabels] = d.labels as [number, number];
    [m.phishBy, m.hamBy] = d.labellers as [number, number];
    const b = d.budget as { d?: unknown; n?: unknown } | undefined;
    if (b && nat(b.d) && b.n && typeof b.n === 'object') {
      const n: Record<string, number> = {};
      // At most one entry per labeller bit (32): anything more is not a model this code wrote.
      const entries = Object.entries(b.n as Record<string, unknown>);
      if (entries.length > 32) fail('bad daily counts');
      for (const [k, v] of entries) if (nat(v)) n[k] = v as number;
      m.budget = { d: b.d as number, n };
    }
    for (const t of d.tokens as unknown[]) {
      if (!Array.isArray(t) || t.length !== 6 || typeof t[0] !== 'string' || t[0].length > 128 || !t.slice(1).every(nat)) fail('bad token');
      const [k, p, h, pb, hb, dd] = t as [string, number, number, number, number, number];
      m.tokens.set(k, { p, h, pb, hb, d: dd });
    }
    return m;
  }
}
