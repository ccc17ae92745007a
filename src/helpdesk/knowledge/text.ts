/**
 * Pure helpers of the knowledge base: slugs, the full-text query a search box
 * becomes, excerpts, and what the sensitive-data scanner says about an article.
 */
import { actionFor, detectSensitiveData, type DlpPolicy, type Finding } from '../../protection/dlp/index.js';

export const SLUG_MAX = 80;
const SLUG_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export function isSlug(value: string): boolean {
  return value.length <= SLUG_MAX && SLUG_RE.test(value);
}

/** A slug from a title: accents dropped, ASCII letters and digits kept, everything else a single hyphen. Empty when nothing is left. */
export function slugify(title: string): string {
  const ascii = title.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
  let slug = ascii.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (slug.length > SLUG_MAX) slug = slug.slice(0, SLUG_MAX).replace(/-[^-]*$/, '').replace(/-+$/, '') || slug.slice(0, SLUG_MAX);
  return slug;
}

const MAX_WORDS = 12;

/**
 * The words of a search box as a PostgreSQL `to_tsquery` text: letters and digits only (nothing of tsquery's own
 * syntax survives), any word may match (ranking puts the articles with more of them first), and the last word is
 * a prefix while the person is still typing it. Null when there is nothing to search for.
 */
export function toTsQuery(input: string): string | null {
  const words = (input.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).map((w) => w.slice(0, 40)).slice(0, MAX_WORDS);
  if (!words.length) return null;
  const last = words.length - 1;
  return words.map((w, i) => (i === last && w.length >= 3 ? `${w}:*` : w)).join(' | ');
}

/** The first words of an article's text, cut at a word boundary. */
export function excerptOf(text: string, max = 180): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

export interface ArticleFinding {
  type: string;
  /** `refuse`: never published (the policy redacts this type); `confirm`: published once the publisher confirms. */
  action: 'refuse' | 'confirm';
  /** Up to 40 characters either side, every finding masked. */
  excerpt: string;
}

const MASK = '•••';

/** What the scanner finds in an article's title and text under the organisation's policy (ignored types left out). */
export function scanArticle(title: string, text: string, policy: DlpPolicy): ArticleFinding[] {
  const full = `${title}\n${text}`;
  const findings = detectSensitiveData(full)
    .filter((f) => actionFor(policy, f.type) !== 'ignore')
    .sort((a, b) => a.start - b.start);
  if (!findings.length) return [];
  // Masked copy of the text and where each finding starts in it.
  let masked = '';
  let at = 0;
  const positions: Array<{ f: Finding; start: number }> = [];
  for (const f of findings) {
    if (f.start < at) {
      positions.push({ f, start: Math.max(0, masked.length - MASK.length) });
      at = Math.max(at, f.end);
      continue;
    }
    masked += full.slice(at, f.start);
    positions.push({ f, start: masked.length });
    masked += MASK;
    at = f.end;
  }
  masked += full.slice(at);
  const out: ArticleFinding[] = [];
  const seen = new Set<string>();
  for (const { f, start } of positions) {
    const from = Math.max(0, start - 40);
    const to = Math.min(masked.length, start + MASK.length + 40);
    const excerpt = `${from > 0 ? '…' : ''}${masked.slice(from, to).replace(/\s+/g, ' ').trim()}${to < masked.length ? '…' : ''}`;
    const action = actionFor(policy, f.type) === 'redact' ? 'refuse' : 'confirm';
    const key = `${f.type}\u0000${excerpt}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ type: f.type, action, excerpt });
  }
  return out.slice(0, 50);
}
