/**
 * One article: readers see the published version; managers edit the working
 * copy (title, body, address, category, who can read it), preview the saved
 * draft as readers will see it, publish (the scanner's findings shown; other
 * sensitive types published only when confirmed), unpublish, delete, and see
 * the published versions.
 */
import { useCallback, useId, useState } from 'react';
import type { Static } from 'typebox';
import { Link, useLocation } from 'wouter';
import { knowledgeEndpoints as kb, type KbArticle, type KbFinding } from '../../../src/platform/http/schemas/knowledge.js';
import { ApiError, call } from '../api.js';
import { formatDateTime, t } from '../i18n/index.js';
import { useMe } from '../session.js';
import { Button } from '../ui/Button.js';
import { SelectField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page, Section } from '../ui/Page.js';
import { ConfirmButton } from '../admin/shared.js';
import { StatusBadges } from './Articles.js';
import { LazyRichEditor } from '../ui/LazyRichEditor.js';

type Article = Static<typeof KbArticle>;
type Finding = Static<typeof KbFinding>;

function findingsOf(error: unknown): Finding[] | null {
  if (error instanceof ApiError && Array.isArray(error.extra.findings)) return error.extra.findings as Finding[];
  return null;
}

function Findings({ findings, onPublishAnyway, busy }: { findings: Finding[]; onPublishAnyway?: () => void; busy?: boolean }) {
  if (!findings.length) return null;
  const refused = findings.some((f) => f.action === 'refuse');
  return (
    <Notice tone={refused ? 'danger' : 'warning'} title={t(refused ? 'kb.findings.refuseTitle' : 'kb.findings.confirmTitle')}>
      <p>{t(refused ? 'kb.findings.refuse' : 'kb.findings.confirm')}</p>
      <ul className="kb-findings">
        {findings.map((f, i) => <li key={i}>{t('kb.findings.item', { type: f.type.replace(/_/g, ' '), excerpt: f.excerpt })}</li>)}
      </ul>
      {!refused && onPublishAnyway ? <Button variant="primary" busy={busy} onClick={onPublishAnyway}>{t('kb.findings.publishAnyway')}</Button> : null}
    </Notice>
  );
}

/** Sanitised by the server (rich-text allowlist) before it was stored. */
function ArticleBody({ html }: { html: string }) {
  return <div className="kb-article" dangerouslySetInnerHTML={{ __html: html }} />;
}

function Reader({ a }: { a: Article }) {
  return (
    <Page title={a.title} subtitle={<StatusBadges a={a} />}>
      <p><Link href="/knowledge">← {t('kb.editor.back')}</Link></p>
      {a.portalUrl ? <p><a href={a.portalUrl} target="_blank" rel="noopener noreferrer">{t('kb.editor.portalLink')}</a></p> : null}
      <ArticleBody html={a.body} />
    </Page>
  );
}

function History({ id, version }: { id: string; version: number | null }) {
  const list = useResource(() => call(kb.versions, { params: { id } }), [id, version]);
  if (!list.data?.items.length) return null;
  return (
    <Section title={t('kb.editor.history')} id="kb-history">
      <ul className="kb-history">
        {list.data.items.map((v) => (
          <li key={v.version}>
            {t('kb.editor.historyItem', { version: v.version, when: formatDateTime(v.publishedAt) })}
            {v.publishedBy ? ` ${t('kb.editor.historyBy', { name: v.publishedBy })}` : ''}
            {v.current ? <> — <strong>{t('kb.editor.current')}</strong></> : null}
          </li>
        ))}
      </ul>
    </Section>
  );
}

function Editor({ article, onSaved, message, setMessage }: { article: Article | null; onSaved: (a: Article) => void; message: string | null; setMessage: (m: string | null) => void }) {
  const [, navigate] = useLocation();
  const cats = useResource(() => call(kb.categories), []);
  const [title, setTitle] = useState(article?.title ?? '');
  const [body, setBody] = useState(article?.body ?? '');
  const editorId = useId();
  const onBody = useCallback((html: string) => setBody(html), []);
  const [slug, setSlug] = useState(article?.slug ?? '');
  const [categoryId, setCategoryId] = useState(article?.categoryId ?? '');
  const [visibility, setVisibility] = useState<'internal' | 'public'>(article?.visibility ?? 'public');
  const [tab, setTab] = useState<'write' | 'preview'>('write');
  const dirty = !article || title !== article.title || body !== article.body || slug !== article.slug || (categoryId || null) !== article.categoryId || visibility !== article.visibility;

  const save = useSubmit(async () => {
    const input = { title: title.trim(), body, visibility, categoryId: categoryId || null, ...(slug.trim() ? { slug: slug.trim() } : {}) };
    const saved = article ? await call(kb.update, { params: { id: article.id }, body: input }) : await call(kb.create, { body: input });
    setMessage(t('kb.editor.saved'));
    setBody(saved.body);
    setSlug(saved.slug);
    onSaved(saved);
    if (!article) navigate(`/knowledge/${saved.id}`, { replace: true });
    return saved;
  });
  const publish = useSubmit(async (acknowledgeFindings: boolean) => {
    const done = await call(kb.publish, { params: { id: article!.id }, body: acknowledgeFindings ? { acknowledgeFindings } : {} });
    setMessage(t('kb.editor.published', { version: done.version ?? 1 }));
    onSaved(done);
    return done;
  });
  const unpublish = useSubmit(async () => {
    const done = await call(kb.unpublish, { params: { id: article!.id } });
    setMessage(t('kb.editor.unpublished'));
    onSaved(done);
    return done;
  });
  const refused = findingsOf(save.error) ?? findingsOf(publish.error);
  const shownFindings = refused ?? (article && !dirty ? article.findings : []);

  return (
    <Page title={article ? t('kb.editor.editTitle') : t('kb.editor.newTitle')} subtitle={article ? <StatusBadges a={article} /> : undefined} wide>
      <p><Link href="/knowledge">← {t('kb.editor.back')}</Link></p>
      {message ? <Notice tone="success">{message}</Notice> : null}
      <Findings findings={shownFindings} busy={publish.busy} onPublishAnyway={article && !dirty ? () => void publish.run(true) : undefined} />
      <ErrorNotice error={refused ? null : save.error ?? publish.error ?? unpublish.error} />
      <form className="form form--wide" noValidate onSubmit={(e) => { e.preventDefault(); setMessage(null); void save.run(); }}>
        <TextField label={t('kb.editor.title')} required maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} error={save.fieldErrors.title} />
        <div className="kb-tabs" role="group" aria-label={t('kb.editor.preview')}>
          <button type="button" className={tab === 'write' ? 'btn btn--small btn--primary' : 'btn btn--small'} aria-pressed={tab === 'write'} onClick={() => setTab('write')}>{t('kb.editor.write')}</button>
          <button type="button" className={tab === 'preview' ? 'btn btn--small btn--primary' : 'btn btn--small'} aria-pressed={tab === 'preview'} onClick={() => setTab('preview')} disabled={!article}>{t('kb.editor.preview')}</button>
        </div>
        {tab === 'write' ? (
          <div className="field">
            <span id={`${editorId}-label`} className="field__label">{t('kb.editor.body')}</span>
            <span id={`${editorId}-hint`} className="field__hint">{t('kb.editor.noImages')}</span>
            {/* Read once per article (the key): saving keeps what is being typed. */}
            <LazyRichEditor key={article?.id ?? 'new'} id={editorId} labelId={`${editorId}-label`} describedBy={`${editorId}-hint`} initial={body} version={0} onChange={onBody} blocks className="rich__content--article" />
          </div>
        ) : (
          <div className="kb-preview">
            <p className="kb-muted">{t('kb.editor.previewNote')}</p>
            <h2>{article?.title}</h2>
            <ArticleBody html={article?.body ?? ''} />
          </div>
        )}
        {save.fieldErrors.body ? <p className="field__error">{save.fieldErrors.body}</p> : null}
        <div className="field-row">
          <TextField label={t('kb.editor.slug')} hint={t('kb.editor.slugHint')} optional maxLength={80} value={slug} onChange={(e) => setSlug(e.target.value)} error={save.fieldErrors.slug} />
          <SelectField label={t('kb.editor.category')} value={categoryId} onChange={(e) => setCategoryId(e.target.value)}
            options={[{ value: '', label: t('kb.noCategory') }, ...(cats.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))]} />
          <SelectField label={t('kb.editor.visibility')} value={visibility} onChange={(e) => setVisibility(e.target.value as 'internal' | 'public')}
            options={(['public', 'internal'] as const).map((v) => ({ value: v, label: t(`kb.editor.visibility.${v}`) }))} />
        </div>
        <div className="form__actions">
          <Button type="submit" variant={dirty ? 'primary' : 'secondary'} busy={save.busy}>{t('kb.editor.save')}</Button>
          {article ? (
            <Button variant="primary" busy={publish.busy} disabled={dirty || (article.published && !article.hasDraft)} title={dirty ? t('kb.editor.saveFirst') : undefined} onClick={() => { setMessage(null); void publish.run(false); }}>
              {t('kb.editor.publish')}
            </Button>
          ) : null}
          {article?.published ? <Button busy={unpublish.busy} onClick={() => { setMessage(null); void unpublish.run(); }}>{t('kb.editor.unpublish')}</Button> : null}
          {article?.portalUrl ? <a href={article.portalUrl} target="_blank" rel="noopener noreferrer" className="btn btn--ghost">{t('kb.editor.portalLink')}</a> : null}
          {article ? (
            <ConfirmButton variant="danger" small={false} label={t('kb.editor.delete')} title={t('kb.editor.deleteTitle', { title: article.title })} body={<p>{t('kb.editor.deleteBody')}</p>}
              onConfirm={async () => { await call(kb.remove, { params: { id: article.id } }); navigate('/knowledge'); }} />
          ) : null}
        </div>
        {dirty && article ? <p className="kb-muted">{t('kb.editor.saveFirst')}</p> : null}
      </form>
      {article?.published ? <p className="kb-muted">{t('kb.editor.publishedVersion', { version: article.version ?? 1 })}</p> : null}
      {article ? <History id={article.id} version={article.version} /> : null}
    </Page>
  );
}

export function ArticlePage({ id }: { id: string | null }) {
  const { can } = useMe();
  const [fresh, setFresh] = useState<Article | null>(null);
  // Kept here, so "saved" is still said after a new article's address changes to its id.
  const [message, setMessage] = useState<string | null>(null);
  const loaded = useResource(async () => (id ? call(kb.read, { params: { id } }) : null), [id]);
  const article = fresh && fresh.id === id ? fresh : loaded.data ?? null;
  if (id && !article && loaded.loading) return <div className="page"><Loading /></div>;
  if (id && !article && loaded.error) return <div className="page"><ErrorNotice error={loaded.error} onRetry={loaded.reload} /></div>;
  if (!can('kb.manage')) return article ? <Reader a={article} /> : null;
  return <Editor key={article?.id ?? 'new'} article={article} onSaved={setFresh} message={message} setMessage={setMessage} />;
}
