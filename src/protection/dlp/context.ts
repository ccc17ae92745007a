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

interface Phrase {
  /** Lower-case phrase; a space matches 1-3 spaces or tabs. */
  text: string;
  mask: number;
}

interface CompiledContext {
  /** Phrases keyed by the hash of their first word, longest first. */
  byFirstWord: Map<number, Phrase[]>;
  maxFirstWord: number;
  /**
   * Bit `length` of entry `c` is set when some phrase's first word starts with the (lower-case) character `c`
   * and is `length` characters long (31 standing for 31 or more): most words of a message are ruled out without a hash or a lookup.
   */
  firstShapes: Uint32Array;
}

const MAX_PHRASE_LENGTH = 40;

const BITS = new Map(CONTEXT_CATEGORIES.map((c, i) => [c, 1 << i]));

export function categoryBit(category: ContextCategory): number {
  return BITS.get(category) as number;
}

function normalizePhrase(phrase: string): string {
  return phrase.trim().toLowerCase().replace(/[ \t]+/g, ' ');
}

const isWordCode = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const lower = (c: number) => (c >= 65 && c <= 90 ? c | 32 : c);
const step = (h: number, c: number) => (Math.imul(h, 31) + c) | 0;

function compileContext(extra: DetectOptions['extraContextWords']): CompiledContext {
  const maskByPhrase = new Map<string, number>();
  for (const category of CONTEXT_CATEGORIES) {
    for (const raw of [...(WORD_LISTS[category] ?? []), ...(extra?.[category] ?? [])]) {
      const phrase = normalizePhrase(raw);
      if (phrase.length === 0 || phrase.length > MAX_PHRASE_LENGTH || !isWordCode(phrase.charCodeAt(0))) continue;
      maskByPhrase.set(phrase, (maskByPhrase.get(phrase) ?? 0) | categoryBit(category));
    }
  }
  const byFirstWord = new Map<number, Phrase[]>();
  const firstShapes = new Uint32Array(128);
  let maxFirstWord = 0;
  for (const [text, mask] of maskByPhrase) {
    let h = 0;
    let k = 0;
    while (k < text.length && isWordCode(text.charCodeAt(k))) h = step(h, text.charCodeAt(k++));
    maxFirstWord = Math.max(maxFirstWord, k);
    firstShapes[text.charCodeAt(0)] = (firstShapes[text.charCodeAt(0)] as number) | (1 << Math.min(k, 31));
    const list = byFirstWord.get(h) ?? [];
    list.push({ text, mask });
    byFirstWord.set(h, list);
  }
  for (const list of byFirstWord.values()) list.sort((a, b) => b.text.length - a.text.length);
  return { byFirstWord, maxFirstWord, firstShapes };
}

/** End of `phrase` matched at `i` (case-insensitive, flexible spaces, word boundary), or -1. */
function matchPhrase(text: string, i: number, phrase: string): number {
  let j = i;
  for (let k = 0; k < phrase.length; k++) {
    const p = phrase.charCodeAt(k);
    if (p === 32) {
      let spaces = 0;
      while (spaces < 3 && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) {
        j++;
        spaces++;
      }
      if (spaces === 0) return -1;
      continue;
    }
    if (lower(text.charCodeAt(j)) !== p) return -1;
    j++;
  }
  if (isWordCode(phrase.charCodeAt(phrase.length - 1)) && j < text.length && isWordCode(text.charCodeAt(j))) return -1;
  return j;
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

/**
 * One pass over the words of the text: hash each word (lower-cased ASCII)
 * while reading it, look the hash up, and verify the few phrases that start
 * with that word. Each character is read once by the scan plus at most the
 * longest phrase per word start: linear.
 */
export function indexContext(text: string, opts?: DetectOptions): ContextIndex {
  const { byFirstWord, maxFirstWord, firstShapes } = compiledFor(opts);
  let hits: ContextHit[] | undefined;
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isWordCode(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && isWordCode(text.charCodeAt(i))) i++;
    const length = i - start;
    if (length > maxFirstWord || ((firstShapes[lower(text.charCodeAt(start))] as number) & (1 << Math.min(length, 31))) === 0) continue;
    let h = 0;
    for (let k = start; k < i; k++) h = step(h, lower(text.charCodeAt(k)));
    const candidates = byFirstWord.get(h);
    if (candidates === undefined) continue;
    for (const phrase of candidates) {
      const end = matchPhrase(text, start, phrase.text);
      if (end !== -1) {
        (hits ??= []).push({ start, end, mask: phrase.mask });
        i = Math.max(i, end);
        break;
      }
    }
  }
  return hits === undefined ? NO_HITS : { hits };
}

/** The index of a text without context words: shared, never written to. */
const NO_HITS: ContextIndex = Object.freeze({ hits: Object.freeze([]) as unknown as ContextHit[] });

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
export function hitsOf(ctx: ContextIndex, category: ContextCategory): readonly ContextHit[] {
  if (ctx.hits.length === 0) return ctx.hits;
  const bit = categoryBit(category);
  return ctx.hits.filter((h) => (h.mask & bit) !== 0);
}

export function otpNegativePrefixes(): ReadonlySet<string> {
  return OTP_NEGATIVE;
}

const OTP_NEGATIVE: ReadonlySet<string> = new Set(
  (WORD_LISTS['otp_negative_prefixes'] ?? []).map(normalizePhrase),
);
