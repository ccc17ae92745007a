/** A signature in the rich-text editor with Save: the server sanitises it and sends back what it kept (decision 0149). */
import { useCallback, useId, useRef, useState, type FormEvent } from 'react';
import { t } from '../i18n/index.js';
import { Button } from './Button.js';
import { useResource, useSubmit } from './hooks.js';
import { LazyRichEditor } from './LazyRichEditor.js';
import { ErrorNotice, Loading, Notice } from './notices.js';

export function SignatureForm({ id, label, hint, savedText, load, save }: { id: string; label: string; hint: string; savedText: string; load: (signal: AbortSignal) => Promise<{ html: string }>; save: (html: string) => Promise<{ html: string }> }) {
  const current = useResource(load, []);
  const [draft, setDraft] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const [kept, setKept] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const labelId = useId();
  const hintId = useId();
  // The editor reports the kept text back after a save: only a real edit hides "saved".
  const lastSaved = useRef<string | null>(null);
  const onChange = useCallback((html: string) => {
    setDraft(html);
    if (html !== lastSaved.current) setSaved(false);
  }, []);
  const submit = useSubmit(async () => {
    const res = await save(draft ?? current.data?.html ?? '');
    lastSaved.current = res.html;
    setKept(res.html);
    setVersion((v) => v + 1);
    setSaved(true);
    return true as const;
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  if (!current.data) return current.error ? <ErrorNotice error={current.error} onRetry={current.reload} /> : <Loading />;
  return (
    <form className="form" noValidate onSubmit={onSubmit}>
      <div className="field">
        <span id={labelId} className="field__label">{label}</span>
        <p id={hintId} className="field__hint">{hint}</p>
        <LazyRichEditor id={id} labelId={labelId} describedBy={hintId} initial={kept ?? current.data.html} version={version} onChange={onChange} />
      </div>
      <ErrorNotice error={submit.error} />
      {saved ? <Notice tone="success">{savedText}</Notice> : null}
      <div className="form__actions"><Button type="submit" variant="primary" busy={submit.busy}>{t('action.save')}</Button></div>
    </form>
  );
}
