import words from './context-words.json' with { type: 'json' };
import { CONTEXT_CATEGORIES, type ContextCategory, type DetectOptions } from './types.js';

/** A context word found in the text: its span and the categories it belongs to (bit set). */
export interface ContextHit {
  start: number;
  end: number;
  mask: number;
}

export interface ContextIndex {
  hits: ContextHit[];
}

/** The JSON data file, minus its comment: category -> words. */
const WORD_LISTS: Readonly<Record<string, readonly string[] | undefined>> = Object.fromEntries(
  Object.entries(words).filter((e): e is [string, string[]] => Array.isArray(e[1])),
);

interface CompiledContext {
  pattern: RegExp;
  maskByPhrase: Map<string, number>;
}

const MAX_PHRASE_LENGTH = 40;

export function categoryBit(category: ContextCategory): number {
  return 1 << CONTEXT_CATEGORIES.indexOf(category);
}

function normalizePhrase(phrase: string): string {
  return phrase.trim().toLowerCase().replace(/[ \t]+/g, ' ');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * One alternation of literal phrases. Every branch is a bounded literal (spaces
 * become `[ \t]{1,3}`), so each start position costs at most the longest phrase:
 * linear in the text. `\b` only where the phrase edge is a word character, so
 * `a/c` and `card #` still match.
 */
function compileContext(extra: DetectOptions['extraContextWords']): CompiledContext {
  const maskByPhrase = new Map<string, number>();
  for (const category of CONTEXT_CATEGORIES) {
    const base = WORD_LISTS[category] ?? [];
    const more = extra?.[category] ?? [];
    for (const raw of [...base, ...more]) {
      const phrase = normalizePhrase(raw);
      if (phrase.length === 0 || phrase.length > MAX_PHRASE_LENGTH) continue;
      maskByPhrase.set(phrase, (maskByPhrase.get(phrase) ?? 0) | categoryBit(category));
    }
  }
  const phrases = [...maskByPhrase.keys()].sort((a, b) => b.length - a.length);
  const branches = phrases.map((p) => {
    const body = p.split(' ').map(escapeRegExp).join('[ \\t]{1,3}');
    const lead = /^\w/.test(p) ? '\\b' : '';
    const trail = /\w$/.test(p) ? '\\b' : '';
    return lead + body + trail;
  });
  return { pattern: new RegExp(branches.join('|'), 'gi'), maskByPhrase };
}

const DEFAULT_COMPILED = compileContext(undefined);
const compiledByExtra = new WeakMap<object, CompiledContext>();

function compiledFor(opts: DetectOptions | undefined): CompiledContext {
  const extra = opts?.extraContextWords;
  if (!extra) return DEFAULT_COMPILED;
  let c = compiledByExtra.get(extra);
  if (!c) {
    c = compileContext(extra);
    compiledByExtra.set(extra, c);
  }
  return c;
}

export function indexContext(text: string, opts?: DetectOptions): ContextIndex {
  const { pattern, maskByPhrase } = compiledFor(opts);
  const re = new RegExp(pattern.source, pattern.flags);
  const hits: ContextHit[] = [];
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const phrase = m[0].toLowerCase().replace(/[ \t]+/g, ' ');
    const mask = maskByPhrase.get(phrase) ?? 0;
    hits.push({ start: m.index, end: m.index + m[0].length, mask });
  }
  return { hits };
}

/** Index of the first hit whose end is > pos. */
function firstEndingAfter(hits: ContextHit[], pos: number): number {
  let lo = 0;
  let hi = hits.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((hits[mid] as ContextHit).end > pos) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Is there a context word of `category` overlapping [from, to)? */
export function hasContext(ctx: ContextIndex, category: ContextCategory, from: number, to: number): boolean {
  return findContext(ctx, category, from, to) !== undefined;
}

/** The last context hit of `category` inside [from, to), or undefined. */
export function findContext(
  ctx: ContextIndex,
  category: ContextCategory,
  from: number,
  to: number,
): ContextHit | undefined {
  const bit = categoryBit(category);
  let found: ContextHit | undefined;
  for (let i = firstEndingAfter(ctx.hits, from); i < ctx.hits.length; i++) {
    const h = ctx.hits[i] as ContextHit;
    if (h.start >= to) break;
    if (h.mask & bit) found = h;
  }
  return found;
}

/** All hits of `category`, in order (used by context-first detectors). */
export function hitsOf(ctx: ContextIndex, category: ContextCategory): ContextHit[] {
  const bit = categoryBit(category);
  return ctx.hits.filter((h) => (h.mask & bit) !== 0);
}

export function otpNegativePrefixes(): ReadonlySet<string> {
  return OTP_NEGATIVE;
}

const OTP_NEGATIVE: ReadonlySet<string> = new Set(
  (WORD_LISTS['otp_negative_prefixes'] ?? []).map(normalizePhrase),
);
