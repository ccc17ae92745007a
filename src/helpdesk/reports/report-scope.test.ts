/**
 * The CSAT and phishing-verdict reports count ratings and analysed messages by a copy of their
 * ticket's team and assignee (migration 0024, decision 0163). An auditor's check: after a random mix
 * of the writes that move a ticket or its rows — creates, solves, reopens, reassignments, team
 * moves, ratings changed and deleted, messages moved (merge, split), verdicts set later, deletions,
 * and a writer trying to set a copy itself — every copy equals its ticket's values, and the figures
 * equal those computed by joining the base rows, for every scope; nothing is decrypted.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, buildUser, type TestOrg } from '../../identity/auth/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../tickets/context.js';
import { insertMessage, insertTicket } from '../tickets/records.js';
import { createCustomer } from '../customers/customers.service.js';
import { csatPerDay, phishingVerdicts, ticketFilter, type ReportFilter } from './queries.js';
import { computeDashboard } from './reports.service.js';
import '../csat/schema.js';

/** A small deterministic generator, so a failure replays. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32);
}

describe.each(testDatabaseKinds)('report scope copies on %s', (kind) => {
  let services: Services;
  let deps: HelpdeskDeps;
  let org: TestOrg;
  let teams: string[];
  let agents: string[];
  let customerId: string;
  const db = () => services.database.db;
  const day = (d: number, h = 10) => new Date(Date.UTC(2026, 2, d, h));

  beforeAll(async () => {
    services = await createTestServices(kind);
    deps = await createHelpdeskDeps(services);
    org = await buildOrg(services);
    teams = [await buildTeam(services, org), await buildTeam(services, org), await buildTeam(services, org)];
    agents = [];
    for (const [i, team] of teams.entries()) agents.push((await buildUser(services, org, { roles: ['agent'], teamIds: [team, teams[(i + 1) % teams.length] as string] })).userId);
    customerId = (await createCustomer(deps, { orgId: org.orgId, actor: { type: 'system' } }, { name: 'Scoped Customer', email: 'scope@customer.example' })).id;

    const rnd = prng(163);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const maybe = <T,>(xs: readonly T[]): T | null => (rnd() < 0.2 ? null : pick(xs));
    const verdicts = ['clean', 'suspicious', 'phishing'] as const;
    const tickets: string[] = [];
    const messages: string[] = [];
    const plainMessages: string[] = [];
    await db().transaction().execute(async (trx) => {
      const create = async () => {
        const t = await insertTicket(trx, deps, { orgId: org.orgId, subject: 'Private subject', channel: 'email', requesterId: customerId, teamId: maybe(teams), assigneeId: maybe(agents) });
        await trx.updateTable('tickets').set({ created_at: day(1 + Math.floor(rnd() * 5)) }).where('id', '=', t.id).execute();
        tickets.push(t.id);
        const threat = { score: 10, verdict: pick(verdicts), reasons: [] };
        const m = await insertMessage(trx, deps, { orgId: org.orgId, ticketId: t.id, kind: 'inbound_email', authorType: 'customer', customerId, body: 'Private body', threat });
        await trx.updateTable('messages').set({ created_at: day(1 + Math.floor(rnd() * 5), 11) }).where('id', '=', m.id).execute();
        messages.push(m.id);
        const plain = await insertMessage(trx, deps, { orgId: org.orgId, ticketId: t.id, kind: 'internal_note', authorType: 'system', customerId, body: 'Note' });
        plainMessages.push(plain.id);
      };
      for (let i = 0; i < 6; i++) await create();
      for (let step = 0; step < 80; step++) {
        const ticket = pick(tickets);
        const op = Math.floor(rnd() * 11);
        if (op === 0) await create();
        else if (op === 1) await trx.updateTable('tickets').set({ status: 'solved', solved_at: day(3 + Math.floor(rnd() * 3)) }).where('id', '=', ticket).execute();
        else if (op === 2) await trx.updateTable('tickets').set({ status: 'open', solved_at: null }).where('id', '=', ticket).execute();
        else if (op === 3) await trx.updateTable('tickets').set({ assignee_id: maybe(agents) }).where('id', '=', ticket).execute();
        else if (op === 4) await trx.updateTable('tickets').set({ team_id: maybe(teams) }).where('id', '=', ticket).execute();
        else if (op === 5) {
          // A rating, or the customer changing their answer (one per ticket).
          await trx.insertInto('csat_ratings')
            .values({ id: randomUUID(), org_id: org.orgId, ticket_id: ticket, customer_id: customerId, survey_id: null, rating: rnd() < 0.7 ? 'good' : 'bad', comment_enc: null, source: 'portal', rated_at: day(2 + Math.floor(rnd() * 4), 12) })
            .onConflict((oc) => oc.column('ticket_id').doUpdateSet((eb) => ({ rating: eb.ref('excluded.rating'), rated_at: eb.ref('excluded.rated_at') })))
            .execute();
        } else if (op === 6) await trx.deleteFrom('csat_ratings').where('ticket_id', '=', ticket).execute();
        else if (op === 7) {
          // A merge or split moves messages to another ticket.
          const moved = pick(messages);
          await trx.updateTable('messages').set({ ticket_id: ticket }).where('id', '=', moved).execute();
          await trx.updateTable('search_tokens').set({ ticket_id: ticket }).where('message_id', '=', moved).execute();
        } else if (op === 8) {
          // A message analysed after it was stored.
          const plain = plainMessages.pop();
          if (plain) {
            await trx.updateTable('messages').set({ threat_score: 50, threat_verdict: pick(verdicts) }).where('id', '=', plain).execute();
            messages.push(plain);
          }
        } else if (op === 9 && messages.length > 3) {
          const gone = messages.splice(Math.floor(rnd() * messages.length), 1)[0] as string;
          await trx.deleteFrom('search_tokens').where('message_id', '=', gone).execute();
          await trx.deleteFrom('messages').where('id', '=', gone).execute();
        } else if (op === 10) {
          // A writer cannot set a copy: the trigger takes the ticket's values.
          await sql`UPDATE csat_ratings SET ticket_team_id = ${pick(teams)}, ticket_assignee_id = ${pick(agents)} WHERE ticket_id = ${ticket}`.execute(trx);
          await sql`UPDATE messages SET ticket_team_id = ${pick(teams)}, ticket_assignee_id = ${pick(agents)} WHERE ticket_id = ${ticket}`.execute(trx);
        }
      }
      // Last, every ticket moves, so no later write of a rating or message refreshes the copies.
      for (const [i, ticket] of tickets.entries()) {
        await trx.updateTable('tickets').set({ team_id: i % 4 === 3 ? null : (teams[i % 3] as string), assignee_id: i % 5 === 4 ? null : (agents[(i + 1) % 3] as string) }).where('id', '=', ticket).execute();
      }
    });
  });
  afterAll(async () => {
    await services?.close();
  });

  it('keeps every rating’s and analysed message’s copy equal to its ticket’s team and assignee', async () => {
    const ratings = await sql<{ n: number; wrong: number }>`
      SELECT count(*)::int AS n, count(*) FILTER (WHERE (r.ticket_team_id, r.ticket_assignee_id) IS DISTINCT FROM (t.team_id, t.assignee_id))::int AS wrong
        FROM csat_ratings r JOIN tickets t ON t.id = r.ticket_id WHERE r.org_id = ${org.orgId}`.execute(db());
    const analysed = await sql<{ n: number; wrong: number }>`
      SELECT count(*)::int AS n, count(*) FILTER (WHERE (m.ticket_team_id, m.ticket_assignee_id) IS DISTINCT FROM (t.team_id, t.assignee_id))::int AS wrong
        FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.org_id = ${org.orgId} AND m.threat_verdict IS NOT NULL`.execute(db());
    // The mix left ratings and analysed messages to check, with and without a team or an assignee.
    expect(Number(ratings.rows[0]?.n)).toBeGreaterThan(3);
    expect(Number(analysed.rows[0]?.n)).toBeGreaterThan(5);
    expect(Number(ratings.rows[0]?.wrong)).toBe(0);
    expect(Number(analysed.rows[0]?.wrong)).toBe(0);
  });

  it('gives the figures a join of the base rows gives, for every scope and filter', async () => {
    const base = { orgId: org.orgId, start: day(1, 0), end: day(7, 0), timeZone: 'UTC', now: day(8), teamIds: [] as string[], userId: randomUUID() };
    const filters: ReportFilter[] = [
      { ...base, scope: 'org' },
      { ...base, scope: 'org', teamId: teams[0] },
      { ...base, scope: 'org', agentId: agents[1] },
      { ...base, scope: 'team', teamIds: [teams[0] as string, teams[2] as string], userId: agents[1] as string },
      { ...base, scope: 'team', teamIds: [], userId: agents[2] as string },
      { ...base, scope: 'own', userId: agents[0] as string },
      { ...base, scope: 'own', userId: agents[2] as string, teamId: teams[1] },
    ];
    let nonEmpty = 0;
    for (const f of filters) {
      const joinedCsat = await sql<{ day: string; good: number; bad: number }>`
        SELECT to_char((r.rated_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day,
               count(*) FILTER (WHERE r.rating = 'good')::int AS good, count(*) FILTER (WHERE r.rating = 'bad')::int AS bad
          FROM csat_ratings r JOIN tickets t ON t.id = r.ticket_id
         WHERE r.org_id = ${f.orgId} AND r.rated_at >= ${f.start} AND r.rated_at < ${f.end} AND ${ticketFilter(f)}
         GROUP BY 1 ORDER BY 1`.execute(db());
      const joinedVerdicts = await sql<{ verdict: string; n: number }>`
        SELECT m.threat_verdict AS verdict, count(*)::int AS n
          FROM messages m JOIN tickets t ON t.id = m.ticket_id
         WHERE m.org_id = ${f.orgId} AND m.threat_verdict IS NOT NULL AND m.created_at >= ${f.start} AND m.created_at < ${f.end} AND ${ticketFilter(f)}
         GROUP BY 1 ORDER BY 2 DESC, 1`.execute(db());
      const csat = await csatPerDay(db(), f);
      const verdicts = await phishingVerdicts(db(), f);
      expect(csat).toEqual(joinedCsat.rows.map((x) => ({ day: x.day, good: Number(x.good), bad: Number(x.bad) })));
      expect(verdicts).toEqual(joinedVerdicts.rows.map((x) => ({ verdict: x.verdict, count: Number(x.n) })));
      if (csat.length && verdicts.length) nonEmpty++;
    }
    // The comparison is not between empty lists.
    expect(nonEmpty).toBeGreaterThan(3);
  });

  it('computes the dashboard without decrypting customer data', async () => {
    const keyring = services.keyring;
    const decrypt = keyring.decrypt.bind(keyring);
    let decrypted = 0;
    keyring.decrypt = (async (...args: Parameters<typeof decrypt>) => (decrypted++, decrypt(...args))) as typeof keyring.decrypt;
    try {
      const f: ReportFilter = { orgId: org.orgId, scope: 'team', teamIds: [teams[0] as string], userId: agents[0] as string, start: day(1, 0), end: day(7, 0), timeZone: 'UTC', now: day(8) };
      const d = await computeDashboard(deps, f, { from: '2026-03-01', to: '2026-03-06' });
      expect(d.csat.good + d.csat.bad + d.threats.verdicts.length).toBeGreaterThan(0);
    } finally {
      keyring.decrypt = decrypt;
    }
    expect(decrypted).toBe(0);
  });
});
