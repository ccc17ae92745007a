import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, buildUser, signIn, signInAs, type SignedIn, type TestOrg } from '../auth/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { accessReviewRoutes } from './access-reviews.routes.js';

const ZERO = '00000000-0000-4000-8000-000000000000';
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString();

interface Item { id: string; userId: string; kind: 'role' | 'team'; roleKey: string | null; teamId: string | null; decision: string | null; appliedAt: string | null; dormant: boolean; unusedPermissions: string[]; abilities: { decide: boolean } }

describe.each(testDatabaseKinds)('access review routes on %s', (kind) => {
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

  const start = (who: SignedIn, body: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/api/access-reviews', headers: who.headers, payload: { name: 'Quarterly review', deadline: inDays(14), ...body } });
  const get = (who: SignedIn, id: string) => app.inject({ url: `/api/access-reviews/${id}`, headers: who.headers });
  const decide = (who: SignedIn, id: string, itemId: string, decision: 'certify' | 'revoke', comment = 'checked with their lead') =>
    app.inject({ method: 'POST', url: `/api/access-reviews/${id}/items/${itemId}/decision`, headers: who.headers, payload: { decision, comment } });
  const itemsOf = async (who: SignedIn, id: string): Promise<Item[]> => (await get(who, id)).json().items;

  it('runs a campaign from start to revocation: the role goes at once, the person is signed out, all audited', async () => {
    const org = await buildOrg(services);
    const team = await buildTeam(services, org);
    const officer = await signIn(app, org, { roles: ['security_officer'] });
    const agentUser = await buildUser(services, org, { roles: ['agent'], teamIds: [team] });
    const agent = await signInAs(app, agentUser);
    expect((await app.inject({ url: '/api/auth/me', headers: agent.headers })).statusCode).toBe(200);

    const res = await start(officer, { revokeUndecided: false });
    expect(res.statusCode).toBe(201);
    const { campaign, items } = res.json() as { campaign: { id: string; reviewerId: string; status: string; counts: { total: number }; abilities: Record<string, boolean> }; items: Item[] };
    expect(campaign).toMatchObject({ reviewerId: officer.userId, status: 'open', abilities: { decide: true, close: true, export: true } });
    const mine = items.filter((i) => i.userId === agentUser.userId);
    expect(mine.map((i) => `${i.kind}:${i.roleKey ?? i.teamId}`).sort()).toEqual([`role:agent`, `team:${team}`]);
    expect(campaign.counts.total).toBe(items.length);
    // The officer's own item is visible but not theirs to decide.
    expect(items.find((i) => i.userId === officer.userId)?.abilities.decide).toBe(false);

    const roleItem = mine.find((i) => i.kind === 'role')!;
    const teamItem = mine.find((i) => i.kind === 'team')!;
    const revoked = await decide(officer, campaign.id, roleItem.id, 'revoke', 'No longer answers tickets');
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().item).toMatchObject({ decision: 'revoke', appliedAt: expect.any(String), comment: 'No longer answers tickets' });
    expect(await services.database.db.selectFrom('user_roles').where('user_id', '=', agentUser.userId).selectAll().execute()).toEqual([]);
    expect((await app.inject({ url: '/api/auth/me', headers: agent.headers })).statusCode).toBe(401);
    expect((await decide(officer, campaign.id, teamItem.id, 'certify')).statusCode).toBe(200);
    // Decided once: a second decision is refused and changes nothing.
    const again = await decide(officer, campaign.id, roleItem.id, 'certify');
    expect(again.statusCode).toBe(409);

    const audit = await services.database.db.selectFrom('audit_log').where('object_id', 'in', [campaign.id, roleItem.id, teamItem.id]).select(['action', 'details']).orderBy('seq').execute();
    expect(audit.map((a) => a.action)).toEqual(['access_review.start', 'access_review.item.revoke', 'access_review.item.certify']);
    expect(audit[1]?.details).toMatchObject({ userId: agentUser.userId, removed: true, sessionsEnded: 1 });

    const closed = await app.inject({ method: 'POST', url: `/api/access-reviews/${campaign.id}/close`, headers: officer.headers });
    expect(closed.statusCode).toBe(200);
    expect(closed.json().campaign).toMatchObject({ status: 'closed', closeReason: 'manual', counts: { revoked: 1, certified: 1 } });
    const late = items.find((i) => i.decision === null && i.userId !== officer.userId && i.id !== roleItem.id && i.id !== teamItem.id);
    if (late) expect((await decide(officer, campaign.id, late.id, 'certify')).statusCode).toBe(409);

    const exported = await app.inject({ url: `/api/access-reviews/${campaign.id}/export?format=json`, headers: officer.headers });
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toMatch(/^application\/json/);
    const body = exported.json();
    expect(body.format).toBe('trustdesk.access-review.v1');
    expect(body.items.find((i: Item) => i.id === roleItem.id)).toMatchObject({ decision: 'revoke', roleKey: 'agent' });
  });

  it('refuses roles without review permissions (403) and anonymous callers (401) on every route', async () => {
    const org = await buildOrg(services);
    const officer = await signIn(app, org, { roles: ['security_officer'] });
    const id = (await start(officer, {})).json().campaign.id as string;
    const itemId = (await itemsOf(officer, id))[0]!.id;
    const routes: Array<[method: 'GET' | 'POST', url: string, payload?: object]> = [
      ['GET', '/api/access-reviews'],
      ['POST', '/api/access-reviews', { name: 'x', deadline: inDays(3) }],
      ['GET', `/api/access-reviews/${id}`],
      ['POST', `/api/access-reviews/${id}/items/${itemId}/decision`, { decision: 'revoke', comment: 'no' }],
      ['POST', `/api/access-reviews/${id}/close`],
      ['GET', `/api/access-reviews/${id}/export?format=csv`],
    ];
    for (const role of ['agent', 'auditor', 'administrator'] as const) {
      const who = await signIn(app, org, { roles: [role] });
      for (const [method, url, payload] of routes) {
        const res = await app.inject({ method, url, headers: who.headers, ...(payload ? { payload } : {}) });
        expect(res.statusCode, `${role} ${method} ${url}`).toBe(403);
      }
    }
    for (const [method, url, payload] of routes) {
      const res = await app.inject({ method, url, ...(payload ? { payload } : {}) });
      expect(res.statusCode, `anonymous ${method} ${url}`).toBe(401);
    }
    // Nothing was decided or closed by any of them.
    expect((await get(officer, id)).json().campaign).toMatchObject({ status: 'open', counts: { revoked: 0, certified: 0 } });
  });

  it('answers not found for another organisation’s campaign, and lists only one’s own', async () => {
    const org = await buildOrg(services);
    const other = await buildOrg(services);
    const officer = await signIn(app, org, { roles: ['security_officer'] });
    const intruder = await signIn(app, other, { roles: ['security_officer'] });
    const id = (await start(officer, {})).json().campaign.id as string;
    const itemId = (await itemsOf(officer, id))[0]!.id;
    for (const [method, url, payload] of [
      ['GET', `/api/access-reviews/${id}`],
      ['POST', `/api/access-reviews/${id}/items/${itemId}/decision`, { decision: 'revoke', comment: 'mine now' }],
      ['POST', `/api/access-reviews/${id}/close`],
      ['GET', `/api/access-reviews/${id}/export`],
      ['GET', `/api/access-reviews/${ZERO}`],
    ] as Array<['GET' | 'POST', string, object?]>) {
      const res = await app.inject({ method, url, headers: intruder.headers, ...(payload ? { payload } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    const list = (await app.inject({ url: '/api/access-reviews', headers: intruder.headers })).json();
    expect(list.campaigns.map((c: { id: string }) => c.id)).not.toContain(id);
    // Naming a reviewer from another organisation is refused too.
    expect((await start(officer, { reviewerId: intruder.userId })).statusCode).toBe(400);
  });

  it('limits a supervisor to their own team, and to roles whose reach is the team', async () => {
    const org = await buildOrg(services);
    const mine = await buildTeam(services, org);
    const theirs = await buildTeam(services, org);
    const lead = await signIn(app, org, { roles: ['supervisor'], teamIds: [mine] });
    const otherLead = await signIn(app, org, { roles: ['supervisor'], teamIds: [theirs] });
    const member = await buildUser(services, org, { roles: ['agent'], teamIds: [mine, theirs] });
    await buildUser(services, org, { roles: ['agent'], teamIds: [theirs] });

    expect((await start(lead, {})).statusCode).toBe(403);
    expect((await start(lead, { teamId: theirs })).statusCode).toBe(404);
    const res = await start(lead, { teamId: mine });
    expect(res.statusCode).toBe(201);
    const { campaign, items } = res.json() as { campaign: { id: string }; items: Item[] };
    // The team's memberships only, and the agent role; the supervisor role reaches the whole organisation.
    expect(items.filter((i) => i.kind === 'team').every((i) => i.teamId === mine)).toBe(true);
    expect(new Set(items.map((i) => i.userId))).toEqual(new Set([lead.userId, member.userId]));
    expect(items.filter((i) => i.kind === 'role').map((i) => i.roleKey)).toEqual(['agent']);

    // Another team's lead can neither see nor act on it.
    expect((await get(otherLead, campaign.id)).statusCode).toBe(404);
    expect((await app.inject({ url: `/api/access-reviews/${campaign.id}/export`, headers: otherLead.headers })).statusCode).toBe(404);
    const theirList = (await app.inject({ url: '/api/access-reviews', headers: otherLead.headers })).json();
    expect(theirList.campaigns).toEqual([]);
    // An organisation-wide campaign is not the supervisor's to see.
    const officer = await signIn(app, org, { roles: ['security_officer'] });
    const orgWide = (await start(officer, {})).json().campaign.id as string;
    expect((await get(lead, orgWide)).statusCode).toBe(404);
    // The lead revokes the member's membership of their team; the other team is untouched.
    const membership = items.find((i) => i.userId === member.userId && i.kind === 'team')!;
    expect((await decide(lead, campaign.id, membership.id, 'revoke')).statusCode).toBe(200);
    const teamsLeft = await services.database.db.selectFrom('team_members').where('user_id', '=', member.userId).select('team_id').execute();
    expect(teamsLeft).toEqual([{ team_id: theirs }]);
  });

  it('refuses to let anyone decide on their own access', async () => {
    const org = await buildOrg(services);
    const team = await buildTeam(services, org);
    const lead = await signIn(app, org, { roles: ['supervisor'], teamIds: [team] });
    const id = (await start(lead, { teamId: team })).json().campaign.id as string;
    const own = (await itemsOf(lead, id)).find((i) => i.userId === lead.userId)!;
    expect(own.abilities.decide).toBe(false);
    const res = await decide(lead, id, own.id, 'certify', 'I still need it');
    expect(res.statusCode).toBe(403);
    expect(res.json().detail).toMatch(/own access/);
    expect((await itemsOf(lead, id)).find((i) => i.id === own.id)?.decision).toBeNull();
    // Someone who manages reviews organisation-wide may decide it instead.
    const officer = await signIn(app, org, { roles: ['security_officer'] });
    expect((await decide(officer, id, own.id, 'certify')).statusCode).toBe(200);
  });

  it('needs a fresh second factor to revoke, not to certify', async () => {
    const org = await buildOrg(services);
    const officer = await signIn(app, org, { roles: ['security_officer'], stepUp: false });
    const a = await buildUser(services, org, { roles: ['agent'] });
    const b = await buildUser(services, org, { roles: ['agent'] });
    const id = (await start(officer, {})).json().campaign.id as string;
    const items = await itemsOf(officer, id);
    const stale = await decide(officer, id, items.find((i) => i.userId === a.userId)!.id, 'revoke');
    expect(stale.statusCode).toBe(401);
    expect(stale.json().code).toBe('step_up_required');
    expect(await services.database.db.selectFrom('user_roles').where('user_id', '=', a.userId).selectAll().execute()).toHaveLength(1);
    expect((await decide(officer, id, items.find((i) => i.userId === b.userId)!.id, 'certify')).statusCode).toBe(200);
  });

  it('flags dormant accounts and unused permissions from the audit trail', async () => {
    const org = await buildOrg(services);
    const officer = await signIn(app, org, { roles: ['security_officer'] });
    const db = services.database.db;
    const ago = (days: number) => new Date(Date.now() - days * 86_400_000);
    const recent = await buildUser(services, org, { roles: ['agent'] });
    const stale = await buildUser(services, org, { roles: ['agent'] });
    const never = await buildUser(services, org, { roles: ['agent'] });
    await db.updateTable('users').set({ last_signin_at: ago(10) }).where('id', '=', recent.userId).execute();
    await db.updateTable('users').set({ last_signin_at: ago(200) }).where('id', '=', stale.userId).execute();
    const tokenId = '11111111-2222-4333-8444-555555555555';
    await db.insertInto('api_tokens').values({ id: tokenId, org_id: org.orgId, user_id: stale.userId, kind: 'personal', name: 't', token_hash: Buffer.alloc(32, 7), prefix: 'tdt_x', scopes: ['tickets.read'], expires_at: ago(-30) }).execute();
    const seed = (actor: { type: string; id: string }, action: string, daysAgo: number, result = 'success') =>
      db.insertInto('audit_log').values({ id: crypto.randomUUID(), ts: ago(daysAgo), org_id: org.orgId, actor_type: actor.type, actor_id: actor.id, action, result, object_type: null, object_id: null, subject: null, purpose: null, request_id: null, source_ip: null, details: null }).execute();
    await seed({ type: 'user', id: recent.userId }, 'ticket.read', 5);
    await seed({ type: 'user', id: recent.userId }, 'customer.field.reveal', 30);
    await seed({ type: 'user', id: recent.userId }, 'ticket.reply', 120); // outside the window
    await seed({ type: 'user', id: recent.userId }, 'customer.update', 3, 'denied'); // refused: not exercised
    await seed({ type: 'token', id: tokenId }, 'ticket.list', 2); // the stale person's token counts as them
    await seed({ type: 'user', id: never.userId }, 'ticket.read', 400);

    const res = await start(officer, { dormantDays: 90, unusedDays: 90 });
    expect(res.statusCode).toBe(201);
    const items = (res.json().items as Item[]).filter((i) => i.kind === 'role');
    const of = (userId: string) => items.find((i) => i.userId === userId)!;
    expect([of(recent.userId).dormant, of(stale.userId).dormant, of(never.userId).dormant]).toEqual([false, true, true]);
    const agentPermissions = ['customers.read', 'customers.reveal', 'customers.verify', 'customers.write', 'reports.read', 'tickets.read', 'tickets.take', 'tickets.write'];
    expect(of(recent.userId).unusedPermissions).toEqual(['customers.read', 'customers.verify', 'customers.write', 'reports.read', 'tickets.take', 'tickets.write']);
    expect(of(stale.userId).unusedPermissions).toEqual(agentPermissions.filter((p) => p !== 'tickets.read'));
    expect(of(never.userId).unusedPermissions).toEqual(agentPermissions);
  });

  it('exports CSV with RFC 4180 quoting and spreadsheet formulas neutralised', async () => {
    const org = await buildOrg(services);
    const officer = await signIn(app, org, { roles: ['security_officer'] });
    const target = await buildUser(services, org, { roles: ['agent'], name: '+SUM(1,2)' });
    const id = (await start(officer, { name: '@evil "campaign"' })).json().campaign.id as string;
    const item = (await itemsOf(officer, id)).find((i) => i.userId === target.userId)!;
    expect((await decide(officer, id, item.id, 'certify', '=HYPERLINK("http://evil.example","click")')).statusCode).toBe(200);
    const res = await app.inject({ url: `/api/access-reviews/${id}/export?format=csv`, headers: officer.headers });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="access-review-${id}.csv"`);
    const lines = res.body.split('\r\n');
    // The watermark line first (decision 0217), then the header.
    expect(lines[0]).toMatch(/^"# trustdesk-export; exported_by=[^"]+; exported_at=[^"]+; device=none \(unregistered\)"$/);
    expect(lines[1]).toMatch(/^campaign_id,campaign_name,item_id,/);
    const row = lines.find((l) => l.includes(item.id))!;
    expect(row).toContain(`,"'@evil ""campaign""",`);
    expect(row).toContain(`,"'+SUM(1,2)",`);
    expect(row).toContain(`,"'=HYPERLINK(""http://evil.example"",""click"")",`);
    expect(res.body.endsWith('\r\n')).toBe(true);
    const audit = await services.database.db.selectFrom('audit_log').where('action', '=', 'access_review.export').where('object_id', '=', id).select('details').execute();
    expect(audit).toEqual([{ details: { format: 'csv', items: expect.any(Number) } }]);
  });

  it('lets only one of two simultaneous decisions on an item win', async () => {
    const org = await buildOrg(services);
    const officer = await signIn(app, org, { roles: ['security_officer'] });
    const colleague = await signIn(app, org, { roles: ['security_officer'] });
    const target = await buildUser(services, org, { roles: ['agent'] });
    const id = (await start(officer, {})).json().campaign.id as string;
    const item = (await itemsOf(officer, id)).find((i) => i.userId === target.userId)!;
    const answers = await Promise.all([decide(officer, id, item.id, 'revoke'), decide(colleague, id, item.id, 'certify')]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
    const audited = await services.database.db.selectFrom('audit_log').where('object_id', '=', item.id).select('action').execute();
    expect(audited).toHaveLength(1);
  });

  it('validates input: past deadline, unknown fields, a reviewer who may not decide', async () => {
    const org = await buildOrg(services);
    const officer = await signIn(app, org, { roles: ['security_officer'] });
    const agent = await buildUser(services, org, { roles: ['agent'] });
    expect((await start(officer, { deadline: inDays(-1) })).statusCode).toBe(400);
    expect((await start(officer, { surprise: true })).statusCode).toBe(400);
    expect((await start(officer, { name: 'x'.repeat(201) })).statusCode).toBe(400);
    expect((await start(officer, { reviewerId: agent.userId })).statusCode).toBe(400);
    const id = (await start(officer, {})).json().campaign.id as string;
    const itemId = (await itemsOf(officer, id)).find((i) => i.userId === agent.userId)!.id;
    const empty = await app.inject({ method: 'POST', url: `/api/access-reviews/${id}/items/${itemId}/decision`, headers: officer.headers, payload: { decision: 'revoke', comment: '' } });
    expect(empty.statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: `/api/access-reviews/${id}/items/${ZERO}/decision`, headers: officer.headers, payload: { decision: 'revoke', comment: 'x' } })).statusCode).toBe(404);
    expect((await app.inject({ url: `/api/access-reviews/${id}/export?format=xlsx`, headers: officer.headers })).statusCode).toBe(400);
  });
});
