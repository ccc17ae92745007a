/** Sentences of the integrity check that combine its numbers (kept apart from the components so they can be tested). */
import { t, tp } from '../i18n/index.js';

export interface VerifyCounts {
  entries: number;
  checkpoints: number;
  latestSignedSize: number;
  unsignedEntries: number;
}

/**
 * Why the check names more entries than the checkpoint beside it: entries
 * added since the latest signed checkpoint were verified (MAC and chain) but
 * are not signed yet. Null when every checked entry is signed.
 */
export function unsignedExplanation(result: VerifyCounts): string | null {
  if (result.unsignedEntries <= 0) return null;
  return tp('security.verify.unsigned', result.unsignedEntries, { entries: tp('security.entries', result.entries), signed: tp('security.entries', result.latestSignedSize) });
}

export function verifyMeta(result: VerifyCounts & { durationMs: number; checkedAt: string }, at: string): string {
  return t('security.verify.meta', { entries: tp('security.entries', result.entries), checkpoints: tp('security.checkpoints', result.checkpoints), ms: result.durationMs, at });
}
