/**
 * bench:reports — the reports dashboard's queries (src/helpdesk/reports/queries.ts, exactly as the
 * app runs them) on 1,000,000 tickets of one organisation in PostgreSQL (plus 50,000 of another):
 * twelve months of tickets over 8 teams and 40 agents, five channels, four priorities, first
 * responses, resolutions, SLA due times, CSAT on a fifth of solved tickets, one inbound message per
 * ticket with a phishing verdict, and quarantined mail. Each query is timed for a 30-day and a
 * 12-month range and for the three scopes (organisation, one team, one agent): "cold" is its first
 * run on a fresh connection (no cached plan; the OS page cache is not dropped), "warm" the median of
 * BENCH_RUNS (default 5) further runs. Prints a table; with --json a JSON last line.
 *
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test); the data lives in its own
 * schema, bench_reports, rebuilt unless --reuse finds it loaded. BENCH_TICKETS (default 1,000,000).
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { openDatabase, quoteIdent, type DatabaseHandle } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import {
  backlogAnchor, channelMix, createdPerDay, csatPerDay, firstResponsePercentiles, phishingVerdicts, quarantineVolume,
  resolutionPercentiles, slaAttainment, solvedPerDay, type ReportFilter,
} from '../src/helpdesk/reports/queries.js';

const URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = 'bench_reports';
const TICKETS = Number(process.env.BENCH_TICKETS ?? 1_000_000);
const OTHER_TICKETS = Math.round(TICKETS / 20);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const JSON_OUT = process.argv.includes('--json');
const REUSE = process.argv.includes('--reuse');
const TEAMS = 8;
const AGENTS_PER_TEAM = 5;
const BATCH = 100_000;

const log = (s: string) => process.stderr.write(`${s}\n`);

async function withClient<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: URL });
  await c.connect();
  try {
    await c.query(`SET search_path TO ${quoteIdent(SCHEMA)}, public`);
    return await fn(c);
  } finally {
    await c.end();
  }
}

interface Fixture {
  orgId: string;
  teamIds: string[];
  agentIds: string[];
  loadSeconds: number | null;
}

const TICKET_BATCH = `
INSERT INTO tickets (id, org_id, number, status, priority, channel, team_id, assignee_id, created_at, updated_at, last_message_at,
                     first_response_at, solved_at, closed_at, first_response_due_at, resolution_due_at)
SELECT gen_random_uuid(), $1, z.g,
       CASE WHEN z.resolved IS NULL THEN (ARRAY['new', 'open', 'pending', 'on_hold'])[1 + z.g % 4]
            WHEN z.resolved + interval '4 days' < now() THEN 'closed' ELSE 'solved' END,
       z.priority, z.channel, ($4::uuid[])[1 + z.ti],
       CASE WHEN z.ra < 0.1 THEN NULL ELSE ($5::uuid[])[1 + z.ti * ${AGENTS_PER_TEAM} + z.ai] END,
       z.created, COALESCE(z.resolved, z.fr, z.created), COALESCE(z.resolved, z.fr, z.created),
       z.fr, z.resolved, CASE WHEN z.resolved + interval '4 days' < now() THEN z.resolved + interval '4 days' END,
       z.created + CASE z.priority WHEN 'urgent' THEN interval '1 hour' WHEN 'high' THEN interval '2 hours' WHEN 'normal' THEN interval '4 hours' ELSE interval '8 hours' END,
       z.created + CASE z.priority WHEN 'urgent' THEN interval '1 day' WHEN 'high' THEN interval '2 days' WHEN 'normal' THEN interval '3 days' ELSE interval '5 days' END
  FROM (
    SELECT y.*,
           CASE WHEN y.r2 < 0.97 AND y.created + y.fr_delay < now() THEN y.created + y.fr_delay END AS fr,
           CASE WHEN y.created + y.fr_delay + y.res_delay < now() THEN y.created + y.fr_delay + y.res_delay END AS resolved
      FROM (
        SELECT g,
               now() - random() * interval '365 days' AS created,
               random() AS r2, random() AS ra,
               (ARRAY['low', 'normal', 'normal', 'normal', 'high', 'urgent'])[1 + floor(random() * 6)::int] AS priority,
               (ARRAY['email', 'email', 'email', 'email', 'web', 'web', 'portal', 'api', 'phone', 'phone'])[1 + floor(random() * 10)::int] AS channel,
               floor(random() * ${TEAMS})::int AS ti, floor(random() * ${AGENTS_PER_TEAM})::int AS ai,
               power(random(), 3) * interval '48 hours' AS fr_delay,
               interval '1 hour' + power(random(), 2) * interval '14 days' AS res_delay
          FROM generate_series($2::int, $3::int) g
      ) y
  ) z`;

async function loadOrg(c: pg.Client, orgId: string, count: number, teamIds: string[], agentIds: string[]): Promise<void> {
  for (let from = 1; from <= count; from += BATCH) {
    const to = Math.min(count, from + BATCH - 1);
    await c.query(TICKET_BATCH, [orgId, from, to, teamIds, agentIds]);
    // One inbound message per ticket, with the phishing engine's verdict (0.5 % phishing, 2.5 % suspicious).
    await c.query(
      `INSERT INTO messages (id, org_id, ticket_id, kind, author_type, threat_score, threat_verdict, created_at)
       SELECT gen_random_uuid(), t.org_id, t.id, 'inbound_email', 'customer', 0,
              CASE WHEN v.r < 0.005 THEN 'phishing' WHEN v.r < 0.03 THEN 'suspicious' ELSE 'clean' END, t.created_at
         FROM tickets t CROSS JOIN LATERAL (SELECT random() + (t.number * 0) AS r) v
        WHERE t.org_id = $1 AND t.number BETWEEN $2 AND $3`,
      [orgId, from, to],
    );
    log(`  ${orgId.slice(0, 8)}: ${to} tickets`);
  }
  await c.query(
    `INSERT INTO csat_ratings (id, org_id, ticket_id, rating, source, rated_at)
     SELECT gen_random_uuid(), t.org_id, t.id, CASE WHEN random() < 0.85 THEN 'good' ELSE 'bad' END, 'email',
            LEAST(now(), t.solved_at + random() * interval '2 days')
       FROM tickets t WHERE t.org_id = $1 AND t.solved_at IS NOT NULL AND random() < 0.2`,
    [orgId],
  );
  await c.query(
    `INSERT INTO quarantine (id, org_id, mailbox_id, reason, raw_enc, raw_size, created_at)
     SELECT gen_random_uuid(), $1, (SELECT id FROM mailboxes WHERE org_id = $1 ORDER BY address OFFSET (g % ${TEAMS}) LIMIT 1),
            (ARRAY['phishing', 'phishing', 'malformed', 'dangerous'])[1 + g % 4], '\\x00'::bytea, 1, now() - random() * interval '365 days'
       FROM generate_series(1, $2::int) g`,
    [orgId, Math.max(10, Math.round(count / 200))],
  );
  await c.query(`INSERT INTO ticket_counters (org_id, last_number) VALUES ($1, $2)`, [orgId, count]);
}

async function load(): Promise<Fixture> {
  if (REUSE) {
    const found = await withClient(async (c) => {
      const s = await c.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'tickets'`, [SCHEMA]);
      if (!s.rowCount) return null;
      const n = await c.query(`SELECT org_id, count(*)::int AS n FROM tickets GROUP BY org_id ORDER BY n DESC LIMIT 1`);
      const top = n.rows[0] as { org_id: string; n: number } | undefined;
      if (!top || top.n < TICKETS) return null;
      const teams = await c.query(`SELECT id FROM teams WHERE org_id = $1 ORDER BY name`, [top.org_id]);
      const agents = await c.query(`SELECT id FROM users WHERE org_id = $1 ORDER BY email`, [top.org_id]);
      return { orgId: top.org_id, teamIds: teams.rows.map((r) => r.id as string), agentIds: agents.rows.map((r) => r.id as string), loadSeconds: null };
    });
    if (found) {
      log(`reusing the tickets in schema ${SCHEMA}`);
      // A schema loaded by an older checkout gets the newer migrations (and their backfills), then fresh statistics.
      const handle = await openDatabase({ url: URL, schema: SCHEMA, poolSize: 1 });
      const applied = await migrateToLatest(handle.scripts);
      await handle.close();
      if (applied.length) {
        log(`applied ${applied.join(', ')}; vacuum analyze`);
        await withClient(async (c) => {
          for (const table of ['tickets', 'messages', 'csat_ratings', 'quarantine']) await c.query(`VACUUM ANALYZE ${table}`);
        });
      }
      return found;
    }
  }
  const admin = new pg.Client({ connectionString: URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdent(SCHEMA)} CASCADE`);
  await admin.query(`CREATE SCHEMA ${quoteIdent(SCHEMA)}`);
  await admin.end();
  const handle = await openDatabase({ url: URL, schema: SCHEMA, poolSize: 1 });
  await migrateToLatest(handle.scripts);
  await handle.close();
  const started = Date.now();
  const orgId = randomUUID();
  const otherOrg = randomUUID();
  const fx = { orgId, teamIds: [] as string[], agentIds: [] as string[] };
  await withClient(async (c) => {
    for (const [org, n] of [[orgId, TICKETS], [otherOrg, OTHER_TICKETS]] as const) {
      await c.query(`INSERT INTO organizations (id, name) VALUES ($1, $2)`, [org, `Bench ${org.slice(0, 8)}`]);
      const teamIds = Array.from({ length: TEAMS }, () => randomUUID());
      const agentIds = Array.from({ length: TEAMS * AGENTS_PER_TEAM }, () => randomUUID());
      for (const [i, id] of teamIds.entries()) {
        await c.query(`INSERT INTO teams (id, org_id, name) VALUES ($1, $2, $3)`, [id, org, `Team ${i}`]);
        await c.query(`INSERT INTO mailboxes (id, org_id, address, name, team_id) VALUES ($1, $2, $3, $4, $5)`, [randomUUID(), org, `team${i}-${org.slice(0, 8)}@bench.example`, `Team ${i}`, id]);
      }
      for (const [i, id] of agentIds.entries()) {
        await c.query(`INSERT INTO users (id, org_id, email, name, status) VALUES ($1, $2, $3, $4, 'active')`, [id, org, `agent${String(i).padStart(2, '0')}-${org.slice(0, 8)}@bench.example`, `Agent ${i}`]);
        await c.query(`INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)`, [teamIds[Math.floor(i / AGENTS_PER_TEAM)], id]);
      }
      await loadOrg(c, org, n, teamIds, agentIds);
      if (org === orgId) Object.assign(fx, { teamIds, agentIds });
    }
    // The visibility map lets the reports' covering indexes answer without visiting the table.
    log('vacuum analyze');
    for (const table of ['tickets', 'messages', 'csat_ratings', 'quarantine']) await c.query(`VACUUM ANALYZE ${table}`);
  });
  return { ...fx, loadSeconds: Math.round((Date.now() - started) / 1000) };
}

const QUERIES = {
  created_per_day: createdPerDay,
  solved_per_day: solvedPerDay,
  backlog_anchor: backlogAnchor,
  first_response_p50_p90: firstResponsePercentiles,
  resolution_p50_p90: resolutionPercentiles,
  sla_attainment: slaAttainment,
  csat_per_day: csatPerDay,
  channel_mix: channelMix,
  phishing_verdicts: phishingVerdicts,
  quarantine_volume: quarantineVolume,
} as const;

function dayString(d: Date): string {
  return d.toISOString().slice(0, 10);
}

async function filterFor(db: DatabaseHandle, fx: Fixture, scope: 'org' | 'team' | 'own', days: number): Promise<ReportFilter> {
  const to = new Date();
  const from = new Date(to.getTime() - (days - 1) * 86_400_000);
  const start = new Date(`${dayString(from)}T00:00:00Z`);
  const end = new Date(Date.parse(`${dayString(to)}T00:00:00Z`) + 86_400_000);
  void db;
  return {
    orgId: fx.orgId,
    scope,
    // A lead who is nobody's assignee; an agent with their own tickets.
    userId: scope === 'own' ? (fx.agentIds[0] as string) : randomUUID(),
    teamIds: scope === 'team' ? [fx.teamIds[0] as string] : [],
    start,
    end,
    timeZone: 'UTC',
    now: new Date(),
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function main(): Promise<void> {
  const fx = await load();
  const results: Array<{ query: string; scope: string; range: string; coldMs: number; warmMedianMs: number }> = [];
  for (const [range, days] of [['30d', 30], ['12m', 365]] as const) {
    for (const scope of ['org', 'team', 'own'] as const) {
      // A fresh connection per range and scope: each query's first run there is its "cold" figure.
      const db = await openDatabase({ url: URL, schema: SCHEMA, poolSize: 1 });
      try {
        const f = await filterFor(db, fx, scope, days);
        for (const [name, q] of Object.entries(QUERIES)) {
          const cold = await timed(() => q(db.db, f));
          const warm: number[] = [];
          for (let i = 0; i < RUNS; i++) warm.push(await timed(() => q(db.db, f)));
          results.push({ query: name, scope, range, coldMs: Math.round(cold * 10) / 10, warmMedianMs: Math.round(median(warm) * 10) / 10 });
          log(`  ${name} ${scope} ${range}: cold ${cold.toFixed(1)} ms, warm median ${median(warm).toFixed(1)} ms`);
        }
        // The whole dashboard, one query after another (the route runs them at once on the app's pool).
        const sum = results.filter((r) => r.scope === scope && r.range === range).reduce((a, r) => a + r.warmMedianMs, 0);
        results.push({ query: 'dashboard (sum of the above)', scope, range, coldMs: NaN, warmMedianMs: Math.round(sum * 10) / 10 });
      } finally {
        await db.close();
      }
    }
  }
  const load1 = os.loadavg()[0]?.toFixed(2);
  console.log(`bench:reports — ${TICKETS.toLocaleString('en')} tickets (+${OTHER_TICKETS.toLocaleString('en')} in another organisation), PostgreSQL, ${os.cpus().length} CPUs, load ${load1}${fx.loadSeconds !== null ? `, loaded in ${fx.loadSeconds} s` : ''}`);
  console.log('query                          scope range    cold ms   warm median ms');
  for (const r of results) {
    console.log(`${r.query.padEnd(30)} ${r.scope.padEnd(5)} ${r.range.padEnd(5)} ${(Number.isNaN(r.coldMs) ? '-' : r.coldMs.toFixed(1)).padStart(10)} ${r.warmMedianMs.toFixed(1).padStart(16)}`);
  }
  const worst = Math.max(...results.filter((r) => !r.query.startsWith('dashboard')).map((r) => Math.max(r.warmMedianMs, Number.isNaN(r.coldMs) ? 0 : r.coldMs)));
  console.log(`slowest single query (cold or warm): ${worst.toFixed(1)} ms (target < 500 ms)`);
  if (JSON_OUT) console.log(JSON.stringify({ bench: 'reports', tickets: TICKETS, cpus: os.cpus().length, loadavg: os.loadavg(), loadSeconds: fx.loadSeconds, results }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
