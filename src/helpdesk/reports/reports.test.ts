import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, buildUser, signIn, signInAs, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { insertTicket } from '../tickets/records.js';
import { createCustomer } from '../customers/customers.service.js';
import { reportCsv } from './export.js';
import { backlogSeries, daysBetween } from './queries.js';
import '../csat/schema.js';
import '../sla/schema.js';

describe('report helpers', () => {
  it('lists every day of a range, across a month end', () => {
    expect(daysBetween('2026-02-27', '2026-03-02')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
  });
  it('walks the backlog back from the tickets open now', () => {
    const days = ['d1', 'd2'];
    // 5 open now; since the range: 2 created, 1 resolved → 4 open at the end of d2; d2 created 3, solved 1 → 2 at the end of d1.
    expect(backlogSeries(days, new Map([['d2', 3]]), new Map([['d2', 1]]), { openNow: 5, createdAfter: 2, resolvedAfter: 1 })).toEqual([2, 4]);
  });
  it('CSV cells that a spreadsheet would evaluate are neutralised', () => {
    const base = { scope: 'org' as const, range: { from: 'a', to: 'b', timeZone: 'UTC' }, volume: [], times: { firstResponse: { count: 0, p50: null, p90: null }, resolution: { count: 0, p50: null, p90: null } },
      sla: { firstResponse: { met: 0, breached: 0, pending: 0, attainment: null }, resolution: { met: 0, breached: 0, pending: 0, attainment: null } },
      csat: { good: 0, bad: 0, score: null, days: [] }, threats: { verdicts: [], quarantined: null } };
    const csv = reportCsv('channels', { ...base, channels: [{ channel: '=HYPERLINK("http://evil.example","x")', count: 1 }, { channel: 'email', count: 2 }] });
    expect(csv).toBe('channel,tickets\r\n"\'=HYPERLINK(""http://evil.example"",""x"")",1\r\nemail,2\r\n');
  });
});

describe.each(testDatabaseKinds)('reports on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let teamA: string;
  let teamB: string;
  let admin: SignedIn;
  let lead: SignedIn;
  let a1: SignedIn;
  let a2Id: string;
  const q = '?from=2026-03-01&to=2026-03-03';
  const db = () => services.database.db;
  const at = (s: string) => new Date(`2026-${s}Z`);

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    org = await buildOrg(services);
    teamA = await buildTeam(services, org);
    teamB = await buildTeam(services, org);
    admin = await signIn(app, org, { roles: ['administrator'] });
    lead = await signIn(app, org, { roles: ['supervisor'], teamIds: [teamA] });
    a1 = await signIn(app, org, { roles: ['agent'], teamIds: [teamA] });
    a2Id = (await buildUser(services, org, { roles: ['agent'], teamIds: [teamA] })).userId;
    const b1Id = (await buildUser(services, org, { roles: ['agent'], teamIds: [teamB] })).userId;
    const deps = await createHelpdeskDeps(services);
    const { id: customerId } = await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Reported Customer', email: 'reports@customer.example' });
    const mailboxB = randomUUID();
    await db().insertInto('mailboxes').values({ id: mailboxB, org_id: org.orgId, address: `b-${mailboxB.slice(0, 8)}@support.example`, name: 'B', team_id: teamB }).execute();
    type Seed = { team: string; assignee: string; channel: 'email' | 'web' | 'phone'; created: string; fr?: string; solved?: string; frDue?: string; resDue?: string; rating?: ['good' | 'bad', string]; verdict?: 'clean' | 'suspicious' };
    const seeds: Seed[] = [
      { team: teamA, assignee: a1.userId, channel: 'email', created: '02-27T10:00', solved: '03-02T08:00' }, // T0: before the range, solved in it
      { team: teamA, assignee: a1.userId, channel: 'email', created: '03-01T10:00', fr: '03-01T10:10', solved: '03-01T12:00', frDue: '03-01T11:00', resDue: '03-01T11:00', rating: ['good', '03-02T12:00'], verdict: 'suspicious' },
      { team: teamA, assignee: a2Id, channel: 'web', created: '03-01T11:00', fr: '03-01T11:30', solved: '03-02T11:00', rating: ['good', '03-02T13:00'] },
      { team: teamA, assignee: a1.userId, channel: 'email', created: '03-02T09:00', fr: '03-02T10:00', frDue: '03-02T09:30' },
      { team: teamA, assignee: a1.userId, channel: 'email', created: '03-03T08:00' },
      { team: teamB, assignee: b1Id, channel: 'phone', created: '03-01T09:00', fr: '03-01T09:05', solved: '03-01T09:30', rating: ['bad', '03-01T10:00'], verdict: 'clean' },
      { team: teamA, assignee: a1.userId, channel: 'email', created: '03-05T09:00' }, // after the range, still open
    ];
    await db().transaction().execute(async (trx) => {
      for (const s of seeds) {
        const t = await insertTicket(trx, deps, { orgId: org.orgId, subject: 'Private subject', channel: s.channel, requesterId: customerId, teamId: s.team, assigneeId: s.assignee });
        await trx.updateTable('tickets').set({
          status: s.solved ? 'solved' : 'open', created_at: at(s.created), first_response_at: s.fr ? at(s.fr) : null, solved_at: s.solved ? at(s.solved) : null,
          first_response_due_at: s.frDue ? at(s.frDue) : null, resolution_due_at: s.resDue ? at(s.resDue) : null,
        }).where('id', '=', t.id).execute();
        if (s.rating) await trx.insertInto('csat_ratings').values({ id: randomUUID(), org_id: org.orgId, ticket_id: t.id, customer_id: customerId, survey_id: null, rating: s.rating[0], comment_enc: null, source: 'portal', rated_at: at(s.rating[1]) }).execute();
        if (s.verdict) {
          await trx.insertInto('messages').values({ id: randomUUID(), org_id: org.orgId, ticket_id: t.id, kind: 'inbound_email', author_type: 'customer', customer_id: customerId, body_enc: null, html_enc: null, raw_enc: null, raw_size: null, message_id_hash: null, message_id_enc: null, redactions: '[]', threat_score: 10, threat_verdict: s.verdict, threat_reasons_enc: null, delivery_status: null, created_at: at(s.created) }).execute();
        }
      }
      await trx.insertInto('quarantine').values({ id: randomUUID(), org_id: org.orgId, mailbox_id: mailboxB, reason: 'phishing', raw_enc: Buffer.from('x'), raw_size: 1, created_at: at('03-02T10:00') }).execute();
      await trx.insertInto('quarantine').values({ id: randomUUID(), org_id: org.orgId, mailbox_id: null, reason: 'malformed', raw_enc: Buffer.from('x'), raw_size: 1, created_at: at('03-03T10:00') }).execute();
      await trx.insertInto('quarantine').values({ id: randomUUID(), org_id: org.orgId, mailbox_id: null, reason: 'malformed', raw_enc: Buffer.from('x'), raw_size: 1, created_at: at('03-04T10:00') }).execute();
    });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  const get = (who: SignedIn, query: string) => app.inject({ method: 'GET', url: `/api/reports${query}`, headers: who.headers });

  it('gives the organisation’s figures to an administrator, with known answers, without decrypting anything', async () => {
    const keyring = services.keyring;
    const decrypt = keyring.decrypt.bind(keyring);
    let decrypted = 0;
    keyring.decrypt = (async (...args: Parameters<typeof decrypt>) => (decrypted++, decrypt(...args))) as typeof keyring.decrypt;
    let res;
    try {
      res = await get(admin, q);
    } finally {
      keyring.decrypt = decrypt;
    }
    expect(res.statusCode).toBe(200);
    expect(decrypted).toBe(0);
    const r = res.json();
    expect(r.scope).toBe('org');
    expect(r.volume).toEqual([
      { day: '2026-03-01', created: 3, solved: 2, backlog: 2 },
      { day: '2026-03-02', created: 1, solved: 2, backlog: 1 },
      { day: '2026-03-03', created: 1, solved: 0, backlog: 2 },
    ]);
    // First responses 5, 10, 30, 60 min; resolutions 30, 120, 1440, 4200 min (interpolated percentiles).
    expect(r.times).toEqual({ firstResponse: { count: 4, p50: 20, p90: 51 }, resolution: { count: 4, p50: 780, p90: 3372 } });
    expect(r.sla).toEqual({ firstResponse: { met: 1, breached: 1, pending: 0, attainment: 50 }, resolution: { met: 0, breached: 1, pending: 0, attainment: 0 } });
    expect(r.csat).toEqual({ good: 2, bad: 1, score: 66.7, days: [{ day: '2026-03-01', good: 0, bad: 1 }, { day: '2026-03-02', good: 2, bad: 0 }] });
    expect(r.channels).toEqual([{ channel: 'email', count: 3 }, { channel: 'phone', count: 1 }, { channel: 'web', count: 1 }]);
    expect(r.threats.verdicts).toEqual([{ verdict: 'clean', count: 1 }, { verdict: 'suspicious', count: 1 }]);
    expect(r.threats.quarantined).toEqual([{ reason: 'malformed', count: 1 }, { reason: 'phishing', count: 1 }]);
    expect(r.filters.teams.map((t: { id: string }) => t.id).sort()).toEqual([teamA, teamB].sort());
    expect(JSON.stringify(r)).not.toContain('Private subject');
  }, 120_000); // the file's first request pays for loading the routes' modules

  it('counts days in the time zone asked for', async () => {
    // 09:00Z-11:00Z on 03-01 is still 03-01 in Los Angeles (UTC-8), and 08:00Z on 03-03 is its first minute.
    const r = (await get(admin, `${q}&timeZone=America/Los_Angeles`)).json();
    expect(r.range.timeZone).toBe('America/Los_Angeles');
    expect(r.volume.map((d: { created: number }) => d.created)).toEqual([3, 1, 1]);
    expect((await get(admin, `${q}&timeZone=Mars/Olympus`)).statusCode).toBe(400);
  });

  it('a team lead sees their team only; another team’s figures stay invisible, even when asked for', async () => {
    const r = (await get(lead, q)).json();
    expect(r.scope).toBe('team');
    expect(r.volume.map((d: { created: number }) => d.created)).toEqual([2, 1, 1]);
    expect(r.channels).toEqual([{ channel: 'email', count: 3 }, { channel: 'web', count: 1 }]);
    expect(r.csat).toMatchObject({ good: 2, bad: 0 });
    expect(r.threats.verdicts).toEqual([{ verdict: 'suspicious', count: 1 }]);
    expect(r.threats.quarantined).toEqual([]);
    expect(r.filters.teams.map((t: { id: string }) => t.id)).toEqual([teamA]);
    const asked = (await get(lead, `${q}&teamId=${teamB}`)).json();
    expect(asked.volume.every((d: { created: number; solved: number }) => d.created === 0 && d.solved === 0)).toBe(true);
    expect(asked.channels).toEqual([]);
    expect(asked.csat.bad).toBe(0);
    expect(asked.threats).toEqual({ verdicts: [], quarantined: [] });
  });

  it('an agent sees only their own tickets; filters cannot widen it', async () => {
    const r = (await get(a1, q)).json();
    expect(r.scope).toBe('own');
    expect(r.volume.map((d: { created: number }) => d.created)).toEqual([1, 1, 1]);
    expect(r.times.firstResponse).toEqual({ count: 2, p50: 35, p90: 55 });
    expect(r.threats.quarantined).toBeNull();
    expect(r.filters).toEqual({ teams: [], agents: [] });
    const other = (await get(a1, `${q}&agentId=${a2Id}`)).json();
    expect(other.volume.every((d: { created: number }) => d.created === 0)).toBe(true);
    expect(other.csat.good).toBe(0);
  });

  it('filters by agent for an administrator', async () => {
    const r = (await get(admin, `${q}&agentId=${a2Id}`)).json();
    expect(r.volume.map((d: { created: number }) => d.created)).toEqual([1, 0, 0]);
    expect(r.threats.quarantined).toBeNull();
  });

  it('refuses bad ranges, anonymous callers and roles without reports.read; another organisation sees none of it', async () => {
    expect((await get(admin, '?from=2026-03-03&to=2026-03-01')).statusCode).toBe(400);
    expect((await get(admin, '?from=2025-01-01&to=2026-03-01')).statusCode).toBe(400);
    expect((await get(admin, '?from=yesterday&to=2026-03-01')).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: `/api/reports${q}` })).statusCode).toBe(401);
    const noReports = await buildUser(services, org, { roles: [] });
    expect((await get(await signInAs(app, noReports), q)).statusCode).toBe(403);
    const other = await buildOrg(services);
    const foreign = (await get(await signIn(app, other, { roles: ['administrator'] }), q)).json();
    expect(foreign.volume.every((d: { created: number }) => d.created === 0)).toBe(true);
    expect(foreign.csat.good + foreign.csat.bad).toBe(0);
    expect(foreign.threats.quarantined).toEqual([]);
  });

  it('exports each report as CSV and audits every read with its filters only', async () => {
    const before = await db().selectFrom('audit_log').where('action', '=', 'report.read').select('seq').execute();
    const res = await app.inject({ method: 'GET', url: `/api/reports/export${q}&report=volume`, headers: lead.headers });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toBe('attachment; filename="trustdesk-volume-2026-03-01-2026-03-03.csv"');
    // A watermark line first (who, when, which device: docs/devices.md), then the report.
    expect(res.body).toMatch(/^"# trustdesk-export; exported_by=[^"]+; exported_at=\d{4}-[^"]+; device=none \(unregistered\)"\r\n/);
    expect(res.body.slice(res.body.indexOf('\r\n') + 2)).toBe('day,created,solved,backlog\r\n2026-03-01,2,1,2\r\n2026-03-02,1,2,1\r\n2026-03-03,1,0,2\r\n');
    for (const report of ['times', 'sla', 'csat', 'channels', 'threats']) {
      const r = await app.inject({ method: 'GET', url: `/api/reports/export${q}&report=${report}`, headers: admin.headers });
      expect(r.statusCode, report).toBe(200);
      expect(r.body.split('\r\n').length).toBeGreaterThan(2);
    }
    expect((await app.inject({ method: 'GET', url: `/api/reports/export${q}&report=customers`, headers: admin.headers })).statusCode).toBe(400);
    const rows = await db().selectFrom('audit_log').where('action', '=', 'report.read').select(['details', 'subject']).execute();
    expect(rows.length - before.length).toBe(6);
    const last = rows.find((x) => (x.details as { report?: string } | null)?.report === 'export:volume');
    expect(last?.details).toMatchObject({ scope: 'team', from: '2026-03-01', to: '2026-03-03' });
    expect(last?.subject ?? null).toBeNull();
  });
});
