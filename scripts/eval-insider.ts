/**
 * Evaluates the insider-threat engine (decision 0194) on generated months of a
 * 50-person support team with planted insider scenarios and ordinary busy days.
 *
 *   npm run eval:insider [-- --seed N ...] [--json] [--show]
 *
 * Seeds 1–5 are the development seeds the thresholds were tuned on; report on
 * seeds 100–104 (the default). Prints precision and recall per rule and
 * overall, and the pure engine's events per second; with --json the last line
 * is one JSON object. --show lists false alerts and missed scenarios. `events_per_s` is per second of CPU
 * time the engine used (one core's rate, whatever else the machine runs); `events_per_wall_s` is by the clock.
 */
import { parseArgs } from 'node:util';
import { RULES, type RuleKey } from '../src/threats/insider/config.js';
import { generateMonth } from '../src/threats/insider/__fixtures__/month.js';
import { scoreMonth, type RuleScore } from '../src/threats/insider/__fixtures__/score.js';

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', multiple: true, default: ['100', '101', '102', '103', '104'] },
    json: { type: 'boolean', default: false },
    show: { type: 'boolean', default: false },
  },
});

const seeds = args.seed.map((s) => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--seed must be a whole number, got ${s}`);
  return n;
});

const total: Record<RuleKey, RuleScore> = Object.fromEntries(RULES.map((r) => [r, { alerts: 0, truePositives: 0, scenarios: 0, found: 0, precision: 0, recall: 0 }])) as Record<RuleKey, RuleScore>;
let events = 0;
let seconds = 0;
let cpuSeconds = 0;
let alerts = 0;
let falseAlerts = 0;
let scenarios = 0;
let missed = 0;
for (const seed of seeds) {
  const month = generateMonth(seed);
  // Warm the engine's code paths once, then measure.
  scoreMonth(month);
  const s = scoreMonth(month);
  events += s.events;
  seconds += s.seconds;
  cpuSeconds += s.cpuSeconds;
  alerts += s.alerts.length;
  falseAlerts += s.falseAlerts.length;
  scenarios += month.scenarios.length;
  missed += s.missed.length;
  for (const r of RULES) {
    const t = total[r];
    const p = s.perRule[r];
    t.alerts += p.alerts;
    t.truePositives += p.truePositives;
    t.scenarios += p.scenarios;
    t.found += p.found;
  }
  if (!args.json) console.log(`seed ${seed}: ${s.events} events, ${s.alerts.length} alerts (${s.falseAlerts.length} false), ${month.scenarios.length} scenarios (${s.missed.length} missed), ${Math.round(s.eventsPerSecond).toLocaleString('en')} events/s (${Math.round(s.events / s.cpuSeconds).toLocaleString('en')} per CPU second)`);
  if (args.show) {
    const name = (id: string) => month.people.get(id)?.name ?? id;
    for (const a of s.falseAlerts) console.log(`  false ${a.rule} ${name(a.userId)} ${new Date(a.ts).toISOString()}: ${a.explanation}`);
    for (const m of s.missed) console.log(`  missed ${m.rule} ${name(m.userId)} ${new Date(m.start).toISOString()}: ${m.note}`);
  }
}
for (const r of RULES) {
  const t = total[r];
  t.precision = t.alerts ? t.truePositives / t.alerts : 1;
  t.recall = t.scenarios ? t.found / t.scenarios : 1;
}
const precision = alerts ? (alerts - falseAlerts) / alerts : 1;
const recall = scenarios ? (scenarios - missed) / scenarios : 1;
const eventsPerSecond = events / seconds;
const cpuEventsPerSecond = events / cpuSeconds;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(7);

if (!args.json) {
  console.log(`\nseeds ${seeds.join(', ')}`);
  console.log('rule          alerts   true  scenarios  found  precision  recall');
  for (const r of RULES) {
    const t = total[r];
    console.log(`${r.padEnd(13)} ${String(t.alerts).padStart(6)} ${String(t.truePositives).padStart(6)} ${String(t.scenarios).padStart(10)} ${String(t.found).padStart(6)}    ${pct(t.precision)} ${pct(t.recall)}`);
  }
  console.log(`overall       ${String(alerts).padStart(6)} ${String(alerts - falseAlerts).padStart(6)} ${String(scenarios).padStart(10)} ${String(scenarios - missed).padStart(6)}    ${pct(precision)} ${pct(recall)}`);
  console.log(`pure engine: ${events.toLocaleString('en')} events in ${seconds.toFixed(2)} s wall = ${Math.round(eventsPerSecond).toLocaleString('en')} events/s; ${cpuSeconds.toFixed(2)} s of CPU = ${Math.round(cpuEventsPerSecond).toLocaleString('en')} events/s of one core`);
}
console.log(JSON.stringify({ seeds, events, precision: Number(precision.toFixed(4)), recall: Number(recall.toFixed(4)), events_per_s: Math.round(cpuEventsPerSecond), events_per_wall_s: Math.round(eventsPerSecond), alerts, false_alerts: falseAlerts, scenarios, missed, per_rule: total }));
