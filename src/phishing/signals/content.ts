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
