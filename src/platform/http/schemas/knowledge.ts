/**
 * Contract of the knowledge-base routes (src/helpdesk/knowledge/): categories
 * and articles for staff (read: tickets.read or kb.manage; write, publish,
 * unpublish, delete: kb.manage) and the public knowledge base of the portal
 * (anonymous, per organisation, rate-limited: published public articles only).
 */
import { Type } from 'typebox';
import { IdParams, Literals, Nullable, Timestamp, Uuid, type Endpoint } from './common.js';

/** Longest article body accepted (characters of HTML, before sanitising). */
export const ARTICLE_BODY_MAX_CHARS = 200_000;
export const ARTICLE_VISIBILITIES = ['internal', 'public'] as const;
/** Lower-case ASCII words joined by single hyphens: nothing a path or a browser could read as anything else. */
export const SLUG_PATTERN = '^[a-z0-9]+(-[a-z0-9]+)*$';
export const Slug = Type.String({ pattern: SLUG_PATTERN, minLength: 1, maxLength: 80 });

const Visibility = Literals(ARTICLE_VISIBILITIES);
const SearchText = Type.String({ maxLength: 200 });

export const KbCategory = Type.Object({ id: Uuid, name: Type.String(), position: Type.Integer(), articleCount: Type.Integer() });
export const KbCategoryBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 120 }), position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })) }, { additionalProperties: false });

/**
 * What the sensitive-data scanner found in an article: the type, whether it can be published after a review
 * (`confirm`) or never (`refuse`: card numbers, passwords, secrets), and the surrounding words with every
 * finding masked so the author can find it.
 */
export const KbFinding = Type.Object({ type: Type.String(), action: Literals(['refuse', 'confirm'] as const), excerpt: Type.String() });

export const KbArticleSummary = Type.Object({
  id: Uuid,
  slug: Type.String(),
  title: Type.String(),
  categoryId: Nullable(Uuid),
  visibility: Visibility,
  /** A version is in force (on the portal when public). */
  published: Type.Boolean(),
  /** The working copy holds changes not yet published. */
  hasDraft: Type.Boolean(),
  updatedAt: Timestamp,
  publishedAt: Nullable(Timestamp),
});

export const KbArticle = Type.Object({
  ...KbArticleSummary.properties,
  /** The working copy (managers) or the published version (readers), sanitised HTML. */
  body: Type.String(),
  /** The version in force, when it differs from `body` (managers only). */
  publishedTitle: Nullable(Type.String()),
  publishedBody: Nullable(Type.String()),
  version: Nullable(Type.Integer()),
  /** Address of the article on the portal (public articles). */
  portalUrl: Nullable(Type.String()),
  /** What the scanner finds in the working copy now (managers; empty for readers). */
  findings: Type.Array(KbFinding),
});

export const KbArticleBody = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 200 }),
  body: Type.String({ maxLength: ARTICLE_BODY_MAX_CHARS }),
  /** Derived from the title when absent. */
  slug: Type.Optional(Slug),
  categoryId: Type.Optional(Nullable(Uuid)),
  visibility: Type.Optional(Visibility),
}, { additionalProperties: false });

export const KbPublishBody = Type.Object({
  /** The publisher reviewed the `confirm` findings (a support phone number, say) and publishes anyway. */
  acknowledgeFindings: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

export const KbListQuery = Type.Object({ categoryId: Type.Optional(Uuid), status: Type.Optional(Literals(['draft', 'published', 'internal', 'public'] as const)) });
export const KbSearchQuery = Type.Object({
  q: SearchText,
  /** `public`: only what customers can open (the reply picker). */
  audience: Type.Optional(Literals(['all', 'public'] as const)),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
});
export const KbSearchHit = Type.Object({ id: Uuid, slug: Type.String(), title: Type.String(), excerpt: Type.String(), visibility: Visibility, portalUrl: Nullable(Type.String()) });
export const KbVersion = Type.Object({ version: Type.Integer(), title: Type.String(), publishedAt: Timestamp, publishedBy: Nullable(Type.String()), current: Type.Boolean() });

const Ok = Type.Object({ ok: Type.Literal(true) });

export const knowledgeEndpoints = {
  /** tickets.read or kb.manage. */
  categories: { method: 'GET', url: '/api/kb/categories', response: Type.Object({ items: Type.Array(KbCategory) }) },
  /** kb.manage. */
  createCategory: { method: 'POST', url: '/api/kb/categories', body: KbCategoryBody, response: KbCategory, status: 201 },
  /** kb.manage. */
  updateCategory: { method: 'PUT', url: '/api/kb/categories/:id', params: IdParams, body: KbCategoryBody, response: KbCategory },
  /** kb.manage: its articles become uncategorised. */
  deleteCategory: { method: 'DELETE', url: '/api/kb/categories/:id', params: IdParams, response: Ok },
  /** tickets.read (published articles) or kb.manage (drafts too). */
  list: { method: 'GET', url: '/api/kb/articles', querystring: KbListQuery, response: Type.Object({ items: Type.Array(KbArticleSummary) }) },
  /** tickets.read or kb.manage: ranked full-text search over published articles (internal ones included unless audience=public). */
  search: { method: 'GET', url: '/api/kb/search', querystring: KbSearchQuery, response: Type.Object({ items: Type.Array(KbSearchHit) }) },
  /** tickets.read (published version) or kb.manage (working copy and published version). */
  read: { method: 'GET', url: '/api/kb/articles/:id', params: IdParams, response: KbArticle },
  /** kb.manage: a new draft (card numbers, passwords and secrets refused). */
  create: { method: 'POST', url: '/api/kb/articles', body: KbArticleBody, response: KbArticle, status: 201 },
  /** kb.manage: save the working copy (a published article keeps its published version until the next publish). */
  update: { method: 'PUT', url: '/api/kb/articles/:id', params: IdParams, body: KbArticleBody, response: KbArticle },
  /** kb.manage: the working copy becomes the version in force (400/409 with `findings` when the scanner objects). */
  publish: { method: 'POST', url: '/api/kb/articles/:id/publish', params: IdParams, body: KbPublishBody, response: KbArticle },
  /** kb.manage: withdraw the version in force (history kept). */
  unpublish: { method: 'POST', url: '/api/kb/articles/:id/unpublish', params: IdParams, response: KbArticle },
  /** kb.manage: withdrawn and removed from lists; history kept. */
  remove: { method: 'DELETE', url: '/api/kb/articles/:id', params: IdParams, response: Ok },
  /** kb.manage: published versions, newest first. */
  versions: { method: 'GET', url: '/api/kb/articles/:id/versions', params: IdParams, response: Type.Object({ items: Type.Array(KbVersion) }) },
} as const satisfies Record<string, Endpoint>;

export const PortalKbQuery = Type.Object({ organizationId: Type.Optional(Uuid) });
export const PortalKbSearchQuery = Type.Object({ organizationId: Type.Optional(Uuid), q: SearchText, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })) });
export const PortalKbSlugParams = Type.Object({ slug: Slug });
export const PortalKbArticleSummary = Type.Object({ slug: Type.String(), title: Type.String(), excerpt: Type.String(), categoryId: Nullable(Uuid) });
export const PortalKbHome = Type.Object({
  organization: Type.Object({ id: Uuid, name: Type.String() }),
  categories: Type.Array(Type.Object({ id: Uuid, name: Type.String() })),
  articles: Type.Array(PortalKbArticleSummary),
});
export const PortalKbArticle = Type.Object({ slug: Type.String(), title: Type.String(), html: Type.String(), category: Nullable(Type.String()), publishedAt: Timestamp });

export const portalKnowledgeEndpoints = {
  /** Anonymous: categories and published public articles of the organisation. */
  home: { method: 'GET', url: '/api/portal/kb', querystring: PortalKbQuery, response: PortalKbHome },
  /** Anonymous: ranked search over published public articles (the request form's suggestions). */
  search: { method: 'GET', url: '/api/portal/kb/search', querystring: PortalKbSearchQuery, response: Type.Object({ items: Type.Array(PortalKbArticleSummary) }) },
  /** Anonymous: one published public article (404 for drafts, internal and withdrawn articles alike). */
  article: { method: 'GET', url: '/api/portal/kb/articles/:slug', params: PortalKbSlugParams, querystring: PortalKbQuery, response: PortalKbArticle },
} as const satisfies Record<string, Endpoint>;
