/**
 * An organisation's insider-threat thresholds (stored in insider_settings,
 * decision 0194): pure types, defaults and the one validator every writer
 * goes through. A malformed document is refused whole, with one message per
 * bad field, never half-applied.
 */
import { INSIDER_RULES } from '../../platform/http/schemas/insider.js';

export const RULES = INSIDER_RULES;
export type RuleKey = (typeof RULES)[number];

export const RULE_TITLES: Record<RuleKey, string> = {
  volume: 'Unusual volume of customer reads or reveals',
  unrelated: 'Customers unrelated to the person’s tickets or team',
  off_hours: 'Access outside working hours',
  exports: 'Many records exported or downloaded',
  denied: 'Repeated denied access',
  new_network: 'Sensitive action from a new network or device soon after sign-in',
  dormant: 'Dormant account active again',
  grant_use: 'Permission granted and used within minutes',
  leaver: 'Access by someone whose deactivation is scheduled',
};

export interface InsiderThresholds {
  volume: { enabled: boolean; minCount: number; sigmas: number; minRatio: number; learningWeeks: number };
  unrelated: { enabled: boolean; minDistinct: number; windowMinutes: number; relationDays: number };
  off_hours: { enabled: boolean; timeZone: string; days: number[]; startHour: number; endHour: number; minEvents: number; usualDays: number };
  exports: { enabled: boolean; maxRecordsPerHour: number; personalFactor: number };
  denied: { enabled: boolean; count: number; windowMinutes: number };
  new_network: { enabled: boolean; withinMinutes: number; minReveals: number; minSignins: number };
  dormant: { enabled: boolean; days: number };
  grant_use: { enabled: boolean; withinMinutes: number; minHistoryDays: number };
  leaver: { enabled: boolean; minEvents: number; factor: number; sigmas: number };
}

export const DEFAULT_THRESHOLDS: InsiderThresholds = {
  volume: { enabled: true, minCount: 15, sigmas: 4, minRatio: 3, learningWeeks: 1 },
  unrelated: { enabled: true, minDistinct: 5, windowMinutes: 60, relationDays: 30 },
  off_hours: { enabled: true, timeZone: 'UTC', days: [1, 2, 3, 4, 5], startHour: 7, endHour: 20, minEvents: 5, usualDays: 3 },
  exports: { enabled: true, maxRecordsPerHour: 60, personalFactor: 3 },
  denied: { enabled: true, count: 5, windowMinutes: 15 },
  new_network: { enabled: true, withinMinutes: 30, minReveals: 3, minSignins: 5 },
  dormant: { enabled: true, days: 21 },
  grant_use: { enabled: true, withinMinutes: 15, minHistoryDays: 7 },
  leaver: { enabled: true, minEvents: 10, factor: 2, sigmas: 3 },
};

/** Bounds of every number: [min, max, integer]. */
const BOUNDS: { [R in RuleKey]: Partial<Record<keyof InsiderThresholds[R], [number, number, boolean]>> } = {
  volume: { minCount: [1, 10_000, true], sigmas: [1, 20, false], minRatio: [1, 100, false], learningWeeks: [0, 12, true] },
  unrelated: { minDistinct: [1, 10_000, true], windowMinutes: [1, 1440, true], relationDays: [1, 365, true] },
  off_hours: { startHour: [0, 23, true], endHour: [1, 24, true], minEvents: [1, 10_000, true], usualDays: [1, 60, true] },
  exports: { maxRecordsPerHour: [1, 1_000_000, true], personalFactor: [1, 100, false] },
  denied: { count: [2, 10_000, true], windowMinutes: [1, 1440, true] },
  new_network: { withinMinutes: [1, 1440, true], minReveals: [1, 10_000, true], minSignins: [1, 100, true] },
  dormant: { days: [2, 3650, true] },
  grant_use: { withinMinutes: [1, 1440, true], minHistoryDays: [0, 365, true] },
  leaver: { minEvents: [1, 10_000, true], factor: [1, 100, false], sigmas: [0, 20, false] },
};

export interface FieldError {
  field: string;
  message: string;
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Merges a partial document over the defaults and checks every value.
 * Returns the whole thresholds, or the list of what is wrong.
 */
export function validateThresholds(input: unknown, base: InsiderThresholds = DEFAULT_THRESHOLDS): { ok: true; value: InsiderThresholds } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, errors: [{ field: '', message: 'must be an object of rules' }] };
  const out = structuredClone(base) as unknown as Record<string, Record<string, unknown>>;
  for (const [rule, value] of Object.entries(input)) {
    if (!(RULES as readonly string[]).includes(rule)) {
      errors.push({ field: rule, message: `is not a rule (one of ${RULES.join(', ')})` });
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      errors.push({ field: rule, message: 'must be an object' });
      continue;
    }
    const target = out[rule]!;
    const bounds = BOUNDS[rule as RuleKey] as Record<string, [number, number, boolean]>;
    for (const [key, v] of Object.entries(value)) {
      const field = `${rule}.${key}`;
      if (!Object.hasOwn(target, key)) {
        errors.push({ field, message: 'is not a setting of this rule' });
        continue;
      }
      if (key === 'enabled') {
        if (typeof v !== 'boolean') errors.push({ field, message: 'must be true or false' });
        else target[key] = v;
      } else if (key === 'timeZone') {
        if (typeof v !== 'string' || v.length > 64 || !isTimeZone(v)) errors.push({ field, message: 'must be an IANA time zone such as Europe/Berlin' });
        else target[key] = v;
      } else if (rule === 'off_hours' && key === 'days') {
        if (!Array.isArray(v) || v.length > 7 || v.some((d) => !Number.isInteger(d) || d < 0 || d > 6) || new Set(v).size !== v.length) {
          errors.push({ field, message: 'must be distinct weekdays, 0 (Sunday) to 6 (Saturday)' });
        } else target[key] = [...(v as number[])].sort((a, b) => a - b);
      } else {
        const [min, max, integer] = bounds[key]!;
        if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
          errors.push({ field, message: `must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}` });
        } else target[key] = v;
      }
    }
  }
  const oh = out.off_hours as InsiderThresholds['off_hours'];
  if (oh.startHour >= oh.endHour) errors.push({ field: 'off_hours.endHour', message: 'must be after startHour' });
  return errors.length ? { ok: false, errors } : { ok: true, value: out as unknown as InsiderThresholds };
}
