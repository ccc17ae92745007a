/**
 * Insert a knowledge-base article link into a reply: a button that opens a
 * small search (published public articles only: the customer must be able to
 * open what they are sent), and `onPick(url, title)` with the article's portal
 * address. The composer decides how the link goes into its text.
 */
import { useEffect, useState } from 'react';
import { knowledgeEndpoints as kb } from '../../../src/platform/http/schemas/knowledge.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { Dialog } from '../ui/Dialog.js';
import { useResource } from '../ui/hooks.js';
import { ErrorNotice, Loading } from '../ui/notices.js';
import '../styles/articles.css';

function useDebounced(value: string, ms: number): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

function PickerSearch({ onPick }: { onPick: (url: string, title: string) => void }) {
  const [q, setQ] = useState('');
  const asked = useDebounced(q.trim().slice(0, 200), 250);
  const hits = useResource(async (signal) => (asked.length >= 2 ? call(kb.search, { query: { q: asked, audience: 'public', limit: 8 } }, { signal }) : null), [asked]);
  const items = (hits.data?.items ?? []).filter((h) => h.portalUrl);
  return (
    <div className="kb-picker">
      <label htmlFor="kb-picker-q" className="field__label">{t('kb.picker.search')}</label>
      <span className="field__hint" id="kb-picker-hint">{t('kb.picker.hint')}</span>
      <input id="kb-picker-q" className="input" type="search" autoFocus aria-describedby="kb-picker-hint" maxLength={200} value={q} onChange={(e) => setQ(e.target.value)}
        onKeyDown={(e) => { const first = items[0]; if (e.key === 'Enter' && first?.portalUrl) { e.preventDefault(); onPick(first.portalUrl, first.title); } }} />
      <ErrorNotice error={hits.error} />
      {hits.loading && asked.length >= 2 && !hits.data ? <Loading /> : null}
      <div aria-live="polite">
        {hits.data && items.length === 0 ? <p>{t('kb.picker.none')}</p> : null}
        <ul className="kb-list">
          {items.map((h) => (
            <li key={h.id} className="kb-list__item kb-picker__item">
              <div>
                <span className="kb-list__title">{h.title}</span>
                <p className="kb-list__excerpt">{h.excerpt}</p>
              </div>
              <Button className="btn--small" aria-label={`${t('kb.picker.pick')}: ${h.title}`} onClick={() => onPick(h.portalUrl!, h.title)}>{t('kb.picker.pick')}</Button>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

export function ArticlePicker({ onPick, disabled }: { onPick: (url: string, title: string) => void; disabled?: boolean }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button className="btn--small" disabled={disabled} onClick={() => setOpen(true)}>{t('kb.picker.open')}</Button>
      {open ? (
        <Dialog open title={t('kb.picker.title')} onClose={() => setOpen(false)}>
          <PickerSearch onPick={(url, title) => { setOpen(false); onPick(url, title); }} />
        </Dialog>
      ) : null}
    </>
  );
}
