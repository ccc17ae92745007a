/**
 * What an organisation's learned model adds to a verdict (decision 0173), as reasons an agent can
 * read: the words and domains that its people's earlier labels tie to phishing or to legitimate mail.
 */
import type { LearnedContext, Reason } from '../types.js';
import type { Prediction } from './model.js';
import { describeToken } from './tokens.js';

/** From this probability up the model speaks for phishing; from 1 − this down, for legitimate. */
export const PHISH_AT = 0.9;
/**
 * A team's "not phishing" history can lower a score built of weak and moderate signals only: one
 * reason at least this strong (a blocked sender, a failed DMARC check, an executable, a lookalike
 * of the organisation) keeps its score whatever people released before.
 */
export const STRONG_REASON = 0.6;
/** The score is multiplied by at least this much when the model is sure the message is legitimate. */
const MIN_DAMP = 0.5;

export interface LearnedEffect {
  prediction: Prediction;
  /** Reasons to add: one for phishing (a content reason: words alone never quarantine). */
  reasons: Reason[];
  /** Factor for the combined score (1 = unchanged) and its explanation, when the model says legitimate. */
  damp: number;
  dampReason: Reason | null;
}

function named(prediction: Prediction, tokenOf: ReadonlyMap<string, string>, phish: boolean): string {
  const names = prediction.clues
    .filter((c) => (c.probability > 0.5) === phish)
    .slice(0, 5)
    .map((c) => describeToken(tokenOf.get(c.key) ?? ''));
  return names.join(', ');
}

export function learnedEffect(tokens: readonly string[], learned: LearnedContext): LearnedEffect {
  const tokenOf = new Map<string, string>();
  for (const t of tokens) tokenOf.set(learned.key(t), t);
  const prediction = learned.model.predict([...tokenOf.keys()]);
  const none: LearnedEffect = { prediction, reasons: [], damp: 1, dampReason: null };
  if (!prediction.active) return none;
  const p = prediction.probability;
  if (p >= PHISH_AT && prediction.balanced) {
    // 0.9 → 0.3, 1.0 → 0.55: at most a warning on its own (a content reason needs a structural one to quarantine).
    const weight = Math.round((0.3 + 2.5 * (p - PHISH_AT)) * 100) / 100;
    return {
      ...none,
      reasons: [{ code: 'content.learned_phishing', weight, evidence: `resembles messages your team reported as phishing (${named(prediction, tokenOf, true)})` }],
    };
  }
  if (p <= 1 - PHISH_AT) {
    const damp = MIN_DAMP + (1 - MIN_DAMP) * (p / (1 - PHISH_AT));
    return {
      ...none,
      damp,
      dampReason: { code: 'learned.not_phishing', weight: 0, evidence: `resembles messages your team marked as not phishing (${named(prediction, tokenOf, false)})` },
    };
  }
  return none;
}
