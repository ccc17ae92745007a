/**
 * The provider's posture overview: each figure moves with the records it is read from, in its own organisation
 * only; the CSV is safe to open in a spreadsheet; the command is audited.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOrg, type TestOrg } from '../auth/testing.js';
import { openServices, type Services } from '../../platform/app/services.js';
import { createLogger } from '../../platform/logging.js';
import { createTestEnvironment, createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { cliIn } from '../../platform/cli/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { seedEveryKind, type SeededOrg } from '../../platform/http/isolation-fixture.js';
import { appRoutes } from '../../platform/http/routes.js';
import { attentionOf, organizationPostures, postureCsv, type OrganizationPosture } from './posture.js';

describe.each(testDatabaseKinds)('organisation posture on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let a: SeededOrg;
  let quiet: TestOrg;
  const postureOf = async (orgId: string) => (await organizationPostures(services.database.db)).find((p) => p.id === orgId)!;

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, schemaCache: testSchemaCache, routes: appRoutes });
    await app.ready();
    a = await seedEveryKind(app, services);
    quiet = await buildOrg(services, `Quiet ${kind}`);
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('counts second factors of active staff only, service accounts and departed people aside', async () => {
    const db = services.database.db;
    const before = await postureOf(a.org.orgId);
    const person = async (status: 'active' | 'deactivated', serviceAccount = false) => {
      const id = randomUUID();
      await db.insertInto('users').values({ id, org_id: a.org.orgId, email: `p-${id}@staff.example`, name: 'P', password_hash: null, status, service_account: serviceAccount }).execute();
      return id;
    };
    const withApp = await person('active');
    await db.insertInto('mfa_totp').values({ user_id: withApp, secret_enc: new Uint8Array([1]), confirmed_at: new Date() }).execute();
    const unconfirmed = await person('active');
    await db.insertInto('mfa_totp').values({ user_id: unconfirmed, secret_enc: new Uint8Array([1]), confirmed_at: null }).execute();
    const withKey = await person('active');
    await db.insertInto('webauthn_credentials').values({ id: randomUUID(), user_id: withKey, credential_id: randomUUID(), public_key: new Uint8Array([1]) }).execute();
    await person('deactivated');
    await person('active', true);

    const after = await postureOf(a.org.orgId);
    expect(after.staff - before.staff).toBe(3);
    expect(after.staffWithSecondFactor - before.staffWithSecondFactor).toBe(2);
    expect(after.staffWithoutPasskey - before.staffWithoutPasskey).toBe(2);
    expect(after.attention).toContain(`${after.staff - after.staffWithSecondFactor} staff without a second factor`);
    expect((await postureOf(quiet.orgId)).staff).toBe(0);
  });

  it('follows incidents, quarantine, simulations, training, access reviews and audit verification, in its own organisation only', async () => {
    const db = services.database.db;
    const before = await postureOf(a.org.orgId);
    const quietBefore = await postureOf(quiet.orgId);
    expect(before.openIncidents).toBe(1); // the seeded incident
    expect(before.quarantined30d).toBeGreaterThanOrEqual(1);

    // Resolving the incident clears it.
    await db.updateTable('incidents').set({ status: 'resolved', resolved_at: new Date() }).where('org_id', '=', a.org.orgId).execute();
    // The campaign's recipient receives the simulation; a click and a report, and a click discounted (a scanner).
    const recipient = await db.selectFrom('simulation_recipients').where('org_id', '=', a.org.orgId).select('id').executeTakeFirstOrThrow();
    await db.updateTable('simulation_recipients').set({ status: 'delivered', delivered_at: new Date() }).where('id', '=', recipient.id).execute();
    const delivered = await postureOf(a.org.orgId);
    expect(delivered.simulations90d).toEqual({ delivered: before.simulations90d.delivered + 1, clicked: before.simulations90d.clicked, reported: before.simulations90d.reported, clickRate: expect.any(Number), reportRate: expect.any(Number) });
    await db.insertInto('simulation_events').values({ id: randomUUID(), org_id: a.org.orgId, recipient_id: recipient.id, type: 'clicked', discounted_reason: 'link scanner' }).execute();
    expect((await postureOf(a.org.orgId)).simulations90d.clicked).toBe(delivered.simulations90d.clicked);
    await db.insertInto('simulation_events').values({ id: randomUUID(), org_id: a.org.orgId, recipient_id: recipient.id, type: 'clicked', discounted_reason: null }).execute();
    const clicked = await postureOf(a.org.orgId);
    expect(clicked.simulations90d.clicked).toBe(delivered.simulations90d.clicked + 1);
    expect(clicked.attention).toContain('more simulation clicks than reports');
    await db.insertInto('simulation_events').values({ id: randomUUID(), org_id: a.org.orgId, recipient_id: recipient.id, type: 'reported', discounted_reason: null }).execute();
    const reported = await postureOf(a.org.orgId);
    expect(reported.simulations90d.reported).toBe(delivered.simulations90d.reported + 1);
    expect(reported.simulations90d.clickRate).toBe(Math.round((reported.simulations90d.clicked / reported.simulations90d.delivered) * 1000) / 1000);

    // A training assignment past its due date, an access review past its deadline.
    await db.updateTable('training_assignments').set({ due_at: new Date(Date.now() - 86_400_000) }).where('org_id', '=', a.org.orgId).where('status', '=', 'assigned').execute();
    await db.updateTable('access_review_campaigns').set({ deadline: new Date(Date.now() - 86_400_000) }).where('org_id', '=', a.org.orgId).where('status', '=', 'open').execute();
    // A failed verification of its audit trail.
    await services.audit.record({ orgId: a.org.orgId, actor: { type: 'system', id: 'test' }, action: 'audit.verify', result: 'failure', details: { status: 'mac_mismatch' } });
    await services.audit.flush();

    const after = await postureOf(a.org.orgId);
    expect(after.openIncidents).toBe(0);
    expect(after.training.overdue).toBeGreaterThan(0);
    expect(after.overdueAccessReviews).toBe(1);
    expect(after.auditVerification).toMatchObject({ ok: false });
    expect(after.attention).toEqual(expect.arrayContaining(['audit trail verification failed', '1 access review overdue', `${after.training.overdue} training assignment${after.training.overdue === 1 ? '' : 's'} overdue`]));
    expect(after.attention).not.toContain(expect.stringMatching(/incident/));
    // Nothing of A's moved the quiet organisation's figures.
    const quietAfter = await postureOf(quiet.orgId);
    expect(quietAfter).toEqual(quietBefore);
    expect(quietAfter).toMatchObject({ openIncidents: 0, quarantined30d: 0, overdueAccessReviews: 0, auditVerification: null, simulations90d: { delivered: 0, clickRate: null }, training: { assignments: 0, completionRate: null } });
  });
});

describe('posture in words and in CSV', () => {
  const base: OrganizationPosture = {
    id: '00000000-0000-4000-8000-000000000001', slug: 'harbour', name: 'Harbour', status: 'active', staff: 4, staffWithSecondFactor: 4, staffWithoutPasskey: 1,
    openIncidents: 0, quarantined30d: 2, quarantineHeld: 0, simulations90d: { delivered: 10, clicked: 1, reported: 6, clickRate: 0.1, reportRate: 0.6 },
    training: { assignments: 4, passed: 4, overdue: 0, completionRate: 1 }, overdueAccessReviews: 0,
    auditVerification: { at: '2026-12-01T00:00:00.000Z', ok: true }, lastBackupAt: '2026-12-03T00:00:00.000Z', attention: [],
  };
  const now = new Date('2026-12-04T12:00:00Z');

  it('says nothing when nothing needs attention, and names stale checks with their age', () => {
    expect(attentionOf(base, now)).toEqual([]);
    expect(attentionOf({ ...base, auditVerification: { at: '2026-10-01T00:00:00.000Z', ok: true }, lastBackupAt: '2026-11-20T00:00:00.000Z' }, now)).toEqual(['audit trail last verified 64 days ago', 'last backup 14 days ago']);
    expect(attentionOf({ ...base, auditVerification: null, lastBackupAt: null, openIncidents: 2 }, now)).toEqual(['2 open incidents', 'audit trail never verified', 'no backup recorded']);
  });

  it('writes RFC 4180 CSV whose cells a spreadsheet will not run as formulas', () => {
    const csv = postureCsv([{ ...base, name: '=HYPERLINK("http://evil.example","x")', attention: ['a, b', 'c'] }]);
    const [header, row] = csv.trimEnd().split('\r\n');
    expect(header!.split(',')[0]).toBe('organization_id');
    expect(row).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(row).toContain('"a, b; c"');
    expect(row).toContain(',0.1,0.6,');
    expect(csv.endsWith('\r\n')).toBe(true);
  });
});

describe('trustdesk orgs posture', () => {
  it('prints a table, CSV and JSON of every organisation, and records that it was read', async () => {
    const env = await createTestEnvironment('pglite');
    try {
      const cli = cliIn(env);
      expect((await cli(['setup', '--org', 'Harbour Dental', '--admin', 'it@harbour.example'])).code).toBe(0);
      expect((await cli(['orgs', 'create', '--name', '@SUM(A1)', '--slug', 'formula', '--admin', 'it@formula.example'])).code).toBe(0);
      const table = await cli(['orgs', 'posture']);
      expect(table.code, table.text).toBe(0);
      expect(table.text).toMatch(/harbour-dental\s+0\/0 .* audit trail never verified; no backup recorded/);
      const csv = await cli(['orgs', 'posture', '--csv']);
      expect(csv.text.split('\n')).toHaveLength(3);
      expect(csv.text).toContain(",'@SUM(A1),");
      const json = JSON.parse((await cli(['orgs', 'posture', '--json'])).text) as OrganizationPosture[];
      expect(json.map((p) => p.slug)).toEqual(['harbour-dental', 'formula']);
      expect((await cli(['orgs', 'posture', '--json', '--csv'])).code).toBe(1);
      const services = await openServices({ config: env.config(), logger: createLogger({ level: 'silent' }), migrate: false });
      try {
        const reads = await services.database.db.selectFrom('audit_log').where('action', '=', 'organization.posture.read').select('org_id').execute();
        expect(reads).toEqual([{ org_id: null }, { org_id: null }, { org_id: null }]);
      } finally {
        await services.close();
      }
    } finally {
      await env.cleanup();
    }
  });
});
