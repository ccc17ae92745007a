/** The rich-text editor, loaded when first shown (its code is a separate chunk), with a quiet placeholder until then. */
import { lazy, Suspense } from 'react';
import { t } from '../i18n/index.js';
import type { RichEditorProps } from './RichEditor.js';

const RichEditor = lazy(() => import('./RichEditor.js'));

export function LazyRichEditor(props: RichEditorProps) {
  return (
    <Suspense fallback={<div className="input input--area rich__loading" aria-busy="true">{t('rich.loading')}</div>}>
      <RichEditor {...props} />
    </Suspense>
  );
}
