/**
 * The insider-threat rule engine (decision 0194): pure, fed one sequenced
 * audit event at a time, over compact in-memory state per person (and per
 * team and organisation). It never touches the database: the runner
 * (runner.ts) loads events in batches, restores and saves the state, and
 * stores the alerts. The same engine runs in the evaluation (scripts/eval-insider.ts).
 *
 * Each rule reads only what the audit trail and the directory say (who is in
 * which team, whose deactivation is scheduled), and every alert carries the
 * entries it rests on and a sentence a person can check.
 */
import { DEFAULT_THRESHOLDS, type InsiderThresholds, type RuleKey } from './config.js';
import { exportedRecords, isCustomerDataRead, isCustomerLookup, isSensitiveAction, isTicketContext, networkOf, permissionsOf, refusedUser, type InsiderEvent } from './events.js';
import { clock, dateTime, dayName, localHour } from './local-time.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const MAX_EVIDENCE = 50;
/** Exponential weights: an hour-of-week bucket learns once a week, an hour of day once a day. */
const ALPHA_WEEK = 0.3;
const ALPHA_DAY = 0.1;
const RELATED_CAP = 20_000;
const USER_RELATED_CAP = 5_000;

export interface Person {
  name: string;
  teams: readonly string[];
  /** When the person's account is to be deactivated (ms), if scheduled. */
  deactivationAt: number | null;
}

export interface EvidenceRef {
  id: string;
  idx: number;
}

export interface InsiderAlert {
  rule: RuleKey;
  orgId: string;
  userId: string;
  /** When the rule fired (the last evidence's time). */
  ts: number;
  /** From when the evidence runs. */
  since: number;
  explanation: string;
  evidence: EvidenceRef[];
  facts: Record<string, number | string | boolean | null>;
}

export interface EngineContext {
  person(orgId: string, userId: string): Person | undefined;
  thresholds(orgId: string): InsiderThresholds;
  /** True when an alert of this rule for this person is suppressed at that time. */
  suppressed?(orgId: string, userId: string, rule: RuleKey, ts: number): boolean;
}

type Stat = [mean: number, variance: number, n: number];
type Ref = [ts: number, idx: number, id: string];

/** One person's state. Compact: a few hundred numbers plus bounded windows. */
export interface UserState {
  firstTs: number;
  lastTs: number;
  /** hour of week → [mean, variance, n] of customer reads+reveals per hour (168 entries, flattened). */
  hw: number[];
  /** hour of day → [mean, variance, n] (24 entries, flattened). */
  hd: number[];
  vHour: number;
  vReveal: number;
  vRead: number;
  vEvid: Ref[];
  vAlerted: boolean;
  /** Days on which the person was active at each local hour of day, and on each weekday (decayed). */
  actHod: number[];
  actDow: number[];
  /** The same per hour of week (168). */
  actHow: number[];
  actHour: number;
  actDay: number;
  /** Today's active hours of week and weekday, added to the habits when the day is over (today is judged against the days before). */
  pendingHows: number[];
  pendingDow: number;
  offHour: number;
  offEvid: Ref[];
  offAlerted: boolean;
  /** Customers this person worked on outside their teams' (subject → last ms). */
  related: Map<string, number>;
  unrel: Array<[ts: number, idx: number, id: string, subject: string]>;
  unrelAlertedUntil: number;
  exp: Array<[ts: number, idx: number, id: string, n: number]>;
  expBase: number;
  expHour: number;
  expHourTotal: number;
  expAlertedUntil: number;
  den: Ref[];
  denAlertedUntil: number;
  nets: Map<string, number>;
  devs: Map<string, number>;
  signins: number;
  sess: { ts: number; net: string | null; newNet: boolean; newDev: boolean; reveals: number; evid: Ref[]; alerted: boolean } | null;
  grant: { ts: number; by: string | null; ref: Ref; alerted: boolean } | null;
  perms: Set<string>;
  day: number;
  dayCount: number;
  dayEvid: Ref[];
  dayAlerted: boolean;
  dayMean: number;
  dayVar: number;
  dayN: number;
}

interface OrgState {
  /** team id → customers its members worked on (subject → last ms). */
  teams: Map<string, Map<string, number>>;
  /** Organisation-wide reads per hour of week and per hour of day, for the busy-day factor. */
  hw: number[];
  hd: number[];
  hour: number;
  hourCount: number;
  prevRatio: number;
  /** Today's (UTC) reads so far against what the hours so far usually see. */
  day: number;
  dayActual: number;
  dayExpected: number;
}

export function newUserState(ts: number): UserState {
  return {
    firstTs: ts, lastTs: ts,
    hw: new Array(168 * 3).fill(0), hd: new Array(24 * 3).fill(0),
    vHour: -1, vReveal: 0, vRead: 0, vEvid: [], vAlerted: false,
    actHod: new Array(24).fill(0), actDow: new Array(7).fill(0), actHow: new Array(168).fill(0), actHour: -1, actDay: -1, pendingHows: [], pendingDow: -1,
    offHour: -1, offEvid: [], offAlerted: false,
    related: new Map(), unrel: [], unrelAlertedUntil: 0,
    exp: [], expBase: 0, expHour: -1, expHourTotal: 0, expAlertedUntil: 0,
    den: [], denAlertedUntil: 0,
    nets: new Map(), devs: new Map(), signins: 0, sess: null,
    grant: null, perms: new Set(),
    day: -1, dayCount: 0, dayEvid: [], dayAlerted: false, dayMean: 0, dayVar: 0, dayN: 0,
  };
}

function newOrgState(): OrgState {
  return { teams: new Map(), hw: new Array(168 * 3).fill(0), hd: new Array(24 * 3).fill(0), hour: -1, hourCount: 0, prevRatio: 1, day: -1, dayActual: 0, dayExpected: 0 };
}

function ewUpdate(stats: number[], i: number, x: number, alpha: number): void {
  const o = i * 3;
  const n = stats[o + 2]!;
  if (n === 0) {
    stats[o] = x;
    stats[o + 1] = 0;
  } else {
    const mean = stats[o]!;
    const d = x - mean;
    stats[o] = mean + alpha * d;
    stats[o + 1] = (1 - alpha) * (stats[o + 1]! + alpha * d * d);
  }
  stats[o + 2] = n + 1;
}

function pushRef<T extends unknown[]>(list: T[], item: T, max = MAX_EVIDENCE): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

const evidenceOf = (refs: ReadonlyArray<readonly [number, number, string, ...unknown[]]>): EvidenceRef[] => refs.slice(-MAX_EVIDENCE).map((r) => ({ idx: r[1], id: r[2] }));
const refOf = (e: InsiderEvent): Ref => [e.ts, e.idx, e.id];
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const round = (x: number) => Math.round(x);

function setCapped(map: Map<string, number>, key: string, value: number, cap: number): void {
  map.set(key, value);
  if (map.size > cap) {
    const oldest = map.keys().next().value as string;
    map.delete(oldest);
  }
}

export class InsiderEngine {
  readonly users = new Map<string, UserState>();
  readonly orgs = new Map<string, OrgState>();
  /** Users whose state changed since the last takeDirty(). */
  private readonly dirty = new Set<string>();
  private readonly dirtyOrgs = new Set<string>();
  cursor = -1;

  constructor(private readonly ctx: EngineContext) {}

  private user(orgId: string, userId: string, ts: number): UserState {
    const key = `${orgId}:${userId}`;
    let u = this.users.get(key);
    if (!u) this.users.set(key, (u = newUserState(ts)));
    this.dirty.add(key);
    return u;
  }

  private org(orgId: string): OrgState {
    let o = this.orgs.get(orgId);
    if (!o) this.orgs.set(orgId, (o = newOrgState()));
    this.dirtyOrgs.add(orgId);
    return o;
  }

  takeDirty(): { users: string[]; orgs: string[] } {
    const out = { users: [...this.dirty], orgs: [...this.dirtyOrgs] };
    this.dirty.clear();
    this.dirtyOrgs.clear();
    return out;
  }

  /** Feeds one event (in idx order); returns the alerts it raised, less suppressed ones. */
  process(e: InsiderEvent): InsiderAlert[] {
    const out = this.evaluate(e);
    return out.length && this.ctx.suppressed ? out.filter((a) => !this.ctx.suppressed!(a.orgId, a.userId, a.rule, a.ts)) : out;
  }

  private evaluate(e: InsiderEvent): InsiderAlert[] {
    if (e.idx <= this.cursor) return [];
    this.cursor = e.idx;
    if (!e.orgId) return [];
    const out: InsiderAlert[] = [];
    const t = this.ctx.thresholds(e.orgId);
    const org = this.org(e.orgId);
    const read = isCustomerDataRead(e.action);
    const tz = t.off_hours.timeZone;
    if (read && e.result === 'success') this.orgHour(org, e.ts, tz);

    // Refusals are attributed to the account even when the actor is anonymous (a failed sign-in).
    const refused = refusedUser(e);
    if (refused) this.denied(out, e, refused, t);

    // The grantee of a role change is watched for using what they were given.
    if (e.action === 'user.roles_change' && e.result === 'success' && e.objectId && Array.isArray(e.details?.added) && e.details.added.length > 0) {
      const g = this.user(e.orgId, e.objectId, e.ts);
      g.grant = { ts: e.ts, by: e.actorId, ref: refOf(e), alerted: false };
    }

    if (e.actorType !== 'user' || !e.actorId || e.result !== 'success') return out;
    const userId = e.actorId;
    const known = this.users.has(`${e.orgId}:${userId}`);
    const u = this.user(e.orgId, userId, e.ts);
    const person = this.ctx.person(e.orgId, userId);
    const name = person?.name ?? 'A user';

    this.dormant(out, e, u, known, name, t, tz);
    this.dayRoll(u, e.ts);
    if (read) this.volume(out, e, u, org, read, name, t, tz);
    this.offHours(out, e, u, read !== null || exportedRecords(e) > 0, name, t, tz);
    if (e.subject || Array.isArray(e.details?.subjects)) this.relation(out, e, u, person, name, t);
    const records = exportedRecords(e);
    if (records > 0) this.exports(out, e, u, records, name, t);
    this.newNetwork(out, e, u, read, records, name, t, tz);
    this.grantUse(out, e, u, name, t);
    if (read || records > 0) this.leaver(out, e, u, person, read ? 1 : records, name, t, tz);
    this.markActive(u, e.ts, tz);
    u.lastTs = e.ts;
    return out;
  }

  // ------------------------------------------------------------ rule 1: volume against the person's own baseline

  private orgHour(org: OrgState, ts: number, tz: string): void {
    const hour = Math.floor(ts / HOUR);
    if (hour !== org.hour) {
      if (org.hour >= 0) {
        const lh = localHour(tz, org.hour * HOUR);
        const mean = this.orgExpected(org, lh.how, lh.hour);
        org.prevRatio = mean > 0 ? org.hourCount / mean : 1;
        if (mean > 0) {
          org.dayActual += org.hourCount;
          org.dayExpected += mean;
        }
        ewUpdate(org.hw, lh.how, org.hourCount, ALPHA_WEEK);
        ewUpdate(org.hd, lh.hour, org.hourCount, ALPHA_DAY);
      }
      const day = Math.floor(hour / 24);
      if (day !== org.day) {
        org.day = day;
        org.dayActual = 0;
        org.dayExpected = 0;
      }
      org.hour = hour;
      org.hourCount = 0;
    }
    org.hourCount++;
  }

  /** The organisation's usual reads in this hour: of the week once learned, else of the day; 0 while learning. */
  private orgExpected(org: OrgState, how: number, hour: number): number {
    if (org.hw[how * 3 + 2]! >= 2) return org.hw[how * 3]!;
    if (org.hd[hour * 3 + 2]! >= 3) return org.hd[hour * 3]!;
    return 0;
  }

  /** How much busier the whole organisation is than usual now (≥ 1): a busy day raises everyone's expectation. */
  private loadFactor(org: OrgState, ts: number, own: number, tz: string): number {
    const lh = localHour(tz, ts);
    const mean = this.orgExpected(org, lh.how, lh.hour);
    if (mean <= 0) return 1;
    const elapsed = Math.max(0.25, (ts % HOUR) / HOUR);
    const partial = Math.max(0, org.hourCount - own) / (mean * elapsed);
    return Math.min(4, Math.max(1, Math.min(org.prevRatio, 4), partial));
  }

  private closeVolumeHour(u: UserState, tz: string): void {
    if (u.vHour < 0) return;
    const lh = localHour(tz, u.vHour * HOUR);
    ewUpdate(u.hw, lh.how, u.vReveal + u.vRead, ALPHA_WEEK);
    ewUpdate(u.hd, lh.hour, u.vReveal + u.vRead, ALPHA_DAY);
  }

  private volume(out: InsiderAlert[], e: InsiderEvent, u: UserState, org: OrgState, kind: 'reveal' | 'read', name: string, t: InsiderThresholds, tz: string): void {
    const hour = Math.floor(e.ts / HOUR);
    if (hour !== u.vHour) {
      this.closeVolumeHour(u, tz);
      // Hours without reads count as zero for their buckets (at most a week of them).
      if (u.vHour >= 0) for (let h = Math.max(u.vHour + 1, hour - 168); h < hour; h++) {
        const lh = localHour(tz, h * HOUR);
        ewUpdate(u.hw, lh.how, 0, ALPHA_WEEK);
        ewUpdate(u.hd, lh.hour, 0, ALPHA_DAY);
      }
      u.vHour = hour;
      u.vReveal = 0;
      u.vRead = 0;
      u.vEvid = [];
      u.vAlerted = false;
    }
    if (kind === 'reveal') u.vReveal++;
    else u.vRead++;
    pushRef(u.vEvid, refOf(e));
    const r = t.volume;
    if (!r.enabled || u.vAlerted) return;
    const count = u.vReveal + u.vRead;
    if (count < r.minCount) return;
    if (e.ts - u.firstTs < r.learningWeeks * 7 * DAY) return;
    const lh = localHour(tz, e.ts);
    let mean: number;
    let sd: number;
    let basis: string;
    if (u.hw[lh.how * 3 + 2]! >= 2) {
      mean = u.hw[lh.how * 3]!;
      sd = Math.sqrt(u.hw[lh.how * 3 + 1]!);
      basis = `${dayName(lh.dow)} ${lh.hour}h`;
    } else if (u.hd[lh.hour * 3 + 2]! >= 5) {
      mean = u.hd[lh.hour * 3]!;
      sd = Math.sqrt(u.hd[lh.hour * 3 + 1]!);
      basis = `${lh.hour}h on a day`;
    } else return;
    const load = this.loadFactor(org, e.ts, count, tz);
    const spread = Math.max(sd, Math.sqrt(mean) + 1);
    const limit = Math.max(r.minCount, (mean + r.sigmas * spread) * load, r.minRatio * mean * load);
    if (count < limit) return;
    u.vAlerted = true;
    const what = [u.vReveal ? `revealed ${plural(u.vReveal, 'customer field', 'customer fields')}` : '', u.vRead ? `read ${plural(u.vRead, 'customer record', 'customer records')}` : ''].filter(Boolean).join(' and ');
    const start = hour * HOUR;
    out.push({
      rule: 'volume', orgId: e.orgId, userId: e.actorId!, ts: e.ts, since: u.vEvid[0]![0],
      explanation: `${name} ${what} between ${clock(tz, start)} and ${clock(tz, start + HOUR)}; their usual for ${basis} is ${round(mean)} ± ${round(sd)}` +
        (load > 1.05 ? ` (the whole organisation is ${load.toFixed(1)}× busier than usual this hour, already allowed for)` : '') + '.',
      evidence: evidenceOf(u.vEvid),
      facts: { count, reveals: u.vReveal, reads: u.vRead, usualMean: Number(mean.toFixed(2)), usualSd: Number(sd.toFixed(2)), loadFactor: Number(load.toFixed(2)), limit: Number(limit.toFixed(1)) },
    });
  }

  // ------------------------------------------------------------ rule 2: customers unrelated to the person's tickets or team

  private relation(out: InsiderAlert[], e: InsiderEvent, u: UserState, person: Person | undefined, name: string, t: InsiderThresholds): void {
    const org = this.org(e.orgId);
    const teams = person?.teams ?? [];
    if (isTicketContext(e.action)) {
      const subjects: string[] = [];
      if (e.subject) subjects.push(e.subject);
      const listed = e.details?.subjects;
      if (Array.isArray(listed)) for (const s of listed) if (typeof s === 'string') subjects.push(s);
      for (const s of subjects) {
        const key = s.slice(0, 20);
        if (teams.length === 0) setCapped(u.related, key, e.ts, USER_RELATED_CAP);
        for (const team of teams) {
          let m = org.teams.get(team);
          if (!m) org.teams.set(team, (m = new Map()));
          setCapped(m, key, e.ts, RELATED_CAP);
        }
      }
      return;
    }
    if (!isCustomerLookup(e.action) || !e.subject) return;
    const r = t.unrelated;
    const key = e.subject.slice(0, 20);
    const horizon = e.ts - r.relationDays * DAY;
    const seen = [u.related.get(key), ...teams.map((team) => org.teams.get(team)?.get(key))].some((v) => v !== undefined && v >= horizon);
    if (seen) return;
    const since = e.ts - r.windowMinutes * MINUTE;
    while (u.unrel.length && u.unrel[0]![0] < since) u.unrel.shift();
    u.unrel.push([e.ts, e.idx, e.id, key]);
    if (u.unrel.length > 500) u.unrel.shift();
    if (!r.enabled || e.ts < u.unrelAlertedUntil) return;
    const distinct = new Set(u.unrel.map((x) => x[3])).size;
    if (distinct < r.minDistinct) return;
    u.unrelAlertedUntil = e.ts + r.windowMinutes * MINUTE;
    out.push({
      rule: 'unrelated', orgId: e.orgId, userId: e.actorId!, ts: e.ts, since: u.unrel[0]![0],
      explanation: `${name} read ${distinct} customers in ${r.windowMinutes} minutes whom none of their tickets, chats or their team's (${teams.length ? plural(teams.length, 'team', 'teams') : 'no team'}) touched in the last ${r.relationDays} days.`,
      evidence: evidenceOf(u.unrel),
      facts: { distinctCustomers: distinct, windowMinutes: r.windowMinutes, teams: teams.length },
    });
  }

  // ------------------------------------------------------------ rule 3: outside working hours

  private markActive(u: UserState, ts: number, tz: string): void {
    const hour = Math.floor(ts / HOUR);
    const day = Math.floor(ts / DAY);
    if (day !== u.actDay) {
      // Older habits fade: a habit counts a few weeks, not forever.
      if (u.actDay >= 0) {
        const f = Math.pow(0.98, Math.min(60, day - u.actDay));
        for (let i = 0; i < 24; i++) u.actHod[i]! *= f;
        for (let i = 0; i < 7; i++) u.actDow[i]! *= f;
        for (let i = 0; i < 168; i++) u.actHow[i]! *= f;
      }
      for (const how of u.pendingHows) {
        u.actHow[how]! += 1;
        u.actHod[how % 24]! += 1;
      }
      if (u.pendingDow >= 0) u.actDow[u.pendingDow]! += 1;
      u.pendingHows = [];
      u.actDay = day;
      u.pendingDow = localHour(tz, ts).dow;
    }
    if (hour !== u.actHour) {
      u.actHour = hour;
      u.pendingHows.push(localHour(tz, ts).how);
    }
  }

  private offHours(out: InsiderAlert[], e: InsiderEvent, u: UserState, dataAccess: boolean, name: string, t: InsiderThresholds, tz: string): void {
    const r = t.off_hours;
    if (!dataAccess || !r.enabled) return;
    const lh = localHour(tz, e.ts);
    const inOrgHours = r.days.includes(lh.dow) && lh.hour >= r.startHour && lh.hour < r.endHour;
    if (inOrgHours) return;
    // The person's own habits: hours of day they work on several days, and the weekdays they work.
    const near = u.actHow[lh.how]! + 0.5 * (u.actHow[(lh.how + 167) % 168]! + u.actHow[(lh.how + 1) % 168]!);
    const usualHour = u.actHod[lh.hour]! >= r.usualDays || near >= 1.5;
    const usualDay = u.actDow[lh.dow]! >= 0.5;
    if (usualHour && usualDay) return;
    if (e.ts - u.firstTs < 7 * DAY) return;
    const hour = Math.floor(e.ts / HOUR);
    if (hour !== u.offHour) {
      u.offHour = hour;
      u.offEvid = [];
      u.offAlerted = false;
    }
    pushRef(u.offEvid, refOf(e));
    if (u.offAlerted || u.offEvid.length < r.minEvents) return;
    u.offAlerted = true;
    const days = r.days.map(dayName).map((d) => d.slice(0, 3)).join(', ');
    out.push({
      rule: 'off_hours', orgId: e.orgId, userId: e.actorId!, ts: e.ts, since: u.offEvid[0]![0],
      explanation: `${name} read or took out customer data ${u.offEvid.length} times on ${dateTime(tz, u.offEvid[0]![0])}, outside the organisation's hours (${days} ${r.startHour}:00–${r.endHour}:00) and outside their own habits (${u.actHod[lh.hour]!.toFixed(1)} recent days active at ${lh.hour}h, ${u.actDow[lh.dow]!.toFixed(1)} recent ${dayName(lh.dow)}s).`,
      evidence: evidenceOf(u.offEvid),
      facts: { events: u.offEvid.length, localHour: lh.hour, weekday: lh.dow, usualDaysAtHour: Number(u.actHod[lh.hour]!.toFixed(2)) },
    });
  }

  // ------------------------------------------------------------ rule 4: many records exported or downloaded

  private exports(out: InsiderAlert[], e: InsiderEvent, u: UserState, records: number, name: string, t: InsiderThresholds): void {
    const hour = Math.floor(e.ts / HOUR);
    if (hour !== u.expHour) {
      if (u.expHourTotal > 0) u.expBase = u.expBase === 0 ? u.expHourTotal : u.expBase + 0.2 * (u.expHourTotal - u.expBase);
      u.expHour = hour;
      u.expHourTotal = 0;
    }
    u.expHourTotal += records;
    const since = e.ts - HOUR;
    while (u.exp.length && u.exp[0]![0] < since) u.exp.shift();
    u.exp.push([e.ts, e.idx, e.id, records]);
    if (u.exp.length > 2000) u.exp.shift();
    const r = t.exports;
    if (!r.enabled || e.ts < u.expAlertedUntil) return;
    const total = u.exp.reduce((s, x) => s + x[3], 0);
    const personal = r.personalFactor * u.expBase;
    if (total < r.maxRecordsPerHour || total < personal) return;
    u.expAlertedUntil = e.ts + HOUR;
    out.push({
      rule: 'exports', orgId: e.orgId, userId: e.actorId!, ts: e.ts, since: u.exp[0]![0],
      explanation: `${name} downloaded or exported ${total} records within an hour (${plural(u.exp.length, 'action', 'actions')}); the organisation's limit is ${r.maxRecordsPerHour} an hour` +
        (u.expBase > 0 ? ` and their usual export hour is about ${round(u.expBase)}.` : ' and they have not exported before.'),
      evidence: evidenceOf(u.exp),
      facts: { records: total, actions: u.exp.length, usual: Number(u.expBase.toFixed(1)), limit: r.maxRecordsPerHour },
    });
  }

  // ------------------------------------------------------------ rule 5: repeated denied access

  private denied(out: InsiderAlert[], e: InsiderEvent, userId: string, t: InsiderThresholds): void {
    const u = this.user(e.orgId, userId, e.ts);
    const r = t.denied;
    const since = e.ts - r.windowMinutes * MINUTE;
    while (u.den.length && u.den[0]![0] < since) u.den.shift();
    pushRef(u.den, refOf(e), 500);
    if (!r.enabled || e.ts < u.denAlertedUntil || u.den.length < r.count) return;
    u.denAlertedUntil = e.ts + r.windowMinutes * MINUTE;
    const name = this.ctx.person(e.orgId, userId)?.name ?? 'A user';
    out.push({
      rule: 'denied', orgId: e.orgId, userId, ts: e.ts, since: u.den[0]![0],
      explanation: `${name} was refused ${u.den.length} times in ${r.windowMinutes} minutes (the organisation's limit is ${r.count}).`,
      evidence: evidenceOf(u.den),
      facts: { refusals: u.den.length, windowMinutes: r.windowMinutes },
    });
  }

  // ------------------------------------------------------------ rule 6: sensitive action from a new network or device soon after sign-in

  private newNetwork(out: InsiderAlert[], e: InsiderEvent, u: UserState, read: 'reveal' | 'read' | null, records: number, name: string, t: InsiderThresholds, tz: string): void {
    const r = t.new_network;
    const net = networkOf(e.sourceIp);
    if (e.action === 'auth.signin') {
      const device = typeof e.details?.device === 'string' ? e.details.device : null;
      const established = u.signins >= r.minSignins;
      const newNet = established && net !== null && !u.nets.has(net);
      const newDev = established && device !== null && u.devs.size > 0 && !u.devs.has(device);
      u.sess = newNet || newDev ? { ts: e.ts, net, newNet, newDev, reveals: 0, evid: [refOf(e)], alerted: false } : null;
      u.signins++;
      if (net) setCapped(u.nets, net, e.ts, 50);
      if (device) setCapped(u.devs, device, e.ts, 20);
      return;
    }
    const s = u.sess;
    if (!s || s.alerted || !r.enabled) return;
    if (e.ts - s.ts > r.withinMinutes * MINUTE) {
      u.sess = null;
      return;
    }
    // Only what this new session does counts.
    if (s.net !== null && net !== null && net !== s.net) return;
    const sensitive = isSensitiveAction(e.action);
    const dataOut = read === 'reveal' || records > 0;
    if (dataOut) s.reveals++;
    if (!sensitive && !dataOut) return;
    pushRef(s.evid, refOf(e));
    if (!sensitive && s.reveals < r.minReveals) return;
    s.alerted = true;
    const where = [s.newNet ? `a network never seen for them (${s.net})` : '', s.newDev ? 'a new device' : ''].filter(Boolean).join(' and ');
    const what = sensitive ? `${e.action}` : `${plural(s.reveals, 'reveal or download', 'reveals or downloads')} of customer data`;
    out.push({
      rule: 'new_network', orgId: e.orgId, userId: e.actorId!, ts: e.ts, since: s.ts,
      explanation: `${name} signed in from ${where} at ${dateTime(tz, s.ts)} and within ${Math.max(1, round((e.ts - s.ts) / MINUTE))} minutes did ${what}.`,
      evidence: evidenceOf(s.evid),
      facts: { newNetwork: s.newNet, newDevice: s.newDev, network: s.net, minutesAfterSignin: round((e.ts - s.ts) / MINUTE), action: e.action },
    });
  }

  // ------------------------------------------------------------ rule 7: dormant account active again

  private dormant(out: InsiderAlert[], e: InsiderEvent, u: UserState, known: boolean, name: string, t: InsiderThresholds, tz: string): void {
    const r = t.dormant;
    if (!known || !r.enabled) return;
    const gap = e.ts - u.lastTs;
    if (gap < r.days * DAY) return;
    out.push({
      rule: 'dormant', orgId: e.orgId, userId: e.actorId!, ts: e.ts, since: u.lastTs,
      explanation: `${name}'s account did nothing for ${Math.floor(gap / DAY)} days (last active ${dateTime(tz, u.lastTs)}) and is active again: ${e.action} at ${dateTime(tz, e.ts)}.`,
      evidence: [{ id: e.id, idx: e.idx }],
      facts: { daysInactive: Math.floor(gap / DAY), action: e.action, limitDays: r.days },
    });
  }

  // ------------------------------------------------------------ rule 8: a permission granted and used within minutes

  private grantUse(out: InsiderAlert[], e: InsiderEvent, u: UserState, name: string, t: InsiderThresholds): void {
    const perms = permissionsOf(e.action);
    const g = u.grant;
    if (g && !g.alerted && t.grant_use.enabled) {
      const r = t.grant_use;
      if (e.ts - g.ts > r.withinMinutes * MINUTE) u.grant = null;
      else if (g.ts - u.firstTs >= r.minHistoryDays * DAY) {
        const fresh = perms.filter((p) => !u.perms.has(p));
        if (fresh.length > 0 && e.idx !== g.ref[1]) {
          g.alerted = true;
          const self = g.by === e.actorId;
          out.push({
            rule: 'grant_use', orgId: e.orgId, userId: e.actorId!, ts: e.ts, since: g.ts,
            explanation: `${name} was given a new role${self ? ' by themselves' : ''} and ${Math.max(1, round((e.ts - g.ts) / MINUTE))} minutes later used ${fresh.join(', ')} (${e.action}), which they had never used before.`,
            evidence: [{ idx: g.ref[1], id: g.ref[2] }, { idx: e.idx, id: e.id }],
            facts: { permissions: fresh.join(','), minutesAfterGrant: round((e.ts - g.ts) / MINUTE), grantedBy: g.by, selfGranted: self },
          });
        }
      }
    }
    for (const p of perms) u.perms.add(p);
  }

  // ------------------------------------------------------------ rule 9: access by someone whose deactivation is scheduled

  private dayRoll(u: UserState, ts: number): void {
    const day = Math.floor(ts / DAY);
    if (day === u.day) return;
    if (u.day >= 0 && u.dayCount > 0) {
      if (u.dayN === 0) u.dayMean = u.dayCount;
      else {
        // One extraordinary day (an alert's) moves the baseline only as far as an ordinary busy day would.
        const x = u.dayN < 5 ? u.dayCount : Math.min(u.dayCount, 2.5 * u.dayMean + 5);
        const d = x - u.dayMean;
        u.dayMean += 0.15 * d;
        u.dayVar = 0.85 * (u.dayVar + 0.15 * d * d);
      }
      u.dayN++;
    }
    u.day = day;
    u.dayCount = 0;
    u.dayEvid = [];
    u.dayAlerted = false;
  }

  private leaver(out: InsiderAlert[], e: InsiderEvent, u: UserState, person: Person | undefined, n: number, name: string, t: InsiderThresholds, tz: string): void {
    u.dayCount += n;
    pushRef(u.dayEvid, refOf(e));
    const r = t.leaver;
    if (!r.enabled || u.dayAlerted || !person?.deactivationAt || e.ts >= person.deactivationAt || u.dayN < 5) return;
    // How busy everyone else is today (the person's own reads left out).
    const org = this.org(e.orgId);
    const lh = localHour(tz, e.ts);
    const expected = org.dayExpected + this.orgExpected(org, lh.how, lh.hour) * Math.max(0.25, (e.ts % HOUR) / HOUR);
    const load = expected >= 50 ? Math.min(4, Math.max(1, (org.dayActual + org.hourCount - u.dayCount) / expected)) : 1;
    const sd = Math.sqrt(u.dayVar);
    const limit = Math.max(r.minEvents, r.factor * u.dayMean * load, (u.dayMean + r.sigmas * Math.max(sd, Math.sqrt(u.dayMean))) * load);
    if (u.dayCount < limit) return;
    u.dayAlerted = true;
    out.push({
      rule: 'leaver', orgId: e.orgId, userId: e.actorId!, ts: e.ts, since: u.dayEvid[0]![0],
      explanation: `${name}, whose account is to be deactivated on ${dateTime(tz, person.deactivationAt)}, read or took out customer data ${u.dayCount} times today; their usual day is about ${round(u.dayMean)} ± ${round(sd)}${load > 1.05 ? ` (the organisation is ${load.toFixed(1)}× busier than usual today, already allowed for)` : ''}.`,
      evidence: evidenceOf(u.dayEvid),
      facts: { today: u.dayCount, usualDay: Number(u.dayMean.toFixed(1)), usualSd: Number(sd.toFixed(1)), loadFactor: Number(load.toFixed(2)), deactivationAt: new Date(person.deactivationAt).toISOString() },
    });
  }

  // ------------------------------------------------------------ state in and out (runner.ts stores it as JSON)

  exportUser(key: string): unknown {
    const u = this.users.get(key);
    if (!u) return null;
    return { ...u, related: [...u.related], nets: [...u.nets], devs: [...u.devs], perms: [...u.perms] };
  }

  importUser(key: string, raw: unknown): void {
    const v = raw as Record<string, unknown>;
    const base = newUserState(Number(v.firstTs) || 0);
    const u = { ...base, ...v } as unknown as UserState;
    u.related = new Map((v.related as Array<[string, number]>) ?? []);
    u.nets = new Map((v.nets as Array<[string, number]>) ?? []);
    u.devs = new Map((v.devs as Array<[string, number]>) ?? []);
    u.perms = new Set((v.perms as string[]) ?? []);
    this.users.set(key, u);
  }

  exportOrg(orgId: string, now: number, relationDays = DEFAULT_THRESHOLDS.unrelated.relationDays): unknown {
    const o = this.orgs.get(orgId);
    if (!o) return null;
    const horizon = now - relationDays * DAY;
    const teams = [...o.teams].map(([team, m]) => [team, [...m].filter(([, ts]) => ts >= horizon)]);
    return { ...o, teams };
  }

  importOrg(orgId: string, raw: unknown): void {
    const v = raw as Record<string, unknown>;
    const o = { ...newOrgState(), ...v } as unknown as OrgState;
    o.teams = new Map(((v.teams as Array<[string, Array<[string, number]>]>) ?? []).map(([team, m]) => [team, new Map(m)]));
    this.orgs.set(orgId, o);
  }
}
