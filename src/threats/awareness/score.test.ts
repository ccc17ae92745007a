import { describe, expect, it } from 'vitest';
import { BASE_SCORE, computeScore, decay, HALF_LIFE_DAYS, median, reportPoints, scoreAt, WEIGHTS, type Signal } from './score.js';

const DAY = 86_400_000;
const now = new Date('2026-11-30T12:00:00Z');
const ago = (days: number) => new Date(now.getTime() - days * DAY);
const sig = (kind: Signal['kind'], points: number, days: number, subject = 'New bank details'): Signal => ({ kind, at: ago(days), points, subject });

describe('awareness score', () => {
  it('starts at the base with nothing known and stays within 0–100', () => {
    expect(computeScore([], now).score).toBe(BASE_SCORE);
    expect(scoreAt(Array.from({ length: 20 }, () => sig('sim_clicked', WEIGHTS.simClicked, 0)), now)).toBe(0);
    expect(scoreAt(Array.from({ length: 20 }, () => sig('sim_reported', 12, 0)), now)).toBe(100);
  });

  it('halves a signal’s weight every half-life, so a recent report outweighs an old click of the same size', () => {
    expect(decay(0)).toBe(1);
    expect(decay(HALF_LIFE_DAYS * DAY)).toBeCloseTo(0.5, 10);
    expect(decay(2 * HALF_LIFE_DAYS * DAY)).toBeCloseTo(0.25, 10);
    expect(scoreAt([sig('sim_clicked', -12, 0)], now)).toBe(38);
    expect(scoreAt([sig('sim_clicked', -12, HALF_LIFE_DAYS)], now)).toBe(44);
    expect(scoreAt([sig('sim_clicked', -12, 360), sig('sim_reported', 12, 3)], now)).toBeGreaterThan(BASE_SCORE);
    // A signal after `now` does not count yet.
    expect(scoreAt([{ ...sig('sim_clicked', -12, 0), at: new Date(now.getTime() + DAY) }], now)).toBe(BASE_SCORE);
  });

  it('rewards faster reports more', () => {
    expect(reportPoints(4)).toBe(WEIGHTS.simReportedWithin5Minutes);
    expect(reportPoints(30)).toBe(WEIGHTS.simReportedWithinHour);
    expect(reportPoints(600)).toBe(WEIGHTS.simReportedWithinDay);
    expect(reportPoints(3000)).toBe(WEIGHTS.simReportedLater);
    expect(reportPoints(4)).toBeGreaterThan(reportPoints(30));
    expect(reportPoints(30)).toBeGreaterThan(reportPoints(600));
    expect(reportPoints(600)).toBeGreaterThan(reportPoints(3000));
  });

  it('explains each movement, newest first, with its points then and now, and keeps a history point per signal', () => {
    const r = computeScore([sig('sim_clicked', -12, 27), { ...sig('sim_reported', 12, 2, 'Password expiry'), minutes: 4 }], now);
    expect(r.explanation.map((c) => [c.kind, c.points, c.subject])).toEqual([['sim_reported', 12, 'Password expiry'], ['sim_clicked', -12, 'New bank details']]);
    expect(r.explanation[1]!.current).toBeCloseTo(-12 * decay(27 * DAY), 1);
    expect(r.explanation[0]!.minutes).toBe(4);
    expect(r.history.map((h) => h.score)).toEqual([38, scoreAt([sig('sim_clicked', -12, 27), sig('sim_reported', 12, 2)], ago(2)), r.score]);
    expect(r.history.at(-1)!.at).toEqual(now);
    // Two signals at the same moment make one history point.
    expect(computeScore([sig('sim_clicked', -12, 1), sig('sim_data_entered', -10, 1)], now).history).toHaveLength(2);
  });

  it('takes the median of an even and an odd count', () => {
    expect(median([])).toBeNull();
    expect(median([9, 1, 5])).toBe(5);
    expect(median([1, 2, 3, 10])).toBe(2.5);
  });
});
