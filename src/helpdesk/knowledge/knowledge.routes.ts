/**
 * /api/kb/*: the knowledge base for staff (read: tickets.read or kb.manage;
 * write, publish, unpublish, delete: kb.manage; another organisation's ids are
 * not found), and /api/portal/kb/*: the public knowledge base of the portal
 * (anonymous, per organisation, rate-limited, published public articles only).
 * Schemas: src/platform/http/schemas/knowledge.ts.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requirePermission, scopeOf } from '../../identity/auth/access.js';
import { AppError } from '../../platform/errors.js';
import { ProblemRef, problemResponses, routeSchema } from '../../platform/http/schemas/common.js';
import { knowledgeEndpoints as e, portalKnowledgeEndpoints as pe } from '../../platform/http/schemas/knowledge.js';
import { portalOrganization } from '../portal/organization.js';
import { agentOf } from '../tickets/ticket-bulk.routes.js';
import {
  createArticle, deleteArticle, deleteCategory, listArticles, listCategories, listVersions, publishArticle, readArticle, saveCategory, unpublishArticle, updateArticle,
  type KnowledgeDeps,
} from './knowledge.service.js';
import { portalArticle, portalHome, portalSearch, searchForStaff } from './search.js';

const tags = ['knowledge base'];

/** Staff who work tickets read the knowledge base; those who manage it do too. */
async function requireReader(request: FastifyRequest): Promise<void> {
  const p = request.principal;
  if (!p) throw new AppError('unauthenticated', 'Sign in to continue.');
  if (!scopeOf(p, 'tickets.read') && !scopeOf(p, 'kb.manage')) throw new AppError('forbidden', 'Your role does not allow this.', { internal: 'missing tickets.read or kb.manage' });
}

export async function knowledgeRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deps: KnowledgeDeps = { db: app.services.database.db, audit: app.services.audit, publicUrl: app.services.config.publicUrl };
  const manage = requirePermission('kb.manage');
  const findings = { extraResponses: { 409: ProblemRef } };

  r.get(e.categories.url, { preHandler: requireReader, schema: routeSchema(e.categories, { tags, summary: 'Knowledge-base categories with their article counts' }) }, async (request) => ({
    items: await listCategories(deps, agentOf(request)),
  }));
  r.post(e.createCategory.url, { preHandler: manage, schema: routeSchema(e.createCategory, { tags, summary: 'Add a category' }) }, async (request, reply) =>
    reply.code(201).send(await saveCategory(deps, agentOf(request), request.body)),
  );
  r.put(e.updateCategory.url, { preHandler: manage, schema: routeSchema(e.updateCategory, { tags, summary: 'Rename or move a category' }) }, async (request) =>
    saveCategory(deps, agentOf(request), { ...request.body, categoryId: request.params.id }),
  );
  r.delete(e.deleteCategory.url, { preHandler: manage, schema: routeSchema(e.deleteCategory, { tags, summary: 'Delete a category (its articles become uncategorised)' }) }, async (request) => {
    await deleteCategory(deps, agentOf(request), { categoryId: request.params.id });
    return { ok: true as const };
  });

  r.get(e.list.url, { preHandler: requireReader, schema: routeSchema(e.list, { tags, summary: 'Articles: published ones, and drafts for those who manage the knowledge base' }) }, async (request) => ({
    items: await listArticles(deps, agentOf(request), {
      ...(request.query.categoryId ? { categoryId: request.query.categoryId } : {}),
      ...(request.query.status ? { status: request.query.status } : {}),
    }),
  }));
  r.get(e.search.url, {
    preHandler: requireReader,
    config: { rateLimit: { max: 120, timeWindow: '1 minute' } },
    schema: routeSchema(e.search, { tags, summary: 'Ranked full-text search over published articles (internal ones included unless audience=public)' }),
  }, async (request) => ({
    items: await searchForStaff(deps, request.principal!.orgId, { q: request.query.q, ...(request.query.audience ? { audience: request.query.audience } : {}), ...(request.query.limit ? { limit: request.query.limit } : {}) }),
  }));
  r.get(e.read.url, { preHandler: requireReader, schema: routeSchema(e.read, { tags, summary: 'One article: the published version, and the working copy for those who manage the knowledge base' }) }, async (request) =>
    readArticle(deps, agentOf(request), { articleId: request.params.id }),
  );
  r.post(e.create.url, { preHandler: manage, schema: routeSchema(e.create, { tags, summary: 'Write a new article (a draft; card numbers, passwords and secrets refused)' }) }, async (request, reply) =>
    reply.code(201).send(await createArticle(deps, agentOf(request), request.body)),
  );
  r.put(e.update.url, { preHandler: manage, schema: routeSchema(e.update, { tags, summary: 'Save the working copy (the published version stays until the next publish)' }) }, async (request) =>
    updateArticle(deps, agentOf(request), { ...request.body, articleId: request.params.id }),
  );
  r.post(e.publish.url, { preHandler: manage, schema: routeSchema(e.publish, { tags, summary: 'Publish the working copy after the sensitive-data scan (findings listed when it objects)', ...findings }) }, async (request) =>
    publishArticle(deps, agentOf(request), { articleId: request.params.id, ...(request.body.acknowledgeFindings !== undefined ? { acknowledgeFindings: request.body.acknowledgeFindings } : {}) }),
  );
  r.post(e.unpublish.url, { preHandler: manage, schema: routeSchema(e.unpublish, { tags, summary: 'Withdraw the published version (history kept)' }) }, async (request) =>
    unpublishArticle(deps, agentOf(request), { articleId: request.params.id }),
  );
  r.delete(e.remove.url, { preHandler: manage, schema: routeSchema(e.remove, { tags, summary: 'Delete an article (withdrawn, history kept)' }) }, async (request) => {
    await deleteArticle(deps, agentOf(request), { articleId: request.params.id });
    return { ok: true as const };
  });
  r.get(e.versions.url, { preHandler: manage, schema: routeSchema(e.versions, { tags, summary: 'Published versions of an article, newest first' }) }, async (request) => ({
    items: await listVersions(deps, agentOf(request), { articleId: request.params.id }),
  }));

  // ---- the portal: anonymous, per organisation ----
  const errors = { ...problemResponses, 429: ProblemRef };
  const ptags = ['portal'];
  r.get(pe.home.url, {
    config: { public: true, rateLimit: { max: 60, timeWindow: '1 minute' } },
    schema: { tags: ptags, summary: 'The public knowledge base: categories and published public articles', querystring: pe.home.querystring, response: { 200: pe.home.response, ...errors } },
  }, async (request) => portalHome(deps, await portalOrganization(deps, request.query.organizationId, request.hostname)));
  r.get(pe.search.url, {
    // Suggestions follow typing (debounced in the page): a person's pace, not a crawler's.
    config: { public: true, rateLimit: { max: 90, timeWindow: '1 minute' } },
    schema: { tags: ptags, summary: 'Search published public articles (the request form’s suggestions)', querystring: pe.search.querystring, response: { 200: pe.search.response, ...errors } },
  }, async (request) => {
    const org = await portalOrganization(deps, request.query.organizationId, request.hostname);
    return { items: await portalSearch(deps, org.id, { q: request.query.q, ...(request.query.limit ? { limit: request.query.limit } : {}) }) };
  });
  r.get(pe.article.url, {
    config: { public: true, rateLimit: { max: 60, timeWindow: '1 minute' } },
    schema: { tags: ptags, summary: 'One published public article', params: pe.article.params, querystring: pe.article.querystring, response: { 200: pe.article.response, ...errors } },
  }, async (request) => {
    const org = await portalOrganization(deps, request.query.organizationId, request.hostname);
    return portalArticle(deps, org.id, request.params.slug);
  });
}
