/**
 * The knowledge base: slugs and queries (pure), then over HTTP on each test database — roles, another
 * organisation's ids, drafts and internal articles never on the portal, the sensitive-data refusal, malicious
 * HTML stored and served sanitised, huge bodies and odd slugs refused, versions kept, ranking.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../platform/app/services.js';
import { createTestServices, testSchemaCache } from '../../platform/app/testing.js';
import { buildOrg, signIn, type RoleKey, type SignedIn, type TestOrg } from '../../identity/auth/testing.js';
import { testDatabaseKinds } from '../../platform/db/testing.js';
import { buildApp } from '../../platform/http/app.js';
import { appRoutes } from '../../platform/http/routes.js';
import { DEFAULT_DLP_POLICY } from '../../protection/dlp/index.js';
import { excerptOf, scanArticle, slugify, toTsQuery } from './text.js';

describe('knowledge-base text (pure)', () => {
  it('makes slugs of ASCII words only, whatever the title', () => {
    expect(slugify('Résetting your  Pässword — quickly!')).toBe('resetting-your-password-quickly');
    expect(slugify('../../etc/passwd')).toBe('etc-passwd');
    expect(slugify('配送について')).toBe('');
    expect(slugify('a'.repeat(50) + ' ' + 'b'.repeat(50)).length).toBeLessThanOrEqual(80);
    expect(slugify('ＦＵＬＬ width\u200b text')).toBe('full-width-text');
  });

  it('turns a search box into a tsquery of words only, the last one a prefix', () => {
    expect(toTsQuery('How do I reset my passw')).toBe('how | do | i | reset | my | passw:*');
    expect(toTsQuery("x' & !(y) | z:* <-> w")).toBe('x | y | z | w');
    expect(toTsQuery('  ;-- ')).toBeNull();
    expect(toTsQuery('word '.repeat(50))!.split('|').length).toBe(12);
  });

  it('cuts excerpts at a word', () => {
    expect(excerptOf('short text')).toBe('short text');
    const e = excerptOf('word '.repeat(100), 30);
    expect(e.endsWith('…')).toBe(true);
    expect(e.length).toBeLessThanOrEqual(31);
  });

  it('lists findings with the values masked: cards refused, a phone number to confirm', () => {
    const f = scanArticle('Paying', 'Pay with 4111 1111 1111 1111 or call +44 20 7946 0958 today.', DEFAULT_DLP_POLICY);
    expect(f.map((x) => [x.type, x.action])).toEqual([['payment_card', 'refuse'], ['phone', 'confirm']]);
    for (const x of f) {
      expect(x.excerpt).not.toContain('4111');
      expect(x.excerpt).not.toContain('7946');
      expect(x.excerpt).toContain('•••');
    }
    expect(scanArticle('Returns', 'Send the parcel back within 30 days.', DEFAULT_DLP_POLICY)).toEqual([]);
  });
});

describe.each(testDatabaseKinds)('knowledge base over HTTP on %s', (kind) => {
  let services: Services;
  let app: FastifyInstance;
  let org: TestOrg;
  let other: TestOrg;
  const as: Partial<Record<RoleKey, SignedIn>> = {};
  let otherAdmin: SignedIn;

  const req = (who: SignedIn | null, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, ...(who ? { headers: who.headers } : {}), ...(payload ? { payload } : method === 'POST' ? { payload: {} } : {}) });
  const write = async (body: Record<string, unknown>, who: SignedIn = as.supervisor!) => {
    const res = await req(who, 'POST', '/api/kb/articles', body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; slug: string; body: string; portalUrl: string | null; findings: unknown[] };
  };
  const publish = async (id: string, who: SignedIn = as.supervisor!) => {
    const res = await req(who, 'POST', `/api/kb/articles/${id}/publish`, {});
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const portal = (url: string, orgId = org.orgId) => app.inject({ method: 'GET', url: `${url}${url.includes('?') ? '&' : '?'}organizationId=${orgId}` });

  beforeAll(async () => {
    services = await createTestServices(kind);
    app = await buildApp({ services, routes: appRoutes, schemaCache: testSchemaCache });
    org = await buildOrg(services);
    other = await buildOrg(services);
    for (const role of ['agent', 'supervisor', 'administrator', 'auditor'] as const) as[role] = await signIn(app, org, { roles: [role] });
    otherAdmin = await signIn(app, other, { roles: ['administrator'] });
  });
  afterAll(async () => {
    await app?.close();
    await services?.close();
  });

  it('lets leads and administrators write; agents read published articles only; auditors nothing', async () => {
    const body = { title: 'Opening hours', body: '<p>We answer from nine to five.</p>', visibility: 'public' };
    for (const role of ['agent', 'auditor'] as const) expect((await req(as[role]!, 'POST', '/api/kb/articles', body)).statusCode).toBe(403);
    const a = await write(body, as.administrator!);
    expect(a.slug).toBe('opening-hours');
    // An agent does not see the draft, by list or by id.
    expect((await req(as.agent!, 'GET', '/api/kb/articles')).json().items.map((x: { id: string }) => x.id)).not.toContain(a.id);
    expect((await req(as.agent!, 'GET', `/api/kb/articles/${a.id}`)).statusCode).toBe(404);
    expect((await req(as.auditor!, 'GET', '/api/kb/articles')).statusCode).toBe(403);
    expect((await req(as.agent!, 'POST', `/api/kb/articles/${a.id}/publish`, {})).statusCode).toBe(403);
    await publish(a.id);
    const read = await req(as.agent!, 'GET', `/api/kb/articles/${a.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ title: 'Opening hours', published: true, findings: [] });
    expect(read.json().portalUrl).toBe(`${services.config.publicUrl.replace(/\/+$/, '')}/portal/help/opening-hours?org=${org.orgId}`);
  });

  it('answers not found for another organisation’s articles and categories, and changes nothing', async () => {
    const a = await write({ title: 'Mine only', body: '<p>Ours.</p>' });
    const cat = (await req(as.supervisor!, 'POST', '/api/kb/categories', { name: `Cat ${randomUUID().slice(0, 6)}` })).json();
    const payload = { title: 'Hijacked', body: '<p>x</p>' };
    for (const [method, url, body] of [
      ['GET', `/api/kb/articles/${a.id}`], ['PUT', `/api/kb/articles/${a.id}`, payload], ['POST', `/api/kb/articles/${a.id}/publish`, {}],
      ['POST', `/api/kb/articles/${a.id}/unpublish`], ['DELETE', `/api/kb/articles/${a.id}`], ['GET', `/api/kb/articles/${a.id}/versions`],
      ['PUT', `/api/kb/categories/${cat.id}`, { name: 'Taken over' }], ['DELETE', `/api/kb/categories/${cat.id}`],
    ] as const) {
      const res = await req(otherAdmin, method, url, body);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    // Nor can another organisation's category be attached to our article, or ours to theirs.
    expect((await req(otherAdmin, 'POST', '/api/kb/articles', { ...payload, categoryId: cat.id })).statusCode).toBe(404);
    const mine = (await req(as.supervisor!, 'GET', `/api/kb/articles/${a.id}`)).json();
    expect(mine).toMatchObject({ title: 'Mine only', published: false });
    expect((await req(otherAdmin, 'GET', '/api/kb/articles')).json().items).toEqual([]);
  });

  it('never shows drafts, internal or withdrawn articles on the portal', async () => {
    const internal = await write({ title: 'Refund override procedure', body: '<p>Internal: approve refunds over the limit.</p>', visibility: 'internal' });
    await publish(internal.id);
    const draft = await write({ title: 'Refund timelines draft', body: '<p>Refunds take five days.</p>', visibility: 'public' });
    const withdrawn = await write({ title: 'Refund old policy', body: '<p>Refunds take ten days.</p>', visibility: 'public' });
    await publish(withdrawn.id);
    expect((await req(as.supervisor!, 'POST', `/api/kb/articles/${withdrawn.id}/unpublish`)).statusCode).toBe(200);
    const live = await write({ title: 'Refunds explained', body: '<p>Refunds reach your card within five days.</p>', visibility: 'public' });
    await publish(live.id);

    const search = await portal('/api/portal/kb/search?q=refund');
    expect(search.statusCode).toBe(200);
    expect(search.json().items.map((x: { slug: string }) => x.slug)).toEqual([live.slug]);
    const home = (await portal('/api/portal/kb')).json();
    const slugs = home.articles.map((x: { slug: string }) => x.slug);
    expect(slugs).toContain(live.slug);
    for (const hidden of [internal, draft, withdrawn]) {
      expect(slugs).not.toContain(hidden.slug);
      expect((await portal(`/api/portal/kb/articles/${hidden.slug}`)).statusCode).toBe(404);
    }
    expect((await portal(`/api/portal/kb/articles/${live.slug}`)).json()).toMatchObject({ title: 'Refunds explained' });
    // Another organisation's portal does not see ours; staff search does include internal articles.
    expect((await portal('/api/portal/kb/search?q=refund', other.orgId)).json().items).toEqual([]);
    expect((await app.inject({ url: `/api/portal/kb/articles/${live.slug}?organizationId=${randomUUID()}` })).statusCode).toBe(404);
    const staff = (await req(as.agent!, 'GET', '/api/kb/search?q=refund')).json().items.map((x: { slug: string }) => x.slug);
    expect(staff).toEqual(expect.arrayContaining([internal.slug, live.slug]));
    expect(staff).not.toContain(draft.slug);
    const picker = (await req(as.agent!, 'GET', '/api/kb/search?q=refund&audience=public')).json().items;
    expect(picker.map((x: { slug: string }) => x.slug)).toEqual([live.slug]);
    expect(picker[0].portalUrl).toContain(`/portal/help/${live.slug}?org=${org.orgId}`);
  });

  it('editing a published article makes a draft; the portal keeps the published version until the next publish; history kept', async () => {
    const a = await write({ title: 'Delivery times', body: '<p>Parcels arrive in three days.</p>', visibility: 'public' });
    await publish(a.id);
    const edited = await req(as.supervisor!, 'PUT', `/api/kb/articles/${a.id}`, { title: 'Delivery times', body: '<p>Parcels arrive in two days.</p>', visibility: 'public' });
    expect(edited.json()).toMatchObject({ hasDraft: true, published: true, publishedBody: '<p>Parcels arrive in three days.</p>', version: 1 });
    expect((await portal(`/api/portal/kb/articles/${a.slug}`)).json().html).toContain('three days');
    expect((await req(as.agent!, 'GET', `/api/kb/articles/${a.id}`)).json().body).toContain('three days');
    expect((await req(as.supervisor!, 'POST', `/api/kb/articles/${a.id}/publish`, {})).json()).toMatchObject({ version: 2, hasDraft: false });
    expect((await portal(`/api/portal/kb/articles/${a.slug}`)).json().html).toContain('two days');
    // Publishing again with nothing new is refused (a replayed click changes nothing).
    expect((await req(as.supervisor!, 'POST', `/api/kb/articles/${a.id}/publish`, {})).statusCode).toBe(409);
    const versions = (await req(as.supervisor!, 'GET', `/api/kb/articles/${a.id}/versions`)).json().items;
    expect(versions.map((v: { version: number; current: boolean }) => [v.version, v.current])).toEqual([[2, true], [1, false]]);
    expect((await req(as.agent!, 'GET', `/api/kb/articles/${a.id}/versions`)).statusCode).toBe(403);
    // Deleting withdraws it from the portal and lists; the audit trail has publish, unpublish and delete.
    expect((await req(as.supervisor!, 'POST', `/api/kb/articles/${a.id}/unpublish`)).json()).toMatchObject({ published: false, hasDraft: true });
    expect((await req(as.supervisor!, 'DELETE', `/api/kb/articles/${a.id}`)).statusCode).toBe(200);
    expect((await portal(`/api/portal/kb/articles/${a.slug}`)).statusCode).toBe(404);
    expect((await req(as.supervisor!, 'GET', `/api/kb/articles/${a.id}`)).statusCode).toBe(404);
    const actions = await services.database.db.selectFrom('audit_log').where('object_id', '=', a.id).select(['action', 'actor_id']).orderBy('seq').execute();
    expect(actions.map((x) => x.action)).toEqual(['kb.article.create', 'kb.article.publish', 'kb.article.update', 'kb.article.publish', 'kb.article.unpublish', 'kb.article.delete']);
    expect(actions.every((x) => x.actor_id === as.supervisor!.userId)).toBe(true);
    // The freed slug can be used again.
    expect((await write({ title: 'Delivery times', body: '<p>New.</p>' })).slug).toBe('delivery-times');
  });

  it('refuses to store a card number even in a draft, and refuses to publish other sensitive data unconfirmed', async () => {
    const card = await req(as.supervisor!, 'POST', '/api/kb/articles', { title: 'Test payments', body: '<p>Use 4111 1111 1111 1111 to test.</p>' });
    expect(card.statusCode).toBe(400);
    expect(card.headers['content-type']).toMatch(/problem\+json/);
    expect(card.json().findings).toEqual([expect.objectContaining({ type: 'payment_card', action: 'refuse' })]);
    expect(card.body).not.toContain('4111 1111');
    const leaked = await services.database.db.selectFrom('kb_articles').where('title', '=', 'Test payments').select('id').execute();
    expect(leaked).toEqual([]);

    const phone = await write({ title: 'Call us', body: '<p>Ring +44 20 7946 0958 for help.</p>', visibility: 'public' });
    expect(phone.findings).toEqual([expect.objectContaining({ type: 'phone', action: 'confirm' })]);
    const refused = await req(as.supervisor!, 'POST', `/api/kb/articles/${phone.id}/publish`, {});
    expect(refused.statusCode).toBe(409);
    expect(refused.json().findings[0]).toMatchObject({ type: 'phone', action: 'confirm' });
    expect((await portal(`/api/portal/kb/articles/${phone.slug}`)).statusCode).toBe(404);
    const ok = await req(as.supervisor!, 'POST', `/api/kb/articles/${phone.id}/publish`, { acknowledgeFindings: true });
    expect(ok.statusCode).toBe(200);
    const audit = await services.database.db.selectFrom('audit_log').where('object_id', '=', phone.id).where('action', '=', 'kb.article.publish').select('details').executeTakeFirstOrThrow();
    expect(audit.details).toMatchObject({ acknowledgedTypes: ['phone'] });
  });

  it('stores and serves malicious HTML sanitised', async () => {
    const payloads = [
      '<img src=x onerror=alert(1)>', '<script>alert(1)</script>', '<a href="javascript:alert(1)">click</a>', '<svg onload=alert(1)><circle/></svg>',
      '<iframe src="https://evil.example"></iframe>', '<p style="background:url(javascript:alert(1))" onclick="alert(1)">styled</p>',
      '<a href="https://example.org/help" onmouseover="alert(1)">safe link</a>', '<form action="https://evil.example"><input name=x></form>',
    ];
    const a = await write({ title: 'Payload list', body: `<p>Intro.</p>${payloads.join('')}`, visibility: 'public' });
    await publish(a.id);
    const stored = await services.database.db.selectFrom('kb_articles').where('id', '=', a.id).select('body_html').executeTakeFirstOrThrow();
    const served = (await portal(`/api/portal/kb/articles/${a.slug}`)).json().html as string;
    for (const html of [stored.body_html, served, a.body]) {
      expect(html).not.toMatch(/<script|onerror|onload|onclick|onmouseover|javascript:|<iframe|<svg|<form|<input|style=|<img/i);
      expect(html).toContain('<a href="https://example.org/help" target="_blank" rel="noopener noreferrer nofollow">safe link</a>');
    }
    // Nothing readable at all is not an article.
    expect((await req(as.supervisor!, 'POST', '/api/kb/articles', { title: 'Empty', body: '<script>alert(1)</script><p> </p>' })).statusCode).toBe(400);
  });

  it('refuses huge bodies, odd slugs and odd search input with a clear error', async () => {
    const huge = await req(as.supervisor!, 'POST', '/api/kb/articles', { title: 'Huge', body: `<p>${'a'.repeat(200_001)}</p>` });
    expect(huge.statusCode).toBe(400);
    for (const slug of ['../admin', 'UPPER', 'spaces here', 'trailing-', 'café', '..', 'a/b', 'x'.repeat(81), 'ａｂｃ']) {
      const res = await req(as.supervisor!, 'POST', '/api/kb/articles', { title: 'Slug test', body: '<p>x</p>', slug });
      expect(res.statusCode, slug).toBe(400);
    }
    for (const slug of ['..%2F..%2Fadmin', 'caf%C3%A9', 'a%00b', '%2e%2e']) {
      // Refused by the slug's pattern, or (a dot segment) never reaching the route at all.
      const res = await portal(`/api/portal/kb/articles/${slug}`);
      expect(res.statusCode, slug).toBe(slug === '%2e%2e' ? res.statusCode : 400);
      expect([400, 401, 404], slug).toContain(res.statusCode);
    }
    const first = await write({ title: 'Same title', body: '<p>one</p>' });
    const second = await write({ title: 'Same title', body: '<p>two</p>' });
    expect([first.slug, second.slug]).toEqual(['same-title', 'same-title-2']);
    expect((await req(as.supervisor!, 'POST', '/api/kb/articles', { title: 'Clash', body: '<p>x</p>', slug: 'same-title' })).statusCode).toBe(409);
    expect((await write({ title: '配送について', body: '<p>x</p>' })).slug).toMatch(/^article(-\d+)?$/);
    for (const q of ["'; DROP TABLE kb_articles; --", '!!!', 'a:* & | <->', '\u0000', 'x'.repeat(200)]) {
      const res = await portal(`/api/portal/kb/search?q=${encodeURIComponent(q)}`);
      // Only letters and digits reach the query: nothing else of the text can act as syntax.
      expect(res.statusCode, q).toBe(200);
      expect(Array.isArray(res.json().items)).toBe(true);
    }
    expect((await portal(`/api/portal/kb/search?q=${'x'.repeat(201)}`)).statusCode).toBe(400);
  });

  it('ranks title matches above text matches, and more matching words higher', async () => {
    const org2 = await buildOrg(services);
    const lead = await signIn(app, org2, { roles: ['supervisor'] });
    const body = (t: string) => ({ title: t.split('|')[0]!, body: `<p>${t.split('|')[1]}</p>`, visibility: 'public' });
    const inText = await write(body('Account settings|You can reset a forgotten password from the sign-in page.'), lead);
    const inTitle = await write(body('Reset your password|Follow the steps below.'), lead);
    const unrelated = await write(body('Shipping to Europe|Parcels travel by road.'), lead);
    for (const a of [inText, inTitle, unrelated]) await publish(a.id, lead);
    const hits = (await portal('/api/portal/kb/search?q=How do I reset my passwo', org2.orgId)).json().items.map((x: { slug: string }) => x.slug);
    expect(hits).toEqual([inTitle.slug, inText.slug]);
    // Stemming: "resetting passwords" finds both too.
    expect((await portal('/api/portal/kb/search?q=resetting passwords', org2.orgId)).json().items).toHaveLength(2);
    expect((await portal('/api/portal/kb/search?q=the', org2.orgId)).json().items).toEqual([]);
  });

  it('manages categories: unique names, counts, deleting one leaves its articles uncategorised', async () => {
    const name = `Billing ${randomUUID().slice(0, 6)}`;
    const cat = await req(as.supervisor!, 'POST', '/api/kb/categories', { name });
    expect(cat.statusCode).toBe(201);
    expect((await req(as.supervisor!, 'POST', '/api/kb/categories', { name })).statusCode).toBe(409);
    expect((await req(as.agent!, 'POST', '/api/kb/categories', { name: 'Agent made' })).statusCode).toBe(403);
    const a = await write({ title: `Invoices ${name}`, body: '<p>Invoices are mailed monthly.</p>', categoryId: cat.json().id, visibility: 'public' });
    const listed = (await req(as.supervisor!, 'GET', '/api/kb/categories')).json().items.find((c: { id: string }) => c.id === cat.json().id);
    expect(listed.articleCount).toBe(1);
    // Agents count published articles only.
    expect((await req(as.agent!, 'GET', '/api/kb/categories')).json().items.find((c: { id: string }) => c.id === cat.json().id).articleCount).toBe(0);
    expect((await req(as.supervisor!, 'DELETE', `/api/kb/categories/${cat.json().id}`)).statusCode).toBe(200);
    expect((await req(as.supervisor!, 'GET', `/api/kb/articles/${a.id}`)).json().categoryId).toBeNull();
  });
});
