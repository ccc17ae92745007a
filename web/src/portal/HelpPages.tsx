/**
 * The portal's help centre (decision 0154): published public articles of the
 * organisation by category, a search box, and an article page. Anonymous:
 * nothing here needs a portal session. Article bodies were sanitised by the
 * server with the rich-text allowlist when saved and again when served, and
 * the page runs under the CSP (no script can run from them).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { portalKnowledgeEndpoints as kb } from '../../../src/platform/http/schemas/knowledge.js';
import { formatDateTime, t } from '../i18n/index.js';
import { OrgMissing } from './OrgMissing.js';
import { Button } from '../ui/Button.js';
import { useResource } from '../ui/hooks.js';
import { EmptyState, ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page } from '../ui/Page.js';
import { portalCall, usePortal } from './session.js';
import '../styles/articles.css';

/** The portal address of an article, keeping the organisation in it. */
export function helpArticleHref(slug: string, orgId: string | undefined): string {
  return `/portal/help/${slug}${orgId ? `?org=${orgId}` : ''}`;
}

function ArticleList({ items, orgId }: { items: Array<{ slug: string; title: string; excerpt: string }>; orgId: string | undefined }) {
  return (
    <ul className="kb-list">
      {items.map((a) => (
        <li key={a.slug} className="kb-list__item">
          <Link href={helpArticleHref(a.slug, orgId)} className="kb-list__title">{a.title}</Link>
          {a.excerpt ? <p className="kb-list__excerpt">{a.excerpt}</p> : null}
        </li>
      ))}
    </ul>
  );
}

export function HelpHomePage() {
  const { org, orgError } = usePortal();
  const [q, setQ] = useState('');
  const [asked, setAsked] = useState('');
  const home = useResource(async () => (org ? portalCall(kb.home, { query: { organizationId: org.id } }) : null), [org?.id]);
  const results = useResource(async () => (org && asked ? portalCall(kb.search, { query: { organizationId: org.id, q: asked, limit: 10 } }) : null), [org?.id, asked]);
  const onSearch = (e: FormEvent) => {
    e.preventDefault();
    setAsked(q.trim().slice(0, 200));
  };
  const data = home.data;
  return (
    <Page title={t('kb.portal.title')} subtitle={t('kb.portal.intro')}>
      <div className="portal-card portal-card--wide">
        {orgError && !org ? <OrgMissing error={orgError} /> : null}
        <form className="kb-search" role="search" onSubmit={onSearch}>
          <label htmlFor="kb-portal-search" className="field__label">{t('kb.portal.search')}</label>
          <div className="kb-search__row">
            <input id="kb-portal-search" className="input" type="search" maxLength={200} value={q} onChange={(e) => setQ(e.target.value)} />
            <Button type="submit" variant="primary">{t('kb.portal.searchButton')}</Button>
          </div>
        </form>
        {asked ? (
          <section aria-live="polite" className="kb-results">
            <h2 className="section__title">{t('kb.portal.results', { q: asked })}</h2>
            <ErrorNotice error={results.error} onRetry={results.reload} />
            {results.loading && !results.data ? <Loading /> : null}
            {results.data && results.data.items.length === 0 ? <p>{t('kb.portal.noResults')}</p> : null}
            {results.data ? <ArticleList items={results.data.items} orgId={org?.id} /> : null}
          </section>
        ) : null}
        {home.loading && !data ? <Loading /> : null}
        <ErrorNotice error={home.error} onRetry={home.reload} />
        {data && data.articles.length === 0 ? <EmptyState title={t('kb.portal.empty')} /> : null}
        {data?.categories.map((c) => (
          <section key={c.id} className="kb-category">
            <h2 className="section__title">{c.name}</h2>
            <ArticleList items={data.articles.filter((a) => a.categoryId === c.id)} orgId={org?.id} />
          </section>
        ))}
        {data && data.articles.some((a) => !a.categoryId || !data.categories.some((c) => c.id === a.categoryId)) ? (
          <section className="kb-category">
            {data.categories.length ? <h2 className="section__title">{t('kb.portal.moreArticles')}</h2> : null}
            <ArticleList items={data.articles.filter((a) => !a.categoryId || !data.categories.some((c) => c.id === a.categoryId))} orgId={org?.id} />
          </section>
        ) : null}
        <p className="kb-ask">
          {t('kb.portal.stillNeedHelp')} <Link href={`/portal/request${org ? `?org=${org.id}` : ''}`}>{t('kb.portal.ask')}</Link>
        </p>
      </div>
    </Page>
  );
}

export function HelpArticlePage({ slug }: { slug: string }) {
  const { org, orgError } = usePortal();
  const article = useResource(async () => (org ? portalCall(kb.article, { params: { slug }, query: { organizationId: org.id } }) : null), [org?.id, slug]);
  const a = article.data;
  return (
    <Page title={a?.title ?? t('kb.portal.title')} subtitle={a ? t('kb.portal.updated', { when: formatDateTime(a.publishedAt) }) : undefined}>
      <div className="portal-card portal-card--wide">
        <p><Link href={`/portal/help${org ? `?org=${org.id}` : ''}`}>← {t('kb.portal.back')}</Link></p>
        {orgError && !org ? <OrgMissing error={orgError} /> : null}
        {article.loading && !a ? <Loading /> : null}
        <ErrorNotice error={article.error} onRetry={article.reload} />
        {/* Sanitised by the server (rich-text allowlist), on save and again when served. */}
        {a ? <div className="kb-article" dangerouslySetInnerHTML={{ __html: a.html }} /> : null}
        <p className="kb-ask">
          {t('kb.portal.stillNeedHelp')} <Link href={`/portal/request${org ? `?org=${org.id}` : ''}`}>{t('kb.portal.ask')}</Link>
        </p>
      </div>
    </Page>
  );
}

/**
 * Articles that may answer what the customer is typing as the subject of a request: asked once they pause
 * (350 ms), only published public articles, a few of them. Links open in a new tab so the request stays.
 */
export function ArticleSuggestions({ subject }: { subject: string }) {
  const { org } = usePortal();
  const [q, setQ] = useState('');
  useDebounced(subject.trim(), 350, setQ);
  const found = useResource(async () => (org && q.length >= 3 ? portalCall(kb.search, { query: { organizationId: org.id, q: q.slice(0, 200), limit: 4 } }) : null), [org?.id, q]);
  const items = found.data?.items ?? [];
  return (
    <div aria-live="polite">
      {q.length >= 3 && items.length ? (
        <aside className="kb-suggest" aria-labelledby="kb-suggest-title">
          <h2 id="kb-suggest-title" className="kb-suggest__title">{t('kb.portal.suggestTitle')}</h2>
          <ul className="kb-list">
            {items.map((a) => (
              <li key={a.slug} className="kb-list__item">
                <a href={helpArticleHref(a.slug, org?.id)} target="_blank" rel="noopener" className="kb-list__title">{a.title}</a>
                {a.excerpt ? <p className="kb-list__excerpt">{a.excerpt}</p> : null}
              </li>
            ))}
          </ul>
          <p className="kb-suggest__hint">{t('kb.portal.suggestHint')}</p>
        </aside>
      ) : null}
    </div>
  );
}


function useDebounced(value: string, ms: number, set: (v: string) => void): void {
  useEffect(() => {
    const timer = window.setTimeout(() => set(value), ms);
    return () => window.clearTimeout(timer);
  }, [value, ms, set]);
}
