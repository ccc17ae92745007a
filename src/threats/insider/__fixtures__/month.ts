/**
 * A month of audit activity for a 50-person support team, from a seeded PRNG,
 * with planted insider scenarios of each rule's kind (their strength drawn, so
 * some are subtle) and the ordinary noise that must not alert: shifts in three
 * time zones (and their daylight-saving changes), busy Mondays, one incident
 * day when everyone works twice as hard, a public holiday, on-call nights,
 * holidays of one or two weeks, leads' weekly access reviews, admins' exports,
 * a new hire and a promotion, sign-ins from travel networks, mistyped codes.
 *
 * The labels (`scenarios`) are returned beside the events and are never given
 * to the engine: scripts/eval-insider.ts scores the engine's alerts against them.
 */
import type { InsiderEvent } from '../events.js';
import type { Person } from '../engine.js';
import type { RuleKey } from '../config.js';

export interface Scenario {
  rule: RuleKey;
  userId: string;
  start: number;
  end: number;
  strength: number;
  note: string;
}

export interface Month {
  orgId: string;
  events: InsiderEvent[];
  people: Map<string, Person>;
  scenarios: Scenario[];
  timeZone: string;
}

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const ORG = '00000000-0000-4000-8000-00000000a001';
const DAYS = 35;
/** Monday 2 March 2026; Good Friday (3 April) is day 32. */
const START = { y: 2026, m: 3, d: 2 };
const HOLIDAY = 32;

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();
function tzOffset(tz: string, ts: number): number {
  let f = offsetFormatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23' });
    offsetFormatters.set(tz, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(ts))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!, p.second!) - ts;
}

/** The instant of a local wall-clock time on day `d` of the month. */
function at(tz: string, d: number, hour: number, minute = 0): number {
  const guess = Date.UTC(START.y, START.m - 1, START.d + d, hour, minute);
  const first = guess - tzOffset(tz, guess);
  return guess - tzOffset(tz, first);
}

interface Staff {
  id: string;
  name: string;
  team: string;
  kind: 'agent' | 'lead' | 'admin' | 'security' | 'tier2';
  tz: string;
  shiftStart: number;
  shiftHours: number;
  saturday: boolean;
  rate: number;
  revealP: number;
  office: string;
  home: string;
  device: string;
  away: Set<number>;
  joinDay: number;
  deactivationAt: number | null;
}

const FIRST = ['Dana', 'Lukas', 'Mia', 'Jonas', 'Sofia', 'Ben', 'Lea', 'Paul', 'Emma', 'Finn', 'Hanna', 'Noah', 'Lina', 'Elias', 'Clara', 'Max', 'Ida', 'Leon', 'Nora', 'Tim', 'Ava', 'Liam', 'Zoe', 'Ethan', 'Chloe', 'Mason', 'Grace', 'Owen', 'Ruby', 'Jack', 'Isla', 'Leo', 'Maria', 'Jose', 'Ana', 'Mark', 'Joy', 'Carlo', 'Bea', 'Rico', 'Lyn', 'Paolo', 'Tess', 'Omar', 'Yara', 'Ines', 'Karl', 'Vera', 'Sami', 'Rosa'];

export function generateMonth(seed: number): Month {
  const rnd = mulberry32(seed * 7919 + 17);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const between = (a: number, b: number) => a + rnd() * (b - a);
  const int = (a: number, b: number) => Math.floor(between(a, b + 1));
  const poisson = (l: number) => {
    if (l <= 0) return 0;
    if (l > 30) return Math.max(0, Math.round(l + Math.sqrt(l) * gauss()));
    const L = Math.exp(-l);
    let k = 0;
    let p = 1;
    do { k++; p *= rnd(); } while (p > L);
    return k - 1;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() || 1e-9)) * Math.cos(2 * Math.PI * rnd());

  // ---------------------------------------------------------------- the team
  const staff: Staff[] = [];
  const add = (team: string, kind: Staff['kind'], tz: string, shiftStart: number, shiftHours: number, office: string) => {
    const n = staff.length + 1;
    const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    staff.push({
      id, name: FIRST[n - 1]!, team, kind, tz, shiftStart, shiftHours, saturday: false,
      rate: kind === 'agent' || kind === 'tier2' ? between(3, 6) : kind === 'lead' ? between(1, 2.5) : between(0.3, 1),
      revealP: between(0.08, 0.25), office, home: `100.${64 + n}.${int(0, 255)}.0`, device: `d${n}a`, away: new Set(), joinDay: 0, deactivationAt: null,
    });
  };
  for (let i = 0; i < 17; i++) add('emea', 'agent', 'Europe/Berlin', i % 2 ? 12 : 7, 8, '198.51.100.0');
  for (let i = 0; i < 12; i++) add('amer', 'agent', 'America/New_York', i % 3 ? 9 : 11, 8, '203.0.113.0');
  for (let i = 0; i < 11; i++) add('apac', 'agent', 'Asia/Manila', 8, 9, '192.0.2.0');
  add('emea', 'lead', 'Europe/Berlin', 8, 9, '198.51.100.0');
  add('emea', 'lead', 'Europe/Berlin', 9, 8, '198.51.100.0');
  add('amer', 'lead', 'America/New_York', 9, 8, '203.0.113.0');
  add('amer', 'lead', 'America/New_York', 8, 9, '203.0.113.0');
  add('apac', 'lead', 'Asia/Manila', 8, 9, '192.0.2.0');
  for (let i = 0; i < 3; i++) add('ops', 'admin', 'Europe/Berlin', 8, 9, '198.51.100.0');
  add('ops', 'tier2', 'Europe/Berlin', 9, 8, '198.51.100.0');
  add('ops', 'security', 'Europe/Berlin', 9, 8, '198.51.100.0');
  // The new hire (the 50th) joins on day 15.
  add('emea', 'agent', 'Europe/Berlin', 9, 8, '198.51.100.0');
  const hire = staff[49]!;
  hire.joinDay = 15;
  // A few EMEA agents work every Saturday morning.
  for (const s of staff.slice(0, 4)) s.saturday = true;
  const agents = staff.filter((s) => s.kind === 'agent' && s.joinDay === 0);
  const admins = staff.filter((s) => s.kind === 'admin');
  const leads = staff.filter((s) => s.kind === 'lead');
  const onCall = [...staff.filter((s) => s.kind === 'tier2'), ...leads.filter((s) => s.team === 'emea'), ...agents.filter((s) => s.team === 'emea').slice(4, 7)];

  // Holidays of one or two weeks (a near miss for the dormant rule).
  for (const s of staff.filter(() => rnd() < 0.15)) {
    const from = int(3, 20);
    for (let d = from; d < from + int(5, 14); d++) s.away.add(d);
  }

  // Customers: each team's own pool; ticket lists show the team's recent ones.
  const pool = (team: string, n: number) => `cs1:${team}${n.toString(16).padStart(5, '0')}`;
  const POOL = 1500;

  const events: Array<Omit<InsiderEvent, 'idx' | 'id'>> = [];
  const ev = (ts: number, actor: Staff | null, action: string, extra: Partial<InsiderEvent> = {}) => {
    events.push({
      ts: Math.floor(ts), orgId: ORG, actorType: actor ? 'user' : 'anonymous', actorId: actor?.id ?? null, action,
      objectType: null, objectId: null, subject: null, result: 'success', sourceIp: actor ? `${actor.office.slice(0, -1)}${int(2, 250)}` : null, details: null, ...extra,
    });
  };
  const ipIn = (net: string) => `${net.slice(0, -1)}${int(2, 250)}`;

  const scenarios: Scenario[] = [];
  const busy = new Set<string>();
  const claim = (s: Staff, d: number) => busy.add(`${s.id}:${d}`);
  const free = (s: Staff, d: number) => !busy.has(`${s.id}:${d}`) && !s.away.has(d) && s.joinDay <= d;

  // ---------------------------------------------------------------- one ticket worked
  const ticketWork = (s: Staff, ts: number, ip: string, level: number) => {
    const team = s.team === 'ops' ? pick(['emea', 'amer', 'apac']) : s.team;
    const c = pool(team, Math.floor(Math.pow(rnd(), 1.5) * POOL));
    const ticket = `t-${team}-${int(1, 99999)}`;
    let t = ts;
    ev(t, s, 'ticket.read', { objectType: 'ticket', objectId: ticket, subject: c, sourceIp: ip });
    t += between(0.5, 3) * MIN;
    if (rnd() < 0.5) ev(t, s, 'customer.read_masked', { objectType: 'customer', objectId: c, subject: c, sourceIp: ip });
    if (rnd() < s.revealP * level) ev((t += between(0.2, 2) * MIN), s, 'customer.field.reveal', { objectType: 'customer', subject: c, sourceIp: ip, details: { field: pick(['phone', 'address', 'email']) } });
    if (rnd() < 0.2 * level) ev((t += between(0.2, 2) * MIN), s, 'customer.read', { objectType: 'customer', subject: c, sourceIp: ip });
    if (rnd() < 0.08) ev((t += between(0.2, 2) * MIN), s, 'ticket.attachment.download', { objectType: 'attachment', subject: c, sourceIp: ip, details: { ticketId: ticket } });
    ev((t += between(1, 8) * MIN), s, rnd() < 0.8 ? 'ticket.reply' : 'ticket.note', { objectType: 'ticket', objectId: ticket, subject: c, sourceIp: ip });
    if (rnd() < 0.3) ev(t + between(0, 2) * MIN, s, 'ticket.status.change', { objectType: 'ticket', objectId: ticket, subject: c, sourceIp: ip });
  };
  const listQueue = (s: Staff, ts: number, ip: string) => {
    const team = s.team === 'ops' ? pick(['emea', 'amer', 'apac']) : s.team;
    const subjects = Array.from({ length: int(15, 40) }, () => pool(team, Math.floor(Math.pow(rnd(), 1.5) * POOL)));
    ev(ts, s, 'ticket.list', { sourceIp: ip, details: { view: 'team', count: subjects.length, subjects } });
  };

  const incidentDay = pick([8, 9, 10, 15, 16, 17, 22, 23, 24]);
  const dayLoad = (d: number) => (d === incidentDay ? 2.2 : d % 7 === 0 ? 1.4 : 1) * Math.exp(0.15 * gauss());

  // ---------------------------------------------------------------- ordinary days
  const workDay = (s: Staff, d: number, opts: { ip?: string; device?: string; load?: number } = {}) => {
    const dow = d % 7; // 0 = Monday
    const weekend = dow >= 5;
    if (weekend && !(s.saturday && dow === 5)) return;
    if (d === HOLIDAY || s.away.has(d) || d < s.joinDay) return;
    const hours = weekend ? 4 : s.shiftHours;
    const start = at(s.tz, d, weekend ? 9 : s.shiftStart, int(0, 20));
    const wfh = rnd() < 0.3;
    const ip = opts.ip ?? (wfh ? ipIn(s.home) : ipIn(s.office));
    ev(start, s, 'auth.signin', { objectType: 'user', objectId: s.id, sourceIp: ip, details: { factor: 'password', device: opts.device ?? s.device } });
    if (rnd() < 0.04) for (let k = 0, n = int(1, 3); k < n; k++) ev(start - between(1, 5) * MIN, null, 'auth.signin', { objectType: 'user', objectId: s.id, result: 'failure', sourceIp: ip, details: { reason: 'bad_password' } });
    if (rnd() < 0.03) for (let k = 0, n = int(1, 2); k < n; k++) ev(start + between(5, 200) * MIN, s, pick(['auth.step_up', 'access.denied']), { result: pick(['failure', 'denied']), sourceIp: ip });
    const load = (opts.load ?? 1) * dayLoad(d) * Math.exp(0.25 * gauss());
    for (let h = 0; h < hours; h++) {
      const hourStart = start + h * HOUR;
      if (s.kind === 'agent' || s.kind === 'tier2' || s.kind === 'lead') {
        for (let q = 0; q < 4; q++) listQueue(s, hourStart + q * 15 * MIN + between(0, 5) * MIN, ip);
        const n = poisson(s.rate * load * (h === 0 || h === hours - 1 ? 0.7 : 1));
        for (let k = 0; k < n; k++) ticketWork(s, hourStart + rnd() * HOUR, ip, 1);
        // A phone call: a customer looked up without a ticket, any team's.
        if (rnd() < 0.06) ev(hourStart + rnd() * HOUR, s, 'customer.read', { objectType: 'customer', subject: pool(pick(['emea', 'amer', 'apac']), int(0, POOL * 3)), sourceIp: ip });
      }
      if (s.kind === 'admin') {
        if (rnd() < 0.3) ev(hourStart + rnd() * HOUR, s, 'user.list', { sourceIp: ip });
        if (rnd() < 0.25) ticketWork(s, hourStart + rnd() * HOUR, ip, 1);
        if (rnd() < 0.04) ev(hourStart + rnd() * HOUR, s, 'customer.export', { objectType: 'customer', subject: pool(pick(['emea', 'amer', 'apac']), int(0, POOL)), sourceIp: ip });
        if (rnd() < 0.02) ev(hourStart + rnd() * HOUR, s, 'policy.csat_change', { sourceIp: ip });
      }
      if (s.kind === 'security' && rnd() < 0.5) ev(hourStart + rnd() * HOUR, s, pick(['audit.entries.read', 'audit.verify', 'quarantine.list']), { sourceIp: ip });
    }
    // Leads run the weekly access review on Thursdays: decisions and an export of their team's items.
    if (s.kind === 'lead' && dow === 3) {
      const t = start + between(2, 5) * HOUR;
      for (let k = 0; k < 8; k++) ev(t + k * MIN, s, 'access_review.item.certify', { sourceIp: ip });
      ev(t + 10 * MIN, s, 'access_review.export', { sourceIp: ip, details: { format: 'csv', items: int(8, 15) } });
    }
    // Admins: the organisation-wide review export on the first Monday, and attachment pulls for legal requests.
    if (s.kind === 'admin' && dow === 0 && d < 7) ev(start + 3 * HOUR, s, 'access_review.export', { sourceIp: ip, details: { format: 'json', items: 50 } });
    if (s.kind === 'admin' && rnd() < 0.15) {
      const t = start + between(1, 6) * HOUR;
      for (let k = 0, n = int(5, 25); k < n; k++) ev(t + k * between(0.3, 1.5) * MIN, s, 'ticket.attachment.download', { objectType: 'attachment', subject: pool(pick(['emea', 'amer', 'apac']), int(0, POOL)), sourceIp: ip });
    }
  };

  // On-call nights (Berlin): one person per night handles a few urgent tickets.
  const nightShift = (d: number) => {
    const s = onCall[d % onCall.length]!;
    if (s.away.has(d)) return;
    const n = poisson(1.2);
    for (let k = 0; k < n; k++) {
      const ts = at('Europe/Berlin', d, 21, 0) + rnd() * 9 * HOUR;
      const ip = ipIn(s.home);
      ev(ts - 2 * MIN, s, 'auth.signin', { objectType: 'user', objectId: s.id, sourceIp: ip, details: { factor: 'password', device: s.device } });
      ticketWork(s, ts, ip, 1.5);
    }
  };

  // ---------------------------------------------------------------- planted scenarios
  const candidates = agents.filter((s) => s.away.size === 0);
  const takeAgent = (d: number) => {
    for (let tries = 0; tries < 200; tries++) {
      const s = pick(candidates);
      if (free(s, d) && d % 7 < 5) return s;
    }
    return null;
  };
  const scenarioDays = () => int(8, 33);
  const plan: Array<() => void> = [];
  const per = 3;

  // Dormant: an agent on long leave from day 3, back on day 27–33, someone signs in and reads.
  const dormantPeople: Staff[] = [];
  for (let i = 0; i < per; i++) {
    const s = candidates.filter((c) => !dormantPeople.includes(c))[int(0, candidates.length - 1 - dormantPeople.length)]!;
    dormantPeople.push(s);
    const back = int(27, 33);
    const day = back % 7 >= 5 ? back - 2 : back;
    for (let d = 3; d < day; d++) s.away.add(d);
    for (let d = day; d < DAYS; d++) claim(s, d);
    plan.push(() => {
      const t = at(s.tz, day, between(0, 1) < 0.5 ? s.shiftStart : 22, int(0, 50));
      const ip = rnd() < 0.5 ? ipIn(s.office) : `185.${int(100, 200)}.${int(0, 255)}.${int(2, 250)}`;
      ev(t, s, 'auth.signin', { objectType: 'user', objectId: s.id, sourceIp: ip, details: { factor: 'password', device: s.device } });
      for (let k = 0, n = int(1, 6); k < n; k++) ticketWork(s, t + between(2, 40) * MIN, ip, 1);
      scenarios.push({ rule: 'dormant', userId: s.id, start: t, end: t + HOUR, strength: day - 3, note: `back after ${day - 3} days` });
    });
  }

  for (let i = 0; i < per; i++) {
    // Volume: a burst of reveals and reads of the team's own customers within one working hour.
    const d = scenarioDays();
    const s = takeAgent(d);
    if (s) {
      claim(s, d);
      const strength = between(0.6, 1.8);
      plan.push(() => {
        const t = at(s.tz, d, s.shiftStart + int(2, 5), int(0, 10));
        const n = Math.round(20 * strength + int(0, 10));
        const ip = ipIn(s.office);
        for (let k = 0; k < n; k++) {
          const c = pool(s.team, Math.floor(rnd() * 300));
          const ts = t + (k / n) * 50 * MIN;
          ev(ts, s, 'ticket.read', { objectType: 'ticket', subject: c, sourceIp: ip });
          ev(ts + 20_000, s, rnd() < 0.6 ? 'customer.field.reveal' : 'customer.read', { objectType: 'customer', subject: c, sourceIp: ip });
        }
        scenarios.push({ rule: 'volume', userId: s.id, start: t, end: t + HOUR, strength: n, note: `${n} reads/reveals in an hour` });
      });
    }
  }
  for (let i = 0; i < per; i++) {
    // Unrelated: customers nobody in the person's team worked on (another team's far tail, or never seen).
    const d = scenarioDays();
    const s = takeAgent(d);
    if (s) {
      claim(s, d);
      const n = int(5, 14);
      const span = between(10, 55);
      plan.push(() => {
        const t = at(s.tz, d, s.shiftStart + int(1, 5), int(0, 30));
        const other = pick(['emea', 'amer', 'apac'].filter((x) => x !== s.team));
        for (let k = 0; k < n; k++) ev(t + (k / n) * span * MIN, s, rnd() < 0.5 ? 'customer.read' : 'customer.field.reveal', { objectType: 'customer', subject: pool(other, POOL + int(0, 5000)), sourceIp: ipIn(s.office) });
        scenarios.push({ rule: 'unrelated', userId: s.id, start: t, end: t + span * MIN, strength: n, note: `${n} unrelated customers in ${Math.round(span)} min` });
      });
    }
  }
  for (let i = 0; i < per; i++) {
    // Off hours: data read late at night or on a Sunday by someone who never works then.
    const d = scenarioDays();
    const s = takeAgent(d) ?? null;
    if (s && !onCall.includes(s) && s.team === 'emea') {
      claim(s, d);
      plan.push(() => {
        const t = at('Europe/Berlin', d, pick([0, 1, 2, 3, 23]), int(0, 20));
        const n = int(5, 20);
        const ip = ipIn(s.home);
        ev(t - 3 * MIN, s, 'auth.signin', { objectType: 'user', objectId: s.id, sourceIp: ip, details: { factor: 'password', device: s.device } });
        for (let k = 0; k < n; k++) {
          const c = pool(s.team, Math.floor(rnd() * POOL));
          ev(t + k * between(0.5, 2.5) * MIN, s, 'ticket.read', { objectType: 'ticket', subject: c, sourceIp: ip });
          ev(t + k * 2.5 * MIN + 30_000, s, rnd() < 0.5 ? 'customer.field.reveal' : 'customer.read', { objectType: 'customer', subject: c, sourceIp: ip });
        }
        scenarios.push({ rule: 'off_hours', userId: s.id, start: t - 3 * MIN, end: t + n * 3 * MIN, strength: n, note: `${n} reads at night` });
      });
    } else i--;
  }
  for (let i = 0; i < per; i++) {
    // Exports: many attachments downloaded or records exported within the hour.
    const d = scenarioDays();
    const s = takeAgent(d);
    if (s) {
      claim(s, d);
      const n = int(60, 250);
      plan.push(() => {
        const t = at(s.tz, d, s.shiftStart + int(1, 5), int(0, 20));
        const span = between(10, 50);
        for (let k = 0; k < n; k++) ev(t + (k / n) * span * MIN, s, 'ticket.attachment.download', { objectType: 'attachment', subject: pool(s.team, int(0, POOL)), sourceIp: ipIn(s.office) });
        scenarios.push({ rule: 'exports', userId: s.id, start: t, end: t + span * MIN, strength: n, note: `${n} downloads` });
      });
    }
  }
  for (let i = 0; i < per; i++) {
    // Denied: probing what one may not read.
    const d = scenarioDays();
    const s = takeAgent(d);
    if (s) {
      claim(s, d);
      const n = int(5, 12);
      plan.push(() => {
        const t = at(s.tz, d, s.shiftStart + int(1, 6), int(0, 40));
        const span = between(3, 14);
        for (let k = 0; k < n; k++) ev(t + (k / n) * span * MIN, s, pick(['access.denied', 'access.denied', 'ticket.attachment.download', 'auth.step_up']), { result: pick(['denied', 'failure']), sourceIp: ipIn(s.office) });
        scenarios.push({ rule: 'denied', userId: s.id, start: t, end: t + span * MIN, strength: n, note: `${n} refusals` });
      });
    }
  }
  for (let i = 0; i < per; i++) {
    // New network: a sign-in from somewhere never seen, then reveals or a sensitive action within minutes.
    const d = scenarioDays();
    const s = takeAgent(d);
    if (s) {
      claim(s, d);
      plan.push(() => {
        const t = at(s.tz, d, s.shiftStart + int(0, 4), int(0, 30));
        const ip = `185.${int(100, 200)}.${int(0, 255)}.${int(2, 250)}`;
        const newDevice = rnd() < 0.5;
        ev(t, s, 'auth.signin', { objectType: 'user', objectId: s.id, sourceIp: ip, details: { factor: 'password', device: newDevice ? `x${int(1, 999)}` : s.device } });
        const n = int(3, 8);
        const span = between(4, 25);
        const team = s.team;
        if (rnd() < 0.3) ev(t + span * MIN, s, 'mfa.remove', { sourceIp: ip });
        else for (let k = 0; k < n; k++) ev(t + ((k + 1) / n) * span * MIN, s, 'customer.field.reveal', { objectType: 'customer', subject: pool(team, int(0, 200)), sourceIp: ip });
        scenarios.push({ rule: 'new_network', userId: s.id, start: t, end: t + span * MIN, strength: n, note: `new network${newDevice ? ' and device' : ''}` });
      });
    }
  }
  for (let i = 0; i < per; i++) {
    // Grant and use: an admin grants an agent a role, used within minutes for something new.
    const d = scenarioDays();
    const s = takeAgent(d);
    const a = pick(admins);
    if (s && free(a, d)) {
      claim(s, d);
      plan.push(() => {
        const t = at(a.tz, d, 11, int(0, 50));
        ev(t, a, 'user.roles_change', { objectType: 'user', objectId: s.id, details: { added: ['administrator'], removed: [] } });
        const gap = between(1, 13);
        const act = pick(['customer.export', 'role.update', 'user.roles_change', 'ticket.bulk.update', 'policy.masking_change', 'access_review.export']);
        ev(t + gap * MIN, s, act, { objectType: 'x', objectId: 'y', sourceIp: ipIn(s.office), details: act.endsWith('export') ? { items: int(1, 20) } : null });
        scenarios.push({ rule: 'grant_use', userId: s.id, start: t, end: t + gap * MIN, strength: gap, note: `${act} ${Math.round(gap)} min after the grant` });
      });
    }
  }
  // Leavers: deactivation scheduled on day 31; one in each pair harvests customer data during the notice.
  for (let i = 0; i < per + 1; i++) {
    const s = pick(candidates.filter((c) => c.deactivationAt === null && !dormantPeople.includes(c)));
    s.deactivationAt = at(s.tz, 31, 18);
    if (i === per) continue; // a leaver who works normally to the end: a near miss
    const d = int(20, 29);
    if (d % 7 >= 5 || !free(s, d)) { s.deactivationAt = null; i--; continue; }
    claim(s, d);
    plan.push(() => {
      const extra = int(15, 60);
      workDay(s, d);
      const t0 = at(s.tz, d, s.shiftStart, 30);
      for (let k = 0; k < extra; k++) {
        const ts = t0 + rnd() * (s.shiftHours - 1) * HOUR;
        const c = pool(s.team, int(0, POOL));
        ev(ts, s, 'ticket.read', { objectType: 'ticket', subject: c, sourceIp: ipIn(s.office) });
        ev(ts + 15_000, s, rnd() < 0.7 ? 'customer.field.reveal' : 'ticket.attachment.download', { objectType: 'customer', subject: c, sourceIp: ipIn(s.office) });
      }
      scenarios.push({ rule: 'leaver', userId: s.id, start: t0, end: t0 + s.shiftHours * HOUR, strength: extra, note: `${extra} extra reads before leaving` });
    });
  }

  // ---------------------------------------------------------------- the month
  for (let d = 0; d < DAYS; d++) {
    for (const s of staff) if (!busy.has(`${s.id}:${d}`) && !(dormantPeople.includes(s) && d >= 3)) workDay(s, d);
    nightShift(d);
    // Travel: someone signs in from a hotel network and works normally (at most two reveals).
    if (rnd() < 0.35) {
      const s = pick(agents);
      if (free(s, d) && d % 7 < 5) {
        claim(s, d);
        workDay(s, d, { ip: `${int(20, 90)}.${int(0, 255)}.${int(0, 255)}.${int(2, 250)}`, device: rnd() < 0.3 ? `n${d}` : s.device, load: 0.6 });
      }
    }
  }
  // The new hire: roles granted at 09:00 on day 15, working within minutes (no history: not a grant-and-use).
  const a0 = admins[0]!;
  events.push({ ts: at(a0.tz, 15, 9, 0) - 10 * MIN, orgId: ORG, actorType: 'user', actorId: a0.id, action: 'user.roles_change', objectType: 'user', objectId: hire.id, subject: null, result: 'success', sourceIp: ipIn(a0.office), details: { added: ['agent'], removed: [] } });
  // A promotion at the end of a shift, first used the next day.
  const promoted = agents.find((s) => s.team === 'emea' && s.away.size === 0 && !dormantPeople.includes(s) && s.deactivationAt === null)!;
  events.push({ ts: at(a0.tz, 16, 17, 30), orgId: ORG, actorType: 'user', actorId: a0.id, action: 'user.roles_change', objectType: 'user', objectId: promoted.id, subject: null, result: 'success', sourceIp: ipIn(a0.office), details: { added: ['supervisor'], removed: ['agent'] } });
  events.push({ ts: at(promoted.tz, 17, 10, 0), orgId: ORG, actorType: 'user', actorId: promoted.id, action: 'ticket.assign', objectType: 'ticket', objectId: 't', subject: pool(promoted.team, 1), result: 'success', sourceIp: ipIn(promoted.office), details: null });
  for (const p of plan) p();

  events.sort((x, y) => x.ts - y.ts);
  const out: InsiderEvent[] = events.map((e, i) => ({ ...e, idx: i, id: `e${i}` }));
  const people = new Map<string, Person>(staff.map((s) => [s.id, { name: s.name, teams: [s.team], deactivationAt: s.deactivationAt }]));
  return { orgId: ORG, events: out, people, scenarios, timeZone: 'Europe/Berlin' };
}
