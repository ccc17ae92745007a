/** Combining reasons into a score and a verdict (docs/decisions/0030). */
import type { Reason, Verdict } from './types.js';

export interface VerdictThresholds {
  /** Score at or above which the agent sees a warning. */
  suspicious: number;
  /** Score at or above which the message is quarantined, if not only content words spoke. */
  phishing: number;
}

export const DEFAULT_THRESHOLDS: VerdictThresholds = { suspicious: 30, phishing: 70 };

/**
 * Noisy-OR: each reason is an independent chance the message is phishing, so the score is
 * 100·(1 − ∏(1 − wᵢ)). It stays within 0..100 however many reasons fire, one strong reason
 * counts for more than several weak ones, and the order of reasons does not matter.
 */
export function combineWeights(reasons: readonly Reason[]): number {
  let keep = 1;
  for (const r of reasons) keep *= 1 - Math.min(0.99, Math.max(0, r.weight));
  return Math.round(100 * (1 - keep));
}

export function decideVerdict(score: number, reasons: readonly Reason[], t: VerdictThresholds = DEFAULT_THRESHOLDS): Verdict {
  if (reasons.some((r) => r.code === 'sender.blocked')) return 'phishing';
  // Words alone never quarantine: a customer quoting a scam they received must reach an agent.
  const structural = reasons.some((r) => r.weight > 0 && !r.code.startsWith('content.'));
  if (score >= t.phishing && structural) return 'phishing';
  if (score >= t.suspicious) return 'suspicious';
  return 'clean';
}
