/**
 * Runs the pure engine over a generated month and scores its alerts against
 * the planted scenarios. An alert is true when a planted scenario of the same
 * person is under way (from 5 minutes before its start to 2 hours after its
 * end), whatever rule raised it: it points at a real insider act. A scenario
 * is found when an alert of its own rule matches it.
 */
import { RULES, DEFAULT_THRESHOLDS, type InsiderThresholds, type RuleKey } from '../config.js';
import { InsiderEngine, type InsiderAlert } from '../engine.js';
import type { Month } from './month.js';

export interface RuleScore {
  alerts: number;
  truePositives: number;
  scenarios: number;
  found: number;
  precision: number;
  recall: number;
}

export interface Score {
  events: number;
  seconds: number;
  cpuSeconds: number;
  eventsPerSecond: number;
  alerts: InsiderAlert[];
  falseAlerts: InsiderAlert[];
  missed: Month['scenarios'];
  perRule: Record<RuleKey, RuleScore>;
  precision: number;
  recall: number;
}

export function thresholdsFor(month: Month): InsiderThresholds {
  return { ...DEFAULT_THRESHOLDS, off_hours: { ...DEFAULT_THRESHOLDS.off_hours, timeZone: month.timeZone } };
}

export function runMonth(month: Month, thresholds = thresholdsFor(month)): { alerts: InsiderAlert[]; seconds: number; cpuSeconds: number } {
  const engine = new InsiderEngine({ person: (_org, id) => month.people.get(id), thresholds: () => thresholds });
  const alerts: InsiderAlert[] = [];
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (const e of month.events) {
    const a = engine.process(e);
    if (a.length) alerts.push(...a);
  }
  const used = process.cpuUsage(cpu);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { alerts, seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

export function scoreMonth(month: Month): Score {
  const { alerts, seconds, cpuSeconds } = runMonth(month);
  const matches = (a: InsiderAlert, s: Month['scenarios'][number]) => a.userId === s.userId && a.ts >= s.start - 5 * 60_000 && a.ts <= s.end + 2 * 3_600_000;
  const perRule = {} as Record<RuleKey, RuleScore>;
  for (const rule of RULES) {
    const own = alerts.filter((a) => a.rule === rule);
    const tp = own.filter((a) => month.scenarios.some((s) => matches(a, s))).length;
    const sc = month.scenarios.filter((s) => s.rule === rule);
    const found = sc.filter((s) => own.some((a) => matches(a, s))).length;
    perRule[rule] = { alerts: own.length, truePositives: tp, scenarios: sc.length, found, precision: own.length ? tp / own.length : 1, recall: sc.length ? found / sc.length : 1 };
  }
  const falseAlerts = alerts.filter((a) => !month.scenarios.some((s) => matches(a, s)));
  const missed = month.scenarios.filter((s) => !alerts.some((a) => a.rule === s.rule && matches(a, s)));
  return {
    events: month.events.length,
    seconds,
    cpuSeconds,
    eventsPerSecond: month.events.length / seconds,
    alerts,
    falseAlerts,
    missed,
    perRule,
    precision: alerts.length ? (alerts.length - falseAlerts.length) / alerts.length : 1,
    recall: month.scenarios.length ? (month.scenarios.length - missed.length) / month.scenarios.length : 1,
  };
}
