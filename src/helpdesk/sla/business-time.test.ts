import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addBusinessMinutes, businessMinutesBetween, zonedTimeToInstant, type BusinessCalendar } from './business-time.js';

const london: BusinessCalendar = { timeZone: 'Europe/London', hours: { weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' } };
const iso = (d: Date) => d.toISOString();

describe('addBusinessMinutes', () => {
  it('counts within one working day', () => {
    // Wednesday 2025-01-15 10:00 GMT + 2h
    expect(iso(addBusinessMinutes(new Date('2025-01-15T10:00:00Z'), 120, london))).toBe('2025-01-15T12:00:00.000Z');
  });

  it('carries over the evening into the next morning', () => {
    // Wed 16:00 + 2h = Thu 10:00
    expect(iso(addBusinessMinutes(new Date('2025-01-15T16:00:00Z'), 120, london))).toBe('2025-01-16T10:00:00.000Z');
  });

  it('skips the weekend: Friday 16:30 + 1h is Monday 09:30', () => {
    expect(iso(addBusinessMinutes(new Date('2025-01-17T16:30:00Z'), 60, london))).toBe('2025-01-20T09:30:00.000Z');
  });

  it('a ticket opened on Saturday starts the clock on Monday at opening', () => {
    expect(iso(addBusinessMinutes(new Date('2025-01-18T11:00:00Z'), 30, london))).toBe('2025-01-20T09:30:00.000Z');
    expect(iso(addBusinessMinutes(new Date('2025-01-18T11:00:00Z'), 0, london))).toBe('2025-01-20T09:00:00.000Z');
  });

  it('skips holidays', () => {
    const cal = { ...london, holidays: ['2025-12-25', '2025-12-26'] };
    // Wed 24 Dec 16:00 + 2h → Mon 29 Dec 10:00 (Thu and Fri holidays, then the weekend)
    expect(iso(addBusinessMinutes(new Date('2025-12-24T16:00:00Z'), 120, cal))).toBe('2025-12-29T10:00:00.000Z');
  });

  it('uses the policy’s time zone, across a daylight-saving change', () => {
    const ny: BusinessCalendar = { timeZone: 'America/New_York', hours: { weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' } };
    // Friday 7 March 2025 16:00 EST (21:00Z) + 2h → Monday 10 March 10:00 EDT (14:00Z): the clocks changed on Sunday.
    expect(iso(addBusinessMinutes(new Date('2025-03-07T21:00:00Z'), 120, ny))).toBe('2025-03-10T14:00:00.000Z');
    // London in summer (BST): 09:00 local is 08:00Z
    expect(iso(addBusinessMinutes(new Date('2025-07-05T12:00:00Z'), 60, london))).toBe('2025-07-07T09:00:00.000Z');
  });

  it('round-trips with businessMinutesBetween (property)', () => {
    const cal: BusinessCalendar = { timeZone: 'Europe/Berlin', hours: { weekdays: [1, 2, 3, 4, 6], start: '08:30', end: '18:00' }, holidays: ['2025-05-01'] };
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2026, 0, 1) }), fc.integer({ min: 0, max: 20_000 }), (t, minutes) => {
        const from = new Date(Math.floor(t / 60_000) * 60_000);
        const due = addBusinessMinutes(from, minutes, cal);
        return due >= from && Math.abs(businessMinutesBetween(from, due, cal) - minutes) < 1e-6;
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a calendar with no business time', () => {
    expect(() => addBusinessMinutes(new Date(), 10, { ...london, hours: { weekdays: [], start: '09:00', end: '17:00' } })).toThrow(RangeError);
    expect(() => addBusinessMinutes(new Date(), 10, { ...london, hours: { weekdays: [1], start: '17:00', end: '09:00' } })).toThrow(RangeError);
  });

  it('zonedTimeToInstant maps local wall times', () => {
    expect(new Date(zonedTimeToInstant(2025, 7, 1, 9 * 60, 'Europe/London')).toISOString()).toBe('2025-07-01T08:00:00.000Z');
    expect(new Date(zonedTimeToInstant(2025, 1, 1, 9 * 60, 'Asia/Kolkata')).toISOString()).toBe('2025-01-01T03:30:00.000Z');
  });
});
