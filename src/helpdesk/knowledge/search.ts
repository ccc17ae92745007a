/**
 * Reading published articles: ranked full-text search (staff, and the
 * portal's public search and request-form suggestions) and the portal's
 * knowledge base. PostgreSQL full-text search over the published versions'
 * title (weight A) and text (weight B), ranked by ts_rank_cd; it runs the same
 * on PGlite. Articles hold no customer data, so plain full-text is right here
 * (decision 0152); customer text keeps its keyed-token index (decision 0080).
 * The portal sees only published public articles of the organisation asked for.
 */
import { sql } from 'kysely';
import { AppError } from '../../platform/errors.js';
import { sanitizeRichText } from '../rich-text/sanitize.js';
import type { ArticleVisibility } from './schema.js';
import './schema.js';
import { portalArticleUrl, type KnowledgeDeps } from './knowledge.service.js';
import { excerptOf, toTsQuery } from './text.js';
import { customerAddress } from '../../identity/organizations/hosts.js';

export interface SearchHit {
  id: string;
  slug: string;
  title: string;
  excerpt: string;
  visibility: ArticleVisibility;
  categoryId: string | null;
  rank: number;
}

/** Published articles of `orgId` matching `text`, best first. `audience: 'public'` leaves internal articles out. */
export async function searchPublished(deps: Pick<KnowledgeDeps, 'db'>, input: { orgId: string; text: string; audience: 'all' | 'public'; limit: number }): Promise<SearchHit[]> {
  const query = toTsQuery(input.text);
  if (!query) return [];
  const { rows } = await sql<{ id: string; slug: string; title: string; body_text: string; visibility: ArticleVisibility; category_id: string | null; rank: number }>`
    SELECT a.id, a.slug, v.title, left(v.body_text, 400) AS body_text, a.visibility, a.category_id, ts_rank_cd(v.search, q.query) AS rank
      FROM kb_articles a
      JOIN kb_article_versions v ON v.id = a.published_version_id
      CROSS JOIN to_tsquery('english', ${query}) AS q(query)
     WHERE a.org_id = ${input.orgId}
       AND a.deleted_at IS NULL
       ${input.audience === 'public' ? sql`AND a.visibility = 'public'` : sql``}
       AND v.search @@ q.query
     ORDER BY rank DESC, v.published_at DESC, a.id
     LIMIT ${input.limit}`.execute(deps.db);
  return rows.map((r) => ({ id: r.id, slug: r.slug, title: r.title, excerpt: excerptOf(r.body_text), visibility: r.visibility, categoryId: r.category_id, rank: Number(r.rank) }));
}

export async function searchForStaff(deps: KnowledgeDeps, orgId: string, input: { q: string; audience?: 'all' | 'public'; limit?: number }) {
  const hits = await searchPublished(deps, { orgId, text: input.q, audience: input.audience ?? 'all', limit: input.limit ?? 8 });
  const address = await customerAddress(deps, orgId);
  return hits.map((h) => ({ id: h.id, slug: h.slug, title: h.title, excerpt: h.excerpt, visibility: h.visibility, portalUrl: h.visibility === 'public' ? portalArticleUrl(address, h.slug) : null }));
}

// ---- the portal ---------------------------------------------------------------------------------------------------

export async function portalHome(deps: Pick<KnowledgeDeps, 'db'>, org: { id: string; name: string }) {
  const categories = await deps.db.selectFrom('kb_categories').where('org_id', '=', org.id).select(['id', 'name']).orderBy('position').orderBy('name').execute();
  const articles = await deps.db
    .selectFrom('kb_articles as a')
    .innerJoin('kb_article_versions as v', 'v.id', 'a.published_version_id')
    .where('a.org_id', '=', org.id)
    .where('a.visibility', '=', 'public')
    .where('a.deleted_at', 'is', null)
    .select(['a.slug', 'v.title', 'a.category_id', sql<string>`left(v.body_text, 400)`.as('text')])
    .orderBy('v.title')
    .limit(500)
    .execute();
  const used = new Set(articles.map((a) => a.category_id));
  return {
    organization: org,
    // A category with nothing a customer may read is not worth a heading.
    categories: categories.filter((c) => used.has(c.id)),
    articles: articles.map((a) => ({ slug: a.slug, title: a.title, excerpt: excerptOf(a.text), categoryId: a.category_id })),
  };
}

export async function portalSearch(deps: Pick<KnowledgeDeps, 'db'>, orgId: string, input: { q: string; limit?: number }) {
  const hits = await searchPublished(deps, { orgId, text: input.q, audience: 'public', limit: input.limit ?? 5 });
  return hits.map((h) => ({ slug: h.slug, title: h.title, excerpt: h.excerpt, categoryId: h.categoryId }));
}

/** One published public article; drafts, internal and withdrawn articles are all simply not found. */
export async function portalArticle(deps: Pick<KnowledgeDeps, 'db'>, orgId: string, slug: string) {
  const row = await deps.db
    .selectFrom('kb_articles as a')
    .innerJoin('kb_article_versions as v', 'v.id', 'a.published_version_id')
    .leftJoin('kb_categories as c', 'c.id', 'a.category_id')
    .where('a.org_id', '=', orgId)
    .where('a.slug', '=', slug)
    .where('a.visibility', '=', 'public')
    .where('a.deleted_at', 'is', null)
    .select(['a.slug', 'v.title', 'v.body_html', 'v.published_at', 'c.name as category'])
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such article.');
  // Sanitised when saved; once more on the way out, so a stored body written before an allowlist change is still safe.
  return { slug: row.slug, title: row.title, html: sanitizeRichText(row.body_html), category: row.category ?? null, publishedAt: new Date(row.published_at).toISOString() };
}
