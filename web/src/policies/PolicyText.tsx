/** A policy as the server rendered it: the author's part, then the generated part. Both are sanitised HTML. */
import { t } from '../i18n/index.js';
import '../styles/articles.css';

export function PolicyText({ title, html, generatedHtml }: { title: string; html: string; generatedHtml: string | null }) {
  return (
    <article className="policy-text" aria-label={title}>
      <h2>{title}</h2>
      <div className="kb-article" dangerouslySetInnerHTML={{ __html: html }} />
      {generatedHtml ? <section aria-label={t('policies.preview.generated')} className="kb-article policy-generated" dangerouslySetInnerHTML={{ __html: generatedHtml }} /> : null}
    </article>
  );
}
