/**
 * t(key, params) looks up a message and fills `{name}` placeholders;
 * tp(base, count) picks `base.one` / `base.other` by the locale's plural rules.
 * Dates and durations go through Intl, so a locale change needs no code.
 */
import { en, type MessageKey } from './en/index.js';

export type { MessageKey } from './en/index.js';
export const locale = 'en';
const messages: Record<string, string> = en;
const plural = new Intl.PluralRules(locale);

export type Params = Record<string, string | number>;

export function format(template: string, params?: Params): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export function t(key: MessageKey, params?: Params): string {
  return format(messages[key] ?? key, params);
}

/** True when `key` is a message (for keys built at run time, like `errors.${code}`). */
export function hasMessage(key: string): key is MessageKey {
  return key in messages;
}

type PluralBase = { [K in MessageKey]: K extends `${infer B}.other` ? B : never }[MessageKey];

export function tp(base: PluralBase, count: number, params?: Params): string {
  const form = plural.select(count);
  const key = `${base}.${form}`;
  return format(messages[key] ?? messages[`${base}.other`] ?? base, { count, ...params });
}

const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });

export function formatDateTime(value: string | Date): string {
  return dateTime.format(typeof value === 'string' ? new Date(value) : value);
}

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** "in 3 hours", "5 minutes ago", relative to `now`. */
export function formatRelative(value: string | Date, now: number = Date.now()): string {
  const diff = (typeof value === 'string' ? Date.parse(value) : value.getTime()) - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms) return relative.format(Math.round(diff / ms), unit);
  }
  return t('time.now');
}

/** A duration such as "2 h 5 min" for SLA clocks. */
export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.round(Math.abs(ms) / 60_000));
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const parts = [d ? `${d} d` : '', h ? `${h} h` : '', !d && m ? `${m} min` : ''].filter(Boolean);
  return parts.length ? parts.join(' ') : '0 min';
}
