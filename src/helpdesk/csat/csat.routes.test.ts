import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices } from '../../platform/app/testing.js';
import { buildOrg, buildTeam, signIn, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { dumpAllTables, dumpContains } from '../../platform/db/dump.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { processOutboundQueue } from '../mail/outbound-queue.js';
import type { ComposedMail } from '../mail/compose.js';
import { createHelpdeskDeps } from '../tickets/context.js';
import { buildCustomerWithTicket, buildPortalApp, nextIp, portalSignIn } from '../portal/testing.js';
import { CSAT_SURVEY_NOTE } from './csat.service.js';
import { composeCsatSurvey, looksLikeCsatToken, newCsatToken } from './csat-token.js';
import './schema.js';

describe('rating-link tokens', () => {
  it('are 256-bit, prefixed, and recognised only in their exact shape', () => {
    const a = newCsatToken();
    expect(looksLikeCsatToken(a)).toBe(true);
    expect(a).not.toBe(newCsatToken());
    expect(looksLikeCsatToken(a.slice(0, -1))).toBe(false);
    expect(looksLikeCsatToken(`tdm_${a.slice(4)}`)).toBe(false);
    expect(looksLikeCsatToken(`${a.slice(0, -1)}!`)).toBe(false);
    expect(looksLikeCsatToken(42)).toBe(false);
  });
  it('the survey mail carries the ticket number and both links, nothing else of the ticket', () => {
    const text = composeCsatSurvey({ ticketNumber: 7, publicUrl: 'https://help.example', token: 'tdc_x', expiresAt: new Date('2030-01-01T00:00:00Z'), brand: 'Acme Support' });
    expect(text).toContain('#7 to Acme Support');
    expect(text).toContain('https://help.example/portal/rate?token=tdc_x&rating=good');
    expect(text).toContain('https://help.example/portal/rate?token=tdc_x&rating=bad');
  });
});

describe.each(testDatabaseKinds)('CSAT on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let otherOrg: TestOrg;
  let team: string;
  let agent: SignedIn;
  let n = 0;
  const db = () => services.database.db;

  beforeAll(async () => {
    services = await createTestServices(kind);
    ({ app } = await buildPortalApp(services));
    org = await buildOrg(services);
    otherOrg = await buildOrg(services);
    team = await buildTeam(services, org);
    agent = await signIn(app, org, { roles: ['agent'], teamIds: [team] });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  async function ticket(options: { channel?: 'email' | 'web'; orgId?: string } = {}) {
    const email = `csat${++n}@customer.example`;
    return { email, ...(await buildCustomerWithTicket(services, { orgId: options.orgId ?? org.orgId, email, teamId: options.orgId ? null : team, channel: options.channel ?? 'email' })) };
  }
  const solve = (ticketId: string, who: SignedIn = agent) => app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/status`, headers: who.headers, payload: { status: 'solved' } });
  async function surveyText(ticketId: string): Promise<string[]> {
    const rows = await db().selectFrom('outbound_mail').innerJoin('csat_surveys', 'csat_surveys.message_id', 'outbound_mail.message_id').where('outbound_mail.ticket_id', '=', ticketId).select(['outbound_mail.id', 'outbound_mail.body_enc']).execute();
    return Promise.all(rows.map((r) => services.keyring.decrypt({ table: 'outbound_mail', column: 'body_enc', rowId: r.id }, r.body_enc as Uint8Array)));
  }
  async function tokenFor(ticketId: string): Promise<string> {
    const [text] = await surveyText(ticketId);
    return /token=(tdc_[A-Za-z0-9_-]+)/.exec(text ?? '')?.[1] as string;
  }
  const check = (token: string) => app.inject({ method: 'POST', url: '/api/portal/csat/check', remoteAddress: nextIp(), payload: { token } });
  const rate = (token: string, rating: 'good' | 'bad', comment?: string) =>
    app.inject({ method: 'POST', url: '/api/portal/csat/rate', remoteAddress: nextIp(), payload: { token, rating, ...(comment === undefined ? {} : { comment }) } });
  const ratings = (ticketId: string) => db().selectFrom('csat_ratings').where('ticket_id', '=', ticketId).selectAll().execute();

  it('solving an email ticket queues one survey email through the outbound queue; the conversation keeps a note without the links', async () => {
    const t = await ticket();
    expect((await solve(t.ticketId)).statusCode).toBe(200);
    const texts = await surveyText(t.ticketId);
    expect(texts).toHaveLength(1);
    const token = await tokenFor(t.ticketId);
    expect(looksLikeCsatToken(token)).toBe(true);
    // Stored only as a hash.
    expect(dumpContains(await dumpAllTables(db()), token)).toBe(false);
    const read = await app.inject({ method: 'GET', url: `/api/tickets/${t.ticketId}`, headers: agent.headers });
    const notes = read.json().messages.filter((m: { body: string }) => m.body === CSAT_SURVEY_NOTE);
    expect(notes).toHaveLength(1);
    expect(read.body).not.toContain('tdc_');
    // The worker sends it to the requester, threaded like a reply.
    const sent: ComposedMail[] = [];
    await processOutboundQueue(await createHelpdeskDeps(services), { send: async (mail) => (sent.push(mail), { delivery: 'sent' as const }) }, { limit: 500 });
    const mail = sent.find((m) => m.to === t.email);
    expect(mail?.text).toContain(`/portal/rate?token=${token}&rating=good`);
    // Solving again without a reopen is no change: still one survey.
    await solve(t.ticketId);
    expect(await db().selectFrom('csat_surveys').where('ticket_id', '=', t.ticketId).select('id').execute()).toHaveLength(1);
  }, 120_000); // the file's first requests pay for loading the routes' modules

  it('sends none for a web ticket, a ticket held for phishing, or when the organisation turned surveys off', async () => {
    const web = await ticket({ channel: 'web' });
    await solve(web.ticketId);
    expect(await surveyText(web.ticketId)).toEqual([]);

    const held = await ticket();
    await db().updateTable('messages').set({ reported_at: new Date() }).where('ticket_id', '=', held.ticketId).execute();
    expect((await solve(held.ticketId)).statusCode).toBe(200);
    expect(await surveyText(held.ticketId)).toEqual([]);

    const off = await buildOrg(services);
    const offTeam = await buildTeam(services, off);
    const offAgent = await signIn(app, off, { roles: ['agent'], teamIds: [offTeam] });
    const c = await buildCustomerWithTicket(services, { orgId: off.orgId, email: 'off@customer.example', teamId: offTeam });
    await db().updateTable('organizations').set({ settings: JSON.stringify({ csat: { enabled: false } }) }).where('id', '=', off.orgId).execute();
    expect((await solve(c.ticketId, offAgent)).statusCode).toBe(200);
    expect(await surveyText(c.ticketId)).toEqual([]);
  });

  it('bulk solving and a reply that solves send one survey per ticket', async () => {
    const lead = await signIn(app, org, { roles: ['supervisor'], teamIds: [team] });
    const a = await ticket();
    const b = await ticket();
    const bulk = await app.inject({ method: 'POST', url: '/api/tickets/bulk', headers: lead.headers, payload: { ticketIds: [a.ticketId, b.ticketId], status: 'solved' } });
    expect(bulk.statusCode).toBe(200);
    expect(await surveyText(a.ticketId)).toHaveLength(1);
    expect(await surveyText(b.ticketId)).toHaveLength(1);
    const c = await ticket();
    const reply = await app.inject({ method: 'POST', url: `/api/tickets/${c.ticketId}/replies`, headers: agent.headers, payload: { body: 'Fixed, closing this.', status: 'solved' } });
    expect(reply.statusCode).toBe(201);
    expect(await surveyText(c.ticketId)).toHaveLength(1);
  });

  it('opening the link records nothing; submitting records; a replay shows and may change the rating until expiry', async () => {
    const t = await ticket();
    await solve(t.ticketId);
    const token = await tokenFor(t.ticketId);
    const auditBefore = await db().selectFrom('audit_log').where('action', '=', 'csat.rate').select('seq').execute();
    // The page (what a mail scanner fetches) and its check: no rating, no audit row.
    const page = await app.inject({ method: 'GET', url: `/portal/rate?token=${token}&rating=bad`, remoteAddress: nextIp() });
    expect([200, 503]).toContain(page.statusCode);
    const state = await check(token);
    expect(state.statusCode).toBe(200);
    expect(state.json()).toMatchObject({ state: 'usable', ticketNumber: Number(t.ticketNumber), rating: null });
    expect(await ratings(t.ticketId)).toEqual([]);
    expect(await db().selectFrom('audit_log').where('action', '=', 'csat.rate').select('seq').execute()).toHaveLength(auditBefore.length);

    const first = await rate(token, 'bad', 'Took too long');
    expect(first.statusCode).toBe(200);
    expect((await ratings(t.ticketId)).map((r) => [r.rating, r.source])).toEqual([['bad', 'email']]);
    // Replayed: the page shows the rating given; a new answer replaces it (one row per ticket).
    expect((await check(token)).json().rating).toBe('bad');
    expect((await rate(token, 'good')).statusCode).toBe(200);
    const after = await ratings(t.ticketId);
    expect(after.map((r) => [r.rating, r.comment_enc])).toEqual([['good', null]]);

    // Expired: a clear answer, nothing changes.
    await db().updateTable('csat_surveys').set({ expires_at: new Date(Date.now() - 1000) }).where('ticket_id', '=', t.ticketId).execute();
    expect((await check(token)).json().state).toBe('expired');
    const late = await rate(token, 'bad', 'changed my mind');
    expect(late.statusCode).toBe(410);
    expect(late.json().detail).toMatch(/expired/);
    expect((await ratings(t.ticketId)).map((r) => r.rating)).toEqual(['good']);
  });

  it('a forged or malformed token is refused and records nothing', async () => {
    const before = await db().selectFrom('csat_ratings').select('id').execute();
    for (const token of [newCsatToken(), 'tdc_short', 'x'.repeat(100), '']) {
      expect((await check(token)).json().state).toBe('invalid');
      const res = await rate(token, 'good');
      expect(res.statusCode).toBe(410);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect(await db().selectFrom('csat_ratings').select('id').execute()).toHaveLength(before.length);
    const tooLong = await app.inject({ method: 'POST', url: '/api/portal/csat/rate', remoteAddress: nextIp(), payload: { token: newCsatToken(), rating: 'good', comment: 'x'.repeat(2001) } });
    expect(tooLong.statusCode).toBe(400);
    const badRating = await app.inject({ method: 'POST', url: '/api/portal/csat/rate', remoteAddress: nextIp(), payload: { token: newCsatToken(), rating: 'meh' } });
    expect(badRating.statusCode).toBe(400);
  });

  it('a link rates only its own ticket in its own organisation', async () => {
    const mine = await ticket();
    const foreign = await ticket({ orgId: otherOrg.orgId });
    const foreignAgent = await signIn(app, otherOrg, { roles: ['administrator'] });
    await solve(mine.ticketId);
    await solve(foreign.ticketId, foreignAgent);
    const token = await tokenFor(foreign.ticketId);
    expect((await rate(token, 'bad')).statusCode).toBe(200);
    expect(await ratings(mine.ticketId)).toEqual([]);
    const [r] = await ratings(foreign.ticketId);
    expect(r?.org_id).toBe(otherOrg.orgId);
    // Staff of the first organisation cannot read the other's rating.
    expect((await app.inject({ method: 'GET', url: `/api/tickets/${foreign.ticketId}/csat`, headers: agent.headers })).statusCode).toBe(404);
  });

  it('the comment goes through the sensitive-data scanner and is stored encrypted; staff read it on the ticket (audited), other teams cannot', async () => {
    const t = await ticket();
    await solve(t.ticketId);
    const token = await tokenFor(t.ticketId);
    const comment = 'Lovely service. Charge my card 4111 1111 1111 1111 next time, ask for Priya Okonkwo-Lindqvist.';
    const res = await rate(token, 'good', comment);
    expect(res.statusCode).toBe(200);
    expect(res.json().redactions).toBeGreaterThan(0);
    const dump = await dumpAllTables(db());
    expect(dumpContains(dump, '4111111111111111')).toBe(false);
    expect(dumpContains(dump, 'Okonkwo-Lindqvist')).toBe(false);
    const read = await app.inject({ method: 'GET', url: `/api/tickets/${t.ticketId}/csat`, headers: agent.headers });
    expect(read.statusCode).toBe(200);
    expect(read.json().rating).toMatchObject({ rating: 'good', source: 'email' });
    expect(read.json().rating.comment).toContain('Okonkwo-Lindqvist');
    expect(read.json().rating.comment).not.toMatch(/4111 1111 1111 1111/);
    expect(read.json().surveySentAt).toBeTruthy();
    const audit = await db().selectFrom('audit_log').where('action', '=', 'csat.read').where('object_id', '=', t.ticketId).select('actor_id').execute();
    expect(audit).toHaveLength(1);
    const otherTeam = await signIn(app, org, { roles: ['agent'], teamIds: [await buildTeam(services, org)] });
    expect((await app.inject({ method: 'GET', url: `/api/tickets/${t.ticketId}/csat`, headers: otherTeam.headers })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/api/tickets/${t.ticketId}/csat` })).statusCode).toBe(401);
  });

  it('a macro that solves without replying sends the survey too', async () => {
    const lead = await signIn(app, org, { roles: ['supervisor'], teamIds: [team] });
    const macro = await app.inject({ method: 'POST', url: '/api/macros', headers: lead.headers, payload: { name: 'Done', body: 'Solved.', actions: { status: 'solved' } } });
    expect(macro.statusCode).toBe(201);
    for (const send of ['none', 'note'] as const) {
      const t = await ticket();
      const res = await app.inject({ method: 'POST', url: `/api/tickets/${t.ticketId}/macros/${macro.json().id}/apply`, headers: agent.headers, payload: { send } });
      expect(res.statusCode, send).toBe(200);
      expect(await surveyText(t.ticketId), send).toHaveLength(1);
    }
  });

  it('an administrator turns the survey off and on again (audited); agents and other organisations cannot', async () => {
    const admin = await signIn(app, org, { roles: ['administrator'] });
    const outsider = await signIn(app, otherOrg, { roles: ['administrator'] });
    const url = '/api/organization/csat';
    expect((await app.inject({ method: 'GET', url, headers: admin.headers })).json()).toEqual({ enabled: true });
    expect((await app.inject({ method: 'PUT', url, headers: agent.headers, payload: { enabled: false } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'PUT', url, payload: { enabled: false } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'PUT', url, headers: admin.headers, payload: { enabled: 'no' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'PUT', url, headers: admin.headers, payload: { enabled: false, extra: 1 } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'PUT', url, headers: outsider.headers, payload: { enabled: false } })).statusCode).toBe(200);
    // The other organisation's switch changed nothing here.
    const before = await ticket();
    await solve(before.ticketId);
    expect(await surveyText(before.ticketId)).toHaveLength(1);

    expect((await app.inject({ method: 'PUT', url, headers: admin.headers, payload: { enabled: false } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url, headers: admin.headers })).json()).toEqual({ enabled: false });
    const off = await ticket();
    await solve(off.ticketId);
    expect(await surveyText(off.ticketId)).toEqual([]);
    // Other settings of the organisation are untouched by the switch.
    const settings = (await db().selectFrom('organizations').where('id', '=', org.orgId).select('settings').executeTakeFirstOrThrow()).settings as Record<string, unknown>;
    expect(settings.csat).toEqual({ enabled: false });
    expect((await app.inject({ method: 'PUT', url, headers: admin.headers, payload: { enabled: true } })).statusCode).toBe(200);
    const audits = await db().selectFrom('audit_log').where('org_id', '=', org.orgId).where('action', '=', 'policy.csat_change').select('details').execute();
    expect(audits.map((a) => (a.details as { enabled: boolean }).enabled)).toEqual([false, true]);
  });

  it('the customer rates a solved request from the portal; not before it is solved, and never someone else’s', async () => {
    const t = await ticket({ channel: 'web' });
    const session = await portalSignIn(app, { orgId: org.orgId, email: t.email });
    const url = `/api/portal/tickets/${t.ticketId}/csat`;
    expect((await app.inject({ method: 'GET', url, headers: session.headers })).json()).toEqual({ canRate: false, rating: null, ratedAt: null });
    expect((await app.inject({ method: 'POST', url, headers: session.headers, payload: { rating: 'good' } })).statusCode).toBe(409);
    await solve(t.ticketId);
    const ok = await app.inject({ method: 'POST', url, headers: session.headers, payload: { rating: 'good', comment: 'Quick and kind' } });
    expect(ok.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url, headers: session.headers })).json()).toMatchObject({ canRate: true, rating: 'good' });
    expect((await ratings(t.ticketId)).map((r) => r.source)).toEqual(['portal']);
    // Without the CSRF header, or without a session: refused.
    expect((await app.inject({ method: 'POST', url, headers: { cookie: session.headers.cookie }, payload: { rating: 'bad' } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url, payload: { rating: 'bad' } })).statusCode).toBe(401);
    // Another customer's request (same organisation or another): not found.
    const other = await ticket();
    await solve(other.ticketId);
    expect((await app.inject({ method: 'POST', url: `/api/portal/tickets/${other.ticketId}/csat`, headers: session.headers, payload: { rating: 'bad' } })).statusCode).toBe(404);
    const foreign = await ticket({ orgId: otherOrg.orgId });
    expect((await app.inject({ method: 'GET', url: `/api/portal/tickets/${foreign.ticketId}/csat`, headers: session.headers })).statusCode).toBe(404);
    expect(await ratings(other.ticketId)).toEqual([]);
  });
});
