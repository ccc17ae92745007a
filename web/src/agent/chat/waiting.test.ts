import { describe, expect, it } from 'vitest';
import { byUrgency, waitedSeconds, waitingClock } from './waiting.js';

describe('waitingClock', () => {
  const since = '2026-01-01T10:00:00.000Z';
  const at = (s: number) => Date.parse(since) + s * 1000;

  it('counts minutes and seconds, then hours', () => {
    expect(waitingClock(since, at(0))).toBe('0:00');
    expect(waitingClock(since, at(42))).toBe('0:42');
    expect(waitingClock(since, at(185))).toBe('3:05');
    expect(waitingClock(since, at(3725))).toBe('1:02:05');
  });

  it('never goes negative (clock skew) and survives a bad date', () => {
    expect(waitingClock(since, at(-30))).toBe('0:00');
    expect(waitingClock('not a date', at(10))).toBe('0:00');
    expect(waitedSeconds(since, at(61))).toBe(61);
    expect(waitingClock(null, at(10))).toBe('0:00');
    expect(waitedSeconds(null, at(10))).toBe(0);
  });
});

describe('byUrgency', () => {
  it('puts chats offered to me first, then the longest wait', () => {
    const rows = [
      { id: 'new', offeredToMe: false, waitingSince: '2026-01-01T10:05:00Z' },
      { id: 'old', offeredToMe: false, waitingSince: '2026-01-01T10:00:00Z' },
      { id: 'active', offeredToMe: false, waitingSince: null },
      { id: 'offer', offeredToMe: true, waitingSince: '2026-01-01T10:09:00Z' },
    ];
    expect([...rows].sort(byUrgency).map((r) => r.id)).toEqual(['offer', 'old', 'new', 'active']);
  });
});
