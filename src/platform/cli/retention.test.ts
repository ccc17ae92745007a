/**
 * `trustdesk retention dry-run|run`: the dry run counts and changes nothing; run asks for --yes, then deletes what
 * the dry run counted and prints the counts; an unknown organisation is a usage error.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { captureIo, createTestEnvironment, silentLogger, type TestEnvironment } from '../app/testing.js';
import { openServices } from '../app/services.js';
import { buildOrg } from '../../identity/auth/testing.js';
import { monthsBefore } from '../../helpdesk/privacy/retention-policy.js';
import '../../helpdesk/privacy/schema.js';
import { runCli } from './main.js';

describe('trustdesk retention', () => {
  let env: TestEnvironment | undefined;
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
  });

  it('dry-run counts, run needs --yes and then deletes exactly that', async () => {
    env = await createTestEnvironment('pglite');
    let s = await openServices({ config: env.config(), logger: silentLogger, migrate: true });
    const org = await buildOrg(s, 'Retention CLI Org');
    const old = monthsBefore(new Date(), 20);
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    await s.database.db.insertInto('tickets').values([
      { id: ids[0]!, org_id: org.orgId, number: 1, status: 'solved', channel: 'email', solved_at: old },
      { id: ids[1]!, org_id: org.orgId, number: 2, status: 'closed', channel: 'web', solved_at: old, closed_at: old },
      { id: ids[2]!, org_id: org.orgId, number: 3, status: 'open', channel: 'email' },
    ]).execute();
    const policy = { tickets: { months: 12, channels: [], tags: [], teamIds: [] }, quarantineDays: null, exportDays: null, inactiveCustomerMonths: null };
    await sql`UPDATE organizations SET settings = jsonb_set(settings, '{retention}', ${JSON.stringify(policy)}::jsonb, true) WHERE id = ${org.orgId}`.execute(s.database.db);
    await s.close();

    const dry = captureIo(env.env);
    expect(await runCli(['retention', 'dry-run', '--org', 'Retention CLI Org'], dry.io)).toBe(0);
    expect(dry.text()).toMatch(/would delete 2 tickets, 0 quarantined messages, 0 export bundles, 0 inactive customers/);
    const ask = captureIo(env.env);
    expect(await runCli(['retention', 'run', '--org', org.orgId], ask.io)).toBe(2);
    expect(ask.text()).toMatch(/--yes/);
    expect(await runCli(['retention', 'run', '--org', 'No Such Org', '--yes'], captureIo(env.env).io)).toBe(2);
    const run = captureIo(env.env);
    expect(await runCli(['retention', 'run', '--org', 'Retention CLI Org', '--yes', '--batch', '1'], run.io)).toBe(0);
    expect(run.text()).toMatch(/Deleted 2 tickets/);

    s = await openServices({ config: env.config(), logger: silentLogger, migrate: false });
    try {
      expect((await s.database.db.selectFrom('tickets').where('org_id', '=', org.orgId).select('id').execute()).map((t) => t.id)).toEqual([ids[2]]);
      const audit = await s.database.db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', 'like', 'retention.%').select(['action', 'actor_id']).execute();
      expect(audit.filter((a) => a.action === 'retention.delete')).toHaveLength(2);
      expect(audit.find((a) => a.action === 'retention.run.start')?.actor_id).toBe('cli');
    } finally {
      await s.close();
    }
  }, 60_000);
});
