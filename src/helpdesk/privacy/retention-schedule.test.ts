import { describe, expect, it } from 'vitest';
import { nextOccurrence } from './retention-schedule.js';

const at = (iso: string) => new Date(iso);
const daily = (hour: number) => ({ frequency: 'daily' as const, hour, weekday: null });
const weekly = (weekday: number, hour: number) => ({ frequency: 'weekly' as const, hour, weekday });

describe('nextOccurrence', () => {
  it('is strictly after the moment: the same day before the hour, the next day on or after it', () => {
    expect(nextOccurrence(daily(3), at('2026-12-04T02:59:59.999Z')).toISOString()).toBe('2026-12-04T03:00:00.000Z');
    expect(nextOccurrence(daily(3), at('2026-12-04T03:00:00.000Z')).toISOString()).toBe('2026-12-05T03:00:00.000Z');
    expect(nextOccurrence(daily(0), at('2026-12-31T23:30:00.000Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(nextOccurrence(daily(23), at('2028-02-28T23:00:00.000Z')).toISOString()).toBe('2028-02-29T23:00:00.000Z');
  });

  it('weekly: the next such weekday, a full week on when it is that day past the hour', () => {
    // 2026-12-04 is a Friday (5).
    expect(nextOccurrence(weekly(5, 3), at('2026-12-04T01:00:00Z')).toISOString()).toBe('2026-12-04T03:00:00.000Z');
    expect(nextOccurrence(weekly(5, 3), at('2026-12-04T03:00:00Z')).toISOString()).toBe('2026-12-11T03:00:00.000Z');
    expect(nextOccurrence(weekly(0, 3), at('2026-12-04T12:00:00Z')).toISOString()).toBe('2026-12-06T03:00:00.000Z');
    expect(nextOccurrence(weekly(4, 22), at('2026-12-04T12:00:00Z')).toISOString()).toBe('2026-12-10T22:00:00.000Z');
  });

  it('never runs a missed occurrence more than once: from any moment, one step lands after it', () => {
    for (let i = 0; i < 500; i++) {
      const from = new Date(Date.UTC(2026, 0, 1) + Math.floor(Math.random() * 3 * 365 * 86_400_000));
      for (const s of [daily(i % 24), weekly(i % 7, (i * 5) % 24)]) {
        const n = nextOccurrence(s, from);
        expect(n.getTime()).toBeGreaterThan(from.getTime());
        expect(n.getTime() - from.getTime()).toBeLessThanOrEqual((s.frequency === 'daily' ? 1 : 7) * 86_400_000);
        expect([n.getUTCHours(), n.getUTCMinutes(), n.getUTCSeconds()]).toEqual([s.hour, 0, 0]);
        if (s.weekday !== null) expect(n.getUTCDay()).toBe(s.weekday);
      }
    }
  });
});
