/**
 * The knowledge base for staff: articles with their status (draft, published,
 * unpublished changes; internal or public), a search over published articles,
 * and categories. Writing is for those who may manage it (kb.manage); everyone
 * who works tickets reads the published articles here.
 */
import { useState, type FormEvent } from 'react';
import type { Static } from 'typebox';
import { Link } from 'wouter';
import { knowledgeEndpoints as kb, type KbArticleSummary } from '../../../src/platform/http/schemas/knowledge.js';
import { call } from '../api.js';
import { t, tp } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { DataTable } from '../ui/DataTable.js';
import { SelectField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { Badge, EmptyState, ErrorNotice, Loading } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { RelativeTime } from '../ui/time.js';
import { ConfirmButton } from '../admin/shared.js';

type Summary = Static<typeof KbArticleSummary>;
type Filter = '' | 'draft' | 'published' | 'internal' | 'public';

export function StatusBadges({ a }: { a: Pick<Summary, 'published' | 'hasDraft' | 'visibility'> }) {
  return (
    <span className="kb-badges">
      {a.published ? <Badge tone="success">{t('kb.status.published')}</Badge> : <Badge tone="warning">{t('kb.status.draft')}</Badge>}
      {a.published && a.hasDraft ? <Badge tone="info">{t('kb.status.changes')}</Badge> : null}
      <Badge tone={a.visibility === 'public' ? 'info' : 'neutral'}>{t(`kb.visibility.${a.visibility}`)}</Badge>
    </span>
  );
}

function Categories({ onChange }: { onChange: () => void }) {
  const { can } = useMe();
  const list = useResource(() => call(kb.categories), []);
  const [name, setName] = useState('');
  const add = useSubmit(async (e: FormEvent) => {
    e.preventDefault();
    await call(kb.createCategory, { body: { name: name.trim() } });
    setName('');
    list.reload();
    onChange();
  });
  return (
    <Section title={t('kb.categories.title')} id="kb-categories">
      <ErrorNotice error={list.error} onRetry={list.reload} />
      {list.data && list.data.items.length === 0 ? <p className="kb-muted">{t('kb.categories.empty')}</p> : null}
      <ul className="kb-cats">
        {list.data?.items.map((c) => (
          <li key={c.id} className="kb-cats__item">
            <span>{c.name} <span className="kb-muted">({tp('kb.categories.count', c.articleCount)})</span></span>
            {can('kb.manage') ? (
              <ConfirmButton variant="danger" label={t('action.delete')} title={t('kb.categories.deleteTitle', { name: c.name })} body={<p>{t('kb.categories.deleteBody')}</p>}
                onConfirm={async () => { await call(kb.deleteCategory, { params: { id: c.id } }); list.reload(); onChange(); }} />
            ) : null}
          </li>
        ))}
      </ul>
      {can('kb.manage') ? (
        <form className="kb-cats__add" onSubmit={(e) => void add.run(e)} noValidate>
          <TextField label={t('kb.categories.name')} value={name} maxLength={120} onChange={(e) => setName(e.target.value)} error={add.fieldErrors.name} />
          <Button type="submit" busy={add.busy} disabled={!name.trim()}>{t('kb.categories.add')}</Button>
          <ErrorNotice error={add.error} />
        </form>
      ) : null}
    </Section>
  );
}

function Search() {
  const [q, setQ] = useState('');
  const [asked, setAsked] = useState('');
  const hits = useResource(async () => (asked ? call(kb.search, { query: { q: asked, limit: 10 } }) : null), [asked]);
  return (
    <form role="search" className="kb-search" onSubmit={(e) => { e.preventDefault(); setAsked(q.trim().slice(0, 200)); }}>
      <label htmlFor="kb-staff-search" className="field__label">{t('kb.search.label')}</label>
      <div className="kb-search__row">
        <input id="kb-staff-search" className="input" type="search" maxLength={200} value={q} onChange={(e) => setQ(e.target.value)} />
        <Button type="submit">{t('kb.portal.searchButton')}</Button>
      </div>
      <ErrorNotice error={hits.error} />
      {hits.data ? (
        hits.data.items.length ? (
          <ul className="kb-list" aria-live="polite">
            {hits.data.items.map((h) => (
              <li key={h.id} className="kb-list__item">
                <Link href={`/knowledge/${h.id}`} className="kb-list__title">{h.title}</Link> <Badge tone={h.visibility === 'public' ? 'info' : 'neutral'}>{t(`kb.visibility.${h.visibility}`)}</Badge>
                <p className="kb-list__excerpt">{h.excerpt}</p>
              </li>
            ))}
          </ul>
        ) : <p aria-live="polite">{t('kb.search.none')}</p>
      ) : null}
    </form>
  );
}

export function ArticlesPage() {
  const { can } = useMe();
  const [filter, setFilter] = useState<Filter>('');
  const list = useResource(() => call(kb.list, { query: filter ? { status: filter } : {} }), [filter]);
  const cats = useResource(() => call(kb.categories), []);
  const catName = (id: string | null) => (id ? cats.data?.items.find((c) => c.id === id)?.name : null) ?? t('kb.noCategory');
  const manager = can('kb.manage');
  return (
    <Page title={t('kb.title')} subtitle={t('kb.subtitle')} wide actions={manager ? <Link href="/knowledge/new" className="btn btn--primary">{t('kb.new')}</Link> : undefined}>
      <div className="kb-layout">
        <div className="kb-layout__main">
          <Search />
          <SelectField label={t('kb.filter.label')} value={filter} onChange={(e) => setFilter(e.target.value as Filter)}
            options={(['', 'draft', 'published', 'internal', 'public'] as const).map((v) => ({ value: v, label: t(v ? `kb.filter.${v}` : 'kb.filter.all') }))} />
          {list.loading && !list.data ? <Loading /> : null}
          <ErrorNotice error={list.error} onRetry={list.reload} />
          {list.data ? (
            <DataTable
              caption={t('kb.caption')}
              rows={list.data.items}
              rowKey={(a) => a.id}
              empty={<EmptyState title={t('kb.empty')}>{manager ? null : <p>{t('kb.emptyReader')}</p>}</EmptyState>}
              columns={[
                { key: 'title', header: t('kb.col.title'), render: (a) => <Link href={`/knowledge/${a.id}`}>{a.title}</Link> },
                { key: 'status', header: t('kb.col.status'), render: (a) => <StatusBadges a={a} /> },
                { key: 'category', header: t('kb.col.category'), render: (a) => catName(a.categoryId) },
                { key: 'updated', header: t('kb.col.updated'), render: (a) => <RelativeTime value={a.updatedAt} /> },
              ]}
            />
          ) : null}
        </div>
        <aside className="kb-layout__side">
          <Categories onChange={() => { list.reload(); cats.reload(); }} />
        </aside>
      </div>
    </Page>
  );
}
