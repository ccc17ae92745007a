/**
 * Each rule fires on its scenario and stays quiet on the near miss; state
 * carried through export/import gives the same alerts as one uninterrupted
 * run; suppressions; threshold validation. Pure: hand-made streams, no database.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, validateThresholds, type InsiderThresholds, type RuleKey } from './config.js';
import { InsiderEngine, type InsiderAlert, type Person } from './engine.js';
import type { InsiderEvent } from './events.js';

const ORG = 'org-1';
const DANA = 'u-dana';
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Monday 2 March 2026, 00:00 UTC. */
const T0 = Date.UTC(2026, 2, 2);

class Stream {
  events: InsiderEvent[] = [];
  private n = 0;
  add(ts: number, action: string, extra: Partial<InsiderEvent> = {}): InsiderEvent {
    const e: InsiderEvent = { idx: 0, id: '', ts, orgId: ORG, actorType: 'user', actorId: DANA, action, objectType: null, objectId: null, subject: null, result: 'success', sourceIp: '198.51.100.7', details: null, ...extra };
    this.events.push(e);
    return e;
  }
  /** Weekdays 9–17 UTC: sign-in from the office, the team queue, two tickets and one reveal an hour. */
  history(days: number, who = DANA, from = 0): this {
    for (let d = from; d < from + days; d++) {
      if (d % 7 >= 5) continue;
      const day = T0 + d * DAY;
      this.add(day + 9 * HOUR, 'auth.signin', { actorId: who, objectType: 'user', objectId: who, details: { factor: 'password', device: 'ua1:laptop' } });
      for (let h = 9; h < 17; h++) {
        const t = day + h * HOUR + 5 * MIN;
        const c = `cs1:team-${(d * 8 + h) % 40}`;
        this.add(t, 'ticket.list', { actorId: who, details: { subjects: [c, `cs1:team-${(d * 8 + h + 1) % 40}`] } });
        this.add(t + MIN, 'ticket.read', { actorId: who, subject: c });
        this.add(t + 2 * MIN, 'customer.field.reveal', { actorId: who, subject: c });
        this.add(t + 20 * MIN, 'ticket.read', { actorId: who, subject: `cs1:team-${(d * 8 + h + 1) % 40}` });
        this.add(t + 25 * MIN, 'ticket.reply', { actorId: who, subject: c });
      }
    }
    return this;
  }
  run(options: { thresholds?: InsiderThresholds; people?: Record<string, Person>; suppressed?: (rule: RuleKey) => boolean } = {}): InsiderAlert[] {
    const sorted = this.events.slice().sort((a, b) => a.ts - b.ts);
    sorted.forEach((e, i) => Object.assign(e, { idx: i, id: `e${i}` }));
    const people = options.people ?? { [DANA]: { name: 'Dana', teams: ['team-a'], deactivationAt: null } };
    const engine = new InsiderEngine({
      person: (_o, id) => people[id],
      thresholds: () => options.thresholds ?? DEFAULT_THRESHOLDS,
      suppressed: (_o, _u, rule) => options.suppressed?.(rule) ?? false,
    });
    return sorted.flatMap((e) => engine.process(e));
  }
}

const only = (alerts: InsiderAlert[], rule: RuleKey) => alerts.filter((a) => a.rule === rule);
/** Wednesday of the third week, at an hour. */
const WED3 = (h: number, m = 0) => T0 + 16 * DAY + h * HOUR + m * MIN;

describe('insider rules', () => {
  it('volume: a burst far above the person’s own hour is explained against it; a busier hour within reach is not', () => {
    const s = new Stream().history(16);
    for (let i = 0; i < 30; i++) s.add(WED3(14, 1 + i), 'customer.field.reveal', { subject: `cs1:team-${i % 40}` });
    const a = only(s.run(), 'volume');
    expect(a).toHaveLength(1);
    expect(a[0]!.explanation).toMatch(/^Dana revealed \d+ customer fields between 14:00 and 15:00; their usual for Wednesday 14h is 1 ± 0/);
    expect(a[0]!.evidence.length).toBeGreaterThanOrEqual(15);

    const near = new Stream().history(16);
    for (let i = 0; i < 5; i++) near.add(WED3(14, 1 + i), 'customer.field.reveal', { subject: `cs1:team-${i}` });
    expect(only(near.run(), 'volume')).toEqual([]);
  });

  it('unrelated: customers nobody in the team worked on; the team queue’s customers are not', () => {
    const s = new Stream().history(10);
    for (let i = 0; i < 6; i++) s.add(WED3(11, i * 5), 'customer.read', { subject: `cs1:other-${i}` });
    const a = only(s.run(), 'unrelated');
    expect(a).toHaveLength(1);
    expect(a[0]!.explanation).toContain('Dana read 5 customers in 60 minutes');

    const near = new Stream().history(10);
    // Four strangers (below five), and many of the team's own customers.
    for (let i = 0; i < 4; i++) near.add(WED3(11, i * 5), 'customer.read', { subject: `cs1:other-${i}` });
    for (let i = 0; i < 20; i++) near.add(WED3(12, i), 'customer.read', { subject: `cs1:team-${i}` });
    expect(only(near.run(), 'unrelated')).toEqual([]);
  });

  it('off hours: data read at 02:00 by a nine-to-five person; the same at 11:00 is not', () => {
    const s = new Stream().history(15);
    for (let i = 0; i < 6; i++) s.add(WED3(2, i * 3), 'customer.field.reveal', { subject: `cs1:team-${i}` });
    const a = only(s.run(), 'off_hours');
    expect(a).toHaveLength(1);
    expect(a[0]!.explanation).toContain('outside the organisation\'s hours');

    const near = new Stream().history(15);
    for (let i = 0; i < 6; i++) near.add(WED3(11, i * 3), 'customer.field.reveal', { subject: `cs1:team-${i}` });
    expect(only(near.run(), 'off_hours')).toEqual([]);
  });

  it('exports: 80 attachments in an hour; 30 is not', () => {
    const s = new Stream().history(3);
    for (let i = 0; i < 80; i++) s.add(WED3(10) + i * 20_000, 'ticket.attachment.download', { subject: 'cs1:team-1' });
    expect(only(s.run(), 'exports')).toHaveLength(1);
    const near = new Stream().history(3);
    for (let i = 0; i < 30; i++) near.add(WED3(10) + i * 20_000, 'ticket.attachment.download', { subject: 'cs1:team-1' });
    expect(only(near.run(), 'exports')).toEqual([]);
  });

  it('denied: five refusals in fifteen minutes, failed sign-ins naming the account included; four are not', () => {
    const s = new Stream();
    for (let i = 0; i < 3; i++) s.add(WED3(10, i), 'access.denied', { result: 'denied' });
    for (let i = 0; i < 2; i++) s.add(WED3(10, 5 + i), 'auth.signin', { actorType: 'anonymous', actorId: null, objectType: 'user', objectId: DANA, result: 'failure' });
    const a = only(s.run(), 'denied');
    expect(a).toHaveLength(1);
    expect(a[0]!.userId).toBe(DANA);
    expect(a[0]!.evidence).toHaveLength(5);
    const near = new Stream();
    for (let i = 0; i < 4; i++) near.add(WED3(10, i * 3), 'access.denied', { result: 'denied' });
    for (let i = 0; i < 4; i++) near.add(WED3(12, i * 3), 'access.denied', { result: 'denied' });
    expect(only(near.run(), 'denied')).toEqual([]);
  });

  it('new network: a sign-in from an unseen network then three reveals within minutes; two reveals, or reveals an hour later, are not', () => {
    const make = (reveals: number, afterMin: number) => {
      const s = new Stream().history(10);
      s.add(WED3(20), 'auth.signin', { sourceIp: '185.220.101.4', objectType: 'user', objectId: DANA, details: { device: 'ua1:laptop' } });
      for (let i = 0; i < reveals; i++) s.add(WED3(20, afterMin + i), 'customer.field.reveal', { sourceIp: '185.220.101.4', subject: `cs1:team-${i}` });
      return only(s.run(), 'new_network');
    };
    const a = make(3, 5);
    expect(a).toHaveLength(1);
    expect(a[0]!.explanation).toContain('185.220.101.0/24');
    expect(make(2, 5)).toEqual([]);
    expect(make(3, 45)).toEqual([]);
  });

  it('dormant: active again after 25 silent days; back from a two-week holiday is not', () => {
    const s = new Stream().history(3);
    s.add(T0 + 28 * DAY + 10 * HOUR, 'auth.signin', { objectType: 'user', objectId: DANA });
    const a = only(s.run(), 'dormant');
    expect(a).toHaveLength(1);
    expect(a[0]!.explanation).toMatch(/did nothing for 2[45] days/);
    const near = new Stream().history(3).history(3, DANA, 17);
    expect(only(near.run(), 'dormant')).toEqual([]);
  });

  it('grant and use: a role given and something never used before done within minutes; later, or to a brand-new account, is not', () => {
    const make = (gapMin: number, historyDays: number) => {
      const s = new Stream().history(historyDays);
      s.add(WED3(11), 'user.roles_change', { actorId: 'u-admin', objectType: 'user', objectId: DANA, details: { added: ['r-admin'], removed: [] } });
      s.add(WED3(11, gapMin), 'role.update', { objectType: 'role', objectId: 'r-x' });
      return only(s.run({ people: { [DANA]: { name: 'Dana', teams: [], deactivationAt: null }, 'u-admin': { name: 'Ada', teams: [], deactivationAt: null } } }), 'grant_use');
    };
    const a = make(4, 10);
    expect(a).toHaveLength(1);
    expect(a[0]!.explanation).toContain('used roles.manage');
    expect(a[0]!.evidence).toHaveLength(2);
    expect(make(30, 10)).toEqual([]);
    expect(make(4, 0)).toEqual([]);
  });

  it('leaver: a day of heavy access before a scheduled deactivation; the same day by someone staying is not', () => {
    const people = (deactivationAt: number | null) => ({ [DANA]: { name: 'Dana', teams: ['team-a'], deactivationAt } });
    const s = new Stream().history(16);
    for (let i = 0; i < 40; i++) s.add(WED3(10) + i * 6 * MIN, 'customer.field.reveal', { subject: `cs1:team-${i % 40}` });
    const a = only(s.run({ people: people(T0 + 30 * DAY) }), 'leaver');
    expect(a).toHaveLength(1);
    expect(a[0]!.explanation).toContain('whose account is to be deactivated on');
    expect(only(s.run({ people: people(null) }), 'leaver')).toEqual([]);
  });

  it('a suppressed rule raises nothing for that person; other rules still do', () => {
    const s = new Stream();
    for (let i = 0; i < 6; i++) s.add(WED3(10, i), 'access.denied', { result: 'denied' });
    for (let i = 0; i < 90; i++) s.add(WED3(11) + i * 10_000, 'ticket.attachment.download', { subject: 'cs1:team-1' });
    const alerts = s.run({ suppressed: (rule) => rule === 'denied' });
    expect(alerts.map((a) => a.rule)).toEqual(['exports']);
  });

  it('state carried through export and import gives exactly the alerts of one uninterrupted run', () => {
    const s = new Stream().history(16);
    for (let i = 0; i < 30; i++) s.add(WED3(14, 1 + i), 'customer.field.reveal', { subject: `cs1:team-${i % 40}` });
    for (let i = 0; i < 6; i++) s.add(WED3(15, i), 'customer.read', { subject: `cs1:other-${i}` });
    const whole = s.run();
    expect(whole.length).toBeGreaterThanOrEqual(2);
    const events = s.events.slice().sort((a, b) => a.ts - b.ts);
    const ctx = { person: () => ({ name: 'Dana', teams: ['team-a'], deactivationAt: null }), thresholds: () => DEFAULT_THRESHOLDS };
    const first = new InsiderEngine(ctx);
    const cut = events.findIndex((e) => e.ts >= WED3(14, 10));
    const out = events.slice(0, cut).flatMap((e) => first.process(e));
    const second = new InsiderEngine(ctx);
    for (const key of first.users.keys()) second.importUser(key, JSON.parse(JSON.stringify(first.exportUser(key))));
    second.importOrg(ORG, JSON.parse(JSON.stringify(first.exportOrg(ORG, events[cut]!.ts))));
    second.cursor = first.cursor;
    // Replaying entries already evaluated changes nothing (the cursor), the rest continue where the first stopped.
    out.push(...events.flatMap((e) => second.process(e)));
    expect(out.map((a) => [a.rule, a.ts, a.explanation])).toEqual(whole.map((a) => [a.rule, a.ts, a.explanation]));
  });
});

describe('insider thresholds', () => {
  it('merges a partial document over the defaults', () => {
    const r = validateThresholds({ denied: { count: 8 }, off_hours: { timeZone: 'Europe/Berlin', days: [5, 1, 2] }, dormant: { days: 30 } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.denied).toEqual({ ...DEFAULT_THRESHOLDS.denied, count: 8 });
    expect(r.value.off_hours.days).toEqual([1, 2, 5]);
    expect(r.value.volume).toEqual(DEFAULT_THRESHOLDS.volume);
    expect(r.value.dormant.days).toBe(30);
    // Stored documents read back through the same check.
    expect(validateThresholds(JSON.parse(JSON.stringify(DEFAULT_THRESHOLDS)))).toEqual({ ok: true, value: DEFAULT_THRESHOLDS });
  });

  it('names every malformed field and applies none of them', () => {
    const r = validateThresholds({ volume: { sigmas: 0, minCount: 2.5, extra: 1 }, nope: {}, off_hours: { timeZone: 'Mars/Olympus', startHour: 20, endHour: 8, days: [7] }, denied: 'five', exports: { enabled: 'yes' } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.field).sort()).toEqual(['denied', 'exports.enabled', 'nope', 'off_hours.days', 'off_hours.endHour', 'off_hours.timeZone', 'volume.extra', 'volume.minCount', 'volume.sigmas']);
    expect(validateThresholds([]).ok).toBe(false);
    expect(validateThresholds(null).ok).toBe(false);
  });
});
