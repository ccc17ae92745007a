/** Content signals from the admin-extensible word lists (whole words, case-insensitive). */
import { findPhrases } from '../text.js';
import type { Lexicon, Reason } from '../types.js';

interface Category {
  key: keyof Lexicon;
  code: string;
  what: string;
  /** Weight for one distinct phrase, two, three or more. */
  weights: [number, number, number];
}

const CATEGORIES: Category[] = [
  { key: 'credentials', code: 'content.credentials', what: 'asks for credentials or account verification', weights: [0.2, 0.35, 0.45] },
  { key: 'urgency', code: 'content.urgency', what: 'presses for urgency or threatens', weights: [0.1, 0.2, 0.3] },
  { key: 'payment', code: 'content.payment', what: 'talks about payment details or invoices', weights: [0.1, 0.2, 0.3] },
  { key: 'giftCards', code: 'content.gift_cards', what: 'mentions gift cards, prizes or crypto', weights: [0.1, 0.2, 0.3] },
  { key: 'bypass', code: 'content.bypass', what: 'asks to skip verification or keep it secret', weights: [0.2, 0.3, 0.4] },
  { key: 'scamOffers', code: 'content.scam_offer', what: 'reads like a bulk-scam offer', weights: [0.15, 0.25, 0.35] },
  { key: 'genericGreeting', code: 'content.generic_greeting', what: 'greets the reader generically', weights: [0.15, 0.15, 0.15] },
];

/** `normalized` is subject and visible body text passed through normalizeWords. */
export function contentReasons(normalized: string, lexicon: Lexicon): Reason[] {
  const reasons: Reason[] = [];
  for (const c of CATEGORIES) {
    const found = findPhrases(normalized, lexicon[c.key], 5);
    if (!found.length) continue;
    const weight = c.weights[Math.min(found.length, 3) - 1]!;
    reasons.push({ code: c.code, weight, evidence: `${c.what}: "${found.slice(0, 3).join('", "')}"` });
  }
  return reasons;
}

/**
 * Letters from Unicode blocks that only imitate plain letters (mathematical bold, small
 * capitals, full-width, strike-through overlays), or words mixing Latin with look-alike
 * Cyrillic/Greek: text styled to slip past word filters while reading normally.
 */
const STYLED = /[\u{1D400}-\u{1D7FF}\u1D00-\u1D2B\u0280-\u02AF\uFF21-\uFF5A\u0336\u0335\u0337\u0338\u24B6-\u24E9\u{1F130}-\u{1F189}]/gu;
const MIXED_WORD = /(?:\p{Script=Latin}+[\p{Script=Cyrillic}\p{Script=Greek}]|[\p{Script=Cyrillic}\p{Script=Greek}]+\p{Script=Latin})/u;

/**
 * A capitalised word with a small "l" standing for a capital "I" ("VlAGRA", "ClALlS", "PAYPAl"):
 * the l sits between capitals, or ends a word otherwise all in capitals.
 */
const CAPS_WITH_L = /^[^\p{L}]*(?=\p{Lu}*l)(?:\p{Lu}+l\p{Lu}[\p{Lu}l]*|\p{Lu}{3,}l)[^\p{L}]*$/u;

export function obfuscationReason(subject: string, displayName: string): Reason | null {
  const s = `${displayName} ${subject}`.slice(0, 2048);
  const styled = s.match(STYLED)?.length ?? 0;
  if (styled >= 3) {
    return { code: 'content.styled_letters', weight: 0.4, evidence: `subject or sender name is written in look-alike Unicode letters: "${s.slice(0, 60).trim()}"` };
  }
  for (const word of s.split(/\s+/)) {
    if (word.length <= 40 && CAPS_WITH_L.test(word) && (word.match(/\p{L}/gu) ?? []).length >= 4) {
      return { code: 'content.lookalike_letters', weight: 0.35, evidence: `the word "${word}" writes a capital I as a small l, so that word filters do not read it` };
    }
    if (word.length <= 40 && MIXED_WORD.test(word)) {
      return { code: 'content.mixed_script_word', weight: 0.4, evidence: `the word "${word}" mixes Latin with look-alike letters of another alphabet` };
    }
  }
  return null;
}
