import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildUser, signIn, signInAs, type SignedIn } from '../auth/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import type { MemoryMailer } from '../../platform/notify/mailer.js';
import { runAccessReviewJobs } from './access-reviews.jobs.js';
import { accessReviewRoutes } from './access-reviews.routes.js';

const HOUR = 3_600_000;

describe.each(testDatabaseKinds)('access review jobs on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: [...appRoutes, accessReviewRoutes], schemaCache: testSchemaCache });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });
  const mailer = () => services.mailer as MemoryMailer;
  const jobs = (now: Date) => runAccessReviewJobs({ db: services.database.db, audit: services.audit, mailer: services.mailer, now, publicUrl: 'https://desk.example/' });

  async function startCampaign(who: SignedIn, body: Record<string, unknown>) {
    const res = await app.inject({ method: 'POST', url: '/api/access-reviews', headers: who.headers, payload: { name: 'Review', ...body } });
    expect(res.statusCode).toBe(201);
    return res.json() as { campaign: { id: string; deadline: string }; items: Array<{ id: string; userId: string; kind: string; roleKey: string | null }> };
  }

  it('revokes undecided access at the deadline when the campaign says so, ends sessions, closes, and audits', async () => {
    const org = await buildOrg(services);
    const officer = await signIn(app, org, { roles: ['security_officer'] });
    const keep = await buildUser(services, org, { roles: ['agent'] });
    const lose = await buildUser(services, org, { roles: ['agent'] });
    const loseSession = await signInAs(app, lose);
    const deadline = new Date(Date.now() + 2 * HOUR);
    const { campaign, items } = await startCampaign(officer, { deadline: deadline.toISOString(), revokeUndecided: true });
    const keepItem = items.find((i) => i.userId === keep.userId)!;
    const certified = await app.inject({ method: 'POST', url: `/api/access-reviews/${campaign.id}/items/${keepItem.id}/decision`, headers: officer.headers, payload: { decision: 'certify', comment: 'needed' } });
    expect(certified.statusCode).toBe(200);

    // Before the deadline nothing is revoked.
    expect((await jobs(new Date(deadline.getTime() - 60_000))).closed).toBe(0);
    expect((await app.inject({ url: '/api/auth/me', headers: loseSession.headers })).statusCode).toBe(200);

    const result = await jobs(new Date(deadline.getTime() + 60_000));
    // Undecided: the lost agent's role and the officer's own role.
    expect(result).toMatchObject({ closed: 1, revoked: 2, kept: 0, failed: 0 });
    const db = services.database.db;
    expect(await db.selectFrom('user_roles').where('user_id', '=', lose.userId).selectAll().execute()).toEqual([]);
    expect(await db.selectFrom('user_roles').where('user_id', '=', keep.userId).select('role_id').execute()).toEqual([{ role_id: org.roleIds.agent }]);
    expect((await app.inject({ url: '/api/auth/me', headers: loseSession.headers })).statusCode).toBe(401);
    const row = await db.selectFrom('access_review_campaigns').where('id', '=', campaign.id).selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'closed', close_reason: 'deadline', closed_by: null });
    const loseItem = await db.selectFrom('access_review_items').where('campaign_id', '=', campaign.id).where('user_id', '=', lose.userId).selectAll().executeTakeFirstOrThrow();
    expect(loseItem).toMatchObject({ decision: 'revoke', decided_by: null, comment: expect.stringMatching(/deadline/) });
    expect(loseItem.applied_at).not.toBeNull();
    const audit = await db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('actor_type', '=', 'system').where('action', '<>', 'access_review.remind').select(['action', 'result']).orderBy('seq').execute();
    expect(audit).toEqual([
      { action: 'access_review.item.revoke', result: 'success' },
      { action: 'access_review.item.revoke', result: 'success' },
      { action: 'access_review.close', result: 'success' },
    ]);
    // A second run (or another instance) finds nothing left to do.
    expect((await jobs(new Date(deadline.getTime() + 2 * 60_000))).closed).toBe(0);
  });

  it('closes without revoking when the campaign does not say so, and never revokes the last role manager', async () => {
    const org = await buildOrg(services);
    const officer = await signIn(app, org, { roles: ['security_officer'] });
    const agent = await buildUser(services, org, { roles: ['agent'] });
    const admin = await buildUser(services, org, { roles: ['administrator'] });
    const deadline = new Date(Date.now() + HOUR);
    const gentle = await startCampaign(officer, { deadline: deadline.toISOString(), revokeUndecided: false });
    const strict = await startCampaign(officer, { deadline: new Date(deadline.getTime() + HOUR).toISOString(), revokeUndecided: true, reviewerId: officer.userId });

    const first = await jobs(new Date(deadline.getTime() + 1000));
    expect(first).toMatchObject({ closed: 1, revoked: 0 });
    const db = services.database.db;
    const gentleItems = await db.selectFrom('access_review_items').where('campaign_id', '=', gentle.campaign.id).select('decision').execute();
    expect(gentleItems.every((i) => i.decision === null)).toBe(true);

    const second = await jobs(new Date(deadline.getTime() + 2 * HOUR));
    // The agent's and the officer's roles go; the only administrator's stays, so someone can still manage roles.
    expect(second).toMatchObject({ closed: 1, revoked: 2, kept: 1 });
    expect(await db.selectFrom('user_roles').where('user_id', '=', agent.userId).selectAll().execute()).toEqual([]);
    expect(await db.selectFrom('user_roles').where('user_id', '=', admin.userId).select('role_id').execute()).toEqual([{ role_id: org.roleIds.administrator }]);
    const adminItem = await db.selectFrom('access_review_items').where('campaign_id', '=', strict.campaign.id).where('user_id', '=', admin.userId).select('decision').executeTakeFirstOrThrow();
    expect(adminItem.decision).toBeNull();
    const denied = await db.selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', '=', 'access_review.item.revoke').where('result', '=', 'denied').select('details').execute();
    expect(denied).toHaveLength(1);
  });

  it('reminds the reviewer by email at most once a day while items are undecided', async () => {
    const org = await buildOrg(services);
    const officer = await signIn(app, org, { roles: ['security_officer'] });
    const agent = await buildUser(services, org, { roles: ['agent'] });
    const t0 = new Date(Date.now() + 60_000);
    const { campaign, items } = await startCampaign(officer, { deadline: new Date(t0.getTime() + 10 * 24 * HOUR).toISOString(), reviewerId: officer.userId });
    const sentTo = () => mailer().sent.filter((m) => m.to === officer.email);

    expect((await jobs(t0)).reminded).toBeGreaterThanOrEqual(1);
    expect(sentTo()).toHaveLength(1);
    expect(sentTo()[0]?.subject).toMatch(/2 items to decide/);
    expect(sentTo()[0]?.text).toContain(`https://desk.example/access-reviews/${campaign.id}`);
    await jobs(new Date(t0.getTime() + 1 * HOUR));
    await jobs(new Date(t0.getTime() + 23 * HOUR));
    expect(sentTo()).toHaveLength(1);
    await jobs(new Date(t0.getTime() + 24 * HOUR + 1000));
    expect(sentTo()).toHaveLength(2);

    // Once everything is decided, no more reminders.
    const agentItem = items.find((i) => i.userId === agent.userId)!;
    expect((await app.inject({ method: 'POST', url: `/api/access-reviews/${campaign.id}/items/${agentItem.id}/decision`, headers: officer.headers, payload: { decision: 'certify', comment: 'ok' } })).statusCode).toBe(200);
    const colleague = await signIn(app, org, { roles: ['security_officer'] });
    const ownItem = items.find((i) => i.userId === officer.userId)!;
    expect((await app.inject({ method: 'POST', url: `/api/access-reviews/${campaign.id}/items/${ownItem.id}/decision`, headers: colleague.headers, payload: { decision: 'certify', comment: 'ok' } })).statusCode).toBe(200);
    await jobs(new Date(t0.getTime() + 50 * HOUR));
    expect(sentTo()).toHaveLength(2);
    const reminders = await services.database.db.selectFrom('audit_log').where('action', '=', 'access_review.remind').where('object_id', '=', campaign.id).select('details').execute();
    expect(reminders).toHaveLength(2);
  });
});
