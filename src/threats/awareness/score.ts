/**
 * The awareness score (decision 0196), pure: a person's signals in, a score from 0 to 100 out, with its
 * history and the list of what moved it. Nothing here reads the database.
 *
 * score = clamp(round(BASE + Σ points × ½^(age in days / HALF_LIFE_DAYS)), 0, 100)
 *
 * Each signal is one thing the person did (or failed to do) with a fixed number of points at the time it
 * happened; its weight halves every HALF_LIFE_DAYS, so last month's report counts more than last year's click.
 */

export const BASE_SCORE = 50;
export const HALF_LIFE_DAYS = 90;
const DAY_MS = 86_400_000;

/** Points at the moment of the signal. Negative lowers the score. Decision 0196 says why each is what it is. */
export const WEIGHTS = {
  /** A counted click on a simulation's link (a scanner's prefetch is discounted and counts nothing). */
  simClicked: -12,
  /** A counted open of a simulation's attachment: the same mistake as a click (decision 0200). */
  simAttachmentOpened: -12,
  /** Something typed on a simulation's landing form: on top of the click that led there. */
  simDataEntered: -10,
  /** "Report phishing" on a simulation, by how soon after delivery. */
  simReportedWithin5Minutes: 12,
  simReportedWithinHour: 10,
  simReportedWithinDay: 8,
  simReportedLater: 5,
  /** A simulation neither clicked nor reported by the campaign's end: not falling for it is good, not as good as reporting. */
  simIgnored: 2,
  /** A report of real mail that a security officer confirmed as phishing. */
  realReportConfirmed: 6,
  /** A training module passed by its due date, or after it. */
  trainingOnTime: 5,
  trainingLate: 2,
  /** Passed at the first attempt: added to the module's points. */
  quizFirstAttempt: 2,
  /** A module still open past its due date (counted from the due date until it is passed). */
  trainingOverdue: -6,
  /** No attempts left without passing. */
  trainingFailed: -4,
} as const;

export type SignalKind =
  | 'sim_clicked' | 'sim_attachment_opened' | 'sim_data_entered' | 'sim_reported' | 'sim_ignored'
  | 'real_report_confirmed'
  | 'training_passed' | 'training_overdue' | 'training_failed';

export interface Signal {
  kind: SignalKind;
  at: Date;
  points: number;
  /** What it was about: a simulation's template name, a module's title. */
  subject: string | null;
  /** sim_reported: minutes from delivery to the report. */
  minutes?: number | null;
  /** training_passed: by the due date; passed at the first attempt; best quiz score. */
  onTime?: boolean;
  firstAttempt?: boolean;
  quizScore?: number | null;
}

export function reportPoints(minutes: number): number {
  if (minutes <= 5) return WEIGHTS.simReportedWithin5Minutes;
  if (minutes <= 60) return WEIGHTS.simReportedWithinHour;
  if (minutes <= 24 * 60) return WEIGHTS.simReportedWithinDay;
  return WEIGHTS.simReportedLater;
}

/** How much of a signal's points remain after `ageMs` (1 now, ½ after one half-life). A future signal counts fully. */
export function decay(ageMs: number): number {
  return ageMs <= 0 ? 1 : Math.pow(0.5, ageMs / DAY_MS / HALF_LIFE_DAYS);
}

function clampRound(value: number): number {
  return Math.min(100, Math.max(0, Math.round(value)));
}

/** The score at `now` from the signals that happened by then. */
export function scoreAt(signals: readonly Signal[], now: Date): number {
  let sum = BASE_SCORE;
  for (const s of signals) if (s.at.getTime() <= now.getTime()) sum += s.points * decay(now.getTime() - s.at.getTime());
  return clampRound(sum);
}

export interface Contribution extends Signal {
  /** What the signal adds today, after decay (one decimal). */
  current: number;
}

export interface ScoreResult {
  score: number;
  /** One point per signal (the score just after it), then today's. Oldest first. */
  history: Array<{ at: Date; score: number }>;
  /** What moved the score, newest first, each with its points then and now. */
  explanation: Contribution[];
}

export function computeScore(signals: readonly Signal[], now: Date): ScoreResult {
  const past = signals.filter((s) => s.at.getTime() <= now.getTime()).sort((a, b) => a.at.getTime() - b.at.getTime());
  const history: ScoreResult['history'] = [];
  for (let i = 0; i < past.length; i++) {
    const at = past[i]!.at;
    // Signals at the same moment make one point.
    if (i + 1 < past.length && past[i + 1]!.at.getTime() === at.getTime()) continue;
    history.push({ at, score: scoreAt(past.slice(0, i + 1), at) });
  }
  const score = scoreAt(past, now);
  history.push({ at: now, score });
  const explanation = past
    .map((s) => ({ ...s, current: Math.round(s.points * decay(now.getTime() - s.at.getTime()) * 10) / 10 }))
    .reverse();
  return { score, history, explanation };
}

/** Mean of scores, one decimal; null for nobody. */
export function meanScore(scores: readonly number[]): number | null {
  if (scores.length === 0) return null;
  return Math.round((scores.reduce((a, b) => a + b, 0) / scores.length) * 10) / 10;
}

/** Median of numbers (null for none). */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
