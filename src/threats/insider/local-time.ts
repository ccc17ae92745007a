/**
 * Hour of week and clock labels in an organisation's time zone, cached per
 * UTC hour: the rules ask for every event and Intl is slow. An hour bucket is
 * the UTC hour; zones with a half-hour offset label it by its start. Pure.
 */

export interface LocalHour {
  /** 0 = Sunday … 6 = Saturday. */
  dow: number;
  hour: number;
  /** dow * 24 + hour. */
  how: number;
}

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const SHORT = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const HOUR_MS = 3_600_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
const caches = new Map<string, Map<number, LocalHour>>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, weekday: 'short', hour: 'numeric', hourCycle: 'h23' });
    formatters.set(tz, f);
  }
  return f;
}

export function localHour(tz: string, ts: number): LocalHour {
  const bucket = Math.floor(ts / HOUR_MS);
  let cache = caches.get(tz);
  if (!cache) caches.set(tz, (cache = new Map()));
  let v = cache.get(bucket);
  if (!v) {
    let dow = 0;
    let hour = 0;
    for (const part of formatter(tz).formatToParts(new Date(bucket * HOUR_MS))) {
      if (part.type === 'weekday') dow = SHORT.indexOf(part.value);
      else if (part.type === 'hour') hour = Number(part.value) % 24;
    }
    v = { dow, hour, how: dow * 24 + hour };
    if (cache.size > 20_000) cache.clear();
    cache.set(bucket, v);
  }
  return v;
}

export const dayName = (dow: number): string => DAY_NAMES[dow] ?? '?';

/** "14:00", the local clock time of an instant. */
export function clock(tz: string, ts: number): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(ts));
}

/** "Tue 3 Mar 14:05", for explanations that span days. */
export function dateTime(tz: string, ts: number): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: tz, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(ts));
}
