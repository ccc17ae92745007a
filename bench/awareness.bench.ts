/**
 * What computing awareness scores on read costs (decision 0196): `npx tsx bench/awareness.bench.ts`
 * (PostgreSQL too when TEST_DATABASE_URL is set). Prints figures; asserts nothing.
 * One organisation of 500 staff in 10 teams, a year of monthly campaigns to everyone (6,000 recipients,
 * ~15,000 events: delivered, opened 60 %, clicked 12 %, data entered 4 %, reported 30 %), and five training
 * assignments each (2,500). Timed: the organisation's dashboard (every score, every aggregate), a lead's team
 * dashboard (50 people), and one person's page.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { DatabaseKind } from '../src/platform/db/database.js';
import { createTestServices } from '../src/platform/app/testing.js';
import { buildOrg, buildTeam, buildUser } from '../src/identity/auth/testing.js';
import type { Principal } from '../src/identity/auth/access.js';
import { mergeGrants } from '../src/identity/auth/access.js';
import { BUILT_IN_ROLES } from '../src/identity/auth/permissions.js';
import { syncShippedModules } from '../src/identity/training/modules.service.js';
import { seedMailbox } from '../src/helpdesk/tickets/testing.js';
import { buildDashboard, readPerson } from '../src/threats/awareness/awareness.service.js';
import type { SimulationEventType } from '../src/threats/simulations/schema.js';

const STAFF = 500;
const TEAMS = 10;
const CAMPAIGNS = 12;
const RUNS = 10;
const DAY = 86_400_000;
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
/** Median wall time and median CPU time of this process (PGlite runs in it; PostgreSQL's own work is not counted). */
async function time(fn: () => Promise<unknown>): Promise<string> {
  await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const c = process.cpuUsage();
    await fn();
    const u = process.cpuUsage(c);
    wall.push(performance.now() - t);
    cpu.push((u.user + u.system) / 1000);
  }
  return `median ${median(wall).toFixed(1)} ms wall, ${median(cpu).toFixed(1)} ms CPU in Node`;
}

// A deterministic sequence, so both databases get the same data.
let seed = 42;
const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);

function principal(userId: string, orgId: string, role: 'security_officer' | 'supervisor', teamIds: string[]): Principal {
  const grants = BUILT_IN_ROLES.find((r) => r.key === role)!.grants.map(([permission, scope]) => ({ permission, scope }));
  return { kind: 'session', userId, orgId, email: 'x@y.example', name: 'X', permissions: mergeGrants(grants), roleKeys: [role], teamIds, mfaAt: new Date(), mfaMethod: 'totp', stepUpAt: null, requirePhishingResistant: false, ip: '127.0.0.1' };
}

async function benchKind(kind: DatabaseKind) {
  console.log(`\n## ${kind}`);
  const s = await createTestServices(kind);
  const db = s.database.db;
  const org = await buildOrg(s);
  const teams: string[] = [];
  for (let i = 0; i < TEAMS; i++) teams.push(await buildTeam(s, org, `Team ${i}`));
  const people: string[] = [];
  for (let i = 0; i < STAFF; i++) people.push((await buildUser(s, org, { roles: ['agent'], teamIds: [teams[i % TEAMS]!], name: `Agent ${i}` })).userId);
  const mailbox = await seedMailbox(db, org.orgId, 'support@bench.example', teams[0]!);
  await syncShippedModules(db);
  const modules = await db.selectFrom('training_modules').where('org_id', 'is', null).select(['id', 'key']).limit(5).execute();
  const now = Date.now();
  let events = 0;
  for (let c = 0; c < CAMPAIGNS; c++) {
    const campaignId = randomUUID();
    const start = new Date(now - (CAMPAIGNS - c) * 30 * DAY);
    await db.insertInto('simulation_campaigns').values({ id: campaignId, org_id: org.orgId, name: `Campaign ${c}`, template_id: 'vendor-bank-details', mailbox_id: mailbox, sender_domain: 'bench.example', banner: 'none', status: 'ended', starts_at: start, window_minutes: 240, ends_at: new Date(start.getTime() + 7 * DAY) }).execute();
    const recipients = people.map((userId) => ({ id: randomUUID(), org_id: org.orgId, campaign_id: campaignId, user_id: userId, customer_name: 'Dana', scheduled_at: start, status: 'delivered' as const, delivered_at: new Date(start.getTime() + rnd() * 4 * 3_600_000) }));
    await db.insertInto('simulation_recipients').values(recipients).execute();
    const rows = recipients.flatMap((r) => {
      const at = (mins: number) => new Date(r.delivered_at.getTime() + mins * 60_000);
      const out: Array<{ id: string; org_id: string; recipient_id: string; type: SimulationEventType; discounted_reason: null; created_at: Date }> = [{ id: randomUUID(), org_id: org.orgId, recipient_id: r.id, type: 'delivered', discounted_reason: null, created_at: at(0) }];
      const x = rnd();
      if (x < 0.6) out.push({ id: randomUUID(), org_id: org.orgId, recipient_id: r.id, type: 'opened', discounted_reason: null, created_at: at(30) });
      if (x < 0.12) out.push({ id: randomUUID(), org_id: org.orgId, recipient_id: r.id, type: 'clicked', discounted_reason: null, created_at: at(32) });
      if (x < 0.04) out.push({ id: randomUUID(), org_id: org.orgId, recipient_id: r.id, type: 'data_entered', discounted_reason: null, created_at: at(34) });
      if (x > 0.7) out.push({ id: randomUUID(), org_id: org.orgId, recipient_id: r.id, type: 'reported', discounted_reason: null, created_at: at(1 + rnd() * 600) });
      return out;
    });
    events += rows.length;
    for (let i = 0; i < rows.length; i += 1000) await db.insertInto('simulation_events').values(rows.slice(i, i + 1000)).execute();
  }
  const assignments = people.flatMap((userId) => modules.map((m, i) => {
    const due = new Date(now - (i * 40 - 30) * DAY);
    const x = rnd();
    const status = x < 0.7 ? 'passed' as const : x < 0.75 ? 'failed' as const : 'assigned' as const;
    return { id: randomUUID(), org_id: org.orgId, user_id: userId, module_id: m.id, module_key: m.key, due_at: due, status, source: 'rule' as const, attempts_used: status === 'assigned' ? 0 : 1 + Math.floor(rnd() * 2), best_score: status === 'assigned' ? null : 60 + Math.floor(rnd() * 40), completed_at: status === 'assigned' ? null : new Date(due.getTime() - (rnd() - 0.2) * 10 * DAY) };
  }));
  for (let i = 0; i < assignments.length; i += 1000) await db.insertInto('training_assignments').values(assignments.slice(i, i + 1000)).execute();
  console.log(`seeded: ${STAFF} staff, ${CAMPAIGNS * STAFF} recipients, ${events} events, ${assignments.length} assignments`);

  const deps = { db, audit: s.audit };
  const officer = principal(people[0]!, org.orgId, 'security_officer', []);
  const lead = principal(people[1]!, org.orgId, 'supervisor', [teams[1]!]);
  const orgMs = await time(() => buildDashboard(deps, officer));
  const teamMs = await time(() => buildDashboard(deps, lead));
  const personMs = await time(() => readPerson(deps, { principal: officer }, people[7]!));
  const d = await buildDashboard(deps, officer);
  console.log(`organisation dashboard (${d.people.length} people, ${d.campaigns.length} campaigns): ${orgMs}`);
  console.log(`team dashboard (${(await buildDashboard(deps, lead)).people.length} people): ${teamMs}`);
  console.log(`one person's page: ${personMs} (audited read included)`);
  await s.close();
}

console.log(`# awareness scores on read — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
await benchKind('pglite');
if (TEST_DATABASE_URL) await benchKind('postgres');
