/**
 * Business-time arithmetic (pure): add N minutes of business time to an
 * instant, in a policy's IANA time zone, weekdays and holidays. Local wall
 * times are converted with Intl (no tz database of our own), so daylight-saving
 * changes follow the platform's zone data.
 */
import type { BusinessHours } from './schema.js';

export interface BusinessCalendar {
  timeZone: string;
  hours: BusinessHours;
  /** Local dates "YYYY-MM-DD" with no business hours. */
  holidays?: readonly string[];
}

const MAX_DAYS = 3 * 366;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws RangeError for a zone the platform does not know. */
export function assertTimeZone(timeZone: string): void {
  formatter(timeZone);
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function localParts(instant: number, timeZone: string): LocalParts {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instant))) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return { year: out.year ?? 0, month: out.month ?? 0, day: out.day ?? 0, hour: out.hour ?? 0, minute: out.minute ?? 0, second: out.second ?? 0 };
}

/** Offset of the zone from UTC at `instant`, in ms. */
function offsetAt(instant: number, timeZone: string): number {
  const p = localParts(instant, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instant / 1000) * 1000;
}

/** The instant of a local wall time. A wall time inside a DST gap lands just after the gap. */
export function zonedTimeToInstant(year: number, month: number, day: number, minutesOfDay: number, timeZone: string): number {
  const guess = Date.UTC(year, month - 1, day, 0, minutesOfDay);
  const o1 = offsetAt(guess, timeZone);
  const t1 = guess - o1;
  const o2 = offsetAt(t1, timeZone);
  if (o1 === o2) return t1;
  const t2 = guess - o2;
  if (offsetAt(t2, timeZone) === o2) return t2;
  return Math.max(t1, t2);
}

function parseHm(hm: string): number {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(hm);
  if (!m) throw new RangeError(`not a HH:MM time: ${hm}`);
  const v = Number(m[1]) * 60 + Number(m[2]);
  if (v > 1440) throw new RangeError(`not a HH:MM time: ${hm}`);
  return v;
}

export function validateBusinessHours(hours: BusinessHours): void {
  if (!hours.weekdays.length || hours.weekdays.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) throw new RangeError('weekdays must be ISO days 1..7');
  if (parseHm(hours.start) >= parseHm(hours.end)) throw new RangeError('business hours must end after they start');
}

const isoWeekday = (y: number, m: number, d: number) => ((new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7) + 1;
const pad = (n: number) => String(n).padStart(2, '0');

/**
 * `from` plus `minutes` of business time. Time outside business hours, on
 * other weekdays and on holidays does not count; starting outside hours
 * begins the clock at the next opening.
 */
export function addBusinessMinutes(from: Date, minutes: number, cal: BusinessCalendar): Date {
  if (!Number.isFinite(minutes) || minutes < 0) throw new RangeError('minutes must be >= 0');
  validateBusinessHours(cal.hours);
  const open = parseHm(cal.hours.start);
  const close = parseHm(cal.hours.end);
  const days = new Set(cal.hours.weekdays);
  const holidays = new Set(cal.holidays ?? []);
  let remaining = minutes * 60_000;
  const cursor = from.getTime();
  const start = localParts(cursor, cal.timeZone);
  // Walk local calendar days from the starting one.
  for (let i = 0; i < MAX_DAYS; i++) {
    const d = new Date(Date.UTC(start.year, start.month - 1, start.day + i));
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth() + 1;
    const day = d.getUTCDate();
    if (!days.has(isoWeekday(y, m, day)) || holidays.has(`${y}-${pad(m)}-${pad(day)}`)) continue;
    const opensAt = zonedTimeToInstant(y, m, day, open, cal.timeZone);
    const closesAt = zonedTimeToInstant(y, m, day, close, cal.timeZone);
    const begin = Math.max(cursor, opensAt);
    if (begin >= closesAt) continue;
    const available = closesAt - begin;
    if (remaining <= available) return new Date(begin + remaining);
    remaining -= available;
  }
  throw new RangeError('no business time within three years (check weekdays and holidays)');
}

/** Business minutes between two instants (for reports and tests): the inverse of addBusinessMinutes. */
export function businessMinutesBetween(from: Date, to: Date, cal: BusinessCalendar): number {
  if (to <= from) return 0;
  const open = parseHm(cal.hours.start);
  const close = parseHm(cal.hours.end);
  const days = new Set(cal.hours.weekdays);
  const holidays = new Set(cal.holidays ?? []);
  const start = localParts(from.getTime(), cal.timeZone);
  let total = 0;
  for (let i = 0; i < MAX_DAYS; i++) {
    const d = new Date(Date.UTC(start.year, start.month - 1, start.day + i));
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth() + 1;
    const day = d.getUTCDate();
    const opensAt = zonedTimeToInstant(y, m, day, open, cal.timeZone);
    if (opensAt >= to.getTime() && i > 0) break;
    if (!days.has(isoWeekday(y, m, day)) || holidays.has(`${y}-${pad(m)}-${pad(day)}`)) continue;
    const closesAt = zonedTimeToInstant(y, m, day, close, cal.timeZone);
    const a = Math.max(from.getTime(), opensAt);
    const b = Math.min(to.getTime(), closesAt);
    if (b > a) total += b - a;
  }
  return total / 60_000;
}
