/**
 * Knowledge-base articles and categories for staff. An article is a working
 * copy people edit plus, once published, a version in force: publishing copies
 * the working copy into a new immutable version (history kept) after the
 * sensitive-data scanner passes it; editing never touches the published
 * version. Bodies are sanitised on the way in with the one rich-text allowlist.
 * Readers (tickets.read) see published articles, internal ones included;
 * managers (kb.manage) also see drafts. Another organisation's ids are
 * not found. Every change and its audit event commit together.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { can } from '../../identity/auth/access.js';
import type { AuditLog } from '../../protection/audit/audit-log.js';
import type { Executor } from '../../protection/crypto/keyring.js';
import { loadOrgDlp } from '../../protection/dlp-policy/org-policy.js';
import { AppError } from '../../platform/errors.js';
import type { Database } from '../../platform/db/schema.js';
import { isBlankRichText, richTextToPlain, sanitizeRichText } from '../rich-text/sanitize.js';
import { actingFromAgent, type AgentContext } from '../tickets/context.js';
import type { ArticleVisibility } from './schema.js';
import './schema.js';
import { scanArticle, slugify, type ArticleFinding } from './text.js';
import { customerAddress, type CustomerAddress } from '../../identity/organizations/hosts.js';

export interface KnowledgeDeps {
  db: Kysely<Database>;
  audit: AuditLog;
  /** The installation's public address, for portal links. */
  publicUrl: string;
}

export interface ArticleSummaryView {
  id: string;
  slug: string;
  title: string;
  categoryId: string | null;
  visibility: ArticleVisibility;
  published: boolean;
  hasDraft: boolean;
  updatedAt: string;
  publishedAt: string | null;
}

export interface ArticleView extends ArticleSummaryView {
  body: string;
  publishedTitle: string | null;
  publishedBody: string | null;
  version: number | null;
  portalUrl: string | null;
  findings: ArticleFinding[];
}

export interface ArticleInput {
  title: string;
  body: string;
  slug?: string;
  categoryId?: string | null;
  visibility?: ArticleVisibility;
}

export interface CategoryView {
  id: string;
  name: string;
  position: number;
  articleCount: number;
}

const isManager = (ctx: AgentContext) => can(ctx.principal, 'kb.manage');

/** Where a published public article is read on the portal. */
export function portalArticleUrl(address: CustomerAddress, slug: string): string {
  return `${address.baseUrl}/portal/help/${slug}${address.orgQuery}`;
}

// ---- categories ------------------------------------------------------------------------------------------------

export async function listCategories(deps: KnowledgeDeps, ctx: AgentContext): Promise<CategoryView[]> {
  const manager = isManager(ctx);
  const rows = await deps.db
    .selectFrom('kb_categories as c')
    .leftJoin('kb_articles as a', (j) => {
      const on = j.onRef('a.category_id', '=', 'c.id').on('a.deleted_at', 'is', null);
      return manager ? on : on.on('a.published_version_id', 'is not', null);
    })
    .where('c.org_id', '=', ctx.principal.orgId)
    .groupBy(['c.id', 'c.name', 'c.position'])
    .select((eb) => ['c.id', 'c.name', 'c.position', eb.fn.count<string>('a.id').as('n')])
    .orderBy('c.position')
    .orderBy('c.name')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, position: r.position, articleCount: Number(r.n) }));
}

export async function saveCategory(deps: KnowledgeDeps, ctx: AgentContext, input: { categoryId?: string; name: string; position?: number }): Promise<CategoryView> {
  const orgId = ctx.principal.orgId;
  const name = input.name.trim();
  if (!name) throw new AppError('validation_failed', 'Give the category a name.');
  return deps.db.transaction().execute(async (trx) => {
    const clash = await trx.selectFrom('kb_categories').where('org_id', '=', orgId).where('name', '=', name).select('id').executeTakeFirst();
    if (clash && clash.id !== input.categoryId) throw new AppError('conflict', 'A category with that name exists.');
    const id = input.categoryId ?? randomUUID();
    if (input.categoryId) {
      const r = await trx.updateTable('kb_categories').set({ name, ...(input.position !== undefined ? { position: input.position } : {}) }).where('id', '=', id).where('org_id', '=', orgId).returning('id').executeTakeFirst();
      if (!r) throw new AppError('not_found', 'No such category.');
    } else {
      await trx.insertInto('kb_categories').values({ id, org_id: orgId, name, position: input.position ?? 0 }).execute();
    }
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: input.categoryId ? 'kb.category.update' : 'kb.category.create', object: { type: 'kb_category', id }, result: 'success', details: { name } });
    const row = await trx.selectFrom('kb_categories').where('id', '=', id).select(['position']).executeTakeFirstOrThrow();
    const count = await trx.selectFrom('kb_articles').where('category_id', '=', id).where('deleted_at', 'is', null).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    return { id, name, position: row.position, articleCount: Number(count.n) };
  });
}

export async function deleteCategory(deps: KnowledgeDeps, ctx: AgentContext, input: { categoryId: string }): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const r = await trx.deleteFrom('kb_categories').where('id', '=', input.categoryId).where('org_id', '=', ctx.principal.orgId).returning(['id', 'name']).executeTakeFirst();
    if (!r) throw new AppError('not_found', 'No such category.');
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'kb.category.delete', object: { type: 'kb_category', id: r.id }, result: 'success', details: { name: r.name } });
  });
}

// ---- articles --------------------------------------------------------------------------------------------------

type ArticleRow = {
  id: string;
  org_id: string;
  slug: string;
  title: string;
  body_html: string;
  body_text: string;
  category_id: string | null;
  visibility: ArticleVisibility;
  has_draft: boolean;
  published_version_id: string | null;
  updated_at: Date;
  v_title: string | null;
  v_body_html: string | null;
  v_version: number | null;
  v_published_at: Date | null;
};

async function loadArticle(db: Executor, orgId: string, articleId: string, options: { lock?: boolean } = {}): Promise<ArticleRow> {
  let q = db
    .selectFrom('kb_articles as a')
    .leftJoin('kb_article_versions as v', 'v.id', 'a.published_version_id')
    .where('a.id', '=', articleId)
    .where('a.org_id', '=', orgId)
    .where('a.deleted_at', 'is', null)
    .select(['a.id', 'a.org_id', 'a.slug', 'a.title', 'a.body_html', 'a.body_text', 'a.category_id', 'a.visibility', 'a.has_draft', 'a.published_version_id', 'a.updated_at', 'v.title as v_title', 'v.body_html as v_body_html', 'v.version as v_version', 'v.published_at as v_published_at']);
  if (options.lock) q = q.forUpdate('a');
  const row = await q.executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such article.');
  return row as ArticleRow;
}

function summaryOf(r: Omit<ArticleRow, 'body_html' | 'body_text' | 'v_title' | 'v_body_html' | 'v_version' | 'org_id'> & { title: string }): ArticleSummaryView {
  return {
    id: r.id,
    slug: r.slug,
    title: r.title,
    categoryId: r.category_id,
    visibility: r.visibility,
    published: r.published_version_id !== null,
    hasDraft: r.has_draft,
    updatedAt: new Date(r.updated_at).toISOString(),
    publishedAt: r.v_published_at ? new Date(r.v_published_at).toISOString() : null,
  };
}

async function present(deps: KnowledgeDeps, db: Executor, ctx: AgentContext, r: ArticleRow): Promise<ArticleView> {
  const portalUrl = r.visibility === 'public' && r.published_version_id ? portalArticleUrl(await customerAddress({ db, publicUrl: deps.publicUrl }, r.org_id), r.slug) : null;
  if (isManager(ctx)) {
    const { policy } = await loadOrgDlp(db, r.org_id);
    return {
      ...summaryOf(r),
      body: r.body_html,
      publishedTitle: r.v_title,
      publishedBody: r.v_body_html,
      version: r.v_version,
      portalUrl,
      findings: scanArticle(r.title, r.body_text, policy),
    };
  }
  // Readers see only the version in force; an unpublished article does not exist for them.
  if (!r.published_version_id || r.v_title === null || r.v_body_html === null) throw new AppError('not_found', 'No such article.');
  return { ...summaryOf({ ...r, title: r.v_title, has_draft: false }), body: r.v_body_html, publishedTitle: null, publishedBody: null, version: r.v_version, portalUrl, findings: [] };
}

export async function listArticles(deps: KnowledgeDeps, ctx: AgentContext, filter: { categoryId?: string; status?: 'draft' | 'published' | 'internal' | 'public' } = {}): Promise<ArticleSummaryView[]> {
  const manager = isManager(ctx);
  let q = deps.db
    .selectFrom('kb_articles as a')
    .leftJoin('kb_article_versions as v', 'v.id', 'a.published_version_id')
    .where('a.org_id', '=', ctx.principal.orgId)
    .where('a.deleted_at', 'is', null)
    .select(['a.id', 'a.slug', 'a.title', 'a.category_id', 'a.visibility', 'a.has_draft', 'a.published_version_id', 'a.updated_at', 'v.title as v_title', 'v.published_at as v_published_at'])
    .orderBy('a.updated_at', 'desc')
    .limit(500);
  if (!manager) q = q.where('a.published_version_id', 'is not', null);
  if (filter.categoryId) q = q.where('a.category_id', '=', filter.categoryId);
  if (filter.status === 'draft') q = q.where('a.has_draft', '=', true);
  if (filter.status === 'published') q = q.where('a.published_version_id', 'is not', null);
  if (filter.status === 'internal' || filter.status === 'public') q = q.where('a.visibility', '=', filter.status);
  const rows = await q.execute();
  return rows.map((r) => (manager ? summaryOf(r) : summaryOf({ ...r, title: r.v_title ?? r.title, has_draft: false })));
}

export async function readArticle(deps: KnowledgeDeps, ctx: AgentContext, input: { articleId: string }): Promise<ArticleView> {
  return present(deps, deps.db, ctx, await loadArticle(deps.db, ctx.principal.orgId, input.articleId));
}

/** Sanitised HTML and its text twin; an article with nothing to read is refused. */
function cleanBody(body: string): { html: string; text: string } {
  const html = sanitizeRichText(body);
  if (isBlankRichText(html)) throw new AppError('validation_failed', 'Write the article before saving it.', { extra: { errors: [{ field: 'body', message: 'required' }] } });
  return { html, text: richTextToPlain(html) };
}

async function checkCategory(trx: Executor, orgId: string, categoryId: string | null | undefined): Promise<void> {
  if (!categoryId) return;
  const c = await trx.selectFrom('kb_categories').where('id', '=', categoryId).where('org_id', '=', orgId).select('id').executeTakeFirst();
  if (!c) throw new AppError('not_found', 'No such category.');
}

async function slugTaken(trx: Executor, orgId: string, slug: string, exceptId?: string): Promise<boolean> {
  let q = trx.selectFrom('kb_articles').where('org_id', '=', orgId).where('slug', '=', slug).where('deleted_at', 'is', null).select('id');
  if (exceptId) q = q.where('id', '!=', exceptId);
  return (await q.executeTakeFirst()) !== undefined;
}

/** The slug asked for (taken: conflict), or one made from the title (taken: numbered). */
async function chooseSlug(trx: Executor, orgId: string, input: { slug?: string; title: string }, exceptId?: string): Promise<string> {
  if (input.slug) {
    if (await slugTaken(trx, orgId, input.slug, exceptId)) throw new AppError('conflict', 'Another article has that address.', { extra: { errors: [{ field: 'slug', message: 'taken' }] } });
    return input.slug;
  }
  const base = slugify(input.title) || 'article';
  for (let n = 1; n < 100; n++) {
    const candidate = n === 1 ? base : `${base.slice(0, 75)}-${n}`;
    if (!(await slugTaken(trx, orgId, candidate, exceptId))) return candidate;
  }
  return `${base.slice(0, 70)}-${randomUUID().slice(0, 8)}`;
}

/** Card numbers, passwords and secrets never reach the database, not even in a draft (invariant 1). */
async function refuseRedactedTypes(trx: Executor, orgId: string, title: string, text: string): Promise<ArticleFinding[]> {
  const { policy } = await loadOrgDlp(trx, orgId);
  const findings = scanArticle(title, text, policy);
  const refused = findings.filter((f) => f.action === 'refuse');
  if (refused.length) throw new AppError('validation_failed', 'An article may not contain card numbers, passwords or secrets. Remove them and save again.', { extra: { findings: refused } });
  return findings;
}

export async function createArticle(deps: KnowledgeDeps, ctx: AgentContext, input: ArticleInput): Promise<ArticleView> {
  const orgId = ctx.principal.orgId;
  const title = input.title.trim();
  const { html, text } = cleanBody(input.body);
  return deps.db.transaction().execute(async (trx) => {
    await refuseRedactedTypes(trx, orgId, title, text);
    await checkCategory(trx, orgId, input.categoryId);
    const id = randomUUID();
    const slug = await chooseSlug(trx, orgId, { title, ...(input.slug ? { slug: input.slug } : {}) });
    await trx.insertInto('kb_articles').values({
      id, org_id: orgId, slug, title, body_html: html, body_text: text, category_id: input.categoryId ?? null, visibility: input.visibility ?? 'internal',
      has_draft: true, published_version_id: null, created_by: ctx.principal.userId, updated_by: ctx.principal.userId, updated_at: new Date(), deleted_at: null,
    }).execute();
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'kb.article.create', object: { type: 'kb_article', id }, result: 'success', details: { slug, visibility: input.visibility ?? 'internal' } });
    return present(deps, trx, ctx, await loadArticle(trx, orgId, id));
  });
}

export async function updateArticle(deps: KnowledgeDeps, ctx: AgentContext, input: ArticleInput & { articleId: string }): Promise<ArticleView> {
  const orgId = ctx.principal.orgId;
  const title = input.title.trim();
  const { html, text } = cleanBody(input.body);
  return deps.db.transaction().execute(async (trx) => {
    const before = await loadArticle(trx, orgId, input.articleId, { lock: true });
    await refuseRedactedTypes(trx, orgId, title, text);
    if (input.categoryId !== undefined) await checkCategory(trx, orgId, input.categoryId);
    const slug = input.slug && input.slug !== before.slug ? await chooseSlug(trx, orgId, { title, slug: input.slug }, before.id) : before.slug;
    const visibility = input.visibility ?? before.visibility;
    // The published version stays in force; the working copy is a draft while it differs from it.
    const hasDraft = !before.published_version_id || before.v_title !== title || before.v_body_html !== html;
    await trx.updateTable('kb_articles').set({
      title, body_html: html, body_text: text, slug, visibility, has_draft: hasDraft,
      ...(input.categoryId !== undefined ? { category_id: input.categoryId } : {}),
      updated_by: ctx.principal.userId, updated_at: new Date(),
    }).where('id', '=', before.id).execute();
    const changed = [
      ...(before.title !== title || before.body_html !== html ? ['text'] : []),
      ...(slug !== before.slug ? ['slug'] : []),
      ...(visibility !== before.visibility ? ['visibility'] : []),
      ...(input.categoryId !== undefined && input.categoryId !== before.category_id ? ['category'] : []),
    ];
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'kb.article.update', object: { type: 'kb_article', id: before.id }, result: 'success', details: { changed, slug, visibility, published: before.published_version_id !== null } });
    return present(deps, trx, ctx, await loadArticle(trx, orgId, before.id));
  });
}

/**
 * The working copy becomes the version in force. The scanner runs on it first: card numbers, passwords and
 * secrets refuse (400, findings listed); other sensitive types (an email address, a phone number) need the
 * publisher to confirm them (409 until `acknowledgeFindings`). Nothing new to publish: 409.
 */
export async function publishArticle(deps: KnowledgeDeps, ctx: AgentContext, input: { articleId: string; acknowledgeFindings?: boolean }): Promise<ArticleView> {
  const orgId = ctx.principal.orgId;
  return deps.db.transaction().execute(async (trx) => {
    const a = await loadArticle(trx, orgId, input.articleId, { lock: true });
    if (a.published_version_id && !a.has_draft) throw new AppError('conflict', 'This version is already published; change the article to publish again.');
    const { policy } = await loadOrgDlp(trx, orgId);
    const findings = scanArticle(a.title, a.body_text, policy);
    const refused = findings.filter((f) => f.action === 'refuse');
    if (refused.length) throw new AppError('validation_failed', 'Publishing refused: the article contains card numbers, passwords or secrets.', { extra: { findings } });
    if (findings.length && !input.acknowledgeFindings) {
      throw new AppError('conflict', 'The article contains sensitive data. Check each finding, then publish with acknowledgeFindings.', { extra: { findings } });
    }
    const last = await trx.selectFrom('kb_article_versions').where('article_id', '=', a.id).select((eb) => eb.fn.max('version').as('v')).executeTakeFirst();
    const version = Number(last?.v ?? 0) + 1;
    const versionId = randomUUID();
    await trx.insertInto('kb_article_versions').values({ id: versionId, article_id: a.id, org_id: orgId, version, title: a.title, body_html: a.body_html, body_text: a.body_text, published_by: ctx.principal.userId }).execute();
    await trx.updateTable('kb_articles').set({ published_version_id: versionId, has_draft: false }).where('id', '=', a.id).execute();
    await deps.audit.append(trx, {
      ...actingFromAgent(ctx),
      action: 'kb.article.publish',
      object: { type: 'kb_article', id: a.id },
      result: 'success',
      details: { version, slug: a.slug, visibility: a.visibility, acknowledgedTypes: [...new Set(findings.map((f) => f.type))] },
    });
    return present(deps, trx, ctx, await loadArticle(trx, orgId, a.id));
  });
}

export async function unpublishArticle(deps: KnowledgeDeps, ctx: AgentContext, input: { articleId: string }): Promise<ArticleView> {
  const orgId = ctx.principal.orgId;
  return deps.db.transaction().execute(async (trx) => {
    const a = await loadArticle(trx, orgId, input.articleId, { lock: true });
    if (!a.published_version_id) throw new AppError('conflict', 'This article is not published.');
    await trx.updateTable('kb_articles').set({ published_version_id: null, has_draft: true }).where('id', '=', a.id).execute();
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'kb.article.unpublish', object: { type: 'kb_article', id: a.id }, result: 'success', details: { version: a.v_version, slug: a.slug } });
    return present(deps, trx, ctx, await loadArticle(trx, orgId, a.id));
  });
}

export async function deleteArticle(deps: KnowledgeDeps, ctx: AgentContext, input: { articleId: string }): Promise<void> {
  const orgId = ctx.principal.orgId;
  await deps.db.transaction().execute(async (trx) => {
    const a = await loadArticle(trx, orgId, input.articleId, { lock: true });
    await trx.updateTable('kb_articles').set({ deleted_at: new Date(), published_version_id: null }).where('id', '=', a.id).execute();
    await deps.audit.append(trx, { ...actingFromAgent(ctx), action: 'kb.article.delete', object: { type: 'kb_article', id: a.id }, result: 'success', details: { slug: a.slug, title: a.title, wasPublished: a.published_version_id !== null } });
  });
}

export async function listVersions(deps: KnowledgeDeps, ctx: AgentContext, input: { articleId: string }): Promise<Array<{ version: number; title: string; publishedAt: string; publishedBy: string | null; current: boolean }>> {
  const a = await loadArticle(deps.db, ctx.principal.orgId, input.articleId);
  const rows = await deps.db
    .selectFrom('kb_article_versions as v')
    .leftJoin('users as u', 'u.id', 'v.published_by')
    .where('v.article_id', '=', a.id)
    .select(['v.id', 'v.version', 'v.title', 'v.published_at', 'u.name as by'])
    .orderBy('v.version', 'desc')
    .execute();
  return rows.map((r) => ({ version: r.version, title: r.title, publishedAt: new Date(r.published_at).toISOString(), publishedBy: r.by ?? null, current: r.id === a.published_version_id }));
}
